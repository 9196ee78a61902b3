// buildGradients as an API: errors that name the op and node, listUntrainableOps, pruning, summed
// gradients of shared values, zeros for disconnected values, deterministic names, the one-Gemm weight
// gradient, seeds, and the checks on its arguments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradients, gradientPath, listUntrainableOps, UnsupportedGradientError } from '../../../../src/core/autodiff';
import { encodeModel, GraphBuilder, type Value } from '../../../../src/core/onnx';
import { runModel } from '../../../helpers/ort';

const sumAll = (g: GraphBuilder, v: Value): Value => g.reduceSum(v, undefined, { keepdims: false });

/** x [2, 4] -> MatMul w1 -> com.microsoft::Attention (no rule) -> MatMul w2 -> loss. */
function fusedGraph(): { g: GraphBuilder; loss: Value } {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', [2, 4]);
  const w1 = g.initializer('w1', new Float32Array(16).fill(0.1), [4, 4]);
  const w2 = g.initializer('w2', new Float32Array(16).fill(0.2), [4, 4]);
  const h = g.matmul(x, w1);
  const a = g.op('Attention', [h], {}, { domain: 'com.microsoft', name: 'Attention_0', outputTypes: [{ dtype: 'float32', shape: [2, 4] }] });
  const loss = sumAll(g, g.tanh(g.matmul(a, w2)));
  return { g, loss };
}

void test('an op without a rule on the path: UnsupportedGradientError naming op and node, with what to do, and nothing added', () => {
  const { g, loss } = fusedGraph();
  const before = g.nodes.length;
  assert.throws(
    () => buildGradients(g, { loss, wrt: ['w1', 'w2'] }),
    (e: unknown) => {
      assert.ok(e instanceof UnsupportedGradientError);
      assert.equal(e.op, 'com.microsoft::Attention');
      assert.equal(e.node, 'Attention_0');
      assert.match(e.message, /^no gradient rule for com\.microsoft::Attention \(node 'Attention_0'\) — .*freeze the layers below.*export the model without fused ops/);
      assert.deepEqual(e.untrainable, [{ op: 'com.microsoft::Attention', nodes: ['Attention_0'], reason: 'no gradient rule' }]);
      return true;
    },
  );
  assert.equal(g.nodes.length, before, 'a refused build adds no nodes');
});

void test('the same graph trains when only parameters after the unsupported op are trained', () => {
  const { g, loss } = fusedGraph();
  const grads = buildGradients(g, { loss, wrt: ['w2'] });
  assert.ok(grads.get('w2'));
  assert.ok(!g.nodes.some((n) => n.name?.startsWith('MatMul_0_grad')), 'no backward nodes below the trained parameters');
});

void test('rules that refuse a node say why: Pad reflect, Gather below opset 16, Dropout in training mode', () => {
  const cases: [string, (g: GraphBuilder, x: Value) => Value, number, RegExp][] = [
    ['Pad', (g, x) => g.pad(x, [1, 1, 1, 1], { mode: 'reflect' }), 17, /^cannot differentiate Pad \(node 'Pad_0'\): Pad mode 'reflect' \(only 'constant' is supported\) — freeze/],
    ['Gather', (g, x) => g.gather(x, g.int64s([0, 0]), 1), 15, /^cannot differentiate Gather \(node 'Gather_0'\): .*indices that may repeat .*opset 16.*this graph is opset 15.*freeze this tensor$/],
    [
      'Dropout',
      (g, x) => g.node('Dropout', [x, g.scalar(0.1, 'float32'), g.input('train', 'bool', [])], {}, { outputs: 2 })[0],
      17,
      /Dropout in training mode/,
    ],
  ];
  for (const [op, build, opset, message] of cases) {
    const g = new GraphBuilder({ opset });
    const x = g.input('x', 'float32', [3, 4]);
    const loss = sumAll(g, build(g, x));
    assert.throws(() => buildGradients(g, { loss, wrt: ['x'] }), (e: unknown) => e instanceof UnsupportedGradientError && e.op === op && message.test(e.message), op);
  }
});

void test('listUntrainableOps groups blocking ops (closest to the loss first), from a builder or a model, to the outputs or a loss', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', [2, 4]);
  let h: Value = x;
  for (let i = 0; i < 2; i++) {
    h = g.op('Attention', [g.matmul(h, g.initializer(`w${i}`, new Float32Array(16), [4, 4]))], {}, { domain: 'com.microsoft', outputTypes: [{ dtype: 'float32', shape: [2, 4] }] });
  }
  const top = g.op('TopK', [h, g.int64s([2])], {}, { outputTypes: [{ dtype: 'float32', shape: [2, 2] }] });
  g.output(top, 'y');
  g.useDomain('my.ops', 1);
  const side = g.output(g.op('Custom', [x], {}, { domain: 'my.ops', outputTypes: [{ dtype: 'float32', shape: [2, 4] }] }), 'side');
  const want = [
    { op: 'TopK', nodes: ['TopK_0'], reason: 'no gradient rule' },
    { op: 'com.microsoft::Attention', nodes: ['Attention_1', 'Attention_0'], reason: 'no gradient rule' },
  ];
  assert.deepEqual(listUntrainableOps(g, ['w0', 'w1']), want);
  assert.deepEqual(listUntrainableOps(g.build(), ['w0', 'w1']), want, 'from an OnnxModel');
  assert.deepEqual(listUntrainableOps(g, ['w1'], { loss: 'y' }).map((u) => u.nodes), [['TopK_0'], ['Attention_1']]);
  assert.deepEqual(listUntrainableOps(g, ['x'], { loss: side.name }).map((u) => u.op), ['my.ops::Custom']);
  assert.deepEqual(listUntrainableOps(g, ['x'], { loss: side.name })[0].reason, 'no gradient rule');
  // An op with only integer outputs blocks nothing: no gradient can flow through it anyway.
  const g2 = new GraphBuilder({ opset: 17, domains: { 'my.ops': 1 } });
  const a = g2.input('a', 'float32', [3]);
  const idx = g2.op('Bucketize', [a], {}, { domain: 'my.ops', outputTypes: [{ dtype: 'int64', shape: [3] }] });
  g2.output(g2.add(g2.cast(idx, 'float32'), a), 'out');
  assert.deepEqual(listUntrainableOps(g2, ['a']), []);
});

void test('a parameter that does not reach the loss gets zeros and is flagged; one reaching it only through Shape too', async () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float64', [2, 3]);
  const unused = g.initializer('unused', new Float64Array([1, 2, 3]), [3]);
  const shapeOnly = g.initializer('shape_only', new Float64Array(6), [2, 3]);
  void unused;
  const y = g.reshape(g.mul(x, x), g.shape(shapeOnly));
  const grads = buildGradients(g, { loss: sumAll(g, y), wrt: ['x', 'unused', 'shape_only'] });
  assert.deepEqual(grads.disconnected, ['unused', 'shape_only']);
  for (const [k, v] of grads) g.output(v, `grad_${k}`);
  const out = await runModel(encodeModel(g.build()), { x: { type: 'float64', data: new Float64Array([1, 2, 3, 4, 5, 6]), dims: [2, 3] } });
  assert.deepEqual(Array.from(out.grad_x.data as Float64Array), [2, 4, 6, 8, 10, 12]);
  assert.deepEqual(Array.from(out.grad_unused.data as Float64Array), [0, 0, 0]);
  assert.deepEqual([...out.grad_shape_only.dims], [2, 3]);
});

void test('pruning: frozen branches and outputs that do not lead to the loss get no backward nodes', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.initializer('w', new Float32Array(12), [3, 4]);
  const frozen = g.initializer('frozen', new Float32Array(12), [3, 4]);
  const trained = g.matmul(x, w); // MatMul_0
  const fixed = g.matmul(x, frozen); // MatMul_1
  const other = g.output(g.exp(trained), 'other'); // Exp_0: not part of the loss
  void other;
  const loss = sumAll(g, g.tanh(g.add(trained, fixed)));
  const path = gradientPath(g, [loss.name], ['w']);
  assert.deepEqual(
    path.nodes.map((n) => n.name),
    ['MatMul_0', 'Add_0', 'Tanh_0', 'ReduceSum_0'],
  );
  buildGradients(g, { loss, wrt: ['w'] });
  const scopes = new Set(g.nodes.map((n) => n.name!.split('/')[0]).filter((s) => s.endsWith('_grad')));
  // (Add of equal shapes passes the gradient through without nodes.)
  assert.deepEqual([...scopes].sort(), ['MatMul_0_grad', 'ReduceSum_0_grad', 'Tanh_0_grad']);
  // The input x needs no gradient: MatMul_0's backward computes only dW (one Gemm).
  assert.deepEqual(
    g.nodes.filter((n) => n.name!.startsWith('MatMul_0_grad/')).map((n) => n.opType),
    ['Gemm'],
  );
});

void test('gradients of a value used several times are summed once, under <value>_grad', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', [3]);
  const h = g.tanh(x); // Tanh_0, used three times
  const loss = sumAll(g, g.sum(g.mul(h, 2), g.exp(h), g.neg(h)));
  buildGradients(g, { loss, wrt: ['x'] });
  const sums = g.nodes.filter((n) => n.name!.startsWith('Tanh_0_grad/') && (n.opType === 'Sum' || n.opType === 'Add'));
  assert.equal(sums.length, 1);
  assert.equal(sums[0].opType, 'Sum');
  assert.equal(sums[0].input.length, 3);
});

void test('names are deterministic: <node>_grad/..., the same bytes from the same build; exporter-style names keep their path', () => {
  const build = (): Uint8Array => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', 'float32', ['batch', 4]);
    const w = g.initializer('w', new Float32Array(8), [4, 2]);
    const y = g.op('MatMul', [x, w], {}, { name: '/model/layers.0/mlp/MatMul' });
    const loss = sumAll(g, g.softmax(y));
    const before = g.nodes.length;
    const grads = buildGradients(g, { loss, wrt: ['w', 'x'] });
    g.output(grads.get('w')!, 'dw');
    for (const n of g.nodes.slice(before)) assert.match(n.name!, /^(\S+_grad\/|Identity_)/, n.name);
    assert.ok(g.nodes.some((n) => n.name!.startsWith('model/layers.0/mlp/MatMul_grad/')), 'leading / dropped, path kept');
    return encodeModel(g.build());
  };
  assert.deepEqual(build(), build());
});

void test('the weight gradient of [B, T, K] x [K, N] is one Gemm over flattened rows (no batched MatMul + ReduceSum)', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', ['batch', 'seq', 64]);
  const w = g.initializer('w', new Float32Array(64 * 32), [64, 32]);
  const loss = sumAll(g, g.tanh(g.matmul(x, w)));
  const grads = buildGradients(g, { loss, wrt: ['w', 'x'] });
  const ops = g.nodes.filter((n) => n.name!.startsWith('MatMul_0_grad/')).map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'Gemm').length, 1, ops.join(', '));
  assert.ok(!ops.includes('ReduceSum'), ops.join(', '));
  const dw = grads.get('w')!;
  assert.equal(g.producer(dw.name)!.opType, 'Gemm');
  assert.deepEqual(dw.shape, [64, 32]);
  assert.deepEqual(grads.get('x')!.shape, ['batch', 'seq', 64]);
});

void test('a seed gives vector-Jacobian products of a non-scalar output', async () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float64', [3]);
  const seed = g.input('seed', 'float64', [3]);
  const y = g.mul(g.mul(x, x), 3); // dy/dx = 6x
  g.output(buildGradients(g, { loss: y, wrt: ['x'], seed }).get('x')!, 'vjp');
  const out = await runModel(encodeModel(g.build()), {
    x: { type: 'float64', data: new Float64Array([1, 2, 3]), dims: [3] },
    seed: { type: 'float64', data: new Float64Array([1, 10, 100]), dims: [3] },
  });
  assert.deepEqual(Array.from(out.vjp.data as Float64Array), [6, 120, 1800]);
});

void test('argument checks: non-scalar loss without a seed, integer wrt, unknown names, ancient opsets', () => {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', 'float32', [3]);
  const ids = g.input('ids', 'int64', [3]);
  const y = g.add(x, g.cast(ids, 'float32'));
  assert.throws(() => buildGradients(g, { loss: y, wrt: ['x'] }), /has shape \[3\], not a scalar: reduce it, or pass a seed/);
  assert.throws(() => buildGradients(g, { loss: sumAll(g, y), wrt: ['ids'] }), /'ids' is int64: only float values have gradients/);
  assert.throws(() => buildGradients(g, { loss: sumAll(g, y), wrt: ['nope'] }), /no value named 'nope'/);
  assert.throws(() => buildGradients(g, { loss: g.cast(sumAll(g, y), 'int64'), wrt: ['x'] }), /must be a float tensor/);
  const old = new GraphBuilder({ opset: 8 });
  const z = old.input('z', 'float32', [2]);
  assert.throws(() => buildGradients(old, { loss: old.reduceSum(z, undefined, { keepdims: false }), wrt: ['z'] }), /opset 8 graphs are not supported/);
});

void test('broadcasting over an operand of unknown rank below opset 13 fails clearly, naming the node', () => {
  const g = new GraphBuilder({ opset: 12 });
  const a = g.input('a', 'float32', undefined);
  const b = g.input('b', 'float32', ['m', 3]);
  const loss = sumAll(g, g.add(a, b));
  assert.throws(
    () => buildGradients(g, { loss, wrt: ['a'] }),
    (e: unknown) => e instanceof UnsupportedGradientError && e.op === 'Add' && e.node === 'Add_0' && /ReduceSum takes runtime axes only from opset 13/.test(e.message),
  );
});

void test('LayerNormalization with Mean/InvStdDev outputs: the gradient reads them (float32) instead of recomputing the statistics; float64 recomputes', () => {
  const reductions = (dtype: 'float32' | 'float64', stats: boolean): number => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', dtype, ['rows', 8]);
    const scale = g.input('scale', dtype, [8]);
    const bias = g.input('bias', dtype, [8]);
    const loss = sumAll(g, g.tanh(g.layerNorm(x, scale, bias, { impl: 'op', stats })));
    const before = g.nodes.length;
    buildGradients(g, { loss, wrt: ['x', 'scale', 'bias'] });
    return g.nodes.slice(before).filter((n) => n.opType === 'ReduceMean').length;
  };
  // Backward: mean(dX̂) and mean(dX̂·X̂), plus mean(x) and mean(xc²) when recomputing.
  assert.equal(reductions('float32', true), 2);
  assert.equal(reductions('float32', false), 4);
  assert.equal(reductions('float64', true), 4, 'float64: the op’s float32 statistics are not used');
});
