// Reductions and the softmax family. Reduce* axes are an attribute before opset 13 (ReduceSum) or 18
// (the others) and an optional input from then on; keepdims and noop_with_empty_axes are honoured.
import { normalizeAxis, type GraphBuilder, type Value } from '../../onnx';
import { elementRatio, expandTo, floatEqual, rankOf } from '../helpers';
import type { GradContext, RuleInfo } from '../types';
import { gradient } from './define';

type Axes =
  | { kind: 'identity' } // noop_with_empty_axes with no axes
  | { kind: 'all' }
  | { kind: 'list'; axes: number[] }
  | { kind: 'runtime'; axes: Value };

function axesInputSince(op: string): number {
  return op === 'ReduceSum' ? 13 : 18;
}

function reductionAxes(c: GradContext): Axes {
  const noop = c.attrInt('noop_with_empty_axes', 0) !== 0;
  let axes: number[] | undefined;
  if (c.opset >= axesInputSince(c.node.opType)) {
    if (c.hasInput(1)) {
      axes = c.constValues(1);
      if (!axes) return { kind: 'runtime', axes: c.input(1) };
    }
  } else {
    axes = c.attrInts('axes');
  }
  if (!axes || axes.length === 0) return noop ? { kind: 'identity' } : { kind: 'all' };
  return { kind: 'list', axes };
}

/** Takes v, shaped like the reduction's output, back to the input's shape (Unsqueeze + Expand). */
function unreduce(c: GradContext, axes: Axes, v: Value): Value {
  const { g } = c;
  const x = c.input(0);
  if (axes.kind === 'identity') return v;
  let u = v;
  if (c.attrInt('keepdims', 1) === 0 && axes.kind !== 'all') {
    // Negative axes mean the same for the reduction (rank r input) and the Unsqueeze (rank r output).
    u = g.unsqueeze(v, axes.axes);
  }
  return expandTo(g, u, x);
}

/** ReduceSum over the same axes with keepdims = 1 (a per-group total that broadcasts back over the group). */
function sumKeep(g: GraphBuilder, x: Value, axes: Axes): Value {
  if (axes.kind === 'identity') return x;
  if (axes.kind === 'all') return g.reduceSum(x);
  return g.reduceSum(x, axes.axes);
}

const reduceRule = (doc: string, f: (c: GradContext, axes: Axes, back: (v: Value) => Value) => Value) =>
  gradient(
    doc,
    (c) => {
      const axes = reductionAxes(c);
      return [f(c, axes, (v) => unreduce(c, axes, v))];
    },
    { differentiable: [0] },
  );

export const reduceSum = reduceRule('dX = expand(dY)', (_c, _a, back) => back(_c.grad()));

export const reduceMean = reduceRule('dX = expand(dY) / n', (c, axes, back) => {
  if (axes.kind === 'identity') return c.grad();
  return c.g.div(back(c.grad()), elementRatio(c.g, c.input(0), c.output(0)));
});

/** ReduceMax/ReduceMin: the gradient goes to the elements equal to the result, split evenly between ties. */
export const reduceMaxMin = reduceRule('dX = expand(dY)·[X = expand(Y)] / #ties', (c, axes, back) => {
  const { g } = c;
  const x = c.input(0);
  const mask = g.cast(floatEqual(g, x, back(c.output(0))), x.dtype!);
  return g.div(g.mul(back(c.grad()), mask), sumKeep(g, mask, axes));
});

export const reduceSumSquare = reduceRule('dX = 2X·expand(dY)', (c, _a, back) => c.g.mul(back(c.grad()), c.g.mul(c.input(0), 2)));

export const reduceL1 = reduceRule('dX = sign(X)·expand(dY)', (c, _a, back) => c.g.mul(back(c.grad()), c.g.op('Sign', [c.input(0)])));

export const reduceL2 = reduceRule('dX = X / expand(Y)·expand(dY) (0 where Y = 0)', (c, _a, back) => {
  const { g } = c;
  const y = back(c.output(0));
  return g.mul(back(c.grad()), g.where(floatEqual(g, y, 0), 0, g.div(c.input(0), y)));
});

export const reduceLogSumExp = reduceRule('dX = exp(X − expand(Y))·expand(dY)', (c, _a, back) =>
  c.g.mul(back(c.grad()), c.g.exp(c.g.sub(c.input(0), back(c.output(0))))),
);

// --- softmax ----------------------------------------------------------------------------------------

/**
 * Axes Softmax/LogSoftmax normalise over: [axis] from opset 13; before, the input is coerced to 2-D
 * at `axis` (default 1) and normalised over every axis from `axis` on.
 */
function softmaxAxes(info: RuleInfo, x: Value): number[] | string {
  const n = info.node;
  const attr = n.attribute.find((a) => a.name === 'axis');
  if (info.opset >= 13) return [attr?.i !== undefined ? Number(attr.i) : -1];
  const axis = attr?.i !== undefined ? Number(attr.i) : 1;
  const r = rankOf(x);
  if (r === undefined) {
    return axis < 0 ? Array.from({ length: -axis }, (_, k) => axis + k) : `${n.opType} at opset ${info.opset} with an input of unknown rank (it flattens to 2-D at axis ${axis})`;
  }
  const a = normalizeAxis(axis, r);
  return Array.from({ length: r - a }, (_, k) => a + k);
}

const refuseSoftmax = (info: RuleInfo): string | undefined => {
  const x = info.g.value(info.node.input[0]);
  const axes = softmaxAxes(info, x);
  return typeof axes === 'string' ? axes : undefined;
};

export const softmax = gradient(
  'dX = Y·(dY − Σ_axis dY·Y)',
  (c) => {
    const { g } = c;
    const y = c.output(0);
    const axes = softmaxAxes(c, c.input(0)) as number[];
    const dy = c.grad();
    return [g.mul(y, g.sub(dy, g.reduceSum(g.mul(dy, y), axes)))];
  },
  { refuse: refuseSoftmax },
);

export const logSoftmax = gradient(
  'dX = dY − exp(Y)·Σ_axis dY',
  (c) => {
    const { g } = c;
    const axes = softmaxAxes(c, c.input(0)) as number[];
    const dy = c.grad();
    return [g.sub(dy, g.mul(g.exp(c.output(0)), g.reduceSum(dy, axes)))];
  },
  { refuse: refuseSoftmax },
);
