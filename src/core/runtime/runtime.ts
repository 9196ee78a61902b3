// The caller's side of the runtime: start a host (child process, worker thread, or the caller's thread),
// probe execution providers there, create sessions and run them through a typed request/response
// protocol. This file never loads onnxruntime-node itself; only the host does.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve as resolvePath } from 'node:path';
import { startInlineChannel, startProcessChannel, startThreadChannel, type ExitInfo, type HostChannel } from './channel';
import {
  FeedError,
  ProviderUnavailableError,
  RunCancelledError,
  RuntimeCrashedError,
  RuntimeDisposedError,
  RuntimeError,
  fromWire,
} from './errors';
import type { HostMessage, HostRequest, ModelSource, OrtLogLevel, ReplyValues } from './protocol';
import { arrayNameOf, describeTensor, elementCount, tensorProblem, type Tensor } from './tensor';
import { PROVIDER_TITLE } from './types';
import type { Isolation, ProviderChoice, ProviderName, ProviderReport, SessionInfo, SessionOptions, ValueInfo } from './types';

export interface RuntimeOptions {
  /** Default 'auto': CUDA, then WebGPU, then CPU, each tried by creating and running a probe session. */
  readonly provider?: ProviderChoice;
  /** Default 'process' (crash isolation; what the extension host needs). See Isolation. */
  readonly isolation?: Isolation;
  /** Default intra-op threads of every session: all cores (os.availableParallelism()). */
  readonly threads?: number;
  /**
   * The host entry script for 'thread' and 'process'. Default: runtimeWorker.js next to this module —
   * out/src/core/runtime/ under tsc, dist/ in the esbuild bundles.
   */
  readonly workerScript?: string;
  /** 'process': the executable to run the host with. Default process.execPath (Electron runs it as Node). */
  readonly execPath?: string;
  /** 'process' and 'thread': Node flags for the host. Default none (not the caller's, e.g. --inspect). */
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** 'process': where the host's stderr/stdout text goes (onnxruntime's log). Default: this process's stderr. */
  readonly onLog?: (text: string) => void;
  /** onnxruntime's log level in the host; default onnxruntime's ('warning'). */
  readonly ortLogLevel?: OrtLogLevel;
  /** How long the host may take to start and probe providers; default 60 s. */
  readonly startTimeoutMs?: number;
}

export interface RunOptions {
  /**
   * Abort: the promise rejects with RunCancelledError at once and a run not yet started is dropped. A run
   * already started keeps the host busy until it ends; to stop one now, Runtime.kill() (process isolation).
   */
  readonly signal?: AbortSignal;
  /**
   * 'thread' isolation: move the feeds' buffers to the worker instead of copying them; the caller's arrays
   * are detached afterwards. Only whole-buffer arrays are moved. Ignored by 'process' (a pipe copies) and
   * 'none' (nothing is copied).
   */
  readonly transfer?: boolean;
  /** Outputs to compute; default all. */
  readonly fetches?: readonly string[];
}

/** How the runtime's host ended. */
export interface RuntimeExit {
  /** True when dispose()/kill() ended it; false for a crash. */
  readonly expected: boolean;
  readonly code: number | null;
  readonly signal: string | null;
  /** The crash, when unexpected. */
  readonly error?: RuntimeCrashedError;
}

interface Pending {
  readonly what: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const ISOLATION_WORDS: { readonly [I in Isolation]: string } = {
  process: 'runtime process',
  thread: 'runtime worker thread',
  none: 'in-thread runtime',
};

/** Where runtimeWorker.js is by default: next to this module (tsc layout and esbuild bundle alike). */
export function defaultWorkerScript(): string {
  return join(__dirname, 'runtimeWorker.js');
}

/** A model's name in messages: the file's base name, or "model (N bytes)". */
export function defaultLabel(model: string | Uint8Array): string {
  return typeof model === 'string' ? basename(model) : `model (${model.byteLength} bytes)`;
}

function timeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class Runtime {
  /** Which provider sessions run on, and why every provider tried before it was skipped. */
  readonly providerReport: ProviderReport;
  readonly isolation: Isolation;
  /** onnxruntime-node's version in the host. */
  readonly ortVersion: string;
  /** The native addons onnxruntime-node loaded in the host. */
  readonly nativeModules: readonly string[];
  /** What the host's onnxruntime binary was built with. */
  readonly backends: ReadonlyArray<{ readonly name: string; readonly bundled: boolean }>;
  /** Resolves when the host ends, by dispose()/kill() or by a crash. */
  readonly exited: Promise<RuntimeExit>;

  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private ending: 'dispose' | 'kill' | undefined;
  private deadError: Error | undefined;
  private disposal: Promise<void> | undefined;

  private constructor(
    private readonly channel: HostChannel,
    isolation: Isolation,
    init: ReplyValues['init'],
  ) {
    this.isolation = isolation;
    this.providerReport = init.report;
    this.ortVersion = init.ortVersion;
    this.nativeModules = init.nativeModules;
    this.backends = init.backends;
    this.exited = channel.exited.then((x) => this.onExit(x));
  }

  /**
   * Starts a host, probes execution providers in it and resolves when sessions can be created. Rejects
   * with ProviderUnavailableError (carrying the report) when a forced provider — or every provider —
   * fails, with RuntimeError('start') when the host does not start.
   */
  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const provider = options.provider ?? 'auto';
    const isolation = options.isolation ?? 'process';
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (!['auto', 'cuda', 'webgpu', 'cpu'].includes(provider)) {
      throw new RangeError(`provider must be 'auto', 'cuda', 'webgpu' or 'cpu', got '${String(provider)}'`);
    }
    const startMs = options.startTimeoutMs ?? 60_000;

    // Replies are routed to the Runtime once it exists; the host sends none before the first request.
    let route: (m: HostMessage) => void = () => undefined;
    const onMessage = (m: HostMessage): void => route(m);
    let channelPromise: Promise<HostChannel>;
    if (isolation === 'none') {
      channelPromise = startInlineChannel(onMessage);
    } else if (isolation === 'thread' || isolation === 'process') {
      const script = options.workerScript ?? defaultWorkerScript();
      if (!existsSync(script)) {
        throw new RuntimeError(
          'start',
          `The runtime host script is missing: ${script}. Build it (esbuild entry runtimeWorker: ` +
            `'src/core/runtime/runtimeWorker.ts', next to the bundle that imports the runtime) or pass workerScript.`,
        );
      }
      const channelOptions = { script, execPath: options.execPath, execArgv: options.execArgv, env: options.env, onLog: options.onLog };
      channelPromise = isolation === 'thread' ? startThreadChannel(channelOptions, onMessage) : startProcessChannel(channelOptions, onMessage);
    } else {
      throw new RangeError(`isolation must be 'process', 'thread' or 'none', got '${String(isolation)}'`);
    }
    const startError = (what: string) => () => new RuntimeError('start', `The ${ISOLATION_WORDS[isolation]} did not ${what} within ${startMs} ms.`);
    let channel: HostChannel;
    try {
      channel = await timeout(channelPromise, startMs, startError('start'));
    } catch (e) {
      void channelPromise.then((c) => c.kill(), () => undefined);
      if (e instanceof RuntimeError) throw e;
      throw new RuntimeError('start', `Could not start the ${ISOLATION_WORDS[isolation]}: ${e instanceof Error ? e.message : String(e)}`);
    }

    // Until the Runtime exists, a bare request/response loop for init.
    const early = new Map<number, Pending>();
    route = (m) => {
      if (m.kind !== 'reply') return;
      const p = early.get(m.id);
      early.delete(m.id);
      if (p) {
        if (m.ok) p.resolve(m.value);
        else p.reject(fromWire(m.error));
      }
    };
    const initPromise = new Promise<ReplyValues['init']>((resolve, reject) => {
      early.set(0, { what: 'init', resolve: resolve as (v: unknown) => void, reject });
      channel.post({ kind: 'init', id: 0, provider, threads, ortLogLevel: options.ortLogLevel }, []);
    });
    const diedEarly = channel.exited.then((x) => {
      throw new RuntimeError(
        'start',
        `The ${ISOLATION_WORDS[isolation]} ended while probing execution providers (${describeExit(x)})` +
          (channel.stderrTail() ? `; its stderr:\n${channel.stderrTail()}` : ''),
      );
    });
    let init: ReplyValues['init'];
    try {
      init = await timeout(Promise.race([initPromise, diedEarly]), startMs, startError('probe execution providers'));
    } catch (e) {
      // A thread still probing must not be terminated (see kill); it leaves once the probe returns.
      if (isolation === 'thread') channel.post({ kind: 'shutdown', id: -1 }, []);
      else channel.kill();
      throw e;
    }
    void diedEarly.catch(() => undefined);

    const rt = new Runtime(channel, isolation, init);
    route = (m) => rt.onMessage(m);

    if (!init.report.selected) {
      await rt.dispose();
      const failed = init.report.attempts.filter((a) => !a.ok);
      throw new ProviderUnavailableError(
        provider === 'auto'
          ? `No execution provider works here:\n${failed.map((a) => `${PROVIDER_TITLE[a.provider]}: ${a.reason}.`).join('\n')}`
          : `The ${PROVIDER_TITLE[provider]} execution provider was forced and is unavailable: ${failed[0]?.reason ?? 'unknown reason'}. ` +
            `(Provider 'auto' would fall back to the next provider that works.)`,
        init.report,
      );
    }
    return rt;
  }

  /** The provider sessions run on. */
  get provider(): ProviderName {
    return this.providerReport.selected as ProviderName;
  }

  /** The host's process id: the child's for 'process', this process's otherwise. */
  get pid(): number {
    return this.channel.pid;
  }

  /** False once disposed, killed or crashed. */
  get running(): boolean {
    return this.deadError === undefined && this.ending === undefined;
  }

  /** Loads a model (a file path, or its bytes) into a session in the host. */
  async createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<RuntimeSession> {
    const label = options.label ?? defaultLabel(model);
    let source: ModelSource;
    const transfer: ArrayBuffer[] = [];
    if (typeof model === 'string') {
      source = { kind: 'path', path: resolvePath(model) };
    } else if (model instanceof Uint8Array) {
      source = { kind: 'bytes', bytes: model };
      if (options.transfer && this.isolation === 'thread') transfer.push(...wholeBuffers([model]));
    } else {
      throw new TypeError('createSession: model must be a file path or a Uint8Array of ONNX bytes');
    }
    const info = await this.request<'createSession'>(
      {
        kind: 'createSession',
        id: this.nextId++,
        model: source,
        label,
        options: {
          graphOptimization: options.graphOptimization ?? 'all',
          intraOpThreads: options.intraOpThreads,
          interOpThreads: options.interOpThreads,
          executionMode: options.executionMode,
          freeDimensionOverrides: options.freeDimensionOverrides,
          allowSpinning: options.allowSpinning,
        },
      },
      `loading model '${label}'`,
      transfer,
    );
    return new RuntimeSession(this, info);
  }

  /**
   * Releases every session and stops the host. Requests already sent finish first; requests made after
   * this call reject with RuntimeDisposedError. A process host still busy 10 s later is killed; a thread
   * host is waited for (see kill). Idempotent.
   */
  dispose(): Promise<void> {
    if (this.disposal) return this.disposal;
    if (this.deadError) return (this.disposal = Promise.resolve());
    this.ending = 'dispose';
    const id = this.nextId++;
    const done = new Promise<void>((resolve) => {
      this.pending.set(id, { what: 'shutdown', resolve: () => resolve(), reject: () => resolve() });
    });
    this.channel.post({ kind: 'shutdown', id }, []);
    this.disposal = (async () => {
      if (this.isolation === 'thread') {
        // No timeout for a thread: terminating it during a run would abort the whole process (see kill).
        await done;
        const gone = await timeout(this.channel.exited, 200, () => new Error('exit timeout')).catch(() => undefined);
        if (!gone) this.channel.kill();
        await this.channel.exited;
      } else if (this.isolation === 'process') {
        await timeout(done, 10_000, () => new Error('shutdown timeout')).catch(() => undefined);
        const gone = await timeout(this.channel.exited, 5_000, () => new Error('exit timeout')).catch(() => undefined);
        if (!gone) this.channel.kill();
        await this.channel.exited;
      } else {
        await done;
      }
    })();
    return this.disposal;
  }

  /**
   * Stops the host now; pending requests reject at once with RuntimeDisposedError. 'process' kills the
   * child (SIGKILL), interrupting a run. 'thread' and 'none' drop queued requests and stop once the
   * current run has returned. For 'thread' that is a necessity: terminating a worker thread while
   * onnxruntime runs in it aborts the whole process (a Napi::Error thrown as the run returns into the
   * dying thread — seen with onnxruntime-node 1.30), so a run in progress cannot be interrupted there.
   */
  kill(): void {
    if (this.deadError || this.ending === 'kill') return;
    this.ending = 'kill';
    this.deadError = this.endedError();
    const requests: number[] = [];
    for (const [id, p] of [...this.pending]) {
      // A shutdown already sent by dispose() stays pending: it settles when the host answers or exits.
      if (p.what === 'shutdown') continue;
      this.pending.delete(id);
      requests.push(id);
      p.reject(this.endedError(p.what));
    }
    if (this.isolation === 'process') this.channel.kill();
    else this.stopWhenIdle(requests);
  }

  /** Cancels `queued`, asks the host to shut down, and stops it once the host answers (so it is idle). */
  private stopWhenIdle(queued: readonly number[]): void {
    for (const target of queued) this.channel.post({ kind: 'cancel', id: this.nextId++, target }, []);
    const id = this.nextId++;
    const terminate = (): void => this.channel.kill();
    this.pending.set(id, { what: 'shutdown', resolve: terminate, reject: terminate });
    this.channel.post({ kind: 'shutdown', id }, []);
  }

  // ----- internal: used by RuntimeSession -----

  /** @internal */
  request<K extends keyof ReplyValues>(req: HostRequest & { kind: K }, what: string, transfer: readonly ArrayBuffer[] = [], signal?: AbortSignal): Promise<ReplyValues[K]> {
    if (this.deadError) return Promise.reject(this.deadError);
    if (this.ending) return Promise.reject(new RuntimeDisposedError(`The runtime was ${this.ending === 'kill' ? 'killed' : 'disposed'}; cannot start ${what}.`));
    if (signal?.aborted) return Promise.reject(new RunCancelledError(`Cancelled before it started: ${what}.`));
    return new Promise<ReplyValues[K]>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const settle = (): void => {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(req.id, {
        what,
        resolve: (v) => {
          settle();
          resolve(v as ReplyValues[K]);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      if (signal) {
        onAbort = () => {
          if (!this.pending.delete(req.id)) return;
          settle();
          reject(new RunCancelledError(`Cancelled: ${what}.`));
          if (!this.deadError) this.channel.post({ kind: 'cancel', id: this.nextId++, target: req.id }, []);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      try {
        this.channel.post(req, transfer);
      } catch (e) {
        this.pending.delete(req.id);
        settle();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** @internal */
  newRequestId(): number {
    return this.nextId++;
  }

  private onMessage(m: HostMessage): void {
    if (m.kind !== 'reply') return;
    const p = this.pending.get(m.id);
    if (!p) return; // cancelled by the caller, or a reply after a kill
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(fromWire(m.error));
  }

  private onExit(x: ExitInfo): RuntimeExit {
    const expected = this.ending !== undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    if (expected) {
      this.deadError ??= this.endedError();
      for (const p of pending) {
        if (p.what === 'shutdown') p.resolve(null);
        else p.reject(this.endedError(p.what));
      }
      return { expected, code: x.code, signal: x.signal };
    }
    const tail = this.channel.stderrTail().trim();
    const who = `The ${ISOLATION_WORDS[this.isolation]}${this.isolation === 'process' ? ` (pid ${this.channel.pid})` : ''}`;
    const cause =
      x.signal === 'SIGKILL'
        ? ' (kill -9, the out-of-memory killer, or a forced stop)'
        : x.signal === 'SIGSEGV' || x.signal === 'SIGABRT' || x.signal === 'SIGBUS' || x.signal === 'SIGILL'
          ? ' (a native crash in onnxruntime)'
          : '';
    const stderr = tail ? `\nIts last stderr output:\n${tail.split('\n').slice(-15).join('\n')}` : '';
    const crashed = (during?: string): RuntimeCrashedError =>
      new RuntimeCrashedError(
        `${who} ${describeExit(x)}${cause}${during ? ` during ${during}` : ''}. Start a new Runtime to continue.${stderr}`,
        x.code,
        x.signal,
        tail,
      );
    const crash = crashed();
    this.deadError = crash;
    for (const p of pending) p.reject(crashed(p.what));
    return { expected, code: x.code, signal: x.signal, error: crash };
  }

  private endedError(during?: string): RuntimeDisposedError {
    const how = this.ending === 'kill' ? 'killed' : 'disposed';
    return new RuntimeDisposedError(during ? `The runtime was ${how} during ${during}.` : `The runtime was ${how}.`);
  }
}

function describeExit(x: ExitInfo): string {
  if (x.signal) return `was killed by ${x.signal}`;
  if (x.error) return `failed: ${x.error.message}`;
  return `exited with code ${x.code}`;
}

function wholeBuffers(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  }
  return [...out];
}

function describeInputs(values: readonly ValueInfo[]): string {
  return values.map((v) => `${v.name}: ${describeTensor(v)}`).join(', ');
}

/** Levenshtein distance, for "did you mean" on misspelt input names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/**
 * Checks feeds against the session's inputs before anything is sent: every input present, no unknown
 * names (onnxruntime silently ignores those), the right element type and typed array, the declared rank
 * and fixed sizes, and data length matching dims. Throws FeedError naming the input.
 */
export function checkFeeds(info: SessionInfo, feeds: Readonly<Record<string, Tensor>>, fetches?: readonly string[]): void {
  const where = `session ${info.sessionId} ('${info.label}')`;
  const expected = `its inputs are ${describeInputs(info.inputs)}`;
  if (feeds === null || typeof feeds !== 'object') {
    throw new FeedError(`Feeds for ${where} must be an object of tensors by input name; ${expected}.`, '');
  }
  const byName = new Map(info.inputs.map((v) => [v.name, v]));
  for (const name of Object.keys(feeds)) {
    if (byName.has(name)) continue;
    const close = info.inputs.map((v) => v.name).filter((n) => distance(n, name) <= Math.max(2, Math.floor(n.length / 4)));
    throw new FeedError(
      `Input '${name}' fed to ${where} is not an input of the model${close.length ? ` (did you mean '${close[0]}'?)` : ''}; ${expected}.`,
      name,
    );
  }
  for (const input of info.inputs) {
    const t = feeds[input.name];
    if (t === undefined) {
      throw new FeedError(`Input '${input.name}' (${describeTensor(input)}) is missing from the feeds of ${where}; ${expected}.`, input.name);
    }
    const problem = tensorProblem(t);
    if (problem) throw new FeedError(`Input '${input.name}' of ${where}: ${problem}.`, input.name);
    if (input.isTensor && t.dtype !== input.dtype) {
      throw new FeedError(
        `Input '${input.name}' of ${where} is ${t.dtype} but the model expects ${input.dtype} (${describeTensor(input)})` +
          (/int/.test(input.dtype) ? `; ${input.dtype} data goes in a ${arrayNameOf(input.dtype as 'int64')}` : '') +
          '.',
        input.name,
      );
    }
    if (input.dims.length > 0 || t.dims.length === 0) {
      const rankKnown = input.dims.length > 0;
      if (rankKnown && t.dims.length !== input.dims.length) {
        throw new FeedError(
          `Input '${input.name}' of ${where} has shape [${t.dims.join(',')}] (rank ${t.dims.length}) but the model expects rank ${input.dims.length}: ${describeTensor(input)}.`,
          input.name,
        );
      }
      input.dims.forEach((d, i) => {
        if (typeof d === 'number' && d !== t.dims[i]) {
          throw new FeedError(
            `Input '${input.name}' of ${where} has size ${t.dims[i]} in dimension ${i} but the model fixes it at ${d}: got [${t.dims.join(',')}], expected ${describeTensor(input)}.`,
            input.name,
          );
        }
      });
    }
    if (t.data.length !== elementCount(t.dims)) {
      throw new FeedError(`Input '${input.name}' of ${where}: dims [${t.dims.join(',')}] do not match data length ${t.data.length}.`, input.name);
    }
  }
  if (fetches) {
    const outs = new Set(info.outputs.map((v) => v.name));
    for (const f of fetches) {
      if (!outs.has(f)) {
        throw new FeedError(`Output '${f}' asked of ${where} is not an output of the model; its outputs are ${[...outs].join(', ')}.`, f);
      }
    }
  }
}

/** A model loaded in the runtime's host. */
export class RuntimeSession {
  private released = false;

  /** @internal — made by Runtime.createSession. */
  constructor(
    private readonly runtime: Runtime,
    readonly info: SessionInfo,
  ) {}

  get id(): number {
    return this.info.sessionId;
  }
  get label(): string {
    return this.info.label;
  }
  get inputs(): readonly ValueInfo[] {
    return this.info.inputs;
  }
  get outputs(): readonly ValueInfo[] {
    return this.info.outputs;
  }
  get inputNames(): string[] {
    return this.info.inputs.map((v) => v.name);
  }
  get outputNames(): string[] {
    return this.info.outputs.map((v) => v.name);
  }
  get provider(): ProviderName {
    return this.info.provider;
  }

  /** Runs the model. Outputs come back as plain tensors (int64 as BigInt64Array, float16 as raw bits). */
  async run(feeds: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.released) throw new RuntimeDisposedError(`Session ${this.id} ('${this.label}') was released.`);
    checkFeeds(this.info, feeds, options.fetches);
    const fed = Object.entries(feeds)
      .map(([n, t]) => `${n}: ${describeTensor(t)}`)
      .join(', ');
    const transfer = options.transfer && this.runtime.isolation === 'thread' ? wholeBuffers(Object.values(feeds).map((t) => t.data)) : [];
    return this.runtime.request<'run'>(
      { kind: 'run', id: this.runtime.newRequestId(), sessionId: this.id, feeds: { ...feeds }, fetches: options.fetches ? [...options.fetches] : undefined },
      `run of session ${this.id} ('${this.label}') with ${fed}`,
      transfer,
      options.signal,
    );
  }

  /** Frees the session in the host. Idempotent; later runs reject. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (!this.runtime.running) return;
    await this.runtime.request<'release'>({ kind: 'release', id: this.runtime.newRequestId(), sessionId: this.id }, `release of session ${this.id}`);
  }
}
