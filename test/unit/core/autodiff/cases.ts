// The finite-difference cases, one or more per gradient rule: broadcasting (both operands, scalars,
// rank mismatch, dims that are 1 only at run time, unknown rank), symbolic dims fed at several sizes,
// opset variants (axes as attribute or input, Softmax's 2-D coercion, Slice/Pad forms), and every
// attribute the rules read. Float32 cases (ops ORT CPU has no float64 kernel for) check against a
// float64 TypeScript reference instead of the graph itself.
import { attr, type GraphBuilder, type Value } from '../../../../src/core/onnx';
import * as R from '../../../helpers/ndarray';
import type { FdCase, InputSpec } from './fd';

const INT64_MAX = 2 ** 63; // clamped to 9223372036854775807 by the builder
const INT64_MIN = -(2 ** 63);

const f = (shape: readonly (number | string)[] | undefined, more: Partial<InputSpec> = {}): InputSpec => ({ shape, ...more });
const ints = (shape: readonly number[], values: readonly number[]): InputSpec => ({ shape, dtype: 'int64', fill: values, wrt: false });

// --- float64 references for the float32 cases -------------------------------------------------------

/** erf to ~1e-15 on |x| <= 3 (Maclaurin series). */
export function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const geluErf = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

// --- helpers --------------------------------------------------------------------------------------

const unary = (name: string, op: string, fill: InputSpec['fill'] = 'signed', extra: Partial<FdCase> = {}): FdCase => ({
  name,
  inputs: { x: f([2, 3], { fill }) },
  build: (g, { x }) => g.op(op, [x]),
  ...extra,
});

/** Values in U(−1, 1) at least 0.05 away from each of `avoid`. */
const awayFrom =
  (...avoid: number[]) =>
  (n: number, rnd: () => number): number[] =>
    Array.from({ length: n }, () => {
      for (;;) {
        const v = rnd() * 2 - 1;
        if (avoid.every((a) => Math.abs(v - a) > 0.05)) return v;
      }
    });

const sumAll = (g: GraphBuilder, v: Value): Value => g.reduceSum(v, undefined, { keepdims: false });

export const CASES: FdCase[] = [
  // --- Add/Sub/Mul/Div: broadcasting ---------------------------------------------------------------
  { name: 'Add: same shape', inputs: { a: f([2, 3]), b: f([2, 3]) }, build: (g, { a, b }) => g.add(a, b) },
  { name: 'Add: both operands broadcast', inputs: { a: f([2, 1, 3]), b: f([4, 1]) }, build: (g, { a, b }) => g.add(a, b) },
  { name: 'Add: scalar operand', inputs: { a: f([2, 3]), b: f([]) }, build: (g, { a, b }) => g.add(a, b) },
  { name: 'Add: rank mismatch', inputs: { a: f([2, 3, 4]), b: f([4]) }, build: (g, { a, b }) => g.add(b, a) },
  {
    name: 'Add: symbolic dims fed at several sizes',
    inputs: { a: f(['batch', 'seq', 3]), b: f(['batch', 1, 3]), c: f([3]) },
    build: (g, { a, b, c }) => g.add(g.add(a, b), c),
    runs: [
      { batch: 2, seq: 3 },
      { batch: 1, seq: 4 },
    ],
  },
  {
    name: 'Add: dims that are 1 only at run time (Shape-based fallback)',
    inputs: { a: f(['n', 3]), b: f(['m', 3]) },
    build: (g, { a, b }) => g.add(a, b),
    runs: [
      { n: 1, m: 4 },
      { n: 4, m: 1 },
      { n: 2, m: 2 },
    ],
  },
  {
    name: 'Add: dims that are 1 only at run time, opset 12 (per-axis Where + Slice fallback)',
    opset: 12,
    inputs: { a: f(['n', 3, 'k']), b: f(['batch', 'm', 3, 1]) },
    build: (g, { a, b }) => g.add(a, b),
    runs: [
      { n: 1, m: 4, k: 2, batch: 2 },
      { n: 4, m: 1, k: 1, batch: 1 },
      { n: 2, m: 2, k: 3, batch: 1 },
    ],
  },
  {
    name: 'Add: operand of unknown rank (Shape-based fallback)',
    inputs: { a: f(undefined, { dims: [2, 3] }), b: f([3]) },
    build: (g, { a, b }) => g.add(a, b),
  },
  { name: 'Sub: both operands broadcast', inputs: { a: f([3, 1]), b: f([1, 4]) }, build: (g, { a, b }) => g.sub(a, b) },
  { name: 'Mul: broadcast, and an operand used twice', inputs: { a: f([2, 3]), b: f([3]) }, build: (g, { a, b }) => g.mul(g.mul(a, b), a) },
  { name: 'Mul: x·x (the same value as both inputs)', inputs: { a: f([2, 3]) }, build: (g, { a }) => g.mul(a, a) },
  { name: 'Div: broadcast', inputs: { a: f([2, 3]), b: f([3], { fill: 'positive' }) }, build: (g, { a, b }) => g.div(a, b) },
  { name: 'Div: scalar numerator', inputs: { a: f([]), b: f([2, 3], { fill: 'positive' }) }, build: (g, { a, b }) => g.div(a, b) },

  // --- Pow ------------------------------------------------------------------------------------------
  {
    name: 'Pow: constant exponents (2, 3, 0.5, 1, 0, int64 3)',
    inputs: { x: f([2, 3], { fill: 'positive' }) },
    build: (g, { x }) =>
      g.sum(g.pow(x, 2), g.pow(x, 3), g.pow(x, 0.5), g.pow(x, 1), g.pow(x, 0), g.pow(x, g.scalar(3, 'int64')), g.pow(x, g.constant([1.5], 'float64', [1]))),
  },
  { name: 'Pow: tensor exponent, opset 10', opset: 10, inputs: { a: f([2, 3], { fill: 'positive' }), b: f([3]) }, build: (g, { a, b }) => g.pow(a, b) },
  { name: 'Pow: tensor exponent (both differentiable, broadcast)', inputs: { a: f([2, 3], { fill: 'positive' }), b: f([3]) }, build: (g, { a, b }) => g.pow(a, b) },

  // --- variadic -------------------------------------------------------------------------------------
  { name: 'Sum: three inputs broadcast', inputs: { a: f([2, 3]), b: f([3]), c: f([2, 1]) }, build: (g, { a, b, c }) => g.sum(a, b, c) },
  {
    name: 'Mean: variadic (float32 vs float64 reference)',
    dtype: 'float32',
    inputs: { a: f([2, 3]), b: f([3]) },
    build: (g, { a, b }) => g.op('Mean', [a, b]),
    reference: ({ a, b }) => R.map(R.add(a, b), (v) => v / 2),
  },
  { name: 'Max: three inputs broadcast', inputs: { a: f([2, 3], { fill: 'distinct' }), b: f([3], { fill: 'distinct' }), c: f([]) }, build: (g, { a, b, c }) => g.max(a, b, c) },
  { name: 'Max: opset 10 (float Equal emulated)', opset: 10, inputs: { a: f([2, 3], { fill: 'distinct' }), b: f([3], { fill: 'distinct' }) }, build: (g, { a, b }) => g.max(a, b) },
  { name: 'Min: two inputs', inputs: { a: f([2, 3], { fill: 'distinct' }), b: f([2, 3], { fill: 'distinct' }) }, build: (g, { a, b }) => g.min(a, b) },
  { name: 'Max: one input', inputs: { a: f([2, 3]) }, build: (g, { a }) => g.max(a) },
  {
    name: 'Where: boolean condition, both branches broadcast',
    inputs: { cond: { shape: [2, 1], dtype: 'bool', fill: [1, 0], wrt: false }, a: f([2, 3]), b: f([3]) },
    build: (g, { cond, a, b }) => g.where(cond, a, b),
  },

  // --- unary ----------------------------------------------------------------------------------------
  unary('Neg', 'Neg'),
  unary('Identity', 'Identity'),
  unary('Abs', 'Abs', 'away'),
  unary('Sqrt', 'Sqrt', 'positive'),
  unary('Reciprocal', 'Reciprocal', 'away'),
  unary('Exp', 'Exp'),
  unary('Log', 'Log', 'positive'),
  unary('Tanh', 'Tanh'),
  unary('Sigmoid', 'Sigmoid'),
  unary('Sin', 'Sin'),
  unary('Cos', 'Cos'),
  unary('Relu', 'Relu', 'away'),
  { name: 'LeakyRelu: alpha 0.2', inputs: { x: f([2, 3], { fill: 'away' }) }, build: (g, { x }) => g.op('LeakyRelu', [x], { alpha: 0.2 }) },
  {
    name: 'Softplus (float32 vs float64 reference)',
    dtype: 'float32',
    inputs: { x: f([2, 3], { fill: (n, r) => Array.from({ length: n }, () => r() * 6 - 3) }) },
    build: (g, { x }) => g.softplus(x),
    reference: ({ x }) => R.map(x, softplus),
  },
  {
    name: 'Erf (float32 vs float64 reference)',
    dtype: 'float32',
    inputs: { x: f([2, 3], { fill: (n, r) => Array.from({ length: n }, () => r() * 4 - 2) }) },
    build: (g, { x }) => g.erf(x),
    reference: ({ x }) => R.map(x, erf),
  },
  { name: 'PRelu: slope broadcast', inputs: { x: f([2, 3], { fill: 'away' }), slope: f([3]) }, build: (g, { x, slope }) => g.op('PRelu', [x, slope]) },
  { name: 'Clip: constant bounds', inputs: { x: f([3, 4], { fill: awayFrom(-0.5, 0.4) }) }, build: (g, { x }) => g.clip(x, -0.5, 0.4) },
  { name: 'Clip: min only', inputs: { x: f([3, 4], { fill: awayFrom(-0.2) }) }, build: (g, { x }) => g.clip(x, -0.2) },
  {
    name: 'Clip: tensor bounds (differentiable)',
    inputs: { x: f([3, 4], { fill: awayFrom(-0.5, 0.4) }), lo: f([], { fill: [-0.5] }), hi: f([], { fill: [0.4] }) },
    build: (g, { x, lo, hi }) => g.clip(x, lo, hi),
  },
  {
    name: 'Clip: opset 10 attributes (float32 vs float64 reference)',
    opset: 10,
    dtype: 'float32',
    inputs: { x: f([3, 4], { fill: awayFrom(-0.5, 0.4) }) },
    build: (g, { x }) => g.clip(x, -0.5, 0.4),
    reference: ({ x }) => R.map(x, (v) => Math.min(Math.max(v, -0.5), 0.4)),
  },
  { name: 'Cast: float64 -> float64', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.tanh(g.cast(x, 'float64')) },
  {
    name: 'Cast: float64 -> float32 -> float64 (float32 rounding: loose tolerance)',
    inputs: { x: f([2, 3]) },
    build: (g, { x }) => g.tanh(g.cast(g.mul(g.cast(x, 'float32'), g.scalar(1.5, 'float32')), 'float64')),
    h: 1e-3,
    tol: 1e-4,
  },
  {
    name: 'Cast: an integer cast carries no gradient',
    inputs: { x: f([2, 3], { fill: (n, r) => Array.from({ length: n }, () => 0.3 + 0.4 * r()) }) },
    build: (g, { x }) => g.mul(g.cast(g.cast(g.mul(x, 10), 'int64'), 'float64'), x),
  },
  { name: 'Dropout: inference (identity)', opset: 13, inputs: { x: f([2, 3]) }, build: (g, { x }) => g.tanh(g.op('Dropout', [x])) },
  {
    name: 'Dropout: training_mode constant false',
    opset: 13,
    inputs: { x: f([2, 3]) },
    build: (g, { x }) => g.node('Dropout', [x, g.scalar(0.3, 'float64'), g.scalar(false, 'bool')], {}, { outputs: 2 })[0],
  },
  { name: 'Trilu: upper, k = 1', inputs: { x: f([3, 4]) }, build: (g, { x }) => g.trilu(x, { k: 1 }) },
  { name: 'Trilu: lower', inputs: { x: f([2, 3, 3]) }, build: (g, { x }) => g.trilu(x, { upper: false }) },
  { name: 'CumSum: axis 1', inputs: { x: f([2, 4]) }, build: (g, { x }) => g.cumSum(x, 1) },
  { name: 'CumSum: axis 0, exclusive, reverse', inputs: { x: f([3, 2]) }, build: (g, { x }) => g.cumSum(x, 0, { exclusive: true, reverse: true }) },

  // --- GELU -----------------------------------------------------------------------------------------
  {
    name: "Gelu (opset 20, approximate 'none'; float32 vs float64 reference)",
    opset: 20,
    dtype: 'float32',
    inputs: { x: f([2, 3], { fill: (n, r) => Array.from({ length: n }, () => r() * 4 - 2) }) },
    build: (g, { x }) => g.gelu(x, { impl: 'onnx' }),
    reference: ({ x }) => R.map(x, geluErf),
  },
  {
    name: "Gelu (opset 20, approximate 'tanh'; float32 vs float64 reference)",
    opset: 20,
    dtype: 'float32',
    inputs: { x: f([2, 3], { fill: (n, r) => Array.from({ length: n }, () => r() * 4 - 2) }) },
    build: (g, { x }) => g.gelu(x, { impl: 'onnx', approximate: 'tanh' }),
    reference: ({ x }) => R.map(x, geluTanh),
  },
  {
    name: 'com.microsoft Gelu (float32 vs float64 reference)',
    dtype: 'float32',
    inputs: { x: f([2, 3], { fill: (n, r) => Array.from({ length: n }, () => r() * 4 - 2) }) },
    build: (g, { x }) => g.op('Gelu', [x], {}, { domain: 'com.microsoft' }),
    reference: ({ x }) => R.map(x, geluErf),
  },
  {
    name: 'com.microsoft BiasGelu (float32 vs float64 reference)',
    dtype: 'float32',
    inputs: { x: f([2, 3]), bias: f([3]) },
    build: (g, { x, bias }) => g.op('BiasGelu', [x, bias], {}, { domain: 'com.microsoft' }),
    reference: ({ x, bias }) => R.map(R.add(x, bias), geluErf),
  },
  {
    // ORT's FastGelu kernel uses float32 constants (0.044715f) even in float64: ~1e-6 from the exact form.
    name: 'com.microsoft FastGelu with bias',
    inputs: { x: f([2, 3]), bias: f([3]) },
    build: (g, { x, bias }) => g.op('FastGelu', [x, bias], {}, { domain: 'com.microsoft' }),
    tol: 1e-5,
  },
  {
    name: 'com.microsoft FastGelu (float32 vs float64 reference)',
    dtype: 'float32',
    inputs: { x: f([2, 3], { fill: (n, r) => Array.from({ length: n }, () => r() * 4 - 2) }), bias: f([3]) },
    build: (g, { x, bias }) => g.op('FastGelu', [x, bias], {}, { domain: 'com.microsoft' }),
    reference: ({ x, bias }) => R.map(R.add(x, bias), geluTanh),
  },
  { name: 'com.microsoft FastGelu', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.op('FastGelu', [x], {}, { domain: 'com.microsoft' }), tol: 1e-5 },
  {
    name: 'com.microsoft QuickGelu (alpha 1.5)',
    inputs: { x: f([2, 3]) },
    build: (g, { x }) => g.op('QuickGelu', [x], { alpha: 1.5 }, { domain: 'com.microsoft' }),
  },
  { name: 'GELU decomposed (tanh form from primitives)', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.gelu(x, { approximate: 'tanh', impl: 'decomposed' }) },

  // --- softmax --------------------------------------------------------------------------------------
  { name: 'Softmax: last axis', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.softmax(x) },
  { name: 'Softmax: axis 1 (opset 13 semantics)', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.softmax(x, 1) },
  { name: 'Softmax: opset 11 (coerced to 2-D at axis 1)', opset: 11, inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.op('Softmax', [x]) },
  { name: 'Softmax: symbolic dims', inputs: { x: f(['batch', 'seq']) }, build: (g, { x }) => g.softmax(x), runs: [{ batch: 2, seq: 3 }, { batch: 3, seq: 5 }] },
  { name: 'LogSoftmax: last axis', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.logSoftmax(x) },
  { name: 'LogSoftmax: axis 0', inputs: { x: f([3, 4]) }, build: (g, { x }) => g.logSoftmax(x, 0) },
  { name: 'LogSoftmax: opset 11 (coerced to 2-D at axis 1)', opset: 11, inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.op('LogSoftmax', [x]) },

  // --- normalization --------------------------------------------------------------------------------
  {
    name: 'LayerNormalization: last axis, scale and bias',
    inputs: { x: f([2, 3, 4]), scale: f([4]), bias: f([4]) },
    build: (g, { x, scale, bias }) => g.layerNorm(x, scale, bias, { impl: 'op', epsilon: 1e-3 }),
  },
  {
    name: 'LayerNormalization: axis 1 (two axes), no bias, symbolic batch',
    inputs: { x: f(['batch', 3, 4]), scale: f([3, 4]) },
    build: (g, { x, scale }) => g.layerNorm(x, scale, undefined, { impl: 'op', axis: 1 }),
    runs: [{ batch: 2 }, { batch: 1 }],
  },
  {
    name: 'LayerNormalization: Mean and InvStdDev outputs used (float32 outputs: loose tolerance)',
    inputs: { x: f([2, 4]), scale: f([4]) },
    build: (g, { x, scale }) => {
      const [y, mean, inv] = g.node('LayerNormalization', [x, scale], { epsilon: 1e-2 }, { outputs: 3 });
      return g.add(y, g.add(g.cast(mean, 'float64'), g.mul(g.cast(inv, 'float64'), 0.3)));
    },
    h: 3e-3,
    tol: 1e-3,
  },
  {
    name: 'LayerNormalization: only the Mean and InvStdDev outputs used (scale and bias get zeros)',
    inputs: { x: f([3, 4]), scale: f([4]), bias: f([4]) },
    build: (g, { x, scale, bias }) => {
      const [, mean, inv] = g.node('LayerNormalization', [x, scale, bias], { epsilon: 1e-2 }, { outputs: 3 });
      return g.sub(g.cast(mean, 'float64'), g.mul(g.cast(inv, 'float64'), 0.3));
    },
    h: 3e-3,
    tol: 1e-3,
  },
  {
    name: 'LayerNormalization float32 with its Mean and InvStdDev kept for the gradient (stats, as training graphs build it; vs float64 reference)',
    dtype: 'float32',
    inputs: { x: f(['batch', 3, 8]), scale: f([8]), bias: f([8]) },
    build: (g, { x, scale, bias }) => g.layerNorm(x, scale, bias, { impl: 'op', epsilon: 1e-3, stats: true }),
    reference: ({ x, scale, bias }) => R.layerNorm(x, scale, bias, 1e-3),
    runs: [{ batch: 2 }, { batch: 1 }],
  },
  {
    name: 'LayerNorm decomposed (ReduceMean/Sub/Mul/Sqrt/Div), symbolic dims',
    inputs: { x: f(['batch', 'seq', 4]), scale: f([4]), bias: f([4]) },
    build: (g, { x, scale, bias }) => g.layerNorm(x, scale, bias, { impl: 'decomposed' }),
    runs: [{ batch: 2, seq: 2 }, { batch: 1, seq: 3 }],
  },
  {
    name: 'SimplifiedLayerNormalization (RMSNorm op)',
    inputs: { x: f([2, 3, 4]), scale: f([4]) },
    build: (g, { x, scale }) => g.op('SimplifiedLayerNormalization', [x, scale], { epsilon: 1e-3 }),
  },
  {
    name: 'SimplifiedLayerNormalization: inv_std_var output used (float32: loose tolerance)',
    inputs: { x: f([2, 4]), scale: f([4]) },
    build: (g, { x, scale }) => {
      const [y, inv] = g.node('SimplifiedLayerNormalization', [x, scale], { epsilon: 1e-2 }, { outputs: 2 });
      return g.add(y, g.mul(g.cast(inv, 'float64'), 0.3));
    },
    h: 3e-3,
    tol: 1e-3,
  },
  {
    name: 'RMSNorm decomposed (Pow/ReduceMean/Sqrt/Div as LLaMA exports)',
    inputs: { x: f(['batch', 4]), scale: f([4]) },
    build: (g, { x, scale }) => g.mul(scale, g.div(x, g.sqrt(g.add(g.reduceMean(g.pow(x, 2), [-1]), 1e-6)))),
    runs: [{ batch: 3 }],
  },

  // --- MatMul / Gemm / FusedMatMul ------------------------------------------------------------------
  { name: 'MatMul: 2-D x 2-D', inputs: { a: f([2, 3]), b: f([3, 4]) }, build: (g, { a, b }) => g.matmul(a, b) },
  { name: 'MatMul: 3-D x 2-D weight (one Gemm)', inputs: { a: f([2, 3, 4]), b: f([4, 5]) }, build: (g, { a, b }) => g.matmul(a, b) },
  {
    name: 'MatMul: symbolic [batch, seq, 4] x [4, 5]',
    inputs: { a: f(['batch', 'seq', 4]), b: f([4, 5]) },
    build: (g, { a, b }) => g.matmul(a, b),
    runs: [{ batch: 2, seq: 3 }, { batch: 1, seq: 2 }],
  },
  { name: 'MatMul: batched 3-D x 3-D', inputs: { a: f([2, 3, 4]), b: f([2, 4, 2]) }, build: (g, { a, b }) => g.matmul(a, b) },
  { name: 'MatMul: broadcast batch dims', inputs: { a: f([2, 1, 3, 4]), b: f([3, 4, 2]) }, build: (g, { a, b }) => g.matmul(a, b) },
  { name: 'MatMul: 1-D x 2-D', inputs: { a: f([3]), b: f([3, 4]) }, build: (g, { a, b }) => g.matmul(a, b) },
  { name: 'MatMul: 3-D x 1-D', inputs: { a: f([2, 3, 4]), b: f([4]) }, build: (g, { a, b }) => g.matmul(a, b) },
  { name: 'MatMul: 1-D x 1-D', inputs: { a: f([3]), b: f([3]) }, build: (g, { a, b }) => g.matmul(a, b) },
  { name: 'MatMul: 1-D x 3-D', inputs: { a: f([3]), b: f([2, 3, 4]) }, build: (g, { a, b }) => g.matmul(a, b) },
  {
    name: 'Gemm: alpha, beta, C [N]',
    inputs: { a: f([2, 3]), b: f([3, 4]), c: f([4]) },
    build: (g, { a, b, c }) => g.gemm(a, b, c, { alpha: 0.7, beta: 1.3 }),
  },
  { name: 'Gemm: transA, C [M, 1]', inputs: { a: f([3, 2]), b: f([3, 4]), c: f([2, 1]) }, build: (g, { a, b, c }) => g.gemm(a, b, c, { transA: true }) },
  { name: 'Gemm: transB, scalar C, beta', inputs: { a: f([2, 3]), b: f([4, 3]), c: f([]) }, build: (g, { a, b, c }) => g.gemm(a, b, c, { transB: true, beta: 0.5 }) },
  { name: 'Gemm: transA and transB, no C', inputs: { a: f([3, 2]), b: f([4, 3]) }, build: (g, { a, b }) => g.gemm(a, b, undefined, { transA: true, transB: true, alpha: 2 }) },
  { name: 'Gemm: full C', opset: 11, inputs: { a: f([2, 3]), b: f([3, 4]), c: f([2, 4]) }, build: (g, { a, b, c }) => g.gemm(a, b, c) },
  {
    name: 'com.microsoft FusedMatMul: transB, alpha, batched',
    inputs: { a: f([2, 3, 4]), b: f([2, 5, 4]) },
    build: (g, { a, b }) => g.op('FusedMatMul', [a, b], { transB: 1, alpha: 0.5 }, { domain: 'com.microsoft' }),
  },
  {
    name: 'com.microsoft FusedMatMul: transA, 2-D weight',
    inputs: { a: f([2, 4, 3]), b: f([4, 5]) },
    build: (g, { a, b }) => g.op('FusedMatMul', [a, b], { transA: 1 }, { domain: 'com.microsoft' }),
  },

  // --- reductions -----------------------------------------------------------------------------------
  { name: 'ReduceSum: axes input, keepdims', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.reduceSum(x, [1]) },
  { name: 'ReduceSum: two axes, keepdims 0', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.reduceSum(x, [0, -1], { keepdims: false }) },
  { name: 'ReduceSum: all axes, keepdims 0', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.reduceSum(x, undefined, { keepdims: false }) },
  { name: 'ReduceSum: noop_with_empty_axes', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.tanh(g.reduceSum(x, undefined, { noopWithEmptyAxes: true })) },
  { name: 'ReduceSum: opset 11 axes attribute', opset: 11, inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.reduceSum(x, [-1], { keepdims: false }) },
  {
    name: 'ReduceSum: axes known only at run time, keepdims 0',
    inputs: { x: f([2, 3, 4]), axes: ints([1], [1]) },
    build: (g, { x, axes }) => g.reduceSum(x, axes, { keepdims: false }),
  },
  {
    name: 'ReduceSum: symbolic dims',
    inputs: { x: f(['batch', 'seq', 2]) },
    build: (g, { x }) => g.reduceSum(x, [1], { keepdims: false }),
    runs: [{ batch: 2, seq: 3 }, { batch: 3, seq: 1 }],
  },
  { name: 'ReduceMean: opset 17 axes attribute, keepdims 0', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.reduceMean(x, [1], { keepdims: false }) },
  { name: 'ReduceMean: opset 18 axes input', opset: 18, inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.reduceMean(x, [-1]) },
  {
    name: 'ReduceMean: symbolic reduced dim (count at run time)',
    opset: 18,
    inputs: { x: f(['batch', 'seq', 3]) },
    build: (g, { x }) => g.reduceMean(x, [1], { keepdims: false }),
    runs: [{ batch: 2, seq: 3 }, { batch: 1, seq: 5 }],
  },
  { name: 'ReduceMean: all axes', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.reduceMean(x) },
  { name: 'ReduceMax: opset 18, keepdims 0', opset: 18, inputs: { x: f([2, 3, 4], { fill: 'distinct' }) }, build: (g, { x }) => g.reduceMax(x, [1], { keepdims: false }) },
  { name: 'ReduceMax: opset 17 attribute, all axes', inputs: { x: f([2, 3], { fill: 'distinct' }) }, build: (g, { x }) => g.reduceMax(x) },
  { name: 'ReduceMin: keepdims', opset: 18, inputs: { x: f([3, 4], { fill: 'distinct' }) }, build: (g, { x }) => g.op('ReduceMin', [x, g.int64s([0])]) },
  { name: 'ReduceSumSquare', opset: 18, inputs: { x: f([2, 3]) }, build: (g, { x }) => g.op('ReduceSumSquare', [x, g.int64s([1])], { keepdims: 0 }) },
  { name: 'ReduceL1', opset: 18, inputs: { x: f([2, 3], { fill: 'away' }) }, build: (g, { x }) => g.op('ReduceL1', [x, g.int64s([1])], { keepdims: 0 }) },
  { name: 'ReduceL2', opset: 18, inputs: { x: f([2, 3]) }, build: (g, { x }) => g.op('ReduceL2', [x, g.int64s([1])]) },
  { name: 'ReduceLogSumExp', opset: 18, inputs: { x: f([2, 3]) }, build: (g, { x }) => g.op('ReduceLogSumExp', [x, g.int64s([0])], { keepdims: 0 }) },

  // --- data movement --------------------------------------------------------------------------------
  { name: 'Reshape: static', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.reshape(x, [6, 4]) },
  {
    name: 'Reshape: symbolic with 0 and -1',
    inputs: { x: f(['batch', 3, 4]) },
    build: (g, { x }) => g.reshape(x, [0, -1]),
    runs: [{ batch: 2 }, { batch: 1 }],
  },
  { name: 'Flatten: axis 2', inputs: { x: f([2, 3, 2]) }, build: (g, { x }) => g.flatten(x, 2) },
  { name: 'Squeeze: axes input', inputs: { x: f([2, 1, 3]) }, build: (g, { x }) => g.squeeze(x, [1]) },
  { name: 'Squeeze: opset 11 attribute', opset: 11, inputs: { x: f([2, 1, 3]) }, build: (g, { x }) => g.squeeze(x, [1]) },
  { name: 'Unsqueeze: two axes', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.unsqueeze(x, [0, 3]) },
  { name: 'Unsqueeze: opset 11 attribute', opset: 11, inputs: { x: f([2, 3]) }, build: (g, { x }) => g.unsqueeze(x, [-1]) },
  { name: 'Transpose: perm', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.transpose(x, [2, 0, 1]) },
  { name: 'Transpose: default (reversed axes)', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.transpose(x) },
  { name: 'Expand: [3, 1] to [2, 3, 4]', inputs: { x: f([3, 1]) }, build: (g, { x }) => g.expand(x, [2, 3, 4]) },
  { name: 'Expand: shape of lower rank', inputs: { x: f([2, 3, 1]) }, build: (g, { x }) => g.expand(x, [4]) },
  { name: 'Tile: [2, 3] x [2, 1]', inputs: { x: f([2, 3]) }, build: (g, { x }) => g.tile(x, [2, 1]) },
  { name: 'Tile: [2, 1, 3] x [1, 2, 2]', inputs: { x: f([2, 1, 3]) }, build: (g, { x }) => g.tile(x, [1, 2, 2]) },
  { name: 'Tile: symbolic dim', inputs: { x: f(['n', 2]) }, build: (g, { x }) => g.tile(x, [2, 3]), runs: [{ n: 1 }, { n: 3 }] },
  { name: 'Concat: three inputs, axis 1', inputs: { a: f([2, 1]), b: f([2, 3]), c: f([2, 2]) }, build: (g, { a, b, c }) => g.concat([a, b, c], 1) },
  { name: 'Concat: negative axis, one constant input', inputs: { a: f([2, 2]) }, build: (g, { a }) => g.concat([g.constant(new Float64Array([1, 2]), 'float64', [2, 1]), a, a], -1) },
  {
    name: 'Concat: sizes known only at run time (slices at running offsets)',
    inputs: { a: f(['n', 2]), b: f(['m', 2]) },
    build: (g, { a, b }) => g.concat([a, b, a], 0),
    runs: [{ n: 1, m: 2 }, { n: 3, m: 1 }],
  },
  { name: 'Split: sizes, both outputs used', inputs: { x: f([2, 5]) }, build: (g, { x }) => { const [p, q] = g.split(x, { axis: 1, sizes: [2, 3] }); return g.concat([g.tanh(q), p], 1); } },
  { name: 'Split: an output unused (zeros)', inputs: { x: f([4, 2]) }, build: (g, { x }) => g.split(x, { axis: 0, sizes: [1, 3] })[1] },
  { name: 'Split: equal parts (opset 18 num_outputs)', opset: 18, inputs: { x: f([2, 6]) }, build: (g, { x }) => { const [p, q, r] = g.split(x, { axis: 1, numOutputs: 3 }); return g.sum(p, g.mul(q, 2), g.mul(r, r)); } },
  { name: 'Slice: start 1 to INT64_MAX', inputs: { x: f([3, 5]) }, build: (g, { x }) => g.slice(x, [1], [INT64_MAX], [1]) },
  { name: 'Slice: negative starts and ends, clamped end', inputs: { x: f([4, 5]) }, build: (g, { x }) => g.slice(x, [-3, -4], [-1, 10], [0, 1]) },
  { name: 'Slice: negative axis', inputs: { x: f([2, 3, 4]) }, build: (g, { x }) => g.slice(x, [1], [3], [-1]) },
  { name: 'Slice: step 2', inputs: { x: f([3, 6]) }, build: (g, { x }) => g.slice(x, [0], [5], [1], [2]) },
  { name: 'Slice: step 3 from 1 (end clamped)', inputs: { x: f([2, 8]) }, build: (g, { x }) => g.slice(x, [1], [100], [1], [3]) },
  { name: 'Slice: step -1 (reverse everything)', inputs: { x: f([3, 4]) }, build: (g, { x }) => g.slice(x, [-1], [INT64_MIN], [0], [-1]) },
  { name: 'Slice: step -2 from 4 down to 0 (exclusive)', inputs: { x: f([2, 6]) }, build: (g, { x }) => g.slice(x, [4], [0], [1], [-2]) },
  { name: 'Slice: steps on two axes', inputs: { x: f([5, 6]) }, build: (g, { x }) => g.slice(x, [4, 1], [-10, 6], [0, 1], [-2, 2]) },
  { name: 'Slice: empty result (zero gradient)', inputs: { x: f([3, 4]) }, build: (g, { x }) => g.add(sumAll(g, g.slice(x, [3], [1], [1])), 1) },
  {
    name: 'Slice: starts and ends known only at run time',
    inputs: { x: f([3, 5]), s: ints([2], [1, -4]), e: ints([2], [INT64_MAX, -1]) },
    build: (g, { x, s, e }) => g.slice(x, s, e, [0, 1]),
  },
  {
    name: 'Slice: run-time bounds at opset 18 (Pad with axes)',
    opset: 18,
    inputs: { x: f([3, 5]), s: ints([1], [-3]), e: ints([1], [4]) },
    build: (g, { x, s, e }) => g.slice(x, s, e, [-1]),
  },
  {
    name: 'Slice: symbolic sliced dim',
    inputs: { x: f([2, 'seq']) },
    build: (g, { x }) => g.slice(x, [1], [INT64_MAX], [1]),
    runs: [{ seq: 3 }, { seq: 5 }],
  },
  { name: 'Slice: opset 9 attributes', opset: 9, inputs: { x: f([3, 4]) }, build: (g, { x }) => g.slice(x, [1, 0], [3, -1]) },
  {
    name: 'Slice: rotary rotate_half (Slice/Neg/Concat)',
    inputs: { x: f(['batch', 2, 4]) },
    build: (g, { x }) => g.concat([g.neg(g.slice(x, [2], [INT64_MAX], [-1])), g.slice(x, [0], [2], [-1])], -1),
    runs: [{ batch: 2 }],
  },
  { name: 'Pad: constant with a differentiable value', inputs: { x: f([2, 3]), v: f([]) }, build: (g, { x, v }) => g.op('Pad', [x, g.int64s([0, 1, 1, 2]), v]) },
  { name: 'Pad: negative pads (crop)', inputs: { x: f([3, 4]) }, build: (g, { x }) => g.pad(x, [-1, 1, 0, -2]) },
  { name: 'Pad: opset 18 axes input', opset: 18, inputs: { x: f([2, 3]) }, build: (g, { x }) => g.op('Pad', [x, g.int64s([2, 1]), null, g.int64s([-1])]) },
  { name: 'Pad: pads known only at run time', inputs: { x: f([2, 3]), pads: ints([4], [1, 0, 0, 2]) }, build: (g, { x, pads }) => g.pad(x, pads) },
  { name: 'Pad: opset 10 attribute', opset: 10, inputs: { x: f([2, 3]) }, build: (g, { x }) => g.pad(x, [1, 0, 0, 2]) },
  {
    name: 'Gather: embedding rows with repeated and negative ids',
    inputs: { table: f([5, 3]), ids: ints([2, 4], [1, 3, 1, 0, 4, -1, 3, 3]) },
    build: (g, { table, ids }) => g.gather(table, ids),
  },
  { name: 'Gather: axis 1 of a 3-D tensor', inputs: { x: f([2, 5, 3]), idx: ints([3], [4, 0, 4]) }, build: (g, { x, idx }) => g.gather(x, idx, 1) },
  { name: 'Gather: last axis (negative)', inputs: { x: f([2, 3, 4]), idx: ints([2, 2], [3, 0, 0, -1]) }, build: (g, { x, idx }) => g.gather(x, idx, -1) },
  { name: 'Gather: scalar index', inputs: { x: f([4, 3]), idx: ints([], [2]) }, build: (g, { x, idx }) => g.gather(x, idx) },
  { name: 'Gather: 1-D data', inputs: { x: f([6]), idx: ints([4], [5, 1, 5, 5]) }, build: (g, { x, idx }) => g.gather(x, idx) },
  {
    name: 'Gather: symbolic data dims (sizes at run time)',
    inputs: { x: f(['v', 'd']), idx: ints([3], [0, 2, 0]) },
    build: (g, { x, idx }) => g.gather(x, idx),
    runs: [{ v: 3, d: 2 }, { v: 5, d: 3 }],
  },
  {
    name: 'Gather: int32 indices, axis 1 with symbolic leading dim',
    inputs: { x: f(['b', 4, 2]), idx: { shape: [2], dtype: 'int32', fill: [3, -4], wrt: false } },
    build: (g, { x, idx }) => g.gather(x, idx, 1),
    runs: [{ b: 2 }, { b: 3 }],
  },
  {
    name: 'Gather: opset 11, constant scalar index (first token; ScatterElements without reduction)',
    opset: 11,
    inputs: { x: f(['batch', 'seq', 2]) },
    build: (g, { x }) => g.gather(x, g.scalar(0, 'int64'), 1),
    runs: [{ batch: 2, seq: 3 }],
  },
  {
    name: 'Gather: opset 13, distinct constant indices (negative ones normalized)',
    opset: 13,
    inputs: { x: f([5, 2]) },
    build: (g, { x }) => g.gather(x, g.int64s([4, -4, 2])),
  },
  {
    name: 'GatherElements: axis 1, repeated and negative indices',
    inputs: { x: f([3, 4]), idx: ints([3, 5], [0, 3, 3, -1, 1, 2, 2, 2, 0, 1, 3, 0, 0, 0, -4]) },
    build: (g, { x, idx }) => g.gatherElements(x, idx, 1),
  },
  { name: 'GatherElements: axis 0', inputs: { x: f([3, 2]), idx: ints([2, 2], [2, 0, 2, 1]) }, build: (g, { x, idx }) => g.gatherElements(x, idx, 0) },
  {
    name: 'Gather + Reshape + attr-typed Concat of exporter shape subgraph',
    inputs: { x: f(['batch', 3, 4]) },
    build: (g, { x }) => {
      // The Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains exporters write.
      const s = g.shape(x);
      const b = g.unsqueeze(g.gather(s, g.scalar(0, 'int64')), [0]);
      const target = g.concat([b, g.int64s([-1])], 0);
      return g.op('Reshape', [g.mul(x, x), target], { allowzero: attr.int(0) });
    },
    runs: [{ batch: 2 }, { batch: 1 }],
  },
];
