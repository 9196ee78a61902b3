// Causal-LM pretraining of the built-in backbone: the next-token loss against a plain float64 TypeScript
// computation, the whole LM graph's gradients against central differences in float64, and learning: a
// few hundred steps on a repetitive corpus drive the loss from log(V) towards 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradients } from '../../../../src/core/autodiff';
import { addNextTokenLoss, buildLmLoss, buildLmStep, builtinParamShapes, initBuiltinParams, LM_IO, lmTrainableParams, STEP_IO, type BuiltinBackboneConfig } from '../../../../src/core/model';
import { encodeModel, GraphBuilder } from '../../../../src/core/onnx';
import { adamStateNames, optimizerConfig } from '../../../../src/core/optim';
import { mulberry32 } from '../../../../src/core/random';
import { createSession, runSession, type Feed } from '../../../helpers/ort';

const CONFIG: BuiltinBackboneConfig = { vocab: 11, dModel: 8, nHeads: 2, nLayers: 1, maxLen: 8, eps: 1e-5 };
// Three rows, right-padded: lengths 6, 3 and 1 (a row of one token predicts nothing).
const IDS = [
  [1, 4, 2, 9, 3, 7, 0, 0],
  [5, 5, 10, 0, 0, 0, 0, 0],
  [8, 0, 0, 0, 0, 0, 0, 0],
];
const LENGTHS = [6, 3, 1];

function idFeeds(): Record<string, Feed> {
  const rows = IDS.length;
  const T = IDS[0].length;
  return {
    input_ids: { type: 'int64', data: BigInt64Array.from(IDS.flat().map(BigInt)), dims: [rows, T] },
    attention_mask: { type: 'int64', data: BigInt64Array.from(IDS.flatMap((r, i) => r.map((_, t) => (t < LENGTHS[i] ? 1n : 0n)))), dims: [rows, T] },
  };
}

void test('next-token loss: mean −log softmax(h·wteᵀ)[next id] over predicted real tokens, as computed by hand', async () => {
  const rand = mulberry32(4);
  const rows = IDS.length;
  const T = IDS[0].length;
  const D = 5;
  const V = CONFIG.vocab;
  const hidden = Float64Array.from({ length: rows * T * D }, () => rand() * 2 - 1);
  const wte = Float64Array.from({ length: V * D }, () => rand() * 2 - 1);
  const g = new GraphBuilder({ opset: 17 });
  const h = g.input('hidden', 'float64', [rows, T, D]);
  const w = g.input('wte', 'float64', [V, D]);
  const ids = g.input('input_ids', 'int64', [rows, T]);
  const mask = g.input('attention_mask', 'int64', [rows, T]);
  const out = addNextTokenLoss(g, h, w, ids, mask, V);
  g.output(out.loss, 'loss');
  g.output(out.tokens, 'tokens');
  const session = await createSession(encodeModel(g.build()));
  const got = await runSession(session, { ...idFeeds(), hidden: { type: 'float64', data: hidden, dims: [rows, T, D] }, wte: { type: 'float64', data: wte, dims: [V, D] } });

  let sum = 0;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t + 1 < LENGTHS[r]; t++) {
      const logits = Array.from({ length: V }, (_, v) => {
        let s = 0;
        for (let d = 0; d < D; d++) s += hidden[(r * T + t) * D + d] * wte[v * D + d];
        return s;
      });
      const m = Math.max(...logits);
      const lse = m + Math.log(logits.reduce((a, x) => a + Math.exp(x - m), 0));
      sum += lse - logits[IDS[r][t + 1]];
      n++;
    }
  }
  assert.equal(Number(got.tokens.data[0]), n);
  assert.equal(n, 5 + 2 + 0);
  assert.ok(Math.abs(Number(got.loss.data[0]) - sum / n) < 1e-12, `${got.loss.data[0]} vs ${sum / n}`);
});

void test('the LM graph’s gradients match central differences in float64 (padding included)', async () => {
  const params = initBuiltinParams(CONFIG, 3, 'float64');
  // Larger weights than the init so every path carries a visible gradient.
  const rand = mulberry32(9);
  for (const [name, a] of params) if (name !== 'head.w') a.forEach((x, i) => (a[i] = x + (rand() - 0.5) * 0.4));
  const f = buildLmLoss({ config: CONFIG, params });
  const names = lmTrainableParams(CONFIG);
  const grads = buildGradients(f.g, { loss: f.loss, wrt: names });
  for (const n of names) f.g.output(grads.get(n)!, `grad:${n}`);
  const model = encodeModel(f.g.build());
  const session = await createSession(model, { optimization: 'disabled' });
  const shapes = builtinParamShapes(CONFIG);
  const feedsWith = (override?: { name: string; i: number; delta: number }): Record<string, Feed> => {
    const feeds: Record<string, Feed> = idFeeds();
    for (const n of names) {
      const data = Float64Array.from(params.get(n)!);
      if (override?.name === n) data[override.i] += override.delta;
      feeds[n] = { type: 'float64', data, dims: shapes.get(n)! };
    }
    return feeds;
  };
  const base = await runSession(session, feedsWith());
  const h = 1e-6;
  const probe = mulberry32(2);
  for (const n of ['wte', 'wpe', 'h0.ln1.g', 'h0.attn.wqkv', 'h0.attn.bo', 'h0.mlp.w1', 'h0.mlp.w2', 'lnf.g', 'lnf.b']) {
    const g = base[`grad:${n}`].data as Float64Array;
    const scale = Math.max(...Array.from(g, Math.abs));
    assert.ok(scale > 1e-6, `${n} has a gradient`);
    for (let k = 0; k < 6; k++) {
      const i = Math.floor(probe() * g.length);
      const up = Number((await runSession(session, feedsWith({ name: n, i, delta: h }), [LM_IO.loss]))[LM_IO.loss].data[0]);
      const down = Number((await runSession(session, feedsWith({ name: n, i, delta: -h }), [LM_IO.loss]))[LM_IO.loss].data[0]);
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - g[i]) <= 1e-6 * Math.max(1, scale), `${n}[${i}]: graph ${g[i]} vs finite difference ${fd}`);
    }
  }
  // Padding: the ids of padded positions never matter.
  const padded = idFeeds();
  (padded.input_ids.data as BigInt64Array)[7] = 3n;
  const again = await runSession(session, { ...feedsWith(), input_ids: padded.input_ids }, [LM_IO.loss]);
  assert.equal(Number(again[LM_IO.loss].data[0]), Number(base[LM_IO.loss].data[0]));
});

void test('LM steps learn a repetitive corpus: the loss falls from about log(V) to near 0', async () => {
  const config: BuiltinBackboneConfig = { vocab: 12, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 16, eps: 1e-5 };
  const params = initBuiltinParams(config, 1, 'float32');
  const step = buildLmStep({ config, params, optimizer: optimizerConfig({ lr: 1e-2 }) });
  const session = await createSession(encodeModel(step.model), { optimization: 'all' });
  const shapes = builtinParamShapes(config);
  const state = new Map<string, { p: Float32Array; m: Float32Array; v: Float32Array }>(step.trainable.map((n) => [n, { p: params.get(n) as Float32Array, m: new Float32Array(params.get(n)!.length), v: new Float32Array(params.get(n)!.length) }]));
  // Rows count up from a random start: 3 4 5 … wrapping at 11 (id 0 is padding).
  const rand = mulberry32(5);
  const batch = (): Record<string, Feed> => {
    const rows = 8;
    const T = 16;
    const ids = new BigInt64Array(rows * T);
    for (let r = 0; r < rows; r++) {
      const s = 1 + Math.floor(rand() * 11);
      for (let t = 0; t < T; t++) ids[r * T + t] = BigInt(1 + ((s - 1 + t) % 11));
    }
    return { input_ids: { type: 'int64', data: ids, dims: [rows, T] }, attention_mask: { type: 'int64', data: new BigInt64Array(rows * T).fill(1n), dims: [rows, T] } };
  };
  const losses: number[] = [];
  for (let s = 0; s < 150; s++) {
    const feeds = batch();
    for (const [n, st] of state) {
      const dims = shapes.get(n)!;
      feeds[n] = { type: 'float32', data: st.p, dims };
      feeds[adamStateNames(n).m] = { type: 'float32', data: st.m, dims };
      feeds[adamStateNames(n).v] = { type: 'float32', data: st.v, dims };
    }
    feeds[STEP_IO.step] = { type: 'int64', data: BigInt64Array.of(BigInt(s)), dims: [] };
    feeds[STEP_IO.lr] = { type: 'float32', data: Float32Array.of(1e-2), dims: [] };
    const out = await runSession(session, feeds);
    for (const [n, st] of state) {
      st.p = out[STEP_IO.newParam(n)].data as Float32Array;
      st.m = out[STEP_IO.newM(n)].data as Float32Array;
      st.v = out[STEP_IO.newV(n)].data as Float32Array;
    }
    losses.push(Number(out[LM_IO.loss].data[0]));
  }
  assert.ok(Math.abs(losses[0] - Math.log(12)) < 0.2, `first loss ${losses[0]} vs log 12 = ${Math.log(12)}`);
  assert.ok(losses.at(-1)! < 0.1, `last loss ${losses.at(-1)}`);
});
