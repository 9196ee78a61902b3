/**
 * One training run as the extension sees it: the process (when it is live), every event it reported,
 * and the dashboard state folded from them. Its lifetime is its own — it outlives a closed dashboard, and
 * whoever shows it subscribes to its patches. No `vscode` import: plain-Node tests drive it.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseTrainEvent, type TrainEvent } from '../../core/train/events';
import { applyTrainPatch, type TrainDashboardPatch, type TrainDashboardState } from '../../protocol/train';
import {
  applyEvent,
  initialDashboardState,
  patchForCancelRequest,
  patchForExit,
  patchForMissingEnd,
  replayEvents,
  type ProcessExit,
  type RunIdentity,
} from './dashboardState';
import { TrainProcess, type TrainProcessOptions } from './trainProcess';

export type PatchListener = (patch: TrainDashboardPatch, run: TrainRun) => void;

export interface LaunchOptions extends Omit<TrainProcessOptions, 'onEvent' | 'onLog'> {
  run: RunIdentity;
  /** Each line of the process's log (stderr, and stdout lines that are not events). */
  onLog(line: string): void;
  /** Events of an earlier stretch of this run (a resume): their curves are shown before the new ones. */
  history?: readonly TrainEvent[];
}

let counter = 0;

/** A fresh run id: unique in this extension host, short. */
export function newRunId(): string {
  counter += 1;
  return `${Date.now().toString(36)}-${counter}`;
}

export class TrainRun {
  readonly events: TrainEvent[] = [];
  readonly state: TrainDashboardState;
  /** Resolves when the process has exited (at once for a replayed run), with the final state. */
  readonly finished: Promise<TrainDashboardState>;
  private readonly listeners = new Set<PatchListener>();
  private exitInfo: ProcessExit | undefined;

  private constructor(
    run: RunIdentity,
    private readonly process: TrainProcess | undefined,
    state?: TrainDashboardState,
  ) {
    this.state = state ?? initialDashboardState(run, process !== undefined);
    this.finished = process
      ? process.exited.then((exit) => {
          this.exitInfo = exit;
          this.emit(patchForExit(this.state, exit));
          return this.state;
        })
      : Promise.resolve(this.state);
  }

  /** Starts the training process and follows it. */
  static launch(options: LaunchOptions): TrainRun {
    // Output is read asynchronously, so no event can arrive before the run exists; buffer them anyway.
    const early: TrainEvent[] = [];
    let receive = (event: TrainEvent): void => void early.push(event);
    const proc = TrainProcess.start({
      ...options,
      onEvent: (event) => receive(event),
      onLog: (line) => options.onLog(line),
    });
    const run = new TrainRun(options.run, proc);
    if (options.history) run.preload(options.history);
    receive = (event) => run.receive(event);
    for (const event of early) run.receive(event);
    return run;
  }

  /** A finished run rebuilt from its events (metrics.jsonl), for the dashboard. Nothing is started. */
  static replay(run: RunIdentity, events: readonly TrainEvent[]): TrainRun {
    const state = replayEvents(run, events);
    applyTrainPatch(state, patchForMissingEnd(state));
    const replayed = new TrainRun(run, undefined, state);
    replayed.events.push(...events);
    return replayed;
  }

  get id(): string {
    return this.state.runId;
  }

  get outDir(): string {
    return this.state.outDir;
  }

  get live(): boolean {
    return this.state.live;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** Subscribes to every change; returns the unsubscribe function. */
  onPatch(listener: PatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks the process to write a checkpoint and stop. */
  cancel(): void {
    if (!this.process?.running || this.state.result) return;
    this.emit(patchForCancelRequest(this.state));
    this.process.cancel();
  }

  /** Stops the process at once (shutdown after a cancel that did not end it). */
  kill(): void {
    this.process?.kill();
  }

  private receive(event: TrainEvent): void {
    this.events.push(event);
    this.notify(applyEvent(this.state, event));
  }

  /** Curves of the stretch before a resume: its steps and evaluations (the header comes from the new process). */
  private preload(history: readonly TrainEvent[]): void {
    for (const event of history) if (event.type === 'step' || event.type === 'eval') applyEvent(this.state, event);
    applyTrainPatch(this.state, { set: { status: 'starting' } });
  }

  private emit(patch: TrainDashboardPatch): void {
    applyTrainPatch(this.state, patch);
    this.notify(patch);
  }

  private notify(patch: TrainDashboardPatch): void {
    if (!patch.set && !patch.append) return;
    for (const listener of [...this.listeners]) listener(patch, this);
  }
}

/** The events of a run folder's metrics.jsonl (lines that are not events are skipped). */
export function readRunEvents(outDir: string): TrainEvent[] {
  const text = readFileSync(path.join(outDir, 'metrics.jsonl'), 'utf8');
  const events: TrainEvent[] = [];
  for (const line of text.split('\n')) {
    const event = parseTrainEvent(line);
    if (event) events.push(event);
  }
  return events;
}

/**
 * The stretch of a run a resume continues from: its step and eval events up to the step of the last
 * resumable checkpoint (checkpoints/last; 'best' checkpoints are written elsewhere).
 */
export function historyBeforeResume(events: readonly TrainEvent[]): TrainEvent[] {
  let checkpointStep = -1;
  for (const e of events) if (e.type === 'checkpoint' && e.reason !== 'best') checkpointStep = e.step;
  if (checkpointStep < 0) return [];
  const kept: TrainEvent[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    if ((e.type === 'step' || e.type === 'eval') && e.step <= checkpointStep) {
      // A folder resumed more than once holds the same steps twice: keep each step's first report.
      const key = `${e.type}:${e.step}`;
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(e);
    }
  }
  return kept;
}

/** The data file a run trained on, from its first start event. */
export function dataFileOf(events: readonly TrainEvent[]): string | undefined {
  for (const e of events) if (e.type === 'start') return e.dataFile;
  return undefined;
}
