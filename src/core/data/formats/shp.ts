/**
 * A/B preference records: one prompt, two responses, a label saying which one won.
 *
 * Stanford SHP:  {"post_id", "domain", "history", "human_ref_A", "human_ref_B", "labels", "score_A", "score_B", …}
 *   `labels` is 1 when A is preferred and 0 when B is (SHP's own definition: a boolean "A beats B").
 * Generic A/B:   {"prompt", "response_a", "response_b", "label" | "winner"}
 *   `label`: 0 or 1 is the INDEX of the preferred response (0 → response_a, 1 → response_b), the reading
 *   that lines up with "A"/"B" (also accepted, any case). Note the opposite sense of SHP's `labels`: the
 *   field name decides, and both are spelled out in every message about them.
 *   `winner` (Chatbot Arena): "model_a" | "model_b" | "tie" | "tie (bothbad)".
 * A tie yields no pair and a 'tie' warning. All other fields go to `extra`.
 */
import type { FormatReader, ReadResult, RecordProblem } from './types';
import {
  describeValue,
  error,
  hasErrors,
  hasOwn,
  makePair,
  readSides,
  requireFields,
  settle,
  singlePairResult,
  takeCommonFields,
  warning,
} from './common';

const TITLE = 'A/B preference (SHP, Chatbot Arena style)';
const SHP_CONSUMED = new Set(['history', 'human_ref_A', 'human_ref_B', 'labels']);

type Winner = 'a' | 'b' | 'tie';

export const shpReader: FormatReader = {
  id: 'shp',
  title: TITLE,
  shape:
    '{"history": string, "human_ref_A": string, "human_ref_B": string, "labels": 1 (A) | 0 (B), …} or ' +
    '{"prompt": string, "response_a": string, "response_b": string, "label": 0 (a) | 1 (b) | "A" | "B" | "winner": "model_a" | "model_b" | "tie"}',

  match(record) {
    if (hasOwn(record, 'human_ref_A') && hasOwn(record, 'human_ref_B')) {
      return hasOwn(record, 'labels') ? 25 : 15;
    }
    if (hasOwn(record, 'response_a') && hasOwn(record, 'response_b')) {
      return hasOwn(record, 'label') || hasOwn(record, 'winner') ? 20 : 10;
    }
    return 0;
  },

  read(record): ReadResult {
    const shp = hasOwn(record, 'human_ref_A') || hasOwn(record, 'human_ref_B');
    return settle(shp ? readShp(record) : readGeneric(record));
  },
};

function readShp(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const present = requireFields(
    record,
    ['history', 'human_ref_A', 'human_ref_B', 'labels'],
    problems,
    (key) =>
      key === 'labels'
        ? '`labels` is missing: SHP records say which comment won with `labels` (1 = human_ref_A preferred, 0 = human_ref_B preferred).'
        : `\`${key}\` is missing: an SHP record needs \`history\` (the post), \`human_ref_A\` and \`human_ref_B\` (the two comments).`,
  );
  const common = takeCommonFields(record, SHP_CONSUMED, problems, { formatTitle: TITLE });
  if (!present) return { pairs: [], problems };
  const label = record.labels;
  let winner: Winner | undefined;
  if (label === 1 || label === true) winner = 'a';
  else if (label === 0 || label === false) winner = 'b';
  else {
    problems.push(
      error(
        'labels',
        'invalid-value',
        `\`labels\` is ${describeValue(label)}; SHP's labels is 1 when human_ref_A is preferred and 0 when human_ref_B is.`,
      ),
    );
    return { pairs: [], problems };
  }
  const a = { path: 'human_ref_A', value: record.human_ref_A };
  const b = { path: 'human_ref_B', value: record.human_ref_B };
  const sides = readSides(
    { path: 'history', value: record.history },
    winner === 'a' ? a : b,
    winner === 'a' ? b : a,
    problems,
  );
  return singlePairResult(sides && makePair(sides, common), problems);
}

function readGeneric(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const present = requireFields(record, ['prompt', 'response_a', 'response_b'], problems, (key) =>
    key === 'prompt'
      ? '`prompt` is missing: an A/B record needs `prompt`, `response_a`, `response_b` and a `label` or `winner`.'
      : `\`${key}\` is missing: an A/B record needs both \`response_a\` and \`response_b\`.`,
  );
  const consumed = new Set(['prompt', 'response_a', 'response_b']);
  let winner: Winner | undefined;
  let decided = false;
  if (hasOwn(record, 'label')) {
    consumed.add('label');
    winner = parseLabel(record.label, problems);
    decided = true;
  }
  if (hasOwn(record, 'winner')) {
    consumed.add('winner');
    const w = parseWinner(record.winner, problems);
    if (decided && winner !== undefined && w !== undefined && w !== winner) {
      problems.push(
        error(
          'winner',
          'ambiguous',
          `\`label\` says ${say(winner)} but \`winner\` says ${say(w)}; keep one of the two fields, or make them agree.`,
        ),
      );
    }
    if (!decided) winner = w;
    decided = true;
  }
  if (!decided) {
    problems.push(
      error(
        'label',
        'missing-field',
        '`label` is missing: say which response won with `label` (0 or "A" = response_a, 1 or "B" = response_b) or `winner` ("model_a", "model_b", "tie").',
      ),
    );
  }
  const common = takeCommonFields(record, consumed, problems, { formatTitle: TITLE });
  if (!present || winner === undefined || hasErrors(problems)) return { pairs: [], problems };
  const a = { path: 'response_a', value: record.response_a };
  const b = { path: 'response_b', value: record.response_b };
  const prompt = { path: 'prompt', value: record.prompt };
  if (winner === 'tie') {
    // The sides are still checked, so a broken record is not reported as a mere tie.
    if (!readSides(prompt, a, b, problems)) return { pairs: [], problems };
    const field = hasOwn(record, 'winner') && !hasOwn(record, 'label') ? 'winner' : 'label';
    problems.push(
      warning(
        field,
        'tie',
        `the record is a tie (\`${field}\` is ${JSON.stringify(record[field])}): it states no preference, so no pair is made.`,
      ),
    );
    return { pairs: [], problems };
  }
  const sides = readSides(prompt, winner === 'a' ? a : b, winner === 'a' ? b : a, problems);
  return singlePairResult(sides && makePair(sides, common), problems);
}

function parseLabel(value: unknown, problems: RecordProblem[]): Winner | undefined {
  if (value === 0) return 'a';
  if (value === 1) return 'b';
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'a') return 'a';
    if (v === 'b') return 'b';
    if (v === 'tie') return 'tie';
  }
  problems.push(
    error(
      'label',
      'invalid-value',
      `\`label\` is ${describeValue(value)}${typeof value === 'string' ? ` (${JSON.stringify(value)})` : ''}; ` +
        'expected 0 or "A" (response_a preferred), 1 or "B" (response_b preferred), or "tie".',
    ),
  );
  return undefined;
}

function parseWinner(value: unknown, problems: RecordProblem[]): Winner | undefined {
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'model_a') return 'a';
    if (v === 'model_b') return 'b';
    if (v === 'tie' || v === 'tie (bothbad)') return 'tie';
  }
  problems.push(
    error(
      'winner',
      'invalid-value',
      `\`winner\` is ${describeValue(value)}${typeof value === 'string' ? ` (${JSON.stringify(value)})` : ''}; expected "model_a", "model_b", "tie" or "tie (bothbad)".`,
    ),
  );
  return undefined;
}

function say(w: Winner): string {
  return w === 'tie' ? 'tie' : w === 'a' ? 'response_a won' : 'response_b won';
}
