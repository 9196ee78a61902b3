// The messages between a Runtime (caller side) and its SessionHost (worker thread, child process, or the
// caller's own thread). Both sides import this file, so a renamed field is a compile error on both.
// Every request carries an id and gets exactly one reply with the same id — except a request that was
// cancelled before the host started it, which gets none (the caller has already settled it).
import type { WireError } from './errors';
import type { Tensor } from './tensor';
import type { GraphOptimization, ProviderChoice, ProviderReport, SessionInfo } from './types';

export interface InitRequest {
  readonly kind: 'init';
  readonly id: number;
  readonly provider: ProviderChoice;
  /** Default intra-op threads for sessions. */
  readonly threads: number;
  readonly ortLogLevel?: OrtLogLevel;
}

export type OrtLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

export type ModelSource = { readonly kind: 'path'; readonly path: string } | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

export interface WireSessionOptions {
  readonly graphOptimization: GraphOptimization;
  readonly intraOpThreads?: number;
  readonly interOpThreads?: number;
  readonly executionMode?: 'sequential' | 'parallel';
  readonly freeDimensionOverrides?: Readonly<Record<string, number>>;
  readonly allowSpinning?: boolean;
}

export interface CreateSessionRequest {
  readonly kind: 'createSession';
  readonly id: number;
  readonly model: ModelSource;
  readonly label: string;
  readonly options: WireSessionOptions;
}

export interface RunRequest {
  readonly kind: 'run';
  readonly id: number;
  readonly sessionId: number;
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** Outputs to compute; all when absent. */
  readonly fetches?: readonly string[];
}

export interface ReleaseRequest {
  readonly kind: 'release';
  readonly id: number;
  readonly sessionId: number;
}

/** Drop request `target` if it has not started. Gets no reply of its own. */
export interface CancelRequest {
  readonly kind: 'cancel';
  readonly id: number;
  readonly target: number;
}

/** Release every session; the host then exits (worker/process) or goes idle (same thread). */
export interface ShutdownRequest {
  readonly kind: 'shutdown';
  readonly id: number;
}

export type HostRequest = InitRequest | CreateSessionRequest | RunRequest | ReleaseRequest | CancelRequest | ShutdownRequest;

export interface InitResult {
  readonly report: ProviderReport;
  readonly pid: number;
  readonly ortVersion: string;
  /** The native addons onnxruntime-node loaded in the host (absolute paths): which binary really runs. */
  readonly nativeModules: readonly string[];
  /** What the loaded binary was built with (not what can run: see the report for that). */
  readonly backends: ReadonlyArray<{ readonly name: string; readonly bundled: boolean }>;
}

/** The value each request kind replies with. */
export interface ReplyValues {
  init: InitResult;
  createSession: SessionInfo;
  run: Record<string, Tensor>;
  release: null;
  cancel: null;
  shutdown: null;
}

export type HostReply =
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: ReplyValues[HostRequest['kind']] }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: WireError };

/** The first thing a worker thread or child process says, before any request: it loaded and listens. */
export interface HostHello {
  readonly kind: 'hello';
  readonly pid: number;
}

export type HostMessage = HostReply | HostHello;

/** workerData / argv marker that tells runtimeWorker.js it was started by a Runtime. */
export const HOST_MARKER = 'reward-studio-runtime-host';
