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
import { buildGradients } from '../autodiff';
import type { OnnxModel, Value } from '../onnx';
import { addAdamW, adamStateNames, addGlobalNormClip, shouldDecay, type OptimizerConfig } from '../optim';
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
  const { g } = f;
  const names = [...f.trainable.keys()];
  if (names.length === 0) throw new Error('buildTrainStep: nothing is trainable — choose head, top-N or all');
  const dtype = f.rewards.dtype;
  if (dtype === undefined) throw new Error('buildTrainStep: the rewards have no known element type');

  const grads = buildGradients(g, { loss: f.loss, wrt: names });
  const clip = addGlobalNormClip(g, grads, opts.optimizer.maxGradNorm);
  const shapes = builtinParamShapes(opts.config);
  const step = g.input(STEP_IO.step, 'int64', []);
  const lr = g.input(STEP_IO.lr, dtype, []);
  const decayed = names.filter((n) => shouldDecay(n, shapes.get(n) ?? [], opts.optimizer));
  const update = addAdamW(g, {
    params: names.map((name) => ({
      name,
      value: f.trainable.get(name) as Value,
      grad: clip.clipped.get(name) as Value,
      decay: decayed.includes(name),
    })),
    step,
    lr,
    beta1: opts.optimizer.beta1,
    beta2: opts.optimizer.beta2,
    eps: opts.optimizer.eps,
    weightDecay: opts.optimizer.weightDecay,
  });
  for (const name of names) {
    g.output(update.newParams.get(name) as Value, STEP_IO.newParam(name));
    g.output(update.newM.get(name) as Value, STEP_IO.newM(name));
    g.output(update.newV.get(name) as Value, STEP_IO.newV(name));
  }
  g.output(update.newStep, STEP_IO.newStep);
  g.output(clip.norm, STEP_IO.gradNorm);
  return { model: g.build(), trainable: names, decayed };
}

