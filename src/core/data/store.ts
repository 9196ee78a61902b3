/**
 * Random access to the records of a JSONL file of any size without holding it in memory: one sequential
 * pass records where every non-blank line starts and ends (typed arrays, 20 bytes a record); a record is
 * then one positioned read. Indexing never decodes or parses: it runs at close to raw read speed.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { decodeLine, isBlankRange, readChunks, resolveLineOptions } from './lines';
import { DataError, type DataProblem } from './problems';

const LF = 0x0a;
const CR = 0x0d;
/** How many of the last indexed bytes must be unchanged for a grown file to count as appended to. */
const TAIL_CHECK_BYTES = 64;

/** The index of one version of the file. Replaced whole on re-index, so readers never see a half-built one. */
interface Index {
  /** Byte offset of each record's first byte. */
  starts: Float64Array;
  /** Byte offset just past each record's last content byte (before '\r\n' or '\n'). */
  ends: Float64Array;
  /** 1-based physical line of each record. */
  lines: Uint32Array;
  count: number;
  lineCount: number;
  blankLines: number;
  hasBom: boolean;
  /** Bytes indexed (the file's size when the pass ended). */
  size: number;
  /** Offset where the last, unterminated line starts; `size` when the file ends with a newline. */
  resumeAt: number;
  unterminated: boolean;
  /** Whether the unterminated last line (if any) is blank. */
  unterminatedBlank: boolean;
  /** The last TAIL_CHECK_BYTES bytes indexed. */
  tail: Buffer;
  ino: number;
  dev: number;
  mtimeMs: number;
}

function emptyIndex(capacity: number): Index {
  return {
    starts: new Float64Array(capacity),
    ends: new Float64Array(capacity),
    lines: new Uint32Array(capacity),
    count: 0,
    lineCount: 0,
    blankLines: 0,
    hasBom: false,
    size: 0,
    resumeAt: 0,
    unterminated: false,
    unterminatedBlank: false,
    tail: Buffer.alloc(0),
    ino: 0,
    dev: 0,
    mtimeMs: 0,
  };
}

function grow(ix: Index): void {
  reserve(ix, Math.max(4096, ix.starts.length * 2));
}

function reserve(ix: Index, capacity: number): void {
  if (!(capacity > ix.starts.length)) return;
  const starts = new Float64Array(capacity);
  const ends = new Float64Array(capacity);
  const lines = new Uint32Array(capacity);
  starts.set(ix.starts.subarray(0, ix.count));
  ends.set(ix.ends.subarray(0, ix.count));
  lines.set(ix.lines.subarray(0, ix.count));
  ix.starts = starts;
  ix.ends = ends;
  ix.lines = lines;
}

export interface JsonlStoreOptions {
  /** Records longer than this are indexed, but reading them throws a 'line-too-long' DataError. */
  maxLineBytes?: number;
  /** Size of each sequential read while indexing (default 4 MiB); small values are for tests. */
  chunkBytes?: number;
}

export class JsonlStore {
  private ix: Index;
  private closed = false;
  /** refresh() and close() run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private fh: FileHandle,
    private readonly maxLineBytes: number,
    private readonly chunkBytes: number,
  ) {
    this.ix = emptyIndex(0);
  }

  /** Opens and indexes `file` (one sequential pass). Gzip files are refused: they have no random access. */
  static async open(file: string, opts?: JsonlStoreOptions): Promise<JsonlStore> {
    const { max, chunk } = resolveLineOptions(opts);
    const fh = await open(file, 'r');
    try {
      const magic = Buffer.alloc(2);
      const { bytesRead } = await fh.read(magic, 0, 2, 0);
      if (bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
        throw new DataError(
          `${file} is gzip-compressed; random access to its records needs the plain file — decompress it first (gunzip -k)`,
        );
      }
      const store = new JsonlStore(file, fh, max, chunk);
      store.ix = await store.buildIndex(fh, undefined);
      return store;
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Records: the non-blank lines. */
  get count(): number {
    return this.ix.count;
  }
  /** Physical lines, blank ones and an unterminated last one included. */
  get lineCount(): number {
    return this.ix.lineCount;
  }
  get blankLines(): number {
    return this.ix.blankLines;
  }
  /** Size of the file as indexed, BOM included. */
  get bytes(): number {
    return this.ix.size;
  }
  get hasBom(): boolean {
    return this.ix.hasBom;
  }
  get unterminatedLastLine(): boolean {
    return this.ix.unterminated;
  }

  /** 1-based line of record i. */
  lineOf(i: number): number {
    this.check(i);
    return this.ix.lines[i];
  }

  /**
   * The exact bytes of record i (without the line break). A record over maxLineBytes throws a DataError
   * ('line-too-long') instead of allocating it.
   */
  async readBytes(i: number): Promise<Buffer> {
    this.check(i);
    const ix = this.ix;
    const start = ix.starts[i];
    const length = ix.ends[i] - start;
    if (length > this.maxLineBytes) throw this.tooLong(ix.lines[i], length);
    const out = Buffer.allocUnsafe(length);
    const fh = this.fh;
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, length - done, start + done);
      if (bytesRead === 0) {
        throw new DataError(
          `${this.file}: the file is shorter than when it was indexed (line ${ix.lines[i]} is cut off) — it changed; refresh it`,
        );
      }
      done += bytesRead;
    }
    return out;
  }

  /** Record i as text. Invalid UTF-8 or an over-long line throw a DataError located at file:line:column. */
  async readText(i: number): Promise<string> {
    const bytes = await this.readBytes(i);
    const decoded = decodeLine(bytes);
    if (decoded.ok) return decoded.text;
    throw problemError({
      file: this.file,
      line: this.ix.lines[i],
      column: decoded.column,
      path: '',
      message: decoded.message,
      severity: 'error',
      code: 'invalid-utf8',
    });
  }

  /** The record index at a physical line, or undefined when that line is blank or out of range. */
  indexOfLine(line: number): number | undefined {
    const { lines, count } = this.ix;
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = lines[mid];
      if (at === line) return mid;
      if (at < line) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /**
   * Brings the index up to date with the file. When the file only grew (same inode, and the last 64
   * bytes indexed are unchanged), only the new tail is indexed — starting again at the last line if it
   * had no newline, since that line may have been extended. Anything else (a new inode after an atomic
   * save, a truncation, a rewrite) re-indexes from scratch.
   *
   * `appended`: how many records at the end are new or changed — records [count - appended, count). The
   * previously unterminated last record is counted again, since it may have changed. After a re-index
   * it is `count`.
   */
  refresh(): Promise<{ appended: number; reindexed: boolean }> {
    const run = this.queue.then(() => this.doRefresh());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the file. Reads after close throw. */
  close(): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.fh.close();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doRefresh(): Promise<{ appended: number; reindexed: boolean }> {
    if (this.closed) throw new Error(`${this.file}: the store is closed`);
    const old = this.ix;
    const st = await stat(this.file);
    if (st.ino !== old.ino || st.dev !== old.dev) {
      // Replaced (an editor's atomic save, a rename): index the new file through a new handle.
      const fh = await open(this.file, 'r');
      let ix: Index;
      try {
        ix = await this.buildIndex(fh, undefined);
      } catch (err) {
        await fh.close();
        throw err;
      }
      const previous = this.fh;
      this.fh = fh;
      this.ix = ix;
      await previous.close();
      return { appended: ix.count, reindexed: true };
    }
    const grewOnly = st.size >= old.size && (await this.tailUnchanged(old));
    if (grewOnly && st.size === old.size && st.mtimeMs === old.mtimeMs) {
      return { appended: 0, reindexed: false };
    }
    if (!grewOnly || st.size === old.size) {
      // Truncated, rewritten, or touched with the same size: nothing of the old index can be trusted.
      this.ix = await this.buildIndex(this.fh, undefined);
      return { appended: this.ix.count, reindexed: true };
    }
    const ix = await this.buildIndex(this.fh, old);
    this.ix = ix;
    return { appended: ix.count - firstAtOrAfter(ix, old.resumeAt), reindexed: false };
  }

  private async tailUnchanged(old: Index): Promise<boolean> {
    const n = old.tail.length;
    if (n === 0) return true;
    const now = Buffer.alloc(n);
    const { bytesRead } = await this.fh.read(now, 0, n, old.size - n);
    return bytesRead === n && now.equals(old.tail);
  }

  /**
   * One sequential pass from the start, or — given the previous index of a file that only grew — from
   * the start of its unterminated last line (or its end). Never decodes: a line is blank when all its
   * bytes are ASCII whitespace, which the first byte usually settles.
   */
  private async buildIndex(fh: FileHandle, from: Index | undefined): Promise<Index> {
    const st = await fh.stat();
    let ix: Index;
    let pos: number;
    if (from) {
      // Same arrays: entries past `kept` are overwritten, and the old Index keeps its own count.
      const kept = firstAtOrAfter(from, from.resumeAt);
      ix = {
        ...from,
        count: kept,
        lineCount: from.lineCount - (from.unterminated ? 1 : 0),
        blankLines: from.blankLines - (from.unterminated && from.unterminatedBlank ? 1 : 0),
        unterminated: false,
        unterminatedBlank: false,
      };
      pos = from.resumeAt;
    } else {
      ix = emptyIndex(4096);
      pos = 0;
    }
    ix.ino = st.ino;
    ix.dev = st.dev;
    ix.mtimeMs = st.mtimeMs;

    if (pos === 0) {
      const head = Buffer.alloc(3);
      const { bytesRead } = await fh.read(head, 0, 3, 0);
      ix.hasBom = bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
      if (ix.hasBom) pos = 3;
    }

    const scan: ScanState = { pos, lineStart: pos, lineNo: ix.lineCount, nonBlank: false, prev: -1 };
    const startCount = ix.count;
    let first = true;
    for await (const chunk of readChunks(fh, this.chunkBytes, pos)) {
      indexChunk(ix, scan, chunk);
      if (first && scan.pos < st.size) {
        // Size the arrays once from the first chunk's record density, instead of doubling ~10 times
        // (they still double if the estimate falls short).
        const density = (ix.count - startCount) / (scan.pos - pos);
        reserve(ix, ix.count + Math.ceil(density * (st.size - scan.pos) * 1.1));
      }
      first = false;
    }
    pos = scan.pos;
    const { lineStart, nonBlank, prev } = scan;
    let lineNo = scan.lineNo;
    ix.resumeAt = lineStart;
    if (pos > lineStart) {
      lineNo++;
      ix.unterminated = true;
      ix.unterminatedBlank = !nonBlank;
      if (nonBlank) {
        let end = pos;
        if (prev === CR && end > lineStart) end--;
        if (ix.count === ix.starts.length) grow(ix);
        ix.starts[ix.count] = lineStart;
        ix.ends[ix.count] = end;
        ix.lines[ix.count] = lineNo;
        ix.count++;
      } else {
        ix.blankLines++;
      }
    }
    ix.lineCount = lineNo;
    ix.size = pos;
    const tailLength = Math.min(TAIL_CHECK_BYTES, pos);
    const tail = Buffer.alloc(tailLength);
    if (tailLength > 0) await fh.read(tail, 0, tailLength, pos - tailLength);
    ix.tail = tail;
    return ix;
  }

  private check(i: number): void {
    if (this.closed) throw new Error(`${this.file}: the store is closed`);
    if (!Number.isInteger(i) || i < 0 || i >= this.ix.count) {
      throw new RangeError(
        `record index ${i} is out of range: ${this.file} has ${this.ix.count} records (0…${this.ix.count - 1})`,
      );
    }
  }

  private tooLong(line: number, length: number): DataError {
    const mb = (length / 2 ** 20).toFixed(1);
    const limit = (this.maxLineBytes / 2 ** 20).toFixed(1);
    return problemError({
      file: this.file,
      line,
      column: 1,
      path: '',
      message: `the line is ${mb} MiB (${length} bytes), over the ${limit} MiB limit — split this record or raise the limit`,
      severity: 'error',
      code: 'line-too-long',
    });
  }
}

/** Where a sequential index pass stands between two chunks. */
interface ScanState {
  /** File offset of the next chunk's first byte. */
  pos: number;
  /** File offset of the current line's first byte. */
  lineStart: number;
  /** Lines ended so far. */
  lineNo: number;
  /** The current line has a non-whitespace byte so far. */
  nonBlank: boolean;
  /** The last byte of the previous chunk (for a CR right before a chunk that starts with LF). */
  prev: number;
}

/** The hot loop: one memchr per line, a first-byte blank check, three typed-array stores. */
function indexChunk(ix: Index, scan: ScanState, chunk: Buffer): void {
  const n = chunk.length;
  const base = scan.pos;
  let { lineStart, lineNo, nonBlank } = scan;
  let { starts, ends, lines, count } = ix;
  let blank = 0;
  let i = 0;
  for (;;) {
    const nl = chunk.indexOf(LF, i);
    if (nl < 0) {
      if (!nonBlank) nonBlank = !isBlankRange(chunk, i, n);
      break;
    }
    lineNo++;
    if (nonBlank || !isBlankRange(chunk, i, nl)) {
      let end = base + nl;
      if ((nl > 0 ? chunk[nl - 1] : scan.prev) === CR && end > lineStart) end--;
      if (count === starts.length) {
        ix.count = count;
        grow(ix);
        ({ starts, ends, lines } = ix);
      }
      starts[count] = lineStart;
      ends[count] = end;
      lines[count] = lineNo;
      count++;
    } else {
      blank++;
    }
    nonBlank = false;
    i = nl + 1;
    lineStart = base + i;
  }
  ix.count = count;
  ix.blankLines += blank;
  scan.lineStart = lineStart;
  scan.lineNo = lineNo;
  scan.nonBlank = nonBlank;
  scan.prev = n > 0 ? chunk[n - 1] : scan.prev;
  scan.pos = base + n;
}

/** The first record whose start is at or after `offset` (records are in file order). */
function firstAtOrAfter(ix: Index, offset: number): number {
  let lo = 0;
  let hi = ix.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ix.starts[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function problemError(p: DataProblem): DataError {
  return new DataError(`${p.file}:${p.line}:${p.column}: ${p.message}`, [p]);
}
