/**
 * From a file on disk to located preference pairs and problems: bytes → lines → UTF-8 → JSON → format
 * reader → quality checks. Everything the CLI and the extension do with whole files goes through here.
 */
import { existsSync, statSync } from 'node:fs';
import type { DatasetStats, ValidationResult } from './api';
import { QualityChecker } from './checks';
import { detectFormat, getReader } from './formats';
import type { FormatId, FormatReader, RecordProblem } from './formats/types';
import { JsonSyntaxError, locatePath, parseJson } from './json';
import { LengthColumn, logEdges, summarizeLengths } from './lengthStats';
import { decodeLine, isBlank, isJsonArrayFile, readJsonArrayElements, readLines, type RawLine } from './lines';
import { DataError, type DataProblem } from './problems';
import { charLength, isConversation, type PreferencePair } from './record';

export interface ReadOptions {
  /** Force a format instead of detecting it. */
  from?: FormatId;
  signal?: AbortSignal;
  /** How many records detection looks at. */
  detectSample?: number;
}

/** One pair with where it came from. */
export interface PairItem {
  kind: 'pair';
  pair: PreferencePair;
  line: number;
  /** The source line's bytes (a copy), for tools that write records back verbatim. */
  raw: Buffer;
  /** Position of this pair among the pairs its line produced (ranked records yield several). */
  indexInLine: number;
}

export interface ProblemItem {
  kind: 'problem';
  problem: DataProblem;
  /** True when the line produced no pair because of this problem. */
  dropsLine: boolean;
}

export type ReadItem = PairItem | ProblemItem;

/** Counters a reader keeps as it goes; final once iteration ends. */
export interface ReadCounters {
  lines: number;
  blankLines: number;
  /** Lines that yielded no pair because of an error. */
  invalidLines: number;
  /** Valid lines that hold no preference (ties). */
  skippedLines: number;
  pairs: number;
}

interface ParsedLine {
  raw: RawLine;
  text: string;
  value?: Record<string, unknown>;
  problem?: DataProblem;
}

function fileProblem(file: string, line: number, column: number, path: string, message: string, code: DataProblem['code']): DataProblem {
  return { file, line, column, path, message, severity: 'error', code };
}

/** Line and 1-based column of a UTF-16 offset inside a record that starts at `raw.line`. */
function positionIn(raw: RawLine, text: string, offset: number): { line: number; column: number } {
  let line = raw.line;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  // On the record's first line, count from where the record starts (an indented array element).
  const startColumn = line === raw.line ? (raw.column ?? 1) : 1;
  return { line, column: startColumn + offset - lineStart };
}

function parseLine(file: string, raw: RawLine): ParsedLine {
  if (raw.tooLong !== undefined) {
    const mb = (raw.tooLong / 2 ** 20).toFixed(1);
    return {
      raw,
      text: '',
      problem: fileProblem(file, raw.line, 1, '', `the line is ${mb} MiB, over the reader's limit — split this record or raise the limit`, 'line-too-long'),
    };
  }
  const decoded = decodeLine(raw.bytes);
  if (!decoded.ok) {
    return { raw, text: '', problem: fileProblem(file, raw.line, decoded.column, '', decoded.message, 'invalid-utf8') };
  }
  const text = decoded.text;
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const at = positionIn(raw, text, e.offset);
    const hint = raw.terminated ? '' : ' This is the last line and it has no newline: a write may have been cut short.';
    return { raw, text, problem: fileProblem(file, at.line, at.column, '', `not valid JSON: ${e.message}.${hint}`, 'invalid-json') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    return {
      raw,
      text,
      problem: fileProblem(file, raw.line, 1, '', `the line is ${what}, not a JSON object — each line must be one preference record {…}`, 'not-an-object'),
    };
  }
  return { raw, text, value: value as Record<string, unknown> };
}

async function* rawLinesOf(file: string): AsyncGenerator<RawLine> {
  if (!existsSync(file)) throw new DataError(`${file}: no such file — check the path`);
  if (statSync(file).isDirectory()) throw new DataError(`${file}: is a folder, not a preference file`);
  if (/\.json$/i.test(file) && (await isJsonArrayFile(file))) yield* readJsonArrayElements(file);
  else yield* readLines(file);
}

/**
 * Reads a preference file lazily. `open` detects the format from the first records (unless forced);
 * `items()` then yields every pair and problem in file order.
 */
export class PreferenceFileReader {
  readonly counters: ReadCounters = { lines: 0, blankLines: 0, invalidLines: 0, skippedLines: 0, pairs: 0 };
  /** Ids that later lines withdraw (`meta.retracts`: the annotator's undo and re-judge); complete once items() ends. */
  readonly retracted = new Set<string>();

  private constructor(
    readonly file: string,
    readonly format: FormatId,
    readonly formatReason: string,
    private readonly reader: FormatReader,
    private readonly head: ParsedLine[],
    private readonly rest: AsyncGenerator<RawLine>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async open(file: string, opts: ReadOptions = {}): Promise<PreferenceFileReader> {
    const lines = rawLinesOf(file);
    const head: ParsedLine[] = [];
    const sampleSize = opts.detectSample ?? 64;
    let objects = 0;
    // Parse lines until the sample is full; they are replayed by items().
    while (objects < sampleSize) {
      const next = await lines.next();
      if (next.done) break;
      const raw = { ...next.value, bytes: Buffer.from(next.value.bytes) };
      if (raw.tooLong === undefined && isBlank(raw.bytes)) {
        head.push({ raw, text: '' });
        continue;
      }
      const parsed = parseLine(file, raw);
      head.push(parsed);
      if (parsed.value) objects++;
    }
    let format: FormatId;
    let reason: string;
    if (opts.from) {
      format = opts.from;
      reason = `forced (--from ${opts.from})`;
    } else {
      const sample = head.flatMap((h) => (h.value ? [h.value] : []));
      if (sample.length === 0) {
        const firstProblem = head.find((h) => h.problem)?.problem;
        throw new DataError(
          firstProblem
            ? `${file}: no readable record in the first ${head.length} lines, so the format cannot be detected (first problem: line ${firstProblem.line}: ${firstProblem.message})`
            : `${file}: the file holds no records`,
          firstProblem ? [firstProblem] : [],
        );
      }
      const detected = detectFormat(sample);
      format = detected.format;
      reason = detected.reason;
    }
    return new PreferenceFileReader(file, format, reason, getReader(format), head, lines, opts.signal);
  }

  async *items(): AsyncGenerator<ReadItem> {
    for (const parsed of this.head) yield* this.process(parsed);
    for await (const raw of this.rest) {
      if (this.signal?.aborted) throw new DataError(`${this.file}: cancelled`);
      if (raw.tooLong === undefined && isBlank(raw.bytes)) {
        this.counters.lines++;
        this.counters.blankLines++;
        continue;
      }
      yield* this.process(parseLine(this.file, raw));
    }
  }

  private *process(parsed: ParsedLine): Generator<ReadItem> {
    const c = this.counters;
    c.lines++;
    if (!parsed.value && !parsed.problem) {
      c.blankLines++;
      return;
    }
    if (parsed.problem) {
      c.invalidLines++;
      yield { kind: 'problem', problem: parsed.problem, dropsLine: true };
      return;
    }
    const meta = (parsed.value as { meta?: { retracts?: unknown } }).meta;
    if (typeof meta?.retracts === 'string') this.retracted.add(meta.retracts);
    const result = this.reader.read(parsed.value!);
    const hasError = result.problems.some((p) => p.severity === 'error');
    for (const p of result.problems) {
      yield { kind: 'problem', problem: this.locate(parsed, p), dropsLine: result.pairs.length === 0 && p.severity === 'error' };
    }
    if (result.pairs.length === 0) {
      if (hasError) c.invalidLines++;
      else c.skippedLines++;
      return;
    }
    const raw = Buffer.from(parsed.raw.bytes);
    for (let i = 0; i < result.pairs.length; i++) {
      c.pairs++;
      yield { kind: 'pair', pair: result.pairs[i], line: parsed.raw.line, raw, indexInLine: i };
    }
  }

  private locate(parsed: ParsedLine, p: RecordProblem): DataProblem {
    const offset = locatePath(parsed.text, p.path);
    const at = offset === undefined ? { line: parsed.raw.line, column: 1 } : positionIn(parsed.raw, parsed.text, offset);
    return { file: this.file, line: at.line, column: at.column, path: p.path, message: p.message, severity: p.severity, code: p.code };
  }
}

/** Every pair of a file, with problems; throws DataError when the file cannot be read at all. */
export async function readAllPairs(file: string, opts: ReadOptions = {}): Promise<{ pairs: PairItem[]; problems: DataProblem[]; format: FormatId }> {
  const reader = await PreferenceFileReader.open(file, opts);
  const pairs: PairItem[] = [];
  const problems: DataProblem[] = [];
  for await (const item of reader.items()) {
    if (item.kind === 'pair') pairs.push(item);
    else problems.push(item.problem);
  }
  // A judgement withdrawn by a later line (undo, or judged again) is not a pair to train on.
  const kept = reader.retracted.size === 0 ? pairs : pairs.filter((p) => p.pair.id === undefined || !reader.retracted.has(p.pair.id));
  reader.counters.skippedLines += pairs.length - kept.length;
  reader.counters.pairs -= pairs.length - kept.length;
  return { pairs: kept, problems, format: reader.format };
}

export async function validateFile(
  file: string,
  opts: ReadOptions & { maxProblems?: number } = {},
): Promise<ValidationResult> {
  const max = opts.maxProblems && opts.maxProblems > 0 ? opts.maxProblems : Infinity;
  const reader = await PreferenceFileReader.open(file, opts);
  const checker = new QualityChecker(file);
  const problems: DataProblem[] = [];
  let omitted = 0;
  const add = (p: DataProblem): void => {
    if (problems.length < max) problems.push(p);
    else omitted++;
  };
  const ids: string[] = [];
  for await (const item of reader.items()) {
    if (item.kind === 'problem') add(item.problem);
    else {
      if (item.pair.id !== undefined) ids.push(item.pair.id);
      for (const p of checker.check(item.pair, item.line)) add(p);
    }
  }
  // Judgements a later line withdraws (undo, judged again) are not pairs, as readAllPairs has it.
  const withdrawn = reader.retracted.size === 0 ? 0 : ids.filter((id) => reader.retracted.has(id)).length;
  return {
    file,
    format: reader.format,
    formatReason: reader.formatReason,
    records: reader.counters.pairs - withdrawn,
    problems,
    problemsOmitted: omitted,
  };
}

export async function computeStats(file: string, opts: ReadOptions = {}): Promise<DatasetStats> {
  const reader = await PreferenceFileReader.open(file, opts);
  const checker = new QualityChecker(file);
  const prompt = new LengthColumn();
  const chosen = new LengthColumn();
  const rejected = new LengthColumn();
  let longer = 0;
  let equal = 0;
  let conversational = 0;
  let withMargin = 0;
  const byAnnotator = new Map<string, { records: number; longer: number }>();
  for await (const item of reader.items()) {
    if (item.kind !== 'pair') continue;
    const pair = item.pair;
    checker.check(pair, item.line);
    const lc = charLength(pair.chosen);
    const lr = charLength(pair.rejected);
    prompt.push(charLength(pair.prompt));
    chosen.push(lc);
    rejected.push(lr);
    if (lc > lr) longer++;
    else if (lc === lr) equal++;
    if (isConversation(pair.chosen) || isConversation(pair.prompt)) conversational++;
    if (typeof pair.margin === 'number') withMargin++;
    const annotator = pair.meta?.annotator;
    if (typeof annotator === 'string') {
      const a = byAnnotator.get(annotator) ?? { records: 0, longer: 0 };
      a.records++;
      if (lc > lr) a.longer++;
      byAnnotator.set(annotator, a);
    }
  }
  const n = reader.counters.pairs;
  const rate = (k: number): number => (n ? k / n : 0);
  // Chosen and rejected share bins so their histograms can be drawn side by side.
  const responseEdges = logEdges(Math.max(maxOf(chosen), maxOf(rejected)));
  return {
    file,
    format: reader.format,
    lines: reader.counters.lines,
    blankLines: reader.counters.blankLines,
    records: n,
    invalid: reader.counters.invalidLines,
    skipped: reader.counters.skippedLines,
    duplicates: checker.counts.duplicates,
    identical: checker.counts.identical,
    emptySides: checker.counts.emptySides,
    contradictions: checker.counts.contradictions,
    conversational,
    withMargin,
    prompts: checker.distinctPrompts,
    lengths: {
      prompt: summarizeLengths(prompt),
      chosen: summarizeLengths(chosen, responseEdges),
      rejected: summarizeLengths(rejected, responseEdges),
    },
    chosenLongerRate: rate(longer),
    equalLengthRate: rate(equal),
    lengthBaselineAccuracy: rate(longer + equal / 2),
    annotators: [...byAnnotator.entries()]
      .map(([annotator, a]) => ({ annotator, records: a.records, chosenLongerRate: a.longer / a.records }))
      .sort((x, y) => y.records - x.records),
  };
}

function maxOf(column: LengthColumn): number {
  let m = 0;
  for (const v of column.values()) if (v > m) m = v;
  return m;
}

