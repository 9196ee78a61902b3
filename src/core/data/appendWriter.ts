/**
 * Crash-safe appending of preference records to a JSONL file: one record = one write() of one complete
 * line. Annotators append one judgement per line; losing one is the worst bug this product can have.
 *
 * What an acknowledgement (a resolved append) means: the line was written with O_APPEND in one write,
 * read back from the file complete and on a line of its own at `offset`, and (by default) flushed with
 * fdatasync. What a crash leaves: O_APPEND writes never touch earlier bytes, so a process killed at any
 * moment leaves every earlier record intact; at most the record in flight is missing or cut short.
 *
 * Why each step:
 * - One write per record: POSIX makes O_APPEND's move-to-the-end and the write one step, and Linux's
 *   local file systems copy the whole write under the inode lock, so two processes (two VS Code windows)
 *   never interleave inside a line — for any size, not just PIPE_BUF. (The crash tests prove it on Linux;
 *   other systems get what their kernel gives. Not on NFS/SMB, where O_APPEND is emulated per client.)
 * - A short write (disk full, file-size limit; a kill mid-write) is continued, but a continuation is a
 *   second write another process can get in front of. So every record is read back before it is
 *   acknowledged; a damaged one is written again whole on a fresh line. A duplicate is reported by
 *   validation; a lost judgement is reported by nobody.
 * - An unterminated last line (an earlier crash, a hand edit) gets a '\n' in front of the record, in the
 *   same write: the partial line keeps every byte and becomes a bad line validation reports.
 * - The path is checked against the open file before and after each write: if it was replaced (git
 *   checkout, an editor's save-by-rename) or deleted, the record goes to the file the user sees (after
 *   the rare race of a replacement during the write, a copy also stays in the old file, if anything kept it).
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringifyJson } from './json';
import { DataError } from './problems';

export interface AppendWriterOptions {
  /**
   * fdatasync after each record (default true), so a power loss or OS crash keeps acknowledged records
   * too. Off: a killed process still keeps them (they are in the OS page cache), a machine crash may not.
   */
  fsync?: boolean;
}

export interface AppendResult {
  /** Byte offset in the file where the record's line starts. */
  offset: number;
  /** Bytes of the record's line, its '\n' included (not the '\n' that terminated an earlier partial line). */
  bytes: number;
  /** The file ended in an unterminated line; a '\n' was written before the record to end it. */
  repairedUnterminated: boolean;
}

/** An append that failed: the message names the file, says whether the record was saved and what to do. */
export class AppendError extends DataError {
  constructor(
    message: string,
    readonly file: string,
    /** The system error code (ENOSPC, EACCES, …) when there is one. */
    readonly code: string | undefined,
    cause?: unknown,
  ) {
    super(message);
    this.name = 'AppendError';
    if (cause !== undefined) this.cause = cause;
  }
}

const NEWLINE = 0x0a;
/** Attempts to get one record intact into the file before giving up (each retry follows damage). */
const MAX_ATTEMPTS = 3;
/**
 * How far past the expected offset to look for a record that another writer's records got in front of.
 * Annotators append a few records a second; megabytes in the microseconds between check and write do
 * not happen. Beyond it the record counts as not found and is written again.
 */
const SEARCH_SLACK = 8 * 1024 * 1024;
/** Waits for a moving file end to settle before believing it unterminated (see `end`). */
const SETTLE_MS = [2, 5, 10, 20];
// Read+append, create, fail if it exists: tells us race-free whether this open created the file.
const CREATE_NEW = 'ax+';
const OPEN_EXISTING = 'a+';

export class AppendWriter {
  private handle: fsp.FileHandle | undefined;
  private identity: { dev: bigint; ino: bigint };
  private readonly fsync: boolean;
  /** Appends run one at a time in call order: each waits for the one before (failed or not). */
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    opened: Opened,
    fsync: boolean,
  ) {
    this.handle = opened.handle;
    this.identity = opened.identity;
    this.fsync = fsync;
  }

  /**
   * Open `file` for appending, creating it if missing. Its folder must exist: creating folders is the
   * caller's decision (a typo in a path should not grow a tree).
   */
  static async open(file: string, opts: AppendWriterOptions = {}): Promise<AppendWriter> {
    const abs = path.resolve(file);
    const fsync = opts.fsync ?? true;
    return new AppendWriter(abs, await openForAppend(abs, fsync), fsync);
  }

  /** Append one record as one line of JSON. Serialised now: changing `record` afterwards changes nothing. */
  append(record: unknown): Promise<AppendResult> {
    let line: string;
    try {
      line = stringifyJson(record);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
    }
    return this.enqueue(line);
  }

  /** Append a line that is already JSON. Rejects with TypeError when it is not exactly one line. */
  appendLine(jsonLine: string): Promise<AppendResult> {
    if (typeof jsonLine !== 'string') return Promise.reject(new TypeError('appendLine expects a string'));
    if (/[\n\r]/.test(jsonLine)) {
      return Promise.reject(new TypeError('a JSONL record must be one line: the text contains a line break'));
    }
    if (jsonLine.trim() === '') {
      return Promise.reject(new TypeError('a JSONL record cannot be an empty line'));
    }
    // A lone surrogate cannot be encoded as UTF-8: Buffer.from would silently write U+FFFD instead.
    if (/\p{Cs}/u.test(jsonLine)) {
      return Promise.reject(
        new TypeError('the text contains a lone UTF-16 surrogate, which UTF-8 cannot hold'),
      );
    }
    return this.enqueue(jsonLine);
  }

  /** Finish the appends already called, then close the file. Appends called after this are rejected. */
  close(): Promise<void> {
    this.closing ??= this.queue.then(async () => {
      const h = this.handle;
      this.handle = undefined;
      await h?.close();
    });
    return this.closing;
  }

  private enqueue(line: string): Promise<AppendResult> {
    if (this.closing) {
      return Promise.reject(
        new AppendError(`${this.file} was closed: the record was not saved.`, this.file, undefined),
      );
    }
    // One allocation holds the optional repair '\n' in front: the write takes the whole or subarray(1).
    const encoded = Buffer.from(`\n${line}\n`, 'utf8');
    const result = this.queue.then(() => this.appendNow(encoded));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async appendNow(encoded: Buffer): Promise<AppendResult> {
    const line = encoded.subarray(1);
    let repaired = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const handle = await this.currentHandle();
      const { size: sizeBefore, unterminated } = await this.end(handle);
      repaired ||= unterminated;
      await this.writeWhole(handle, unterminated ? encoded : line);
      const offset = await this.locate(handle, sizeBefore, unterminated, line);
      // Not found intact: a short write's continuation landed after another writer's record, or a writer
      // killed mid-write left a partial line just before ours. Those bytes stay; write the record again.
      if (offset === undefined) continue;
      // Replaced while we wrote: the record is in a file the user no longer sees. Write it to the new one.
      if (!(await this.pathIsOpenFile())) continue;
      if (this.fsync) await this.step('flush', () => handle.datasync());
      return { offset, bytes: line.length, repairedUnterminated: repaired };
    }
    throw new AppendError(
      `Could not confirm that the record reached ${this.file} intact after ${MAX_ATTEMPTS} attempts ` +
        '(another program keeps changing the file?). The file may hold damaged copies of it; the records before it are intact.',
      this.file,
      undefined,
    );
  }

  /** The open file, reopened first if the path now names another file or nothing. */
  private async currentHandle(): Promise<fsp.FileHandle> {
    if (!this.handle) {
      throw new AppendError(`${this.file} was closed: the record was not saved.`, this.file, undefined);
    }
    if (await this.pathIsOpenFile()) return this.handle;
    const old = this.handle;
    let opened: Opened;
    try {
      opened = await openForAppend(this.file, this.fsync);
    } catch (err) {
      // Reopening for a replaced or deleted file: say that the record in hand did not get written.
      if (err instanceof AppendError) err.message += ' The record was not saved.';
      throw err;
    }
    this.handle = opened.handle;
    this.identity = opened.identity;
    await old.close().catch(() => undefined);
    return opened.handle;
  }

  private async pathIsOpenFile(): Promise<boolean> {
    let st: BigIntStats;
    try {
      st = await fsp.stat(this.file, { bigint: true });
    } catch (err) {
      if (errCode(err) === 'ENOENT') return false;
      throw appendError(err, this.file, 'check');
    }
    return st.ino === this.identity.ino && st.dev === this.identity.dev;
  }

  /**
   * The file's size and whether its last line lacks a '\n'. Readers take no lock, so they can see another
   * process's write half done: its pages appear as they are copied. So an unterminated end is believed
   * only once the size has stopped moving; a crash leftover never moves. Believed wrongly (a writer stalled
   * longer than the wait), it costs one blank line, which readers skip.
   */
  private async end(handle: fsp.FileHandle): Promise<{ size: number; unterminated: boolean }> {
    let size = await this.size(handle);
    for (const ms of SETTLE_MS) {
      if (size === 0 || (await this.byteAt(handle, size - 1)) === NEWLINE) {
        return { size, unterminated: false };
      }
      await sleep(ms);
      const now = await this.size(handle);
      if (now === size) break;
      size = now;
    }
    return { size, unterminated: size > 0 && (await this.byteAt(handle, size - 1)) !== NEWLINE };
  }

  private size(handle: fsp.FileHandle): Promise<number> {
    return this.step('read', () => handle.stat().then((st) => st.size));
  }

  private async byteAt(handle: fsp.FileHandle, position: number): Promise<number | undefined> {
    const b = Buffer.alloc(1);
    const { bytesRead } = await this.step('read', () => handle.read(b, 0, 1, position));
    return bytesRead === 1 ? b[0] : undefined;
  }

  private async writeWhole(handle: fsp.FileHandle, buf: Buffer): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      // Position null: the kernel appends (O_APPEND). A short write only comes with a full disk, a file
      // size limit or a kill; the next write then usually fails and says why.
      const { bytesWritten } = await this.step('write', () =>
        handle.write(buf, done, buf.length - done, null),
      );
      if (bytesWritten <= 0) {
        throw appendError(
          Object.assign(new Error('write made no progress'), { code: 'ENOSPC' }),
          this.file,
          'write',
        );
      }
      done += bytesWritten;
    }
  }

  /**
   * Where `line` (with its '\n') now starts in the file, found complete and at the start of a line — or
   * undefined. It is past `sizeBefore`: O_APPEND put it at the end, and only appends happened since.
   * (Should another program have truncated the file in between, it is not found and is written again:
   * a duplicate at worst, never a loss.)
   */
  private async locate(
    handle: fsp.FileHandle,
    sizeBefore: number,
    prefixed: boolean,
    line: Buffer,
  ): Promise<number | undefined> {
    // Fast path (one writer): right where the end was, after our repair '\n' if we wrote one.
    const expected = sizeBefore + (prefixed ? 1 : 0);
    const from = Math.max(0, expected - 1);
    const near = await this.readRange(handle, from, expected + line.length);
    if (startsLineAt(near, expected - from, line)) return expected;
    // Another writer appended between our check and our write: look further on.
    const searchFrom = Math.max(0, sizeBefore - 1);
    const region = await this.readRange(handle, searchFrom, sizeBefore + line.length + SEARCH_SLACK);
    for (let i = region.indexOf(line); i >= 0; i = region.indexOf(line, i + 1)) {
      if (searchFrom + i >= sizeBefore && startsLineAt(region, i, line)) return searchFrom + i;
    }
    return undefined;
  }

  /** Bytes [start, end) of the file, fewer where the file ends sooner. */
  private async readRange(handle: fsp.FileHandle, start: number, end: number): Promise<Buffer> {
    const buf = Buffer.alloc(Math.max(0, Math.min(end, await this.size(handle)) - start));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.step('read', () =>
        handle.read(buf, got, buf.length - got, start + got),
      );
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  }

  private async step<T>(action: Action, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw appendError(err, this.file, action);
    }
  }
}

interface Opened {
  handle: fsp.FileHandle;
  identity: { dev: bigint; ino: bigint };
}

async function openForAppend(file: string, fsync: boolean): Promise<Opened> {
  let handle: fsp.FileHandle;
  let created = false;
  try {
    handle = await fsp.open(file, CREATE_NEW);
    created = true;
  } catch (err) {
    if (errCode(err) !== 'EEXIST') throw appendError(err, file, 'open');
    try {
      handle = await fsp.open(file, OPEN_EXISTING);
    } catch (err2) {
      throw appendError(err2, file, 'open');
    }
  }
  try {
    const st = await handle.stat({ bigint: true });
    if (created && fsync) await syncFolder(path.dirname(file));
    return { handle, identity: { dev: st.dev, ino: st.ino } };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw appendError(err, file, 'open');
  }
}

/**
 * Make a new file's directory entry durable too; fdatasync on the file alone does not promise that.
 * Best effort: a folder we may not open for reading still takes the file, so this never fails the open.
 */
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // Folders cannot be opened for fsync there; NTFS journals names.
  try {
    const h = await fsp.open(dir, fsConstants.O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // The file is there and usable; only its survival of a power cut in the next seconds is less sure.
  }
}

/** `line` starts at `at` in `buf`, complete, with a '\n' (or the start of the buffer's file) before it. */
function startsLineAt(buf: Buffer, at: number, line: Buffer): boolean {
  if (at < 0 || at + line.length > buf.length) return false;
  if (at > 0 && buf[at - 1] !== NEWLINE) return false;
  return buf.subarray(at, at + line.length).equals(line);
}

type Action = 'open' | 'check' | 'read' | 'write' | 'flush';

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A system error as a message that names the file, says what happened to the record and what to do. */
function appendError(err: unknown, file: string, action: Action): AppendError {
  if (err instanceof AppendError) return err;
  const code = errCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  let message: string;
  switch (code) {
    case 'ENOENT':
      message = `Cannot create ${file}: the folder ${path.dirname(file)} does not exist. Create the folder, or choose another file.`;
      break;
    case 'ENOTDIR':
      message = `Cannot open ${file}: part of its path is a file, not a folder. Check the path.`;
      break;
    case 'EISDIR':
      message = `Cannot append to ${file}: it is a folder. Choose a .jsonl file.`;
      break;
    case 'EACCES':
    case 'EPERM':
      message = `Permission denied for ${file}. Make the file and its folder writable (is it read-only, or owned by another user?).`;
      break;
    case 'EROFS':
      message = `Cannot write ${file}: it is on a read-only file system. Choose a file on a writable disk.`;
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      message = `The disk holding ${file} is full (or your disk quota is used up). Free some space and try again; the records already in the file are intact.`;
      break;
    case 'EFBIG':
      message = `${file} has reached the largest file size allowed (by the file system or a ulimit). Start a new file; the records already in it are intact.`;
      break;
    case 'EMFILE':
    case 'ENFILE':
      message = `Cannot open ${file}: too many files are open. Close some editors or programs and try again.`;
      break;
    default:
      message = `Could not ${action} ${file}: ${detail}.`;
  }
  if (action === 'flush') {
    message =
      `The record was written to ${file}, but flushing it to disk failed: it may not survive a power loss, and the disk may be failing. ` +
      `The record may already be in the file, so retrying can duplicate it. (${message})`;
  } else if (action === 'write') {
    message +=
      ' The record was not saved; any part of it that reached the file stays as an unterminated line, which the next append ends without changing it.';
  } else if (action !== 'open') {
    message += ' The record was not saved.';
  }
  return new AppendError(message, file, code, err);
}
