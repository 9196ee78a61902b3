// Causal language-model pretraining of the built-in backbone: next-token cross-entropy with the output
// projection tied to the token embedding (GPT-2's). No pretrained weights exist on these machines, so a
// built-in backbone can first learn the statistics of the user's own texts (every token a target) before
// the reward head sees its one bit per pair — domain-adaptive pretraining, from scratch.
//
//   inputs:  input_ids, attention_mask int64 [rows, seq] (right padding); every backbone parameter
//            (head.w excluded: the LM does not use it), its AdamW moments, step, lr
//   outputs: loss (mean NLL over predicted real tokens), tokens (how many were predicted), and the
//            training step's new.* / grad_norm / new_step
import { GraphBuilder, type Value } from '../onnx';
import type { OptimizerConfig } from '../optim';
import { buildBuiltinBackbone } from './backbone';
import { validateBuiltinConfig, type BuiltinBackboneConfig } from './config';
import { IO, MODEL_OPSET } from './graphs';
import { bindParams, builtinParamShapes, HEAD_WEIGHT, type ModelParams } from './params';
import { finishTrainStep, type TrainStepGraph } from './trainStep';

export const LM_IO = Object.freeze({ loss: 'lm_loss', tokens: 'lm_tokens' });

export interface LmStepOptions {
  config: BuiltinBackboneConfig;
  params: ModelParams;
  optimizer: OptimizerConfig;
}

/** The names of the parameters the LM step trains: every backbone parameter (not the reward head). */
export function lmTrainableParams(config: BuiltinBackboneConfig): string[] {
  return [...builtinParamShapes(config).keys()].filter((n) => n !== HEAD_WEIGHT);
}

export interface LmLoss {
  g: GraphBuilder;
  loss: Value;
  tokens: Value;
  /** Every backbone parameter, as graph inputs. */
  trainable: Map<string, Value>;
}

/** The forward: ids → next-token loss (marked as outputs), every backbone parameter an input. */
export function buildLmLoss(opts: Omit<LmStepOptions, 'optimizer'>): LmLoss {
  validateBuiltinConfig(opts.config);
  const c = opts.config;
  const g = new GraphBuilder({ opset: MODEL_OPSET, name: 'lm_train_step' });
  const inputIds = g.input(IO.inputIds, 'int64', ['rows', 'seq']);
  const attentionMask = g.input(IO.attentionMask, 'int64', ['rows', 'seq']);
  const names = lmTrainableParams(c);
  const bound = bindParams(g, c, opts.params, names);
  const { hidden } = g.scope('backbone', () => buildBuiltinBackbone(g, c, bound.get, { inputIds, attentionMask, training: true }));
  const loss = g.scope('lm', () => addNextTokenLoss(g, hidden, bound.get('wte'), inputIds, attentionMask, c.vocab));
  g.output(loss.loss, LM_IO.loss);
  g.output(loss.tokens, LM_IO.tokens);
  const trainable = new Map<string, Value>();
  for (const n of names) trainable.set(n, bound.trainable.get(n) as Value);
  return { g, loss: loss.loss, tokens: loss.tokens, trainable };
}

/** One optimizer step of next-token prediction over a batch of sequences, as one graph. */
export function buildLmStep(opts: LmStepOptions): TrainStepGraph {
  const f = buildLmLoss(opts);
  return finishTrainStep(f.g, { loss: f.loss, trainable: f.trainable }, { optimizer: opts.optimizer, shapes: builtinParamShapes(opts.config) });
}

/**
 * hidden [rows, seq, D] → logits over the vocabulary through wteᵀ; the target of position t is the id at
 * t + 1 where that is a real token. loss = Σ −log p(target) / Σ targets. The one-hot of the targets is
 * an integer path (no gradient); LogSoftmax, Mul and ReduceSum carry it.
 */
export function addNextTokenLoss(g: GraphBuilder, hidden: Value, wte: Value, inputIds: Value, attentionMask: Value, vocab: number): { loss: Value; tokens: Value } {
  const dtype = hidden.dtype!;
  const D = wte.shape?.[1];
  if (typeof D !== 'number') throw new Error('next-token loss: the embedding needs a static shape [vocab, D]');
  const flat = g.reshape(hidden, [-1, D]); // [rows·seq, D]
  const logits = g.matmul(flat, g.transpose(wte, [1, 0])); // [rows·seq, V]
  const logp = g.logSoftmax(logits, -1);
  // Targets: the next id; the last position of every row has none (mask 0 there).
  const shiftLeft = (x: Value): Value => g.pad(g.slice(x, [1], [2 ** 62], [1]), [0, 0, 0, 1], { value: 0 }); // x[:, 1:] then a 0 column
  const next = shiftLeft(inputIds);
  const nextMask = shiftLeft(g.cast(attentionMask, 'int64'));
  const target = g.reshape(next, [-1, 1]); // [rows·seq, 1]
  const oneHot = g.cast(g.equal(target, g.range(0, vocab, 1, 'int64')), dtype); // [rows·seq, V]
  const m = g.cast(g.reshape(nextMask, [-1]), dtype); // [rows·seq]
  const nll = g.neg(g.reduceSum(g.mul(logp, oneHot), [1], { keepdims: false })); // [rows·seq]
  const tokens = g.reduceSum(m, undefined, { keepdims: false });
  const loss = g.div(g.reduceSum(g.mul(nll, m), undefined, { keepdims: false }), g.max(tokens, g.scalar(1, dtype)));
  return { loss, tokens };
}
