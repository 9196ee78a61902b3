// The side that owns onnxruntime InferenceSessions: it runs inside a worker thread, a child process, or
// (isolation 'none') on the caller's thread. Requests are handled one at a time in arrival order —
// onnxruntime-node's run blocks the thread it is called on, so nothing could overlap anyway — and a
// cancel that arrives while a request is queued drops it before it starts.
import * as ort from 'onnxruntime-node';
import { SessionCreateError, SessionRunError, toWire } from './errors';
import type { CreateSessionRequest, HostReply, HostRequest, InitResult, ReplyValues, RunRequest } from './protocol';
import { explainFailure, gatherFacts, probeProviders, providerTitle, sessionProviders } from './providers';
import { describeTensor, isDType, type Tensor } from './tensor';
import { AUTO_PROVIDER_ORDER } from './types';
import type { ProviderName, ProviderReport, SessionInfo, ValueInfo } from './types';

interface HostedSession {
  readonly session: ort.InferenceSession;
  readonly info: SessionInfo;
}

export type ReplySink = (reply: HostReply, transfer: ArrayBuffer[]) => void;

/** How outputs leave the host: moved to another thread, copied through a pipe, or handed over as they are. */
export type HostMode = 'thread' | 'process' | 'inline';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function valueInfos(meta: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, dtype: m.type, dims: [...m.shape], isTensor: true }
      : { name: m.name, dtype: 'non-tensor', dims: [], isTensor: false },
  );
}

export class SessionHost {
  private readonly queue: HostRequest[] = [];
  private readonly sessions = new Map<number, HostedSession>();
  private nextSessionId = 1;
  private report: ProviderReport | undefined;
  private threads = 1;
  private pumping = false;
  private closed = false;

  constructor(
    private readonly reply: ReplySink,
    private readonly mode: HostMode,
    /** Called once after the shutdown reply went out. */
    private readonly onShutdown: () => void = () => undefined,
  ) {}

  receive(req: HostRequest): void {
    if (this.closed) return;
    if (req.kind === 'cancel') {
      // Only a request still queued can be dropped; one already running (or done) is left alone.
      const i = this.queue.findIndex((r) => r.id === req.target);
      if (i >= 0) this.queue.splice(i, 1);
      return;
    }
    this.queue.push(req);
    this.schedule();
  }

  private schedule(): void {
    if (this.pumping || this.queue.length === 0) return;
    this.pumping = true;
    // setImmediate, not a microtask: messages that arrived while the last run blocked the thread (cancels
    // among them) are delivered before the next request starts.
    setImmediate(() => void this.pumpOne());
  }

  private async pumpOne(): Promise<void> {
    const req = this.queue.shift();
    try {
      if (req) await this.handle(req);
    } finally {
      this.pumping = false;
      this.schedule();
    }
  }

  private send<K extends keyof ReplyValues>(id: number, value: ReplyValues[K], transfer: ArrayBuffer[] = []): void {
    this.reply({ kind: 'reply', id, ok: true, value }, transfer);
  }

  private async handle(req: HostRequest): Promise<void> {
    try {
      switch (req.kind) {
        case 'init':
          this.send<'init'>(req.id, await this.init(req.provider, req.threads, req.ortLogLevel));
          return;
        case 'createSession':
          this.send<'createSession'>(req.id, await this.createSession(req));
          return;
        case 'run': {
          const outputs = await this.run(req);
          this.send<'run'>(req.id, outputs, this.mode === 'thread' ? transferables(outputs) : []);
          return;
        }
        case 'release': {
          const s = this.sessions.get(req.sessionId);
          this.sessions.delete(req.sessionId);
          await s?.session.release();
          this.send<'release'>(req.id, null);
          return;
        }
        case 'shutdown': {
          this.closed = true;
          const all = [...this.sessions.values()];
          this.sessions.clear();
          for (const s of all) await s.session.release().catch(() => undefined);
          this.send<'shutdown'>(req.id, null);
          this.onShutdown();
          return;
        }
        case 'cancel':
          return;
      }
    } catch (e) {
      this.reply({ kind: 'reply', id: req.id, ok: false, error: toWire(e) }, []);
    }
  }

  private async init(provider: InitResultProvider, threads: number, logLevel?: ort.Env['logLevel']): Promise<InitResult> {
    if (logLevel) ort.env.logLevel = logLevel;
    this.threads = threads;
    this.report = await probeProviders(provider, threads);
    return {
      report: this.report,
      pid: process.pid,
      ortVersion: ort.env.versions.node ?? 'unknown',
      nativeModules: Object.keys(require.cache).filter((f) => f.endsWith('.node') && /[\\/]onnxruntime-node[\\/]/.test(f)),
      backends: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
    };
  }

  private async createSession(req: CreateSessionRequest): Promise<SessionInfo> {
    const report = this.report;
    if (!report?.selected) throw new Error('createSession before a successful init');
    const o = req.options;
    // onnxruntime-node rejects keys present with undefined values: set only what was given.
    const options: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: o.graphOptimization,
      intraOpNumThreads: o.intraOpThreads ?? this.threads,
      executionMode: o.executionMode ?? 'sequential',
    };
    if (o.interOpThreads !== undefined) options.interOpNumThreads = o.interOpThreads;
    if (o.freeDimensionOverrides) options.freeDimensionOverrides = { ...o.freeDimensionOverrides };
    if (o.allowSpinning !== undefined) {
      const spin = o.allowSpinning ? '1' : '0';
      options.extra = { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } };
    }
    // Under `auto` a model the probed GPU provider cannot take falls to the next working one (CPU last);
    // a forced provider gets no second chance.
    const candidates: ProviderName[] =
      report.requested === 'auto'
        ? AUTO_PROVIDER_ORDER.slice(AUTO_PROVIDER_ORDER.indexOf(report.selected))
        : [report.selected];
    const notes: string[] = [];
    for (const provider of candidates) {
      const t0 = performance.now();
      try {
        const model = req.model.kind === 'path' ? req.model.path : req.model.bytes;
        const session =
          typeof model === 'string'
            ? await ort.InferenceSession.create(model, { ...options, executionProviders: sessionProviders(provider) })
            : await ort.InferenceSession.create(model, { ...options, executionProviders: sessionProviders(provider) });
        const info: SessionInfo = {
          sessionId: this.nextSessionId++,
          label: req.label,
          inputs: valueInfos(session.inputMetadata),
          outputs: valueInfos(session.outputMetadata),
          provider,
          providerNote: notes.length ? notes.join(' ') : undefined,
          createMs: Math.round(performance.now() - t0),
        };
        this.sessions.set(info.sessionId, { session, info });
        return info;
      } catch (e) {
        const ortMessage = message(e);
        const last = provider === candidates[candidates.length - 1];
        if (last) {
          const where = req.model.kind === 'path' ? ` from ${req.model.path}` : '';
          const why =
            provider === 'cpu' || !/provider|adapter|shared library|CUDA|WebGPU/i.test(ortMessage)
              ? ortMessage
              : explainFailure(provider, ortMessage, gatherFacts());
          throw new SessionCreateError(
            `Could not load model '${req.label}'${where} on ${providerTitle(provider)}: ${why}` +
              (notes.length ? ` (before that: ${notes.join(' ')})` : ''),
            req.label,
            provider,
            ortMessage,
          );
        }
        notes.push(`${providerTitle(provider)} could not load this model (${ortMessage.split('\n')[0]}).`);
      }
    }
    throw new Error('unreachable: no provider candidates');
  }

  private async run(req: RunRequest): Promise<Record<string, Tensor>> {
    const hosted = this.sessions.get(req.sessionId);
    if (!hosted) throw new Error(`session ${req.sessionId} does not exist (released?)`);
    const { session, info } = hosted;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(req.feeds)) {
      feeds[name] = new ort.Tensor(t.dtype, t.data, t.dims as number[]);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      result = req.fetches ? await session.run(feeds, req.fetches as string[]) : await session.run(feeds);
    } catch (e) {
      const fed = Object.entries(req.feeds)
        .map(([n, t]) => `${n}: ${describeTensor(t)}`)
        .join(', ');
      const ortMessage = message(e);
      throw new SessionRunError(
        `Session ${info.sessionId} ('${info.label}', ${providerTitle(info.provider)}) failed to run with ${fed || 'no feeds'}: ${ortMessage.trim()}`,
        info.sessionId,
        info.label,
        ortMessage,
      );
    }
    const outputs: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(result)) {
      const v = value as ort.Tensor;
      if (!isDType(v.type) || v.location !== 'cpu') {
        v.dispose();
        throw new SessionRunError(
          `Session ${info.sessionId} ('${info.label}'): output '${name}' is ${v.type} (${v.location}), which the runtime cannot return`,
          info.sessionId,
          info.label,
        );
      }
      outputs[name] = { dtype: v.type, dims: [...v.dims], data: v.data } as Tensor;
    }
    return outputs;
  }
}

type InitResultProvider = Parameters<typeof probeProviders>[0];

/** Output buffers to move rather than copy: only whole buffers (a view into a shared one is copied). */
function transferables(outputs: Record<string, Tensor>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of Object.values(outputs)) {
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === b.byteLength) seen.add(b);
  }
  return [...seen];
}

