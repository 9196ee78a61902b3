// The Bradley–Terry loss over a batch laid out as rows [chosen_0..chosen_{B−1}, rejected_0..rejected_{B−1}]:
//   loss = mean(−log σ(r_c − r_r − margin)) + coef · mean((r_c + r_r)²)
// with −log σ(z) = softplus(−z) in the stable form max(y, 0) + log(1 + exp(−|y|)) (ORT CPU has no
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
    const softplus = g.add(g.relu(y), g.log(g.add(g.exp(g.neg(g.abs(y))), 1)));
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
