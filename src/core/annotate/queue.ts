/**
 * The items to judge, read from a workspace JSONL. Each line is one of:
 *
 *   {prompt, responses: [r1, r2, …]}        two or more responses; pairs by the pairing strategy
 *   {prompt, response_a, response_b}        one pair
 *   {prompt?, chosen, rejected}             an existing TRL pair, to judge again or audit
 *
 * Responses and prompts are text or chat messages (mixed on one line, the text ones become messages: see
 * `oneForm`). A line that is none of these is reported (file:line)
 * and skipped; the rest opens. Opening indexes line offsets only (JsonlStore: one pass, no parsing), so a
 * million-line queue shows its first item at once; lines are parsed when they are reached. `scan()` reads
 * the whole file in the background for the item count and every malformed line.
 */
import { createHash } from 'node:crypto';
import { stringifyJson, JsonSyntaxError, parseJson } from '../data/json';
import { decodeLine, isBlank, readLines } from '../data/lines';
import { trlReader } from '../data/formats/trl';
import { isConversation, type TextOrConversation } from '../data/record';
import type { DataProblem, ProblemCode } from '../data/problems';
import { JsonlStore } from '../data/store';
import { responseHash } from './record';

/** Which pairs a line of three or more responses gives: every pair, or neighbours (r1–r2, r2–r3, …). */
export type PairingStrategy = 'all' | 'adjacent';

export type QueueLineShape = 'responses' | 'ab' | 'pair';

/** One pair to judge. `a` and `b` are in queue order; the screen order is the session's business. */
export interface QueueItem {
  id: string;
  prompt: TextOrConversation;
  a: TextOrConversation;
  b: TextOrConversation;
  shape: QueueLineShape;
  /** 1-based line in the queue file. */
  line: number;
  /** Position among the pairs of its line (0 for a line with one pair). */
  pairIndex: number;
  /** For a `responses` line: the indices of a and b in the list. */
  responseIndices?: [number, number];
}

/** Where an item stands: record `record` of the store (its non-blank lines), pair `pair` of it. */
export interface QueuePosition {
  record: number;
  pair: number;
}

export interface ParsedQueueLine {
  shape?: QueueLineShape;
  pairs: Array<{ prompt: TextOrConversation; a: TextOrConversation; b: TextOrConversation; indices?: [number, number] }>;
  problem?: { path: string; code: ProblemCode; message: string };
}

/**
 * The item id: sha256 over the prompt and the two responses' own hashes, sorted — so the id does not
 * depend on the file, the line, or which response came first. The same pair of responses to the same
 * prompt is the same item everywhere: a re-judge of an exported TRL file meets the original judgements,
 * and a queue edited above an item keeps its judgements. (Two identical lines are one item.)
 */
export function itemIdOf(prompt: TextOrConversation, a: TextOrConversation, b: TextOrConversation): string {
  const [x, y] = [responseHash(a), responseHash(b)].sort();
  return createHash('sha256').update(`rs-item-v1\u0000${stringifyJson(prompt)}\u0000${x}\u0000${y}`).digest('hex').slice(0, 32);
}

export function pairIndices(n: number, pairing: PairingStrategy): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (pairing === 'adjacent') {
    for (let i = 0; i + 1 < n; i++) out.push([i, i + 1]);
  } else {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push([i, j]);
  }
  return out;
}

/**
 * One form per pair, as TRL requires: when any of prompt, a, b is a list of messages, a plain-text prompt
 * becomes one user message and a plain-text response one assistant message.
 */
function oneForm(prompt: TextOrConversation, a: TextOrConversation, b: TextOrConversation): { prompt: TextOrConversation; a: TextOrConversation; b: TextOrConversation } {
  if (typeof prompt === 'string' && typeof a === 'string' && typeof b === 'string') return { prompt, a, b };
  const as = (role: string, x: TextOrConversation): TextOrConversation => (typeof x === 'string' ? [{ role, content: x }] : x);
  return { prompt: as('user', prompt), a: as('assistant', a), b: as('assistant', b) };
}

function isSide(value: unknown): value is TextOrConversation {
  return typeof value === 'string' || isConversation(value);
}

const SIDE = 'a string or a list of {role, content} messages';

/** Reads one parsed queue line. Never throws for bad data: a problem comes back instead of pairs. */
export function parseQueueLine(value: unknown, pairing: PairingStrategy): ParsedQueueLine {
  const fail = (path: string, code: ProblemCode, message: string): ParsedQueueLine => ({ pairs: [], problem: { path, code, message } });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('', 'not-an-object', 'the line is not a JSON object — each queue line must be one item {prompt, responses} or {prompt, response_a, response_b} or {prompt, chosen, rejected}');
  }
  const r = value as Record<string, unknown>;
  if ('responses' in r) {
    if (!isSide(r.prompt)) return fail('prompt', r.prompt === undefined ? 'missing-field' : 'wrong-type', `\`prompt\` must be ${SIDE}`);
    const list = r.responses;
    if (!Array.isArray(list)) return fail('responses', 'wrong-type', '`responses` must be a list of two or more responses');
    if (list.length < 2) return fail('responses', 'invalid-value', `\`responses\` has ${list.length} response${list.length === 1 ? '' : 's'}; an item needs at least two to compare`);
    const bad = list.findIndex((x) => !isSide(x));
    if (bad >= 0) return fail(`responses[${bad}]`, 'wrong-type', `\`responses[${bad}]\` must be ${SIDE}`);
    const sides = list as TextOrConversation[];
    return {
      shape: 'responses',
      pairs: pairIndices(sides.length, pairing).map(([i, j]) => ({ ...oneForm(r.prompt as TextOrConversation, sides[i], sides[j]), indices: [i, j] })),
    };
  }
  if ('response_a' in r || 'response_b' in r) {
    if (!isSide(r.prompt)) return fail('prompt', r.prompt === undefined ? 'missing-field' : 'wrong-type', `\`prompt\` must be ${SIDE}`);
    for (const key of ['response_a', 'response_b']) {
      if (!isSide(r[key])) return fail(key, r[key] === undefined ? 'missing-field' : 'wrong-type', `\`${key}\` must be ${SIDE}`);
    }
    return { shape: 'ab', pairs: [oneForm(r.prompt, r.response_a as TextOrConversation, r.response_b as TextOrConversation)] };
  }
  if ('chosen' in r || 'rejected' in r) {
    // The TRL reader itself, so an implicit prompt is split off exactly as training would.
    const read = trlReader.read(r);
    const pair = read.pairs[0];
    if (!pair) {
      const p = read.problems.find((x) => x.severity === 'error') ?? read.problems[0];
      return fail(p?.path ?? '', p?.code ?? 'invalid-value', p?.message ?? 'the pair could not be read');
    }
    return { shape: 'pair', pairs: [{ prompt: pair.prompt, a: pair.chosen, b: pair.rejected }] };
  }
  return fail('', 'unknown-format', 'not a queue item: expected {prompt, responses: [≥2]}, {prompt, response_a, response_b} or {prompt, chosen, rejected}');
}

/** Lines read one by one through the index before itemFrom switches to a sequential read. */
const DIRECT_READS = 64;

export interface QueueOptions {
  pairing?: PairingStrategy;
}

export interface QueueScan {
  /** Items in the whole queue. */
  items: number;
  /** Lines that gave items. */
  lines: number;
  problems: DataProblem[];
}

export class AnnotationQueue {
  readonly pairing: PairingStrategy;
  /** Malformed lines met so far (by navigation or scan), by line. */
  private readonly found = new Map<number, DataProblem>();
  private cached: { record: number; items: QueueItem[] } | undefined;

  private constructor(
    readonly file: string,
    private readonly store: JsonlStore,
    opts: QueueOptions,
  ) {
    this.pairing = opts.pairing ?? 'all';
  }

  static async open(file: string, opts: QueueOptions = {}): Promise<AnnotationQueue> {
    if (opts.pairing !== undefined && opts.pairing !== 'all' && opts.pairing !== 'adjacent') {
      throw new RangeError(`pairing must be 'all' or 'adjacent', got ${String(opts.pairing)}`);
    }
    return new AnnotationQueue(file, await JsonlStore.open(file), opts);
  }

  /** Non-blank lines (each gives zero or more items). */
  get records(): number {
    return this.store.count;
  }

  /** Malformed lines met so far, in line order. After `scan()`, all of them. */
  get problems(): DataProblem[] {
    return [...this.found.values()].sort((x, y) => x.line - y.line);
  }

  /** The items of record `record` (none for a malformed line, which is then in `problems`). */
  async itemsAt(record: number): Promise<QueueItem[]> {
    if (this.cached?.record === record) return this.cached.items;
    const line = this.store.lineOf(record);
    let bytes: Buffer;
    try {
      bytes = await this.store.readBytes(record);
    } catch (err) {
      const p = (err as { problems?: DataProblem[] }).problems?.[0];
      if (!p) throw err;
      this.found.set(line, p);
      return [];
    }
    const items = this.itemsOfLine(bytes, line);
    this.cached = { record, items };
    return items;
  }

  /** The items of the record on 1-based file line `line` (none for a blank, malformed or unknown line). */
  async itemsOnLine(line: number): Promise<QueueItem[]> {
    const record = this.store.indexOfLine(line);
    return record === undefined ? [] : this.itemsAt(record);
  }

  /**
   * The first item at or after `from` that `skip` does not pass over, with its position; undefined past
   * the end. A short walk reads line by line through the index; a long one (resuming after thousands of
   * judged items) switches to one sequential read — one positioned read per line costs a thread-pool
   * round trip each, ~10× slower.
   */
  async itemFrom(from: QueuePosition, skip?: (item: QueueItem) => boolean): Promise<{ item: QueueItem; at: QueuePosition } | undefined> {
    let { record, pair } = from;
    const direct = Math.min(this.store.count, record + DIRECT_READS);
    for (; record < direct; record++, pair = 0) {
      const items = await this.itemsAt(record);
      for (; pair < items.length; pair++) {
        if (!skip?.(items[pair])) return { item: items[pair], at: { record, pair } };
      }
    }
    if (record >= this.store.count) return undefined;
    const fromLine = this.store.lineOf(record);
    for await (const raw of readLines(this.file)) {
      if (raw.line < fromLine || raw.tooLong !== undefined || isBlank(raw.bytes)) continue;
      const items = this.itemsOfLine(raw.bytes, raw.line);
      for (; pair < items.length; pair++) {
        if (skip?.(items[pair])) continue;
        const at = this.store.indexOfLine(raw.line);
        // The file changed under the index (an edit of the queue): fall back to the line-by-line walk.
        if (at === undefined) break;
        this.cached = { record: at, items };
        return { item: items[pair], at: { record: at, pair } };
      }
      pair = 0;
    }
    return undefined;
  }

  /**
   * Reads every line once, sequentially (not through the index): the number of items and every
   * malformed line. Takes about a second per million short lines; run it in the background.
   */
  async scan(signal?: AbortSignal): Promise<QueueScan> {
    let items = 0;
    let lines = 0;
    for await (const raw of readLines(this.file)) {
      if (signal?.aborted) throw new Error(`${this.file}: scan cancelled`);
      if (raw.tooLong === undefined && isBlank(raw.bytes)) continue;
      if (raw.tooLong !== undefined) {
        this.found.set(raw.line, problem(this.file, raw.line, '', 'line-too-long', `the line is ${raw.tooLong} bytes, over the reader's limit`));
        continue;
      }
      const n = this.countLine(raw.bytes, raw.line);
      if (n > 0) {
        items += n;
        lines++;
      }
    }
    return { items, lines, problems: this.problems };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private parse(bytes: Buffer, line: number): ParsedQueueLine | undefined {
    const decoded = decodeLine(bytes);
    if (!decoded.ok) {
      this.found.set(line, problem(this.file, line, '', 'invalid-utf8', decoded.message, decoded.column));
      return undefined;
    }
    let value: unknown;
    try {
      value = parseJson(decoded.text);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      this.found.set(line, problem(this.file, line, '', 'invalid-json', `not valid JSON: ${err.message}`, err.offset + 1));
      return undefined;
    }
    const parsed = parseQueueLine(value, this.pairing);
    if (parsed.problem) {
      this.found.set(line, problem(this.file, line, parsed.problem.path, parsed.problem.code, parsed.problem.message));
      return undefined;
    }
    return parsed;
  }

  private itemsOfLine(bytes: Buffer, line: number): QueueItem[] {
    const parsed = this.parse(bytes, line);
    if (!parsed?.shape) return [];
    const shape = parsed.shape;
    return parsed.pairs.map((p, pairIndex) => {
      const item: QueueItem = { id: itemIdOf(p.prompt, p.a, p.b), prompt: p.prompt, a: p.a, b: p.b, shape, line, pairIndex };
      if (p.indices) item.responseIndices = p.indices;
      return item;
    });
  }

  private countLine(bytes: Buffer, line: number): number {
    return this.parse(bytes, line)?.pairs.length ?? 0;
  }
}

function problem(file: string, line: number, path: string, code: ProblemCode, message: string, column = 1): DataProblem {
  return { file, line, column, path, message, severity: 'error', code };
}
