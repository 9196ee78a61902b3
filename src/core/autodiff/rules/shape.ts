// Data movement: reshapes, transposes, concatenation and splitting, slicing and padding, broadcasting
// and tiling, and indexing (Gather, GatherElements). Shape/axes/index inputs carry no gradient.
import { attr, normalizeAxis, type DType, type GraphBuilder, type Value } from '../../onnx';
import { dimOf, isStatic, rankOf, reshapeTo, shapeOf, zerosLike } from '../helpers';
import type { RuleInfo } from '../types';
import { each, gradient, toInput } from './define';

const INT64_MIN = -(2 ** 63);

export const reshapeLike = gradient('dX = Reshape(dY, shape(X))', (c) => [reshapeTo(c.g, c.grad(), c.input(0))], { differentiable: [0] });

export const transpose = gradient('dX = Transpose(dY, perm⁻¹)', (c) => {
  const perm = c.attrInts('perm');
  if (!perm) return [c.g.transpose(c.grad())]; // reversing the axes is its own inverse
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p < 0 ? p + perm.length : p] = i));
  return [c.g.transpose(c.grad(), inv)];
});

export const expand = gradient('dX = dY summed to shape(X)', (c) => [toInput(c, c.grad(), 0)], { differentiable: [0] });

// --- concat / split -------------------------------------------------------------------------------

export const concat = gradient('dXi = the slice of dY along axis that Xi filled', (c) => {
  const { g } = c;
  const axis = c.attrInt('axis', 0);
  const xs = c.node.input.map((_, i) => c.input(i));
  const dy = c.grad();
  const sizes = xs.map((x) => {
    const r = rankOf(x);
    return r === undefined ? null : x.shape![normalizeAxis(axis, r)];
  });
  if (sizes.every((s): s is number => typeof s === 'number')) {
    if (xs.length === 1) return [dy];
    const parts = g.split(dy, { axis, sizes });
    return each(c, (i) => parts[i]);
  }
  // Sizes known only at run time: slice at running offsets.
  let start = g.int64s([0]);
  return xs.map((x, i) => {
    const end = g.add(start, dimOf(g, x, axis));
    const part = c.needs[i] ? g.slice(dy, start, end, [axis]) : undefined;
    start = end;
    return part;
  });
});

export const split = gradient(
  'dX = Concat(dYi, axis), zeros for outputs no gradient reaches',
  (c) => [c.g.concat(c.node.output.map((_, i) => c.gradOrZeros(i)), c.attrInt('axis', 0))],
  { differentiable: [0] },
);

// --- slice ----------------------------------------------------------------------------------------

interface SliceArgs {
  starts: number[] | Value;
  ends: number[] | Value;
  /** Given axes (possibly negative); undefined: 0..k-1. */
  axes: number[] | undefined;
  steps: number[];
}

/** The Slice node's parameters, or why the gradient cannot be built. */
function sliceArgs(info: RuleInfo): SliceArgs | string {
  const { g, node, opset } = info;
  const x = g.value(node.input[0]);
  if (rankOf(x) === undefined) return 'the rank of the sliced tensor is unknown';
  const at = (name: string): number[] | undefined => node.attribute.find((a) => a.name === name)?.ints.map(Number);
  if (opset < 10) {
    const starts = at('starts');
    const ends = at('ends');
    if (!starts || !ends) return 'starts/ends attributes missing';
    return { starts, ends, axes: at('axes'), steps: starts.map(() => 1) };
  }
  const known = (i: number): number[] | undefined => {
    const n = node.input[i];
    if (!n) return undefined;
    const v = g.knownValue(n);
    return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
  };
  const present = (i: number): boolean => i < node.input.length && node.input[i] !== '';
  const startsV = g.value(node.input[1]);
  const k = startsV.shape?.[0];
  const axes = present(3) ? known(3) : undefined;
  if (present(3) && !axes) return 'Slice axes that are not constant';
  const steps = present(4) ? known(4) : undefined;
  if (present(4) && !steps) return 'Slice steps that are not constant';
  const count = axes?.length ?? steps?.length ?? (typeof k === 'number' ? k : undefined);
  if (count === undefined) return 'the number of sliced axes is unknown';
  return {
    starts: known(1) ?? startsV,
    ends: known(2) ?? g.value(node.input[2]),
    axes,
    steps: steps ?? new Array<number>(count).fill(1),
  };
}

/** True when the gradient can be built from numbers (all bounds and the sliced dims static). */
function sliceIsStatic(x: Value, a: SliceArgs): boolean {
  if (!Array.isArray(a.starts) || !Array.isArray(a.ends)) return false;
  const r = rankOf(x)!;
  const axes = (a.axes ?? a.starts.map((_, i) => i)).map((v) => normalizeAxis(v, r));
  return axes.every((ax) => typeof x.shape![ax] === 'number');
}

const refuseSlice = (info: RuleInfo): string | undefined => {
  const a = sliceArgs(info);
  if (typeof a === 'string') return a;
  const x = info.g.value(info.node.input[0]);
  if (!sliceIsStatic(x, a) && a.steps.some((s) => s !== 1)) return 'Slice with steps other than 1 over bounds or dims known only at run time';
  return undefined;
};

const clampTo = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);

/** dims of v with dim `axis` replaced by `size`, as an int64 tensor. */
function withDim(g: GraphBuilder, v: Value, axis: number, size: number): Value {
  const s = v.shape!;
  if (isStatic(s)) return g.int64s(s.map((d, i) => (i === axis ? size : d)));
  const parts: Value[] = [];
  if (axis > 0) parts.push(g.shape(v, { start: 0, end: axis }));
  parts.push(g.int64s([size]));
  if (axis < s.length - 1) parts.push(g.shape(v, { start: axis + 1 }));
  return g.concat(parts, 0);
}

export const slice = gradient(
  'dX = Pad(dY) with the normalized, clamped starts and ends (negative steps reversed, steps > 1 interleaved with zeros)',
  (c) => {
    const { g } = c;
    const x = c.input(0);
    const args = sliceArgs(c) as SliceArgs;
    const r = rankOf(x)!;
    const k = args.steps.length;
    const axesGiven = args.axes ?? [...Array(k).keys()];
    const axes = axesGiven.map((v) => normalizeAxis(v, r));
    let grad = c.grad();
    if (sliceIsStatic(x, args)) {
      const begin = new Array<number>(r).fill(0);
      const end = new Array<number>(r).fill(0);
      const starts = args.starts as number[];
      const ends = args.ends as number[];
      const reversed: number[] = [];
      const dilate: { axis: number; n: number; stride: number }[] = [];
      for (let i = 0; i < k; i++) {
        const d = x.shape![axes[i]] as number;
        const s = args.steps[i];
        const norm = (v: number): number => (v < 0 ? v + d : v);
        let n: number;
        let lo: number;
        if (s > 0) {
          const b = clampTo(norm(starts[i]), 0, d);
          const e = clampTo(norm(ends[i]), 0, d);
          n = Math.max(0, Math.ceil((e - b) / s));
          lo = b;
        } else {
          const b = clampTo(norm(starts[i]), -1, d - 1);
          const e = clampTo(norm(ends[i]), -1, d - 1);
          n = Math.max(0, Math.ceil((b - e) / -s));
          lo = b + (n - 1) * s;
          if (n > 1) reversed.push(axes[i]);
        }
        if (n === 0) return [zerosLike(g, x)];
        const stride = Math.abs(s);
        if (stride > 1 && n > 1) dilate.push({ axis: axes[i], n, stride });
        begin[axes[i]] = lo;
        end[axes[i]] = d - lo - (stride > 1 && n > 1 ? n * stride : n); // negative: Pad crops
      }
      if (reversed.length) {
        const m = reversed.length;
        grad = g.slice(grad, new Array<number>(m).fill(-1), new Array<number>(m).fill(INT64_MIN), reversed, new Array<number>(m).fill(-1));
      }
      for (const { axis, n, stride } of dilate) {
        // [.., n, ..] -> [.., n, stride, ..] (zeros after each element) -> [.., n*stride, ..]
        const target = withDim(g, grad, axis, n * stride);
        const u = g.unsqueeze(grad, [axis + 1]);
        const pads = new Array<number>(2 * (r + 1)).fill(0);
        pads[r + 1 + axis + 1] = stride - 1;
        grad = g.reshape(g.pad(u, pads), target);
      }
      if (begin.every((p) => p === 0) && end.every((p) => p === 0)) return [grad];
      return [g.pad(grad, [...begin, ...end])];
    }
    // Runtime bounds (steps are 1): clamp in int64 arithmetic. Where-based min/max work at every opset.
    const dims = g.gather(g.shape(x), g.int64s(axesGiven));
    const zero = g.scalar(0, 'int64');
    const asInt64 = (v: number[] | Value): Value => (Array.isArray(v) ? g.int64s(v) : v.dtype === 'int64' ? v : g.cast(v, 'int64'));
    const maxv = (a: Value, b: Value): Value => g.where(g.less(a, b), b, a);
    const minv = (a: Value, b: Value): Value => g.where(g.less(a, b), a, b);
    const clamp = (v: Value): Value => minv(maxv(g.where(g.less(v, zero), g.add(v, dims), v), zero), dims);
    const b = clamp(asInt64(args.starts));
    const e = maxv(clamp(asInt64(args.ends)), b);
    const after = g.sub(dims, e);
    if (c.opset >= 18) return [g.op('Pad', [grad, g.concat([b, after], 0), null, g.int64s(axesGiven)])];
    const piece = (v: Value, axis: number): Value => {
      const i = axes.indexOf(axis);
      return i < 0 ? g.int64s([0]) : g.slice(v, [i], [i + 1]);
    };
    const dimsRange = [...Array(r).keys()];
    const pads = g.concat([...dimsRange.map((i) => piece(b, i)), ...dimsRange.map((i) => piece(after, i))], 0);
    return [g.op('Pad', [grad, pads])];
  },
  { differentiable: [0], refuse: refuseSlice },
);

// --- pad ------------------------------------------------------------------------------------------

export const pad = gradient(
  'dX = Pad(dY, −pads) (a crop), dValue = Σ dY − Σ dX',
  (c) => {
    const { g } = c;
    const dy = c.grad();
    let dx: Value;
    if (c.opset >= 11) {
      dx = g.op('Pad', [dy, g.neg(c.input(1)), null, c.hasInput(3) ? c.input(3) : null]);
    } else {
      const pads = c.attrInts('pads') ?? c.attrInts('paddings') ?? [];
      dx = g.pad(dy, pads.map((p) => -p));
    }
    return each(c, (i) => (i === 0 ? dx : reshapeTo(g, g.sub(g.reduceSum(dy, undefined, { keepdims: false }), g.reduceSum(dx, undefined, { keepdims: false })), c.input(2))));
  },
  {
    differentiable: [0, 2],
    refuse: ({ node }) => {
      const mode = node.attribute.find((a) => a.name === 'mode')?.s;
      const m = mode ? new TextDecoder().decode(mode) : 'constant';
      return m === 'constant' ? undefined : `Pad mode '${m}' (only 'constant' is supported)`;
    },
  },
);

// --- tile -----------------------------------------------------------------------------------------

export const tile = gradient(
  'dX = ReduceSum(Reshape(dY, [r0, d0, r1, d1, ...]), axes of the repeats)',
  (c) => {
    const { g } = c;
    const x = c.input(0);
    const reps = c.constValues(1)!;
    const r = reps.length;
    if (r === 0) return [c.grad()];
    const parts: (number | Value)[] = [];
    reps.forEach((rep, i) => {
      parts.push(rep);
      const d = x.shape![i];
      parts.push(typeof d === 'number' ? d : dimOf(g, x, i));
    });
    const target = parts.every((p): p is number => typeof p === 'number')
      ? g.int64s(parts)
      : g.concat(parts.map((p) => (typeof p === 'number' ? g.int64s([p]) : p)), 0);
    const split = g.reshape(c.grad(), target);
    return [g.reduceSum(split, reps.map((_, i) => 2 * i), { keepdims: false })];
  },
  {
    differentiable: [0],
    refuse: ({ g, node }) => {
      const reps = g.knownValue(node.input[1]);
      if (!reps || !reps.every((d) => typeof d === 'number')) return 'Tile repeats that are not constant';
      if (rankOf(g.value(node.input[0])) === undefined) return 'the rank of the tiled tensor is unknown';
      return undefined;
    },
  },
);

// --- indexing -------------------------------------------------------------------------------------

/** Scalar dim `axis` of v in the index type (static when known). */
function dimScalar(g: GraphBuilder, v: Value, axis: number, dtype: DType): Value {
  const d = v.shape?.[axis];
  if (typeof d === 'number') return g.scalar(d, dtype);
  const s = g.reshape(dimOf(g, v, axis), []);
  return dtype === 'int64' ? s : g.cast(s, dtype);
}

/** Negative indices (counted from the end) made positive, as ScatterElements' indices must point at rows. */
function positiveIndices(g: GraphBuilder, idx: Value, data: Value, axis: number): Value {
  const dtype = idx.dtype ?? 'int64';
  return g.where(g.less(idx, g.scalar(0, dtype)), g.add(idx, dimScalar(g, data, axis, dtype)), idx);
}

/**
 * Whether Gather's indices are known, when the graph is built, to be distinct (a constant scalar index
 * selecting one token, a constant list without repeats): then no two updates meet and ScatterElements
 * needs no reduction (available from opset 11).
 */
function distinctConstantIndices(info: RuleInfo): boolean {
  const { g, node } = info;
  const v = g.knownValue(node.input[1]);
  if (!v || !v.every((d): d is number => typeof d === 'number')) return false;
  if (v.length <= 1) return true;
  const data = g.value(node.input[0]);
  const r = rankOf(data);
  const attr = node.attribute.find((a) => a.name === 'axis')?.i;
  const dim = r === undefined ? undefined : data.shape![normalizeAxis(Number(attr ?? 0), r)];
  let idx = v;
  if (typeof dim === 'number') idx = v.map((i) => (i < 0 ? i + dim : i));
  else if (v.some((i) => i < 0) && v.some((i) => i >= 0)) return false; // -1 and dim-1 may meet
  return new Set(idx).size === idx.length;
}

function gatherAxis(info: RuleInfo): number | undefined {
  const r = rankOf(info.g.value(info.node.input[0]));
  if (r === undefined) return undefined;
  return normalizeAxis(Number(info.node.attribute.find((a) => a.name === 'axis')?.i ?? 0), r);
}

function refuseScatter(op: 'Gather' | 'GatherElements') {
  return (info: RuleInfo): string | undefined => {
    const { g, node, opset } = info;
    if (rankOf(g.value(node.input[0])) === undefined) return 'a data input of unknown rank';
    if (opset >= 16) return undefined;
    if (op === 'Gather' && opset >= 11 && distinctConstantIndices(info)) return undefined;
    // Embedding lookups (axis 0) in older exports: the one-hot MatMul form below (OneHot: opset 9).
    if (op === 'Gather' && opset >= 9 && gatherAxis(info) === 0) return undefined;
    return `the gradient of ${op} with indices that may repeat needs ScatterElements with reduction 'add' (opset 16; this graph is opset ${opset}; ScatterND 'add' is wrong under multithreading in ONNX Runtime 1.30 CPU) — export at opset >= 16, or freeze this tensor`;
  };
}

/** Product of some dims of v as a number, or as a [1] int64 tensor when not static. */
function dimProduct(g: GraphBuilder, v: Value, from: number, to: number): number | Value {
  const dims = v.shape!.slice(from, to);
  if (dims.every((d): d is number => typeof d === 'number')) return dims.reduce((a, b) => a * b, 1);
  return g.op('ReduceProd', [g.shape(v, { start: from, end: to })], { keepdims: 1 });
}

function shapeTensor(g: GraphBuilder, parts: readonly (number | Value)[]): Value {
  if (parts.every((p): p is number => typeof p === 'number')) return g.int64s(parts);
  return g.concat(parts.map((p) => (typeof p === 'number' ? g.int64s([p]) : p)), 0);
}

/**
 * Gather (embedding lookups): dData = zeros, then ScatterElements(reduction 'add') of the dY rows at
 * their indices, the indices expanded over each row — exact with repeated indices at any thread count
 * (ScatterND 'add' is not, in ONNX Runtime 1.30 CPU).
 */
export const gather = gradient(
  'dData = ScatterElements(zeros, indices expanded over rows, dY, reduction add)',
  (c) => {
    const { g } = c;
    const data = c.input(0);
    const r = rankOf(data)!;
    const axis = normalizeAxis(c.attrInt('axis', 0), r);
    const idx = positiveIndices(g, c.input(1), data, axis);
    const dy = c.grad();
    const dtype = data.dtype!;
    if (c.opset < 16 && !(c.opset >= 11 && distinctConstantIndices(c))) {
      // Before opset 16 there is no exact scatter-add (ScatterND 'add' races in ONNX Runtime 1.30 CPU):
      // dData = OneHot(indices, V)ᵀ · dY rows, one Gemm. Exact and deterministic at any thread count;
      // it costs rows·V·row-size multiply-adds, fine for the small vocabularies of older exports (a
      // large vocabulary is better frozen, or exported at opset >= 16).
      const Vdim: number | Value = typeof data.shape![axis] === 'number' ? (data.shape![axis] as number) : dimOf(g, data, axis);
      const Qrow = dimProduct(g, data, 1, r);
      const flatIdx = g.reshape(idx, [-1]);
      const depth = typeof Vdim === 'number' ? g.int64s([Vdim]) : Vdim;
      // ORT CPU has OneHot kernels for float32 values only; 0/1 casts exactly to any float type.
      const oneHot32 = g.op('OneHot', [flatIdx, depth, g.constant([0, 1], 'float32')], { axis: attr.int(-1) }); // [N, V]
      const oneHot = dtype === 'float32' ? oneHot32 : g.cast(oneHot32, dtype);
      const rows = g.reshape(dy, shapeTensor(g, [-1, Qrow]));
      return [reshapeTo(g, g.gemm(oneHot, rows, undefined, { transA: true }), data)];
    }
    // Below opset 16 only distinct constant indices get here: a plain scatter is exact.
    const reduction = c.opset >= 16 ? 'add' : 'none';
    const V: number | Value = typeof data.shape![axis] === 'number' ? (data.shape![axis] as number) : dimOf(g, data, axis);
    const P = dimProduct(g, data, 0, axis);
    const Q = dimProduct(g, data, axis + 1, r);
    if (r === 1) {
      const scattered = g.scatterElements(zerosLike(g, data), g.reshape(idx, [-1]), g.reshape(dy, [-1]), { reduction });
      return [scattered];
    }
    if (P === 1) {
      const rowsOfDy = g.reshape(dy, shapeTensor(g, [-1, Q]));
      const rowIdx = g.expand(g.reshape(idx, [-1, 1]), shapeOf(g, rowsOfDy));
      const zeros = g.constantOfShape(shapeTensor(g, [V, Q]), 0, dtype);
      return [reshapeTo(g, g.scatterElements(zeros, rowIdx, rowsOfDy, { reduction }), data)];
    }
    const blocks = g.reshape(dy, shapeTensor(g, [P, -1, Q]));
    const blockIdx = g.expand(g.reshape(idx, [1, -1, 1]), shapeOf(g, blocks));
    const zeros = g.constantOfShape(shapeTensor(g, [P, V, Q]), 0, dtype);
    return [reshapeTo(g, g.scatterElements(zeros, blockIdx, blocks, { axis: 1, reduction }), data)];
  },
  { differentiable: [0], refuse: refuseScatter('Gather') },
);

export const gatherElements = gradient(
  'dData = ScatterElements(zeros, indices, dY, axis, reduction add)',
  (c) => {
    const { g } = c;
    const data = c.input(0);
    const axis = normalizeAxis(c.attrInt('axis', 0), rankOf(data)!);
    const idx = positiveIndices(g, c.input(1), data, axis);
    return [g.scatterElements(zerosLike(g, data), idx, c.grad(), { axis, reduction: 'add' })];
  },
  { differentiable: [0], refuse: refuseScatter('GatherElements') },
);
