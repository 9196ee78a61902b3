// One training step as one ONNX graph: forward + Bradley–Terry loss, reverse-mode gradients of the
// trainable parameters, global-norm clipping, AdamW. A pure function (STYLE.md, tinygrad nn/optim.py):
//
//   inputs:  input_ids, attention_mask [2B, T] (chosen rows then rejected rows), margin [B]?,
//            every trainable parameter p, its moments adam.m.p / adam.v.p, step (int64 scalar:
//            updates already applied), lr (float scalar: the schedule's value for this step)
//   outputs: new.p, new.adam.m.p, new.adam.v.p for every trainable p, new_step, and the metrics
//            loss, accuracy, reward_margin, rewards_chosen, rewards_rejected, grad_norm
//
// Frozen parameters are folded in as initializers, so they cost no transfer and get no gradient.
// `finishTrainStep` is the backbone-independent half (gradients, clipping, AdamW, outputs): the
// built-in backbone uses it here, imported backbones in ./import/reward.ts.
import { buildGradients } from '../autodiff';
import { foldOutputIdentities, type GraphBuilder, type OnnxModel, type Value } from '../onnx';
import { addAdamW, adamStateNames, globalGradNorm, shouldDecay, type OptimizerConfig } from '../optim';
import { buildLossForward, type LossGraphOptions } from './graphs';
import { builtinParamShapes } from './params';

export interface TrainStepOptions extends LossGraphOptions {
  optimizer: OptimizerConfig;
}

/** Graph I/O names of the training step, beyond those in IO. */
export const STEP_IO = Object.freeze({
  step: 'step',
  lr: 'lr',
  newStep: 'new_step',
  gradNorm: 'grad_norm',
  newParam: (p: string) => `new.${p}`,
  newM: (p: string) => `new.${adamStateNames(p).m}`,
  newV: (p: string) => `new.${adamStateNames(p).v}`,
});

export interface TrainStepGraph {
  model: OnnxModel;
  /** Trainable parameter names, in graph-input order. */
  trainable: string[];
  /** Which trainable parameters get weight decay. */
  decayed: string[];
}

export function buildTrainStep(opts: TrainStepOptions): TrainStepGraph {
  const f = buildLossForward({ ...opts, name: opts.name ?? 'reward_train_step' });
  if (f.trainable.size === 0) throw new Error('buildTrainStep: nothing is trainable — choose head, top-N or all');
  if (f.rewards.dtype === undefined) throw new Error('buildTrainStep: the rewards have no known element type');
  return finishTrainStep(f.g, { loss: f.loss, trainable: f.trainable }, { optimizer: opts.optimizer, shapes: builtinParamShapes(opts.config) });
}

export interface TrainStepParts {
  /** The scalar loss (its element type is the type of `lr`). */
  loss: Value;
  /** The trainable parameters: graph inputs by name, in the order the step lists them. */
  trainable: ReadonlyMap<string, Value>;
}

export interface FinishTrainStepOptions {
  optimizer: OptimizerConfig;
  /** Shapes of the trainable parameters (for the weight-decay policy). */
  shapes: ReadonlyMap<string, readonly number[]>;
}

/**
 * Completes a training step in `g`, whose forward already computes `loss` from the `trainable`
 * inputs (and marks the metric outputs it wants): gradients of the loss, global-norm clipping,
 * AdamW with decay where shouldDecay says, the step and lr inputs, and the new.* / new_step /
 * grad_norm outputs. Builds the model.
 */
export function finishTrainStep(g: GraphBuilder, parts: TrainStepParts, opts: FinishTrainStepOptions): TrainStepGraph {
  const names = [...parts.trainable.keys()];
  if (names.length === 0) throw new Error('training step: nothing is trainable');
  const dtype = parts.loss.dtype;
  if (dtype === undefined) throw new Error('training step: the loss has no known element type');

  const grads = buildGradients(g, { loss: parts.loss, wrt: names });
  // Clipping's factor goes into AdamW's moment coefficients, and the g² of the norm into v.
  const clip = globalGradNorm(g, grads, opts.optimizer.maxGradNorm);
  const step = g.input(STEP_IO.step, 'int64', []);
  const lr = g.input(STEP_IO.lr, dtype, []);
  const decayed = names.filter((n) => shouldDecay(n, opts.shapes.get(n) ?? [], opts.optimizer));
  const update = addAdamW(g, {
    params: names.map((name) => ({
      name,
      value: parts.trainable.get(name) as Value,
      grad: grads.get(name) as Value,
      gradSquared: clip.squares.get(name),
      decay: decayed.includes(name),
    })),
    step,
    lr,
    beta1: opts.optimizer.beta1,
    beta2: opts.optimizer.beta2,
    eps: opts.optimizer.eps,
    weightDecay: opts.optimizer.weightDecay,
    gradScale: clip.coef,
  });
  for (const name of names) {
    g.output(update.newParams.get(name) as Value, STEP_IO.newParam(name));
    g.output(update.newM.get(name) as Value, STEP_IO.newM(name));
    g.output(update.newV.get(name) as Value, STEP_IO.newV(name));
  }
  g.output(update.newStep, STEP_IO.newStep);
  g.output(clip.norm, STEP_IO.gradNorm);
  return { model: foldOutputIdentities(g.build()), trainable: names, decayed };
}
