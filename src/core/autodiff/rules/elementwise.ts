// Elementwise ops: arithmetic (numpy broadcasting undone by toInput/sumToShape), unary maths,
// selections (Where, Max/Min, Clip, Relu) and element-type casts.
import { floatEqual, zerosLike } from '../helpers';
import type { GradContext } from '../types';
import { each, gradient, toInput, toOperand } from './define';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

// --- binary arithmetic ----------------------------------------------------------------------------

export const add = gradient('dA = dY, dB = dY', (c) => each(c, (i) => toOperand(c, c.grad(), i)));

export const sub = gradient('dA = dY, dB = −dY', (c) => each(c, (i) => toOperand(c, i === 0 ? c.grad() : c.g.neg(c.grad()), i)));

export const mul = gradient('dA = dY·B, dB = dY·A', (c) => each(c, (i) => toOperand(c, c.g.mul(c.grad(), c.input(1 - i)), i)));

export const div = gradient('dA = dY / B, dB = −dY·Y / B', (c) => {
  const { g } = c;
  const b = c.input(1);
  return each(c, (i) => (i === 0 ? toOperand(c, g.div(c.grad(), b), 0) : toOperand(c, g.neg(g.div(g.mul(c.grad(), c.output(0)), b)), 1)));
});

export const pow = gradient('dA = dY·B·A^(B−1) (constant B folded), dB = dY·Y·log A (0 where A = 0)', (c) => {
  const { g } = c;
  const a = c.input(0);
  const b = c.input(1);
  const dy = c.grad();
  return each(c, (i) => {
    if (i === 0) {
      const k = c.constValues(1);
      let da;
      if (k && k.length === 1) {
        const e = k[0];
        if (e === 0) return zerosLike(g, a);
        if (e === 1) da = dy;
        else if (e === 2) da = g.mul(dy, g.mul(a, 2));
        else da = g.mul(dy, g.mul(g.pow(a, e - 1), e));
      } else {
        const e = b.dtype === a.dtype ? b : g.cast(b, a.dtype!);
        da = g.mul(dy, g.mul(e, g.pow(a, g.sub(e, 1))));
      }
      return toOperand(c, da, 0);
    }
    const ylog = g.where(floatEqual(g, a, 0), 0, g.mul(c.output(0), g.log(a)));
    let db = g.mul(dy, ylog);
    if (b.dtype !== a.dtype) db = g.cast(db, b.dtype!);
    return toOperand(c, db, 1);
  });
});

// --- variadic -------------------------------------------------------------------------------------

export const sum = gradient('dXi = dY', (c) => each(c, (i) => toOperand(c, c.grad(), i)));

export const mean = gradient('dXi = dY / n', (c) => {
  const share = c.g.div(c.grad(), c.node.input.length);
  return each(c, (i) => toOperand(c, share, i));
});

/** Max/Min: the gradient goes to the inputs equal to the result, split evenly between ties (as torch). */
export const maxMin = gradient('dXi = dY·[Xi = Y] / #ties', (c) => {
  const { g } = c;
  const n = c.node.input.length;
  if (n === 1) return [c.grad()];
  const y = c.output(0);
  const masks = c.node.input.map((_, i) => g.cast(floatEqual(g, c.input(i), y), y.dtype!));
  const share = g.div(c.grad(), g.sum(...masks));
  return each(c, (i) => toOperand(c, g.mul(share, masks[i]), i));
});

export const where = gradient(
  'dA = Where(C, dY, 0), dB = Where(C, 0, dY); the condition has no gradient',
  (c) => {
    const { g } = c;
    const cond = c.input(0);
    return each(c, (i) => toOperand(c, i === 1 ? g.where(cond, c.grad(), 0) : g.where(cond, 0, c.grad()), i));
  },
  { differentiable: [1, 2] },
);

// --- unary ----------------------------------------------------------------------------------------

function unary(doc: string, f: (c: GradContext) => ReturnType<GradContext['grad']>) {
  return gradient(doc, (c) => [f(c)], { differentiable: [0] });
}

export const identity = unary('dX = dY', (c) => c.grad());
export const neg = unary('dX = −dY', (c) => c.g.neg(c.grad()));
export const abs = unary('dX = dY·sign(X)', (c) => c.g.mul(c.grad(), c.g.op('Sign', [c.input(0)])));
export const sqrt = unary('dX = dY / (2Y)', (c) => c.g.div(c.g.mul(c.grad(), 0.5), c.output(0)));
export const reciprocal = unary('dX = −dY·Y²', (c) => c.g.neg(c.g.mul(c.grad(), c.g.mul(c.output(0), c.output(0)))));
export const exp = unary('dX = dY·Y', (c) => c.g.mul(c.grad(), c.output(0)));
export const log = unary('dX = dY / X', (c) => c.g.div(c.grad(), c.input(0)));
export const tanh = unary('dX = dY·(1 − Y²)', (c) => c.g.mul(c.grad(), c.g.sub(1, c.g.mul(c.output(0), c.output(0)))));
export const sigmoid = unary('dX = dY·Y·(1 − Y)', (c) => c.g.mul(c.grad(), c.g.mul(c.output(0), c.g.sub(1, c.output(0)))));
export const softplus = unary('dX = dY·sigmoid(X)', (c) => c.g.mul(c.grad(), c.g.sigmoid(c.input(0))));
export const erf = unary('dX = dY·2/√π·exp(−X²)', (c) => {
  const x = c.input(0);
  return c.g.mul(c.grad(), c.g.mul(c.g.exp(c.g.neg(c.g.mul(x, x))), TWO_OVER_SQRT_PI));
});
export const sin = unary('dX = dY·cos(X)', (c) => c.g.mul(c.grad(), c.g.op('Cos', [c.input(0)])));
export const cos = unary('dX = −dY·sin(X)', (c) => c.g.neg(c.g.mul(c.grad(), c.g.op('Sin', [c.input(0)]))));
export const relu = unary('dX = dY·[X > 0]', (c) => c.g.where(c.g.greater(c.input(0), 0), c.grad(), 0));
export const leakyRelu = unary('dX = dY·(X > 0 ? 1 : alpha)', (c) => {
  const alpha = c.attrFloat('alpha', 0.01);
  return c.g.where(c.g.greater(c.input(0), 0), c.grad(), c.g.mul(c.grad(), alpha));
});

export const prelu = gradient('dX = dY·(X > 0 ? 1 : slope), dSlope = dY·(X > 0 ? 0 : X)', (c) => {
  const { g } = c;
  const x = c.input(0);
  const positive = g.greater(x, 0);
  return each(c, (i) =>
    i === 0 ? toInput(c, g.where(positive, c.grad(), g.mul(c.grad(), c.input(1))), 0) : toInput(c, g.where(positive, 0, g.mul(c.grad(), x)), 1),
  );
});

/** Clip: the gradient passes where min <= X <= max (bounds included, as torch.clamp); tensor bounds get the rest. */
export const clip = gradient('dX = dY·[min ≤ X ≤ max], dMin = Σ dY·[X < min], dMax = Σ dY·[X > max]', (c) => {
  const { g } = c;
  const x = c.input(0);
  const dy = c.grad();
  let below;
  let above;
  if (c.opset >= 11) {
    if (c.hasInput(1)) below = g.less(x, c.input(1));
    if (c.hasInput(2)) above = g.greater(x, c.input(2));
  } else {
    const lo = c.attrFloat('min', -Infinity);
    const hi = c.attrFloat('max', Infinity);
    if (lo !== -Infinity) below = g.less(x, lo);
    if (hi !== Infinity) above = g.greater(x, hi);
  }
  const outside = below && above ? g.op('Or', [below, above]) : (below ?? above);
  return each(c, (i) => {
    if (i === 0) return outside ? g.where(outside, 0, dy) : dy;
    return toInput(c, g.where(i === 1 ? below! : above!, dy, 0), i);
  });
});

/** Casts between float types pass the gradient back in the input's type; casts to integers carry none (pruned by dtype). */
export const cast = gradient('dX = Cast(dY, X.dtype)', (c) => [c.g.cast(c.grad(), c.input(0).dtype!)], { differentiable: [0] });

export const dropout = gradient('dX = dY (inference: identity)', (c) => [c.grad()], {
  differentiable: [0],
  refuse: ({ g, node, opset }) => {
    if (opset < 12 || node.input.length < 3 || node.input[2] === '') return undefined;
    const mode = g.knownValue(node.input[2]);
    if (mode && mode.length === 1 && mode[0] === 0) return undefined;
    return 'Dropout in training mode (training_mode input not a constant false): only inference Dropout (identity) is supported';
  },
});

export const trilu = gradient(
  'dX = Trilu(dY) with the same k and upper',
  (c) => [c.g.op('Trilu', [c.grad(), c.hasInput(1) ? c.input(1) : null], { upper: c.attrInt('upper', 1) === 1 ? undefined : 0 })],
  { differentiable: [0] },
);

export const cumSum = gradient(
  'dX = CumSum(dY, axis, exclusive, reverse = !reverse)',
  (c) => [c.g.op('CumSum', [c.grad(), c.input(1)], { exclusive: c.attrInt('exclusive', 0) || undefined, reverse: c.attrInt('reverse', 0) ? undefined : 1 })],
  { differentiable: [0] },
);
