/**
 * The training dashboard's protocol: what the dashboard shows about one run, and the messages both ways.
 * The host (src/extension/train/dashboardPanel.ts) and the app (webview/train/main.ts) import this one
 * file, so a renamed field is a compile error on both sides.
 *
 * The state lives in the host: the run manager keeps every event of the run and folds them into a
 * TrainDashboardState (src/extension/train/dashboardState.ts). Handshake: the webview posts `ready` once
 * its listener is installed (again after every reload — the panel does not retain its context when
 * hidden); the host answers with a `snapshot` of the whole state, then posts a `patch` per change. A
 * dashboard closed and reopened mid-run therefore shows the run's whole history.
 *
 * Types, the one function both sides apply patches with, and the host's validator for what the
 * webview sends (a webview message is input).
 */

export type TrainRunStatus =
  /** The process is starting, reading data, training a tokenizer, building the model… */
  | 'starting'
  | 'running'
  /** Cancel was asked for; the process is writing its checkpoint. */
  | 'cancelling'
  | 'completed'
  | 'early-stopped'
  | 'cancelled'
  /** An error event, a crash, or a process that could not start. */
  | 'failed';

/** The curves, each a list of [step, value]. Train series come from step events, eval ones from eval events. */
export const SERIES_NAMES = [
  'trainLoss',
  'evalLoss',
  'trainAccuracy',
  'evalAccuracy',
  'trainMargin',
  'evalMargin',
  'learningRate',
  'gradNorm',
  'tokensPerSecond',
] as const;

export type SeriesName = (typeof SERIES_NAMES)[number];

/** [step, value]; value is finite (non-finite values are dropped by the host and counted in warnings). */
export type SeriesPoint = [number, number];

export type TrainSeries = Record<SeriesName, SeriesPoint[]>;

export interface TrainEvalSummary {
  step: number;
  epoch: number;
  pairs: number;
  loss: number;
  accuracy: number;
  rewardMargin: number;
}

export interface TrainRunResult {
  status: 'completed' | 'early-stopped' | 'cancelled' | 'failed';
  /** The last optimizer step taken. */
  step: number;
  /** reward-model.onnx; null when cancelled or failed. */
  modelFile: string | null;
  /** The evaluation of the parameters reward-model.onnx holds (the best by eval loss, or the last). */
  modelEval: TrainEvalSummary | null;
  /** Which parameters were exported ('best' or 'last'), as the config said. */
  exportModel: 'best' | 'last' | null;
  bestEval: TrainEvalSummary | null;
  evalLengthBaseline: number | null;
  /** A cancelled run left checkpoints/last: Resume continues it. */
  resumable: boolean;
  /** What to type to continue in a terminal (cancelled runs). */
  resumeCommand: string | null;
  /** Why it failed: the error event's message, or how the process ended. */
  message: string | null;
  /** The error event's code ('config', 'data', …), 'crash' for a process that died without one. */
  errorCode: string | null;
  elapsedSeconds: number | null;
}

export interface TrainDashboardState {
  /** Identifies the run: a patch for another run is ignored. */
  runId: string;
  /** Absolute paths. */
  dataFile: string;
  dataFileName: string;
  outDir: string;
  status: TrainRunStatus;
  /** A training process is attached: Cancel works. False for a finished or replayed run. */
  live: boolean;
  /** What the process is doing before (and after) the steps: "Tokenizing 2,000 pairs…". */
  phase: string | null;
  /** Execution provider in use ('cpu', 'cuda', 'webgpu') and why. */
  provider: string | null;
  providerNote: string | null;
  pairs: { train: number; eval: number } | null;
  parameters: { total: number; trainable: number } | null;
  truncation: { cut: number; dropped: number } | null;
  learningRate: number | null;
  resumedFromStep: number | null;
  /** Length-only baseline on the eval pairs: the accuracy a reward model must beat. */
  evalLengthBaseline: number | null;
  /** Which parameters reward-model.onnx will hold: the best by eval loss, or the last. */
  exportModel: 'best' | 'last' | null;
  /** The model and schedule in one line: "built-in 4 layers × 256 (4 heads) · batch 8 · 1 epoch · …". */
  configSummary: string | null;
  step: number;
  totalSteps: number | null;
  epoch: number | null;
  etaSeconds: number | null;
  tokensPerSecond: number | null;
  pairsPerSecond: number | null;
  elapsedSeconds: number | null;
  lastEval: TrainEvalSummary | null;
  bestEval: TrainEvalSummary | null;
  lastCheckpoint: { step: number; reason: string; dir: string } | null;
  /** Warnings the run logged (the latest ones; the log has all). */
  warnings: string[];
  /** Set when the run has ended. */
  result: TrainRunResult | null;
  series: TrainSeries;
}

/** A change to the state: fields replaced, points appended to series. */
export interface TrainDashboardPatch {
  set?: Partial<Omit<TrainDashboardState, 'series' | 'runId'>>;
  append?: Partial<TrainSeries>;
}

/** Host → webview. `state: null`: no run to show yet. */
export type TrainHostMessage =
  | { type: 'snapshot'; state: TrainDashboardState | null }
  | { type: 'patch'; runId: string; patch: TrainDashboardPatch };

/** What the webview may ask the host to open; the host maps it to the run's own paths. */
export const OPEN_TARGETS = ['model', 'log', 'outDir', 'dataFile'] as const;
export type OpenTarget = (typeof OPEN_TARGETS)[number];

/** Webview → host. Requests name the run they are about, so a stale dashboard cannot act on another. */
export type TrainWebviewMessage =
  | { type: 'ready' }
  | { type: 'cancel'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'open'; runId: string; target: OpenTarget };

export type TrainWebviewMessageType = TrainWebviewMessage['type'];

/** Every series empty. */
export function emptySeries(): TrainSeries {
  const series = {} as TrainSeries;
  for (const name of SERIES_NAMES) series[name] = [];
  return series;
}

/**
 * Applies a patch in place and returns the state. The host applies each patch to its own state as it
 * sends it, so a webview holding snapshot + patches holds exactly the host's state.
 */
export function applyTrainPatch(state: TrainDashboardState, patch: TrainDashboardPatch): TrainDashboardState {
  if (patch.set) Object.assign(state, patch.set);
  if (patch.append) {
    for (const name of SERIES_NAMES) {
      const points = patch.append[name];
      if (points && points.length > 0) state.series[name].push(...points);
    }
  }
  return state;
}

/** Merges `next` into `into` (later fields win, appends concatenate): several patches sent as one. */
export function mergeTrainPatches(into: TrainDashboardPatch, next: TrainDashboardPatch): TrainDashboardPatch {
  if (next.set) into.set = { ...into.set, ...next.set };
  if (next.append) {
    into.append ??= {};
    for (const name of SERIES_NAMES) {
      const points = next.append[name];
      if (points && points.length > 0) into.append[name] = [...(into.append[name] ?? []), ...points];
    }
  }
  return into;
}

/** Longest run id the host accepts (ids are short; anything longer is not one of ours). */
const MAX_RUN_ID_LENGTH = 200;

/**
 * Checks a message from the webview and returns a fresh copy holding only the known fields, or
 * undefined when it is not a well-formed TrainWebviewMessage.
 */
export function parseTrainWebviewMessage(value: unknown): TrainWebviewMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as { [key: string]: unknown };
  const runId = (): string | undefined =>
    typeof m.runId === 'string' && m.runId.length > 0 && m.runId.length <= MAX_RUN_ID_LENGTH ? m.runId : undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'cancel':
    case 'resume': {
      const id = runId();
      return id === undefined ? undefined : { type: m.type, runId: id };
    }
    case 'open': {
      const id = runId();
      const target = m.target;
      if (id === undefined || !(OPEN_TARGETS as readonly unknown[]).includes(target)) return undefined;
      return { type: 'open', runId: id, target: target as OpenTarget };
    }
    default:
      return undefined;
  }
}
