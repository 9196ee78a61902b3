/**
 * Pieces every format reader shares: problem construction, type descriptions for messages, validation of
 * a prompt/response that may be text or chat messages, implicit-prompt extraction, and the handling of
 * fields the canonical record does not model (`extra`).
 *
 * Readers never throw for bad data: they collect RecordProblems and decide at the end whether a pair
 * came out (severity 'error' means it did not).
 */
import { LosslessNumber, joinPath } from '../json';
import type {
  ChatMessage,
  Conversation,
  PreferenceMeta,
  PreferencePair,
  TextOrConversation,
} from '../record';
import type { ProblemCode } from '../problems';
import type { ReadResult, RecordProblem } from './types';

export function error(path: string, code: ProblemCode, message: string): RecordProblem {
  return { path, message, code, severity: 'error' };
}

export function warning(path: string, code: ProblemCode, message: string): RecordProblem {
  return { path, message, code, severity: 'warning' };
}

export function info(path: string, code: ProblemCode, message: string): RecordProblem {
  return { path, message, code, severity: 'info' };
}

export function hasErrors(problems: readonly RecordProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** The result of a record that yields at most one pair: no pair as soon as one error was found. */
export function singlePairResult(pair: PreferencePair | undefined, problems: RecordProblem[]): ReadResult {
  return { pairs: pair && !hasErrors(problems) ? [pair] : [], problems };
}

/**
 * Warnings that only matter when a pair is written — a field the written line cannot keep. When the
 * record yields no pair (it is broken, or a tie) they are noise next to the real reason, so `settle`
 * removes them; a record read with the wrong --from then shows just what is missing.
 */
const pairOnlyWarnings = new WeakSet<RecordProblem>();

/** Every reader's last step: see `pairOnlyWarnings`. */
export function settle(result: ReadResult): ReadResult {
  if (result.pairs.length > 0) return result;
  return { pairs: result.pairs, problems: result.problems.filter((p) => !pairOnlyWarnings.has(p)) };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof LosslessNumber)
  );
}

export function hasOwn(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

/**
 * Set a property as an own, enumerable data property. Plain assignment would treat a key named
 * "__proto__" (legal in JSON, kept as an own property by both parsers) as a prototype change.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** "a number (42)", "null", "an array", … — for "… is X; expected Y" messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (value instanceof LosslessNumber) return `a number (${value.text})`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  switch (typeof value) {
    case 'string':
      return value.length === 0 ? 'an empty string' : 'a string';
    case 'number':
      return `a number (${value})`;
    case 'boolean':
      return `${value}`;
    default:
      return 'an object';
  }
}

/** `"chosen"` as it appears in messages: the field path in backticks. */
export function q(path: string): string {
  return `\`${path}\``;
}

/** A JSON number (including a LosslessNumber) as a double; undefined for anything else. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof LosslessNumber) return value.valueOf();
  return undefined;
}

/** An id: strings as they are, numbers as their JSON text (a LosslessNumber keeps every digit). */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value instanceof LosslessNumber) return value.text;
  return undefined;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof LosslessNumber || b instanceof LosslessNumber) {
    return a instanceof LosslessNumber && b instanceof LosslessNumber && a.text === b.text;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  const oa = a as Record<string, unknown>;
  return ka.every((k) => hasOwn(ob, k) && deepEqual(oa[k], ob[k]));
}

// ---------------------------------------------------------------------------------------------------------
// Prompts and responses: text or chat messages

export type SideKind = 'text' | 'conversation';

export function kindOf(value: TextOrConversation): SideKind {
  return typeof value === 'string' ? 'text' : 'conversation';
}

const EXPECTED_SIDE =
  'a string (standard form) or a list of {"role", "content"} messages (conversational form)';

/**
 * Check one prompt or response. Returns the value when it is a string or a list of well-formed messages;
 * otherwise pushes problems located at the exact element (`chosen[2].content`) and returns undefined.
 * The value must be present: callers report a missing field in their own words.
 */
export function readTextOrConversation(
  value: unknown,
  path: string,
  problems: RecordProblem[],
): TextOrConversation | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) {
    problems.push(
      error(path, 'wrong-type', `${q(path)} is ${describeValue(value)}; expected ${EXPECTED_SIDE}.`),
    );
    return undefined;
  }
  let ok = true;
  value.forEach((message: unknown, i) => {
    if (!checkMessage(message, joinPath(path, i), problems)) ok = false;
  });
  return ok ? (value as Conversation) : undefined;
}

function checkMessage(message: unknown, path: string, problems: RecordProblem[]): message is ChatMessage {
  if (!isPlainObject(message)) {
    problems.push(
      error(
        path,
        'wrong-type',
        `${q(path)} is ${describeValue(message)}; each message must be an object like {"role": "user", "content": "…"}.`,
      ),
    );
    return false;
  }
  let ok = true;
  for (const key of ['role', 'content'] as const) {
    const at = joinPath(path, key);
    const v = message[key];
    if (typeof v === 'string') continue;
    ok = false;
    if (!hasOwn(message, key)) {
      const have = Object.keys(message);
      const hint =
        key === 'content' && hasOwn(message, 'value')
          ? ' (it has "value": ShareGPT-style messages use "from"/"value"; rename them to "role"/"content")'
          : key === 'role' && hasOwn(message, 'from')
            ? ' (it has "from": ShareGPT-style messages use "from"/"value"; rename them to "role"/"content")'
            : have.length
              ? ` (it has ${have.map((k) => JSON.stringify(k)).join(', ')})`
              : '';
      problems.push(
        error(
          at,
          'missing-field',
          `the message ${q(path)} has no "${key}"${hint}; every message needs a string "role" and a string "content".`,
        ),
      );
    } else if (key === 'content' && Array.isArray(v)) {
      problems.push(
        error(
          at,
          'wrong-type',
          `${q(at)} is a list of content parts; Reward Studio reads text messages only — join the text parts into one string.`,
        ),
      );
    } else {
      problems.push(error(at, 'wrong-type', `${q(at)} is ${describeValue(v)}; expected a string.`));
    }
  }
  return ok;
}

export interface SideInput {
  /** Field path of the value, for problems. */
  path: string;
  value: unknown;
}

export interface Sides {
  prompt: TextOrConversation;
  chosen: TextOrConversation;
  rejected: TextOrConversation;
}

export interface ReadSidesOptions {
  /** Added to the message when the prompt's form differs from the responses' form. */
  mixedPromptHint?: string;
}

/**
 * Validate prompt, chosen and rejected together: each must be text or messages, and all three of the same
 * form (TRL's standard or conversational). Without a prompt the prompt is implicit and is taken from the
 * common start of chosen and rejected (see `splitImplicitPrompt`).
 */
export function readSides(
  prompt: SideInput | undefined,
  chosen: SideInput,
  rejected: SideInput,
  problems: RecordProblem[],
  options: ReadSidesOptions = {},
): Sides | undefined {
  const before = problems.length;
  const p = prompt ? readTextOrConversation(prompt.value, prompt.path, problems) : undefined;
  const c = readTextOrConversation(chosen.value, chosen.path, problems);
  const r = readTextOrConversation(rejected.value, rejected.path, problems);
  if (problems.length > before || c === undefined || r === undefined) return undefined;
  if (kindOf(c) !== kindOf(r)) {
    problems.push(
      error(
        rejected.path,
        'wrong-type',
        `${q(rejected.path)} is ${formName(r)} but ${q(chosen.path)} is ${formName(c)}; ` +
          'both responses must have the same form: two strings, or two lists of {"role", "content"} messages.',
      ),
    );
    return undefined;
  }
  if (prompt && p !== undefined) {
    if (kindOf(p) !== kindOf(c)) {
      problems.push(
        error(
          prompt.path,
          'wrong-type',
          `${q(prompt.path)} is ${formName(p)} but ${q(chosen.path)} and ${q(rejected.path)} are ${formName(c, true)}; ` +
            'use one form throughout: all strings (standard) or all lists of {"role", "content"} messages (conversational).' +
            (options.mixedPromptHint ? ` ${options.mixedPromptHint}` : ''),
        ),
      );
      return undefined;
    }
    return { prompt: p, chosen: c, rejected: r };
  }
  return splitImplicitPrompt(c, r);
}

function formName(v: TextOrConversation, plural = false): string {
  if (typeof v === 'string') return plural ? 'strings' : 'a string';
  return plural ? 'lists of chat messages' : 'a list of chat messages';
}

/**
 * The implicit prompt of a pair whose chosen and rejected both start with it.
 *
 * Conversations: the longest run of leading messages that are identical in both (whole-message deep
 * equality, so a shared message never hides a difference in an extra key such as "name"), leaving at
 * least one message on each side — as TRL's `extract_prompt` does, a response is never empty just because
 * the two sides happen to be equal.
 *
 * Strings: the common character prefix, backed off to just after the last whitespace inside it, so the
 * prompt never ends in the middle of a word ("The cat" / "The car" → prompt "The ", responses "cat" /
 * "car"). TRL's `extract_prompt` splits at the raw first differing character instead (prompt "The ca",
 * responses "t" / "r") and moves one trailing space into the responses; training on word fragments, or on
 * a response that starts with a space the prompt lost, is rarely what anyone meant.
 */
export function splitImplicitPrompt(chosen: TextOrConversation, rejected: TextOrConversation): Sides {
  if (typeof chosen === 'string' && typeof rejected === 'string') {
    const cut = wordBoundaryPrefixLength(chosen, rejected);
    return { prompt: chosen.slice(0, cut), chosen: chosen.slice(cut), rejected: rejected.slice(cut) };
  }
  const c = chosen as Conversation;
  const r = rejected as Conversation;
  const n = commonMessagePrefixLength(c, r);
  return { prompt: c.slice(0, n), chosen: c.slice(n), rejected: r.slice(n) };
}

/** Leading messages equal in both, never all of the shorter one (each side keeps at least one message). */
export function commonMessagePrefixLength(a: Conversation, b: Conversation): number {
  const limit = Math.min(a.length, b.length) - 1;
  let n = 0;
  while (n < limit && deepEqual(a[n], b[n])) n++;
  return n;
}

function wordBoundaryPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let n = 0;
  while (n < limit && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  // Back off to just after the last whitespace inside the common prefix (0 when there is none).
  let cut = n;
  while (cut > 0 && !/\s/.test(a[cut - 1])) cut--;
  return cut;
}

/** Wrap text as a one-message conversation (the form NeMo-RL's own converters give bare strings). */
export function asConversation(value: TextOrConversation, role: 'user' | 'assistant'): Conversation {
  return typeof value === 'string' ? [{ role, content: value }] : value;
}

// ---------------------------------------------------------------------------------------------------------
// Canonical extras and unknown fields

export interface CommonFields {
  margin?: number;
  id?: string;
  meta?: PreferenceMeta;
  extra?: Record<string, unknown>;
}

export interface CommonFieldsOptions {
  /** Title of the format, for messages about fields that cannot be kept. */
  formatTitle: string;
  /** Extra advice when the record has a `prompt`, `chosen` or `rejected` key the format does not use. */
  droppedHint?: string;
}

/**
 * Everything in `record` outside `consumed`: `margin`, `id` and `meta` become the canonical fields in any
 * format (a wrong type is an error, `null` counts as absent); every other field goes to `extra` in its
 * original order so the writer puts it back untouched. A leftover `prompt`, `chosen` or `rejected` cannot
 * be kept — the written line has its own — and is dropped with a warning.
 */
export function takeCommonFields(
  record: Record<string, unknown>,
  consumed: ReadonlySet<string>,
  problems: RecordProblem[],
  options: CommonFieldsOptions,
): CommonFields {
  const out: CommonFields = {};
  const extra: Record<string, unknown> = {};
  let hasExtra = false;
  for (const key of Object.keys(record)) {
    if (consumed.has(key)) continue;
    const value = record[key];
    switch (key) {
      case 'margin': {
        if (value === null) break;
        const m = asNumber(value);
        if (m === undefined) {
          problems.push(
            error(
              'margin',
              'wrong-type',
              `\`margin\` is ${describeValue(value)}; expected a number (how much better chosen is), or leave it out.`,
            ),
          );
        } else out.margin = m;
        break;
      }
      case 'id': {
        if (value === null) break;
        const id = asId(value);
        if (id === undefined) {
          problems.push(
            error(
              'id',
              'wrong-type',
              `\`id\` is ${describeValue(value)}; expected a string or a number, or leave it out.`,
            ),
          );
        } else out.id = id;
        break;
      }
      case 'meta': {
        if (value === null) break;
        if (!isPlainObject(value)) {
          problems.push(
            error(
              'meta',
              'wrong-type',
              `\`meta\` is ${describeValue(value)}; expected an object (annotator, time, source, …), or leave it out.`,
            ),
          );
        } else out.meta = value as PreferenceMeta;
        break;
      }
      case 'prompt':
      case 'chosen':
      case 'rejected': {
        const dropped = warning(
          key,
          'invalid-value',
          `\`${key}\` is not part of the ${options.formatTitle} format and is dropped: the converted record has its own \`${key}\`.` +
            (options.droppedHint ? ` ${options.droppedHint}` : ''),
        );
        pairOnlyWarnings.add(dropped);
        problems.push(dropped);
        break;
      }
      default:
        setOwn(extra, key, value);
        hasExtra = true;
    }
  }
  if (hasExtra) out.extra = extra;
  return out;
}

/** A pair with its fields in canonical order and no undefined-valued keys. */
export function makePair(sides: Sides, common: CommonFields = {}): PreferencePair {
  const pair: PreferencePair = { prompt: sides.prompt, chosen: sides.chosen, rejected: sides.rejected };
  if (common.margin !== undefined) pair.margin = common.margin;
  if (common.id !== undefined) pair.id = common.id;
  if (common.meta !== undefined) pair.meta = common.meta;
  if (common.extra !== undefined) pair.extra = common.extra;
  return pair;
}

/** Report each of `keys` absent from `record`; true when all are present. */
export function requireFields(
  record: Record<string, unknown>,
  keys: readonly string[],
  problems: RecordProblem[],
  describe: (key: string) => string,
): boolean {
  let ok = true;
  for (const key of keys) {
    if (!hasOwn(record, key)) {
      problems.push(error(joinPath('', key), 'missing-field', describe(key)));
      ok = false;
    }
  }
  return ok;
}
