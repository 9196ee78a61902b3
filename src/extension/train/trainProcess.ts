/**
 * The training process: `node dist/cli.js train … --json`, forked from the extension host with the host's
 * own runtime (Electron as Node inside VS Code desktop, as src/core/runtime/channel.ts starts the runtime
 * process). It never runs on the extension host's thread, and its death — a native crash in onnxruntime,
 * an out-of-memory kill — ends only that process.
 *
 * stdout: one TrainEvent per line; stderr: the human log. Cancel is the IPC message {type: 'cancel'}; a
 * process that has not exited `cancelGraceMs` later is killed. No `vscode` import: plain-Node tests fork
 * scripted processes through it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseTrainEvent, type TrainEvent } from '../../core/train/events';
import type { ProcessExit } from './dashboardState';

/** How long a cancelled run gets to write its checkpoint and exit before it is killed. */
export const CANCEL_GRACE_MS = 15_000;
/** stderr lines kept for the report of a crash. */
const LAST_LOG_LINES = 20;

export interface TrainProcessOptions {
  /** dist/cli.js */
  cliPath: string;
  args: readonly string[];
  cwd: string;
  onEvent(event: TrainEvent): void;
  /** stderr, and stdout lines that are not events, as they arrive (whole lines). */
  onLog(line: string, stream: 'stdout' | 'stderr'): void;
  cancelGraceMs?: number;
  /** Defaults: the extension host's own executable and environment. */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
}

/** Splits a stream of text into lines ('\n' or '\r\n'); keeps a partial last line until more arrives. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.map(stripCr);
  }

  /** The partial line left at the end of the stream, if any. */
  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last.length > 0 ? [stripCr(last)] : [];
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

export class TrainProcess {
  /** Resolves once the process has exited and its output is drained. Never rejects. */
  readonly exited: Promise<ProcessExit>;
  private cancelTimer: ReturnType<typeof setTimeout> | undefined;
  private killedAfterCancel = false;
  private cancelRequested = false;
  private done = false;

  private constructor(
    private readonly child: ChildProcess | undefined,
    exited: Promise<ProcessExit>,
    private readonly cancelGraceMs: number,
  ) {
    this.exited = exited.then((exit) => {
      this.done = true;
      if (this.cancelTimer !== undefined) clearTimeout(this.cancelTimer);
      return this.killedAfterCancel ? { ...exit, killedAfterCancel: true } : exit;
    });
  }

  static start(options: TrainProcessOptions): TrainProcess {
    const grace = options.cancelGraceMs ?? CANCEL_GRACE_MS;
    if (!existsSync(options.cliPath)) {
      return new TrainProcess(
        undefined,
        Promise.resolve({ code: null, signal: null, startError: `${options.cliPath} is missing (build the extension: npm run build)` }),
        grace,
      );
    }
    let child: ChildProcess;
    try {
      child = fork(options.cliPath, [...options.args], {
        cwd: options.cwd,
        silent: true, // stdin, stdout, stderr are pipes; plus the IPC channel
        // Not the host's execArgv: an --inspect port inherited from a debugged extension host would
        // make the child fail to start.
        execArgv: [],
        execPath: options.execPath,
        // Inside VS Code desktop process.execPath is Electron: make it behave as Node.
        env: process.versions.electron
          ? { ...(options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' }
          : (options.env ?? process.env),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return new TrainProcess(undefined, Promise.resolve({ code: null, signal: null, startError: message }), grace);
    }
    child.stdin?.end();
    const stdout = new LineSplitter();
    const stderr = new LineSplitter();
    const onStdoutLine = (line: string): void => {
      const event = parseTrainEvent(line);
      if (event) options.onEvent(event);
      else if (line.trim().length > 0) options.onLog(line, 'stdout');
    };
    const lastLog: string[] = [];
    const onStderrLine = (line: string): void => {
      lastLog.push(line);
      if (lastLog.length > LAST_LOG_LINES) lastLog.shift();
      options.onLog(line, 'stderr');
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => stdout.push(chunk).forEach(onStdoutLine));
    child.stderr?.on('data', (chunk: string) => stderr.push(chunk).forEach(onStderrLine));
    const exited = new Promise<ProcessExit>((resolve) => {
      let startError: string | undefined;
      child.on('error', (error) => {
        // A spawn failure (no 'close' follows when there is no pid), or a send on a closed channel.
        if (child.pid === undefined) {
          startError = error.message;
          resolve({ code: null, signal: null, startError });
        }
      });
      // 'close', not 'exit': by then stdout and stderr are drained, so the last events are in.
      child.on('close', (code, signal) => {
        stdout.end().forEach(onStdoutLine);
        stderr.end().forEach(onStderrLine);
        resolve({ code, signal, lastLog: [...lastLog], ...(startError !== undefined ? { startError } : {}) });
      });
    });
    return new TrainProcess(child, exited, grace);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !this.done && this.child !== undefined;
  }

  /**
   * Asks the process to stop: it writes a checkpoint, reports it and exits (code 130). Killed when it
   * has not exited after the grace period. A second call does nothing more.
   */
  cancel(): void {
    if (!this.running || this.cancelRequested || !this.child) return;
    this.cancelRequested = true;
    const child = this.child;
    if (child.connected) {
      child.send({ type: 'cancel' }, (error) => {
        if (error && this.running) child.kill('SIGINT');
      });
    } else {
      child.kill('SIGINT');
    }
    this.cancelTimer = setTimeout(() => {
      if (!this.running) return;
      this.killedAfterCancel = true;
      child.kill('SIGKILL');
    }, this.cancelGraceMs);
  }

  /** Ends the process now, without a checkpoint (used when VS Code shuts down after a cancel did not end it). */
  kill(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }
}
