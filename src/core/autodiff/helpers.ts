// Shape plumbing shared by the rules. Broadcasting is undone in exactly one place, sumToShape: static
// ReduceSum axes from inferred shapes when they are certain, a Shape-based runtime computation otherwise.
import { divDims, productDim, sameDim, type DType, type GraphBuilder, type Shape, type Value } from '../onnx';

/** Every dim a number. */
export function isStatic(s: Shape): s is readonly number[] {
  return s !== undefined && s.every((d) => typeof d === 'number');
}

export function rankOf(v: Value): number | undefined {
  return v.shape?.length;
}

/** Whether two shapes are known to be equal, dim by dim. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => sameDim(d, b[i]));
}

/** The shape of v as an int64 tensor: a constant when static, else Shape(v). */
export function shapeOf(g: GraphBuilder, v: Value): Value {
  return isStatic(v.shape) ? g.int64s(v.shape) : g.shape(v);
}

/** Dim `axis` of v as a 1-D int64 [1] tensor. */
export function dimOf(g: GraphBuilder, v: Value, axis: number): Value {
  const d = v.shape?.[axis < 0 ? axis + v.shape.length : axis];
  if (typeof d === 'number') return g.int64s([d]);
  return g.gather(g.shape(v), g.int64s([axis]));
}

export function zerosLike(g: GraphBuilder, v: Value): Value {
  return g.constantOfShape(shapeOf(g, v), 0, floatType(v));
}

export function onesLike(g: GraphBuilder, v: Value): Value {
  const dtype = floatType(v);
  if (isStatic(v.shape) && v.shape.every((d) => d === 1)) return g.constant([1], dtype, [...v.shape]);
  return g.constantOfShape(shapeOf(g, v), 1, dtype);
}

/** a == b elementwise for float tensors: Equal takes floats only from opset 11 (before: not (a < b or a > b)). */
export function floatEqual(g: GraphBuilder, a: Value, b: Value | number): Value {
  if (g.opset >= 11) return g.equal(a, b);
  return g.not(g.op('Or', [g.less(a, b), g.greater(a, b)]));
}

export function floatType(v: Value): DType {
  if (!v.dtype) throw new Error(`autodiff: the element type of '${v.name}' is unknown`);
  return v.dtype;
}

/** Broadcasts v (whose shape broadcasts to like's) to like's shape; a no-op when already equal. */
export function expandTo(g: GraphBuilder, v: Value, like: Value): Value {
  if (sameShape(v.shape, like.shape)) return v;
  return g.expand(v, shapeOf(g, like));
}

/** v reshaped to the shape of `like` (same element count). */
export function reshapeTo(g: GraphBuilder, v: Value, like: Value): Value {
  if (sameShape(v.shape, like.shape)) return v;
  const target = shapeOf(g, like);
  // A runtime shape may hold 0-sized dims, which Reshape would read as "copy": allowzero from opset 14.
  const zeros = !isStatic(like.shape) || like.shape.includes(0);
  return g.reshape(v, target, { allowzero: zeros && g.opset >= 14 });
}

/** Transpose of the last two dims (rank must be known). */
export function swapLast2(g: GraphBuilder, v: Value): Value {
  const r = rankOf(v);
  if (r === undefined) throw new Error(`autodiff: rank of '${v.name}' is unknown`);
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return g.transpose(v, perm);
}

/** The number of elements of x per element of y (x reduced to y): static when the dims say so, even symbolically ([b, s, 8] over [b, s, 1] is 8). */
export function elementRatio(g: GraphBuilder, x: Value, y: Value): Value | number {
  if (x.shape && y.shape) {
    const ratio = divDims(productDim(x.shape), productDim(y.shape));
    if (typeof ratio === 'number') return ratio;
  }
  const dtype = floatType(x);
  return g.div(g.cast(g.op('Size', [x]), dtype), g.cast(g.op('Size', [y]), dtype));
}

export class BroadcastError extends Error {}

/**
 * Sums `grad` (the shape of a broadcast result) down to the shape of `like` (one operand): ReduceSum
 * over the leading axes `like` lacks and the axes where `like` has size 1. Static when the inferred
 * shapes settle it. Otherwise, from opset 13 (ReduceSum's axes an input), the axes are computed at run
 * time from Shape(grad) and Shape(like); below 13, with known ranks, each doubtful axis is summed and
 * kept or not by a run-time Where + Slice.
 */
export function sumToShape(g: GraphBuilder, grad: Value, like: Value): Value {
  const plan = reductionPlan(grad.shape, like.shape);
  if (plan && !plan.doubtful.length) {
    const leading = [...Array(plan.lead).keys()];
    if (!leading.length && !plan.axes.length) return grad;
    if (!plan.axes.length) return sumLeadingAxes(g, grad, leading, like.shape);
    const r = g.reduceSum(grad, [...leading, ...plan.axes]);
    return leading.length ? g.squeeze(r, leading) : r;
  }
  if (g.opset >= 13) {
    // axes = nonzero(shape(grad) != [1]*(rank(grad) - rank(like)) ++ shape(like))
    const sg = g.shape(grad);
    const sl = g.shape(like);
    const rankDiff = g.sub(g.shape(sg), g.shape(sl));
    const padded = g.concat([g.constantOfShape(rankDiff, 1, 'int64'), sl], 0);
    const differ = g.not(g.equal(sg, padded));
    const axes = g.reshape(g.op('NonZero', [differ]), [-1]);
    const r = g.reduceSum(grad, axes, { noopWithEmptyAxes: true });
    return g.reshape(r, sl);
  }
  if (plan && g.opset >= 10) {
    const leading = [...Array(plan.lead).keys()];
    let r = leading.length || plan.axes.length ? g.reduceSum(grad, [...leading, ...plan.axes]) : grad;
    for (const axis of plan.doubtful) {
      // Summed when like's dim is 1 at run time; Slice then keeps 1 or all of the (equal) rows.
      const dim = g.gather(g.shape(like), g.int64s([axis - plan.lead]));
      r = g.slice(g.where(g.equal(dim, g.int64s([1])), g.reduceSum(r, [axis]), r), g.int64s([0]), dim, [axis]);
    }
    return leading.length ? g.squeeze(r, leading) : r;
  }
  throw new BroadcastError(
    `cannot sum a gradient of shape ${fmt(grad.shape)} back to ${fmt(like.shape)} at opset ${g.opset}: the shapes are not known when the graph is built, and ReduceSum takes runtime axes only from opset 13`,
  );
}

/**
 * Sums the leading axes away (bias and position-table gradients: [batch, seq, C] → [C]). For a float32
 * or float64 operand of static shape that is ones[1, R] · grad[R, C]: ONNX Runtime's CPU ReduceSum
 * over the outer axes of a row-major tensor runs at about half the speed of the MatMul, which reads
 * the same bytes once (measured in this engine's training step at d = 256). Otherwise ReduceSum.
 */
function sumLeadingAxes(g: GraphBuilder, grad: Value, leading: number[], like: Shape): Value {
  const dtype = grad.dtype;
  if ((dtype !== 'float32' && dtype !== 'float64') || g.opset < 10 || like === undefined || !isStatic(like) || like.length === 0) {
    return g.reduceSum(grad, leading, { keepdims: false });
  }
  const cols = like.reduce((a, b) => a * b, 1);
  const rows = g.reshape(grad, [-1, cols]);
  const gs = grad.shape;
  const ones =
    gs !== undefined && isStatic(gs)
      ? g.constantOfShape([1, gs.reduce((a, b) => a * b, 1) / cols], 1, dtype)
      : g.constantOfShape(g.concat([g.int64s([1]), g.slice(g.shape(rows), [0], [1])], 0), 1, dtype);
  return g.reshape(g.matmul(ones, rows), like);
}

/**
 * Axes (of grad) to sum: `axes` certainly (like's dim is 1), `doubtful` maybe (a symbol or unknown
 * that may be 1 at run time). Undefined when a rank is unknown.
 */
function reductionPlan(gs: Shape, ls: Shape): { lead: number; axes: number[]; doubtful: number[] } | undefined {
  if (gs === undefined || ls === undefined) return undefined;
  const lead = gs.length - ls.length;
  if (lead < 0) return undefined;
  const axes: number[] = [];
  const doubtful: number[] = [];
  for (let i = 0; i < ls.length; i++) {
    const t = ls[i];
    const d = gs[i + lead];
    if (sameDim(t, d)) continue;
    if (t === 1) {
      if (d !== 1) axes.push(i + lead); // d may be a symbol: summing a size-1 axis is harmless
      continue;
    }
    // A static size other than 1 in the operand fixes the result's size: nothing to sum.
    if (typeof t === 'number') continue;
    doubtful.push(i + lead);
  }
  return { lead, axes, doubtful };
}

function fmt(s: Shape): string {
  return s === undefined ? '(rank unknown)' : `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
