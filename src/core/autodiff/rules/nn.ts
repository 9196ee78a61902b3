// Normalization and activation ops with composite gradients: LayerNormalization (opset 17), ONNX
// Runtime's SimplifiedLayerNormalization (RMSNorm, registered in the ai.onnx domain), GELU in its ONNX
// (opset 20) and com.microsoft forms, QuickGelu.
import type { GraphBuilder, Value } from '../../onnx';
import { elementRatio, expandTo, rankOf, zerosLike } from '../helpers';
import type { GradContext, RuleInfo } from '../types';
import { each, gradient, toInput } from './define';

/** Axes a normalization over [axis, rank) reduces: negative axes need no rank. */
function normAxes(x: Value, axis: number): number[] {
  if (axis < 0) return Array.from({ length: -axis }, (_, k) => axis + k);
  const r = rankOf(x)!;
  return Array.from({ length: r - axis }, (_, k) => axis + k);
}

const refuseNorm = ({ g, node }: RuleInfo): string | undefined => {
  const axis = node.attribute.find((a) => a.name === 'axis')?.i;
  if (axis !== undefined && axis >= 0n && rankOf(g.value(node.input[0])) === undefined) return 'a non-negative axis over an input of unknown rank';
  return undefined;
};

function plus(g: GraphBuilder, a: Value | undefined, b: Value): Value {
  return a ? g.add(a, b) : b;
}

function asType(g: GraphBuilder, v: Value, like: Value): Value {
  return v.dtype === like.dtype ? v : g.cast(v, like.dtype!);
}

/**
 * The statistics output `i` of the forward node when the gradient can read it instead of recomputing:
 * the node has it and it is in x's type (the op's Mean/InvStdDev are in the stash type, float32 by
 * default, so a float64 x recomputes them in float64).
 */
function savedStat(c: GradContext, i: number, x: Value): Value | undefined {
  if ((c.node.output[i] ?? '') === '') return undefined;
  const v = c.output(i);
  return v.dtype === x.dtype ? v : undefined;
}

/**
 * The x-gradient of a normalization y = xhat·scale, xhat = (x − mean)·rstd (centered) or x·rstd (RMS),
 * given dxhat = dy·scale: rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)), without the mean term
 * for RMS. The node's Mean/InvStdDev outputs are used when it has them in x's type (see savedStat);
 * else the statistics are recomputed in x's type.
 */
function normalizationGrads(c: GradContext, centered: boolean): (Value | undefined)[] {
  const { g } = c;
  const x = c.input(0);
  const scale = c.input(1);
  const eps = c.attrFloat('epsilon', 1e-5);
  const axes = normAxes(x, c.attrInt('axis', -1));
  const savedMean = centered ? savedStat(c, 1, x) : undefined;
  const savedRstd = savedStat(c, centered ? 2 : 1, x);
  const mean = centered ? (savedMean ?? g.reduceMean(x, axes)) : undefined;
  const xc = mean ? g.sub(x, mean) : x;
  const rstd = savedRstd ?? g.op('Reciprocal', [g.sqrt(g.add(g.reduceMean(g.mul(xc, xc), axes), eps))]);
  const xhat = g.mul(xc, rstd);
  const dy = c.dy(0);
  const dMean = centered ? c.dy(1) : undefined;
  const dInvStd = c.dy(centered ? 2 : 1);
  return each(c, (i) => {
    // Scale and bias only shape Y: when only the statistics outputs reach the loss, zeros.
    if (i === 1) return dy ? toInput(c, g.mul(dy, xhat), 1) : zerosLike(g, scale);
    if (i === 2) return dy ? toInput(c, dy, 2) : zerosLike(g, c.input(2));
    let dx: Value | undefined;
    if (dy) {
      const dxhat = g.mul(dy, scale);
      let inner = g.sub(dxhat, g.mul(xhat, g.reduceMean(g.mul(dxhat, xhat), axes)));
      if (centered) inner = g.sub(inner, g.reduceMean(dxhat, axes));
      dx = g.mul(rstd, inner);
    }
    if (dMean || dInvStd) {
      const n = elementRatio(g, x, rstd);
      if (dMean) dx = plus(g, dx, g.div(asType(g, dMean, x), n));
      if (dInvStd) {
        // d rstd / dx = −rstd³·xc / n
        const rstd3 = g.mul(rstd, g.mul(rstd, rstd));
        dx = plus(g, dx, g.neg(g.div(g.mul(g.mul(asType(g, dInvStd, x), rstd3), xc), n)));
      }
    }
    return expandTo(g, dx!, x);
  });
}

export const layerNormalization = gradient(
  'dX = rstd·(dX̂ − mean(dX̂) − X̂·mean(dX̂·X̂)), dX̂ = dY·scale; dScale = Σ dY·X̂, dB = Σ dY (+ Mean/InvStdDev output terms)',
  (c) => normalizationGrads(c, true),
  { refuse: refuseNorm },
);

export const simplifiedLayerNormalization = gradient(
  'RMSNorm: dX = rstd·(dX̂ − X̂·mean(dX̂·X̂)), dX̂ = dY·scale; dScale = Σ dY·X̂',
  (c) => normalizationGrads(c, false),
  { refuse: refuseNorm },
);

// --- GELU -----------------------------------------------------------------------------------------

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_C = Math.sqrt(2 / Math.PI);
const TANH_K = 0.044715;

/** d/dx of x·Φ(x): Φ(x) + x·φ(x). */
function geluErfDerivative(g: GraphBuilder, x: Value): Value {
  const cdf = g.mul(g.add(g.erf(g.mul(x, SQRT1_2)), 1), 0.5);
  const pdf = g.mul(g.exp(g.mul(g.mul(x, x), -0.5)), INV_SQRT_2PI);
  return g.add(cdf, g.mul(x, pdf));
}

/**
 * d/dx of 0.5·x·(1 + tanh(c·(x + k·x³))), written as x·σ(z) with z = 2c·(x + k·x³) (the same function:
 * 0.5·(1 + tanh(u)) = σ(2u)): s + x·s·(1 − s)·z′ = s·(1 + x·z′·(1 − s)), z′ = 2c·(1 + 3k·x²). Twelve
 * elementwise passes over X instead of sixteen — this rule runs on the widest activations of a block.
 */
function geluTanhDerivative(g: GraphBuilder, x: Value): Value {
  const x2 = g.mul(x, x);
  const s = g.sigmoid(g.mul(x, g.add(g.mul(x2, 2 * TANH_C * TANH_K), 2 * TANH_C)));
  const xdz = g.mul(x, g.add(g.mul(x2, 6 * TANH_C * TANH_K), 2 * TANH_C));
  return g.mul(s, g.add(g.mul(xdz, g.sub(1, s)), 1));
}

export const gelu = gradient(
  "dX = dY·(Φ(X) + X·φ(X)), or the derivative of the tanh form for approximate='tanh'",
  (c) => {
    const x = c.input(0);
    const d = c.attrString('approximate', 'none') === 'tanh' ? geluTanhDerivative(c.g, x) : geluErfDerivative(c.g, x);
    return [c.g.mul(c.grad(), d)];
  },
  { differentiable: [0] },
);

/** com.microsoft Gelu / BiasGelu (erf form) and FastGelu (tanh form), on X (+ bias). */
function biasedGelu(form: 'erf' | 'tanh') {
  return gradient(`dX = dY·gelu'(X + bias) (${form} form), dBias = the same summed to bias`, (c) => {
    const { g } = c;
    const s = c.hasInput(1) ? g.add(c.input(0), c.input(1)) : c.input(0);
    const d = g.mul(c.grad(), form === 'tanh' ? geluTanhDerivative(g, s) : geluErfDerivative(g, s));
    return each(c, (i) => toInput(c, d, i));
  });
}

export const msGelu = biasedGelu('erf');
export const biasGelu = biasedGelu('erf');
export const fastGelu = biasedGelu('tanh');

export const quickGelu = gradient(
  'dX = dY·s·(1 + alpha·X·(1 − s)), s = sigmoid(alpha·X)',
  (c) => {
    const { g } = c;
    const x = c.input(0);
    const alpha = c.attrFloat('alpha', 1.702);
    const s = g.sigmoid(g.mul(x, alpha));
    return [g.mul(c.grad(), g.mul(s, g.add(g.mul(g.mul(x, alpha), g.sub(1, s)), 1)))];
  },
  { differentiable: [0] },
);
