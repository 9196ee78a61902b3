// How requests reach a SessionHost: a worker thread, a child process, or the caller's own thread. The
// Runtime talks to all three through one small interface and learns of a host's death through onExit.
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { HOST_MARKER, type HostMessage, type HostRequest } from './protocol';
import type { Isolation } from './types';

export interface ExitInfo {
  /** Exit code, when the host exited by itself. */
  readonly code: number | null;
  /** The signal that killed the process (process isolation). */
  readonly signal: NodeJS.Signals | null;
  /** An uncaught error in the host or a failure to start it. */
  readonly error?: Error;
}

export interface HostChannel {
  readonly isolation: Isolation;
  /** The host's process id (the caller's own for thread and none). */
  readonly pid: number;
  post(req: HostRequest, transfer: readonly ArrayBuffer[]): void;
  /**
   * Stops the host now (kills the process, terminates the thread). For a thread only when it is idle:
   * terminating a worker while onnxruntime runs in it aborts the whole process.
   */
  kill(): void;
  /** Resolves when the host has exited (immediately for none). */
  readonly exited: Promise<ExitInfo>;
  /** The last few KiB the process wrote to stderr (process isolation only). */
  stderrTail(): string;
}

export interface ChannelOptions {
  readonly script: string;
  readonly execPath?: string;
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the child process's stdout/stderr text; default: written to this process's stderr. */
  readonly onLog?: (text: string) => void;
}

type Listener = (m: HostMessage) => void;

const STDERR_TAIL = 8 * 1024;

/** Starts a worker thread host and resolves when it has said hello. */
export function startThreadChannel(opts: ChannelOptions, onMessage: Listener): Promise<HostChannel> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(opts.script, {
      workerData: HOST_MARKER,
      execArgv: opts.execArgv ? [...opts.execArgv] : undefined,
      env: opts.env,
    });
    let lastError: Error | undefined;
    let hello = false;
    const exited = new Promise<ExitInfo>((done) => {
      worker.on('exit', (code) => {
        done({ code, signal: null, error: lastError });
        if (!hello) reject(lastError ?? new Error(`runtime worker thread exited with code ${code} before it started`));
      });
    });
    worker.on('error', (e) => {
      lastError = e;
    });
    worker.on('message', (m: HostMessage) => {
      if (m.kind === 'hello') {
        hello = true;
        resolve({
          isolation: 'thread',
          pid: process.pid,
          post: (req, transfer) => worker.postMessage(req, transfer as ArrayBuffer[]),
          kill: () => void worker.terminate(),
          exited,
          stderrTail: () => '',
        });
        return;
      }
      onMessage(m);
    });
  });
}

/** Starts a child process host (Node's IPC with 'advanced' serialization) and resolves on its hello. */
export function startProcessChannel(opts: ChannelOptions, onMessage: Listener): Promise<HostChannel> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = fork(opts.script, [HOST_MARKER], {
        serialization: 'advanced',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Not the parent's execArgv: an --inspect port inherited from a debugged extension host would
        // make the child fail to start.
        execArgv: opts.execArgv ? [...opts.execArgv] : [],
        execPath: opts.execPath,
        // Inside VS Code process.execPath is Electron: make it behave as Node (as vscode-languageclient does).
        env: process.versions.electron ? { ...(opts.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' } : opts.env,
      });
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    let tail = '';
    const log = opts.onLog ?? ((text: string) => process.stderr.write(text));
    const capture = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-STDERR_TAIL);
      log(text);
    };
    child.stderr?.on('data', capture);
    child.stdout?.on('data', capture);
    let startError: Error | undefined;
    let hello = false;
    const exited = new Promise<ExitInfo>((done) => {
      // 'close', not 'exit': by then stderr is drained, so a crash report carries the last words.
      child.on('close', (code, signal) => {
        done({ code, signal, error: startError });
        if (!hello) {
          const why = startError?.message ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
          reject(new Error(`runtime process exited before it started (${why})${tail ? `; its stderr:\n${tail}` : ''}`));
        }
      });
    });
    child.on('error', (e) => {
      // Spawn failures and sends on a closed channel. The 'exit' event follows a real death.
      startError = e;
      if (!hello && child.pid === undefined) reject(e);
    });
    child.on('message', (m: HostMessage) => {
      if (m.kind === 'hello') {
        hello = true;
        resolve({
          isolation: 'process',
          pid: child.pid ?? m.pid,
          post: (req) => {
            if (child.connected) child.send(req);
          },
          kill: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          },
          exited,
          stderrTail: () => tail,
        });
        return;
      }
      onMessage(m);
    });
  });
}

/** The host on the caller's own thread: no isolation, no copies. */
export async function startInlineChannel(onMessage: Listener): Promise<HostChannel> {
  const { SessionHost } = await import('./host');
  let markExited: (e: ExitInfo) => void = () => undefined;
  const exited = new Promise<ExitInfo>((done) => (markExited = done));
  const host = new SessionHost(
    (reply) => onMessage(reply),
    'inline',
    () => markExited({ code: 0, signal: null }),
  );
  return {
    isolation: 'none',
    pid: process.pid,
    post: (req) => host.receive(req),
    kill: () => markExited({ code: null, signal: null }),
    exited,
    stderrTail: () => '',
  };
}
