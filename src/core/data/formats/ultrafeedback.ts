/**
 * UltraFeedback-binarized (HuggingFaceH4/ultrafeedback_binarized and its many copies):
 *   {"prompt": "…", "prompt_id": "…", "chosen": [{user}, {assistant}], "rejected": [{user}, {assistant}],
 *    "messages": [ …copy of chosen… ], "score_chosen": 8.0, "score_rejected": 5.0}
 *
 * chosen and rejected are whole conversations, user turn included, so the prompt is their common leading
 * messages and the responses are the rest (what TRL's `maybe_extract_prompt` does when `prompt` is a
 * string but the responses are conversations).
 * - `prompt` (text) repeats the user turn: dropped; a warning if it does not match that turn.
 * - `prompt_id` becomes `id`.
 * - `messages` is the SFT view of the same row, a copy of chosen: dropped when it equals chosen, kept in
 *   `extra` otherwise (then it is information the pair does not have).
 * - `score_chosen` / `score_rejected` stay in `extra`.
 * - score_chosen == score_rejected is a tie (the binarization picked "rejected" among equally rated
 *   answers; the dataset has such rows): no pair, a 'tie' warning — a tie carries no preference and
 *   training on it as one teaches the model noise. Remove the scores to read such rows as TRL pairs.
 */
import type { Conversation } from '../record';
import type { FormatReader, ReadResult, RecordProblem } from './types';
import {
  asId,
  asNumber,
  commonMessagePrefixLength,
  deepEqual,
  describeValue,
  error,
  hasOwn,
  makePair,
  readTextOrConversation,
  requireFields,
  setOwn,
  settle,
  singlePairResult,
  takeCommonFields,
  warning,
} from './common';

const TITLE = 'UltraFeedback (binarized)';
const CONSUMED = new Set(['prompt', 'prompt_id', 'chosen', 'rejected', 'messages']);

export const ultrafeedbackReader: FormatReader = {
  id: 'ultrafeedback',
  title: TITLE,
  shape:
    '{"prompt": string, "prompt_id": string, "chosen": messages, "rejected": messages, "messages": messages, "score_chosen": number, "score_rejected": number}',

  match(record) {
    if (!Array.isArray(record.chosen) || !Array.isArray(record.rejected)) return 0;
    // A conversational prompt means the prompt is already separate: plain TRL.
    if (Array.isArray(record.prompt)) return 0;
    let score = 0;
    if (hasOwn(record, 'prompt_id')) score += 15;
    if (hasOwn(record, 'score_chosen') && hasOwn(record, 'score_rejected')) score += 15;
    if (score > 0 && hasOwn(record, 'messages')) score += 3;
    return score;
  },

  read(record): ReadResult {
    return settle(readUltrafeedback(record));
  },
};

function readUltrafeedback(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const present = requireFields(
    record,
    ['chosen', 'rejected'],
    problems,
    (key) =>
      `\`${key}\` is missing: an UltraFeedback record needs \`chosen\` and \`rejected\` conversations.`,
  );
  const common = takeCommonFields(record, CONSUMED, problems, { formatTitle: TITLE });
  if (hasOwn(record, 'prompt_id') && record.prompt_id !== null) {
    const id = asId(record.prompt_id);
    if (id === undefined) {
      problems.push(
        error(
          'prompt_id',
          'wrong-type',
          `\`prompt_id\` is ${describeValue(record.prompt_id)}; expected a string.`,
        ),
      );
    } else common.id = id;
  }
  if (!present) return { pairs: [], problems };

  const chosen = readConversation(record.chosen, 'chosen', problems);
  const rejected = readConversation(record.rejected, 'rejected', problems);
  if (!chosen || !rejected) return { pairs: [], problems };

  const n = commonMessagePrefixLength(chosen, rejected);
  const prompt = chosen.slice(0, n);
  if (n === 0) {
    problems.push(
      warning(
        'chosen',
        'missing-field',
        'chosen and rejected share no leading messages, so the prompt is empty; UltraFeedback conversations start with the same user turn.',
      ),
    );
  }
  checkPromptText(record, prompt, problems);

  if (hasOwn(record, 'messages') && !deepEqual(record.messages, chosen)) {
    // Not the usual copy of chosen: keep it, in its original place among the extras.
    common.extra = withKeyInOrder(record, common.extra, 'messages');
  }

  const sc = asNumber(record.score_chosen);
  const sr = asNumber(record.score_rejected);
  if (sc !== undefined && sc === sr) {
    problems.push(
      warning(
        'score_chosen',
        'tie',
        `score_chosen equals score_rejected (${sc}): the two responses were rated the same, so this row states no preference and no pair is made.`,
      ),
    );
    return { pairs: [], problems };
  }
  return singlePairResult(
    makePair({ prompt, chosen: chosen.slice(n), rejected: rejected.slice(n) }, common),
    problems,
  );
}

function readConversation(value: unknown, path: string, problems: RecordProblem[]): Conversation | undefined {
  if (typeof value === 'string') {
    problems.push(
      error(
        path,
        'wrong-type',
        `\`${path}\` is a string; UltraFeedback's chosen and rejected are lists of {"role", "content"} messages. For plain strings read the file with --from trl.`,
      ),
    );
    return undefined;
  }
  const v = readTextOrConversation(value, path, problems);
  return v === undefined ? undefined : (v as Conversation);
}

function checkPromptText(
  record: Record<string, unknown>,
  prompt: Conversation,
  problems: RecordProblem[],
): void {
  if (!hasOwn(record, 'prompt') || record.prompt === null) return;
  const text = record.prompt;
  if (typeof text !== 'string') {
    problems.push(
      warning(
        'prompt',
        'wrong-type',
        `\`prompt\` is ${describeValue(text)} and is ignored; the prompt is taken from the messages chosen and rejected share.`,
      ),
    );
    return;
  }
  const userTurns = prompt.filter((m) => m.role === 'user').map((m) => m.content);
  if (!userTurns.includes(text)) {
    problems.push(
      warning(
        'prompt',
        'invalid-value',
        '`prompt` does not match any user turn that chosen and rejected share; the shared messages are used as the prompt and the `prompt` text is dropped.',
      ),
    );
  }
}

/** `extra` with `key` from `record` inserted where it stood among the record's other extra fields. */
function withKeyInOrder(
  record: Record<string, unknown>,
  extra: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record)) {
    if (k === key) setOwn(out, k, record[k]);
    else if (extra && hasOwn(extra, k)) setOwn(out, k, extra[k]);
  }
  return out;
}
