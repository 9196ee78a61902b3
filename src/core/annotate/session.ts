/**
 * One annotator judging one queue into one judgements file: the state machine under the annotation UI.
 *
 * - The judgements file is the only state that outlives the session. Every judgement is appended at once
 *   through AppendWriter (one line, one write, read back, fsynced) before the session moves on; nothing is
 *   ever rewritten. Resume, progress and audits are recomputed from the file on open and on `refresh()`.
 * - Undo appends a retraction line (`meta.retracts`) instead of removing the judgement: another window, a
 *   second annotator or git may have appended after it, and no removal can be made atomic against an
 *   O_APPEND writer in another process (see README.md). Judging an item again (after `previous()`) writes
 *   the new judgement with `retracts` set to the old one: one line, so a crash never leaves both or none.
 * - The A/B order is drawn per item from (seed, item id), so going back shows the same order; the seed is
 *   written in every line.
 * - Order-swap audits: a share `audit.rate` of the annotator's preferences and ties is chosen by a hash of
 *   (annotator, item) — the same items in every session — and shown again with the sides swapped once
 *   `audit.gap` further judgements have been made (or when the queue runs out).
 */
import { randomInt, createHash } from 'node:crypto';
import { AppendWriter } from '../data/appendWriter';
import { JsonSyntaxError, parseJson } from '../data/json';
import { decodeLine, isBlank, readLines } from '../data/lines';
import type { PreferencePair, TextOrConversation } from '../data/record';
import type { DataProblem } from '../data/problems';
import { JsonlStore } from '../data/store';
import { annotationReport, type AnnotationReport } from './agreement';
import { AnnotationQueue, type PairingStrategy, type QueueItem, type QueuePosition, type QueueScan } from './queue';
import {
  effectiveJudgements,
  judgementEntryOf,
  judgementKey,
  judgementRecord,
  retractionRecord,
  serializeJudgement,
  type JudgementEntry,
  type JudgementMeta,
  type MarginScale,
  type Strength,
  type Verdict,
} from './record';

export interface AnnotationSessionOptions {
  queue: string;
  /** The judgements file (created if missing; its folder must exist). */
  output: string;
  annotator: string;
  pairing?: PairingStrategy;
  /** How the queue is named in `meta.source` (default: the `queue` path as given — pass a workspace-relative one). */
  sourceName?: string;
  /** Seed of the A/B order (default: random, 32 bits). Written in every line as `meta.orderSeed`. */
  seed?: number;
  /** sha256 of the annotation guidelines the annotator works under; written in every line. */
  guidelineSha256?: string;
  /** Strength → margin scale (default 'small': 0, 1/3, 2/3, 1). */
  marginScale?: MarginScale;
  /** Order-swap audits: share of judged items shown again swapped (0 = off, default), after `gap` (default 10) more judgements. */
  audit?: { rate: number; gap?: number };
  /** fdatasync each judgement (default true). */
  fsync?: boolean;
  /** Count the queue's items and find every malformed line in the background (default true). */
  scan?: boolean;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** The item on screen. */
export interface ShownItem {
  item: QueueItem;
  left: TextOrConversation;
  right: TextOrConversation;
  /** True when `item.b` is on the left. */
  flipped: boolean;
  /** Set for an order-swap audit of an item judged earlier. */
  audit?: { of: string };
  /** This annotator's judgement of this item, when it has one (an item revisited with `previous()`). */
  judged?: JudgementEntry;
}

export interface JudgeOptions {
  strength?: Strength;
  note?: string;
}

export interface Progress {
  /** Items this annotator has judged (ties and skips included; audits not), in the whole judgements file. */
  judged: number;
  /** Items in the queue; undefined until the background scan has counted them. */
  total?: number;
  audits: { done: number; pending: number };
}

/** What `refresh()` found in the judgements file. */
export interface ReconcileReport {
  /** The file was replaced or rewritten (not only appended to) and read again whole. */
  reindexed: boolean;
  /** Lines new since the last look that this session did not write (another window, annotator, git). */
  added: JudgementEntry[];
  /** Ids of judgement lines that were in the file and are gone (a hand edit, a checkout). */
  removed: string[];
  /** Of `removed`, the ones this session wrote: `restore()` appends them again. */
  lost: string[];
}

/** The state upcoming() moves along instead of the session's: judgements assumed made, their clock, the queue position. */
interface Lookahead {
  clock: number;
  frontier: QueuePosition;
  /** judgementKey of each item assumed judged. */
  judged: Set<string>;
  /** Item id → clock of its assumed judgement (not audits). */
  seq: Map<string, number>;
}

/** What upcoming() found. */
export interface Upcoming {
  items: ShownItem[];
  /** Nothing follows the last of `items` (the current item, when there are none): the queue is done. */
  end: boolean;
}

interface ScanState {
  result?: QueueScan;
  error?: unknown;
  done: Promise<QueueScan | undefined>;
}

export class AnnotationSession {
  readonly annotator: string;
  readonly seed: number;
  private readonly source: string;
  private readonly now: () => number;
  private readonly auditRate: number;
  private readonly auditGap: number;
  private guidelineSha256: string | undefined;

  /** Every judgement line of the file, in file order. */
  private entries: JudgementEntry[] = [];
  private ids = new Set<string>();
  /** This annotator's lines that count, by judgementKey. */
  private mine = new Map<string, JudgementEntry>();
  private effective: JudgementEntry[] = [];
  /** This annotator's judgement lines (not retractions) so far: the clock audits are due by. */
  private clock = 0;
  private seqOf = new Map<string, number>();
  /** Lines of the output that are not JSON (reported, never touched). */
  private badLines = new Map<number, DataProblem>();

  /** Lines this session wrote, by id: what `restore()` can put back. */
  private readonly written = new Map<string, string>();
  private readonly undoStack: Array<{ id: string; shown: ShownItem }> = [];
  private readonly back: ShownItem[] = [];
  private readonly forward: ShownItem[] = [];
  private frontier: QueuePosition = { record: 0, pair: 0 };
  /** Audits passed over with next(): not offered again until the queue runs out. */
  private readonly deferredAudits = new Set<string>();
  private readonly auditChoice = new Map<string, boolean>();
  private shown: ShownItem | undefined;
  private shownAt = 0;
  /** Changes seen since the last refresh() (judge() and undo() look at the file too). */
  private unreported: ReconcileReport = { reindexed: false, added: [], removed: [], lost: [] };
  private scanState: ScanState | undefined;
  private readonly scanAbort = new AbortController();
  /** Public operations run one at a time, in call order (a double click must not judge twice at once). */
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: AnnotationSessionOptions,
    readonly queue: AnnotationQueue,
    private readonly writer: AppendWriter,
    private readonly log: JsonlStore,
  ) {
    this.annotator = opts.annotator;
    this.seed = opts.seed ?? randomInt(0, 2 ** 32);
    this.source = opts.sourceName ?? opts.queue;
    this.now = opts.now ?? Date.now;
    this.auditRate = opts.audit?.rate ?? 0;
    this.auditGap = opts.audit?.gap ?? 10;
    this.guidelineSha256 = opts.guidelineSha256;
  }

  /** Opens the queue and the judgements file and shows the first item this annotator has not judged. */
  static async open(opts: AnnotationSessionOptions): Promise<AnnotationSession> {
    if (typeof opts.annotator !== 'string' || !opts.annotator.trim()) throw new RangeError('the annotator name is empty');
    const rate = opts.audit?.rate ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`audit.rate must be in [0, 1], got ${rate}`);
    const gap = opts.audit?.gap ?? 10;
    if (!(Number.isInteger(gap) && gap >= 0)) throw new RangeError(`audit.gap must be a whole number ≥ 0, got ${gap}`);
    const queue = await AnnotationQueue.open(opts.queue, { pairing: opts.pairing });
    let writer: AppendWriter | undefined;
    let log: JsonlStore | undefined;
    try {
      writer = await AppendWriter.open(opts.output, { fsync: opts.fsync });
      log = await JsonlStore.open(opts.output);
      const session = new AnnotationSession(opts, queue, writer, log);
      await session.loadAll();
      session.show(await session.nextNew());
      if (opts.scan ?? true) session.startScan();
      return session;
    } catch (err) {
      await log?.close();
      await writer?.close();
      await queue.close();
      throw err;
    }
  }

  /** The guidelines the annotator works under from now on (edited mid-session): their sha256, written in each judgement. */
  setGuidelineSha256(sha256: string | undefined): void {
    this.guidelineSha256 = sha256;
  }

  /** The item on screen; undefined when every item (and audit) has been judged. */
  get current(): ShownItem | undefined {
    return this.shown && this.withJudged(this.shown);
  }

  /**
   * The items judgements will show from here: the one a judgement of the current item shows, the one a
   * judgement of that shows, and so on, `count` at most — worked out now without moving anything, so a
   * view can show them while the lines are written. judge() decides again after each write and agrees,
   * unless the judgements file changes in between or a judgement turns an item of the way into a skip
   * (preferences and ties are assumed, as audits take them). Fewer items when the queue ends (`end`), or
   * where the next item depends on a judgement not made yet: an audit of an item judged on the way.
   */
  upcoming(count = 1): Promise<Upcoming> {
    return this.serial(async () => {
      const items: ShownItem[] = [];
      const forward = [...this.forward];
      const ahead: Lookahead = { clock: this.clock, frontier: this.frontier, judged: new Set(), seq: new Map() };
      let judging = this.shown;
      while (judging && items.length < count) {
        ahead.clock++;
        ahead.judged.add(judgementKey(this.annotator, judging.item.id, judging.audit !== undefined));
        if (!judging.audit) ahead.seq.set(judging.item.id, ahead.clock);
        const next = forward.length > 0 ? forward.pop() : await this.peekNew(ahead);
        if (next === 'unknown') return { items, end: false };
        if (!next) return { items, end: true };
        items.push(this.withJudged(next));
        judging = next;
      }
      return { items, end: judging === undefined };
    });
  }

  progress(): Progress {
    let judged = 0;
    let auditsDone = 0;
    for (const e of this.mine.values()) {
      if (e.audit) auditsDone++;
      else judged++;
    }
    const p: Progress = { judged, audits: { done: auditsDone, pending: this.pendingAudits().length } };
    if (this.scanState?.result) p.total = this.scanState.result.items;
    return p;
  }

  /** Malformed queue lines met so far (all of them once `scanned()` has resolved). */
  get queueProblems(): DataProblem[] {
    return this.queue.problems;
  }

  /** Lines of the judgements file that are not valid JSON. */
  get outputProblems(): DataProblem[] {
    return [...this.badLines.values()];
  }

  /** The background scan's result (undefined when scanning is off or failed). */
  scanned(): Promise<QueueScan | undefined> {
    return this.scanState?.done ?? Promise.resolve(undefined);
  }

  /** Agreement, self-consistency and bias over the whole judgements file (every annotator). */
  report(): AnnotationReport {
    return annotationReport(this.effective);
  }

  /**
   * Records a judgement of the current item and moves on. The line is in the file (written, read back,
   * fsynced) when this resolves. Judging an item that already has this annotator's judgement replaces it.
   */
  judge(verdict: Verdict, opts: JudgeOptions = {}): Promise<PreferencePair> {
    return this.serial(async () => {
      const shown = this.shown;
      if (!shown) throw new Error('there is no item to judge: the queue is done');
      if (!['left', 'right', 'tie', 'skip'].includes(verdict)) throw new RangeError(`unknown verdict ${String(verdict)}`);
      const audit = shown.audit !== undefined;
      const earlier = this.mine.get(judgementKey(this.annotator, shown.item.id, audit));
      const now = this.now();
      const record = judgementRecord({
        annotator: this.annotator,
        verdict,
        prompt: shown.item.prompt,
        left: shown.left,
        right: shown.right,
        itemId: shown.item.id,
        source: this.source,
        sourceLine: shown.item.line,
        pairIndex: shown.item.shape === 'responses' ? shown.item.pairIndex : undefined,
        time: new Date(now),
        timeOnItemMs: now - this.shownAt,
        strength: opts.strength,
        note: opts.note,
        marginScale: this.opts.marginScale,
        guidelineSha256: this.guidelineSha256,
        orderSeed: this.seed,
        audit: shown.audit,
        retracts: earlier?.id,
      });
      await this.append(record);
      this.undoStack.push({ id: record.id!, shown });
      this.back.push(shown);
      this.show(this.forward.pop() ?? (await this.nextNew()));
      return record;
    });
  }

  /**
   * Takes back this session's latest judgement that still counts: appends a retraction line and shows
   * that item again. False when there is nothing to undo.
   */
  undo(): Promise<boolean> {
    return this.serial(async () => {
      for (;;) {
        const top = this.undoStack.pop();
        if (!top) return false;
        const key = judgementKey(this.annotator, top.shown.item.id, top.shown.audit !== undefined);
        if (this.mine.get(key)?.id !== top.id) continue; // already replaced or retracted elsewhere
        const line = this.written.get(top.id)!;
        const original = parseJson(line) as PreferencePair & { id: string; meta: JudgementMeta };
        await this.append(retractionRecord(original, this.annotator, new Date(this.now())));
        if (this.shown) this.forward.push(this.shown);
        const i = this.back.lastIndexOf(top.shown);
        if (i >= 0) this.back.splice(i, 1);
        this.show(top.shown);
        return true;
      }
    });
  }

  /** Moves to the next item without judging this one (it stays unjudged, and comes back on reopen). */
  next(): Promise<ShownItem | undefined> {
    return this.serial(async () => {
      const s = this.shown;
      if (s) {
        this.back.push(s);
        if (s.audit) this.deferredAudits.add(s.item.id);
      }
      this.show(this.forward.pop() ?? (await this.nextNew()));
      return this.current;
    });
  }

  /**
   * Shows the item of a queue line (pair `pairIndex` of it) — a record opened from the editor to be
   * judged again. The item shown before goes on the back stack, as with next(). Undefined (and nothing
   * moves) when the line holds no item.
   */
  goToLine(line: number, pairIndex = 0): Promise<ShownItem | undefined> {
    return this.serial(async () => {
      const items = await this.queue.itemsOnLine(line);
      const item = items.find((i) => i.pairIndex === pairIndex) ?? items[0];
      if (!item) return undefined;
      if (this.shown && this.shown.item.id !== item.id) this.back.push(this.shown);
      this.show(this.orderFor(item));
      return this.current;
    });
  }

  /** Moves back to the item shown before this one (judged or not); at the first item, stays. */
  previous(): Promise<ShownItem | undefined> {
    return this.serial(async () => {
      const prev = this.back.pop();
      if (prev) {
        if (this.shown) this.forward.push(this.shown);
        this.show(prev);
      }
      return this.current;
    });
  }

  /**
   * Reads what changed in the judgements file since the last look. Appended lines (another window,
   * another annotator) are taken in; a file that was rewritten or replaced is read again whole, and
   * judgement lines that disappeared are listed — the ones this session wrote can be put back with
   * `restore()`. Nothing in the file is changed here.
   */
  refresh(): Promise<ReconcileReport> {
    return this.serial(async () => {
      await this.ingest();
      const report = this.unreported;
      this.unreported = { reindexed: false, added: [], removed: [], lost: [] };
      report.lost = this.lostIds();
      return report;
    });
  }

  /** Appends again the lines of this session that `refresh()` found missing (all of `lost` by default). */
  restore(ids?: readonly string[]): Promise<number> {
    return this.serial(async () => {
      const want = ids ?? this.lostIds();
      let n = 0;
      for (const id of want) {
        const line = this.written.get(id);
        if (line === undefined || this.ids.has(id)) continue;
        await this.writer.appendLine(line);
        n++;
      }
      await this.ingest();
      return n;
    });
  }

  async close(): Promise<void> {
    this.scanAbort.abort();
    await this.lock.catch(() => undefined);
    await this.scanState?.done;
    await this.writer.close();
    await this.log.close();
    await this.queue.close();
  }

  // -------------------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private show(s: ShownItem | undefined): void {
    this.shown = s;
    this.shownAt = this.now();
  }

  private async append(record: PreferencePair): Promise<void> {
    const line = serializeJudgement(record);
    this.written.set(record.id!, line);
    await this.writer.appendLine(line);
    await this.ingest();
  }

  /** Lines this session wrote that the file no longer holds. */
  private lostIds(): string[] {
    return [...this.written.keys()].filter((id) => !this.ids.has(id));
  }

  /** The next item to show: a due audit, else the next queue item this annotator has not judged. */
  private async nextNew(): Promise<ShownItem | undefined> {
    const pending = this.pendingAudits();
    const due = pending.find((e) => this.clock - (this.seqOf.get(e.id) ?? 0) >= this.auditGap && !this.deferredAudits.has(e.itemId));
    if (due) {
      const audit = await this.auditItem(due);
      if (audit) return audit;
    }
    const found = await this.queue.itemFrom(this.frontier, (item) => this.mine.has(judgementKey(this.annotator, item.id, false)) || this.isOnStacks(item.id));
    if (found) {
      this.frontier = { record: found.at.record, pair: found.at.pair + 1 };
      return this.orderFor(found.item);
    }
    // The queue is done: audits not yet due (or passed over) come now.
    for (const e of pending) {
      if (this.shown?.audit && this.shown.item.id === e.itemId) continue;
      const audit = await this.auditItem(e);
      if (audit) return audit;
    }
    return undefined;
  }

  /**
   * nextNew() as it will run after the judgements of `ahead` (on its own clock and frontier; the session's
   * stay); 'unknown' when that is an audit of an item first judged on the way (its line is not written).
   */
  private async peekNew(ahead: Lookahead): Promise<ShownItem | undefined | 'unknown'> {
    const seq = (itemId: string, fallback: number): number => ahead.seq.get(itemId) ?? fallback;
    const pending = this.pendingAudits().filter((e) => !ahead.judged.has(judgementKey(this.annotator, e.itemId, true)));
    // Items judged on the way that will be waiting for their audit, in judgement order (after the others).
    const waiting = [...ahead.seq]
      .filter(([itemId]) => !this.mine.has(judgementKey(this.annotator, itemId, false)) && this.auditSelected(itemId))
      .map(([itemId, at]) => ({ itemId, at }));
    const isDue = (itemId: string, at: number): boolean => ahead.clock - at >= this.auditGap && !this.deferredAudits.has(itemId);
    const due = pending.find((e) => isDue(e.itemId, seq(e.itemId, this.seqOf.get(e.id) ?? 0)));
    if (due) {
      const audit = await this.auditItem(due);
      if (audit) return audit;
    }
    if (waiting.some((w) => isDue(w.itemId, w.at))) return 'unknown';
    const skip = (item: QueueItem): boolean => {
      const key = judgementKey(this.annotator, item.id, false);
      return this.mine.has(key) || ahead.judged.has(key) || this.isOnStacks(item.id);
    };
    const found = await this.queue.itemFrom(ahead.frontier, skip);
    if (found) {
      ahead.frontier = { record: found.at.record, pair: found.at.pair + 1 };
      return this.orderFor(found.item);
    }
    for (const e of pending) {
      const audit = await this.auditItem(e);
      if (audit) return audit;
    }
    return waiting.length > 0 ? 'unknown' : undefined;
  }

  private withJudged(s: ShownItem): ShownItem {
    const judged = this.mine.get(judgementKey(this.annotator, s.item.id, s.audit !== undefined));
    return judged ? { ...s, judged } : { ...s, judged: undefined };
  }

  private isOnStacks(itemId: string): boolean {
    const on = (s: ShownItem | undefined): boolean => s !== undefined && !s.audit && s.item.id === itemId;
    return on(this.shown) || this.back.some(on) || this.forward.some(on);
  }

  private orderFor(item: QueueItem): ShownItem {
    const flipped = unitHash(`order\u0000${this.seed}\u0000${item.id}`) < 0.5;
    return { item, left: flipped ? item.b : item.a, right: flipped ? item.a : item.b, flipped };
  }

  /** This annotator's judged items chosen for an audit that has not been made yet, in judgement order. */
  private pendingAudits(): JudgementEntry[] {
    if (this.auditRate <= 0) return [];
    const out: JudgementEntry[] = [];
    for (const e of this.mine.values()) {
      if (e.audit || (e.judgement !== 'preference' && e.judgement !== 'tie')) continue;
      if (this.mine.has(judgementKey(this.annotator, e.itemId, true))) continue;
      if (!this.auditSelected(e.itemId)) continue;
      out.push(e);
    }
    return out;
  }

  /** Whether the item is one of the `audit.rate` share chosen for an audit: by hash, the same in every session. */
  private auditSelected(itemId: string): boolean {
    let chosen = this.auditChoice.get(itemId);
    if (chosen === undefined) {
      chosen = unitHash(`audit\u0000${this.annotator}\u0000${itemId}`) < this.auditRate;
      this.auditChoice.set(itemId, chosen);
    }
    return chosen;
  }

  /** The audited item rebuilt from its judgement line, with the sides the other way round. */
  private async auditItem(original: JudgementEntry): Promise<ShownItem | undefined> {
    const i = this.log.indexOfLine(original.line);
    if (i === undefined) return undefined;
    let r: PreferencePair;
    try {
      r = parseJson(await this.log.readText(i)) as PreferencePair;
    } catch {
      return undefined;
    }
    const item: QueueItem = {
      id: original.itemId,
      prompt: r.prompt,
      a: r.chosen,
      b: r.rejected,
      shape: original.pairIndex !== undefined ? 'responses' : 'pair',
      line: original.sourceLine,
      pairIndex: original.pairIndex ?? 0,
    };
    // chosen-left then → chosen (a) on the right now. (For a tie, chosen is the side that was on the left.)
    const flipped = original.shownOrder === 'chosen-left';
    return { item, left: flipped ? item.b : item.a, right: flipped ? item.a : item.b, flipped, audit: { of: original.itemId } };
  }

  private startScan(): void {
    const state: ScanState = {
      done: this.queue.scan(this.scanAbort.signal).then(
        (result) => (state.result = result),
        (error: unknown) => {
          state.error = error;
          return undefined;
        },
      ),
    };
    this.scanState = state;
  }

  /** Reads the whole judgements file (sequentially: faster than the index for a full pass). */
  private async loadAll(): Promise<void> {
    const entries: JudgementEntry[] = [];
    this.badLines.clear();
    for await (const raw of readLines(this.opts.output)) {
      if (raw.tooLong === undefined && isBlank(raw.bytes)) continue;
      const entry = this.parseEntry(raw.bytes, raw.line, raw.terminated);
      if (entry) entries.push(entry);
    }
    this.entries = entries;
    this.recompute();
  }

  private parseEntry(bytes: Buffer, line: number, terminated: boolean): JudgementEntry | undefined {
    const decoded = decodeLine(bytes);
    let value: unknown;
    try {
      if (!decoded.ok) throw new JsonSyntaxError(decoded.message, 0);
      value = parseFast(decoded.text);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      // An unterminated last line may be another window's write in progress: not a problem yet.
      if (terminated) {
        this.badLines.set(line, {
          file: this.opts.output, line, column: 1, path: '', severity: 'error', code: 'invalid-json',
          message: `not valid JSON: ${err.message} (left as it is)`,
        });
      }
      return undefined;
    }
    return judgementEntryOf(value, line);
  }

  /** Takes in what changed in the judgements file; the changes collect in `unreported` for refresh(). */
  private async ingest(): Promise<void> {
    const before = this.ids;
    const { appended, reindexed } = await this.log.refresh();
    const report = this.unreported;
    // Our own lines are not news.
    const news = (e: JudgementEntry): boolean => !before.has(e.id) && !this.written.has(e.id);
    if (reindexed) {
      report.reindexed = true;
      await this.loadAll();
      for (const e of this.entries) if (news(e)) report.added.push(e);
      for (const id of before) if (!this.ids.has(id)) report.removed.push(id);
    } else if (appended > 0) {
      let changed = false;
      const count = this.log.count;
      for (let i = count - appended; i < count; i++) {
        const line = this.log.lineOf(i);
        let bytes: Buffer;
        try {
          bytes = await this.log.readBytes(i);
        } catch {
          continue; // over the size limit: not a judgement this session could have written
        }
        const terminated = i < count - 1 || !this.log.unterminatedLastLine;
        this.badLines.delete(line);
        const entry = this.parseEntry(bytes, line, terminated);
        if (!entry || before.has(entry.id)) continue;
        this.entries.push(entry);
        if (news(entry)) report.added.push(entry);
        changed = true;
      }
      if (changed) this.recompute();
    }
  }

  private recompute(): void {
    const ids = new Set<string>();
    const seqOf = new Map<string, number>();
    let clock = 0;
    for (const e of this.entries) {
      ids.add(e.id);
      if (e.annotator === this.annotator && e.judgement !== 'retract') seqOf.set(e.id, ++clock);
    }
    this.ids = ids;
    this.seqOf = seqOf;
    this.clock = clock;
    this.effective = effectiveJudgements(this.entries);
    this.mine = new Map();
    for (const e of this.effective) {
      if (e.annotator === this.annotator) this.mine.set(judgementKey(e.annotator, e.itemId, e.audit), e);
    }
  }
}

/**
 * JSON.parse, with parseJson only for its error message. parseJson would take its exact (slow) path for
 * every line with a 16-digit number — a margin of 1/3 is one — and an entry needs no lossless integers.
 */
function parseFast(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return parseJson(text);
  }
}

/** A number in [0, 1) from a string: the first 32 bits of its sha256. */
function unitHash(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0) / 2 ** 32;
}
