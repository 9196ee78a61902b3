// Causal-LM pretraining of the built-in backbone on the run's own training texts, before the reward
// head: every token is a target, so the backbone learns the texts' statistics from far more signal than
// the one bit a preference pair gives. Each distinct sequence (prompt + response, as the reward model
// reads it) is used once per epoch, in length-bucketed batches.
import { buildLmStep, builtinParamShapes, LM_IO, type BuiltinBackboneConfig, type ModelParams } from '../model';
import { IO } from '../model/graphs';
import { scheduledLr, scheduleFor, type OptimizerConfig } from '../optim';
import { mulberry32 } from '../random';
import type { Runtime, Tensor } from '../runtime';
import { TrainStepper } from './stepper';

export interface PretrainProgress {
  step: number;
  totalSteps: number;
  /** Mean next-token loss (nats) over the steps since the last report. */
  loss: number;
  tokensPerSecond: number;
}

export interface PretrainOptions {
  config: BuiltinBackboneConfig;
  /** Starting values of every parameter (updated in place with the pretrained backbone). */
  params: ModelParams;
  sequences: readonly ArrayLike<number>[];
  epochs: number;
  /** Sequences per step. */
  batchRows: number;
  optimizer: OptimizerConfig;
  seed: number;
  padId: number;
  signal?: AbortSignal;
  /** Every `reportEvery` steps and at the end. */
  onProgress?: (p: PretrainProgress) => void;
  reportEvery?: number;
}

export interface PretrainResult {
  steps: number;
  totalSteps: number;
  /** Mean loss of the first and the last reported windows. */
  firstLoss: number;
  lastLoss: number;
  cancelled: boolean;
}

/** Distinct sequences (a prompt shared by both sides of a pair is one text per side). */
export function distinctSequences(seqs: readonly ArrayLike<number>[]): ArrayLike<number>[] {
  const seen = new Set<string>();
  const out: ArrayLike<number>[] = [];
  for (const s of seqs) {
    const key = Array.prototype.join.call(s, ',');
    if (seen.has(key) || s.length < 2) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

/** Batches of similar length, in a seeded order. */
function lengthBatches(seqs: readonly ArrayLike<number>[], rows: number, seed: number): ArrayLike<number>[][] {
  const rand = mulberry32(seed);
  const order = seqs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  order.sort((a, b) => Math.ceil(seqs[a].length / 16) - Math.ceil(seqs[b].length / 16));
  const batches: ArrayLike<number>[][] = [];
  for (let i = 0; i < order.length; i += rows) batches.push(order.slice(i, i + rows).map((k) => seqs[k]));
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [batches[i], batches[j]] = [batches[j], batches[i]];
  }
  return batches;
}

function collate(batch: readonly ArrayLike<number>[], padId: number): { feeds: Record<string, Tensor>; tokens: number } {
  const T = Math.max(...batch.map((s) => s.length));
  const rows = batch.length;
  const ids = new BigInt64Array(rows * T).fill(BigInt(padId));
  const mask = new BigInt64Array(rows * T);
  let tokens = 0;
  batch.forEach((s, r) => {
    for (let t = 0; t < s.length; t++) {
      ids[r * T + t] = BigInt(s[t]);
      mask[r * T + t] = 1n;
    }
    tokens += s.length;
  });
  return {
    feeds: {
      [IO.inputIds]: { dtype: 'int64', dims: [rows, T], data: ids },
      [IO.attentionMask]: { dtype: 'int64', dims: [rows, T], data: mask },
    },
    tokens,
  };
}

/** Runs the LM epochs; `opts.params` ends up holding the pretrained backbone (head.w untouched). */
export async function pretrainBackbone(rt: Runtime, opts: PretrainOptions): Promise<PretrainResult> {
  const seqs = distinctSequences(opts.sequences);
  if (seqs.length === 0) throw new Error('pretraining: no sequence of two or more tokens');
  const perEpoch = Math.ceil(seqs.length / opts.batchRows);
  const totalSteps = Math.max(1, Math.ceil(opts.epochs * perEpoch));
  const schedule = scheduleFor(opts.optimizer, totalSteps);
  const graph = buildLmStep({ config: opts.config, params: opts.params, optimizer: opts.optimizer });
  const stepper = await TrainStepper.create(rt, graph, opts.params, builtinParamShapes(opts.config));
  const every = opts.reportEvery ?? 10;
  let firstLoss = NaN;
  let lastLoss = NaN;
  let windowLoss = 0;
  let windowSteps = 0;
  let windowTokens = 0;
  let windowStart = performance.now();
  let batches: ArrayLike<number>[][] = [];
  let epochOf = -1;
  let cancelled = false;
  try {
    while (stepper.steps < totalSteps) {
      if (opts.signal?.aborted) {
        cancelled = true;
        break;
      }
      const epoch = Math.floor(stepper.steps / perEpoch);
      if (epoch !== epochOf) {
        batches = lengthBatches(seqs, opts.batchRows, (opts.seed * 31 + epoch) >>> 0);
        epochOf = epoch;
      }
      const { feeds, tokens } = collate(batches[stepper.steps % perEpoch], opts.padId);
      const out = await stepper.run(feeds, scheduledLr(schedule, stepper.steps), opts.signal);
      const loss = Number((out[LM_IO.loss].data as Float32Array)[0]);
      if (!Number.isFinite(loss)) throw new Error(`pretraining: the loss became ${loss} at step ${stepper.steps}; lower the learning rate`);
      windowLoss += loss;
      windowSteps++;
      windowTokens += tokens;
      if (windowSteps >= every || stepper.steps === totalSteps) {
        const mean = windowLoss / windowSteps;
        if (Number.isNaN(firstLoss)) firstLoss = mean;
        lastLoss = mean;
        opts.onProgress?.({ step: stepper.steps, totalSteps, loss: mean, tokensPerSecond: windowTokens / ((performance.now() - windowStart) / 1000) });
        windowLoss = windowSteps = windowTokens = 0;
        windowStart = performance.now();
      }
    }
    for (const [name, value] of stepper.trainableParams()) opts.params.set(name, value);
    return { steps: stepper.steps, totalSteps, firstLoss, lastLoss, cancelled };
  } finally {
    await stepper.release().catch(() => undefined);
  }
}
