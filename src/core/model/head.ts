// The reward head: a bias-free linear map [D] → scalar, read at the LAST real token of each row.
// last = sum(mask) − 1 (right padding); the row is selected with a one-hot MatMul, so the head only
// needs MatMul/Mul gradients and a row without real tokens gets reward 0 instead of a wrapped index.
import type { DType, GraphBuilder, Value } from '../onnx';

export interface RewardHeadOutputs {
  /** One reward per row, [rows]. */
  rewards: Value;
  /** The hidden state the head reads, [rows, D]. */
  features: Value;
}

/** hidden [rows, seq, D], attentionMask int [rows, seq], weight [D] → rewards [rows]. */
export function addRewardHead(g: GraphBuilder, hidden: Value, attentionMask: Value, weight: Value): RewardHeadOutputs {
  return g.scope('head', () => rewardsOf(g, lastTokenFeatures(g, hidden, attentionMask), weight));
}

/** The head on features already read at the last real token ([rows, D], e.g. buildBuiltinBackboneLast's). */
export function addRewardHeadOnFeatures(g: GraphBuilder, features: Value, weight: Value): RewardHeadOutputs {
  return g.scope('head', () => rewardsOf(g, features, weight));
}

function rewardsOf(g: GraphBuilder, features: Value, weight: Value): RewardHeadOutputs {
  const D = weight.shape?.[0];
  if (typeof D !== 'number') throw new Error(`reward head: weight '${weight.name}' needs a static shape [D]`);
  const rewards = g.squeeze(g.matmul(features, g.reshape(weight, [D, 1])), [1]);
  return { rewards, features };
}

/** The hidden state at each row's last real token: hidden [rows, seq, D] → [rows, D]. */
export function lastTokenFeatures(g: GraphBuilder, hidden: Value, attentionMask: Value): Value {
  const { oneHot } = lastTokenSelector(g, attentionMask, hidden.dtype!);
  return g.squeeze(g.matmul(oneHot, hidden), [1]);
}

export interface LastTokenSelector {
  /** int64 attention mask, [rows, seq]. */
  mask: Value;
  /** sum(mask) − 1, int64 [rows, 1] (−1 for a row without real tokens). */
  last: Value;
  /** 0..seq−1, int64 [seq]. */
  positions: Value;
  /** 1 at `last`, in the hidden state's type, [rows, 1, seq]; all 0 for a row without real tokens. */
  oneHot: Value;
}

/** Where each row's last real token is (right padding), and the one-hot row that picks it by MatMul. */
export function lastTokenSelector(g: GraphBuilder, attentionMask: Value, dtype: DType): LastTokenSelector {
  const mask = attentionMask.dtype === 'int64' ? attentionMask : g.cast(attentionMask, 'int64');
  const last = g.sub(g.reduceSum(mask, [1], { keepdims: true }), g.scalar(1, 'int64')); // [rows, 1]
  const seqLen = g.squeeze(g.shape(mask, { start: 1, end: 2 }), [0]);
  const positions = g.range(0, seqLen, 1, 'int64'); // [seq]
  const oneHot = g.unsqueeze(g.cast(g.equal(positions, last), dtype), [1]); // [rows, 1, seq]
  return { mask, last, positions, oneHot };
}
