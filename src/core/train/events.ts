// What a training run reports, in order: one JSON object per line on stdout with `reward-studio train
// --json`, the same objects to the extension (which runs that command as its background process), to
// `metrics.jsonl` in the output folder, and to the dashboard. Field names follow the reference trainers'
// logs (TRL RewardTrainer / HF Trainer): loss, accuracy, rewards/chosen, rewards/margins, grad_norm,
// learning_rate — here camelCased.
import type { TrainConfig } from './config';

export type TrainPhase = 'reading' | 'tokenizer' | 'tokenizing' | 'building' | 'pretraining' | 'features' | 'training' | 'exporting';

export interface StartEvent {
  type: 'start';
  /** Absolute paths. */
  outDir: string;
  dataFile: string;
  evalFile: string | null;
  config: TrainConfig;
  /** The learning rate 'auto' resolved to (or the one given). */
  learningRate: number;
  /** Execution provider in use ('cpu', 'cuda', 'webgpu') and why (what `auto` tried). */
  provider: string;
  providerNote: string;
  pairs: { train: number; eval: number };
  /** Pairs truncated / dropped by tokenization (listed by file:line in the log). */
  truncation: { cut: number; dropped: number };
  /** Parameters in the model and how many of them train. */
  parameters: { total: number; trainable: number };
  stepsPerEpoch: number;
  totalSteps: number;
  /** Set when this run continues a checkpoint. */
  resumedFromStep: number | null;
  /** Length-only baseline on the eval pairs (share where the longer response, in tokens, is chosen; ties count half). */
  evalLengthBaseline: number | null;
  /**
   * A bag-of-words logistic regression (src/core/eval/baselines.ts) fitted on the training pairs and
   * scored on the eval pairs: what a model must beat to show it learned more than which words appear.
   * null when there is no eval set or more than BOW_BASELINE_MAX_PAIRS training pairs.
   */
  evalBagOfWordsBaseline?: number | null;
  time: string;
}

export interface PhaseEvent {
  type: 'phase';
  phase: TrainPhase;
  message: string;
}

/** Training metrics over the last `logSteps` steps (means; min/max over the rewards seen). */
export interface StepEvent {
  type: 'step';
  step: number;
  totalSteps: number;
  /** Fractional epoch (1.5 = halfway through the second). */
  epoch: number;
  loss: number;
  accuracy: number;
  /** Mean r_chosen − r_rejected. */
  rewardMargin: number;
  rewardChosen: number;
  rewardRejected: number;
  rewardMean: number;
  rewardMin: number;
  rewardMax: number;
  gradNorm: number;
  learningRate: number;
  tokensPerSecond: number;
  pairsPerSecond: number;
  elapsedSeconds: number;
  /** Seconds left at the current pace. */
  etaSeconds: number;
}

export interface EvalEvent {
  type: 'eval';
  step: number;
  epoch: number;
  pairs: number;
  loss: number;
  accuracy: number;
  rewardMargin: number;
  rewardMean: number;
  rewardStd: number;
  /** True when this evaluation is the best so far by eval loss (its parameters are checkpoints/best). */
  best: boolean;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  step: number;
  dir: string;
  reason: 'interval' | 'eval' | 'best' | 'cancel' | 'end';
}

export interface LogEvent {
  type: 'log';
  level: 'info' | 'warning';
  message: string;
}

export interface DoneEvent {
  type: 'done';
  status: 'completed' | 'cancelled' | 'early-stopped';
  outDir: string;
  step: number;
  /** reward-model.onnx (absent when cancelled: the checkpoint is there to resume). */
  modelFile: string | null;
  /** The last evaluation, and the best one by eval loss. */
  eval: EvalEvent | null;
  bestEval: EvalEvent | null;
  evalLengthBaseline: number | null;
  evalBagOfWordsBaseline?: number | null;
  /** How to continue (cancelled runs). */
  resumeCommand: string | null;
  elapsedSeconds: number;
}

export interface ErrorEvent {
  type: 'error';
  message: string;
  /** e.g. 'config', 'data', 'tokenizer', 'backbone', 'runtime', 'internal'. */
  code: string;
}

export type TrainEvent = StartEvent | PhaseEvent | StepEvent | EvalEvent | CheckpointEvent | LogEvent | DoneEvent | ErrorEvent;

export const TRAIN_EVENT_TYPES: readonly TrainEvent['type'][] = ['start', 'phase', 'step', 'eval', 'checkpoint', 'log', 'done', 'error'];

/** One line of `train --json` output → an event, or undefined for a line that is not one (tolerant: a reader skips it). */
export function parseTrainEvent(line: string): TrainEvent | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(t) as { type?: unknown };
    return typeof v === 'object' && v !== null && (TRAIN_EVENT_TYPES as readonly unknown[]).includes(v.type) ? (v as TrainEvent) : undefined;
  } catch {
    return undefined;
  }
}
