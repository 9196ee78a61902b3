// The built-in backbone + reward head forward against the independent float64 reference
// (test/helpers/reference/tinyGpt.ts), padding behaviour, the zero head, float32 vs float64.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../../src/core/random';
import {
  buildBuiltinBackbone,
  buildBuiltinBackboneLast,
  buildScoringGraph,
  builtinParamShapes,
  initBuiltinParams,
  lastTokenFeatures,
  MODEL_OPSET,
  type BuiltinBackboneConfig,
  type LayerNormImpl,
  type ModelParams,
} from '../../../../src/core/model';
import { encodeModel, GraphBuilder, type Value } from '../../../../src/core/onnx';
import { runModel } from '../../../helpers/ort';
import { reward } from '../../../helpers/reference/tinyGpt';
import { CONFIG, maxRelDiff, padded, referenceParams, sequences, toFloat32 } from './batch';

const LENGTHS = [1, 4, 10, 7, 2, 9];

async function score(model: Uint8Array, feeds: ReturnType<typeof padded>, threads = 1): Promise<number[]> {
  const out = await runModel(model, feeds, { threads });
  assert.deepEqual(out.rewards.dims, [feeds.input_ids.dims[0]]);
  return Array.from(out.rewards.data as ArrayLike<number>);
}

for (const layerNorm of ['decomposed', 'op'] as LayerNormImpl[]) {
  test(`float64 forward (${layerNorm} LayerNorm) equals reference rewards on a right-padded batch of mixed lengths`, async () => {
    const rand = mulberry32(3);
    const params = referenceParams(7);
    const rows = sequences(rand, LENGTHS);
    const model = encodeModel(buildScoringGraph({ config: CONFIG, params, layerNorm }));
    const want = rows.map((r) => reward(params, CONFIG, r));
    // Longer than any row too: extra padding columns change nothing.
    for (const seqLen of [10, undefined]) {
      const got = await score(model, padded(rows, { seqLen }));
      const d = maxRelDiff(got, want);
      assert.ok(d < 1e-10, `max relative difference ${d.toExponential(2)}`);
    }
    // The rewards are not trivially small: the comparison means something.
    assert.ok(Math.max(...want.map(Math.abs)) > 0.1);
  });
}

test('float64 forward equals the reference on a wider, deeper config (4 heads, 3 layers, 2 threads)', async () => {
  const c = { vocab: 50, dModel: 32, nHeads: 4, nLayers: 3, maxLen: 24, eps: 1e-5 };
  const rand = mulberry32(12);
  const params = referenceParams(13, c);
  const rows = sequences(rand, [24, 1, 17, 5, 23, 8], c.vocab);
  const got = await score(encodeModel(buildScoringGraph({ config: c, params })), padded(rows), 2);
  const want = rows.map((r) => reward(params, c, r));
  const d = maxRelDiff(got, want);
  assert.ok(d < 1e-10, `max relative difference ${d.toExponential(2)}`);
});

test('the head reads the last real token: padding ids, and tokens after the last real one, never change a reward', async () => {
  const rand = mulberry32(5);
  const params = referenceParams(8);
  const rows = sequences(rand, [3, 6, 1, 5]);
  const model = encodeModel(buildScoringGraph({ config: CONFIG, params }));
  const base = await score(model, padded(rows, { seqLen: 8 }));
  const noisyPad = await score(model, padded(rows, { seqLen: 8, pad: () => 1 + Math.floor(rand() * 12) }));
  assert.deepEqual(noisyPad, base, 'padding ids under mask 0 must not matter (bit for bit)');
  // Same rows scored one at a time, unpadded: padding and batch neighbours do not leak in.
  for (let i = 0; i < rows.length; i++) {
    const [alone] = await score(model, padded([rows[i]]));
    assert.ok(Math.abs(alone - base[i]) <= 1e-12 * Math.max(1, Math.abs(base[i])), `row ${i}: ${alone} vs ${base[i]}`);
  }
  // A real token appended changes the reward (the head really reads the last one).
  const longer = rows.map((r) => [...r, 4]);
  const moved = await score(model, padded(longer, { seqLen: 8 }));
  for (let i = 0; i < rows.length; i++) assert.notEqual(moved[i], base[i]);
});

test('a zero-initialised head gives reward 0 everywhere; an all-padding row gives 0, not NaN', async () => {
  const params = initBuiltinParams(CONFIG, 1, 'float64');
  assert.ok(params.get('head.w')!.every((x) => x === 0));
  const rand = mulberry32(9);
  const model = encodeModel(buildScoringGraph({ config: CONFIG, params }));
  const got = await score(model, padded(sequences(rand, [2, 5, 10])));
  assert.deepEqual(got, [0, 0, 0]);
  const withHead = referenceParams(2);
  const m2 = encodeModel(buildScoringGraph({ config: CONFIG, params: withHead }));
  const empty = await score(m2, padded([[3, 4], []], { seqLen: 3 }));
  assert.equal(empty[1], 0);
  assert.ok(Number.isFinite(empty[0]) && empty[0] !== 0);
});

test('float32 build runs (2 threads) and agrees with float64 to ~1e-4, both LayerNorm forms', async () => {
  const rand = mulberry32(4);
  const p64 = referenceParams(10);
  const p32 = toFloat32(p64);
  const rows = sequences(rand, LENGTHS);
  const feeds = padded(rows);
  const m64 = buildScoringGraph({ config: CONFIG, params: p64 });
  const m32 = buildScoringGraph({ config: CONFIG, params: p32 });
  assert.equal(m32.graph.output[0].type?.tensorType?.elemType, 1, 'float32 rewards');
  const r64 = await score(encodeModel(m64), feeds);
  for (const layerNorm of ['decomposed', 'op'] as LayerNormImpl[]) {
    const r32 = await score(encodeModel(buildScoringGraph({ config: CONFIG, params: p32, layerNorm })), feeds, 2);
    const d = maxRelDiff(r32, r64);
    assert.ok(d < 1e-4, `${layerNorm}: float32 vs float64 ${d.toExponential(2)}`);
  }
});

/** One graph with both forms: `full` = lastTokenFeatures of every position's hidden state, `last` = the pruned last block. */
function bothForms(c: BuiltinBackboneConfig, params: ModelParams, layerNorm?: LayerNormImpl): { model: Uint8Array; g: GraphBuilder } {
  const g = new GraphBuilder({ opset: MODEL_OPSET });
  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  const values = new Map<string, Value>();
  for (const [name, shape] of builtinParamShapes(c)) values.set(name, g.initializer(name, params.get(name)!, shape));
  const param = (n: string): Value => values.get(n)!;
  const inputs = { inputIds, attentionMask, layerNorm };
  const { hidden } = g.scope('full', () => buildBuiltinBackbone(g, c, param, inputs));
  g.output(lastTokenFeatures(g, hidden, attentionMask), 'full');
  const { last } = g.scope('pruned', () => buildBuiltinBackboneLast(g, c, param, inputs));
  g.output(last, 'last');
  return { model: encodeModel(g.build()), g };
}

for (const nLayers of [1, 2, 3]) {
  test(`the pruned last block (${nLayers} layer${nLayers > 1 ? 's' : ''}) gives the full backbone's last-token state, an empty row 0 in both`, async () => {
    const c = { ...CONFIG, nLayers };
    const rand = mulberry32(20 + nLayers);
    const p64 = referenceParams(30 + nLayers, c);
    const rows = [...sequences(rand, [1, 7, 10, 3]), []];
    for (const [params, tol] of [
      [p64, 1e-12],
      [toFloat32(p64), 2e-6],
    ] as const) {
      for (const layerNorm of ['decomposed', 'op'] as LayerNormImpl[]) {
        const out = await runModel(bothForms(c, params, layerNorm).model, padded(rows, { seqLen: 10 }), { threads: 2 });
        assert.deepEqual(out.last.dims, [rows.length, c.dModel]);
        const full = Array.from(out.full.data as ArrayLike<number>);
        const last = Array.from(out.last.data as ArrayLike<number>);
        const d = maxRelDiff(last, full);
        assert.ok(d < tol, `${params === p64 ? 'float64' : 'float32'} ${layerNorm}: ${d.toExponential(2)}`);
        assert.ok(full.slice(0, 4 * c.dModel).some((x) => Math.abs(x) > 0.1), 'features are not trivially small');
        assert.ok(last.slice(4 * c.dModel).every((x) => x === 0), 'a row without real tokens reads 0');
      }
    }
  });
}

test('the reward graphs run the last block past its keys and values on one position per row', () => {
  const c = { ...CONFIG, nLayers: 3 };
  const model = buildScoringGraph({ config: c, params: toFloat32(referenceParams(5, c)) });
  const matmuls = model.graph.node.filter((n) => n.opType === 'MatMul' || n.opType === 'Gemm');
  const inLayer = (l: number, part: string) => matmuls.filter((n) => (n.name ?? '').startsWith(`backbone/h${l}/${part}/`)).length;
  // Full blocks: one MatMul each for qkv, attention scores, attention values, output projection; two in the MLP.
  assert.equal(inLayer(0, 'attn'), 4);
  assert.equal(inLayer(0, 'mlp'), 2);
  // Last block: K,V (all positions) and Q (one per row) separately, plus the last-row picks of `a` and `x`.
  assert.equal(inLayer(2, 'attn'), 6);
  // Its MLP on [rows, ·], the other blocks' on [rows·seq, ·] (the builder's inferred shapes).
  const { g } = bothForms(c, referenceParams(5, c));
  const built = g.build();
  const mlpIn = (scope: string) => {
    const n = built.graph.node.find((x) => x.opType === 'MatMul' && (x.name ?? '').startsWith(`${scope}/mlp/`));
    assert.ok(n, `a MatMul under ${scope}/mlp`);
    return g.value(n.output![0]).shape;
  };
  assert.deepEqual(mlpIn('full/h2'), ['batch*seq', 4 * c.dModel]);
  assert.deepEqual(mlpIn('pruned/h2'), ['batch', 4 * c.dModel]);
  assert.deepEqual(mlpIn('pruned/h1'), ['batch*seq', 4 * c.dModel], 'blocks before the last run on every position');
});
