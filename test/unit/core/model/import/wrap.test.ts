// buildImportedBackbone on every exporter-made graph that is a backbone: the wrapper (input_ids,
// attention_mask int64 → hidden float32 [batch, seq, H]) runs in onnxruntime on a right-padded batch;
// at real positions its hidden states equal the ORIGINAL model's, run directly with the feeds its own
// conventions want (built here independently: int32 casts, arange positions, Megatron's 64x64 mask,
// empty pasts, token-by-token decoding for the decode-step GPT-2); more padding changes nothing at
// real positions; trainable choices give graph inputs or the clear 'untrainable' error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradients } from '../../../../../src/core/autodiff';
import { analyzeBackbone, BackboneImportError, buildImportedBackbone, HIDDEN_STATE, type BackboneAnalysis, type ImportOptions } from '../../../../../src/core/model/import';
import { encodeModel, tensorToArray, type OnnxModel } from '../../../../../src/core/onnx';
import { createSession, runSession, type Feed, type Fetched } from '../../../../helpers/ort';
import {
  allFinite,
  assertSameAtRealPositions,
  load,
  numbers,
  repadded,
  rightPadded,
  run,
  seededFloats,
  withOutputs,
  wrapperFeeds,
  type Batch,
  type FixtureKey,
} from './importFixtures';

// ---------------------------------------------------------------------------------------------------
// Native feeds: what each export wants for the same tokens, written out per convention.

const i32 = (b: Batch, pick: (row: number, t: number) => number, seq = b.seq): Feed => ({
  type: 'int32',
  data: Int32Array.from({ length: b.rows * seq }, (_, k) => pick(Math.floor(k / seq), k % seq)),
  dims: [b.rows, seq],
});
const i64 = (b: Batch, pick: (row: number, t: number) => number, seq = b.seq): Feed => ({
  type: 'int64',
  data: BigInt64Array.from({ length: b.rows * seq }, (_, k) => BigInt(pick(Math.floor(k / seq), k % seq))),
  dims: [b.rows, seq],
});
const f32 = (b: Batch, pick: (row: number, t: number) => number, seq = b.seq): Feed => ({
  type: 'float32',
  data: Float32Array.from({ length: b.rows * seq }, (_, k) => pick(Math.floor(k / seq), k % seq)),
  dims: [b.rows, seq],
});
const token = (b: Batch) => (row: number, t: number): number => (t < b.seq ? Number(b.ids[row * b.seq + t]) : 0);
const real = (b: Batch) => (row: number, t: number): number => (t < b.lengths[row] ? 1 : 0);
const arange = (_row: number, t: number): number => t;
const zeros = (dims: number[], type: 'float32' | 'float16' = 'float32'): Feed => ({
  type,
  data: type === 'float16' ? new Uint16Array(dims.reduce((x, y) => x * y, 1)) : new Float32Array(dims.reduce((x, y) => x * y, 1)),
  dims,
});

/** Native feeds for one batch, at the export's own length `seq` (its fixed length, or the batch's). */
type NativeFeeds = (b: Batch, seq: number) => Record<string, Feed>;

const NATIVE: Partial<Record<FixtureKey, NativeFeeds>> = {
  megatron: (b) => {
    // Megatron's mask: [B, 1, 64, 64], 1 where query i may see key j (j <= i and j is a real token).
    const m = new Float32Array(b.rows * 64 * 64);
    for (let r = 0; r < b.rows; r++) for (let i = 0; i < 64; i++) for (let j = 0; j <= i; j++) m[(r * 64 + i) * 64 + j] = j < b.lengths[r] ? 1 : 0;
    return {
      input_ids: i64(b, token(b)),
      position_ids: i64(b, arange),
      attention_mask: { type: 'float32', data: m, dims: [b.rows, 1, 64, 64] },
      past_0: zeros([2, b.rows, 2, 0, 4]),
    };
  },
  maskOneLayer: (b) => ({ input_ids: i64(b, token(b)), past_0: zeros([2, b.rows, 2, 0, 2]), attention_mask: f32(b, real(b)), position_ids: i64(b, arange) }),
  bertToy: (b) => ({ input_ids: i64(b, token(b)), token_type_ids: i64(b, () => 0), input_mask: i64(b, real(b)) }),
  tfBert: (b, seq) => ({ input_ids: i32(b, token(b), seq), attention_mask: i32(b, real(b), seq), token_type_ids: i32(b, () => 0, seq) }),
  distilBert: (b) => ({ input_ids: i64(b, token(b)), attention_mask: i64(b, real(b)) }),
  llamaDynamic: (b, seq) => ({ input_ids: i64(b, token(b), seq) }),
  genaiGpt2: (b) => ({
    input_ids: i32(b, token(b)),
    position_ids: i32(b, arange),
    attention_mask: i32(b, real(b)),
    ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`past_${i}`, zeros([2, b.rows, 4, 0, 8])])),
  }),
  genaiLlama: (b) => ({
    input_ids: i64(b, token(b)),
    attention_mask: i64(b, real(b)),
    position_ids: i64(b, arange),
    ...Object.fromEntries(['0.key', '0.value', '1.key', '1.value'].map((k) => [`past_key_values.${k}`, zeros([b.rows, 1, 0, 16], 'float16')])),
  }),
};

/** The original model's hidden states for a batch (made visible as an output; the graph is unchanged). */
async function nativeHidden(key: FixtureKey, model: OnnxModel, a: BackboneAnalysis, b: Batch): Promise<{ data: Float64Array; seq: number }> {
  const seq = a.fixedSeqLen ?? b.seq;
  const feeds = NATIVE[key]!(b, seq);
  const out = await run(withOutputs(model, [{ name: a.hidden.name, dtype: a.hidden.dtype ?? 'float32' }]), feeds, [a.hidden.name], { threads: 2 });
  const h = out[a.hidden.name];
  assert.equal(h.dims[1], seq);
  return { data: numbers(h), seq };
}

async function wrapperHidden(bytes: Uint8Array, b: Batch, extra: Record<string, Feed> = {}): Promise<Fetched> {
  const out = await run(bytes, { ...wrapperFeeds(b), ...extra }, [HIDDEN_STATE], { threads: 2 });
  return out[HIDDEN_STATE];
}

function wrap(model: OnnxModel, a: BackboneAnalysis, opts: ImportOptions = { trainable: 'head' }): { bytes: Uint8Array; w: ReturnType<typeof buildImportedBackbone> } {
  const w = buildImportedBackbone(model, a, opts);
  w.builder.output(w.hidden);
  return { bytes: encodeModel(w.builder.build()), w };
}

interface Case {
  key: FixtureKey;
  lengths: number[];
  seq: number;
  tol: { abs: number; rel: number };
}

const CASES: Case[] = [
  { key: 'megatron', lengths: [5, 3], seq: 5, tol: { abs: 1e-5, rel: 1e-5 } },
  { key: 'maskOneLayer', lengths: [5, 2], seq: 5, tol: { abs: 1e-5, rel: 1e-5 } },
  { key: 'bertToy', lengths: [6, 4], seq: 6, tol: { abs: 1e-5, rel: 1e-5 } },
  { key: 'tfBert', lengths: [5, 3], seq: 5, tol: { abs: 1e-5, rel: 1e-5 } },
  { key: 'distilBert', lengths: [5, 2], seq: 5, tol: { abs: 1e-5, rel: 1e-5 } },
  { key: 'llamaDynamic', lengths: [6, 3], seq: 6, tol: { abs: 1e-5, rel: 1e-5 } },
  { key: 'genaiGpt2', lengths: [5, 3], seq: 5, tol: { abs: 1e-5, rel: 1e-5 } },
  { key: 'genaiLlama', lengths: [5, 2], seq: 5, tol: { abs: 2e-3, rel: 2e-3 } },
];

for (const c of CASES) {
  void test(`${c.key}: the wrapper runs on a right-padded int64 batch and matches the original model at real positions; more padding changes nothing`, async () => {
    const model = load(c.key);
    const a = analyzeBackbone(model);
    const { bytes, w } = wrap(model, a);
    assert.deepEqual(w.builder.inputs.map((v) => v.name), ['input_ids', 'attention_mask']);
    assert.deepEqual(w.hidden.shape, ['batch', 'seq', a.hiddenSize]);
    assert.equal(w.hidden.dtype, 'float32');
    assert.deepEqual(w.trainableParams, []);
    const batch = rightPadded(c.lengths, c.seq, a.vocabSize ?? 10, 7);
    const got = await wrapperHidden(bytes, batch);
    assert.deepEqual(got.dims, [batch.rows, c.seq, a.hiddenSize]);
    assert.ok(allFinite(got), 'finite hidden states (padding positions included)');
    const want = await nativeHidden(c.key, model, a, batch);
    assertSameAtRealPositions(got, want, c.lengths, a.hiddenSize, c.tol, `${c.key} vs the original`);
    // The same tokens padded further, with another padding id.
    const longer = repadded(batch, c.seq + 2, 3);
    const again = await wrapperHidden(bytes, longer);
    assert.deepEqual(again.dims, [batch.rows, c.seq + 2, a.hiddenSize]);
    assertSameAtRealPositions(again, { data: numbers(got), seq: c.seq }, c.lengths, a.hiddenSize, { abs: 1e-6, rel: 1e-6 }, `${c.key} with more padding`);
  });
}

void test('GPT-2 decode-step export: unrolled token by token, equal to decoding with the past cache; more padding changes nothing', async () => {
  const model = load('gpt2Past');
  // 5 steps (the default is the 8 its position table has): session creation grows with the unrolled size.
  const a = analyzeBackbone(model, { decodeSteps: 5 });
  assert.equal(a.fixedSeqLen, 5);
  const { bytes } = wrap(model, a);
  const batch = rightPadded([4, 2], 4, 20, 11);
  const session = await createSession(bytes, { threads: 2 });
  let got: Fetched;
  let longer: Fetched;
  try {
    got = (await runSession(session, wrapperFeeds(batch), [HIDDEN_STATE]))[HIDDEN_STATE];
    longer = (await runSession(session, wrapperFeeds(repadded(batch, 5, 9)), [HIDDEN_STATE]))[HIDDEN_STATE];
  } finally {
    await session.release();
  }
  assert.deepEqual(got.dims, [2, 4, 4]);
  assert.ok(allFinite(got));
  // The original, one token at a time: present_i of step t is past_i of step t + 1.
  const original = await createSession(encodeModel(model), { threads: 2 });
  const want = new Float64Array(2 * 4 * 4);
  try {
    let past: Record<string, Feed> = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`past_${i}`, zeros([2, 2, 2, 0, 2])]));
    for (let t = 0; t < 4; t++) {
      const ids: Feed = { type: 'int64', data: BigInt64Array.from([batch.ids[t], batch.ids[4 + t]]), dims: [2, 1] };
      const out = await runSession(original, { input_ids: ids, ...past });
      const h = numbers(out.last_state);
      for (let r = 0; r < 2; r++) for (let k = 0; k < 4; k++) want[(r * 4 + t) * 4 + k] = h[r * 4 + k];
      past = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`past_${i}`, { type: 'float32', data: out[`present_${i}`].data as Float32Array, dims: out[`present_${i}`].dims }]));
    }
  } finally {
    await original.release();
  }
  assertSameAtRealPositions(got, { data: want, seq: 4 }, [4, 2], 4, { abs: 1e-5, rel: 1e-5 }, 'gpt2_past vs token-by-token decoding');
  assertSameAtRealPositions(longer, { data: numbers(got), seq: 4 }, [4, 2], 4, { abs: 1e-6, rel: 1e-6 }, 'gpt2_past with more padding');
});

void test('static LLaMA (weights as graph inputs, batch 2 x 1024 fixed): weights given become initializers; equal to the original; one row pads the batch', async () => {
  const model = load('llamaStatic');
  const a = analyzeBackbone(model);
  // Plausible weights: norms ~1, embeddings and projections small, the real rotary frequencies.
  const weights: Record<string, Float32Array> = {};
  for (let i = 0; i <= 2; i++) weights[`input${i}`] = seededFloats(1024, 10 + i, 0.1, 1);
  weights.input3 = seededFloats(1024 * 1024, 13, 0.5);
  for (let i = 4; i <= 10; i++) weights[`input${i}`] = seededFloats(1024 * 1024, 10 + i, 0.03);
  weights.input11 = Float32Array.from({ length: 256 }, (_, i) => 1 / 10000 ** ((2 * i) / 512));
  const { bytes, w } = wrap(model, a, { trainable: 'head', weights });
  assert.deepEqual(w.weightInputs, []);
  assert.deepEqual(w.builder.inputs.map((v) => v.name), ['input_ids', 'attention_mask']);
  const batch = rightPadded([6, 3], 6, 1024, 5);
  const got = await wrapperHidden(bytes, batch);
  assert.deepEqual(got.dims, [2, 6, 1024]);
  assert.ok(allFinite(got));
  const feeds: Record<string, Feed> = {
    input12: i64(batch, token(batch), 1024),
    input13: f32(batch, real(batch), 1024),
    ...Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, { type: 'float32', data: v, dims: k === 'input11' ? [256] : Number(k.slice(5)) <= 2 ? [1024] : [1024, 1024] } as Feed])),
  };
  const out = await run(encodeModel(model), feeds, ['output_0'], { threads: 2 });
  // fp16 matmuls inside: onnxruntime's results for this graph move by ~2e-3 with its memory plan alone
  // (the original run with its intermediate values made outputs differs from the plain run by 1.9e-3),
  // so the comparison allows fp16 rounding.
  assertSameAtRealPositions(got, { data: numbers(out.output_0), seq: 1024 }, [6, 3], 1024, { abs: 5e-3, rel: 5e-3 }, 'static LLaMA vs the original');
  // A batch of one row: the wrapper adds the dummy row the export needs and drops it again.
  const one = await wrapperHidden(bytes, { ...batch, rows: 1, lengths: [6], ids: batch.ids.slice(0, 6), mask: batch.mask.slice(0, 6) });
  assert.deepEqual(one.dims, [1, 6, 1024]);
  assertSameAtRealPositions(one, { data: numbers(got), seq: 6 }, [6], 1024, { abs: 5e-3, rel: 5e-3 }, 'static LLaMA, one row');
  // More padding (causal): nothing changes at real positions.
  const longer = await wrapperHidden(bytes, repadded(batch, 9, 17));
  assertSameAtRealPositions(longer, { data: numbers(got), seq: 6 }, [6, 3], 1024, { abs: 5e-3, rel: 5e-3 }, 'static LLaMA with more padding');
});

void test('static LLaMA without weight values: the weights stay graph inputs the caller feeds; trainable ones are listed, the rotary buffer is not', () => {
  const model = load('llamaStatic');
  const a = analyzeBackbone(model);
  const w = buildImportedBackbone(model, a, { trainable: 'all' });
  assert.deepEqual(
    w.weightInputs,
    Array.from({ length: 12 }, (_, i) => `backbone/input${i}`),
  );
  assert.equal(w.trainableParams.length, 11);
  assert.ok(!w.trainableParams.includes('backbone/input11'));
  assert.equal(w.initialValues.size, 0, 'no values to start from: the caller has them');
  assert.throws(() => buildImportedBackbone(model, a, { trainable: 'head', weights: { input12: new Float32Array(1) } }), /'input12' is not a weight input/);
  assert.throws(() => buildImportedBackbone(model, a, { trainable: 'head', weights: { input0: new Float32Array(3) } }), BackboneImportError);
});

// ---------------------------------------------------------------------------------------------------
// Training choices

for (const key of ['genaiGpt2', 'genaiLlama'] as const) {
  void test(`${key}: 'all' and {top: 1} throw the clear untrainable error listing the fused ops; 'head' works`, () => {
    const model = load(key);
    const a = analyzeBackbone(model);
    for (const trainable of ['all', { top: 1 }] as const) {
      assert.throws(
        () => buildImportedBackbone(model, a, { trainable }),
        (e: unknown) => {
          assert.ok(e instanceof BackboneImportError);
          assert.equal(e.code, 'untrainable');
          assert.match(e.message, /com\.microsoft::(Attention|MultiHeadAttention)/);
          assert.match(e.message, /com\.microsoft::Skip(Simplified)?LayerNormalization/);
          assert.match(e.message, /Use trainable: 'head'/);
          assert.ok(e.items.some((op) => op.startsWith('com.microsoft::')));
          return true;
        },
      );
    }
    assert.doesNotThrow(() => buildImportedBackbone(model, a, { trainable: 'head' }));
  });
}

void test("opset-11 GPT-2 (FastGelu inside): 'all' trains the embeddings too (one-hot gradient); {top: 1} trains, its weights are graph inputs, and gradients build and run", async () => {
  const model = load('maskOneLayer');
  const a = analyzeBackbone(model);
  {
    const all = buildImportedBackbone(model, a, { trainable: 'all' });
    const tables = all.trainableParams.filter((p) => /wte|wpe/.test(p));
    assert.equal(tables.length, 2, all.trainableParams.join(', '));
    const g = all.builder;
    const loss = g.reduceSum(g.mul(all.hidden, all.hidden), undefined, { keepdims: false });
    const grads = buildGradients(g, { loss, wrt: all.trainableParams });
    for (const p of tables) g.output(grads.get(p)!, `grad:${p}`);
    const feeds: Record<string, Feed> = {};
    for (const [name, t] of all.initialValues) feeds[name] = { type: 'float32', data: tensorToArray(t) as Float32Array, dims: t.dims };
    const out = await run(encodeModel(g.build()), { ...wrapperFeeds(rightPadded([5, 2], 5, 20, 3)), ...feeds }, tables.map((p) => `grad:${p}`));
    for (const p of tables) {
      const d = numbers(out[`grad:${p}`]);
      assert.ok(d.every(Number.isFinite) && d.some((x) => x !== 0), `finite, non-zero gradient for ${p}`);
    }
  }
  const head = wrap(model, a);
  const w = buildImportedBackbone(model, a, { trainable: { top: 1 } });
  assert.equal(w.trainableParams.length, 12);
  assert.ok(w.trainableParams.every((p) => p.startsWith('backbone/transformer.h.0.')));
  assert.deepEqual([...w.initialValues.keys()], w.trainableParams);
  for (const p of w.trainableParams) assert.ok(w.builder.inputs.some((i) => i.name === p), `${p} is a graph input`);
  // loss = sum(hidden²): gradients for every trainable weight.
  const g = w.builder;
  const loss = g.reduceSum(g.mul(w.hidden, w.hidden), undefined, { keepdims: false });
  g.output(w.hidden);
  g.output(loss, 'loss');
  const grads = buildGradients(g, { loss, wrt: w.trainableParams });
  for (const p of w.trainableParams) g.output(grads.get(p)!, `grad:${p}`);
  const batch = rightPadded([5, 2], 5, 20, 3);
  const params: Record<string, Feed> = {};
  for (const [name, t] of w.initialValues) params[name] = { type: 'float32', data: tensorToArray(t) as Float32Array, dims: t.dims };
  const out = await run(encodeModel(g.build()), { ...wrapperFeeds(batch), ...params }, [HIDDEN_STATE, ...w.trainableParams.map((p) => `grad:${p}`)]);
  const frozen = await wrapperHidden(head.bytes, batch);
  assert.deepEqual(Array.from(out[HIDDEN_STATE].data as Float32Array), Array.from(frozen.data as Float32Array), 'trainable inputs fed their initial values give the frozen result');
  for (const p of w.trainableParams) {
    const d = numbers(out[`grad:${p}`]);
    assert.ok(d.every(Number.isFinite), `finite gradient for ${p}`);
    assert.ok(d.some((x) => x !== 0), `non-zero gradient for ${p}`);
  }
});

void test("dynamic LLaMA (opset 18): 'all' trains every parameter, the embedding included; gradients build and run", async () => {
  const model = load('llamaDynamic');
  const a = analyzeBackbone(model);
  const w = buildImportedBackbone(model, a, { trainable: 'all' });
  assert.equal(w.trainableParams.length, 11);
  assert.ok(w.trainableParams.includes('backbone/p_model_embed_tokens_weight'));
  const g = w.builder;
  const loss = g.reduceSum(g.mul(w.hidden, w.hidden), undefined, { keepdims: false });
  g.output(loss, 'loss');
  const grads = buildGradients(g, { loss, wrt: w.trainableParams });
  for (const p of w.trainableParams) g.output(grads.get(p)!, `grad:${p}`);
  const batch = rightPadded([4], 4, 1024, 8);
  const params: Record<string, Feed> = {};
  for (const [name, t] of w.initialValues) params[name] = { type: 'float32', data: tensorToArray(t) as Float32Array, dims: t.dims };
  const out = await run(encodeModel(g.build()), { ...wrapperFeeds(batch), ...params }, ['loss', ...w.trainableParams.map((p) => `grad:${p}`)]);
  assert.ok(Number.isFinite(numbers(out.loss)[0]));
  for (const p of w.trainableParams) assert.ok(numbers(out[`grad:${p}`]).every(Number.isFinite), `finite gradient for ${p}`);
  // Only the 4 real tokens' rows of the embedding get a gradient through the kept positions? No: the
  // loss reads every position, padding included; the rows of ids never used stay exactly zero.
  const emb = numbers(out['grad:backbone/p_model_embed_tokens_weight']);
  const used = new Set([0, ...Array.from(batch.ids, Number)]);
  for (let row = 0; row < 1024; row++) {
    if (used.has(row)) continue;
    for (let k = 0; k < 16; k++) assert.equal(emb[row * 16 + k], 0, `embedding row ${row} is never looked up`);
  }
});

void test('{top: N} beyond the blocks found, or without a block structure, is refused with the reason', () => {
  const model = load('bertToy');
  const a = analyzeBackbone(model);
  assert.throws(() => buildImportedBackbone(model, a, { trainable: { top: 6 } }), /\{top: 6\}, but .* has 5 blocks/);
  const w = buildImportedBackbone(model, a, { trainable: { top: 2 } });
  assert.equal(w.trainableParams.length, 32);
  assert.ok(w.trainableParams.every((p) => /encoder\.layer\.[34]\./.test(p)));
});
