/**
 * Edits that fix one preference record where it stands in its file: swap chosen and rejected, stamp a
 * review, and find the spans of the prompt and the two responses (for diagnostics ranges).
 *
 * Every edit is a replacement of one JSON value's exact text (or an insertion after the last one), so the
 * rest of the line — key order, spacing, escapes, integers beyond 2^53 — stays byte for byte as it was.
 * Offsets are 0-based UTF-16 offsets into the line, as the editor counts them.
 *
 * A swap means "the label was wrong": everything that describes the chosen response moves with it
 * (`score_chosen`, `chosen_model`, … paired with their `rejected` counterparts; `meta.shownOrder`; the
 * UltraFeedback `messages` copy of chosen). Formats that say which side won with a label (SHP, A/B,
 * Label Studio) or a ranking (NeMo-RL) get the label flipped instead, where that is one unambiguous edit.
 * Every swap is read back with the format's reader before it is offered: the pairs must come out with
 * chosen and rejected exchanged, or the edit is refused.
 */
import { JsonSyntaxError, parseJson } from '../data/json';
import { deepEqual, isPlainObject } from '../data/formats/common';
import { FORMAT_READERS } from '../data/formats';
import { FORMAT_IDS, type FormatId } from '../data/formats/types';

/** A [start, end) range of UTF-16 offsets in one line. */
export interface TextSpan {
  start: number;
  end: number;
}

/** Replace [start, end) of the line with `newText` (start === end inserts). */
export interface LineEdit extends TextSpan {
  newText: string;
}

/** Why an edit cannot be made, in words for the user (what is wrong and what to do instead). */
export interface RecordEditError {
  error: string;
}

export function isRecordEditError(result: LineEdit[] | RecordEditError): result is RecordEditError {
  return !Array.isArray(result);
}

/** The top-level field `markReviewedInRecord` writes. Readers keep it among the record's extra fields. */
export const REVIEWED_FIELD = 'reviewed';

export interface ReviewStamp {
  /** Who reviewed the record (a name or an email), if known. */
  by?: string;
  /** When, as ISO-8601 text. */
  at: string;
}

/** Where the parts of a record that a pair is made of stand on its line; a field is absent when the part is. */
export interface RecordSideSpans {
  /** The prompt's value, when the format keeps it in a field of its own. */
  prompt?: TextSpan;
  chosen?: TextSpan;
  rejected?: TextSpan;
}

/**
 * Apply edits (sorted, non-overlapping, as every function here returns them) to `text`.
 * Throws RangeError for edits out of order, overlapping, or outside the text.
 */
export function applyLineEdits(text: string, edits: readonly LineEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of edits) {
    const inOrder = Number.isInteger(e.start) && Number.isInteger(e.end) && at <= e.start && e.start <= e.end;
    if (!inOrder || e.end > text.length) {
      throw new RangeError(
        `edit [${e.start}, ${e.end}) is out of order, overlapping, or outside the text (length ${text.length})`,
      );
    }
    out += text.slice(at, e.start) + e.newText;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * The edits that exchange chosen and rejected in the record on `lineText`, read as `format`.
 *
 * - trl, hh-rlhf, ultrafeedback: the values of `chosen` and `rejected`; nemo-aligner: `chosen_response`
 *   and `rejected_response`. With them: every other pair of top-level fields named for the sides
 *   (`score_chosen`/`score_rejected`, `chosen_model`/`rejected_model`, …); a lone `score_chosen` or
 *   `score_rejected` is renamed; `meta.shownOrder` flips; UltraFeedback's `messages`, when it is the
 *   usual copy of chosen, becomes the new chosen. `margin` stays: it measures the preference, not a side.
 * - shp: SHP's `labels` flips (1 ↔ 0, true ↔ false); A/B records flip `label` (0 ↔ 1, "A" ↔ "B") and
 *   `winner` ("model_a" ↔ "model_b"). A tie is refused: it has no preference to swap.
 * - nemo-rl: with exactly two completions of different rank, their ranks are exchanged. More completions
 *   state several preferences, which one swap cannot express: refused.
 * - label-studio: the `selected` choice flips ("left" ↔ "right") when one annotation decides the pair
 *   (a JSON-MIN record, or a task with one usable annotation); several annotators' choices are refused.
 */
export function swapChosenRejected(lineText: string, format: FormatId): LineEdit[] | RecordEditError {
  return refusalToError(() => {
    const scanned = scanRecord(lineText);
    const edits = sorted(swapEdits(scanned, format));
    checkSwapReadsBack(applyLineEdits(lineText, edits), scanned.record, format);
    return edits;
  });
}

/**
 * The edit that stamps the record on `lineText` as reviewed: a top-level `"reviewed": {"at": …, "by": …}`
 * after the last field (spaced like the line's own fields), or in place of an existing `reviewed` value.
 * Marking again with the same stamp gives no edits.
 */
export function markReviewedInRecord(lineText: string, stamp: ReviewStamp): LineEdit[] | RecordEditError {
  return refusalToError(() => {
    if (typeof stamp.at !== 'string' || stamp.at === '') refuse('the review stamp has no time (`at`).');
    const { root } = scanRecord(lineText);
    const style = fieldStyle(lineText, root);
    const parts = [`"at"${style.colon}${JSON.stringify(stamp.at)}`];
    if (stamp.by !== undefined) parts.push(`"by"${style.colon}${JSON.stringify(stamp.by)}`);
    const value = `{${parts.join(style.separator)}}`;
    const existing = field(root, REVIEWED_FIELD);
    if (existing) return replaceWith(lineText, existing.value, value);
    const last = root.members[root.members.length - 1];
    const entry = `"${REVIEWED_FIELD}"${style.colon}${value}`;
    return last
      ? [{ start: last.value.end, end: last.value.end, newText: style.separator + entry }]
      : [{ start: root.start + 1, end: root.start + 1, newText: entry }];
  });
}

/**
 * The spans of the prompt, chosen and rejected values of the record on `lineText` read as `format`; {} when
 * the line is not a JSON object. Where a record's responses are ranked or labelled, chosen and rejected
 * follow the label (NeMo-RL: only for two completions of different rank; Label Studio: the first pair).
 * HH-RLHF keeps its prompt inside the transcripts, so it has no prompt span.
 */
export function recordSideSpans(lineText: string, format: FormatId): RecordSideSpans {
  let scanned: Scanned;
  try {
    scanned = scanRecord(lineText, { allowDuplicates: true });
  } catch (err) {
    if (err instanceof Refusal) return {};
    throw err;
  }
  return pruneUndefined(sideSpans(scanned, format));
}

// ---------------------------------------------------------------------------------------------------------
// Swap, per format

function swapEdits(scanned: Scanned, format: FormatId): LineEdit[] {
  switch (format) {
    case 'trl':
    case 'hh-rlhf':
    case 'ultrafeedback':
      return swapSideFields(scanned, format, 'chosen', 'rejected');
    case 'nemo-aligner':
      return swapSideFields(scanned, format, 'chosen_response', 'rejected_response');
    case 'shp':
      return flipShpLabel(scanned);
    case 'nemo-rl':
      return swapNemoRlRanks(scanned);
    case 'label-studio':
      return flipLabelStudioChoice(scanned);
    default:
      return refuse(`unknown format '${String(format)}'; expected one of: ${FORMAT_IDS.join(', ')}.`);
  }
}

function swapSideFields(scanned: Scanned, format: FormatId, chosenKey: string, rejectedKey: string): LineEdit[] {
  const { text, root, record } = scanned;
  const chosen = field(root, chosenKey);
  const rejected = field(root, rejectedKey);
  if (!chosen || !rejected) {
    const missing = [chosen ? undefined : chosenKey, rejected ? undefined : rejectedKey].filter(Boolean);
    refuse(
      `the record has no ${missing.map((k) => `\`${k}\``).join(' and ')}; a ${FORMAT_READERS[format].title} record keeps the preferred response in \`${chosenKey}\` and the other in \`${rejectedKey}\`, so there is nothing to swap. ` +
        'Is the file read with the right format?',
    );
  }
  const edits = swapValues(text, chosen.value, rejected.value);
  const moved = new Set([chosenKey, rejectedKey]);

  // Fields that describe one side move with it.
  for (const m of root.members) {
    if (moved.has(m.key)) continue;
    const other = counterpartKey(m.key);
    if (other === undefined || moved.has(other)) continue;
    const partner = field(root, other);
    if (partner) {
      edits.push(...swapValues(text, m.value, partner.value));
      moved.add(m.key).add(other);
    } else if (m.key === 'score_chosen' && !hasMember(root, 'score_rejected')) {
      // A lone score still belongs to the response it scored.
      edits.push({ ...m.keySpan, newText: '"score_rejected"' });
      moved.add(m.key);
    }
  }
  const loneRejectedScore = field(root, 'score_rejected');
  if (loneRejectedScore && !moved.has('score_rejected')) {
    edits.push({ ...loneRejectedScore.keySpan, newText: '"score_chosen"' });
  }

  // UltraFeedback's `messages` is the SFT view of the row, a copy of chosen: it follows chosen.
  const messages = format === 'ultrafeedback' ? field(root, 'messages') : undefined;
  if (messages && deepEqual(record.messages, record.chosen)) {
    edits.push(...replaceWith(text, messages.value, text.slice(rejected.value.start, rejected.value.end)));
  }

  // `meta.shownOrder` says which side the chosen response stood on when it was judged.
  const meta = field(root, 'meta');
  const shown = meta?.value.kind === 'object' ? field(meta.value, 'shownOrder') : undefined;
  if (shown) {
    const order = scalarOf(text, shown.value);
    const flipped = order === 'chosen-left' ? 'chosen-right' : order === 'chosen-right' ? 'chosen-left' : undefined;
    if (flipped) edits.push(...replaceWith(text, shown.value, JSON.stringify(flipped)));
  }
  return edits;
}

/** `score_rejected` for `score_chosen`, `rejectedModel` for `chosenModel`, …; undefined for other keys. */
function counterpartKey(key: string): string | undefined {
  const other = key
    .replace(/(^|[^A-Za-z])chosen(?![a-z])/g, '$1rejected')
    .replace(/(^|[^A-Z])Chosen(?![a-z])/g, '$1Rejected');
  return other === key ? undefined : other;
}

function flipShpLabel(scanned: Scanned): LineEdit[] {
  const { text, root } = scanned;
  // The same test the reader uses to tell SHP from generic A/B records.
  if (hasMember(root, 'human_ref_A') || hasMember(root, 'human_ref_B')) {
    const labels = field(root, 'labels');
    if (!labels) refuse('the SHP record has no `labels`, so no side is preferred yet; add `labels`: 1 (human_ref_A preferred) or 0 (human_ref_B preferred).');
    const value = scalarOf(text, labels.value);
    const flipped =
      value === 1 ? '0' : value === 0 ? '1' : value === true ? 'false' : value === false ? 'true' : undefined;
    if (flipped === undefined) {
      refuse(`\`labels\` is ${JSON.stringify(text.slice(labels.value.start, labels.value.end))}, not 1 or 0; SHP's labels is 1 when human_ref_A is preferred and 0 when human_ref_B is — set it to the one you mean.`);
    }
    return replaceWith(text, labels.value, flipped);
  }
  if (!hasMember(root, 'response_a') || !hasMember(root, 'response_b')) {
    refuse('the record has neither SHP\'s `human_ref_A`/`human_ref_B` nor `response_a`/`response_b`, so there is nothing to swap. Is the file read with the right format?');
  }
  const label = field(root, 'label');
  const winner = field(root, 'winner');
  if (!label && !winner) {
    refuse('the A/B record has no `label` or `winner`, so no side is preferred yet; add `label`: 0 (response_a preferred) or 1 (response_b preferred).');
  }
  const edits: LineEdit[] = [];
  if (label) {
    const value = scalarOf(text, label.value);
    const swapped =
      value === 0
        ? '1'
        : value === 1
          ? '0'
          : typeof value === 'string'
            ? swapLetter(value, /^(\s*)([ab])(\s*)$/i)
            : undefined;
    if (swapped === undefined) {
      refuse(labelRefusal('label', value, '0 or "A" (response_a preferred), 1 or "B" (response_b preferred)'));
    }
    edits.push(...replaceWith(text, label.value, swapped));
  }
  if (winner) {
    const value = scalarOf(text, winner.value);
    const swapped = typeof value === 'string' ? swapLetter(value, /^(\s*model_)([ab])(\s*)$/i) : undefined;
    if (swapped === undefined) refuse(labelRefusal('winner', value, '"model_a" or "model_b"'));
    edits.push(...replaceWith(text, winner.value, swapped));
  }
  return edits;
}

/** `value` as JSON with its a/b (group 2 of `pattern`) exchanged, case kept; undefined when it does not match. */
function swapLetter(value: string, pattern: RegExp): string | undefined {
  const m = pattern.exec(value);
  if (!m) return undefined;
  const swapped = { a: 'b', b: 'a', A: 'B', B: 'A' }[m[2]];
  return JSON.stringify(`${m[1]}${swapped}${m[3]}`);
}

function labelRefusal(key: string, value: unknown, expected: string): string {
  const isTie = typeof value === 'string' && /^\s*tie\b/i.test(value);
  return isTie
    ? `\`${key}\` says the record is a tie: it states no preference, so there is nothing to swap. Set \`${key}\` to the response that won (${expected}).`
    : `\`${key}\` is ${JSON.stringify(value)}, which names no winner; set it to ${expected}.`;
}

function swapNemoRlRanks(scanned: Scanned): LineEdit[] {
  const { text, root } = scanned;
  const completions = field(root, 'completions');
  if (!completions || completions.value.kind !== 'array') {
    refuse('the record has no `completions` list, so there is nothing to swap; a NeMo-RL record ranks its responses in `completions` ({"rank", "completion"}, lower rank preferred).');
  }
  const items = completions.value.items;
  if (items.length !== 2) {
    refuse(
      items.length < 2
        ? `\`completions\` has ${items.length === 0 ? 'no entries' : 'one entry'}; a preference needs two completions of different rank.`
        : `the record ranks ${items.length} completions, which gives one pair per two ranks; swapping chosen and rejected is not one edit here. Change the \`rank\` values by hand (lower rank is preferred).`,
    );
  }
  const ranks = items.map((item, i) => {
    const rank = item.kind === 'object' ? field(item, 'rank') : undefined;
    const value = rank ? scalarOf(text, rank.value) : undefined;
    if (!rank || typeof value !== 'number') refuse(`\`completions[${i}]\` has no numeric \`rank\`; give each completion a rank (lower is preferred).`);
    return { node: rank.value, value };
  });
  if (ranks[0].value === ranks[1].value) {
    refuse(`both completions have rank ${ranks[0].value}: equal ranks state no preference, so there is nothing to swap. Give the better completion the lower rank.`);
  }
  return swapValues(text, ranks[0].node, ranks[1].node);
}

function flipLabelStudioChoice(scanned: Scanned): LineEdit[] {
  const { text, root } = scanned;
  // The same test the reader uses to tell a full export's task from a JSON-MIN record.
  const list = field(root, 'annotations') ?? field(root, 'completions');
  if (hasMember(root, 'data') || list?.value.kind === 'array') {
    if (!list || list.value.kind !== 'array') refuse('the task has no `annotations` list, so no choice was made; annotate it in Label Studio first.');
    const usable = list.value.items
      .map(pairwiseChoiceOfAnnotation(text))
      .filter((s): s is Node => s !== undefined);
    if (usable.length !== 1) {
      refuse(
        usable.length === 0
          ? 'none of the task\'s annotations has a pairwise choice ({"selected": "left" | "right"}), so there is nothing to swap.'
          : `the task has ${usable.length} annotations with a pairwise choice, each one annotator's judgement and one pair; a swap would not say whose. Flip the \`selected\` of the annotation you mean by hand.`,
      );
    }
    return flipSelected(text, usable[0]);
  }
  // JSON-MIN: the first field holding [{"selected": …}] (or {"selected": …}) is the choice, as in the reader.
  for (const m of root.members) {
    const holder = m.value.kind === 'array' ? m.value.items[0] : m.value;
    if (holder?.kind !== 'object') continue;
    if (m.value.kind === 'object' && m.value.members.length > 2) continue;
    const selected = field(holder, 'selected');
    if (selected) return flipSelected(text, selected.value);
  }
  return refuse('the record has no pairwise choice (a field holding [{"selected": "left" | "right"}]), so there is nothing to swap. Is the file read with the right format?');
}

/** The `selected` of an annotation that gives a pair: not cancelled, its first pairwise result left or right. */
function pairwiseChoiceOfAnnotation(text: string): (annotation: Node) => Node | undefined {
  return (annotation) => {
    if (annotation.kind !== 'object') return undefined;
    for (const flag of ['was_cancelled', 'skipped']) {
      const f = field(annotation, flag);
      if (f && scalarOf(text, f.value) === true) return undefined;
    }
    const result = field(annotation, 'result');
    if (!result || result.value.kind !== 'array') return undefined;
    const first = result.value.items.find((r) => isPairwiseResult(text, r));
    if (first?.kind !== 'object') return undefined;
    const value = field(first, 'value');
    const selected = value?.value.kind === 'object' ? field(value.value, 'selected') : undefined;
    const choice = selected ? scalarOf(text, selected.value) : undefined;
    return choice === 'left' || choice === 'right' ? selected!.value : undefined;
  };
}

/** Label Studio reader's test: a result of type "pairwise", or without a type, a value with `selected`. */
function isPairwiseResult(text: string, r: Node): boolean {
  if (r.kind !== 'object') return false;
  const type = field(r, 'type');
  const t = type ? scalarOf(text, type.value) : undefined;
  if (typeof t === 'string') return t.toLowerCase() === 'pairwise';
  const value = field(r, 'value');
  return value?.value.kind === 'object' && hasMember(value.value, 'selected');
}

function flipSelected(text: string, selected: Node): LineEdit[] {
  const value = scalarOf(text, selected);
  if (value !== 'left' && value !== 'right') {
    refuse(`the pairwise choice is ${JSON.stringify(value)}, not "left" or "right"; set it to the side that won.`);
  }
  return replaceWith(text, selected, JSON.stringify(value === 'left' ? 'right' : 'left'));
}

/** The swapped line must read as the same pairs with chosen and rejected exchanged; else it is a bug here. */
function checkSwapReadsBack(after: string, record: Record<string, unknown>, format: FormatId): void {
  const reader = FORMAT_READERS[format];
  const old = reader.read(record).pairs;
  if (old.length === 0) return; // Nothing to compare: the record gives no pair as it is (a tie, or broken).
  let now: ReturnType<typeof reader.read>['pairs'] = [];
  try {
    const parsed = parseJson(after);
    if (isPlainObject(parsed)) now = reader.read(parsed).pairs;
  } catch {
    // Reported below.
  }
  const exchanged =
    now.length === old.length &&
    old.every(
      (p, i) =>
        deepEqual(now[i].prompt, p.prompt) &&
        deepEqual(now[i].chosen, p.rejected) &&
        deepEqual(now[i].rejected, p.chosen),
    );
  if (!exchanged) {
    refuse(`the swap was not made: read back as ${reader.title}, the edited line did not give the same pairs with chosen and rejected exchanged (a bug in Reward Studio; the line is left as it was).`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Side spans, per format

function sideSpans(scanned: Scanned, format: FormatId): RecordSideSpans {
  const { text, root } = scanned;
  const span = (key: string): TextSpan | undefined => spanOf(lastField(root, key)?.value);
  switch (format) {
    case 'trl':
    case 'ultrafeedback':
      return { prompt: span('prompt'), chosen: span('chosen'), rejected: span('rejected') };
    case 'hh-rlhf':
      return { chosen: span('chosen'), rejected: span('rejected') };
    case 'nemo-aligner':
      return { prompt: span('prompt'), chosen: span('chosen_response'), rejected: span('rejected_response') };
    case 'shp':
      return shpSpans(text, root);
    case 'nemo-rl':
      return nemoRlSpans(text, root);
    case 'label-studio':
      return labelStudioSpans(scanned);
    default:
      return {};
  }
}

function shpSpans(text: string, root: ObjectNode): RecordSideSpans {
  const span = (key: string): TextSpan | undefined => spanOf(lastField(root, key)?.value);
  let aWins: boolean | undefined;
  if (hasMember(root, 'human_ref_A') || hasMember(root, 'human_ref_B')) {
    const labels = lastField(root, 'labels');
    const v = labels ? scalarOf(text, labels.value) : undefined;
    aWins = v === 1 || v === true ? true : v === 0 || v === false ? false : undefined;
    return sidesByWinner(span('history'), span('human_ref_A'), span('human_ref_B'), aWins);
  }
  // As the reader: `label` decides when present, `winner` otherwise.
  const label = lastField(root, 'label');
  const winner = lastField(root, 'winner');
  if (label) {
    const v = scalarOf(text, label.value);
    const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    aWins = v === 0 || s === 'a' ? true : v === 1 || s === 'b' ? false : undefined;
  } else if (winner) {
    const v = scalarOf(text, winner.value);
    const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    aWins = s === 'model_a' ? true : s === 'model_b' ? false : undefined;
  }
  return sidesByWinner(span('prompt'), span('response_a'), span('response_b'), aWins);
}

function sidesByWinner(
  prompt: TextSpan | undefined,
  a: TextSpan | undefined,
  b: TextSpan | undefined,
  aWins: boolean | undefined,
): RecordSideSpans {
  if (aWins === undefined) return { prompt };
  return aWins ? { prompt, chosen: a, rejected: b } : { prompt, chosen: b, rejected: a };
}

function nemoRlSpans(text: string, root: ObjectNode): RecordSideSpans {
  const prompt = spanOf(lastField(root, 'context')?.value);
  const completions = lastField(root, 'completions')?.value;
  if (completions?.kind !== 'array' || completions.items.length !== 2) return { prompt };
  const ranked = completions.items.map((item) => {
    if (item.kind !== 'object') return undefined;
    const rank = lastField(item, 'rank');
    const value = rank ? scalarOf(text, rank.value) : undefined;
    if (typeof value !== 'number') return undefined;
    return { rank: value, completion: spanOf(lastField(item, 'completion')?.value) };
  });
  const [x, y] = ranked;
  if (!x || !y || x.rank === y.rank) return { prompt };
  return x.rank < y.rank
    ? { prompt, chosen: x.completion, rejected: y.completion }
    : { prompt, chosen: y.completion, rejected: x.completion };
}

const LABEL_STUDIO_PROMPT_KEYS = ['prompt', 'question', 'instruction', 'input', 'context'];

/**
 * Label Studio resolves its response fields in several ways (see its reader); rather than repeat them, the
 * record is read and the fields whose values are the first pair's chosen and rejected are the spans.
 */
function labelStudioSpans({ root, record }: Scanned): RecordSideSpans {
  const data = lastField(root, 'data')?.value;
  const container = data?.kind === 'object' && isPlainObject(record.data) ? data : root;
  const values = container === root ? record : (record.data as Record<string, unknown>);
  const promptKey = LABEL_STUDIO_PROMPT_KEYS.find((k) => hasMember(container, k));
  const out: RecordSideSpans = { prompt: promptKey ? spanOf(lastField(container, promptKey)?.value) : undefined };
  const pair = FORMAT_READERS['label-studio'].read(record).pairs[0];
  if (!pair) return out;
  const holding = (side: unknown): Member | undefined => {
    const found = container.members.filter((m) => m.key !== promptKey && deepEqual(values[m.key], side));
    return found.length === 1 ? found[0] : undefined;
  };
  const chosen = holding(pair.chosen);
  const rejected = holding(pair.rejected);
  if (chosen && rejected && chosen !== rejected) {
    out.chosen = spanOf(chosen.value);
    out.rejected = spanOf(rejected.value);
  }
  return out;
}

function spanOf(node: Node | undefined): TextSpan | undefined {
  return node && { start: node.start, end: node.end };
}

function pruneUndefined(spans: RecordSideSpans): RecordSideSpans {
  const out: RecordSideSpans = {};
  if (spans.prompt) out.prompt = spans.prompt;
  if (spans.chosen) out.chosen = spans.chosen;
  if (spans.rejected) out.rejected = spans.rejected;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Edits

function swapValues(text: string, a: Node, b: Node): LineEdit[] {
  const aText = text.slice(a.start, a.end);
  const bText = text.slice(b.start, b.end);
  if (aText === bText) return [];
  return [
    { start: a.start, end: a.end, newText: bText },
    { start: b.start, end: b.end, newText: aText },
  ];
}

function replaceWith(text: string, node: Node, newText: string): LineEdit[] {
  return text.slice(node.start, node.end) === newText ? [] : [{ start: node.start, end: node.end, newText }];
}

function sorted(edits: LineEdit[]): LineEdit[] {
  const out = [...edits].sort((a, b) => a.start - b.start);
  for (let i = 1; i < out.length; i++) {
    if (out[i].start < out[i - 1].end) throw new Error(`internal: overlapping edits at ${out[i].start}`);
  }
  return out;
}

/** How the line separates fields (`, ` or `,`) and keys from values (`: ` or `:`), to write a new one alike. */
function fieldStyle(text: string, root: ObjectNode): { separator: string; colon: string } {
  const ms = root.members;
  const last = ms[ms.length - 1];
  const prev = ms[ms.length - 2];
  const sep = prev ? text.slice(prev.value.end, last.keySpan.start) : '';
  const colon = last ? text.slice(last.keySpan.end, last.value.start) : '';
  return {
    separator: /^[ \t]*,[ \t]*$/.test(sep) ? sep : ', ',
    colon: /^[ \t]*:[ \t]*$/.test(colon) ? colon : ': ',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Refusals

/** Thrown inside this module for "this edit cannot be made"; turned into RecordEditError at the API. */
class Refusal extends Error {}

function refuse(message: string): never {
  throw new Refusal(message);
}

function refusalToError(make: () => LineEdit[]): LineEdit[] | RecordEditError {
  try {
    return make();
  } catch (err) {
    if (err instanceof Refusal) return { error: err.message };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Spans of JSON values

interface NodeBase extends TextSpan {
  kind: 'object' | 'array' | 'string' | 'other';
}
interface ObjectNode extends NodeBase {
  kind: 'object';
  members: Member[];
  /** Keys that occur more than once, in order of their second occurrence. */
  duplicates: string[];
}
interface ArrayNode extends NodeBase {
  kind: 'array';
  items: Node[];
}
/** A string, number, literal — or an object or array deeper than the scanner looks (`other`). */
interface LeafNode extends NodeBase {
  kind: 'string' | 'other';
}
type Node = ObjectNode | ArrayNode | LeafNode;

interface Member {
  key: string;
  /** The key's text, quotes included. */
  keySpan: TextSpan;
  value: Node;
}

interface Scanned {
  text: string;
  root: ObjectNode;
  /** The record as parseJson reads it (big integers as LosslessNumber). */
  record: Record<string, unknown>;
}

/**
 * Check the line with parseJson (its messages say where and why), then take the spans. Duplicate keys at
 * the top level are refused unless allowed: readers keep the last one, the user may mean either.
 */
function scanRecord(text: string, options: { allowDuplicates?: boolean } = {}): Scanned {
  let record: unknown;
  try {
    record = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      refuse(`the line is not valid JSON (column ${err.offset + 1}): ${err.message}`);
    }
    throw err;
  }
  if (!isPlainObject(record)) {
    refuse(`the line holds ${Array.isArray(record) ? 'a list' : 'a single value'}, not a record: a preference record is one JSON object per line.`);
  }
  const root = new SpanScanner(text).document();
  if (root.kind !== 'object') throw new Error('internal: the span scanner disagrees with the parser');
  if (!options.allowDuplicates && root.duplicates.length > 0) refuseDuplicate(root.duplicates[0], '');
  return { text, root, record };
}

function refuseDuplicate(key: string, where: string): never {
  return refuse(
    `the record has the key ${JSON.stringify(key)} twice${where ? ` in \`${where}\`` : ''}; readers keep the last one, so an edit here is ambiguous. Remove the one you do not mean first.`,
  );
}

/** The member `key` of `obj`; a refusal when the key occurs twice there (which one would be edited?). */
function field(obj: ObjectNode, key: string): Member | undefined {
  let found: Member | undefined;
  for (const m of obj.members) {
    if (m.key !== key) continue;
    if (found) refuseDuplicate(key, 'a nested object');
    found = m;
  }
  return found;
}

/** The member `key` of `obj`, the last one when it occurs twice: the one readers see (for spans only). */
function lastField(obj: ObjectNode, key: string): Member | undefined {
  for (let i = obj.members.length - 1; i >= 0; i--) if (obj.members[i].key === key) return obj.members[i];
  return undefined;
}

function hasMember(obj: ObjectNode, key: string): boolean {
  return obj.members.some((m) => m.key === key);
}

/** The JSON value of a leaf (strings, numbers, literals); undefined for objects and arrays. */
function scalarOf(text: string, node: Node): unknown {
  if (node.kind === 'object' || node.kind === 'array') return undefined;
  const raw = text.slice(node.start, node.end);
  if (raw.startsWith('{') || raw.startsWith('[')) return undefined;
  return parseJson(raw);
}

/** Objects and arrays deeper than this are kept as one span (no edit reaches further; no deep recursion). */
const SCAN_DEPTH = 8;

/**
 * Spans of the values of a line parseJson has accepted. It does not re-validate; it only has to find where
 * each value starts and ends, which for valid JSON is fixed by quotes, escapes and brackets.
 */
class SpanScanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  document(): Node {
    return this.value(0);
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw new Error(`internal: expected '${ch}' at ${this.pos}`);
    this.pos++;
  }

  private value(depth: number): Node {
    this.ws();
    const start = this.pos;
    const ch = this.text[start];
    if (ch === '"') {
      this.skipString();
      return { kind: 'string', start, end: this.pos };
    }
    if (ch !== '{' && ch !== '[') {
      while (this.pos < this.text.length && !',}] \t\r\n'.includes(this.text[this.pos])) this.pos++;
      return { kind: 'other', start, end: this.pos };
    }
    if (depth >= SCAN_DEPTH) {
      this.skipContainer();
      return { kind: 'other', start, end: this.pos };
    }
    return ch === '{' ? this.object(depth) : this.array(depth);
  }

  private object(depth: number): ObjectNode {
    const start = this.pos;
    this.expect('{');
    const members: Member[] = [];
    const seen = new Set<string>();
    const duplicates: string[] = [];
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', start, end: this.pos, members, duplicates };
    }
    for (;;) {
      this.ws();
      const keyStart = this.pos;
      this.skipString();
      const keySpan = { start: keyStart, end: this.pos };
      const key = JSON.parse(this.text.slice(keyStart, this.pos)) as string;
      if (seen.has(key)) duplicates.push(key);
      seen.add(key);
      this.ws();
      this.expect(':');
      members.push({ key, keySpan, value: this.value(depth + 1) });
      this.ws();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect('}');
      return { kind: 'object', start, end: this.pos, members, duplicates };
    }
  }

  private array(depth: number): ArrayNode {
    const start = this.pos;
    this.expect('[');
    const items: Node[] = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', start, end: this.pos, items };
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.ws();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(']');
      return { kind: 'array', start, end: this.pos, items };
    }
  }

  private skipString(): void {
    const t = this.text;
    this.expect('"');
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x5c) this.pos += 2;
      else if (c === 0x22) {
        this.pos++;
        return;
      } else this.pos++;
    }
    throw new Error('internal: unterminated string');
  }

  /** Past a whole object or array, iteratively (any depth). */
  private skipContainer(): void {
    const t = this.text;
    let open = 0;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === '"') {
        this.skipString();
        continue;
      }
      this.pos++;
      if (c === '{' || c === '[') open++;
      else if ((c === '}' || c === ']') && --open === 0) return;
    }
    throw new Error('internal: unclosed container');
  }
}
