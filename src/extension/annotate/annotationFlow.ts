/**
 * One annotation session as the views see it: its operations one at a time, the draft, the state posted to
 * the views, and the next item shown ahead of the write. No `vscode` import (the manager,
 * annotationManager.ts, owns the webviews, the file watcher and the settings), so plain Node tests it.
 *
 * Judging ahead of the write: after every operation the flow asks the session which items judgements
 * will show from here (`upcoming()`). When a judgement of the item on screen is asked for, the views get
 * the item after it at once (`advance`), while the line is written — and so on for the keys pressed on
 * that one, up to MAX_AHEAD judgements ahead of the file. Every state posted meanwhile shows the item
 * ahead; the state after each write confirms it. The session stays the one source of truth: each
 * judgement is still made, written and checked one at a time, and only of the item the user saw — one
 * naming an item no longer current (a key pressed twice, a click on a stale screen, a key pressed on the
 * item after a failed write) is dropped. A failed write shows the judged item again with the error; until
 * a view has put it back on screen, judging keys (which name no item) are not taken, since a key pressed
 * meanwhile was meant for an item after it. A write that found the judgements file changed (another
 * window judged the item ahead) shows the item now due, with a notice.
 */
import type { AnnotationSession, ShownItem } from '../../core/annotate/session';
import type { AnnotateAdvance, AnnotateState, AnnotateStrength, AnnotateVerdict } from '../../protocol/annotate';
import { errorMessage } from '../report';
import { annotatorsView, biasView, itemKey, itemView, problemViews, reconcileNotice } from './annotateView';

/** What the flow uses of a session (a real AnnotationSession; tests wrap one to make writes fail). */
export type FlowSession = Pick<
  AnnotationSession,
  | 'annotator' | 'current' | 'upcoming' | 'judge' | 'undo' | 'next' | 'previous' | 'goToLine' | 'refresh' | 'restore'
  | 'progress' | 'queueProblems' | 'report' | 'setGuidelineSha256'
>;

export interface FlowEvents {
  /** Something the views show changed: post the whole state again. */
  changed(): void;
  /** Show the views the next item now: a judgement of `from` is being written. */
  advance(message: AnnotateAdvance): void;
  /** For the log: an operation failed (the views show it too), or a key was not taken. */
  log(level: 'warn' | 'error', message: string): void;
}

export interface FlowOptions {
  queueName: string;
  queueUri?: string;
  outputName: string;
  guidelines?: { name: string; markdown: string; sha256: string };
  /** Clock in ms (tests). */
  now?: () => number;
}

/** How long judging keys wait, at most, for a view to show the item of a failed write again. */
export const REFUSE_KEYS_MS = 2000;

export const NEXT_ITEM_CHANGED =
  'The judgements file changed while the judgement was written (another window or annotator): the item shown is the one now due.';

interface Draft {
  /** The item the draft belongs to; undefined: none (an empty draft). */
  itemKey?: string;
  strength?: AnnotateStrength;
  note: string;
}

/** How many judgements the views may be ahead of the file (what a failed write sends the annotator back over). */
export const MAX_AHEAD = 4;

interface Op {
  /** For a judgement: the item it judges. */
  judging?: string;
  /** The views were shown the item after it. */
  announced?: boolean;
  /** Never moves the item on screen (a refresh, new guidelines): judgements after it may be shown ahead. */
  keepsItem?: boolean;
}

export class AnnotationFlow {
  private draft: Draft = { note: '' };
  private judgedHere = 0;
  private notice: string | undefined;
  private error: string | undefined;
  /**
   * What judgements from the current item (`from`) on will show (session.upcoming()), worked out after
   * every operation; `ended`: nothing follows the last one.
   */
  private upcoming: { from: string; items: ShownItem[]; ended: boolean } | undefined;
  /** Items shown to the views ahead of the session, oldest first: each while the judgement of `from` is written. */
  private ahead: Array<{ from: string; item: ShownItem | undefined }> = [];
  /** After a failed write the views were ahead of: keys wait for a view to show `key` again (or for `until`). */
  private refuseKeys: { key: string | undefined; until: number } | undefined;
  /** Operations queued or running, in order (ops[0] runs first). */
  private readonly ops: Op[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** A state was held back while judgements were queued (see run()). */
  private unposted = false;
  private closed = false;
  private readonly now: () => number;

  constructor(
    readonly session: FlowSession,
    private readonly options: FlowOptions,
    private readonly events: FlowEvents,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Works out the first upcoming item (call once, after opening). */
  prepare(): Promise<void> {
    return this.run(async () => false);
  }

  /** The whole state the views show. */
  state(): AnnotateState {
    const s = this.session;
    const shown = this.shownItem();
    const problems = s.queueProblems;
    const report = s.report();
    const draft = this.draftFor(shown && itemKey(shown));
    const state: AnnotateState = {
      queueName: this.options.queueName,
      queueUri: this.options.queueUri,
      outputName: this.options.outputName,
      annotator: s.annotator,
      progress: s.progress(),
      problems: problemViews(problems),
      problemCount: problems.length,
      bias: biasView(report, s.annotator),
      annotators: annotatorsView(report),
      draft: draft.strength === undefined ? { note: draft.note } : { strength: draft.strength, note: draft.note },
      canUndo: this.judgedHere > 0 || this.ahead.length > 0,
    };
    if (shown) state.item = viewOf(shown);
    if (this.options.guidelines) state.guidelines = this.options.guidelines;
    if (this.notice) state.notice = this.notice;
    if (this.error) state.error = this.error;
    return state;
  }

  /** The key of the item the views show (ahead of the session while a judgement is written). */
  shownKey(): string | undefined {
    const shown = this.shownItem();
    return shown && itemKey(shown);
  }

  /**
   * The guidelines file changed (or went): the views show the new text, and the judgements from now on
   * record its sha256 — after the ones already asked for, which were made under the old text.
   */
  setGuidelines(guidelines: { name: string; markdown: string; sha256: string } | undefined): Promise<void> {
    return this.run(async () => {
      this.session.setGuidelineSha256(guidelines?.sha256);
      this.options.guidelines = guidelines;
      this.notice = guidelines
        ? `The guidelines (${guidelines.name}) changed: judgements from now on record the new version.`
        : 'The guidelines file can no longer be read: judgements from now on record no guidelines.';
    }, { keepsItem: true });
  }

  /**
   * Judges `expectedKey` (a click names the item it was made on), or the item the views show (a key, the
   * palette): only while it is the session's current item.
   */
  judge(verdict: AnnotateVerdict, expectedKey?: string): Promise<void> {
    const key = expectedKey ?? this.shownKey();
    // Past the last item a key held down is not an error.
    if (key === undefined) return Promise.resolve();
    if (expectedKey === undefined && this.keysRefused()) {
      this.events.log('warn', 'a judging key was not taken: the item of the failed write is being shown again');
      return Promise.resolve();
    }
    const draft = this.draftFor(key);
    const op: Op = { judging: key };
    const done = this.run(async () => {
      const announced = this.ahead.find((a) => a.from === key);
      try {
        if (key !== this.currentKey()) return false;
        this.notice = undefined;
        this.error = undefined;
        const preference = verdict === 'left' || verdict === 'right';
        const note = draft.note.trim();
        await this.session.judge(verdict, { strength: preference ? draft.strength : undefined, note: note ? note : undefined });
        this.judgedHere++;
        if (this.draft.itemKey === key) this.draft = { note: '' };
        if (announced && keyOf(announced.item) !== this.currentKey()) {
          // The views went another way than the session: they show the session's item from here.
          this.ahead = [];
          this.notice = NEXT_ITEM_CHANGED;
        }
      } catch (error) {
        if (announced) this.refuseKeys = { key: this.currentKey(), until: this.now() + REFUSE_KEYS_MS };
        this.ahead = [];
        throw error;
      } finally {
        this.ahead = this.ahead.filter((a) => a.from !== key);
      }
      return true;
    }, op);
    this.announce();
    return done;
  }

  undo(): Promise<void> {
    return this.run(async () => {
      this.begin();
      const undone = await this.session.undo();
      this.judgedHere = undone ? Math.max(0, this.judgedHere - 1) : 0;
      this.draft = { note: '' };
    });
  }

  move(direction: 'next' | 'previous'): Promise<void> {
    return this.run(async () => {
      this.begin();
      await (direction === 'next' ? this.session.next() : this.session.previous());
      this.draft = { note: '' };
    });
  }

  /** Shows the item of queue line `line` (1-based), e.g. a record sent from the editor to be judged again; false when it holds no pair. */
  async goToLine(line: number): Promise<boolean> {
    let found = false;
    await this.run(async () => {
      this.begin();
      found = (await this.session.goToLine(line)) !== undefined;
      if (!found) this.notice = `Line ${line} of ${this.options.queueName} holds no pair to judge.`;
      this.draft = { note: '' };
    });
    return found;
  }

  restore(): Promise<void> {
    return this.run(async () => {
      this.begin();
      const n = await this.session.restore();
      this.notice = n > 0 ? `Appended ${n} judgement${n === 1 ? '' : 's'} of this session again.` : undefined;
    });
  }

  /**
   * Reads what another window, annotator or git changed in the judgements file. The watcher also fires
   * for this session's own appends: then nothing changed and the views are not redrawn (a redraw queued
   * between two quick keypresses would delay the second one).
   */
  refresh(): Promise<void> {
    return this.run(async () => {
      const report = await this.session.refresh();
      if (!(report.reindexed || report.added.length > 0 || report.removed.length > 0)) return false;
      this.error = undefined;
      const notice = reconcileNotice(report, this.session.annotator);
      if (notice) this.notice = notice;
      return true;
    }, { keepsItem: true });
  }

  /** A strength key: toggles the strength of the draft of the item on screen. */
  setStrength(strength: AnnotateStrength): void {
    const key = this.shownKey();
    const draft = this.draftFor(key);
    this.draft = { itemKey: key, strength: draft.strength === strength ? undefined : strength, note: draft.note };
    this.events.changed();
  }

  /** The draft the webview holds for item `itemKey` (absent: the item on screen). */
  setDraft(itemKey: string | undefined, strength: AnnotateStrength | undefined, note: string): void {
    this.draft = { itemKey: itemKey ?? this.shownKey(), strength, note };
  }

  /** A view shows a state with an error on `itemKey`: judging keys are taken again once it is the failed item. */
  viewShows(itemKey: string | null): void {
    if (this.refuseKeys && (this.refuseKeys.key ?? null) === itemKey) this.refuseKeys = undefined;
  }

  /** Finishes the operations queued so far; later ones do nothing. */
  close(): Promise<void> {
    const done = this.tail;
    this.closed = true;
    return done;
  }

  // -------------------------------------------------------------------------------------------------------

  private currentKey(): string | undefined {
    const shown = this.session.current;
    return shown && itemKey(shown);
  }

  private shownItem(): ShownItem | undefined {
    return this.ahead.length > 0 ? this.ahead[this.ahead.length - 1].item : this.session.current;
  }

  private draftFor(key: string | undefined): Draft {
    return key !== undefined && this.draft.itemKey === key ? this.draft : { note: '' };
  }

  /** An operation that changes what is shown: the last one's notice and error go. */
  private begin(): void {
    this.notice = undefined;
    this.error = undefined;
  }

  private keysRefused(): boolean {
    if (this.refuseKeys && this.now() >= this.refuseKeys.until) this.refuseKeys = undefined;
    return this.refuseKeys !== undefined;
  }

  /**
   * Runs a session operation after the ones before it (keys pressed quickly queue up, and each sees the
   * state the previous one left); an error is shown in the views (and reported) instead of thrown. The
   * operation returns false when nothing changed (the views are not redrawn then). Afterwards the upcoming
   * item is worked out again, and a judgement queued next may be shown ahead.
   */
  private run(op: () => Promise<boolean | void>, entry: Op = {}): Promise<void> {
    this.ops.push(entry);
    const done = this.tail.then(async () => {
      let changed = false;
      if (!this.closed) {
        try {
          changed = (await op()) !== false;
        } catch (error) {
          changed = true;
          this.error = errorMessage(error);
          this.events.log('error', this.error);
        }
        await this.followUpcoming(changed, entry);
      }
      this.ops.shift();
      if (this.closed) return;
      this.announce();
      if (!changed && !this.unposted) return;
      // Keys faster than the disk: a judgement written as the views expected, with more queued behind it,
      // leaves its state to the last of them (the views already show the items; this saves both sides a
      // redraw per key while the next key is handled).
      const more = this.ops.some((o) => o.judging !== undefined);
      if (entry.judging !== undefined && more && this.error === undefined && this.notice === undefined) {
        this.unposted = true;
      } else {
        this.unposted = false;
        this.events.changed();
      }
    });
    this.tail = done;
    return done;
  }

  /**
   * The upcoming items from the session's current item, after an operation: the same when nothing moved;
   * after a judgement that went as worked out, the known ones shifted along (worked out again only when
   * fewer than MAX_AHEAD are left: each time costs queue reads while the next key may be waiting);
   * otherwise worked out again.
   */
  private async followUpcoming(changed: boolean, entry: Op): Promise<void> {
    const from = this.currentKey();
    const u = this.upcoming;
    if (u && u.from === from && !(changed && entry.judging === undefined)) return;
    if (u && entry.judging !== undefined && u.items.length > 0 && itemKey(u.items[0]) === from) {
      // Keys pressed while the rest is worked out use what is known.
      this.upcoming = { from, items: u.items.slice(1), ended: u.ended };
      if (this.upcoming.ended || this.upcoming.items.length >= MAX_AHEAD) return;
    } else {
      this.upcoming = undefined;
    }
    await this.workOutUpcoming();
  }

  private async workOutUpcoming(): Promise<void> {
    const from = this.currentKey();
    if (from === undefined) {
      this.upcoming = undefined;
      return;
    }
    try {
      // Twice what can be shown ahead, so most judgements only shift along what is known.
      const u = await this.session.upcoming(2 * MAX_AHEAD);
      this.upcoming = { from, items: u.items, ended: u.end };
    } catch (error) {
      // Only the head start is lost: judge() finds the next item itself.
      this.upcoming = undefined;
      this.events.log('warn', `working out the next items: ${errorMessage(error)}`);
    }
  }

  /** The item a judgement of `key` will show, when known: `{ item: undefined }` when nothing follows it. */
  private successor(key: string): { item: ShownItem | undefined } | undefined {
    const u = this.upcoming;
    if (!u) return undefined;
    const i = [u.from, ...u.items.map(itemKey)].indexOf(key);
    if (i < 0) return undefined;
    if (i < u.items.length) return { item: u.items[i] };
    return u.ended ? { item: undefined } : undefined;
  }

  /**
   * Shows the views, in order, the item after each judgement asked for of the item on screen whose
   * successor is known — until an operation that moves the item (what follows an undo or a move is not
   * known before it runs), or MAX_AHEAD judgements ahead of the file. (A refresh that finds outside
   * judgements of the items ahead shows up when the judgement before them is written: a notice, and the
   * item now due.)
   */
  private announce(): void {
    for (const op of this.ops) {
      if (op.keepsItem) continue;
      if (op.judging === undefined) return;
      if (op.announced) continue;
      // A judgement of an item no longer on screen will be dropped: it moves nothing.
      if (op.judging !== this.shownKey()) continue;
      if (this.ahead.length >= MAX_AHEAD) return;
      const next = this.successor(op.judging);
      if (!next) return;
      op.announced = true;
      this.ahead.push({ from: op.judging, item: next.item });
      const message: AnnotateAdvance = { type: 'advance', from: op.judging };
      if (next.item) message.item = viewOf(next.item);
      this.events.advance(message);
    }
  }
}

function viewOf(shown: ShownItem): ReturnType<typeof itemView> {
  return itemView(shown, shown.item.shape === 'responses');
}

function keyOf(shown: ShownItem | undefined): string | undefined {
  return shown && itemKey(shown);
}
