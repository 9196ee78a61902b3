/**
 * The line one judgement becomes: a TRL preference record (`prompt`, `chosen`, `rejected`, `margin`, `id`,
 * `meta`), so a judgements file is read by every tool that reads TRL data. The file is an append-only log:
 * nothing in it is ever rewritten, so an undo is a later line (`judgement: 'retract'`), and which lines
 * are training pairs follows from rules over the whole file (see `isTrainingJudgement` and README.md).
 */
import { createHash, randomUUID } from 'node:crypto';
import { stringifyJson } from '../data/json';
import { serializeTrlLine } from '../data/formats/trlWriter';
import { charLength, isConversation, type PreferenceMeta, type PreferencePair, type TextOrConversation } from '../data/record';

/** What the annotator said about the item on screen. */
export type Verdict = 'left' | 'right' | 'tie' | 'skip';

/** What a line records. Only 'preference' lines can be training pairs. */
export type JudgementKind = 'preference' | 'tie' | 'skip' | 'retract';

/** The Llama 2 preference scale: how much better the chosen response is. */
export type Strength = 1 | 2 | 3 | 4;

export const STRENGTH_LABELS: Readonly<Record<Strength, string>> = {
  1: 'negligibly better',
  2: 'slightly better',
  3: 'better',
  4: 'significantly better',
};

/**
 * Strength → margin in −log σ(r_c − r_r − margin). Llama 2 (Touvron et al. 2023, table 28) tried two
 * scales over the same four ratings: "small" {0, 1/3, 2/3, 1} and "large" {0, 1, 2, 3}; 'none' writes no
 * margin (the strength is still stored). "Negligibly better" maps to 0: no margin beyond the plain loss.
 */
export type MarginScale = 'small' | 'large' | 'none';

const MARGINS: Readonly<Record<Exclude<MarginScale, 'none'>, readonly number[]>> = {
  small: [0, 1 / 3, 2 / 3, 1],
  large: [0, 1, 2, 3],
};

export function isStrength(value: unknown): value is Strength {
  return value === 1 || value === 2 || value === 3 || value === 4;
}

export function strengthMargin(strength: Strength, scale: MarginScale = 'small'): number | undefined {
  if (!isStrength(strength)) throw new RangeError(`strength must be 1, 2, 3 or 4, got ${String(strength)}`);
  return scale === 'none' ? undefined : MARGINS[scale][strength - 1];
}

/** The `meta` of a judgement line. `source`/`time`/`annotator`/`shownOrder` keep PreferenceMeta's meaning. */
export interface JudgementMeta extends PreferenceMeta {
  annotator: string;
  time: string;
  judgement: JudgementKind;
  /** The item judged (see queue.ts `itemIdOf`): the same pair of responses to the same prompt. */
  itemId: string;
  /** The queue file, as the session names it (PreferenceMeta's `source` is a string). */
  source: string;
  /** 1-based line of the item in `source`. */
  sourceLine: number;
  /** Which pair of the line, for a `responses` list of more than two. */
  pairIndex?: number;
  /** For a tie or a skip `chosen` is simply the left response, so this is always 'chosen-left' then. */
  shownOrder?: 'chosen-left' | 'chosen-right';
  timeOnItemMs?: number;
  strength?: Strength;
  strengthLabel?: string;
  note?: string;
  guidelineSha256?: string;
  /** The seed the A/B order was drawn from. */
  orderSeed?: number;
  /** An order-swap audit: the item shown again with its sides swapped. Never a training pair. */
  audit?: { of: string; swapped: true };
  /** The `id` of an earlier line this line cancels (an undo, or a new judgement of the same item). */
  retracts?: string;
}

export interface JudgementInput {
  annotator: string;
  verdict: Verdict;
  prompt: TextOrConversation;
  /** The responses in the order shown. */
  left: TextOrConversation;
  right: TextOrConversation;
  itemId: string;
  source: string;
  sourceLine: number;
  pairIndex?: number;
  time: Date;
  timeOnItemMs: number;
  strength?: Strength;
  note?: string;
  marginScale?: MarginScale;
  guidelineSha256?: string;
  orderSeed?: number;
  audit?: { of: string };
  retracts?: string;
  /** The line's id (default: a random UUID). */
  id?: string;
}

/** Builds the record for one judgement. For a tie or a skip, chosen = left and rejected = right. */
export function judgementRecord(input: JudgementInput): PreferencePair {
  const { verdict } = input;
  const preference = verdict === 'left' || verdict === 'right';
  if (input.strength !== undefined && !isStrength(input.strength)) {
    throw new RangeError(`strength must be 1, 2, 3 or 4, got ${String(input.strength)}`);
  }
  if (input.strength !== undefined && !preference) {
    throw new RangeError(`a ${verdict} has no strength: strength says how much better the chosen response is`);
  }
  const chosenLeft = verdict !== 'right';
  const meta: JudgementMeta = {
    annotator: input.annotator,
    time: input.time.toISOString(),
    judgement: preference ? 'preference' : verdict,
    itemId: input.itemId,
    source: input.source,
    sourceLine: input.sourceLine,
  };
  if (input.pairIndex !== undefined) meta.pairIndex = input.pairIndex;
  meta.shownOrder = chosenLeft ? 'chosen-left' : 'chosen-right';
  meta.timeOnItemMs = Math.max(0, Math.round(input.timeOnItemMs));
  if (input.strength !== undefined) {
    meta.strength = input.strength;
    meta.strengthLabel = STRENGTH_LABELS[input.strength];
  }
  if (input.note !== undefined && input.note.trim() !== '') meta.note = input.note;
  if (input.guidelineSha256 !== undefined) meta.guidelineSha256 = input.guidelineSha256;
  if (input.orderSeed !== undefined) meta.orderSeed = input.orderSeed;
  if (input.audit) meta.audit = { of: input.audit.of, swapped: true };
  if (input.retracts !== undefined) meta.retracts = input.retracts;
  const pair: PreferencePair = {
    prompt: input.prompt,
    chosen: chosenLeft ? input.left : input.right,
    rejected: chosenLeft ? input.right : input.left,
    id: input.id ?? randomUUID(),
    meta,
  };
  if (preference && input.strength !== undefined) {
    const margin = strengthMargin(input.strength, input.marginScale);
    if (margin !== undefined) pair.margin = margin;
  }
  return pair;
}

/**
 * An undo: a line that cancels line `of`. It repeats `of`'s prompt and sides so that it is itself a valid
 * TRL line (a file of judgements keeps validating), and is never a training pair.
 */
export function retractionRecord(
  of: PreferencePair & { id: string; meta: JudgementMeta },
  annotator: string,
  time: Date,
  id: string = randomUUID(),
): PreferencePair {
  const meta: JudgementMeta = {
    annotator,
    time: time.toISOString(),
    judgement: 'retract',
    itemId: of.meta.itemId,
    source: of.meta.source,
    sourceLine: of.meta.sourceLine,
    retracts: of.id,
  };
  if (of.meta.pairIndex !== undefined) meta.pairIndex = of.meta.pairIndex;
  if (of.meta.audit) meta.audit = of.meta.audit;
  return { prompt: of.prompt, chosen: of.chosen, rejected: of.rejected, id, meta };
}

export function serializeJudgement(pair: PreferencePair): string {
  return serializeTrlLine(pair);
}

// ---------------------------------------------------------------------------------------------------------
// Reading judgements back

/**
 * One judgement line as the session and the statistics need it: no texts, only what decides which line
 * counts and what it says. `label` names the preferred response independently of the order shown.
 */
export interface JudgementEntry {
  id: string;
  annotator: string;
  itemId: string;
  judgement: JudgementKind;
  /** 1-based line in the judgements file. */
  line: number;
  time: string;
  audit: boolean;
  retracts?: string;
  shownOrder?: 'chosen-left' | 'chosen-right';
  strength?: Strength;
  /**
   * 'first' / 'second': the response whose content hash sorts first / second was preferred; 'tie' for a
   * tie; undefined for a skip or a retraction. Two annotators who saw the sides in different orders
   * agree exactly when their labels are equal.
   */
  label?: 'first' | 'second' | 'tie';
  /** Sign of (chosen length − rejected length) in characters. */
  chosenLonger: -1 | 0 | 1;
  source: string;
  sourceLine: number;
  pairIndex?: number;
}

const KINDS: ReadonlySet<string> = new Set(['preference', 'tie', 'skip', 'retract']);

/**
 * The entry of a parsed line, or undefined when the line is not a Reward Studio judgement (no
 * `meta.judgement`/`meta.itemId`/`meta.annotator`, or sides that are not text or messages).
 */
export function judgementEntryOf(value: unknown, line: number): JudgementEntry | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const meta = r.meta as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
  const { judgement, itemId, annotator } = meta;
  if (typeof judgement !== 'string' || !KINDS.has(judgement)) return undefined;
  if (typeof itemId !== 'string' || typeof annotator !== 'string' || typeof r.id !== 'string') return undefined;
  if (!isSide(r.chosen) || !isSide(r.rejected)) return undefined;
  const kind = judgement as JudgementKind;
  const entry: JudgementEntry = {
    id: r.id,
    annotator,
    itemId,
    judgement: kind,
    line,
    time: typeof meta.time === 'string' ? meta.time : '',
    audit: typeof meta.audit === 'object' && meta.audit !== null,
    chosenLonger: Math.sign(charLength(r.chosen) - charLength(r.rejected)) as -1 | 0 | 1,
    source: typeof meta.source === 'string' ? meta.source : '',
    sourceLine: typeof meta.sourceLine === 'number' ? meta.sourceLine : 0,
  };
  if (typeof meta.retracts === 'string') entry.retracts = meta.retracts;
  if (meta.shownOrder === 'chosen-left' || meta.shownOrder === 'chosen-right') entry.shownOrder = meta.shownOrder;
  if (isStrength(meta.strength)) entry.strength = meta.strength;
  if (typeof meta.pairIndex === 'number') entry.pairIndex = meta.pairIndex;
  if (kind === 'tie') entry.label = 'tie';
  else if (kind === 'preference') {
    entry.label = responseHash(r.chosen) <= responseHash(r.rejected) ? 'first' : 'second';
  }
  return entry;
}

function isSide(value: unknown): value is TextOrConversation {
  return typeof value === 'string' || isConversation(value);
}

/** sha256 (hex) of a response's canonical JSON text: the identity of a response across files. */
export function responseHash(value: TextOrConversation): string {
  return createHash('sha256').update(stringifyJson(value)).digest('hex');
}

/**
 * The lines that count: a line cancelled by a later `retracts` is dropped, retraction lines themselves
 * are dropped, and of the remaining judgements of one (annotator, item, audit or not) only the last in
 * file order counts (two windows of the same annotator may both have judged it).
 */
export function effectiveJudgements(entries: readonly JudgementEntry[]): JudgementEntry[] {
  const retracted = new Set<string>();
  for (const e of entries) if (e.retracts !== undefined) retracted.add(e.retracts);
  const last = new Map<string, JudgementEntry>();
  for (const e of entries) {
    if (e.judgement === 'retract' || retracted.has(e.id)) continue;
    const key = judgementKey(e.annotator, e.itemId, e.audit);
    last.delete(key); // re-insert: the map's order is the file order of the lines that count
    last.set(key, e);
  }
  return [...last.values()];
}

export function judgementKey(annotator: string, itemId: string, audit: boolean): string {
  return `${annotator}\u0000${itemId}\u0000${audit ? 'audit' : 'item'}`;
}

/**
 * Whether a line of a judgements file is a training pair, given the ids retracted anywhere in the file:
 * a preference (not a tie, skip or retraction), not an order-swap audit, not retracted. A line without
 * `meta.judgement` is not a judgement and keeps its usual meaning (a pair).
 */
export function isTrainingJudgement(pair: PreferencePair, retracted: ReadonlySet<string>): boolean {
  const meta = pair.meta as Partial<JudgementMeta> | undefined;
  if (!meta || meta.judgement === undefined) return true;
  if (meta.judgement !== 'preference' || meta.audit !== undefined) return false;
  return pair.id === undefined || !retracted.has(pair.id);
}
