// AdamW as graph nodes with torch.optim.AdamW semantics (the single-tensor, non-amsgrad path):
//
//   t  = step + 1
//   p ← p · (1 − lr·wd)                          decoupled decay, only where decay is on
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
//
// computed with the scalars folded first, as few passes over each tensor as the algebra allows (the
// optimizer runs over every trainable weight each step; every pass is memory traffic):
//
//   m ← β1·m + ((1 − β1)·c)·g                     c: the clipping factor (gradScale), 1 without
//   v ← β2·v + ((1 − β2)·c²)·g²                   g² reused from the norm computation when given
//   p ← p − (lr·√bc2 / bc1) · m / (sqrt(v) + eps·√bc2)     bc1 = 1 − β1^t, bc2 = 1 − β2^t
//
// the last line being the torch update with numerator and denominator multiplied by √bc2.
//
// A pure function of its inputs (tinygrad nn/optim.py): parameters, gradients, moments, the step count
// and the learning rate come in as values; new parameters, moments and step count go out. The learning
// rate is an input so a schedule changes it per step without rebuilding the graph.
import type { DType, GraphBuilder, Value } from '../onnx';
import { DEFAULT_OPTIMIZER_CONFIG } from './config';

export interface AdamWParam {
  /** Parameter name; names the moment inputs when m/v are not given. */
  name: string;
  value: Value;
  grad: Value;
  /** Whether decoupled weight decay applies (see shouldDecay). */
  decay: boolean;
  /** First moment; default: a graph input named adamStateNames(name).m. */
  m?: Value;
  /** Second moment; default: a graph input named adamStateNames(name).v. */
  v?: Value;
  /** grad·grad if the graph has it already (the global norm computes it); else computed here. */
  gradSquared?: Value;
}

export interface AdamWOptions {
  params: readonly AdamWParam[];
  /** Updates already applied (0 before the first), a scalar int64 or float value. */
  step: Value;
  /** Learning rate for this update, a scalar (any float type; cast to each parameter's type). */
  lr: Value | number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /**
   * A scalar every gradient is multiplied by before the update (global-norm clipping's factor), folded
   * into the moment coefficients instead of a pass over each gradient.
   */
  gradScale?: Value;
}

export interface AdamWResult {
  newParams: Map<string, Value>;
  newM: Map<string, Value>;
  newV: Map<string, Value>;
  /** step + 1, in the step input's type. */
  newStep: Value;
  /** The moment values used (given, or the inputs created here), by parameter name. */
  m: Map<string, Value>;
  v: Map<string, Value>;
}

/** Graph input names of a parameter's AdamW moments when addAdamW creates them. */
export function adamStateNames(param: string): { m: string; v: string } {
  return { m: `adam.m.${param}`, v: `adam.v.${param}` };
}

export function addAdamW(g: GraphBuilder, opts: AdamWOptions): AdamWResult {
  const beta1 = opts.beta1 ?? DEFAULT_OPTIMIZER_CONFIG.beta1;
  const beta2 = opts.beta2 ?? DEFAULT_OPTIMIZER_CONFIG.beta2;
  const eps = opts.eps ?? DEFAULT_OPTIMIZER_CONFIG.eps;
  const wd = opts.weightDecay ?? DEFAULT_OPTIMIZER_CONFIG.weightDecay;
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error(`addAdamW: betas must be in [0, 1) (got ${beta1}, ${beta2})`);
  const names = new Set<string>();
  for (const p of opts.params) {
    if (names.has(p.name)) throw new Error(`addAdamW: parameter '${p.name}' is listed twice`);
    names.add(p.name);
  }
  const stepType = opts.step.dtype;
  if (stepType === undefined) throw new Error(`addAdamW: the element type of step '${opts.step.name}' is unknown`);

  return g.scope('adamw', () => {
    const newStep = g.add(opts.step, g.scalar(1, stepType));
    // Per-dtype scalars, computed once: the moment coefficients (with the gradient scale folded in),
    // lr·√bc2/bc1, eps·√bc2 and 1 − lr·wd.
    interface Scalars {
      gCoef: Value | number;
      g2Coef: Value | number;
      stepSize: Value;
      epsHat: Value;
      decayFactor: Value | undefined;
    }
    const scalars = new Map<DType, Scalars>();
    const scalarsFor = (dtype: DType): Scalars => {
      const hit = scalars.get(dtype);
      if (hit) return hit;
      const t = stepType === dtype ? newStep : g.cast(newStep, dtype);
      const lr = typeof opts.lr === 'number' ? g.scalar(opts.lr, dtype) : opts.lr.dtype === dtype ? opts.lr : g.cast(opts.lr, dtype);
      const bc1 = g.sub(g.scalar(1, dtype), g.pow(g.scalar(beta1, dtype), t));
      const bc2Sqrt = g.sqrt(g.sub(g.scalar(1, dtype), g.pow(g.scalar(beta2, dtype), t)));
      const scale = opts.gradScale === undefined ? undefined : opts.gradScale.dtype === dtype ? opts.gradScale : g.cast(opts.gradScale, dtype);
      const s: Scalars = {
        gCoef: scale ? g.mul(scale, 1 - beta1) : 1 - beta1,
        g2Coef: scale ? g.mul(g.mul(scale, scale), 1 - beta2) : 1 - beta2,
        stepSize: g.div(g.mul(lr, bc2Sqrt), bc1),
        epsHat: g.mul(bc2Sqrt, eps),
        decayFactor: wd !== 0 ? g.sub(g.scalar(1, dtype), g.mul(lr, wd)) : undefined,
      };
      scalars.set(dtype, s);
      return s;
    };

    const result: AdamWResult = { newParams: new Map(), newM: new Map(), newV: new Map(), newStep, m: new Map(), v: new Map() };
    for (const p of opts.params) {
      const dtype = p.value.dtype;
      if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'float16') {
        throw new Error(`addAdamW: parameter '${p.name}' has element type ${dtype}; a float type is needed`);
      }
      if (p.grad.dtype !== dtype) throw new Error(`addAdamW: gradient of '${p.name}' is ${p.grad.dtype}, the parameter ${dtype}`);
      const stateNames = adamStateNames(p.name);
      const m = p.m ?? g.input(stateNames.m, dtype, p.value.shape);
      const v = p.v ?? g.input(stateNames.v, dtype, p.value.shape);
      result.m.set(p.name, m);
      result.v.set(p.name, v);
      const s = scalarsFor(dtype);
      g.scope(p.name.replace(/\//g, '_'), () => {
        const decayed = p.decay && s.decayFactor ? g.mul(p.value, s.decayFactor) : p.value;
        const m1 = g.add(g.mul(m, beta1), g.mul(p.grad, s.gCoef));
        const v1 = g.add(g.mul(v, beta2), g.mul(p.gradSquared ?? g.mul(p.grad, p.grad), s.g2Coef));
        const p1 = g.sub(decayed, g.mul(g.div(m1, g.add(g.sqrt(v1), s.epsHat)), s.stepSize));
        result.newParams.set(p.name, p1);
        result.newM.set(p.name, m1);
        result.newV.set(p.name, v1);
      });
    }
    return result;
  });
}
