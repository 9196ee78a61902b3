// Parameters of the built-in backbone and reward head: names and shapes, the seeded GPT-2-style init,
// which of them train, and binding them into a graph (trainable: graph inputs; frozen: initializers).
import { mulberry32 } from '../random';
import type { GraphBuilder, Value } from '../onnx';
import { validateBuiltinConfig, type BuiltinBackboneConfig } from './config';

/** Parameter values by name, row-major, all float32 or all float64. */
export type ModelParams = Map<string, Float32Array | Float64Array>;
export type FloatType = 'float32' | 'float64';

/** The reward head's weight: bias-free, [dModel]. */
export const HEAD_WEIGHT = 'head.w';

/** Names and shapes of every parameter, in the canonical order (embeddings, blocks, final norm, head). */
export function builtinParamShapes(c: BuiltinBackboneConfig): Map<string, number[]> {
  const D = c.dModel;
  const s = new Map<string, number[]>();
  s.set('wte', [c.vocab, D]);
  s.set('wpe', [c.maxLen, D]);
  for (let l = 0; l < c.nLayers; l++) {
    const p = `h${l}.`;
    s.set(p + 'ln1.g', [D]);
    s.set(p + 'ln1.b', [D]);
    s.set(p + 'attn.wqkv', [D, 3 * D]);
    s.set(p + 'attn.bqkv', [3 * D]);
    s.set(p + 'attn.wo', [D, D]);
    s.set(p + 'attn.bo', [D]);
    s.set(p + 'ln2.g', [D]);
    s.set(p + 'ln2.b', [D]);
    s.set(p + 'mlp.w1', [D, 4 * D]);
    s.set(p + 'mlp.b1', [4 * D]);
    s.set(p + 'mlp.w2', [4 * D, D]);
    s.set(p + 'mlp.b2', [D]);
  }
  s.set('lnf.g', [D]);
  s.set('lnf.b', [D]);
  s.set(HEAD_WEIGHT, [D]);
  return s;
}

/** GPT-2's init: N(0, 0.02) weights and embeddings. */
export const INIT_STD = 0.02;

/**
 * Seeded init, GPT-2 style: weights and embeddings N(0, 0.02), the residual projections (attn.wo,
 * mlp.w2) N(0, 0.02/sqrt(2·nLayers)), biases 0, norm gains 1 and shifts 0, and the reward head ZERO
 * (every reward starts at 0). The same seed gives the same values; float32 holds the float64 values
 * rounded.
 */
export function initBuiltinParams(c: BuiltinBackboneConfig, seed: number, dtype: FloatType = 'float32'): ModelParams {
  validateBuiltinConfig(c);
  const normal = gaussian(seed);
  const residualStd = INIT_STD / Math.sqrt(2 * c.nLayers);
  const params: ModelParams = new Map();
  for (const [name, shape] of builtinParamShapes(c)) {
    const a = new Float64Array(shape.reduce((x, y) => x * y, 1));
    const leaf = name.slice(name.lastIndexOf('.') + 1);
    if (name === HEAD_WEIGHT) {
      // zero: rewards start at 0 and the head learns from the first step
    } else if (leaf === 'g') a.fill(1);
    else if (shape.length === 1) {
      // biases and norm shifts: 0
    } else {
      const std = leaf === 'wo' || leaf === 'w2' ? residualStd : INIT_STD;
      for (let i = 0; i < a.length; i++) a[i] = normal() * std;
    }
    params.set(name, dtype === 'float64' ? a : Float32Array.from(a));
  }
  return params;
}

/** Standard normal samples from mulberry32 (Box–Muller, both values used). */
function gaussian(seed: number): () => number {
  const rand = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u1 = 1 - rand(); // (0, 1]: log is finite
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

/** The element type of a parameter set, after checking names, shapes and that all share one type. */
export function checkParams(c: BuiltinBackboneConfig, params: ModelParams): FloatType {
  let dtype: FloatType | undefined;
  for (const [name, shape] of builtinParamShapes(c)) {
    const p = params.get(name);
    if (!p) throw new Error(`parameter '${name}' is missing`);
    const n = shape.reduce((x, y) => x * y, 1);
    if (p.length !== n) throw new Error(`parameter '${name}' has ${p.length} values; [${shape.join(', ')}] needs ${n}`);
    const t: FloatType = p instanceof Float64Array ? 'float64' : 'float32';
    if (dtype !== undefined && t !== dtype) throw new Error(`parameter '${name}' is ${t}, others ${dtype}`);
    dtype = t;
  }
  return dtype!;
}

/** The same parameters converted to another float type (a copy). */
export function castParams(params: ModelParams, dtype: FloatType): ModelParams {
  const out: ModelParams = new Map();
  for (const [n, p] of params) out.set(n, dtype === 'float64' ? Float64Array.from(p) : Float32Array.from(p));
  return out;
}

/**
 * What trains: 'none' (scoring/export), 'head' (the reward head only), 'top-N' (the last N blocks,
 * the final norm and the head) or 'all'.
 */
export type TrainableSpec = 'none' | 'head' | 'all' | `top-${number}`;

/** The trainable parameter names for a spec, in canonical order. */
export function trainableParams(c: BuiltinBackboneConfig, spec: TrainableSpec): string[] {
  const names = [...builtinParamShapes(c).keys()];
  if (spec === 'none') return [];
  if (spec === 'all') return names;
  if (spec === 'head') return [HEAD_WEIGHT];
  const m = /^top-(\d+)$/.exec(spec);
  const n = m ? Number(m[1]) : NaN;
  if (!(Number.isInteger(n) && n >= 1 && n <= c.nLayers)) {
    throw new Error(`trainable '${spec}': use 'none', 'head', 'all' or 'top-N' with 1 <= N <= nLayers (${c.nLayers})`);
  }
  const first = c.nLayers - n;
  return names.filter((name) => {
    const b = /^h(\d+)\./.exec(name);
    return b ? Number(b[1]) >= first : name.startsWith('lnf.') || name === HEAD_WEIGHT;
  });
}

/** Where a graph gets a parameter's value from. */
export type ParamSource = (name: string) => Value;

export interface BoundParams {
  get: ParamSource;
  /** Trainable parameters: graph inputs named as the parameter, in canonical order. */
  trainable: Map<string, Value>;
  /** Frozen parameters: initializers named as the parameter. */
  frozen: string[];
}

/**
 * Puts the parameters into the graph: trainable ones as graph inputs (fed and returned every step),
 * frozen ones as initializers (constants ORT can fold). Call outside any scope so initializers keep
 * the parameter names.
 */
export function bindParams(g: GraphBuilder, c: BuiltinBackboneConfig, params: ModelParams, trainable: Iterable<string>): BoundParams {
  const dtype = checkParams(c, params);
  const shapes = builtinParamShapes(c);
  const train = new Set(trainable);
  for (const n of train) if (!shapes.has(n)) throw new Error(`trainable parameter '${n}' is not a parameter of this model`);
  const values = new Map<string, Value>();
  const inputs = new Map<string, Value>();
  const frozen: string[] = [];
  for (const [name, shape] of shapes) {
    if (train.has(name)) {
      const v = g.input(name, dtype, shape);
      values.set(name, v);
      inputs.set(name, v);
    } else {
      values.set(name, g.initializer(name, params.get(name)!, shape));
      frozen.push(name);
    }
  }
  const get: ParamSource = (name) => {
    const v = values.get(name);
    if (!v) throw new Error(`no parameter '${name}'`);
    return v;
  };
  return { get, trainable: inputs, frozen };
}
