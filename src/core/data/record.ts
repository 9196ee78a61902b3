/**
 * The one canonical preference record every reader produces and every writer consumes.
 *
 * Shapes follow TRL's preference datasets: `prompt` is a string (standard) or a list of chat messages
 * (conversational); `chosen` and `rejected` are the responses only — never the prompt again.
 */

/** One chat turn. Extra keys a source carries (`name`, `tool_calls`, …) are kept as they are. */
export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

export type Conversation = ChatMessage[];

/** A prompt or a response: plain text, or chat messages. */
export type TextOrConversation = string | Conversation;

/** Where a record came from, for file:line links and reports. */
export interface SourceLocation {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
}

/** Annotation and provenance metadata. Free-form beyond the fields named here. */
export interface PreferenceMeta {
  annotator?: string;
  /** ISO-8601 time of the judgement. */
  time?: string;
  /** Where the record was read from or judged from (a dataset name, a file). */
  source?: string;
  /** Which response stood on the left when it was judged. */
  shownOrder?: 'chosen-left' | 'chosen-right';
  [key: string]: unknown;
}

export interface PreferencePair {
  prompt: TextOrConversation;
  chosen: TextOrConversation;
  rejected: TextOrConversation;
  /** How much better `chosen` is; used as the margin in −log σ(r_c − r_r − margin). */
  margin?: number;
  id?: string;
  meta?: PreferenceMeta;
  /**
   * Fields the source record had that the canonical record does not model, in their original order.
   * Writers put them back untouched (see `LosslessNumber` for integers beyond 2^53).
   */
  extra?: Record<string, unknown>;
}

/** Field names the canonical record owns; anything else in a TRL line is `extra`. */
export const CANONICAL_FIELDS: ReadonlySet<string> = new Set([
  'prompt',
  'chosen',
  'rejected',
  'margin',
  'id',
  'meta',
]);

export function isConversation(value: unknown): value is Conversation {
  return Array.isArray(value) && value.every(isChatMessage);
}

export function isChatMessage(value: unknown): value is ChatMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { role?: unknown }).role === 'string' &&
    typeof (value as { content?: unknown }).content === 'string'
  );
}

/** Plain text of a prompt or response: the message contents joined by blank lines. */
export function textOf(value: TextOrConversation): string {
  return typeof value === 'string' ? value : value.map((m) => m.content).join('\n\n');
}

/** Length in characters (Unicode code points) — the unit of the length-only baseline. */
export function charLength(value: TextOrConversation): number {
  if (typeof value === 'string') return codePointLength(value);
  let n = 0;
  for (const m of value) n += codePointLength(m.content);
  return n;
}

function codePointLength(s: string): number {
  let n = s.length;
  // Subtract one for each surrogate pair so an emoji counts once.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** True when the side carries no text at all (empty string, no messages, or only empty messages). */
export function isEmptySide(value: TextOrConversation): boolean {
  return textOf(value).trim().length === 0;
}
