/**
 * TRL preference data — the format Reward Studio also writes.
 *
 *   standard:        {"prompt"?: "…", "chosen": "…", "rejected": "…"}
 *   conversational:  {"prompt"?: [{role, content}…], "chosen": [{role, content}…], "rejected": [{role, content}…]}
 *
 * plus the canonical `margin`, `id` and `meta`; every other field is kept in `extra`. Without a `prompt`
 * key the prompt is implicit: the common start of chosen and rejected (see `splitImplicitPrompt` for how
 * this differs from TRL's own `extract_prompt` on strings).
 */
import type { FormatReader, ReadResult, RecordProblem } from './types';
import {
  error,
  hasErrors,
  hasOwn,
  info,
  isPlainObject,
  makePair,
  readSides,
  requireFields,
  settle,
  singlePairResult,
  takeCommonFields,
  warning,
  type SideInput,
} from './common';

const TITLE = 'TRL preference';
const SIDES = new Set(['prompt', 'chosen', 'rejected']);

export const trlReader: FormatReader = {
  id: 'trl',
  title: TITLE,
  shape:
    '{"prompt"?: string | messages, "chosen": string | messages, "rejected": string | messages, "margin"?: number, "id"?: string, "meta"?: object}',

  match(record) {
    if (!hasOwn(record, 'chosen') || !hasOwn(record, 'rejected')) return 0;
    // The two keys alone are weak evidence (several formats reuse them); matching forms are stronger.
    const c = roughForm(record.chosen);
    let score = 5;
    if (c !== undefined && c === roughForm(record.rejected)) {
      score += 5;
      if (hasOwn(record, 'prompt') && roughForm(record.prompt) === c) score += 2;
    }
    return score;
  },

  read(record): ReadResult {
    return settle(readTrl(record));
  },
};

function readTrl(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const present = requireFields(record, ['chosen', 'rejected'], problems, (key) =>
    key === 'chosen'
      ? '`chosen` is missing: a TRL preference record needs `chosen` (the preferred response) and `rejected`.'
      : '`rejected` is missing: a TRL preference record needs `chosen` and `rejected` (the dispreferred response).',
  );
  let prompt: SideInput | undefined;
  if (hasOwn(record, 'prompt')) {
    if (record.prompt === null) {
      problems.push(
        error(
          'prompt',
          'wrong-type',
          '`prompt` is null; give the prompt text (or messages), or remove the key so the prompt is taken from the common start of chosen and rejected.',
        ),
      );
    } else prompt = { path: 'prompt', value: record.prompt };
  }
  const common = takeCommonFields(record, SIDES, problems, { formatTitle: TITLE });
  // A null prompt is already reported; reading on would treat it as implicit and add a misleading warning.
  if (!present || (hasOwn(record, 'prompt') && !prompt)) return { pairs: [], problems };
  const notAPair = annotationOnly(common.meta);
  if (notAPair) {
    problems.push(notAPair);
    return { pairs: [], problems };
  }

  const sides = readSides(
    prompt,
    { path: 'chosen', value: record.chosen },
    { path: 'rejected', value: record.rejected },
    problems,
    {
      mixedPromptHint:
        'If chosen and rejected are whole conversations that already contain the prompt (as in UltraFeedback), remove `prompt` or read the file with --from ultrafeedback.',
    },
  );
  if (sides && !prompt && sides.prompt.length === 0 && !hasErrors(problems)) {
    problems.push(
      warning(
        'prompt',
        'missing-field',
        'there is no `prompt` and chosen and rejected have no common start, so the prompt is empty; add a `prompt` field if the prompt is stored separately.',
      ),
    );
  }
  return singlePairResult(sides && makePair(sides, common), problems);
}

/**
 * Records the annotator writes that are not training pairs (src/core/annotate): a tie, a skipped item,
 * an undo, and the order-swap audit judgements (kept for self-consistency). Each is reported, not read
 * as a pair, so training excludes them by default. A preference is `meta.judgement` 'preference' or none.
 */
function annotationOnly(meta: Record<string, unknown> | undefined): RecordProblem | undefined {
  if (!meta) return undefined;
  const j = meta.judgement;
  if (j === 'tie') return info('meta.judgement', 'tie', 'a judged tie (`meta.judgement` "tie"): it states no preference, so no pair is made.');
  if (j === 'skip') return info('meta.judgement', 'not-a-preference', 'a skipped item (`meta.judgement` "skip"): no judgement, so no pair is made.');
  if (j === 'retract') return info('meta.judgement', 'not-a-preference', `an undo (\`meta.judgement\` "retract"): it withdraws judgement ${JSON.stringify(meta.retracts)}, which is not used either.`);
  if (typeof j === 'string' && j !== 'preference') return info('meta.judgement', 'not-a-preference', `\`meta.judgement\` is ${JSON.stringify(j)}, not "preference": no pair is made.`);
  if (meta.audit !== undefined) return info('meta.audit', 'not-a-preference', 'an order-swap audit judgement (`meta.audit`): it measures the annotator\'s self-consistency and is not a training pair.');
  return undefined;
}

/** Text or conversation at a glance (for match(): no element checks). */
function roughForm(value: unknown): 'text' | 'conversation' | undefined {
  if (typeof value === 'string') return 'text';
  if (Array.isArray(value) && value.every(isPlainObject)) return 'conversation';
  return undefined;
}
