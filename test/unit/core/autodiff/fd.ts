// Finite-difference checking of the gradient rules through onnxruntime. A case builds y = f(inputs);
// the check adds loss = Σ y·W (W random, fed) and the backward pass, runs it, and compares every
// gradient element with a central difference of the same forward graph in float64 (or, for ops ORT
// CPU has no float64 kernel for, with a central difference of an independent float64 TypeScript
// reference while the graph runs in float32).
import assert from 'node:assert/strict';
import type { InferenceSession } from 'onnxruntime-node';
import { buildGradients, gradientPath, opKey, ruleFor } from '../../../../src/core/autodiff';
import { encodeModel, GraphBuilder, isFloatDType, typedArrayFrom, type DType, type Value } from '../../../../src/core/onnx';
import { mulberry32 } from '../../../../src/core/random';
import type { Nd } from '../../../helpers/ndarray';
import { createSession, runSession, type Feed } from '../../../helpers/ort';

export type Fill = 'signed' | 'positive' | 'away' | 'distinct' | readonly number[] | ((n: number, rnd: () => number) => number[]);

export interface InputSpec {
  /** Declared dims: numbers or symbols bound per run (see FdCase.runs); undefined: rank unknown. */
  shape: readonly (number | string)[] | undefined;
  /** Element type (default: the case's float type). */
  dtype?: DType;
  /** Values: 'signed' U(−1, 1) (default), 'positive' U(0.5, 1.5), 'away' ±U(0.2, 1) (kinks stay > h away), 'distinct' well-separated values (Max/Min ties), fixed numbers, or a generator. */
  fill?: Fill;
  /** Differentiate with respect to this input (default: float inputs). */
  wrt?: boolean;
  /** Concrete dims for a rank-unknown input. */
  dims?: readonly number[];
}

export interface FdCase {
  name: string;
  opset?: number;
  /** 'float64' (default): finite differences of the ORT graph itself. 'float32': against `reference`. */
  dtype?: 'float64' | 'float32';
  inputs: Record<string, InputSpec>;
  build(g: GraphBuilder, x: Record<string, Value>): Value;
  /** Bindings of symbolic dims, one run each (default one run, no symbols). */
  runs?: readonly Record<string, number>[];
  /** float64 reference of y for float32 cases (inputs as float64 n-d arrays). */
  reference?: (x: Record<string, Nd>) => Nd;
  /** Central-difference step (default 1e-6 float64, 1e-4 reference). */
  h?: number;
  /** Relative tolerance, against the larger of |fd| and the tensor's max |fd| (default 1e-6; 2e-4 for float32). */
  tol?: number;
}

export interface CaseGraphs {
  forward: Uint8Array;
  backward: Uint8Array;
  wrt: string[];
  /** Op keys on the gradient path that have a gradient rule (what this case covers). */
  covered: Set<string>;
  yShape: readonly (number | string | null)[] | undefined;
}

const WEIGHTS = 'fd_weights';

/** Builds the forward model (y) and the gradient model (loss, y, grads) of a case. */
export function buildCase(c: FdCase): CaseGraphs {
  const dtype = c.dtype ?? 'float64';
  const make = (): { g: GraphBuilder; y: Value; wrt: string[] } => {
    const g = new GraphBuilder({ opset: c.opset ?? 17, name: c.name.replace(/\W+/g, '_') });
    const x: Record<string, Value> = {};
    const wrt: string[] = [];
    for (const [name, spec] of Object.entries(c.inputs)) {
      const t = spec.dtype ?? dtype;
      x[name] = g.input(name, t, spec.shape);
      if (spec.wrt ?? isFloatDType(t)) wrt.push(name);
    }
    return { g, y: c.build(g, x), wrt };
  };
  const f = make();
  f.g.output(f.y, 'y');
  const b = make();
  const w = b.g.input(WEIGHTS, b.y.dtype!, b.y.shape);
  const loss = b.g.reduceSum(b.g.mul(b.y, w), undefined, { keepdims: false });
  const path = gradientPath(b.g, [loss.name], b.wrt);
  const covered = new Set(path.nodes.filter((n) => ruleFor(n)?.kind === 'gradient').map(opKey));
  const grads = buildGradients(b.g, { loss, wrt: b.wrt });
  b.g.output(loss, 'loss');
  for (const [name, v] of grads) b.g.output(v, `grad_${name}`);
  return { forward: encodeModel(f.g.build()), backward: encodeModel(b.g.build()), wrt: b.wrt, covered, yShape: f.y.shape };
}

function fillValues(fill: Fill | undefined, n: number, rnd: () => number): number[] {
  if (Array.isArray(fill)) {
    if (fill.length !== n) throw new Error(`fixed fill of ${fill.length} values for ${n} elements`);
    return [...fill];
  }
  if (typeof fill === 'function') return fill(n, rnd);
  switch (fill ?? 'signed') {
    case 'positive':
      return Array.from({ length: n }, () => 0.5 + rnd());
    case 'away':
      return Array.from({ length: n }, () => (rnd() < 0.5 ? -1 : 1) * (0.2 + 0.8 * rnd()));
    case 'distinct': {
      // A shuffled ladder 0.1 apart, jittered by < 0.02: no two values within 0.06.
      const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1 + (rnd() - 0.5) * 0.04);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [v[i], v[j]] = [v[j], v[i]];
      }
      return v;
    }
    default:
      return Array.from({ length: n }, () => rnd() * 2 - 1);
  }
}

function typedFor(dtype: DType, values: readonly number[]): Feed['data'] {
  switch (dtype) {
    case 'float64':
      return Float64Array.from(values);
    case 'float32':
      return Float32Array.from(values);
    case 'int64':
      return typedArrayFrom(values, 'int64') as BigInt64Array; // clamps ±2^63 to the int64 range
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
    default:
      throw new Error(`no feed for ${dtype}`);
  }
}

function concreteDims(spec: InputSpec, bind: Record<string, number>): number[] {
  if (spec.shape === undefined) {
    if (!spec.dims) throw new Error('rank-unknown inputs need dims');
    return [...spec.dims];
  }
  return spec.shape.map((d) => {
    if (typeof d === 'number') return d;
    const v = bind[d];
    if (v === undefined) throw new Error(`no size for symbol '${d}'`);
    return v;
  });
}

async function yOf(session: InferenceSession, feeds: Record<string, Feed>): Promise<{ data: Float64Array; dims: number[] }> {
  const r = (await runSession(session, feeds, ['y'])).y;
  return { data: Float64Array.from(r.data as ArrayLike<number>), dims: [...r.dims] };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export interface CaseReport {
  /** Max error over all gradient elements, relative to the tensor's scale. */
  maxError: number;
  checked: number;
}

/** Runs a case: every run binding, every wrt input, every element. */
export async function checkCase(c: FdCase, seed = 1): Promise<CaseReport> {
  const graphs = buildCase(c);
  const dtype = c.dtype ?? 'float64';
  const reference = dtype === 'float32';
  if (reference && !c.reference) throw new Error(`${c.name}: float32 cases need a float64 reference`);
  const h = c.h ?? (reference ? 1e-4 : 1e-6);
  const tol = c.tol ?? (reference ? 2e-4 : 1e-6);
  const fwd = await createSession(graphs.forward);
  const bwd = await createSession(graphs.backward);
  const report: CaseReport = { maxError: 0, checked: 0 };
  try {
    const rnd = mulberry32(seed);
    for (const bind of c.runs ?? [{}]) {
      const values: Record<string, number[]> = {};
      const dims: Record<string, number[]> = {};
      const feeds: Record<string, Feed> = {};
      for (const [name, spec] of Object.entries(c.inputs)) {
        dims[name] = concreteDims(spec, bind);
        const n = dims[name].reduce((a, b) => a * b, 1);
        let v = fillValues(spec.fill, n, rnd);
        const t = spec.dtype ?? dtype;
        if (t === 'float32') v = Array.from(Float32Array.from(v)); // what the graph sees, exactly
        values[name] = v;
        feeds[name] = { type: t, data: typedFor(t, v), dims: dims[name] };
      }
      const y0 = await yOf(fwd, feeds);
      const w = Array.from({ length: y0.data.length }, () => (reference ? Math.fround(rnd() * 2 - 1) : rnd() * 2 - 1));
      const wFeed: Feed = { type: dtype, data: typedFor(dtype, w), dims: y0.dims };
      const out = await runSession(bwd, { ...feeds, [WEIGHTS]: wFeed });

      const nd = (name: string, v: readonly number[]): Nd => ({ shape: dims[name], data: Float64Array.from(v) });
      const lossAt = async (name: string, v: number[]): Promise<number> => {
        if (reference) {
          const x: Record<string, Nd> = {};
          for (const k of Object.keys(values)) x[k] = k === name ? nd(k, v) : nd(k, values[k]);
          return dot(c.reference!(x).data, w);
        }
        const t = c.inputs[name].dtype ?? dtype;
        return dot((await yOf(fwd, { ...feeds, [name]: { type: t, data: typedFor(t, v), dims: dims[name] } })).data, w);
      };
      if (reference) {
        const x: Record<string, Nd> = {};
        for (const k of Object.keys(values)) x[k] = nd(k, values[k]);
        const want = c.reference!(x);
        assert.deepEqual([...y0.dims], [...want.shape], `${c.name}: reference y shape`);
        const scale = Math.max(1, ...Array.from(want.data, Math.abs));
        for (let i = 0; i < want.data.length; i++) {
          assert.ok(Math.abs(y0.data[i] - want.data[i]) <= 1e-5 * scale, `${c.name}: forward y[${i}] = ${y0.data[i]} but the reference gives ${want.data[i]}`);
        }
      }
      for (const name of graphs.wrt) {
        const got = out[`grad_${name}`];
        assert.ok(got, `${c.name}: no gradient output for ${name}`);
        assert.deepEqual([...got.dims], dims[name], `${c.name}: gradient of ${name} has dims [${got.dims.join(', ')}], input has [${dims[name].join(', ')}]`);
        const fd: number[] = [];
        for (let j = 0; j < values[name].length; j++) {
          const plus = [...values[name]];
          const minus = [...values[name]];
          plus[j] += h;
          minus[j] -= h;
          fd.push(((await lossAt(name, plus)) - (await lossAt(name, minus))) / (2 * h));
        }
        const scale = Math.max(...fd.map(Math.abs), 1e-3);
        for (let j = 0; j < fd.length; j++) {
          const a = Number(got.data[j]);
          const err = Math.abs(a - fd[j]) / Math.max(Math.abs(fd[j]), scale);
          report.maxError = Math.max(report.maxError, err);
          report.checked++;
          assert.ok(
            err <= tol,
            `${c.name} ${JSON.stringify(bind)}: d/d${name}[${j}] = ${a}, central difference ${fd[j]} (relative error ${err.toExponential(2)} > ${tol})`,
          );
        }
      }
    }
  } finally {
    await fwd.release();
    await bwd.release();
  }
  return report;
}
