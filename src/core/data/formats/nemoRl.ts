/**
 * NeMo-RL preference data (DPO and reward-model training):
 *   {"context": [{role, content}…], "completions": [{"rank": 0, "completion": [{role, content}…]}, {"rank": 1, …}, …]}
 * Lower rank is preferred.
 *
 * Source: NVIDIA-NeMo/RL `nemo_rl/data/datasets/preference_datasets/preference_dataset.py` (PreferenceDataset
 * docstring: "context": list of dicts, the prompt including previous turns; "completions": list of
 * {"rank": int, "completion": list of dicts}, "lower rank is preferred") and `docs/guides/rm.md` / `dpo.md`
 * ("More completions can be added if needed"). Its `to_preference_data_format` turns a string prompt into
 * [{"role": "user", …}] and string responses into [{"role": "assistant", …}]; this reader does the same
 * when a record mixes strings and messages, and keeps all-string records as standard (string) pairs.
 *
 * Two completions give one pair. More give one pair per two completions of different rank, better one
 * as chosen (all pairs, not just best-vs-rest: each ordered pair is a judgement the ranking states).
 * Equal ranks state no preference and are skipped; a record whose ranks are all equal is a 'tie'.
 * Fields inside a completion other than rank/completion are not kept (the canonical pair has no place
 * for per-response data); top-level fields go to `extra` as usual.
 */
import type { Conversation, TextOrConversation } from '../record';
import { joinPath } from '../json';
import type { FormatReader, ReadResult, RecordProblem } from './types';
import {
  asConversation,
  asNumber,
  describeValue,
  error,
  hasErrors,
  hasOwn,
  isPlainObject,
  makePair,
  readTextOrConversation,
  requireFields,
  settle,
  takeCommonFields,
  warning,
} from './common';

const TITLE = 'NeMo-RL ranked preference';
const CONSUMED = new Set(['context', 'completions']);

export const nemoRlReader: FormatReader = {
  id: 'nemo-rl',
  title: TITLE,
  shape:
    '{"context": messages | string, "completions": [{"rank": number, "completion": messages | string}, …]}',

  match(record) {
    const { completions } = record;
    if (!hasOwn(record, 'context') || !Array.isArray(completions)) return 0;
    // Label Studio's old exports also have "completions"; NeMo-RL's entries carry rank/completion.
    const ranked =
      completions.length > 0 &&
      completions.every((c) => isPlainObject(c) && hasOwn(c, 'rank') && hasOwn(c, 'completion'));
    return ranked ? 20 : 8;
  },

  read(record): ReadResult {
    return settle(readNemoRl(record));
  },
};

function readNemoRl(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const present = requireFields(record, ['context', 'completions'], problems, (key) =>
    key === 'context'
      ? '`context` is missing: a NeMo-RL record needs the prompt messages in `context`.'
      : '`completions` is missing: a NeMo-RL record needs a list of {"rank", "completion"} in `completions`.',
  );
  const common = takeCommonFields(record, CONSUMED, problems, { formatTitle: TITLE });
  if (!present) return { pairs: [], problems };

  const context = readTextOrConversation(record.context, 'context', problems);
  const ranked = readCompletions(record.completions, problems);
  if (context === undefined || ranked === undefined || hasErrors(problems)) return { pairs: [], problems };

  // One form for the whole record: messages as soon as anything is messages (NeMo-RL's own wrapping).
  const conversational = typeof context !== 'string' || ranked.some((c) => typeof c.completion !== 'string');
  const prompt: TextOrConversation = conversational ? asConversation(context, 'user') : context;
  const side = (v: TextOrConversation): TextOrConversation =>
    conversational ? asConversation(v, 'assistant') : v;

  // Stable order by rank: pairs come out best-first, then in file order among equals.
  const order = ranked.map((c, i) => ({ ...c, i })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  const pairs = [];
  for (let a = 0; a < order.length; a++) {
    for (let b = a + 1; b < order.length; b++) {
      if (order[a].rank === order[b].rank) continue;
      const sides = {
        prompt: clone(prompt),
        chosen: clone(side(order[a].completion)),
        rejected: clone(side(order[b].completion)),
      };
      pairs.push(makePair(sides, common));
    }
  }
  if (pairs.length === 0) {
    problems.push(
      warning(
        'completions',
        'tie',
        `all ${ranked.length} completions have rank ${order[0].rank}: equal ranks state no preference, so no pair is made. Give the better completion the lower rank.`,
      ),
    );
  }
  return { pairs, problems };
}

interface Ranked {
  rank: number;
  completion: TextOrConversation;
}

function readCompletions(value: unknown, problems: RecordProblem[]): Ranked[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(
      error(
        'completions',
        'wrong-type',
        `\`completions\` is ${describeValue(value)}; expected a list of {"rank": number, "completion": messages}.`,
      ),
    );
    return undefined;
  }
  if (value.length < 2) {
    problems.push(
      error(
        'completions',
        'invalid-value',
        `\`completions\` has ${value.length === 0 ? 'no entries' : 'one entry'}; a preference needs at least two completions with different ranks.`,
      ),
    );
    return undefined;
  }
  const out: Ranked[] = [];
  value.forEach((entry: unknown, i) => {
    const path = joinPath('completions', i);
    if (!isPlainObject(entry)) {
      problems.push(
        error(
          path,
          'wrong-type',
          `\`${path}\` is ${describeValue(entry)}; expected {"rank": number, "completion": messages}.`,
        ),
      );
      return;
    }
    const rankPath = joinPath(path, 'rank');
    const completionPath = joinPath(path, 'completion');
    let rank: number | undefined;
    if (!hasOwn(entry, 'rank')) {
      problems.push(
        error(
          rankPath,
          'missing-field',
          `\`${rankPath}\` is missing; give each completion a rank (lower is better).`,
        ),
      );
    } else {
      rank = asNumber(entry.rank);
      if (rank === undefined) {
        problems.push(
          error(
            rankPath,
            'wrong-type',
            `\`${rankPath}\` is ${describeValue(entry.rank)}; expected a number (lower is better).`,
          ),
        );
      }
    }
    let completion: TextOrConversation | undefined;
    if (!hasOwn(entry, 'completion')) {
      problems.push(
        error(
          completionPath,
          'missing-field',
          `\`${completionPath}\` is missing; it holds the response (a list of messages or a string).`,
        ),
      );
    } else {
      completion = readTextOrConversation(entry.completion, completionPath, problems);
    }
    if (rank !== undefined && completion !== undefined) out.push({ rank, completion });
  });
  return out.length === value.length ? out : undefined;
}

/** Pairs from one record must not share mutable message arrays. */
function clone(prompt: TextOrConversation): TextOrConversation {
  return typeof prompt === 'string' ? prompt : ([...prompt] as Conversation);
}
