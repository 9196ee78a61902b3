// A scripted training run's events, typed by the core's TrainEvent: a change to the event contract is
// a compile error here, not a silently stale fixture.
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import type {
  CheckpointEvent,
  DoneEvent,
  EvalEvent,
  StartEvent,
  StepEvent,
  TrainEvent,
} from '../../../src/core/train/events';

export const OUT_DIR = '/runs/train-20261122-101500';
export const DATA_FILE = '/data/train.jsonl';

export function startEvent(over: Partial<StartEvent> = {}): StartEvent {
  const config: TrainConfig = structuredClone({ ...DEFAULT_TRAIN_CONFIG }) as TrainConfig;
  return {
    type: 'start',
    outDir: OUT_DIR,
    dataFile: DATA_FILE,
    evalFile: null,
    config,
    learningRate: 0.001,
    provider: 'cpu',
    providerNote: 'Running on CPU (auto).',
    pairs: { train: 90, eval: 10 },
    truncation: { cut: 2, dropped: 1 },
    parameters: { total: 24448, trainable: 24448 },
    stepsPerEpoch: 12,
    totalSteps: 12,
    resumedFromStep: null,
    evalLengthBaseline: 0.6,
    time: '2026-11-22T10:15:00.000Z',
    ...over,
  };
}

export function stepEvent(step: number, over: Partial<StepEvent> = {}): StepEvent {
  return {
    type: 'step',
    step,
    totalSteps: 12,
    epoch: step / 12,
    loss: 0.7 - step * 0.01,
    accuracy: 0.5 + step * 0.01,
    rewardMargin: step * 0.05,
    rewardChosen: step * 0.03,
    rewardRejected: -step * 0.02,
    rewardMean: 0,
    rewardMin: -1,
    rewardMax: 1,
    gradNorm: 1 / step,
    learningRate: 0.001,
    tokensPerSecond: 10_000 + step,
    pairsPerSecond: 100,
    elapsedSeconds: step * 0.5,
    etaSeconds: (12 - step) * 0.5,
    ...over,
  };
}

export function evalEvent(step: number, over: Partial<EvalEvent> = {}): EvalEvent {
  return {
    type: 'eval',
    step,
    epoch: step / 12,
    pairs: 10,
    loss: 0.69 - step * 0.005,
    accuracy: 0.55 + step * 0.01,
    rewardMargin: step * 0.04,
    rewardMean: 0,
    rewardStd: 0.1,
    best: true,
    ...over,
  };
}

export function checkpointEvent(step: number, reason: CheckpointEvent['reason']): CheckpointEvent {
  return { type: 'checkpoint', step, dir: `${OUT_DIR}/checkpoints/${reason === 'best' ? 'best' : 'last'}`, reason };
}

export function doneEvent(over: Partial<DoneEvent> = {}): DoneEvent {
  return {
    type: 'done',
    status: 'completed',
    outDir: OUT_DIR,
    step: 12,
    modelFile: `${OUT_DIR}/reward-model.onnx`,
    eval: evalEvent(12, { best: false, accuracy: 0.7 }),
    bestEval: evalEvent(8, { accuracy: 0.72 }),
    evalLengthBaseline: 0.6,
    resumeCommand: null,
    elapsedSeconds: 6.5,
    ...over,
  };
}

/** A whole completed run: phases, start, 12 steps, evaluations at 6 and 12, checkpoints, done. */
export function completedRun(): TrainEvent[] {
  return [
    { type: 'phase', phase: 'reading', message: `reading ${DATA_FILE}` },
    { type: 'phase', phase: 'tokenizing', message: 'tokenizing (max 64 tokens, keep-end-of-prompt)' },
    { type: 'log', level: 'warning', message: 'train: 2 pair(s) truncated, 1 dropped at maxLength 64' },
    startEvent(),
    { type: 'phase', phase: 'training', message: 'training on cpu' },
    ...[1, 2, 3, 4, 5, 6].map((s) => stepEvent(s)),
    evalEvent(6),
    checkpointEvent(6, 'best'),
    checkpointEvent(6, 'eval'),
    ...[7, 8, 9, 10, 11, 12].map((s) => stepEvent(s)),
    evalEvent(12, { best: false, accuracy: 0.7 }),
    checkpointEvent(12, 'end'),
    { type: 'phase', phase: 'exporting', message: 'exporting reward-model.onnx' },
    doneEvent({ bestEval: evalEvent(6) }),
  ];
}

/** A run cancelled after step 5: the checkpoint, then done 'cancelled'. */
export function cancelledRun(): TrainEvent[] {
  return [
    startEvent(),
    ...[1, 2, 3, 4, 5].map((s) => stepEvent(s)),
    checkpointEvent(5, 'cancel'),
    doneEvent({
      status: 'cancelled',
      step: 5,
      modelFile: null,
      eval: null,
      bestEval: null,
      resumeCommand: `reward-studio train --resume ${OUT_DIR}`,
    }),
  ];
}
