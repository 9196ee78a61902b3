// GraphBuilder: graphs run through onnxruntime (CPU) in float32 and float64 and compared with plain
// TypeScript references; names, scopes, determinism; loading exporter models with fromModel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../../src/core/random';
import {
  encodeModel,
  foldOutputIdentities,
  GraphBuilder,
  readModel,
  topologicalOrder,
  type DType,
  type OnnxModel,
  type Value,
} from '../../../../src/core/onnx';
import * as R from '../../../helpers/ndarray';
import { runModel, type Feed, type Fetched } from '../../../helpers/ort';
import { sharedData } from '../../../helpers/paths';

type FloatType = 'float32' | 'float64';
const FLOATS: FloatType[] = ['float32', 'float64'];
const TOL: Record<FloatType, number> = { float32: 2e-5, float64: 1e-12 };

const typed = (dtype: FloatType, a: R.Nd): Float32Array | Float64Array =>
  dtype === 'float32' ? Float32Array.from(a.data) : Float64Array.from(a.data);
const randNd = (shape: number[], rnd: () => number, scale = 1): R.Nd => R.nd(shape, () => (rnd() * 2 - 1) * scale);
const feed = (dtype: FloatType, a: R.Nd): Feed => ({ type: dtype, data: typed(dtype, a), dims: a.shape });
/** Values that are exactly representable in float32, so both precisions see the same inputs. */
const f32 = (a: R.Nd): R.Nd => ({ shape: a.shape, data: Float64Array.from(Float32Array.from(a.data)) });

function close(got: Fetched, want: R.Nd, dtype: FloatType, what: string): void {
  assert.deepEqual(got.dims, want.shape, `${what}: dims`);
  const d = R.maxDiff(got.data as ArrayLike<number>, want);
  assert.ok(d <= TOL[dtype], `${what} (${dtype}): max relative difference ${d.toExponential(2)} > ${TOL[dtype]}`);
}

// ---------------------------------------------------------------------------------------------------

test('reward MLP + Bradley-Terry loss: onnxruntime matches the TypeScript reference in float32 and float64', async () => {
  const rnd = mulberry32(1);
  const [B, D, H] = [4, 6, 5];
  const xc = f32(randNd([B, D], rnd));
  const xr = f32(randNd([B, D], rnd));
  const W1 = f32(randNd([D, H], rnd, 0.7));
  const b1 = f32(randNd([H], rnd, 0.1));
  const W2 = f32(randNd([H, 1], rnd, 0.7));
  for (const dtype of FLOATS) {
    const g = new GraphBuilder({ opset: 17, name: 'bt' });
    const chosen = g.input('chosen', dtype, ['batch', D]);
    const rejected = g.input('rejected', dtype, ['batch', D]);
    const w1 = g.initializer('w1', typed(dtype, W1), [D, H]);
    const bias1 = g.initializer('b1', typed(dtype, b1), [H]);
    const w2 = g.initializer('w2', typed(dtype, W2), [H, 1]);
    const reward = (x: Value): Value =>
      g.scope('head', () => g.squeeze(g.matmul(g.gelu(g.add(g.matmul(x, w1), bias1), { approximate: 'tanh', impl: 'decomposed' }), w2), [1]));
    const rc = reward(chosen);
    const rr = reward(rejected);
    const margin = g.sub(rc, rr);
    assert.deepEqual(margin.shape, ['batch']);
    // -log sigmoid(m) = log(1 + exp(-m)) (ORT CPU has no float64 Softplus).
    const loss = g.reduceMean(g.log(g.add(g.exp(g.neg(margin)), 1)), undefined, { keepdims: false });
    assert.deepEqual(loss.shape, []);
    const acc = g.reduceMean(g.cast(g.greater(margin, 0), dtype), undefined, { keepdims: false });
    g.output(rc, 'reward_chosen');
    g.output(loss, 'loss');
    g.output(acc, 'accuracy');
    if (dtype === 'float32') g.output(g.reduceMean(g.softplus(g.neg(margin)), undefined, { keepdims: false }), 'loss_softplus');
    const out = await runModel(encodeModel(g.build()), { chosen: feed(dtype, xc), rejected: feed(dtype, xr) });

    const geluTanh = (t: number): number => 0.5 * t * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (t + 0.044715 * t ** 3)));
    const ref = (x: R.Nd): R.Nd => R.reshape(R.matmul(R.map(R.add(R.matmul(x, W1), b1), geluTanh), W2), [B]);
    const m = R.sub(ref(xc), ref(xr));
    const refLoss = R.reduce(R.map(m, (t) => Math.log1p(Math.exp(-t))), undefined, false, 'mean');
    close(out.reward_chosen, ref(xc), dtype, 'reward');
    close(out.loss, refLoss, dtype, 'loss');
    close(out.accuracy, R.reduce(R.map(m, (t) => (t > 0 ? 1 : 0)), undefined, false, 'mean'), dtype, 'accuracy');
    if (out.loss_softplus) close(out.loss_softplus, refLoss, dtype, 'softplus loss');
  }
});

test('causal self-attention block (LayerNorm, heads, Trilu mask, Softmax, RMS norm) matches the reference', async () => {
  const rnd = mulberry32(2);
  const [B, T, D, NH] = [2, 5, 8, 2];
  const hd = D / NH;
  const X = f32(randNd([B, T, D], rnd));
  const W = ['q', 'k', 'v', 'o'].map(() => f32(randNd([D, D], rnd, 0.5)));
  const gamma = f32(randNd([D], rnd, 1));
  const beta = f32(randNd([D], rnd, 0.1));
  const s2 = f32(randNd([D], rnd, 1));
  for (const dtype of FLOATS) {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', dtype, ['batch', 'seq', D]);
    const [wq, wk, wv, wo] = ['wq', 'wk', 'wv', 'wo'].map((n, i) => g.initializer(n, typed(dtype, W[i]), [D, D]));
    const y = g.scope('block0', () => {
      const h = g.layerNorm(x, g.initializer('ln.weight', typed(dtype, gamma), [D]), g.initializer('ln.bias', typed(dtype, beta), [D]));
      const heads = (w: Value): Value => g.transpose(g.reshape(g.matmul(h, w), [0, 0, NH, hd]), [0, 2, 1, 3]);
      const [q, k, v] = [heads(wq), heads(wk), heads(wv)];
      assert.deepEqual(q.shape, ['batch', NH, 'seq', hd]);
      const scores = g.mul(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(hd));
      assert.deepEqual(scores.shape, ['batch', NH, 'seq', 'seq']);
      // Causal mask from the runtime sequence length: ones[seq, seq] -> lower triangle -> bool.
      const seq = g.gather(g.shape(x), g.scalar(1, 'int64'));
      const square = g.concat([g.unsqueeze(seq, [0]), g.unsqueeze(seq, [0])], 0);
      const tril = g.trilu(g.constantOfShape(square, 1, dtype), { upper: false });
      assert.deepEqual(tril.shape, ['seq', 'seq']);
      const p = g.softmax(g.where(g.greater(tril, 0.5), scores, -1e9));
      const o = g.reshape(g.transpose(g.matmul(p, v), [0, 2, 1, 3]), [0, 0, D]);
      assert.deepEqual(o.shape, ['batch', 'seq', D]);
      return g.rmsNorm(g.add(x, g.matmul(o, wo)), g.initializer('norm.weight', typed(dtype, s2), [D]), { epsilon: 1e-6 });
    });
    assert.equal(y.name.startsWith('block0/'), true);
    g.output(y, 'y');
    const out = await runModel(encodeModel(g.build()), { x: feed(dtype, X) });

    const h = R.layerNorm(X, gamma, beta, 1e-5);
    const heads = (w: R.Nd): R.Nd => R.transpose(R.reshape(R.matmul(h, w), [B, T, NH, hd]), [0, 2, 1, 3]);
    const [q, k, v] = [heads(W[0]), heads(W[1]), heads(W[2])];
    const scores = R.map(R.matmul(q, R.transpose(k, [0, 1, 3, 2])), (t) => t / Math.sqrt(hd));
    const mask = R.nd([T, T], (i) => (i % T <= Math.floor(i / T) ? 1 : 0));
    const p = R.softmax(R.where(mask, scores, R.scalar(-1e9)));
    const o = R.reshape(R.transpose(R.matmul(p, v), [0, 2, 1, 3]), [B, T, D]);
    const res = R.add(X, R.matmul(o, W[3]));
    const rms = R.map(R.reduce(R.mul(res, res), [-1], true, 'mean'), (t) => Math.sqrt(t + 1e-6));
    close(out.y, R.mul(R.div(res, rms), s2), dtype, 'attention block');
  }
});

test('embedding, masked mean pooling, last-token gather and shape ops match the reference', async () => {
  const rnd = mulberry32(3);
  const [B, T, V, D] = [3, 6, 11, 4];
  const E = f32(randNd([V, D], rnd));
  const ids = Array.from({ length: B * T }, () => Math.floor(rnd() * V));
  const lens = [6, 3, 1];
  const mask = Array.from({ length: B * T }, (_, i) => (i % T < lens[Math.floor(i / T)] ? 1 : 0));
  for (const dtype of FLOATS) {
    const g = new GraphBuilder({ opset: 18 });
    const idsV = g.input('input_ids', 'int64', ['batch', 'seq']);
    const maskV = g.input('attention_mask', 'int64', ['batch', 'seq']);
    const e = g.gather(g.initializer('emb', typed(dtype, E), [V, D]), idsV);
    assert.deepEqual(e.shape, ['batch', 'seq', D]);
    const m3 = g.unsqueeze(g.cast(maskV, dtype), [-1]);
    const pooled = g.div(g.reduceSum(g.mul(e, m3), [1], { keepdims: false }), g.reduceSum(m3, [1], { keepdims: false }));
    assert.deepEqual(pooled.shape, ['batch', D]);
    // Last real token: lengths - 1, expanded over the hidden axis, GatherElements on axis 1.
    const last = g.sub(g.reduceSum(maskV, [1]), g.scalar(1, 'int64'));
    const idx = g.expand(g.unsqueeze(last, [-1]), g.concat([g.slice(g.shape(e), [0], [1]), g.int64s([1, D])], 0));
    assert.deepEqual(idx.shape, ['batch', 1, D]);
    const lastTok = g.squeeze(g.gatherElements(e, idx, 1), [1]);
    assert.deepEqual(lastTok.shape, ['batch', D]);
    const both = g.concat([pooled, lastTok], -1);
    const [left, right] = g.split(both, { axis: 1, numOutputs: 2 });
    const padded = g.pad(g.slice(left, [1], [D], [1]), [0, 1, 0, 0]);
    const mixed = g.add(g.clip(g.abs(g.sub(padded, right)), 0, 0.75), g.max(right, 0));
    const positions = g.cumSum(g.cast(maskV, dtype), 1);
    g.output(pooled, 'pooled');
    g.output(lastTok, 'last');
    g.output(mixed, 'mixed');
    g.output(positions, 'positions');
    g.output(g.argMax(pooled, { axis: -1, keepdims: false }), 'argmax');
    g.output(g.flatten(g.tile(g.unsqueeze(pooled, [1]), [1, 2, 1])), 'tiled');
    const out = await runModel(encodeModel(g.build()), {
      input_ids: { type: 'int64', data: BigInt64Array.from(ids, BigInt), dims: [B, T] },
      attention_mask: { type: 'int64', data: BigInt64Array.from(mask, BigInt), dims: [B, T] },
    });

    const eR = R.gather(E, ids, [B, T]);
    const mR = R.reshape(R.nd([B, T], mask), [B, T, 1]);
    const pooledR = R.div(R.reduce(R.mul(eR, mR), [1], false, 'sum'), R.reduce(mR, [1], false, 'sum'));
    const lastR = R.nd([B, D], (i) => eR.data[(Math.floor(i / D) * T + lens[Math.floor(i / D)] - 1) * D + (i % D)]);
    const leftR = R.sliceAxis(pooledR, 1, 0, D);
    const paddedR = R.concat([R.nd([B, 1]), R.sliceAxis(leftR, 1, 1, D)], 1); // pads [0, 1, 0, 0]: one column in front
    const mixedR = R.add(R.map(R.sub(paddedR, lastR), (t) => Math.min(Math.abs(t), 0.75)), R.map(lastR, (t) => Math.max(t, 0)));
    close(out.pooled, pooledR, dtype, 'pooled');
    close(out.last, lastR, dtype, 'last token');
    close(out.mixed, mixedR, dtype, 'concat/split/slice/pad/clip/abs/max');
    close(out.positions, R.cumsum(R.nd([B, T], mask), 1), dtype, 'cumsum');
    close(out.tiled, R.reshape(R.concat([pooledR, pooledR], 1), [B, 2 * D]), dtype, 'tile/flatten');
    const am = out.argmax.data as BigInt64Array;
    for (let b = 0; b < B; b++) {
      const row = Array.from(pooledR.data.subarray(b * D, (b + 1) * D));
      assert.equal(Number(am[b]), row.indexOf(Math.max(...row)), 'argmax');
    }
  }
});

test('ScatterElements(reduction=add) with repeated indices is exact on 1 and 2 threads (embedding gradient)', async () => {
  const rnd = mulberry32(4);
  const [V, D, N] = [16, 8, 200];
  // Skewed, heavily repeated rows, expanded over the row as the autodiff's Gather gradient will do.
  const rows = Array.from({ length: N }, () => Math.floor(rnd() ** 3 * V));
  const U = f32(randNd([N, D], rnd));
  for (const dtype of FLOATS) {
    const g = new GraphBuilder({ opset: 18 });
    const updates = g.input('updates', dtype, [N, D]);
    const index = g.input('rows', 'int64', [N, 1]);
    const idx = g.expand(index, [N, D]);
    const zeros = g.constantOfShape([V, D], 0, dtype);
    g.output(g.scatterElements(zeros, idx, updates, { axis: 0, reduction: 'add' }), 'grad');
    const bytes = encodeModel(g.build());
    const want = R.nd([V, D]);
    rows.forEach((r, i) => {
      for (let j = 0; j < D; j++) want.data[r * D + j] += U.data[i * D + j];
    });
    for (const threads of [1, 2]) {
      for (let run = 0; run < 3; run++) {
        const out = await runModel(bytes, { updates: feed(dtype, U), rows: { type: 'int64', data: BigInt64Array.from(rows, BigInt), dims: [N, 1] } }, { threads });
        close(out.grad, want, dtype, `scatter-add, ${threads} threads, run ${run}`);
      }
    }
  }
});

test('names are readable and scoped; the same build twice is byte-identical', () => {
  const build = (): { model: OnnxModel; names: string[] } => {
    const g = new GraphBuilder({ opset: 17, name: 'det' });
    const x = g.input('x', 'float32', ['b', 4]);
    const w = g.scope('layer0', () => g.initializer('weight', new Float32Array(16).fill(0.5), [4, 4]));
    const y = g.scope('layer0', () => g.scope('mlp', () => g.relu(g.add(g.matmul(x, w), 1))));
    const z = g.scope('layer0', () => g.matmul(y, w));
    g.output(g.add(z, 1), 'out');
    return { model: g.build(), names: g.nodes.map((n) => n.name!) };
  };
  const a = build();
  const b = build();
  assert.deepEqual(a.names, ['layer0/mlp/MatMul_0', 'layer0/mlp/Constant_0', 'layer0/mlp/Add_0', 'layer0/mlp/Relu_0', 'layer0/MatMul_0', 'Add_0', 'Identity_0']);
  assert.equal(a.model.graph.initializer[0].name, 'layer0/weight');
  assert.equal(a.model.graph.node[1].output[0], 'layer0/mlp/Constant_0', 'value names follow node names');
  assert.equal(a.model.graph.node[5].input[1], 'layer0/mlp/Constant_0', 'identical small constants are shared');
  assert.deepEqual(a.model.graph.output.map((o) => o.name), ['out']);
  assert.ok(Buffer.from(encodeModel(a.model)).equals(encodeModel(b.model)), 'byte-identical');
  assert.ok(Buffer.from(encodeModel(a.model)).equals(encodeModel(build().model)));
  const g = new GraphBuilder();
  g.input('x', 'float32', [1]);
  assert.throws(() => g.input('x', 'float32', [1]), /already used/);
  assert.throws(() => g.scope('a/b', () => 0), /Invalid scope/);
});

test('build() output: IR version follows the opset, outputs carry inferred types, value_info on request', () => {
  for (const [opset, ir] of [
    [11, 6],
    [13, 7],
    [17, 8],
    [18, 8],
    [20, 9],
    [21, 10],
  ]) {
    assert.equal(new GraphBuilder({ opset }).build().irVersion, ir, `opset ${opset}`);
  }
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float64', ['n', 3]);
  g.output(g.reduceSum(g.mul(x, x), [-1], { keepdims: false }), 'sq');
  const m = g.build({ valueInfo: true });
  assert.deepEqual(m.graph.output[0].type, { tensorType: { elemType: 11, shape: { dim: [{ dimParam: 'n' }] } } });
  assert.ok(m.graph.valueInfo.some((v) => v.name === 'Mul_0'));
  assert.equal(g.build().graph.valueInfo.length, 0);
});

test('initializerToInput turns weights into graph inputs (how a training step receives parameters)', async () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float64', ['n', 2]);
  const w = g.initializer('w', new Float64Array([1, 2, 3, 4]), [2, 2]);
  g.output(g.matmul(x, w), 'y');
  const init = g.initializerToInput('w');
  assert.deepEqual(g.inputs.map((v) => [v.name, v.dtype, v.shape]), [
    ['x', 'float64', ['n', 2]],
    ['w', 'float64', [2, 2]],
  ]);
  assert.deepEqual(g.initializerNames, []);
  const out = await runModel(encodeModel(g.build()), {
    x: { type: 'float64', data: new Float64Array([1, 1]), dims: [1, 2] },
    w: { type: 'float64', data: new Float64Array(init.rawData!.buffer.slice(init.rawData!.byteOffset, init.rawData!.byteOffset + 32)), dims: [2, 2] },
  });
  assert.deepEqual(Array.from(out.y.data as Float64Array), [4, 6]);
});

// ---------------------------------------------------------------------------------------------------
// fromModel on exporter files

const GPT2_BERT = [
  'ort__gpt2_past.onnx',
  'ort__gpt2_megatron.onnx',
  'ort__gpt2_past_mask_one_layer.onnx',
  'genai__tiny-random-gpt2-fp32__past.onnx',
  'ort__bert_toy_optimized.onnx',
  'ort__TFBertForQuestionAnswering.onnx',
  'optimum__tiny_distilbert_model.onnx',
];

test('fromModel on the shared GPT-2/BERT files: shapes inferred where possible, unknown ops reported', (t) => {
  for (const f of GPT2_BERT) {
    const model = readModel(sharedData('onnx', f));
    const g = GraphBuilder.fromModel(model);
    let full = 0;
    let partial = 0;
    let rankUnknown = 0;
    for (const n of model.graph.node) {
      for (const o of n.output) {
        if (!o) continue;
        const s = g.value(o).shape;
        if (s === undefined) rankUnknown++;
        else if (s.some((d) => d === null)) partial++;
        else full++;
      }
    }
    const unknownOps = [...new Set(g.issues.map((i) => `${i.domain ? i.domain + '::' : ''}${i.opType} (${i.reason})`))];
    t.diagnostic(`${f}: ${full} values fully known, ${partial} partly, ${rankUnknown} rank unknown; ops without a rule or failing: ${unknownOps.join(', ') || 'none'}`);
    assert.deepEqual(g.issues.filter((i) => i.reason === 'error'), [], `${f}: no inference errors`);
    for (const o of g.outputs) assert.ok(o.shape !== undefined && o.dtype !== undefined, `${f}: output ${o.name} has a known rank and type`);
    // Nothing added: the model comes back byte for byte.
    assert.ok(Buffer.from(encodeModel(g.build())).equals(encodeModel(model)), `${f}: fromModel(m).build() == m`);
  }
  // Standard-op exports are inferred completely (rank and dtype of every value).
  for (const f of ['ort__gpt2_past.onnx', 'ort__TFBertForQuestionAnswering.onnx', 'ort__bert_toy_optimized.onnx', 'optimum__tiny_distilbert_model.onnx']) {
    const model = readModel(sharedData('onnx', f));
    const g = GraphBuilder.fromModel(model);
    assert.deepEqual(g.issues, [], f);
    for (const n of model.graph.node) for (const o of n.output) if (o) assert.ok(g.value(o).shape !== undefined && g.value(o).dtype, `${f}: ${o}`);
  }
  const tf = GraphBuilder.fromModel(readModel(sharedData('onnx', 'ort__TFBertForQuestionAnswering.onnx')));
  assert.deepEqual(tf.value('output_1').shape, ['batch_size', 7]);
});

test('fromModel + a new head: DistilBERT logits -> linear reward, run in onnxruntime', async () => {
  const path = sharedData('onnx', 'optimum__tiny_distilbert_model.onnx');
  const g = GraphBuilder.fromModel(readModel(path));
  const logits = g.value('logits');
  assert.deepEqual([logits.dtype, logits.shape], ['float32', ['batch', 2]]);
  const head = g.scope('reward_head', () => g.add(g.matmul(logits, g.initializer('w', new Float32Array([0.5, -2]), [2, 1])), 0.25));
  assert.equal(head.name, 'reward_head/Add_0');
  assert.deepEqual(head.shape, ['batch', 1]);
  g.output(head, 'reward');
  const ids = BigInt64Array.from([1, 5, 7, 2, 0, 3, 3, 9, 4, 6], BigInt);
  const feeds = {
    input_ids: { type: 'int64', data: ids, dims: [2, 5] },
    attention_mask: { type: 'int64', data: new BigInt64Array(10).fill(1n), dims: [2, 5] },
  };
  const out = await runModel(encodeModel(g.build()), feeds);
  const l = out.logits.data as Float32Array;
  const r = out.reward.data as Float32Array;
  for (let b = 0; b < 2; b++) assert.ok(Math.abs(r[b] - (l[2 * b] * 0.5 - 2 * l[2 * b + 1] + 0.25)) < 1e-5);
  const original = await runModel(path, feeds);
  assert.deepEqual(Array.from(original.logits.data as Float32Array), Array.from(l), 'the backbone is unchanged');
});

test('graph queries: producer, consumers, topological order of an unsorted exporter graph', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', [2]);
  const a = g.relu(x);
  const b = g.mul(x, x);
  const c = g.add(a, b);
  assert.deepEqual(g.consumers('x').map((n) => n.name), ['Relu_0', 'Mul_0']);
  assert.equal(g.producer(c.name)!.opType, 'Add');
  assert.equal(g.producer('x'), undefined);
  // ORT-optimized and exporter files are not always saved in topological order.
  const model = readModel(sharedData('onnx', 'ort__gpt2_past.onnx'));
  const pos = new Map<string, number>();
  model.graph.node.forEach((n, i) => n.output.forEach((o) => pos.set(o, i)));
  const late = model.graph.node.filter((n, i) => n.input.some((x) => (pos.get(x) ?? -1) > i)).length;
  assert.ok(late > 0, 'the file has consumers before producers');
  const order = topologicalOrder(model.graph.node);
  assert.equal(new Set(order).size, model.graph.node.length);
  const seen = new Set([...model.graph.input.map((v) => v.name), ...model.graph.initializer.map((t) => t.name!)]);
  for (const n of order) {
    for (const i of n.input) assert.ok(!i || seen.has(i) || !pos.has(i), `${n.name} reads ${i} before it is produced`);
    n.output.forEach((o) => seen.add(o));
  }
  const gg = GraphBuilder.fromModel(model);
  assert.equal(gg.consumers('input_ids').length, GraphBuilder.fromModel(model).consumers('input_ids').length);
  assert.ok(gg.consumers('input_ids').length > 0);
});

test('dtype helpers accept every float type the autodiff needs', () => {
  const g = new GraphBuilder({ opset: 17 });
  for (const dtype of ['float32', 'float64', 'float16'] as DType[]) {
    const x = g.input(`x_${dtype}`, dtype, [2]);
    assert.equal(g.mul(x, 2).dtype, dtype);
  }
});

test('foldOutputIdentities: an output that other nodes also read is renamed, not copied; same results; inputs, aliases and subgraphs keep their Identity', async () => {
  const g = new GraphBuilder({ opset: 17, name: 'fold' });
  const x = g.input('x', 'float32', [3]);
  const m = g.add(g.mul(x, 2), 1); // also read below: ORT keeps an Identity naming it
  g.output(m, 'new.m');
  const y = g.mul(m, m);
  g.output(y, 'y');
  g.output(y, 'y_again'); // one value under two names: the second needs its copy
  g.output(x, 'x_out'); // a graph input as output: kept
  const model = g.build();
  const folded = foldOutputIdentities(model);
  const identities = (mm: OnnxModel): string[][] => mm.graph.node.filter((n) => n.opType === 'Identity').map((n) => [...n.input, ...n.output]);
  assert.deepEqual(identities(model).length, 4);
  assert.deepEqual(identities(folded), [['y', 'y_again'], ['x', 'x_out']]);
  // The renamed value is produced under its output name and read by Mul under it.
  assert.ok(folded.graph.node.some((n) => n.opType === 'Add' && n.output[0] === 'new.m'));
  assert.ok(folded.graph.node.some((n) => n.opType === 'Mul' && n.input[0] === 'new.m' && n.input[1] === 'new.m'));
  assert.deepEqual(folded.graph.output.map((o) => o.name), model.graph.output.map((o) => o.name));
  assert.deepEqual(topologicalOrder(folded.graph.node).length, folded.graph.node.length);
  const feeds = { x: { type: 'float32' as const, data: Float32Array.of(1, -2, 0.5), dims: [3] } };
  const a = await runModel(encodeModel(model), feeds);
  const b = await runModel(encodeModel(folded), feeds);
  for (const k of ['new.m', 'y', 'y_again', 'x_out']) assert.deepEqual(Array.from(b[k].data), Array.from(a[k].data), k);
  assert.deepEqual(Array.from(b['new.m'].data), [3, -3, 2]);
  // A graph with a subgraph is left as it is (a subgraph may read the old name from the outer scope).
  const withIf = structuredClone(model);
  withIf.graph.node[0].attribute.push({ name: 'then_branch', type: 5, g: structuredClone(model.graph), floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] } as never);
  assert.equal(foldOutputIdentities(withIf), withIf);
});
