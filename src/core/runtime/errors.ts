// Errors of the runtime. Each says what failed in words, with context (which session, which feeds), and
// keeps onnxruntime's own message verbatim in `ortMessage`. They cross the thread/process boundary as
// plain objects (WireError) and are rebuilt as the same class on the caller's side.
import type { ProviderName, ProviderReport } from './types';

export type RuntimeErrorCode =
  | 'provider-unavailable'
  | 'session-create'
  | 'feed'
  | 'run'
  | 'crashed'
  | 'cancelled'
  | 'disposed'
  | 'start';

export class RuntimeError extends Error {
  override name = 'RuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    /** onnxruntime's message, verbatim, when it produced the failure. */
    readonly ortMessage?: string,
  ) {
    super(message);
  }
}

/** A forced provider (or, under `auto`, every provider) could not create and run a session. */
export class ProviderUnavailableError extends RuntimeError {
  override name = 'ProviderUnavailableError';
  constructor(
    message: string,
    readonly report: ProviderReport,
  ) {
    super('provider-unavailable', message);
  }
}

/** onnxruntime rejected the model (invalid file, unsupported op, provider failure for this model). */
export class SessionCreateError extends RuntimeError {
  override name = 'SessionCreateError';
  constructor(
    message: string,
    readonly label: string,
    readonly provider: ProviderName | undefined,
    ortMessage?: string,
  ) {
    super('session-create', message, ortMessage);
  }
}

/** A feed is missing, unknown, of the wrong type or shape. Checked before anything is sent to onnxruntime. */
export class FeedError extends RuntimeError {
  override name = 'FeedError';
  constructor(
    message: string,
    readonly inputName: string,
  ) {
    super('feed', message);
  }
}

/** onnxruntime failed while running a session; the message names the session and what was fed. */
export class SessionRunError extends RuntimeError {
  override name = 'SessionRunError';
  constructor(
    message: string,
    readonly sessionId: number,
    readonly label: string,
    ortMessage?: string,
  ) {
    super('run', message, ortMessage);
  }
}

/** The worker thread or process running the sessions died; every pending request gets this. */
export class RuntimeCrashedError extends RuntimeError {
  override name = 'RuntimeCrashedError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    /** The last lines the process wrote to stderr (process isolation), for the crash report. */
    readonly stderrTail: string,
  ) {
    super('crashed', message);
  }
}

/** The caller aborted the request (AbortSignal). */
export class RunCancelledError extends RuntimeError {
  override name = 'RunCancelledError';
  constructor(message: string) {
    super('cancelled', message);
  }
}

/** The runtime or session was disposed/released before or while the request ran. */
export class RuntimeDisposedError extends RuntimeError {
  override name = 'RuntimeDisposedError';
  constructor(message: string) {
    super('disposed', message);
  }
}

/** A plain-object error that survives postMessage / IPC. */
export interface WireError {
  readonly name: string;
  readonly code: RuntimeErrorCode | 'internal';
  readonly message: string;
  readonly ortMessage?: string;
  readonly inputName?: string;
  readonly sessionId?: number;
  readonly label?: string;
  readonly provider?: ProviderName;
  readonly report?: ProviderReport;
  readonly stack?: string;
}

export function toWire(e: unknown): WireError {
  if (e instanceof RuntimeError) {
    const w: WireError = { name: e.name, code: e.code, message: e.message, ortMessage: e.ortMessage };
    if (e instanceof ProviderUnavailableError) return { ...w, report: e.report };
    if (e instanceof SessionCreateError) return { ...w, label: e.label, provider: e.provider };
    if (e instanceof FeedError) return { ...w, inputName: e.inputName };
    if (e instanceof SessionRunError) return { ...w, sessionId: e.sessionId, label: e.label };
    return w;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, code: 'internal', message: err.message, stack: err.stack };
}

export function fromWire(w: WireError): Error {
  switch (w.code) {
    case 'provider-unavailable':
      if (w.report) return new ProviderUnavailableError(w.message, w.report);
      break;
    case 'session-create':
      return new SessionCreateError(w.message, w.label ?? '', w.provider, w.ortMessage);
    case 'feed':
      return new FeedError(w.message, w.inputName ?? '');
    case 'run':
      return new SessionRunError(w.message, w.sessionId ?? -1, w.label ?? '', w.ortMessage);
    case 'cancelled':
      return new RunCancelledError(w.message);
    case 'disposed':
      return new RuntimeDisposedError(w.message);
    default:
      break;
  }
  if (w.code === 'internal') {
    const e = new Error(`runtime host: ${w.message}`);
    if (w.stack) e.stack = `${e.message}\n--- in the runtime host ---\n${w.stack}`;
    return e;
  }
  return new RuntimeError(w.code, w.message, w.ortMessage);
}
