// Public types of the runtime: what callers choose and what they get back. No onnxruntime types here.

/** Execution providers the runtime knows how to use. */
export type ProviderName = 'cuda' | 'webgpu' | 'cpu';

/** `auto` tries CUDA, then WebGPU, then CPU; a named provider is forced (its failure is an error). */
export type ProviderChoice = 'auto' | ProviderName;

/** How messages name each provider. */
export const PROVIDER_TITLE: { readonly [P in ProviderName]: string } = { cuda: 'CUDA', webgpu: 'WebGPU', cpu: 'CPU' };

/** The order `auto` tries providers in. */
export const AUTO_PROVIDER_ORDER: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

/**
 * Where sessions run.
 * - `process`: a child process. A native crash in onnxruntime kills only that process; the caller gets
 *   a rejected promise. Use it wherever the caller must survive (the VS Code extension host).
 * - `thread`: a worker_thread. The caller's event loop stays free, but a native crash takes the whole
 *   process down. Lower per-call overhead (tensors move by transfer, not through a pipe). Caveat seen
 *   with onnxruntime-node 1.30: ending a worker while a run is in progress in it — worker.terminate() or
 *   process.exit() — aborts the whole process (SIGABRT), so the owner must await dispose() before exiting
 *   and cannot interrupt a run; `process` has neither problem.
 * - `none`: on the caller's thread. Every run blocks the caller's event loop for its whole duration;
 *   for tests, benchmarks and one-shot scripts only — never the extension host.
 */
export type Isolation = 'process' | 'thread' | 'none';

/** One provider tried by the probe: whether a session could be created and run on it, and why not. */
export interface ProviderAttempt {
  readonly provider: ProviderName;
  readonly ok: boolean;
  /** Words a user can act on: why it was skipped or failed (empty when ok). */
  readonly reason: string;
  /** onnxruntime's own error message, verbatim (absent when ok). */
  readonly ortMessage?: string;
  /** Time the attempt took, ms (session creation plus one run of the probe model). */
  readonly ms: number;
}

/** Which execution provider runs, and why each one tried before it was skipped. */
export interface ProviderReport {
  readonly requested: ProviderChoice;
  /** The provider sessions use; undefined only when a forced provider failed. */
  readonly selected: ProviderName | undefined;
  readonly attempts: readonly ProviderAttempt[];
  /** One line per provider, e.g. "CUDA skipped: …", ready to show to a user. */
  readonly summary: string;
  /** `linux/x64`, `darwin/arm64`, … */
  readonly platform: string;
  /** Intra-op threads a session gets by default. */
  readonly threads: number;
}

/** An input or output of a session: its element type (or onnxruntime's name for non-tensors) and shape. */
export interface ValueInfo {
  readonly name: string;
  /** A DType for tensors; anything else (e.g. 'string', 'sequence') cannot be fed or fetched here. */
  readonly dtype: string;
  /** Fixed sizes as numbers, symbolic ones ("batch") as strings; empty for scalars or unknown shape. */
  readonly dims: readonly (number | string)[];
  readonly isTensor: boolean;
}

/** onnxruntime graph optimization levels. 'all' is onnxruntime's default and the fastest. */
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  /** How errors name the model; default: the file's base name, or "model (N bytes)". */
  readonly label?: string;
  /**
   * Default 'all'. Measured here: turning optimization off made a training step ~4x slower. The
   * optimizer rewrites graphs (LayerNorm fusion even at 'basic', FusedMatMul, FastGelu), moving float64
   * numerics at the ~1e-10 level: use 'disabled' only to compare against an unfused reference.
   */
  readonly graphOptimization?: GraphOptimization;
  /**
   * Threads inside one op. Default: the runtime's `threads` (all cores). Graphs with ScatterND or
   * ScatterElements reduction='add' over repeated indices are wrong on several threads in onnxruntime
   * 1.30 CPU (upstream issues 23396, 18048): run those with 1.
   */
  readonly intraOpThreads?: number;
  /** Threads across independent ops; only used with executionMode 'parallel'. */
  readonly interOpThreads?: number;
  /** Default 'sequential'. */
  readonly executionMode?: 'sequential' | 'parallel';
  /**
   * Whether onnxruntime's intra-op threads busy-wait for work between ops (onnxruntime's default: yes).
   * Spinning cuts latency inside one run but steals the cores the caller and the IPC need between runs.
   */
  readonly allowSpinning?: boolean;
  /** Fix symbolic dimensions (e.g. {batch: 8}) so onnxruntime can plan memory for them. */
  readonly freeDimensionOverrides?: Readonly<Record<string, number>>;
  /**
   * Model bytes only: move the buffer to the worker thread instead of copying it (the caller's array
   * is detached afterwards). Ignored for paths and for process isolation (bytes go through a pipe).
   */
  readonly transfer?: boolean;
}

/** What the host reports about a created session. */
export interface SessionInfo {
  readonly sessionId: number;
  readonly label: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** The provider this session runs on. */
  readonly provider: ProviderName;
  /** Set when `auto` had to move this model off the probed provider (e.g. WebGPU could not run it). */
  readonly providerNote?: string;
  /** Milliseconds onnxruntime took to load and optimize the model. */
  readonly createMs: number;
}
