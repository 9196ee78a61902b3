/**
 * Folds a training run's events into what the dashboard shows. Pure (no `vscode`, no I/O), so the
 * plain-Node tests replay event streams through it.
 *
 * Each function returns the patch an event makes; `applyTrainPatch` (src/protocol/train.ts) applies it.
 * The host applies every patch to its state and posts the same patch to an open dashboard, so a
 * dashboard that got a snapshot and then the patches holds what the host holds.
 */
import type { TrainConfig } from '../../core/train/config';
import type { EvalEvent, TrainEvent } from '../../core/train/events';
import {
  applyTrainPatch,
  emptySeries,
  type SeriesName,
  type SeriesPoint,
  type TrainDashboardPatch,
  type TrainDashboardState,
  type TrainEvalSummary,
  type TrainRunResult,
} from '../../protocol/train';

/** How many logged warnings the dashboard keeps (the log has them all). */
export const MAX_WARNINGS = 20;

export interface RunIdentity {
  runId: string;
  /** Absolute paths. */
  dataFile: string;
  outDir: string;
}

/** How the training process ended, as the launcher saw it. */
export interface ProcessExit {
  code: number | null;
  signal: string | null;
  /** It did not stop within the grace period after Cancel, and was killed. */
  killedAfterCancel?: boolean;
  /** It could not be started at all (e.g. the CLI bundle is missing). */
  startError?: string;
  /** The last lines it wrote to stderr: the log's last words, for the report of a crash. */
  lastLog?: string[];
}

export function initialDashboardState(run: RunIdentity, live: boolean): TrainDashboardState {
  return {
    runId: run.runId,
    dataFile: run.dataFile,
    dataFileName: baseName(run.dataFile),
    outDir: run.outDir,
    status: 'starting',
    live,
    phase: live ? 'Starting the training process…' : null,
    provider: null,
    providerNote: null,
    pairs: null,
    parameters: null,
    truncation: null,
    learningRate: null,
    resumedFromStep: null,
    evalLengthBaseline: null,
    exportModel: null,
    configSummary: null,
    step: 0,
    totalSteps: null,
    epoch: null,
    etaSeconds: null,
    tokensPerSecond: null,
    pairsPerSecond: null,
    elapsedSeconds: null,
    lastEval: null,
    bestEval: null,
    lastCheckpoint: null,
    warnings: [],
    result: null,
    series: emptySeries(),
  };
}

/** The patch one event makes to `state` (which it does not change). */
export function patchForEvent(state: TrainDashboardState, event: TrainEvent): TrainDashboardPatch {
  switch (event.type) {
    case 'start':
      return {
        set: {
          status: state.status === 'starting' ? 'running' : state.status,
          provider: event.provider,
          providerNote: event.providerNote,
          pairs: { ...event.pairs },
          parameters: { ...event.parameters },
          truncation: { ...event.truncation },
          learningRate: finiteOrNull(event.learningRate),
          resumedFromStep: event.resumedFromStep,
          evalLengthBaseline: finiteOrNull(event.evalLengthBaseline),
          totalSteps: event.totalSteps,
          step: event.resumedFromStep ?? state.step,
          outDir: event.outDir || state.outDir,
          dataFile: event.dataFile || state.dataFile,
          dataFileName: baseName(event.dataFile || state.dataFile),
          exportModel: event.config.exportModel,
          configSummary: describeConfig(event.config),
        },
      };
    case 'phase':
      return { set: { phase: event.message } };
    case 'step': {
      const append: Partial<Record<SeriesName, SeriesPoint[]>> = {};
      const add = (name: SeriesName, value: number): void => {
        if (Number.isFinite(value)) append[name] = [[event.step, value]];
      };
      add('trainLoss', event.loss);
      add('trainAccuracy', event.accuracy);
      add('trainMargin', event.rewardMargin);
      add('learningRate', event.learningRate);
      add('gradNorm', event.gradNorm);
      add('tokensPerSecond', event.tokensPerSecond);
      const warnings = Number.isFinite(event.loss)
        ? undefined
        : withWarning(state.warnings, `Step ${event.step}: the training loss is not a finite number.`);
      return {
        set: {
          ...(state.status === 'starting' ? { status: 'running' as const } : {}),
          step: event.step,
          totalSteps: event.totalSteps,
          epoch: finiteOrNull(event.epoch),
          etaSeconds: finiteOrNull(event.etaSeconds),
          tokensPerSecond: finiteOrNull(event.tokensPerSecond),
          pairsPerSecond: finiteOrNull(event.pairsPerSecond),
          elapsedSeconds: finiteOrNull(event.elapsedSeconds),
          ...(warnings ? { warnings } : {}),
        },
        append,
      };
    }
    case 'eval': {
      const summary = evalSummary(event);
      const append: Partial<Record<SeriesName, SeriesPoint[]>> = {};
      if (Number.isFinite(event.loss)) append.evalLoss = [[event.step, event.loss]];
      if (Number.isFinite(event.accuracy)) append.evalAccuracy = [[event.step, event.accuracy]];
      if (Number.isFinite(event.rewardMargin)) append.evalMargin = [[event.step, event.rewardMargin]];
      return { set: { lastEval: summary, ...(event.best ? { bestEval: summary } : {}) }, append };
    }
    case 'checkpoint':
      return { set: { lastCheckpoint: { step: event.step, reason: event.reason, dir: event.dir } } };
    case 'log':
      return event.level === 'warning' ? { set: { warnings: withWarning(state.warnings, event.message) } } : {};
    case 'done': {
      const bestEval = event.bestEval ? evalSummary(event.bestEval) : state.bestEval;
      const lastEval = event.eval ? evalSummary(event.eval) : state.lastEval;
      const exportModel = state.exportModel;
      const result: TrainRunResult = {
        status: event.status,
        step: event.step,
        modelFile: event.modelFile,
        modelEval: exportModel === 'last' ? lastEval : (bestEval ?? lastEval),
        exportModel,
        bestEval,
        evalLengthBaseline: finiteOrNull(event.evalLengthBaseline) ?? state.evalLengthBaseline,
        resumable: event.status === 'cancelled',
        resumeCommand: event.resumeCommand,
        message: null,
        errorCode: null,
        elapsedSeconds: finiteOrNull(event.elapsedSeconds),
      };
      return {
        set: {
          status: event.status,
          step: event.step,
          phase: null,
          etaSeconds: null,
          lastEval,
          bestEval,
          elapsedSeconds: result.elapsedSeconds ?? state.elapsedSeconds,
          result,
        },
      };
    }
    case 'error':
      return {
        set: {
          status: 'failed',
          phase: null,
          etaSeconds: null,
          result: failure(state, event.message, event.code),
        },
      };
  }
}

/** Cancel was asked for: the process is writing its checkpoint. */
export function patchForCancelRequest(state: TrainDashboardState): TrainDashboardPatch {
  if (!state.live || state.result) return {};
  return { set: { status: 'cancelling', phase: 'Cancelling: writing a checkpoint to resume from…' } };
}

/**
 * The process has ended. After a done or error event that only detaches it; without one, the run
 * crashed (or was killed), and the result says how it ended.
 */
export function patchForExit(state: TrainDashboardState, exit: ProcessExit): TrainDashboardPatch {
  if (state.result) return { set: { live: false } };
  return {
    set: {
      live: false,
      status: 'failed',
      phase: null,
      etaSeconds: null,
      result: failure(state, describeExit(exit), exit.startError !== undefined ? 'start' : 'crash'),
    },
  };
}

/** A replayed run whose events stop without a done or error event. */
export function patchForMissingEnd(state: TrainDashboardState): TrainDashboardPatch {
  if (state.result) return { set: { live: false } };
  return {
    set: {
      live: false,
      status: 'failed',
      phase: null,
      etaSeconds: null,
      result: failure(
        state,
        "The run's metrics end without a final event: it was interrupted, or it is still running in another window.",
        'incomplete',
      ),
    },
  };
}

/** "the training process was killed by SIGKILL", for notifications and the dashboard. */
export function describeExit(exit: ProcessExit): string {
  if (exit.startError !== undefined) return `The training process could not start: ${exit.startError}`;
  let how: string;
  if (exit.killedAfterCancel) {
    how = 'The training process did not stop within the grace period after Cancel and was stopped; the last checkpoint written is kept.';
  } else if (exit.signal) {
    how = `The training process was killed by ${exit.signal} without reporting an error.`;
  } else if (exit.code === 130) {
    how = 'The training process was interrupted before it could report its checkpoint.';
  } else {
    how = `The training process exited with code ${exit.code ?? 'unknown'} without reporting an error.`;
  }
  const last = [...(exit.lastLog ?? [])].reverse().find((line) => line.trim().length > 0);
  return last ? `${how} Its last words: ${last.trim()}` : how;
}

/** Replays events (e.g. a finished run's metrics.jsonl) into a fresh state. */
export function replayEvents(run: RunIdentity, events: Iterable<TrainEvent>, live = false): TrainDashboardState {
  const state = initialDashboardState(run, live);
  for (const event of events) applyEvent(state, event);
  return state;
}

/** Applies one event in place and returns the patch it made (what the host posts to the dashboard). */
export function applyEvent(state: TrainDashboardState, event: TrainEvent): TrainDashboardPatch {
  const patch = patchForEvent(state, event);
  applyTrainPatch(state, patch);
  return patch;
}

function failure(state: TrainDashboardState, message: string, errorCode: string): TrainRunResult {
  return {
    status: 'failed',
    step: state.step,
    modelFile: null,
    modelEval: null,
    exportModel: state.exportModel,
    bestEval: state.bestEval,
    evalLengthBaseline: state.evalLengthBaseline,
    resumable: false,
    resumeCommand: null,
    message,
    errorCode,
    elapsedSeconds: state.elapsedSeconds,
  };
}

/** "built-in 4 layers × 256 (4 heads) · trains all · batch 8 · 1 epoch · max 512 tokens". */
export function describeConfig(c: TrainConfig): string {
  const backbone =
    c.backbone === 'builtin'
      ? `built-in ${c.builtin.nLayers} ${c.builtin.nLayers === 1 ? 'layer' : 'layers'} × ${c.builtin.dModel} (${c.builtin.nHeads} heads)`
      : baseName(c.backbone);
  const trains = c.trainable === 'all' ? 'trains all' : c.trainable === 'head' ? 'trains the head' : `trains the ${c.trainable.replace('-', ' ')} blocks`;
  const epochs = `${c.epochs} ${c.epochs === 1 ? 'epoch' : 'epochs'}`;
  const steps = c.maxSteps > 0 ? ` (at most ${c.maxSteps} steps)` : '';
  return `${backbone} · ${trains} · batch ${c.batchSize} · ${epochs}${steps} · max ${c.maxLength} tokens`;
}

function evalSummary(e: EvalEvent): TrainEvalSummary {
  return { step: e.step, epoch: e.epoch, pairs: e.pairs, loss: e.loss, accuracy: e.accuracy, rewardMargin: e.rewardMargin };
}

function withWarning(warnings: readonly string[], message: string): string[] {
  return [...warnings, message].slice(-MAX_WARNINGS);
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
