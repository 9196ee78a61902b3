// Global gradient-norm clipping as graph nodes, torch.nn.utils.clip_grad_norm_ semantics:
// norm = sqrt(Σ g²) over every gradient, coef = min(1, maxNorm / (norm + 1e-6)), g ← g·coef.
import type { GraphBuilder, Value } from '../onnx';

export interface ClipResult {
  /** The clipped gradients, by the same keys. */
  clipped: Map<string, Value>;
  /** The global L2 norm before clipping (a scalar). */
  norm: Value;
  /** The factor applied (a scalar; 1 when the norm is within bounds or maxNorm is Infinity). */
  coef: Value;
}

/** The epsilon torch adds to the norm before dividing. */
export const CLIP_EPS = 1e-6;

export interface GradNorm {
  /** The global L2 norm before clipping (a scalar). */
  norm: Value;
  /** The factor to apply (a scalar; 1 when the norm is within bounds or maxNorm is Infinity). */
  coef: Value;
  /** g·g of every gradient, by the same keys (the norm sums them; AdamW can reuse them for v). */
  squares: Map<string, Value>;
}

/**
 * The global norm and clipping factor min(1, maxNorm / (norm + 1e-6)) without applying it: AdamW takes
 * the factor as a scalar (addAdamW's gradScale), which saves a pass over every gradient.
 */
export function globalGradNorm(g: GraphBuilder, grads: ReadonlyMap<string, Value>, maxNorm: number | null = 1.0): GradNorm {
  if (grads.size === 0) throw new Error('gradient norm: no gradients');
  if (maxNorm !== null && !(maxNorm > 0)) throw new Error(`gradient clipping: maxNorm must be > 0 (got ${maxNorm})`);
  return g.scope('clip', () => {
    const squares = new Map<string, Value>();
    let dtype: Value['dtype'];
    for (const [name, grad] of grads) {
      if (dtype !== undefined && grad.dtype !== dtype) throw new Error(`gradient norm: gradient '${name}' is ${grad.dtype}, others ${dtype}`);
      dtype = grad.dtype;
      squares.set(name, g.mul(grad, grad));
    }
    const sums = [...squares.values()].map((sq) => g.reduceSum(sq, undefined, { keepdims: false }));
    const norm = g.sqrt(sums.length === 1 ? sums[0] : g.sum(...sums));
    const coef = maxNorm === null || maxNorm === Infinity ? g.scalar(1, dtype!) : g.min(g.div(g.scalar(maxNorm, dtype!), g.add(norm, CLIP_EPS)), 1);
    return { norm, coef, squares };
  });
}

/**
 * Scales every gradient by min(1, maxNorm / (norm + 1e-6)). maxNorm Infinity (or null) still
 * computes the norm (for logging) and returns the gradients unchanged.
 */
export function addGlobalNormClip(g: GraphBuilder, grads: ReadonlyMap<string, Value>, maxNorm: number | null = 1.0): ClipResult {
  const { norm, coef } = globalGradNorm(g, grads, maxNorm);
  if (maxNorm === null || maxNorm === Infinity) return { clipped: new Map(grads), norm, coef };
  return g.scope('clip', () => {
    const clipped = new Map<string, Value>();
    for (const [name, grad] of grads) clipped.set(name, g.mul(grad, coef));
    return { clipped, norm, coef };
  });
}
