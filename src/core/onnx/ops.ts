// The op table: for each op the builder and shape inference know, its attribute types and a rule that
// gives output dtypes and shapes (static, symbolic or unknown dims) from input dtypes and shapes.
//
// Small integer tensors also carry their *values* (Meta.value), possibly symbolic: Shape(x) of a
// [batch, seq, 4] tensor is the value ['batch', 'seq', 4], and Gather/Unsqueeze/Concat/Slice/Cast/
// arithmetic pass such values on, so the exporters' Shape -> Gather -> Concat -> Reshape chains resolve
// to real output shapes. Opset-dependent signatures (axes as attribute or input, ...) follow the
// node's opset. Rules throw ShapeError on definite inconsistencies; anything they cannot tell is null.
import type { AttrKind } from './attributes';
import { getFloat, getInt, getInts, getString, getTensor, getFloats, getStrings } from './attributes';
import {
  addDims,
  broadcastShapes,
  divDims,
  mulDims,
  sameDim,
  subDims,
  normalizeAxis,
  productDim,
  reshapeShape,
  ShapeError,
  shapeToString,
  sumDim,
  unifyDim,
  type Dim,
  type Shape,
} from './shape';
import { dtypeFromCode, isIntDType, tensorToNumbers, type DType } from './tensor';
import type { NodeProto, TensorProto } from './types';

/** What is known about one value. */
export interface Meta {
  dtype: DType | undefined;
  shape: Shape;
  /** Elements (row-major) of a small tensor whose content is known, possibly symbolically. */
  value?: readonly Dim[];
}

export interface InferContext {
  readonly node: NodeProto;
  /** Version of the node's domain in the model's opset imports. */
  readonly opset: number;
  /** Per node input; undefined for an omitted optional input ('') or a value nothing is known about. */
  readonly inputs: readonly (Meta | undefined)[];
  /** Builder mode: mixed input dtypes are errors. Loading existing models is lenient. */
  readonly strict: boolean;
}

export type InferRule = (ctx: InferContext) => Meta[];

export interface OpSchema {
  /** Attribute types, so plain JS values can be given to GraphBuilder.op. */
  readonly attrs?: Readonly<Record<string, AttrKind>>;
  readonly infer: InferRule;
}

/** At most this many elements of a tensor's content are tracked. */
export const MAX_VALUE_ELEMENTS = 64;
const INT64_MAX_ISH = 2 ** 62; // Slice ends at or beyond this mean "to the end"

const UNKNOWN: Meta = { dtype: undefined, shape: undefined };

// ---------------------------------------------------------------------------------------------------
// helpers

function input(ctx: InferContext, i: number): Meta {
  return ctx.inputs[i] ?? UNKNOWN;
}
function present(ctx: InferContext, i: number): boolean {
  return i < ctx.node.input.length && ctx.node.input[i] !== '';
}
/** The numeric content of input i, when every element is a known number. */
function numbers(ctx: InferContext, i: number): number[] | undefined {
  const v = ctx.inputs[i]?.value;
  return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
}
/** The (possibly symbolic) content of input i. */
function dims(ctx: InferContext, i: number): readonly Dim[] | undefined {
  return ctx.inputs[i]?.value;
}
function rankOf(m: Meta): number | undefined {
  return m.shape?.length;
}
function unknownDims(rank: number | undefined): Shape {
  return rank === undefined ? undefined : new Array<Dim>(rank).fill(null);
}
/** Length of a 1-D input when static (how many axes/pads/... it lists). */
function length1d(ctx: InferContext, i: number): number | undefined {
  const s = ctx.inputs[i]?.shape;
  return s && s.length === 1 && typeof s[0] === 'number' ? s[0] : undefined;
}

function dtypeOf(ctx: InferContext, idx: readonly number[]): DType | undefined {
  let d: DType | undefined;
  for (const i of idx) {
    const t = ctx.inputs[i]?.dtype;
    if (t === undefined) continue;
    if (d === undefined) d = t;
    else if (d !== t && ctx.strict) {
      throw new ShapeError(`inputs have different element types (${d} and ${t}); insert a Cast`);
    }
  }
  return d;
}

function withValue(m: Meta, value: readonly Dim[] | undefined): Meta {
  if (value === undefined || value.length > MAX_VALUE_ELEMENTS) return m;
  return { ...m, value };
}

/** The content of a small tensor as Dims (numbers), or undefined when too large or not numeric. */
export function tensorValue(t: TensorProto): Dim[] | undefined {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n > MAX_VALUE_ELEMENTS) return undefined;
  const dtype = dtypeFromCode(t.dataType);
  if (!dtype || dtype === 'string' || dtype === 'complex64' || dtype === 'complex128') return undefined;
  try {
    return tensorToNumbers(t);
  } catch {
    return undefined; // external or malformed: no value
  }
}

// ---------------------------------------------------------------------------------------------------
// families of rules

const sameAsInput0: InferRule = (ctx) => [{ dtype: input(ctx, 0).dtype, shape: input(ctx, 0).shape }];
const passValue: InferRule = (ctx) => [withValue(sameAsInput0(ctx)[0], dims(ctx, 0))];
const boolSameShape: InferRule = (ctx) => [{ dtype: 'bool', shape: input(ctx, 0).shape }];

/** Elementwise arithmetic on (possibly symbolic) scalars and short vectors, numpy-broadcast. */
function elementwise(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined, f: (x: Dim, y: Dim) => Dim): Dim[] | undefined {
  if (!a || !b) return undefined;
  if (a.length !== b.length && a.length !== 1 && b.length !== 1) return undefined;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) out.push(f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
  return out;
}

function arith(op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Max' | 'Min', intDiv: boolean): (x: Dim, y: Dim) => Dim {
  return (x, y) => {
    if (typeof x === 'number' && typeof y === 'number') {
      switch (op) {
        case 'Add':
          return x + y;
        case 'Sub':
          return x - y;
        case 'Mul':
          return x * y;
        case 'Div':
          return y === 0 ? null : intDiv ? Math.trunc(x / y) : x / y;
        case 'Max':
          return Math.max(x, y);
        case 'Min':
          return Math.min(x, y);
      }
    }
    switch (op) {
      case 'Add':
        return addDims(x, y);
      case 'Sub':
        return subDims(x, y);
      case 'Mul':
        return mulDims(x, y);
      case 'Div':
        return divDims(x, y);
      default:
        return sameDim(x, y) ? x : null;
    }
  };
}

function binaryArith(op: 'Add' | 'Sub' | 'Mul' | 'Div'): InferRule {
  return (ctx) => {
    const dtype = dtypeOf(ctx, [0, 1]);
    const shape = broadcastShapes(input(ctx, 0).shape, input(ctx, 1).shape);
    const value = elementwise(dims(ctx, 0), dims(ctx, 1), arith(op, isIntDType(dtype)));
    return [withValue({ dtype, shape }, value)];
  };
}

const broadcastSameType: InferRule = (ctx) => [
  { dtype: dtypeOf(ctx, ctx.inputs.map((_, i) => i)), shape: broadcastShapes(...ctx.inputs.map((m) => m?.shape)) },
];
const broadcastBool: InferRule = (ctx) => {
  dtypeOf(ctx, [0, 1]);
  return [{ dtype: 'bool', shape: broadcastShapes(input(ctx, 0).shape, input(ctx, 1).shape) }];
};
function variadicMinMax(op: 'Max' | 'Min'): InferRule {
  return (ctx) => {
    const idx = ctx.inputs.map((_, i) => i);
    const dtype = dtypeOf(ctx, idx);
    const shape = broadcastShapes(...ctx.inputs.map((m) => m?.shape));
    let value: readonly Dim[] | undefined = dims(ctx, 0);
    for (let i = 1; i < ctx.inputs.length && value; i++) value = elementwise(value, dims(ctx, i), arith(op, false));
    return [withValue({ dtype, shape }, value)];
  };
}

/** Reduce ops: axes as attribute before `axesInputSince`, as optional input 1 from it on. */
function reduce(axesInputSince: number): InferRule {
  return (ctx) => {
    const x = input(ctx, 0);
    const keep = getInt(ctx.node, 'keepdims', 1) !== 0;
    const noop = getInt(ctx.node, 'noop_with_empty_axes', 0) !== 0;
    let axes: number[] | undefined;
    let axesKnown = true;
    if (ctx.opset >= axesInputSince) {
      if (present(ctx, 1)) {
        axes = numbers(ctx, 1);
        axesKnown = axes !== undefined;
      }
    } else {
      axes = getInts(ctx.node, 'axes');
    }
    const rank = rankOf(x);
    if (!axesKnown) {
      const k = length1d(ctx, 1);
      if (keep) return [{ dtype: x.dtype, shape: unknownDims(rank) }];
      return [{ dtype: x.dtype, shape: rank !== undefined && k !== undefined ? unknownDims(rank - k) : undefined }];
    }
    if (axes === undefined || axes.length === 0) {
      if (noop) return [{ dtype: x.dtype, shape: x.shape }];
      if (rank === undefined) return [{ dtype: x.dtype, shape: undefined }];
      return [withValue({ dtype: x.dtype, shape: keep ? new Array<Dim>(rank).fill(1) : [] }, reducedValue(ctx))];
    }
    if (rank === undefined) {
      return [{ dtype: x.dtype, shape: undefined }];
    }
    if (rank === 1) {
      normalizeAxis(axes[0], 1, 'reduce axis');
      return [withValue({ dtype: x.dtype, shape: keep ? [1] : [] }, reducedValue(ctx))];
    }
    const set = new Set(axes.map((a) => normalizeAxis(a, rank, 'reduce axis')));
    const shape: Dim[] = [];
    x.shape!.forEach((d, i) => {
      if (!set.has(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ dtype: x.dtype, shape }];
  };
}

/** ReduceSum/ReduceProd/ReduceMax/ReduceMin of a tracked (shape-like) value, reduced entirely. */
function reducedValue(ctx: InferContext): Dim[] | undefined {
  const v = dims(ctx, 0);
  if (!v || !v.length) return undefined;
  switch (ctx.node.opType) {
    case 'ReduceProd':
      return [v.reduce<Dim>((a, b) => mulDims(a, b), 1)];
    case 'ReduceSum':
      return [v.reduce<Dim>((a, b) => addDims(a, b), 0)];
    case 'ReduceMax':
    case 'ReduceMin':
      return v.every((d) => typeof d === 'number') ? [(ctx.node.opType === 'ReduceMax' ? Math.max : Math.min)(...(v as number[]))] : undefined;
    default:
      return undefined;
  }
}

function argReduce(ctx: InferContext): Meta[] {
  const x = input(ctx, 0);
  const keep = getInt(ctx.node, 'keepdims', 1) !== 0;
  const rank = rankOf(x);
  if (rank === undefined) return [{ dtype: 'int64', shape: undefined }];
  const axis = normalizeAxis(getInt(ctx.node, 'axis', 0), rank);
  const shape: Dim[] = [];
  x.shape!.forEach((d, i) => {
    if (i !== axis) shape.push(d);
    else if (keep) shape.push(1);
  });
  return [{ dtype: 'int64', shape }];
}

function matmulShape(a: Shape, b: Shape): Shape {
  if (a === undefined || b === undefined) return undefined;
  if (a.length === 0 || b.length === 0) throw new ShapeError('MatMul operands must have rank >= 1');
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  unifyDim(A[A.length - 1], B[B.length - 2], `MatMul inner dimensions of ${shapeToString(a)} x ${shapeToString(b)}`);
  const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2))!;
  const out = [...batch];
  if (a.length > 1) out.push(A[A.length - 2]);
  if (b.length > 1) out.push(B[B.length - 1]);
  return out;
}

const matmul: InferRule = (ctx) => [{ dtype: dtypeOf(ctx, [0, 1]), shape: matmulShape(input(ctx, 0).shape, input(ctx, 1).shape) }];

function swapLast2(s: Shape): Shape {
  if (s === undefined || s.length < 2) return s;
  const out = [...s];
  [out[out.length - 2], out[out.length - 1]] = [out[out.length - 1], out[out.length - 2]];
  return out;
}

const fusedMatmul: InferRule = (ctx) => {
  if (getInt(ctx.node, 'transBatchA', 0) || getInt(ctx.node, 'transBatchB', 0)) {
    return [{ dtype: dtypeOf(ctx, [0, 1]), shape: undefined }];
  }
  const a = getInt(ctx.node, 'transA', 0) ? swapLast2(input(ctx, 0).shape) : input(ctx, 0).shape;
  const b = getInt(ctx.node, 'transB', 0) ? swapLast2(input(ctx, 1).shape) : input(ctx, 1).shape;
  return [{ dtype: dtypeOf(ctx, [0, 1]), shape: matmulShape(a, b) }];
};

const gemm: InferRule = (ctx) => {
  const dtype = dtypeOf(ctx, present(ctx, 2) ? [0, 1, 2] : [0, 1]);
  const a = input(ctx, 0).shape;
  const b = input(ctx, 1).shape;
  if (a !== undefined && a.length !== 2) throw new ShapeError(`Gemm: A must be 2-D, got ${shapeToString(a)}`);
  if (b !== undefined && b.length !== 2) throw new ShapeError(`Gemm: B must be 2-D, got ${shapeToString(b)}`);
  const tA = getInt(ctx.node, 'transA', 0) !== 0;
  const tB = getInt(ctx.node, 'transB', 0) !== 0;
  const M = a ? a[tA ? 1 : 0] : null;
  const N = b ? b[tB ? 0 : 1] : null;
  if (a && b) unifyDim(a[tA ? 0 : 1], b[tB ? 1 : 0], 'Gemm inner dimensions');
  const shape: Dim[] = [M, N];
  const c = present(ctx, 2) ? input(ctx, 2).shape : undefined;
  if (c !== undefined) broadcastShapes(shape, c); // C must broadcast to [M, N]
  return [{ dtype, shape }];
};

function normStats(x: Meta, axis: number): Shape {
  const rank = rankOf(x);
  if (rank === undefined) return undefined;
  const a = normalizeAxis(axis, rank);
  return x.shape!.map((d, i) => (i < a ? d : 1));
}

const layerNorm: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const stats = normStats(x, getInt(ctx.node, 'axis', -1));
  return [
    { dtype: x.dtype, shape: x.shape },
    { dtype: 'float32', shape: stats },
    { dtype: 'float32', shape: stats },
  ];
};

const simplifiedLayerNorm: InferRule = (ctx) => {
  const x = input(ctx, 0);
  return [
    { dtype: x.dtype, shape: x.shape },
    { dtype: 'float32', shape: normStats(x, getInt(ctx.node, 'axis', -1)) },
  ];
};

/** com.microsoft Skip(Simplified)LayerNormalization: output, mean, inv_std_var, input_skip_bias_sum. */
const skipLayerNorm: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const stats = normStats(x, -1);
  return [
    { dtype: x.dtype, shape: x.shape },
    { dtype: 'float32', shape: stats },
    { dtype: 'float32', shape: stats },
    { dtype: x.dtype, shape: x.shape },
  ];
};

const gather: InferRule = (ctx) => {
  const data = input(ctx, 0);
  const idx = input(ctx, 1);
  if (data.shape === undefined || idx.shape === undefined) return [{ dtype: data.dtype, shape: undefined }];
  const axis = normalizeAxis(getInt(ctx.node, 'axis', 0), data.shape.length);
  const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
  let value: Dim[] | undefined;
  const dv = dims(ctx, 0);
  const iv = numbers(ctx, 1);
  if (dv && iv && data.shape.length === 1) {
    const n = dv.length;
    value = iv.map((i) => (i < 0 ? i + n : i)).map((i) => (i >= 0 && i < n ? dv[i] : null));
  }
  return [withValue({ dtype: data.dtype, shape }, value)];
};

const gatherND: InferRule = (ctx) => {
  const data = input(ctx, 0).shape;
  const idx = input(ctx, 1).shape;
  const b = getInt(ctx.node, 'batch_dims', 0);
  const dtype = input(ctx, 0).dtype;
  if (!data || !idx || !idx.length) return [{ dtype, shape: undefined }];
  const last = idx[idx.length - 1];
  if (typeof last !== 'number') return [{ dtype, shape: undefined }];
  return [{ dtype, shape: [...idx.slice(0, -1), ...data.slice(b + last)] }];
};

const reshape: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const target = dims(ctx, 1);
  let shape: Shape;
  if (target) shape = reshapeShape(x.shape, target, getInt(ctx.node, 'allowzero', 0) !== 0);
  else shape = unknownDims(length1d(ctx, 1));
  return [withValue({ dtype: x.dtype, shape }, dims(ctx, 0))];
};

const transpose: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const perm = getInts(ctx.node, 'perm');
  if (x.shape === undefined) return [{ dtype: x.dtype, shape: perm ? unknownDims(perm.length) : undefined }];
  const rank = x.shape.length;
  const p = perm ?? [...Array(rank).keys()].reverse();
  if (p.length !== rank) throw new ShapeError(`Transpose: perm [${p.join(', ')}] for rank ${rank}`);
  return [{ dtype: x.dtype, shape: p.map((i) => x.shape![normalizeAxis(i, rank, 'perm entry')]) }];
};

/** Axes of Unsqueeze/Squeeze: attribute before opset 13, input 1 from it on. */
function axesOf(ctx: InferContext, inputSince: number): number[] | undefined | 'unknown' {
  if (ctx.opset >= inputSince) {
    if (!present(ctx, 1)) return undefined;
    return numbers(ctx, 1) ?? 'unknown';
  }
  return getInts(ctx.node, 'axes');
}

const unsqueeze: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const axes = axesOf(ctx, 13);
  if (axes === undefined) throw new ShapeError('Unsqueeze needs axes');
  if (axes === 'unknown' || x.shape === undefined) {
    const k = axes === 'unknown' ? length1d(ctx, 1) : axes.length;
    const r = rankOf(x);
    return [{ dtype: x.dtype, shape: r !== undefined && k !== undefined ? unknownDims(r + k) : undefined }];
  }
  const outRank = x.shape.length + axes.length;
  const set = new Set(axes.map((a) => normalizeAxis(a, outRank, 'Unsqueeze axis')));
  if (set.size !== axes.length) throw new ShapeError('Unsqueeze: repeated axis');
  const shape: Dim[] = [];
  let k = 0;
  for (let i = 0; i < outRank; i++) shape.push(set.has(i) ? 1 : x.shape[k++]);
  return [withValue({ dtype: x.dtype, shape }, dims(ctx, 0))];
};

const squeeze: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const axes = axesOf(ctx, 13);
  if (x.shape === undefined || axes === 'unknown') {
    const k = axes === 'unknown' ? length1d(ctx, 1) : axes?.length;
    const r = rankOf(x);
    return [{ dtype: x.dtype, shape: r !== undefined && k !== undefined ? unknownDims(r - k) : undefined }];
  }
  let shape: Shape;
  if (axes === undefined || axes.length === 0) {
    shape = x.shape.every((d) => typeof d === 'number') ? x.shape.filter((d) => d !== 1) : undefined;
  } else {
    const rank = x.shape.length;
    const set = new Set(axes.map((a) => normalizeAxis(a, rank, 'Squeeze axis')));
    for (const a of set) {
      const d = x.shape[a];
      if (typeof d === 'number' && d !== 1) throw new ShapeError(`Squeeze: axis ${a} has size ${d}, not 1`);
    }
    shape = x.shape.filter((_, i) => !set.has(i));
  }
  return [withValue({ dtype: x.dtype, shape }, dims(ctx, 0))];
};

const concat: InferRule = (ctx) => {
  const dtype = dtypeOf(ctx, ctx.inputs.map((_, i) => i));
  const shapes = ctx.inputs.map((m) => m?.shape);
  const axisAttr = getInt(ctx.node, 'axis');
  if (axisAttr === undefined) throw new ShapeError('Concat needs axis');
  const known = shapes.filter((s): s is readonly Dim[] => s !== undefined);
  let shape: Shape;
  if (known.length === shapes.length && known.length > 0) {
    const rank = known[0].length;
    if (known.some((s) => s.length !== rank)) throw new ShapeError(`Concat: ranks differ (${known.map(shapeToString).join(', ')})`);
    const axis = normalizeAxis(axisAttr, rank);
    const out: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      if (i === axis) out.push(sumDim(known.map((s) => s[i])));
      else out.push(known.map((s) => s[i]).reduce((a, b) => unifyDim(a, b, `Concat dimension ${i}`)));
    }
    shape = out;
  } else if (known.length) {
    shape = unknownDims(known[0].length);
  }
  let value: Dim[] | undefined = [];
  for (let i = 0; i < ctx.inputs.length; i++) {
    const v = dims(ctx, i);
    if (!v || (shapes[i] !== undefined && shapes[i]!.length > 1)) {
      value = undefined;
      break;
    }
    value.push(...v);
  }
  return [withValue({ dtype, shape }, value)];
};

/** Length of one sliced axis, or null. */
function sliceDim(d: Dim, start: number, end: number, step: number): Dim {
  if (step === 0) throw new ShapeError('Slice: step 0');
  if (typeof d !== 'number') {
    if (start === 0 && end >= INT64_MAX_ISH && step === 1) return d;
    return null;
  }
  if (step > 0) {
    const s = Math.min(Math.max(start < 0 ? start + d : start, 0), d);
    const e = Math.min(Math.max(end < 0 ? end + d : end, 0), d);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  const s = Math.min(Math.max(start < 0 ? start + d : start, -1), d - 1);
  const e = Math.min(Math.max(end < 0 ? end + d : end, -1), d - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}

function sliceIndices(d: number, start: number, end: number, step: number): number[] {
  const n = sliceDim(d, start, end, step) as number;
  const s = step > 0 ? Math.min(Math.max(start < 0 ? start + d : start, 0), d) : Math.min(Math.max(start < 0 ? start + d : start, -1), d - 1);
  return Array.from({ length: n }, (_, i) => s + i * step);
}

const slice: InferRule = (ctx) => {
  const x = input(ctx, 0);
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  let axesUnknown = false;
  if (ctx.opset >= 10) {
    starts = numbers(ctx, 1);
    ends = numbers(ctx, 2);
    if (present(ctx, 3)) {
      axes = numbers(ctx, 3);
      axesUnknown = axes === undefined;
    }
    if (present(ctx, 4)) steps = numbers(ctx, 4) ?? [];
  } else {
    starts = getInts(ctx.node, 'starts');
    ends = getInts(ctx.node, 'ends');
    axes = getInts(ctx.node, 'axes');
  }
  if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
  const rank = x.shape.length;
  if (axesUnknown) return [{ dtype: x.dtype, shape: unknownDims(rank) }];
  const nAxes = axes?.length ?? starts?.length ?? ends?.length;
  const ax = (axes ?? [...Array(nAxes ?? rank).keys()]).map((a) => normalizeAxis(a, rank, 'Slice axis'));
  const shape = [...x.shape];
  const stepsKnown = steps === undefined || steps.length === ax.length;
  for (let k = 0; k < ax.length; k++) {
    if (!starts || !ends || !stepsKnown) {
      shape[ax[k]] = null;
      continue;
    }
    shape[ax[k]] = sliceDim(x.shape[ax[k]], starts[k], ends[k], steps ? steps[k] : 1);
  }
  let value: Dim[] | undefined;
  const v = dims(ctx, 0);
  if (v && rank === 1 && starts && ends && stepsKnown && typeof x.shape[0] === 'number' && ax.length === 1) {
    value = sliceIndices(x.shape[0], starts[0], ends[0], steps ? steps[0] : 1).map((i) => v[i] ?? null);
  }
  return [withValue({ dtype: x.dtype, shape }, value)];
};

const split: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const n = ctx.node.output.length;
  const rank = rankOf(x);
  if (rank === undefined) return Array.from({ length: n }, () => ({ dtype: x.dtype, shape: undefined }));
  const axis = normalizeAxis(getInt(ctx.node, 'axis', 0), rank);
  let sizes: Dim[] | undefined;
  if (ctx.opset >= 13) {
    if (present(ctx, 1)) sizes = numbers(ctx, 1) ?? new Array<Dim>(n).fill(null);
  } else {
    sizes = getInts(ctx.node, 'split');
  }
  if (sizes === undefined) {
    const d = x.shape![axis];
    if (typeof d === 'number') {
      const chunk = Math.ceil(d / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
      if (ctx.opset < 18 && d % n !== 0) throw new ShapeError(`Split: ${d} is not divisible into ${n} equal parts`);
    } else sizes = new Array<Dim>(n).fill(null);
  }
  if (sizes.length !== n) throw new ShapeError(`Split: ${sizes.length} sizes for ${n} outputs`);
  return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape!.map((d, i) => (i === axis ? s : d)) }));
};

const expand: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const target = dims(ctx, 1);
  if (target) return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, target) }];
  const k = length1d(ctx, 1);
  const r = rankOf(x);
  return [{ dtype: x.dtype, shape: k !== undefined && r !== undefined ? unknownDims(Math.max(k, r)) : undefined }];
};

const where: InferRule = (ctx) => [
  {
    dtype: dtypeOf(ctx, [1, 2]),
    shape: broadcastShapes(input(ctx, 0).shape, input(ctx, 1).shape, input(ctx, 2).shape),
  },
];

const cast: InferRule = (ctx) => {
  const to = getInt(ctx.node, 'to');
  if (to === undefined) throw new ShapeError("Cast needs 'to'");
  const dtype = dtypeFromCode(to);
  const x = input(ctx, 0);
  const v = dims(ctx, 0);
  const keep = v && (isIntDType(dtype) ? v.every((d) => typeof d !== 'number' || Number.isInteger(d)) : dtype !== 'bool');
  return [withValue({ dtype, shape: x.shape }, keep ? v : undefined)];
};

const shapeOp: InferRule = (ctx) => {
  const x = input(ctx, 0);
  if (x.shape === undefined) return [{ dtype: 'int64', shape: [null] }];
  const rank = x.shape.length;
  const clamp = (a: number): number => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = ctx.opset >= 15 ? clamp(getInt(ctx.node, 'start', 0)) : 0;
  const end = ctx.opset >= 15 ? clamp(getInt(ctx.node, 'end', rank)) : rank;
  const value = x.shape.slice(start, Math.max(start, end));
  return [withValue({ dtype: 'int64', shape: [value.length] }, value)];
};

const size: InferRule = (ctx) => {
  const s = input(ctx, 0).shape;
  return [withValue({ dtype: 'int64', shape: [] }, s ? [productDim(s)] : undefined)];
};

const constantOfShape: InferRule = (ctx) => {
  const t = getTensor(ctx.node, 'value');
  const dtype = t ? dtypeFromCode(t.dataType) : 'float32';
  const target = dims(ctx, 0);
  const shape = target ?? unknownDims(length1d(ctx, 0));
  let value: Dim[] | undefined;
  if (target && target.every((d) => typeof d === 'number')) {
    const n = (target as number[]).reduce((a, b) => a * b, 1);
    const fill = t ? (tensorValue(t)?.[0] ?? null) : 0;
    if (n <= MAX_VALUE_ELEMENTS) value = new Array<Dim>(n).fill(fill);
  }
  return [withValue({ dtype, shape }, value)];
};

const constant: InferRule = (ctx) => {
  const n = ctx.node;
  const t = getTensor(n, 'value');
  if (t) return [withValue({ dtype: dtypeFromCode(t.dataType), shape: [...t.dims] }, tensorValue(t))];
  const f = getFloat(n, 'value_float');
  if (f !== undefined) return [{ dtype: 'float32', shape: [], value: [f] }];
  const fs = getFloats(n, 'value_floats');
  if (fs) return [withValue({ dtype: 'float32', shape: [fs.length] }, fs)];
  const i = getInt(n, 'value_int');
  if (i !== undefined) return [{ dtype: 'int64', shape: [], value: [i] }];
  const is = getInts(n, 'value_ints');
  if (is) return [withValue({ dtype: 'int64', shape: [is.length] }, is)];
  if (getString(n, 'value_string') !== undefined) return [{ dtype: 'string', shape: [] }];
  const ss = getStrings(n, 'value_strings');
  if (ss) return [{ dtype: 'string', shape: [ss.length] }];
  if (n.attribute.some((a) => a.name === 'sparse_value')) return [UNKNOWN];
  throw new ShapeError('Constant has no value attribute');
};

const range: InferRule = (ctx) => {
  const dtype = dtypeOf(ctx, [0, 1, 2]);
  const [s, l, d] = [numbers(ctx, 0), numbers(ctx, 1), numbers(ctx, 2)];
  if (s && l && d && d[0] !== 0) {
    const n = Math.max(Math.ceil((l[0] - s[0]) / d[0]), 0);
    const value = n <= MAX_VALUE_ELEMENTS ? Array.from({ length: n }, (_, i) => s[0] + i * d[0]) : undefined;
    return [withValue({ dtype, shape: [n] }, value)];
  }
  // Symbolic bounds: Range(0, n, 1) is [n]; Range(s, s + 2, 1) is [2].
  const [sd, ld] = [dims(ctx, 0), dims(ctx, 1)];
  if (sd && ld && d && d[0] > 0) {
    const span = subDims(ld[0], sd[0]);
    if (typeof span === 'number') return [{ dtype, shape: [Math.max(Math.ceil(span / d[0]), 0)] }];
    if (d[0] === 1 && span !== null) return [{ dtype, shape: [span] }];
  }
  return [{ dtype, shape: [null] }];
};

const pad: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const pads = ctx.opset >= 11 ? numbers(ctx, 1) : (getInts(ctx.node, 'pads') ?? getInts(ctx.node, 'paddings'));
  const rank = rankOf(x);
  if (rank === undefined) return [{ dtype: x.dtype, shape: undefined }];
  if (!pads) return [{ dtype: x.dtype, shape: unknownDims(rank) }];
  let axes = [...Array(rank).keys()];
  if (ctx.opset >= 18 && present(ctx, 3)) {
    const a = numbers(ctx, 3);
    if (!a) return [{ dtype: x.dtype, shape: unknownDims(rank) }];
    axes = a.map((v) => normalizeAxis(v, rank, 'Pad axis'));
  }
  if (pads.length !== 2 * axes.length) throw new ShapeError(`Pad: ${pads.length} pads for ${axes.length} axes`);
  const shape = [...x.shape!];
  axes.forEach((a, k) => {
    shape[a] = addDims(shape[a], pads[k] + pads[k + axes.length]);
  });
  return [{ dtype: x.dtype, shape }];
};

const flatten: InferRule = (ctx) => {
  const x = input(ctx, 0);
  if (x.shape === undefined) return [{ dtype: x.dtype, shape: [null, null] }];
  const rank = x.shape.length;
  let axis = getInt(ctx.node, 'axis', 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) throw new ShapeError(`Flatten: axis ${axis} for rank ${rank}`);
  return [{ dtype: x.dtype, shape: [productDim(x.shape.slice(0, axis)), productDim(x.shape.slice(axis))] }];
};

const tile: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const reps = numbers(ctx, 1);
  const rank = rankOf(x);
  if (rank === undefined) return [{ dtype: x.dtype, shape: undefined }];
  if (!reps) return [{ dtype: x.dtype, shape: unknownDims(rank) }];
  if (reps.length !== rank) throw new ShapeError(`Tile: ${reps.length} repeats for rank ${rank}`);
  return [{ dtype: x.dtype, shape: x.shape!.map((d, i) => mulDims(d, reps[i])) }];
};

const topK: InferRule = (ctx) => {
  const x = input(ctx, 0);
  const rank = rankOf(x);
  if (rank === undefined) return [{ dtype: x.dtype, shape: undefined }, { dtype: 'int64', shape: undefined }];
  const axis = normalizeAxis(getInt(ctx.node, 'axis', -1), rank);
  const k = ctx.opset >= 10 ? (dims(ctx, 1)?.[0] ?? null) : getInt(ctx.node, 'k', 0);
  const shape = x.shape!.map((d, i) => (i === axis ? k : d));
  return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape }];
};

const dropout: InferRule = (ctx) => [
  { dtype: input(ctx, 0).dtype, shape: input(ctx, 0).shape },
  { dtype: 'bool', shape: input(ctx, 0).shape },
];

const nonZero: InferRule = (ctx) => [{ dtype: 'int64', shape: [rankOf(input(ctx, 0)) ?? null, null] }];

const neg: InferRule = (ctx) => {
  const v = dims(ctx, 0);
  return [withValue(sameAsInput0(ctx)[0], v?.every((d) => typeof d === 'number') ? v.map((d) => -(d as number)) : undefined)];
};

const absRule: InferRule = (ctx) => {
  const v = dims(ctx, 0);
  return [withValue(sameAsInput0(ctx)[0], v?.every((d) => typeof d === 'number') ? v.map((d) => Math.abs(d as number)) : undefined)];
};

const biasedUnary: InferRule = (ctx) => [
  { dtype: input(ctx, 0).dtype, shape: present(ctx, 1) ? broadcastShapes(input(ctx, 0).shape, input(ctx, 1).shape) : input(ctx, 0).shape },
];

// ---------------------------------------------------------------------------------------------------
// the table

const F: AttrKind = 'FLOAT';
const I: AttrKind = 'INT';
const IS: AttrKind = 'INTS';
const S: AttrKind = 'STRING';
const reduceAttrs = { axes: IS, keepdims: I, noop_with_empty_axes: I };

const unary = (attrs?: Record<string, AttrKind>): OpSchema => ({ attrs, infer: sameAsInput0 });

const ONNX: Record<string, OpSchema> = {
  // elementwise
  Add: { infer: binaryArith('Add') },
  Sub: { infer: binaryArith('Sub') },
  Mul: { infer: binaryArith('Mul') },
  Div: { infer: binaryArith('Div') },
  Pow: { infer: (ctx) => [{ dtype: input(ctx, 0).dtype, shape: broadcastShapes(input(ctx, 0).shape, input(ctx, 1).shape) }] },
  Mod: { attrs: { fmod: I }, infer: broadcastSameType },
  PRelu: { infer: broadcastSameType },
  Max: { infer: variadicMinMax('Max') },
  Min: { infer: variadicMinMax('Min') },
  Sum: { infer: broadcastSameType },
  Mean: { infer: broadcastSameType },
  Equal: { infer: broadcastBool },
  Less: { infer: broadcastBool },
  Greater: { infer: broadcastBool },
  LessOrEqual: { infer: broadcastBool },
  GreaterOrEqual: { infer: broadcastBool },
  And: { infer: broadcastBool },
  Or: { infer: broadcastBool },
  Xor: { infer: broadcastBool },
  Not: { infer: boolSameShape },
  IsNaN: { infer: boolSameShape },
  IsInf: { attrs: { detect_negative: I, detect_positive: I }, infer: boolSameShape },
  Where: { infer: where },
  Neg: { infer: neg },
  Identity: { infer: passValue },
  Abs: { infer: absRule },
  Sqrt: unary(),
  Exp: unary(),
  Log: unary(),
  Tanh: unary(),
  Sigmoid: unary(),
  Softplus: unary(),
  Softsign: unary(),
  Erf: unary(),
  Relu: unary(),
  Reciprocal: unary(),
  Floor: unary(),
  Ceil: unary(),
  Round: unary(),
  Sign: unary(),
  Sin: unary(),
  Cos: unary(),
  Tan: unary(),
  Asin: unary(),
  Acos: unary(),
  Atan: unary(),
  Sinh: unary(),
  Cosh: unary(),
  Mish: unary(),
  HardSwish: unary(),
  Elu: unary({ alpha: F }),
  Celu: unary({ alpha: F }),
  LeakyRelu: unary({ alpha: F }),
  ThresholdedRelu: unary({ alpha: F }),
  Selu: unary({ alpha: F, gamma: F }),
  HardSigmoid: unary({ alpha: F, beta: F }),
  Shrink: unary({ bias: F, lambd: F }),
  Gelu: unary({ approximate: S }),
  Clip: unary({ min: F, max: F }),
  Trilu: unary({ upper: I }),
  CumSum: unary({ exclusive: I, reverse: I }),
  Softmax: unary({ axis: I }),
  LogSoftmax: unary({ axis: I }),
  Hardmax: unary({ axis: I }),
  Dropout: { attrs: { ratio: F, seed: I }, infer: dropout },
  // linear algebra
  MatMul: { infer: matmul },
  Gemm: { attrs: { alpha: F, beta: F, transA: I, transB: I }, infer: gemm },
  // reductions (axes became an input at opset 13 for ReduceSum, 18 for the rest)
  ReduceSum: { attrs: reduceAttrs, infer: reduce(13) },
  ReduceMean: { attrs: reduceAttrs, infer: reduce(18) },
  ReduceMax: { attrs: reduceAttrs, infer: reduce(18) },
  ReduceMin: { attrs: reduceAttrs, infer: reduce(18) },
  ReduceProd: { attrs: reduceAttrs, infer: reduce(18) },
  ReduceL1: { attrs: reduceAttrs, infer: reduce(18) },
  ReduceL2: { attrs: reduceAttrs, infer: reduce(18) },
  ReduceSumSquare: { attrs: reduceAttrs, infer: reduce(18) },
  ReduceLogSumExp: { attrs: reduceAttrs, infer: reduce(18) },
  ArgMax: { attrs: { axis: I, keepdims: I, select_last_index: I }, infer: argReduce },
  ArgMin: { attrs: { axis: I, keepdims: I, select_last_index: I }, infer: argReduce },
  // normalization
  LayerNormalization: { attrs: { axis: I, epsilon: F, stash_type: I }, infer: layerNorm },
  // ONNX Runtime registers this internal op in the ai.onnx domain.
  SimplifiedLayerNormalization: { attrs: { axis: I, epsilon: F, stash_type: I }, infer: simplifiedLayerNorm },
  // indexing
  Gather: { attrs: { axis: I }, infer: gather },
  GatherElements: { attrs: { axis: I }, infer: (ctx) => [{ dtype: input(ctx, 0).dtype, shape: input(ctx, 1).shape }] },
  GatherND: { attrs: { batch_dims: I }, infer: gatherND },
  ScatterElements: { attrs: { axis: I, reduction: S }, infer: sameAsInput0 },
  ScatterND: { attrs: { reduction: S }, infer: sameAsInput0 },
  // shape manipulation
  Reshape: { attrs: { allowzero: I }, infer: reshape },
  Transpose: { attrs: { perm: IS }, infer: transpose },
  Unsqueeze: { attrs: { axes: IS }, infer: unsqueeze },
  Squeeze: { attrs: { axes: IS }, infer: squeeze },
  Concat: { attrs: { axis: I }, infer: concat },
  Slice: { attrs: { starts: IS, ends: IS, axes: IS }, infer: slice },
  Split: { attrs: { axis: I, split: IS, num_outputs: I }, infer: split },
  Expand: { infer: expand },
  Flatten: { attrs: { axis: I }, infer: flatten },
  Tile: { infer: tile },
  Pad: { attrs: { mode: S, pads: IS, value: F }, infer: pad },
  // types, shapes, constants
  Cast: { attrs: { to: I, saturate: I }, infer: cast },
  CastLike: { attrs: { saturate: I }, infer: (ctx) => [{ dtype: input(ctx, 1).dtype, shape: input(ctx, 0).shape }] },
  Shape: { attrs: { start: I, end: I }, infer: shapeOp },
  Size: { infer: size },
  ConstantOfShape: { attrs: { value: 'TENSOR' }, infer: constantOfShape },
  Constant: {
    attrs: { value: 'TENSOR', value_float: F, value_floats: 'FLOATS', value_int: I, value_ints: IS, value_string: S, value_strings: 'STRINGS' },
    infer: constant,
  },
  Range: { infer: range },
  TopK: { attrs: { axis: I, largest: I, sorted: I, k: I }, infer: topK },
  NonZero: { infer: nonZero },
};

const MICROSOFT: Record<string, OpSchema> = {
  Gelu: { infer: sameAsInput0 },
  FastGelu: { infer: biasedUnary },
  BiasGelu: { infer: biasedUnary },
  QuickGelu: { attrs: { alpha: F }, infer: sameAsInput0 },
  FusedMatMul: { attrs: { alpha: F, transA: I, transB: I, transBatchA: I, transBatchB: I }, infer: fusedMatmul },
  SimplifiedLayerNormalization: { attrs: { axis: I, epsilon: F, stash_type: I }, infer: simplifiedLayerNorm },
  SkipLayerNormalization: { attrs: { epsilon: F }, infer: skipLayerNorm },
  SkipSimplifiedLayerNormalization: { attrs: { epsilon: F }, infer: skipLayerNorm },
  RotaryEmbedding: {
    attrs: { interleaved: I, num_heads: I, rotary_embedding_dim: I, scale: F, is_packed_batching: I },
    infer: sameAsInput0,
  },
};

/** Normalised domain: '' for ai.onnx. */
export function canonicalDomain(domain: string | undefined): string {
  return domain === undefined || domain === 'ai.onnx' ? '' : domain;
}

/** The schema of an op, or undefined when shape inference does not know it. */
export function opSchema(opType: string, domain?: string): OpSchema | undefined {
  const d = canonicalDomain(domain);
  if (d === '') return Object.prototype.hasOwnProperty.call(ONNX, opType) ? ONNX[opType] : undefined;
  if (d === 'com.microsoft') return Object.prototype.hasOwnProperty.call(MICROSOFT, opType) ? MICROSOFT[opType] : undefined;
  return undefined;
}

/** Ops the table knows, as 'Op' (ai.onnx) or 'domain::Op'. */
export function knownOps(): string[] {
  return [...Object.keys(ONNX), ...Object.keys(MICROSOFT).map((k) => `com.microsoft::${k}`)];
}
