/**
 * NeMo-Aligner DPO / reward-model comparison data:
 *   {"prompt": "…", "chosen_response": "…", "rejected_response": "…"}
 * The prompt is usually already rendered with the model's chat template; it is kept verbatim. Lists of
 * {role, content} messages are accepted too (same form on all three), as in TRL.
 */
import type { FormatReader, ReadResult, RecordProblem } from './types';
import {
  hasOwn,
  makePair,
  readSides,
  requireFields,
  settle,
  singlePairResult,
  takeCommonFields,
} from './common';

const TITLE = 'NeMo-Aligner comparison';
const FIELDS = ['prompt', 'chosen_response', 'rejected_response'] as const;
const CONSUMED = new Set<string>(FIELDS);

export const nemoAlignerReader: FormatReader = {
  id: 'nemo-aligner',
  title: TITLE,
  shape: '{"prompt": string, "chosen_response": string, "rejected_response": string}',

  match(record) {
    if (!hasOwn(record, 'chosen_response') || !hasOwn(record, 'rejected_response')) return 0;
    return hasOwn(record, 'prompt') ? 20 : 15;
  },

  read(record): ReadResult {
    return settle(readNemoAligner(record));
  },
};

function readNemoAligner(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const present = requireFields(record, FIELDS, problems, (key) =>
    key === 'prompt'
      ? '`prompt` is missing: NeMo-Aligner records carry the prompt (usually with the chat template applied) in `prompt`.'
      : `\`${key}\` is missing: a NeMo-Aligner record needs \`chosen_response\` and \`rejected_response\`.`,
  );
  const common = takeCommonFields(record, CONSUMED, problems, { formatTitle: TITLE });
  if (!present) return { pairs: [], problems };
  const sides = readSides(
    { path: 'prompt', value: record.prompt },
    { path: 'chosen_response', value: record.chosen_response },
    { path: 'rejected_response', value: record.rejected_response },
    problems,
  );
  return singlePairResult(sides && makePair(sides, common), problems);
}
