/**
 * Anthropic HH-RLHF transcripts: {"chosen": "\n\nHuman: …\n\nAssistant: …", "rejected": "…"}.
 *
 * Each side is the whole conversation. The prompt is the transcript up to and including the LAST
 * "\n\nAssistant:"; the response is the rest with its one leading space removed. Both sides must give the
 * same prompt, otherwise the record is 'ambiguous' and yields no pair.
 *
 * Conventions, checked against the real helpful-base test split and its published {prompt, chosen,
 * rejected} conversion (test/unit/core/data/formats/hh.test.ts):
 * - Exactly ONE leading space is removed, never all leading whitespace: every response in the raw split
 *   starts with "Assistant: " and the conversion keeps whatever follows the first space. (Four raw
 *   responses start with two spaces; all four sit in records whose sides disagree on the prompt, so the
 *   conversion never had to choose, and one-space removal reproduces all 2,339 kept pairs exactly.)
 * - Nothing else is trimmed: trailing whitespace and inner blank lines stay as they are.
 * - A response that is only the space after the marker becomes "" — a pair with an empty side, which the
 *   data checks report ('empty-side'); likewise chosen == rejected ('identical-sides'). This reader does
 *   not judge those, so one rule lives in one place. (The conversion dropped both kinds: 4 + 2 records.)
 * - The 9 helpful-base records whose prompts differ all have a response that itself contains
 *   "\n\nAssistant:" (the model wrote a second assistant turn), so the last marker of that side lies
 *   inside its response. The message says so.
 */
import type { FormatReader, ReadResult, RecordProblem } from './types';
import {
  describeValue,
  error,
  hasOwn,
  makePair,
  requireFields,
  settle,
  singlePairResult,
  takeCommonFields,
} from './common';

const TITLE = 'Anthropic HH-RLHF transcript';
const ASSISTANT = '\n\nAssistant:';
const SIDES = new Set(['chosen', 'rejected']);
const TURN_START = /(?=\n\n(?:Human|Assistant):)/;

export const hhReader: FormatReader = {
  id: 'hh-rlhf',
  title: TITLE,
  shape: '{"chosen": "\\n\\nHuman: …\\n\\nAssistant: …", "rejected": "\\n\\nHuman: …\\n\\nAssistant: …"}',

  match(record) {
    // A separate prompt means the transcripts were already split: that is TRL data.
    if (hasOwn(record, 'prompt')) return 0;
    const { chosen, rejected } = record;
    if (typeof chosen !== 'string' || typeof rejected !== 'string') return 0;
    // Stronger than trl's best (12) for the same record, so HH wins detection.
    if (startsAsTranscript(chosen) && startsAsTranscript(rejected)) return 20;
    if (chosen.includes(ASSISTANT) && rejected.includes(ASSISTANT)) return 15;
    return 0;
  },

  read(record): ReadResult {
    return settle(readHh(record));
  },
};

function readHh(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const present = requireFields(
    record,
    ['chosen', 'rejected'],
    problems,
    (key) => `\`${key}\` is missing: an HH-RLHF record needs both transcripts, \`chosen\` and \`rejected\`.`,
  );
  const common = takeCommonFields(record, SIDES, problems, {
    formatTitle: TITLE,
    droppedHint:
      'HH transcripts carry the prompt inside chosen and rejected; if this file already has separate prompts, read it with --from trl.',
  });
  if (!present) return { pairs: [], problems };

  const chosen = splitTranscript(record.chosen, 'chosen', problems);
  const rejected = splitTranscript(record.rejected, 'rejected', problems);
  if (!chosen || !rejected) return { pairs: [], problems };

  if (chosen.prompt !== rejected.prompt) {
    problems.push(error('rejected', 'ambiguous', describePromptMismatch(chosen.prompt, rejected.prompt)));
    return { pairs: [], problems };
  }
  return singlePairResult(
    makePair({ prompt: chosen.prompt, chosen: chosen.response, rejected: rejected.response }, common),
    problems,
  );
}

function startsAsTranscript(s: string): boolean {
  return s.startsWith('\n\nHuman:') || s.startsWith('Human:');
}

function splitTranscript(
  value: unknown,
  path: string,
  problems: RecordProblem[],
): { prompt: string; response: string } | undefined {
  if (typeof value !== 'string') {
    problems.push(
      error(
        path,
        'wrong-type',
        `\`${path}\` is ${describeValue(value)}; an HH-RLHF transcript is a string "\\n\\nHuman: …\\n\\nAssistant: …".`,
      ),
    );
    return undefined;
  }
  const at = value.lastIndexOf(ASSISTANT);
  if (at < 0) {
    problems.push(
      error(
        path,
        'invalid-value',
        `\`${path}\` has no "\\n\\nAssistant:" turn; an HH-RLHF transcript alternates "\\n\\nHuman: …" and "\\n\\nAssistant: …" and ends with the response. ` +
          'If the file holds plain responses, read it with --from trl.',
      ),
    );
    return undefined;
  }
  const end = at + ASSISTANT.length;
  const rest = value.slice(end);
  // Exactly one space: the separator after "Assistant:" (see the header comment).
  return { prompt: value.slice(0, end), response: rest.startsWith(' ') ? rest.slice(1) : rest };
}

/** Which turn differs, in words a person can check against the file. */
function describePromptMismatch(chosenPrompt: string, rejectedPrompt: string): string {
  const c = chosenPrompt.split(TURN_START).filter((t) => t !== '');
  const r = rejectedPrompt.split(TURN_START).filter((t) => t !== '');
  let i = 0;
  while (i < c.length && i < r.length && c[i] === r[i]) i++;
  const head =
    'chosen and rejected disagree before their last "\\n\\nAssistant:", so they have no common prompt ' +
    `(chosen's prompt has ${c.length} turns, rejected's ${r.length}; they differ from turn ${i + 1}`;
  const speaker = (turn: string | undefined) =>
    turn?.startsWith('\n\nHuman:') || turn?.startsWith('Human:') ? 'Human' : 'Assistant';
  let why: string;
  if (i === c.length - 1 && c.length < r.length && r[i].startsWith(ASSISTANT)) {
    why = '): the rejected response itself contains "\\n\\nAssistant:" (a second assistant turn)';
  } else if (i === r.length - 1 && r.length < c.length && c[i].startsWith(ASSISTANT)) {
    why = '): the chosen response itself contains "\\n\\nAssistant:" (a second assistant turn)';
  } else {
    why = `, a ${speaker(c[i] ?? r[i])} turn)`;
  }
  return `${head}${why}. An HH pair must share the whole conversation up to the final response; fix the transcripts or drop the record.`;
}
