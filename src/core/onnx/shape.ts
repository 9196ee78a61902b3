// Shapes with static, symbolic and unknown dimensions, and numpy broadcasting over them.
//
// A Dim is a number (static), a string (a symbolic dimension such as 'batch'; equal strings are equal
// sizes) or null (nothing known). A Shape is an array of Dims, or undefined when even the rank is unknown.
import type { TensorShapeProto, TypeProto } from './types';
import { dtypeCode, dtypeFromCode, type DType } from './tensor';

export type Dim = number | string | null;
export type Shape = readonly Dim[] | undefined;

/** A definite inconsistency (e.g. broadcasting 3 against 4). */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function shapeToString(s: Shape): string {
  return s === undefined ? '(rank unknown)' : `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------------
// Symbolic dim arithmetic. A symbolic dim may be an expression: a sum of products with positive
// integer coefficients, written canonically ('batch*seq', '2*heads', 'past_seq_len+seq_len'), so
// Reshape(-1), Flatten and Concat keep sizes such as batch*seq instead of forgetting them. Any other
// string is an opaque symbol. What the algebra cannot express becomes null.

/** A polynomial: monomial key (sorted symbols joined by '*', '' for the constant) -> coefficient. */
type Poly = Map<string, number>;

function parseDim(d: number | string): Poly {
  if (typeof d === 'number') return new Map([['', d]]);
  const p: Poly = new Map();
  for (const term of d.split('+')) {
    let coef = 1;
    const syms: string[] = [];
    for (const f of term.split('*')) {
      const t = f.trim();
      if (/^\d+$/.test(t)) coef *= Number(t);
      else syms.push(t);
    }
    const key = syms.sort().join('*');
    p.set(key, (p.get(key) ?? 0) + coef);
  }
  return p;
}

function formatPoly(p: Poly): Dim {
  const terms = [...p.entries()].filter(([, c]) => c !== 0);
  if (terms.some(([, c]) => c < 0 || !Number.isInteger(c))) return null;
  if (!terms.length) return 0;
  if (terms.length === 1 && terms[0][0] === '') return terms[0][1];
  terms.sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return terms.map(([k, c]) => (k === '' ? String(c) : c === 1 ? k : `${c}*${k}`)).join('+');
}

/** The canonical spelling of a dim ('seq*batch' -> 'batch*seq'); plain symbols are unchanged. */
export function canonicalDim(d: Dim): Dim {
  if (typeof d !== 'string' || (!d.includes('*') && !d.includes('+'))) return d;
  return formatPoly(parseDim(d));
}

/** Whether two dims are known to be equal. */
export function sameDim(a: Dim, b: Dim): boolean {
  return a !== null && b !== null && canonicalDim(a) === canonicalDim(b);
}

export function addDims(a: Dim, b: Dim): Dim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  const p = parseDim(a);
  for (const [k, c] of parseDim(b)) p.set(k, (p.get(k) ?? 0) + c);
  return formatPoly(p);
}

export function subDims(a: Dim, b: Dim): Dim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const p = parseDim(a);
  for (const [k, c] of parseDim(b)) p.set(k, (p.get(k) ?? 0) - c);
  return formatPoly(p);
}

export function mulDims(a: Dim, b: Dim): Dim {
  if (a === 0 || b === 0) return 0;
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  const pa = parseDim(a);
  const pb = parseDim(b);
  if (pa.size > 1 && pb.size > 1) return null; // no expansion of (a+b)*(c+d)
  const [many, one] = pa.size > 1 ? [pa, pb] : [pb, pa];
  const [[k1, c1]] = [...one.entries()];
  const out: Poly = new Map();
  for (const [k, c] of many) {
    const key = [...(k ? k.split('*') : []), ...(k1 ? k1.split('*') : [])].sort().join('*');
    out.set(key, (out.get(key) ?? 0) + c * c1);
  }
  return formatPoly(out);
}

/** a / b when it divides exactly (monomials only), else null. */
export function divDims(a: Dim, b: Dim): Dim {
  if (a === null || b === null || b === 0) return null;
  if (typeof a === 'number' && typeof b === 'number') return a % b === 0 ? a / b : null;
  const pa = parseDim(a);
  const pb = parseDim(b);
  if (pb.size !== 1) return sameDim(a, b) ? 1 : null;
  const [[kb, cb]] = [...pb.entries()];
  const out: Poly = new Map();
  for (const [k, c] of pa) {
    const syms = k ? k.split('*') : [];
    for (const s of kb ? kb.split('*') : []) {
      const i = syms.indexOf(s);
      if (i < 0) return null;
      syms.splice(i, 1);
    }
    if (c % cb !== 0) return null;
    out.set(syms.join('*'), c / cb);
  }
  return formatPoly(out);
}

/** One broadcast dimension (numpy rules), or null when it cannot be told. */
export function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === b || sameDim(a, b)) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') throw new ShapeError(`cannot broadcast ${a} against ${b}`);
  // A static size other than 1 wins: the other side must be that size or 1.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return null; // two different symbols, or unknown: either could be 1
}

/** numpy broadcasting of any number of shapes. */
export function broadcastShapes(...shapes: Shape[]): Shape {
  if (shapes.some((s) => s === undefined)) return undefined;
  const rank = Math.max(0, ...shapes.map((s) => s!.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes as Dim[][]) {
      const k = i - (rank - s.length);
      if (k >= 0) {
        try {
          d = broadcastDim(d, s[k]);
        } catch (e) {
          throw new ShapeError(`cannot broadcast ${shapes.map(shapeToString).join(' with ')}: ${(e as Error).message}`);
        }
      }
    }
    out.push(d);
  }
  return out;
}

/** Two dims that must be equal (MatMul's K, Concat's other axes): the better-known one. */
export function unifyDim(a: Dim, b: Dim, what: string): Dim {
  if (a === b || sameDim(a, b)) return a;
  if (typeof a === 'number' && typeof b === 'number') throw new ShapeError(`${what}: ${a} != ${b}`);
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return a ?? b;
}

/** A possibly negative axis normalised to [0, rank). */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The product of dims: a number when all are static, a symbolic product ('batch*seq'), or null. */
export function productDim(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => mulDims(acc, d), 1);
}

/** The sum of dims (Concat): a number when all are static, else a symbolic sum, or null. */
export function sumDim(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => addDims(acc, d), 0);
}

/**
 * Output shape of Reshape given the input shape and the (partially known) target. Handles 0 (copy,
 * unless allowzero) and one -1 with symbolic cancellation: [b, s, 8] -> [b, -1, 2, 4] gives s.
 */
export function reshapeShape(input: Shape, target: readonly Dim[], allowzero: boolean): Dim[] {
  const out: Dim[] = target.map((d, i) => {
    if (d === 0 && !allowzero) return input !== undefined && i < input.length ? input[i] : null;
    return d;
  });
  const minus = out.map((d, i) => (d === -1 ? i : -1)).filter((i) => i >= 0);
  if (minus.length > 1) throw new ShapeError('Reshape: more than one -1 in the target shape');
  for (const d of out) if (typeof d === 'number' && d < -1) throw new ShapeError(`Reshape: invalid target dim ${d}`);
  if (minus.length === 0) return out;
  const at = minus[0];
  out[at] = null;
  if (input === undefined) return out;
  const others = out.filter((_, i) => i !== at);
  const total = productDim(input);
  const rest = productDim(others);
  if (typeof total === 'number' && typeof rest === 'number' && rest !== 0 && total % rest !== 0) {
    throw new ShapeError(`Reshape: ${total} elements do not divide into ${rest}`);
  }
  out[at] = rest === 0 ? null : divDims(total, rest);
  return out;
}

/** A tensor TypeProto for a dtype and shape. */
export function tensorType(dtype: DType | undefined, shape: Shape): TypeProto {
  const tensorType: { elemType?: number; shape?: TensorShapeProto } = {};
  if (dtype !== undefined) tensorType.elemType = dtypeCode(dtype);
  if (shape !== undefined) {
    tensorType.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { tensorType };
}

/** dtype and shape of a TypeProto (non-tensor types give both undefined). */
export function fromTensorType(t: TypeProto | undefined): { dtype: DType | undefined; shape: Shape } {
  const tt = t?.tensorType;
  if (!tt) return { dtype: undefined, shape: undefined };
  return {
    dtype: dtypeFromCode(tt.elemType),
    shape: tt.shape?.dim.map((d) => (d.dimValue !== undefined ? d.dimValue : d.dimParam !== undefined && d.dimParam !== '' ? d.dimParam : null)),
  };
}

/** Dim-wise merge of two descriptions of the same value: known beats unknown, inferred wins ties. */
export function mergeShapes(inferred: Shape, declared: Shape): Shape {
  if (inferred === undefined) return declared;
  if (declared === undefined || declared.length !== inferred.length) return inferred;
  return inferred.map((d, i) => (d === null ? declared[i] : d));
}
