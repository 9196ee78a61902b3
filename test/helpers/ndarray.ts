// A small float64 n-d array reference for checking ONNX graphs against plain TypeScript (numpy
// semantics: row-major, broadcasting, negative axes). Slow and simple on purpose.

export interface Nd {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function nd(shape: readonly number[], data?: ArrayLike<number> | ((i: number) => number)): Nd {
  const n = size(shape);
  const out = new Float64Array(n);
  if (typeof data === 'function') for (let i = 0; i < n; i++) out[i] = data(i);
  else if (data) {
    if (data.length !== n) throw new Error(`nd: ${data.length} values for [${shape.join(', ')}]`);
    out.set(Array.from(data));
  }
  return { shape: [...shape], data: out };
}

export const scalar = (v: number): Nd => nd([], [v]);

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

const axis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** Multi-index of a flat index. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[i - (r - a.length)] ?? 1;
    const y = b[i - (r - b.length)] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`broadcast ${x} vs ${y}`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element of `a` at a multi-index of a (broadcast) output of rank >= a's rank. */
function at(a: Nd, idx: readonly number[]): number {
  const off = idx.length - a.shape.length;
  const st = strides(a.shape);
  let flat = 0;
  for (let k = 0; k < a.shape.length; k++) flat += (a.shape[k] === 1 ? 0 : idx[k + off]) * st[k];
  return a.data[flat];
}

export function map(a: Nd, f: (x: number) => number): Nd {
  return { shape: a.shape, data: a.data.map(f) };
}

export function zip(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  return nd(shape, (i) => {
    const idx = unravel(i, shape);
    return f(at(a, idx), at(b, idx));
  });
}

export function where(c: Nd, x: Nd, y: Nd): Nd {
  const shape = broadcastShape(broadcastShape(c.shape, x.shape), y.shape);
  return nd(shape, (i) => {
    const idx = unravel(i, shape);
    return at(c, idx) ? at(x, idx) : at(y, idx);
  });
}

export const add = (a: Nd, b: Nd): Nd => zip(a, b, (x, y) => x + y);
export const sub = (a: Nd, b: Nd): Nd => zip(a, b, (x, y) => x - y);
export const mul = (a: Nd, b: Nd): Nd => zip(a, b, (x, y) => x * y);
export const div = (a: Nd, b: Nd): Nd => zip(a, b, (x, y) => x / y);

export function reshape(a: Nd, shape: readonly number[]): Nd {
  const known = shape.filter((d) => d !== -1);
  const fill = size(a.shape) / size(known);
  const s = shape.map((d, i) => (d === 0 ? a.shape[i] : d === -1 ? fill : d));
  if (size(s) !== size(a.shape)) throw new Error('reshape size');
  return { shape: s, data: a.data };
}

export function transpose(a: Nd, perm?: readonly number[]): Nd {
  const p = perm ?? a.shape.map((_, i) => a.shape.length - 1 - i);
  const shape = p.map((i) => a.shape[i]);
  const st = strides(a.shape);
  return nd(shape, (i) => {
    const idx = unravel(i, shape);
    let flat = 0;
    for (let k = 0; k < p.length; k++) flat += idx[k] * st[p[k]];
    return a.data[flat];
  });
}

/** numpy matmul: batched, broadcasting, 1-D operands promoted. */
export function matmul(a: Nd, b: Nd): Nd {
  const A = a.shape.length === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const B = b.shape.length === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const [m, k] = A.shape.slice(-2);
  const [k2, n] = B.shape.slice(-2);
  if (k !== k2) throw new Error(`matmul ${k} vs ${k2}`);
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const outShape = [...batch, m, n];
  const out = nd(outShape, (i) => {
    const idx = unravel(i, outShape);
    const bi = idx.slice(0, -2);
    const [r, c] = idx.slice(-2);
    let s = 0;
    for (let t = 0; t < k; t++) s += at(A, [...bi, r, t]) * at(B, [...bi, t, c]);
    return s;
  });
  let shape = outShape;
  if (a.shape.length === 1) shape = [...batch, n];
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  return { shape, data: out.data };
}

export function reduce(a: Nd, axes: readonly number[] | undefined, keepdims: boolean, op: 'sum' | 'mean' | 'max' | 'min'): Nd {
  const rank = a.shape.length;
  const set = new Set((axes ?? a.shape.map((_, i) => i)).map((x) => axis(x, rank)));
  const keptShape = a.shape.map((d, i) => (set.has(i) ? 1 : d));
  const acc = new Float64Array(size(keptShape)).fill(op === 'max' ? -Infinity : op === 'min' ? Infinity : 0);
  const st = strides(keptShape);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    let flat = 0;
    for (let k = 0; k < rank; k++) flat += (set.has(k) ? 0 : idx[k]) * st[k];
    const v = a.data[i];
    acc[flat] = op === 'max' ? Math.max(acc[flat], v) : op === 'min' ? Math.min(acc[flat], v) : acc[flat] + v;
  }
  if (op === 'mean') {
    const n = [...set].reduce((p, k) => p * a.shape[k], 1);
    for (let i = 0; i < acc.length; i++) acc[i] /= n;
  }
  return { shape: keepdims ? keptShape : a.shape.filter((_, i) => !set.has(i)), data: acc };
}

export function softmax(a: Nd, ax = -1): Nd {
  const e = map(sub(a, reduce(a, [ax], true, 'max')), Math.exp);
  return div(e, reduce(e, [ax], true, 'sum'));
}

export function logSoftmax(a: Nd, ax = -1): Nd {
  const m = sub(a, reduce(a, [ax], true, 'max'));
  return sub(m, map(reduce(map(m, Math.exp), [ax], true, 'sum'), Math.log));
}

export function layerNorm(x: Nd, scale: Nd, bias: Nd | undefined, eps: number): Nd {
  const mean = reduce(x, [-1], true, 'mean');
  const d = sub(x, mean);
  const v = reduce(mul(d, d), [-1], true, 'mean');
  const y = mul(div(d, map(v, (t) => Math.sqrt(t + eps))), scale);
  return bias ? add(y, bias) : y;
}

/** Gather along an axis with integer indices of shape `idxShape`. */
export function gather(a: Nd, indices: readonly number[], idxShape: readonly number[], ax = 0): Nd {
  const r = a.shape.length;
  const k = axis(ax, r);
  const shape = [...a.shape.slice(0, k), ...idxShape, ...a.shape.slice(k + 1)];
  return nd(shape, (i) => {
    const idx = unravel(i, shape);
    const before = idx.slice(0, k);
    const mid = idx.slice(k, k + idxShape.length);
    const after = idx.slice(k + idxShape.length);
    let flatIdx = 0;
    for (let t = 0; t < mid.length; t++) flatIdx = flatIdx * idxShape[t] + mid[t];
    let j = indices[flatIdx];
    if (j < 0) j += a.shape[k];
    return at(a, [...before, j, ...after]);
  });
}

export function concat(xs: readonly Nd[], ax: number): Nd {
  const r = xs[0].shape.length;
  const k = axis(ax, r);
  const shape = [...xs[0].shape];
  shape[k] = xs.reduce((s, x) => s + x.shape[k], 0);
  return nd(shape, (i) => {
    const idx = unravel(i, shape);
    let j = idx[k];
    for (const x of xs) {
      if (j < x.shape[k]) return at(x, idx.map((v, t) => (t === k ? j : v)));
      j -= x.shape[k];
    }
    throw new Error('concat');
  });
}

/** Slice one axis [start, end) with step 1 (indices already normalized). */
export function sliceAxis(a: Nd, ax: number, start: number, end: number): Nd {
  const k = axis(ax, a.shape.length);
  const shape = a.shape.map((d, i) => (i === k ? end - start : d));
  return nd(shape, (i) => at(a, unravel(i, shape).map((v, t) => (t === k ? v + start : v))));
}

export function cumsum(a: Nd, ax: number): Nd {
  const k = axis(ax, a.shape.length);
  const out = new Float64Array(a.data);
  const st = strides(a.shape)[k];
  for (let i = 0; i < out.length; i++) if (Math.floor(i / st) % a.shape[k] !== 0) out[i] += out[i - st];
  return { shape: a.shape, data: out };
}

/** Max absolute difference, and max relative difference (scaled by max(1, |want|)). */
export function maxDiff(got: ArrayLike<number>, want: Nd): number {
  if (got.length !== want.data.length) throw new Error(`length ${got.length} vs ${want.data.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i])));
  return m;
}
