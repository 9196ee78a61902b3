// Shape and dtype inference per op: static, symbolic and unknown dims, numpy broadcasting, values of
// shape tensors, and opset-dependent signatures (axes as attribute or input).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addDims,
  broadcastShapes,
  canonicalDim,
  divDims,
  getInt,
  getInts,
  GraphBuilder,
  mulDims,
  reshapeShape,
  ShapeError,
  type NodeProto,
  type Value,
} from '../../../../src/core/onnx';

const node = (g: GraphBuilder, v: Value): NodeProto => g.producer(v.name)!;
const attrNames = (n: NodeProto): string[] => n.attribute.map((a) => a.name);

test('numpy broadcasting with static, symbolic and unknown dims', () => {
  assert.deepEqual(broadcastShapes([2, 1, 3], [4, 1]), [2, 4, 3]);
  assert.deepEqual(broadcastShapes(['b', 1], [1, 's']), ['b', 's']);
  assert.deepEqual(broadcastShapes(['b'], [3]), [3], 'a static size other than 1 wins');
  assert.deepEqual(broadcastShapes(['a'], ['b']), [null], 'two symbols: either may be 1');
  assert.deepEqual(broadcastShapes([null, 4], [3, 1]), [3, 4]);
  assert.deepEqual(broadcastShapes([], [2, 3]), [2, 3]);
  assert.deepEqual(broadcastShapes(['b*s'], ['s*b']), ['b*s'], 'symbolic products compare canonically');
  assert.equal(broadcastShapes([2], undefined), undefined);
  assert.throws(() => broadcastShapes([3], [4]), ShapeError);
});

test('symbolic dim arithmetic: canonical products and sums, exact division', () => {
  assert.equal(mulDims('seq', 'batch'), 'batch*seq');
  assert.equal(mulDims(2, mulDims('h', 4)), '8*h');
  assert.equal(addDims('seq_len', 'past_seq_len'), 'past_seq_len+seq_len');
  assert.equal(addDims('s', 1), 's+1');
  assert.equal(divDims('8*batch*seq', 'seq'), '8*batch');
  assert.equal(divDims('batch', 'seq'), null);
  assert.equal(canonicalDim('seq_len+past_seq_len'), 'past_seq_len+seq_len');
  assert.deepEqual(reshapeShape(['b', 's', 8], [0, -1, 2, 4], false), ['b', 's', 2, 4]);
  assert.deepEqual(reshapeShape(['b', 's', 8], [-1, 8], false), ['b*s', 8]);
  assert.deepEqual(reshapeShape([2, 3, 4], [0, 0], true), [0, 0], 'allowzero keeps 0');
  assert.throws(() => reshapeShape([2, 3], [-1, 4], false), /do not divide/);
});

test('elementwise ops: broadcasting, dtypes, scalar operands, comparisons give bool', () => {
  const g = new GraphBuilder({ opset: 18 });
  const x = g.input('x', 'float32', ['batch', 'seq', 8]);
  const b = g.initializer('b', new Float32Array(8), [8]);
  assert.deepEqual(g.add(x, b).shape, ['batch', 'seq', 8]);
  const c = g.mul(x, 0.5);
  assert.equal(c.dtype, 'float32');
  assert.equal(node(g, c).input.length, 2);
  assert.equal(g.producer(node(g, c).input[1])!.opType, 'Constant');
  for (const op of ['sqrt', 'neg', 'exp', 'log', 'tanh', 'sigmoid', 'softplus', 'erf', 'relu', 'abs', 'identity'] as const) {
    const y = g[op](x);
    assert.deepEqual([y.dtype, y.shape], ['float32', ['batch', 'seq', 8]], op);
  }
  assert.deepEqual(g.pow(x, 2).shape, x.shape);
  assert.deepEqual(g.div(1, x).shape, x.shape);
  const m = g.input('m', 'float32', ['batch', 1, 'seq']);
  assert.deepEqual(g.sub(g.reshape(x, [0, 0, 8, 1]), m).shape, ['batch', null, 8, 'seq'], "'seq' against 'batch': either may be 1");
  for (const cmp of [g.equal(x, b), g.less(x, 0), g.greater(x, b)]) assert.deepEqual([cmp.dtype, cmp.shape], ['bool', ['batch', 'seq', 8]]);
  assert.equal(g.not(g.less(x, 0)).dtype, 'bool');
  assert.equal(g.and(g.less(x, 1), g.greater(x, 0)).dtype, 'bool');
  const w = g.where(g.less(x, 0), 0, x);
  assert.deepEqual([w.dtype, w.shape], ['float32', ['batch', 'seq', 8]]);
  assert.deepEqual(g.max(x, b, 0).shape, ['batch', 'seq', 8]);
  assert.deepEqual(g.min(x, 1).shape, ['batch', 'seq', 8]);
  assert.deepEqual(g.sum(x, b, x).shape, ['batch', 'seq', 8]);
  assert.deepEqual(g.clip(x, 0, 6).shape, x.shape);
  assert.deepEqual(g.trilu(g.input('sq', 'float32', ['n', 'n'])).shape, ['n', 'n']);
  assert.deepEqual(g.cumSum(x, 1).shape, x.shape);
  const cast = g.cast(x, 'float64');
  assert.deepEqual([cast.dtype, cast.shape], ['float64', x.shape]);
  const d = g.input('d', 'float64', [8]);
  assert.throws(() => g.add(x, d), /Add 'Add_\d+': inputs have different element types \(float32 and float64\)/);
  assert.throws(() => g.add(x, g.input('bad', 'float32', [7])), /cannot broadcast/);
});

test('MatMul and Gemm', () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', ['batch', 'seq', 8]);
  const w = g.initializer('w', new Float32Array(32), [8, 4]);
  assert.deepEqual(g.matmul(x, w).shape, ['batch', 'seq', 4]);
  assert.deepEqual(g.matmul(g.input('v', 'float32', [8]), w).shape, [4]);
  assert.deepEqual(g.matmul(x, g.input('u', 'float32', [8])).shape, ['batch', 'seq']);
  const q = g.input('q', 'float32', [1, 's', 8, 3]);
  const k = g.input('k', 'float32', ['h', 1, 3, 5]);
  assert.deepEqual(g.matmul(q, k).shape, ['h', 's', 8, 5]);
  assert.throws(() => g.matmul(x, g.input('w2', 'float32', [7, 4])), /MatMul inner dimensions.*8 != 7/);
  const a = g.input('a', 'float32', ['n', 8]);
  assert.deepEqual(g.gemm(a, g.input('bt', 'float32', [4, 8]), undefined, { transB: true }).shape, ['n', 4]);
  assert.deepEqual(g.gemm(g.input('at', 'float32', [8, 'n']), w, g.initializer('c', new Float32Array(4), [4]), { transA: true }).shape, ['n', 4]);
});

test('reductions: axes as attribute before opset 13 (ReduceSum) / 18 (the rest), as input from then on', () => {
  for (const [opset, sumInput, meanInput] of [
    [12, false, false],
    [13, true, false],
    [17, true, false],
    [18, true, true],
  ] as const) {
    const g = new GraphBuilder({ opset });
    const x = g.input('x', 'float32', ['b', 's', 8]);
    const s = g.reduceSum(x, [-1]);
    const m = g.reduceMean(x, [1], { keepdims: false });
    const mx = g.reduceMax(x, [0, 2]);
    assert.deepEqual(s.shape, ['b', 's', 1], `opset ${opset}`);
    assert.deepEqual(m.shape, ['b', 8]);
    assert.deepEqual(mx.shape, [1, 's', 1]);
    assert.equal(node(g, s).input.length === 2, sumInput, `ReduceSum axes input at opset ${opset}`);
    assert.equal(attrNames(node(g, s)).includes('axes'), !sumInput);
    assert.equal(node(g, m).input.length === 2, meanInput, `ReduceMean axes input at opset ${opset}`);
    assert.equal(getInt(node(g, m), 'keepdims'), 0);
    if (!meanInput) assert.deepEqual(getInts(node(g, m), 'axes'), [1]);
    assert.deepEqual(g.reduceSum(x).shape, [1, 1, 1], 'no axes: everything');
    assert.deepEqual(g.reduceSum(x, undefined, { keepdims: false }).shape, []);
  }
  const g = new GraphBuilder({ opset: 18 });
  const x = g.input('x', 'float32', ['b', 's', 8]);
  assert.deepEqual(g.reduceSum(x, [], { noopWithEmptyAxes: true }).shape, ['b', 's', 8]);
  // Axes only known at run time: the rank still is.
  const axes = g.input('axes', 'int64', [1]);
  assert.deepEqual(g.reduceMean(x, axes).shape, [null, null, null]);
  assert.deepEqual(g.reduceMean(x, axes, { keepdims: false }).shape, [null, null]);
  const am = g.argMax(x, { axis: -1, keepdims: false });
  assert.deepEqual([am.dtype, am.shape], ['int64', ['b', 's']]);
  assert.deepEqual(g.softmax(x).shape, x.shape);
  assert.deepEqual(g.logSoftmax(x, 1).shape, x.shape);
  assert.throws(() => new GraphBuilder({ opset: 12 }).softmax(x, 1), /needs opset 13/);
});

test('normalization: LayerNormalization outputs, decomposed forms below opset 17, RMS norm', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float16', ['b', 's', 8]);
  const scale = g.initializer('g', new Uint16Array(8), [8], { dtype: 'float16' });
  const [y, mean, inv] = g.node('LayerNormalization', [x, scale], { epsilon: 1e-5 }, { outputs: 3 });
  assert.deepEqual([y.dtype, y.shape], ['float16', ['b', 's', 8]]);
  assert.deepEqual([mean.dtype, mean.shape], ['float32', ['b', 's', 1]], 'Mean/InvStdDev are float32 by spec');
  assert.deepEqual(inv.shape, ['b', 's', 1]);
  assert.equal(node(g, g.layerNorm(x, scale)).opType, 'LayerNormalization');
  const old = new GraphBuilder({ opset: 13 });
  const x2 = old.input('x', 'float32', ['b', 8]);
  const ln = old.layerNorm(x2, old.initializer('g', new Float32Array(8), [8]), old.initializer('b', new Float32Array(8), [8]));
  assert.deepEqual(ln.shape, ['b', 8]);
  assert.ok(!old.nodes.some((n) => n.opType === 'LayerNormalization'));
  assert.deepEqual(g.rmsNorm(x, scale).shape, ['b', 's', 8]);
  const [sy, sinv] = g.node('SimplifiedLayerNormalization', [x, scale], { epsilon: 1e-6 }, { outputs: 2 });
  assert.deepEqual([sy.shape, sinv.shape], [['b', 's', 8], ['b', 's', 1]]);
});

test('Gelu: ai.onnx at opset 20, com.microsoft below it (domain imported), decomposed forms', () => {
  const g20 = new GraphBuilder({ opset: 20 });
  const x = g20.input('x', 'float32', ['b', 4]);
  const y = g20.gelu(x, { approximate: 'tanh' });
  assert.deepEqual([node(g20, y).opType, node(g20, y).domain], ['Gelu', undefined]);
  const g17 = new GraphBuilder({ opset: 17 });
  const x17 = g17.input('x', 'float32', ['b', 4]);
  const y17 = g17.gelu(x17);
  assert.deepEqual([node(g17, y17).opType, node(g17, y17).domain], ['Gelu', 'com.microsoft']);
  assert.equal(node(g17, g17.gelu(x17, { approximate: 'tanh' })).opType, 'FastGelu');
  assert.deepEqual(g17.build().opsetImport, [
    { domain: '', version: 17 },
    { domain: 'com.microsoft', version: 1 },
  ]);
  assert.deepEqual(g17.gelu(x17, { impl: 'decomposed' }).shape, ['b', 4]);
  assert.throws(() => g17.gelu(x17, { impl: 'onnx' }), /needs opset 20/);
});

test('indexing: Gather, GatherElements, ScatterElements', () => {
  const g = new GraphBuilder({ opset: 18 });
  const emb = g.initializer('emb', new Float32Array(40), [10, 4]);
  const ids = g.input('ids', 'int64', ['batch', 'seq']);
  assert.deepEqual(g.gather(emb, ids).shape, ['batch', 'seq', 4]);
  assert.deepEqual(g.gather(emb, g.int64s([1, 2, 3]), 1).shape, [10, 3]);
  assert.deepEqual(g.gather(emb, g.scalar(0, 'int64')).shape, [4]);
  const idx = g.input('idx', 'int64', ['batch', 1]);
  const logits = g.input('logits', 'float32', ['batch', 'classes']);
  assert.deepEqual(g.gatherElements(logits, idx, 1).shape, ['batch', 1]);
  const sc = g.scatterElements(logits, idx, g.input('u', 'float32', ['batch', 1]), { axis: 1, reduction: 'add' });
  assert.deepEqual([sc.dtype, sc.shape], ['float32', ['batch', 'classes']]);
  assert.throws(() => new GraphBuilder({ opset: 15 }).scatterElements(logits, idx, logits, { reduction: 'add' }), /needs opset 16/);
});

test('shape ops: Reshape, Transpose, Unsqueeze/Squeeze (attribute vs input), Concat, Flatten, Tile, Expand', () => {
  for (const opset of [11, 13]) {
    const g = new GraphBuilder({ opset });
    const x = g.input('x', 'float32', ['b', 's', 8]);
    const u = g.unsqueeze(x, [1, -1]);
    assert.deepEqual(u.shape, ['b', 1, 's', 8, 1], `opset ${opset}`);
    assert.equal(node(g, u).input.length, opset >= 13 ? 2 : 1);
    const sq = g.squeeze(u, [1, 4]);
    assert.deepEqual(sq.shape, ['b', 's', 8]);
    assert.equal(attrNames(node(g, sq)).includes('axes'), opset < 13);
    assert.throws(() => g.squeeze(x, [2]), /axis 2 has size 8, not 1/);
  }
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', ['b', 's', 8]);
  assert.deepEqual(g.reshape(x, [0, 0, 2, 4]).shape, ['b', 's', 2, 4]);
  assert.deepEqual(g.reshape(x, [-1, 8]).shape, ['b*s', 8]);
  assert.deepEqual(g.transpose(x).shape, [8, 's', 'b']);
  assert.deepEqual(g.transpose(x, [0, 2, 1]).shape, ['b', 8, 's']);
  assert.deepEqual(g.squeeze(g.input('one', 'float32', [1, 3, 1])).shape, [3]);
  assert.equal(g.squeeze(g.input('sym', 'float32', ['n', 1])).shape, undefined, 'squeeze-all of a symbolic dim: rank unknown');
  const past = g.input('past', 'float32', ['b', 'past', 8]);
  assert.deepEqual(g.concat([past, x], 1).shape, ['b', 'past+s', 8]);
  assert.deepEqual(g.concat([x, x], -1).shape, ['b', 's', 16]);
  assert.throws(() => g.concat([x, g.input('y', 'float32', ['b', 's', 8, 1])], 0), /ranks differ/);
  assert.deepEqual(g.flatten(x).shape, ['b', '8*s']);
  assert.deepEqual(g.flatten(x, 2).shape, ['b*s', 8]);
  assert.deepEqual(g.flatten(x, 0).shape, [1, '8*b*s']);
  assert.deepEqual(g.tile(g.input('t', 'float32', [2, 3]), [2, 1]).shape, [4, 3]);
  assert.deepEqual(g.expand(g.input('e', 'float32', ['b', 1, 4]), [1, 3, 1]).shape, ['b', 3, 4]);
});

test('shape tensors carry values: Shape -> Gather -> Unsqueeze -> Concat -> Reshape resolves symbolically', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', ['batch', 'seq', 8]);
  const shape = g.shape(x);
  assert.deepEqual([shape.dtype, shape.shape], ['int64', [3]]);
  assert.deepEqual(g.knownValue(shape), ['batch', 'seq', 8]);
  const batch = g.gather(shape, g.scalar(0, 'int64'));
  assert.deepEqual(batch.shape, []);
  assert.deepEqual(g.knownValue(batch), ['batch']);
  const target = g.concat([g.unsqueeze(batch, [0]), g.int64s([-1])], 0);
  assert.deepEqual(g.knownValue(target), ['batch', -1]);
  assert.deepEqual(g.reshape(x, target).shape, ['batch', '8*seq']);
  // Arithmetic on shape values: seq * 8, seq + 1.
  const seq = g.gather(shape, g.scalar(1, 'int64'));
  assert.deepEqual(g.knownValue(g.mul(seq, g.scalar(8, 'int64'))), ['8*seq']);
  assert.deepEqual(g.knownValue(g.add(seq, g.scalar(1, 'int64'))), ['seq+1']);
  assert.deepEqual(g.range(0, seq).shape, ['seq'], 'Range(0, seq, 1)');
  assert.deepEqual(g.range(0, 5).shape, [5]);
  assert.deepEqual(g.knownValue(g.range(1, 7, 2)), [1, 3, 5]);
  const ones = g.constantOfShape(shape, 1, 'float64');
  assert.deepEqual([ones.dtype, ones.shape], ['float64', ['batch', 'seq', 8]]);
  assert.deepEqual(g.expand(g.input('row', 'float32', [8]), shape).shape, ['batch', 'seq', 8]);
  const tail = g.shape(x, { start: 1 });
  assert.deepEqual([tail.shape, g.knownValue(tail)], [[2], ['seq', 8]]);
  const c = g.constant([1, 2, 3], 'int32');
  assert.deepEqual([c.dtype, c.shape, g.knownValue(c)], ['int32', [3], [1, 2, 3]]);
});

test('Slice (inputs from opset 10, attributes before), Split (attribute, input, num_outputs), Pad', () => {
  const g = new GraphBuilder({ opset: 13 });
  const x = g.input('x', 'float32', ['b', 10]);
  assert.deepEqual(g.slice(x, [2], [-1], [1]).shape, ['b', 7]);
  assert.deepEqual(g.slice(x, [-1], [-11], [1], [-1]).shape, ['b', 10], 'reverse');
  assert.deepEqual(g.slice(x, [0], [2 ** 63 - 1], [0]).shape, ['b', 10], 'INT64_MAX end on a symbolic dim');
  assert.deepEqual(g.slice(x, [1], [3], [0]).shape, [null, 10], 'a partial slice of a symbolic dim');
  assert.deepEqual(g.slice(x, [0], [100], [1], [3]).shape, ['b', 4]);
  const old = new GraphBuilder({ opset: 9 });
  const xo = old.input('x', 'float32', [4, 10]);
  const so = old.slice(xo, [1], [3], [0]);
  assert.deepEqual(so.shape, [2, 10]);
  assert.deepEqual(getInts(node(old, so), 'starts'), [1]);

  const parts = g.split(x, { axis: 1, sizes: [2, 8] });
  assert.deepEqual(parts.map((p) => p.shape), [['b', 2], ['b', 8]]);
  assert.deepEqual(parts.map((p) => p.name), ['Split_0:0', 'Split_0:1']);
  assert.equal(node(g, parts[0]).input.length, 2, 'split sizes are an input at opset 13');
  assert.deepEqual(g.split(x, { axis: 1, numOutputs: 2 }).map((p) => p.shape), [['b', 5], ['b', 5]]);
  const g18 = new GraphBuilder({ opset: 18 });
  const y = g18.input('y', 'float32', [7]);
  const s18 = g18.split(y, { numOutputs: 2 });
  assert.deepEqual(s18.map((p) => p.shape), [[4], [3]], 'opset 18: uneven last chunk');
  assert.equal(getInt(node(g18, s18[0]), 'num_outputs'), 2);
  const g11 = new GraphBuilder({ opset: 11 });
  const s11 = g11.split(g11.input('z', 'float32', [6]), { sizes: [1, 5] });
  assert.deepEqual(getInts(node(g11, s11[0]), 'split'), [1, 5]);

  assert.deepEqual(g.pad(x, [0, 1, 0, 2]).shape, ['b', 13]);
  assert.deepEqual(g.pad(x, [1, 0, 0, 0], { value: 0 }).shape, ['b+1', 10]);
  assert.deepEqual(g.tile(x, [3, 1]).shape, ['3*b', 10]);
  const p10 = new GraphBuilder({ opset: 10 });
  const pv = p10.pad(p10.input('x', 'float32', [2, 3]), [1, 1, 1, 1], { value: 0.5 });
  assert.deepEqual(pv.shape, [4, 5]);
  assert.deepEqual(attrNames(node(p10, pv)), ['pads', 'value']);
  const c10 = p10.clip(p10.input('c', 'float32', [2]), 0, 1);
  assert.deepEqual(attrNames(node(p10, c10)), ['min', 'max']);
});

test('unknown rank and unknown ops never crash; custom ops take declared output types', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', undefined);
  assert.equal(g.add(x, 1).shape, undefined);
  assert.equal(g.reduceMean(x, [-1]).shape, undefined);
  assert.equal(g.transpose(x).shape, undefined);
  assert.deepEqual(g.flatten(x).shape, [null, null]);
  g.useDomain('my.domain', 1);
  const y = g.op('Mystery', [x], {}, { domain: 'my.domain' });
  assert.deepEqual([y.dtype, y.shape], [undefined, undefined]);
  assert.equal(g.issues.at(-1)?.reason, 'no-rule');
  const z = g.op('Mystery', [x], {}, { domain: 'my.domain', outputTypes: [{ dtype: 'float32', shape: ['n'] }] });
  assert.deepEqual([z.dtype, z.shape], ['float32', ['n']]);
  assert.throws(() => g.op('Mystery', [x], {}, { domain: 'other' }), /not imported/);
  assert.throws(() => g.op('Relu', ['nope']), /unknown input 'nope'/);
});
