// The Bradley–Terry loss over a batch laid out as rows [chosen_0..chosen_{B−1}, rejected_0..rejected_{B−1}]:
//   loss = mean(−log σ(r_c − r_r − margin)) + coef · mean((r_c + r_r)²)
// with −log σ(z) = softplus(−z) in a stable, branch-selected form (ORT CPU has no
// float64 Softplus). The centering term is TRL's center_rewards_coefficient.
import type { GraphBuilder, Value } from '../onnx';

export interface BradleyTerryOptions {
  /** Per-pair margin [B] subtracted from r_c − r_r (TRL's `margin` column); none when absent. */
  margin?: Value;
  /** TRL center_rewards_coefficient; 0 or absent: no centering term. */
  centerCoef?: number;
}

export interface BradleyTerryOutputs {
  /** Scalar loss. */
  loss: Value;
  rewardsChosen: Value;
  rewardsRejected: Value;
  /** Fraction of pairs with r_c > r_r (scalar). */
  accuracy: Value;
  /** mean(r_c − r_r), the margin before any target margin (scalar). */
  rewardMargin: Value;
}

export function addBradleyTerryLoss(g: GraphBuilder, rewards: Value, opts: BradleyTerryOptions = {}): BradleyTerryOutputs {
  return g.scope('loss', () => {
    const [rc, rr] = g.split(rewards, { axis: 0, numOutputs: 2 });
    const diff = g.sub(rc, rr);
    const z = opts.margin ? g.sub(diff, opts.margin) : diff;
    const y = g.neg(z);
    // softplus(y), stable, with the right gradient everywhere — including y = 0, where every pair sits at
    // the first step (the head starts at zero). relu(y) + log1p(exp(−|y|)) has the right value but its
    // piecewise gradients (sign(0) = 0, relu'(0) = 0) give 0 there instead of σ(0) = ½, so training would
    // never start. Here a Where picks one smooth branch; the clamps are Wheres too (Min/Max tie-break
    // the same way), so neither exp can overflow and exactly one branch carries the gradient.
    const positive = g.greater(y, 0);
    const zero = g.scalar(0, y.dtype!);
    const yPos = g.where(positive, y, zero);
    const yNeg = g.where(positive, zero, y);
    const softplus = g.where(
      positive,
      g.add(y, g.log(g.add(g.exp(g.neg(yPos)), 1))),
      g.log(g.add(g.exp(yNeg), 1)),
    );
    let loss = g.reduceMean(softplus, undefined, { keepdims: false });
    if (opts.centerCoef) {
      const s = g.add(rc, rr);
      loss = g.add(loss, g.mul(g.reduceMean(g.mul(s, s), undefined, { keepdims: false }), opts.centerCoef));
    }
    const accuracy = g.reduceMean(g.cast(g.greater(rc, rr), rewards.dtype!), undefined, { keepdims: false });
    const rewardMargin = g.reduceMean(diff, undefined, { keepdims: false });
    return { loss, rewardsChosen: rc, rewardsRejected: rr, accuracy, rewardMargin };
  });
}
