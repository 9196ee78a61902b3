// The editor's side of the score server (scoreServerMain.ts): forks it on first use, sends one request
// at a time per call and matches replies by id. When the server dies (a native crash, out of memory, a
// kill) every pending call fails with ScoreServerError carrying the last of its stderr, and the next call
// starts a fresh server and loads the models the old one held. No `vscode` import: tested in plain Node.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { FormatId } from '../data/formats/types';
import type { TextOrConversation } from '../data/record';
import type { ProviderChoice } from '../runtime';
import type { LineResult, LoadedModel, ServerReply, ServerReplyValues, ServerRequest, ServerStats } from './protocol';

export class ScoreServerError extends Error {
  override name = 'ScoreServerError';
}

export interface ScoreClientOptions {
  /** dist/scoreServer.js (or the compiled scoreServerMain.js in tests). */
  script: string;
  execPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Intra-op threads for the server's sessions (default: all cores but one). */
  threads?: number;
  /** Called when the server ends on its own (not by dispose). */
  onExit?: (description: string) => void;
}

type Request = ServerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const STDERR_TAIL = 4096;

export class ScoreClient {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = '';
  private disposed = false;
  /** Models to load again in a restarted server. */
  private readonly loaded = new Map<string, { dir: string; provider: ProviderChoice }>();
  /** Servers started (1 + restarts). */
  starts = 0;

  constructor(private readonly options: ScoreClientOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async load(dir: string, provider: ProviderChoice): Promise<LoadedModel> {
    const m = await this.call<'load'>({ kind: 'load', dir, provider });
    this.loaded.set(m.key, { dir, provider });
    return m;
  }

  async unload(key: string): Promise<void> {
    this.loaded.delete(key);
    if (this.child) await this.call<'unload'>({ kind: 'unload', key });
  }

  async scoreLines(key: string, format: FormatId, file: string, lines: Array<{ line: number; text: string }>): Promise<LineResult[]> {
    const results = await this.call<'scoreLines'>({ kind: 'scoreLines', key, format, file, lines });
    // JSON carries an unscored pair's NaN rewards as null: back to NaN, as the service gives them.
    for (const r of results) {
      if ('pairs' in r && r.unscored) {
        for (const p of r.pairs) {
          p.rewardChosen ??= NaN;
          p.rewardRejected ??= NaN;
        }
      }
    }
    return results;
  }

  scoreResponse(key: string, prompt: TextOrConversation, response: TextOrConversation): Promise<ServerReplyValues['scoreResponse']> {
    return this.call<'scoreResponse'>({ kind: 'scoreResponse', key, prompt, response });
  }

  stats(): Promise<ServerStats> {
    return this.call<'stats'>({ kind: 'stats' });
  }

  /** Kills the server (pending calls fail); the next call starts a new one. For tests and "restart". */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  dispose(): void {
    this.disposed = true;
    const c = this.child;
    this.child = undefined;
    this.ready = undefined;
    this.failAll(new ScoreServerError('the score server was stopped'));
    if (c?.connected) c.disconnect();
    setTimeout(() => c?.kill('SIGKILL'), 2000).unref();
  }

  private async call<K extends keyof ServerReplyValues>(req: Request): Promise<ServerReplyValues[K]> {
    if (this.disposed) throw new ScoreServerError('the score server was stopped');
    await this.start();
    return (await this.send(req)) as ServerReplyValues[K];
  }

  private send(req: Request): Promise<unknown> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(new ScoreServerError('the score server is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ ...req, id } as ServerRequest, (e) => {
        if (!e) return;
        // A write that fails because the server just died (EPIPE) is answered by the exit handler with
        // the reason and the server's last output; only a server still alive after a moment gets this.
        const fail = (): void => {
          if (this.pending.delete(id)) reject(new ScoreServerError(`could not reach the score server: ${e.message}`));
        };
        if (child.exitCode !== null || child.signalCode !== null) fail();
        else setTimeout(fail, 1000).unref();
      });
    });
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = (async () => {
      if (!existsSync(this.options.script)) throw new ScoreServerError(`${this.options.script} is missing (build the extension: npm run build)`);
      this.stderr = '';
      const env = { ...(this.options.env ?? process.env) };
      if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
      if (this.options.threads) env.REWARD_STUDIO_SCORE_THREADS = String(this.options.threads);
      const child = fork(this.options.script, [], { execArgv: [], execPath: this.options.execPath, env, silent: true });
      this.starts++;
      this.child = child;
      child.stdout?.resume();
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (s: string) => {
        this.stderr = (this.stderr + s).slice(-STDERR_TAIL);
      });
      child.on('message', (m: ServerReply) => {
        if (m?.kind !== 'reply') return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else {
          const e = new Error(m.error.message);
          e.name = m.error.name;
          p.reject(e);
        }
      });
      child.on('exit', (code, signal) => {
        if (this.child !== child) return;
        this.child = undefined;
        this.ready = undefined;
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        const tail = this.stderr.trim() ? `; its last output:\n${this.stderr.trim()}` : '';
        this.failAll(new ScoreServerError(`the score server ended (${how})${tail}`));
        if (!this.disposed) this.options.onExit?.(how);
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      // A restarted server loads what the last one held (keys stay valid while the files are unchanged).
      for (const [, m] of this.loaded) await this.send({ kind: 'load', dir: m.dir, provider: m.provider }).catch(() => undefined);
    })();
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }
}
