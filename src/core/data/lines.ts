/**
 * The byte-level line layer under every preference reader: JSONL files (plain or gzip) become a stream of
 * physical lines with their 1-based number and byte offset, and a JSON array file (a Label Studio
 * export) becomes one "line" per top-level element. Decoding to text is a separate, strict step
 * (`decodeLine`) so that a bad byte is reported at its exact place instead of turning into U+FFFD.
 */
import { isUtf8 } from 'node:buffer';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip, gunzipSync, constants as zlibConstants } from 'node:zlib';
import { JsonSyntaxError, parseJson } from './json';
import { DataError, type DataProblem } from './problems';

export interface RawLine {
  /** 1-based physical line number. */
  line: number;
  /** Byte offset of the line's first byte in the (decompressed) file; after the BOM on line 1. */
  offset: number;
  /**
   * Content without '\n' and without a trailing '\r'. May be a view into a reused buffer: valid until the
   * next iteration; copy to keep.
   */
  bytes: Buffer;
  /** False only for a last line with no newline. */
  terminated: boolean;
  /** Set (to the line's byte length) when the line exceeds maxLineBytes; `bytes` is then empty. */
  tooLong?: number;
  /**
   * 1-based UTF-16 column where `bytes` starts on `line`: 1 for JSONL lines; an element of a JSON array
   * may start further right (indentation).
   */
  column?: number;
}

export interface LineReadOptions {
  /** Longest line yielded with its bytes; longer lines are skipped and yielded with `tooLong`. */
  maxLineBytes?: number;
  /** Size of each read (and of each of the two reused read buffers). */
  chunkBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** True when every byte is ASCII whitespace (space, \t, \n, \v, \f, \r); true for an empty line. */
export function isBlank(bytes: Buffer): boolean {
  return isBlankRange(bytes, 0, bytes.length);
}

/** isBlank over bytes[from, to); stops at the first non-blank byte (usually the first one). */
export function isBlankRange(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (c !== 0x20 && (c < 0x09 || c > 0x0d)) return false;
  }
  return true;
}

/** The options with their defaults, checked. */
export function resolveLineOptions(opts: LineReadOptions | undefined): { max: number; chunk: number } {
  const max = opts?.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const chunk = opts?.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new RangeError(`maxLineBytes must be a whole number ≥ 0, got ${max}`);
  }
  if (!Number.isSafeInteger(chunk) || chunk < 1) {
    throw new RangeError(`chunkBytes must be a whole number ≥ 1, got ${chunk}`);
  }
  return { max, chunk };
}

// ---------------------------------------------------------------------------------------------------------
// Physical lines

/**
 * Every physical line of a JSONL file, blank ones included. Plain files are read in chunks into two
 * reused buffers (see readChunks); gzip files (recognised by their magic bytes, not their name) are decompressed as a
 * stream and offsets count decompressed bytes. Byte-level only: use `decodeLine` for the text.
 */
export async function* readLines(file: string, opts?: LineReadOptions): AsyncGenerator<RawLine> {
  const { max, chunk } = resolveLineOptions(opts);
  const fh = await open(file, 'r');
  try {
    const source = (await isGzipHandle(fh)) ? gunzipChunks(file, chunk) : readChunks(fh, chunk);
    yield* splitLines(source, max);
  } finally {
    await fh.close();
  }
}

/**
 * The bytes of an open file from `from` on, in chunks read into two reused buffers: the next chunk is
 * already being read (on libuv's thread pool) while the caller works on this one, so reading and scanning
 * overlap. A chunk is valid until the next one is pulled.
 */
export async function* readChunks(fh: FileHandle, chunkBytes: number, from = 0): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  let k = 0;
  let pos = from;
  const readInto = (buf: Buffer, at: number) => {
    const p = fh.read(buf, 0, chunkBytes, at);
    p.catch(() => undefined); // seen when awaited; not an unhandled rejection while the caller is busy
    return p;
  };
  let next = readInto(buffers[0], pos);
  try {
    for (;;) {
      const { bytesRead } = await next;
      if (bytesRead === 0) return;
      const buf = buffers[k];
      k ^= 1;
      pos += bytesRead;
      next = readInto(buffers[k], pos);
      yield bytesRead === chunkBytes ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    // Let a read still in flight land before the caller closes the file or drops the buffers.
    await next.catch(() => undefined);
  }
}

async function* gunzipChunks(file: string, chunkBytes: number): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({
    chunkSize: Math.max(zlibConstants.Z_MIN_CHUNK, Math.min(chunkBytes, 1 << 20)),
  });
  // pipeline (not pipe) so that a read error also ends the decompressed stream, with that error.
  pipeline(createReadStream(file, { highWaterMark: Math.max(chunkBytes, 64) }), gunzip, () => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new DataError(
        `${file}: the gzip data is damaged (${(err as Error).message}); re-download or re-compress it`,
      );
    }
    throw err;
  } finally {
    gunzip.destroy();
  }
}

async function isGzipHandle(fh: FileHandle): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0);
  return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

function startsWithBom(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

/** A chunk source with a leading UTF-8 BOM removed (even when chunks are shorter than the BOM). */
async function* withoutBom(
  chunks: AsyncIterable<Buffer>,
  info: { bomBytes: number },
): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = EMPTY; // bytes gathered before the BOM question is settled
  for await (const chunk of chunks) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    const joined: Buffer = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (joined.length < 3 && Buffer.from([0xef, 0xbb, 0xbf]).subarray(0, joined.length).equals(joined)) {
      head = Buffer.from(joined); // the source may reuse its buffer: keep a copy
      continue;
    }
    head = undefined;
    if (startsWithBom(joined)) {
      info.bomBytes = 3;
      if (joined.length > 3) yield joined.subarray(3);
    } else {
      yield joined;
    }
  }
  if (head !== undefined && head.length > 0) yield head;
}

/**
 * Splits chunks into lines. A line inside one chunk is yielded as a view of that chunk; a line that
 * crosses chunks is assembled in one growing buffer (capped at maxLineBytes + 1); a line beyond the cap
 * is only counted.
 */
async function* splitLines(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<RawLine> {
  const info = { bomBytes: 0 };
  let base = -1; // absolute offset of chunk[0]
  let lineNo = 0;
  let lineStart = 0; // absolute offset of the current line's first byte
  let pending = EMPTY; // the current line's bytes from earlier chunks: pending[0, pendingLen)
  let pendingLen = 0;
  let overLen = -1; // ≥ 0 once the current line is known to be too long: its raw length so far
  let lastByte = -1; // last raw byte of a too-long line (for the CR of a CRLF)

  const absorb = (chunk: Buffer, from: number, to: number): void => {
    const add = to - from;
    if (add === 0) return;
    if (overLen >= 0) {
      overLen += add;
      lastByte = chunk[to - 1];
      return;
    }
    // +1: a final '\r' is not content, so a line of max bytes plus CR is still within the limit.
    if (pendingLen + add > max + 1) {
      overLen = pendingLen + add;
      lastByte = chunk[to - 1];
      pendingLen = 0;
      pending = EMPTY; // do not hold a huge buffer for the rest of the file
      return;
    }
    if (pendingLen + add > pending.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(max + 1, Math.max(pendingLen + add, pending.length * 2, 1024)),
      );
      pending.copy(grown, 0, 0, pendingLen);
      pending = grown;
    }
    chunk.copy(pending, pendingLen, from, to);
    pendingLen += add;
  };

  // The line assembled in `pending` (or counted in overLen), ended by a newline or by the end of the file.
  const finishCarried = (terminated: boolean): RawLine => {
    let line: RawLine;
    if (overLen >= 0) {
      const length = overLen - (lastByte === CR ? 1 : 0);
      line = { line: lineNo, offset: lineStart, bytes: EMPTY, terminated, tooLong: length };
    } else {
      const length = pendingLen > 0 && pending[pendingLen - 1] === CR ? pendingLen - 1 : pendingLen;
      line =
        length > max
          ? { line: lineNo, offset: lineStart, bytes: EMPTY, terminated, tooLong: length }
          : { line: lineNo, offset: lineStart, bytes: pending.subarray(0, length), terminated };
    }
    pendingLen = 0;
    overLen = -1;
    lastByte = -1;
    return line;
  };

  for await (const chunk of withoutBom(source, info)) {
    if (base < 0) base = lineStart = info.bomBytes;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) {
        absorb(chunk, i, n);
        break;
      }
      lineNo++;
      if (pendingLen === 0 && overLen < 0) {
        const end = nl > i && chunk[nl - 1] === CR ? nl - 1 : nl;
        const length = end - i;
        yield length > max
          ? { line: lineNo, offset: lineStart, bytes: EMPTY, terminated: true, tooLong: length }
          : { line: lineNo, offset: lineStart, bytes: chunk.subarray(i, end), terminated: true };
      } else {
        absorb(chunk, i, nl);
        yield finishCarried(true);
      }
      i = nl + 1;
      lineStart = base + i;
    }
    base += n;
  }
  if (pendingLen > 0 || overLen >= 0) {
    lineNo++;
    yield finishCarried(false);
  }
}

// ---------------------------------------------------------------------------------------------------------
// JSON array files

/** True when the first non-whitespace byte after an optional BOM is '[' (gzip files are looked into). */
export async function isJsonArrayFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const gz = await isGzipHandle(fh);
    const chunks = gz ? gunzipChunks(file, 64 * 1024) : readChunks(fh, 64 * 1024);
    for await (const chunk of withoutBom(chunks, { bomBytes: 0 })) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
        return c === 0x5b; // '['
      }
    }
    return false;
  } catch (err) {
    if (err instanceof DataError) return false; // damaged gzip: not something we can read as an array
    throw err;
  } finally {
    await fh.close();
  }
}

// V8's longest string is about 2^29 characters; the whole array is decoded and checked at once.
const MAX_ARRAY_FILE_BYTES = 512 * 1024 * 1024;

/**
 * The top-level elements of a file holding one JSON array. The whole file is read and checked first, so
 * any syntax error (in the array or inside an element) throws a DataError located at file:line:column
 * before anything is yielded. Each element comes as a RawLine: `line` where it starts, `offset` its byte
 * offset, `bytes` its JSON text (which may span several lines).
 */
export async function* readJsonArrayElements(file: string, opts?: LineReadOptions): AsyncGenerator<RawLine> {
  const { max } = resolveLineOptions(opts);
  let buf = await readFile(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new DataError(
        `${file}: the gzip data is damaged (${(err as Error).message}); re-download or re-compress it`,
      );
    }
  }
  const start = startsWithBom(buf) ? 3 : 0;
  const body = buf.subarray(start);
  if (body.length > MAX_ARRAY_FILE_BYTES) {
    throw new DataError(
      `${file} is a ${Math.round(body.length / 2 ** 20)} MB JSON array, too large to read at once; convert it to JSONL (one record per line)`,
    );
  }
  checkArrayText(file, body);

  // The text is valid JSON: a plain structural scan finds where each top-level element starts and ends.
  let pos = skipJsonWs(body, 0) + 1; // past the '['
  const lines = new LineCounter(body);
  for (;;) {
    pos = skipJsonWs(body, pos);
    if (body[pos] === 0x5d) return; // ']'
    const from = pos;
    pos = skipJsonValue(body, pos);
    const length = pos - from;
    const line = lines.lineAt(from);
    const column = body.subarray(body.lastIndexOf(LF, from - 1) + 1, from).toString('utf8').length + 1;
    yield length > max
      ? { line, column, offset: start + from, bytes: EMPTY, terminated: true, tooLong: length }
      : { line, column, offset: start + from, bytes: body.subarray(from, pos), terminated: true };
    pos = skipJsonWs(body, pos);
    if (body[pos] === 0x2c) pos++; // ','; anything else is the closing ']' (the text was checked)
  }
}

/** Throws a located DataError unless `body` is UTF-8 holding one JSON array. */
function checkArrayText(file: string, body: Buffer): void {
  const decoded = decodeLine(body);
  if (!decoded.ok) {
    const lineStart = body.lastIndexOf(LF, decoded.byteOffset - 1) + 1;
    const line = new LineCounter(body).lineAt(decoded.byteOffset);
    const column = body.subarray(lineStart, decoded.byteOffset).toString('utf8').length + 1;
    throw located(file, line, column, decoded.message.replace(/ at byte \d+/, ''), 'invalid-utf8');
  }
  const text = decoded.text;
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    const { line, column } = textPosition(text, err.offset);
    throw located(file, line, column, `the JSON array is malformed: ${err.message}`, 'invalid-json');
  }
  if (!Array.isArray(value)) {
    const at = text.search(/\S/);
    const { line, column } = textPosition(text, Math.max(at, 0));
    throw located(file, line, column, 'expected a JSON array ([…]) at the top level', 'invalid-json');
  }
}

function located(
  file: string,
  line: number,
  column: number,
  message: string,
  code: DataProblem['code'],
): DataError {
  const problem: DataProblem = { file, line, column, path: '', message, severity: 'error', code };
  return new DataError(`${file}:${line}:${column}: ${message}`, [problem]);
}

/** 1-based line and UTF-16 column of a 0-based UTF-16 offset. */
function textPosition(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Line numbers of increasing byte offsets, counting newlines once. */
class LineCounter {
  private pos = 0;
  private line = 1;
  constructor(private readonly bytes: Buffer) {}
  lineAt(offset: number): number {
    if (offset < this.pos) {
      this.pos = 0;
      this.line = 1;
    }
    for (
      let i = this.bytes.indexOf(LF, this.pos);
      i !== -1 && i < offset;
      i = this.bytes.indexOf(LF, i + 1)
    ) {
      this.line++;
    }
    this.pos = offset;
    return this.line;
  }
}

function skipJsonWs(b: Buffer, pos: number): number {
  while (pos < b.length) {
    const c = b[pos];
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
    else break;
  }
  return pos;
}

/** End of the (valid) JSON value starting at pos. */
function skipJsonValue(b: Buffer, pos: number): number {
  let depth = 0;
  while (pos < b.length) {
    const c = b[pos];
    if (c === 0x22) {
      pos = skipJsonString(b, pos);
      if (depth === 0) return pos;
      continue;
    }
    if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === 0) return pos + 1;
      if (depth < 0) return pos; // the ']' closing the outer array: a scalar ended here
    } else if (depth === 0 && (c === 0x2c || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) {
      return pos; // end of a scalar
    }
    pos++;
  }
  return pos;
}

function skipJsonString(b: Buffer, pos: number): number {
  pos++; // opening quote
  for (;;) {
    const q = b.indexOf(0x22, pos);
    if (q < 0) return b.length;
    // The quote is escaped when an odd number of backslashes precede it.
    let slashes = 0;
    while (b[q - 1 - slashes] === 0x5c) slashes++;
    if (slashes % 2 === 0) return q + 1;
    pos = q + 1;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Strict UTF-8

export type DecodedLine =
  | { ok: true; text: string }
  | {
      ok: false;
      /** 0-based offset of the first byte of the first invalid sequence. */
      byteOffset: number;
      /** 1-based UTF-16 column that byte lands on. */
      column: number;
      message: string;
    };

/** Strict UTF-8 decoding: no U+FFFD substitution; on failure, where and what the first bad byte is. */
export function decodeLine(bytes: Buffer): DecodedLine {
  if (isUtf8(bytes)) return { ok: true, text: bytes.toString('utf8') };
  const { at, cutShort } = firstInvalidUtf8(bytes);
  const column = bytes.subarray(0, at).toString('utf8').length + 1;
  const hex = `0x${(bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
  const what = cutShort ? `incomplete UTF-8 sequence starting with byte ${hex}` : `invalid UTF-8 byte ${hex}`;
  return {
    ok: false,
    byteOffset: at,
    column,
    message: `${what} at byte ${at} — the file is not UTF-8 (re-save it as UTF-8)`,
  };
}

/**
 * Offset of the first byte of the first ill-formed sequence (the same place TextDecoder puts its first
 * U+FFFD): overlong forms, surrogates and code points above U+10FFFF are ill-formed. Only called when
 * isUtf8 already said no.
 */
function firstInvalidUtf8(b: Uint8Array): { at: number; cutShort: boolean } {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // no overlongs
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90; // no overlongs
      if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else {
      return { at: i, cutShort: false }; // a continuation byte, or a byte never valid in UTF-8
    }
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      // Cut short: the line ends, or a byte that is no continuation byte interrupts the sequence;
      // otherwise the sequence is complete but encodes an overlong form, a surrogate or > U+10FFFF.
      if (d === undefined || d < min || d > max)
        return { at: i, cutShort: d === undefined || d < 0x80 || d > 0xbf };
    }
    i += need + 1;
  }
  return { at: n, cutShort: false };
}
