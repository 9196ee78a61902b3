/**
 * Label Studio exports of a pairwise-comparison project. One record is ONE TASK (one element of the
 * exported JSON array; the pipeline feeds the elements one by one). Two export shapes:
 *
 * JSON (full):  {"id": 7, "data": {"prompt": "…", "answer1": "…", "answer2": "…"},
 *                "annotations": [{"id": 11, "completed_by": 3, "created_at": "…", "was_cancelled": false,
 *                                 "result": [{"type": "pairwise", "from_name": "comparison", "to_name": "comparison",
 *                                             "value": {"selected": "left"}}]}, …], …}
 *   Older exports call the list "completions". One pair per usable annotation.
 * JSON-MIN:     {"prompt": "…", "answer1": "…", "answer2": "…", "id": 7, "comparison": [{"selected": "left"}],
 *                "annotator": 3, "annotation_id": 11, "created_at": "…", "updated_at": "…", "lead_time": 4.2}
 *   The task data flattened to the top level, one record per annotation (label-studio-converter's
 *   `convert_to_json_min`: data fields, then each control's results by from_name, then annotator, ids, times).
 *
 * Sources: the Pairwise tag (HumanSignal/label-studio web/libs/editor/src/tags/control/Pairwise.js) stores
 * `{"selected": "left" | "right"}` and is configured as `<Pairwise name="…" toName="left,right"/>`, left =
 * the first toName item. Its exported result's `to_name` is, in practice, often the Pairwise tag's own name
 * (the control creates the result against itself), so which data fields were shown is resolved in this order:
 *   1. `to_name` / `toName` of the result when it names two fields of `data` ("answer1,answer2");
 *   2. `answer1` / `answer2` (Label Studio's RLHF human-preference template and the tools built on it);
 *   3. the first two string fields of `data`, in key order, other than the prompt field.
 * left → the first, right → the second. The prompt is the first of prompt, question, instruction, input,
 * context present in `data`.
 *
 * meta: annotator (completed_by: user id, or email when the export expands the user), time (annotation
 * created_at), source "label-studio", shownOrder (which side the chosen response stood on — position bias
 * is measurable from it), annotationId. The pair's id is the task id (shared by the task's annotations).
 * Cancelled annotations and annotations without a pairwise choice are skipped with a warning. Task-level
 * fields other than id/data/annotations go to `extra`; data fields that are not the prompt or a response
 * go to `extra.data`, where the task had `data`.
 */
import { joinPath } from '../json';
import type { PreferenceMeta, PreferencePair } from '../record';
import type { FormatReader, ReadResult, RecordProblem } from './types';
import {
  asId,
  describeValue,
  error,
  hasErrors,
  hasOwn,
  isPlainObject,
  makePair,
  readSides,
  setOwn,
  settle,
  takeCommonFields,
  warning,
  type CommonFields,
  type SideInput,
  type Sides,
} from './common';

const TITLE = 'Label Studio pairwise export';
const PROMPT_KEYS = ['prompt', 'question', 'instruction', 'input', 'context'];
/** Fields a JSON-MIN record has besides the task data and the results. */
const JSON_MIN_BOOKKEEPING = new Set([
  'id',
  'annotator',
  'annotation_id',
  'created_at',
  'updated_at',
  'lead_time',
  'agreement',
]);

export const labelStudioReader: FormatReader = {
  id: 'label-studio',
  title: TITLE,
  shape:
    '{"id", "data": {"prompt", "answer1", "answer2"}, "annotations": [{"result": [{"type": "pairwise", "value": {"selected": "left" | "right"}}], "completed_by", "created_at"}]} ' +
    '(one task of a JSON export) or a JSON-MIN record {"prompt", "answer1", "answer2", "<name>": [{"selected": "left" | "right"}], "annotator", "annotation_id", "created_at"}',

  match(record) {
    const list = annotationList(record);
    if (isPlainObject(record.data) && list) {
      // NeMo-RL also has "completions"; its entries carry rank/completion, Label Studio's carry result.
      if (list.value.some((a) => isPlainObject(a) && (hasOwn(a, 'rank') || hasOwn(a, 'completion'))))
        return 0;
      return list.value.some(
        (a) => isPlainObject(a) && Array.isArray(a.result) && a.result.some(isPairwiseResult),
      )
        ? 25
        : 15;
    }
    if (findJsonMinChoice(record) && (hasOwn(record, 'annotation_id') || hasOwn(record, 'annotator')))
      return 25;
    return 0;
  },

  read(record): ReadResult {
    const fullExport = hasOwn(record, 'data') || annotationList(record) !== undefined;
    return settle(fullExport ? readTask(record) : readJsonMin(record));
  },
};

function annotationList(record: Record<string, unknown>): { key: string; value: unknown[] } | undefined {
  for (const key of ['annotations', 'completions']) {
    const v = record[key];
    if (hasOwn(record, key) && Array.isArray(v)) return { key, value: v };
  }
  return undefined;
}

function isPairwiseResult(r: unknown): r is Record<string, unknown> {
  if (!isPlainObject(r)) return false;
  if (typeof r.type === 'string') return r.type.toLowerCase() === 'pairwise';
  return isPlainObject(r.value) && hasOwn(r.value, 'selected');
}

// ---------------------------------------------------------------------------------------------------------
// Full JSON export: one task

function readTask(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const data = record.data;
  if (!isPlainObject(data)) {
    problems.push(
      hasOwn(record, 'data')
        ? error(
            'data',
            'wrong-type',
            `\`data\` is ${describeValue(data)}; a Label Studio task keeps its fields (prompt, answer1, answer2) in the object \`data\`.`,
          )
        : error(
            'data',
            'missing-field',
            '`data` is missing: a Label Studio task keeps its fields (prompt, answer1, answer2) in `data`.',
          ),
    );
  }
  const listKey = hasOwn(record, 'annotations')
    ? 'annotations'
    : hasOwn(record, 'completions')
      ? 'completions'
      : undefined;
  const list = listKey ? record[listKey] : undefined;
  if (!listKey) {
    problems.push(
      error(
        'annotations',
        'missing-field',
        '`annotations` is missing: export the project as JSON with its annotations (or as JSON-MIN).',
      ),
    );
  } else if (!Array.isArray(list)) {
    problems.push(
      error(
        listKey,
        'wrong-type',
        `\`${listKey}\` is ${describeValue(list)}; expected the list of the task's annotations.`,
      ),
    );
  }
  const id = taskId(record, problems);
  const consumed = new Set(['id', 'data', listKey ?? 'annotations']);
  const common = takeCommonFields(record, consumed, problems, { formatTitle: TITLE });
  if (!isPlainObject(data) || !Array.isArray(list) || hasErrors(problems)) return { pairs: [], problems };

  const prompt = findPrompt(data, 'data', problems);
  if (!prompt) return { pairs: [], problems };
  if (list.length === 0) {
    problems.push(
      warning(
        listKey!,
        'missing-field',
        'the task has no annotations yet, so it holds no preference; annotate it or leave it out of the export.',
      ),
    );
    return { pairs: [], problems };
  }

  const pairs: PreferencePair[] = [];
  // Problems of one annotation are warnings while other annotations still give pairs (see the end).
  const annotationProblems: RecordProblem[] = [];
  for (let i = 0; i < list.length; i++) {
    const path = joinPath(listKey!, i);
    const choice = readAnnotationChoice(list[i], path, problems, annotationProblems);
    if (!choice) continue;
    const responses = resolveResponses(data, choice.toName, prompt.key);
    if (!responses) {
      problems.push(
        error(
          'data',
          'missing-field',
          `the task data has fewer than two response fields besides \`${prompt.key}\`; name them answer1 and answer2 (left and right), or name both in the Pairwise tag's toName.`,
        ),
      );
      return { pairs: [], problems };
    }
    const sides = sidesFor(prompt, responses, choice.selected, 'data', data, problems);
    if (!sides) return { pairs: [], problems };
    const ann = list[i] as Record<string, unknown>;
    const meta = annotationMeta(
      common.meta,
      annotatorOf(ann.completed_by),
      ann.created_at,
      choice.selected,
      asId(ann.id),
    );
    const extra = taskExtra(record, common, data, [prompt.key, responses.left, responses.right]);
    pairs.push(makePair(sides, { margin: common.margin, id, meta, extra }));
  }
  if (pairs.length === 0) {
    // No pair came from the task: per the reader contract its real faults are errors now.
    for (const p of annotationProblems) p.severity = 'error';
  }
  return { pairs, problems };
}

interface Choice {
  selected: 'left' | 'right';
  toName: unknown;
}

function readAnnotationChoice(
  annotation: unknown,
  path: string,
  problems: RecordProblem[],
  faults: RecordProblem[],
): Choice | undefined {
  const fault = (p: RecordProblem) => {
    problems.push(p);
    faults.push(p);
  };
  if (!isPlainObject(annotation)) {
    fault(
      warning(
        path,
        'wrong-type',
        `\`${path}\` is ${describeValue(annotation)}; expected an annotation object with a \`result\` list. It is left out.`,
      ),
    );
    return undefined;
  }
  if (annotation.was_cancelled === true || annotation.skipped === true) {
    problems.push(
      warning(
        path,
        'missing-field',
        `annotation ${annotationName(annotation, path)} was cancelled (skipped) by its annotator, so it holds no preference; it is left out.`,
      ),
    );
    return undefined;
  }
  const resultPath = joinPath(path, 'result');
  const result = annotation.result;
  if (!Array.isArray(result)) {
    if (hasOwn(annotation, 'result')) {
      fault(
        warning(
          resultPath,
          'wrong-type',
          `\`${resultPath}\` is ${describeValue(result)}; expected the list of the annotation's results. It is left out.`,
        ),
      );
    } else {
      problems.push(
        warning(
          resultPath,
          'missing-field',
          `annotation ${annotationName(annotation, path)} has no \`result\`, so it holds no preference; it is left out.`,
        ),
      );
    }
    return undefined;
  }
  const found = result.map((r, j) => ({ r, j })).filter(({ r }) => isPairwiseResult(r));
  if (found.length === 0) {
    problems.push(
      warning(
        resultPath,
        'missing-field',
        `annotation ${annotationName(annotation, path)} has no pairwise choice (no result of type "pairwise" with {"selected": "left" | "right"}); it is left out.`,
      ),
    );
    return undefined;
  }
  const { r, j } = found[0] as { r: Record<string, unknown>; j: number };
  if (found.length > 1) {
    problems.push(
      warning(
        resultPath,
        'ambiguous',
        `annotation ${annotationName(annotation, path)} has ${found.length} pairwise results; only the first (${JSON.stringify(r.from_name ?? `result[${j}]`)}) is used.`,
      ),
    );
  }
  const valuePath = joinPath(joinPath(resultPath, j), 'value');
  const selected = isPlainObject(r.value) ? r.value.selected : undefined;
  if (selected !== 'left' && selected !== 'right') {
    const at = isPlainObject(r.value) ? joinPath(valuePath, 'selected') : valuePath;
    fault(
      warning(
        at,
        'invalid-value',
        `\`${at}\` is ${describeValue(isPlainObject(r.value) ? selected : r.value)}${typeof selected === 'string' ? ` (${JSON.stringify(selected)})` : ''}; ` +
          'a Pairwise result says {"selected": "left"} or {"selected": "right"}. The annotation is left out.',
      ),
    );
    return undefined;
  }
  return { selected, toName: r.to_name ?? r.toName };
}

function annotationName(annotation: Record<string, unknown>, path: string): string {
  const id = asId(annotation.id);
  return id !== undefined ? `${id} (${path})` : path;
}

function taskId(record: Record<string, unknown>, problems: RecordProblem[]): string | undefined {
  if (!hasOwn(record, 'id') || record.id === null) return undefined;
  const id = asId(record.id);
  if (id === undefined)
    problems.push(
      error(
        'id',
        'wrong-type',
        `\`id\` is ${describeValue(record.id)}; expected the task id (a number or a string).`,
      ),
    );
  return id;
}

/** The task's fields outside the pair; leftover data fields under `data`, where the task had it. */
function taskExtra(
  record: Record<string, unknown>,
  common: CommonFields,
  data: Record<string, unknown>,
  used: string[],
): Record<string, unknown> | undefined {
  const leftover: Record<string, unknown> = {};
  let anyLeft = false;
  for (const k of Object.keys(data)) {
    if (used.includes(k)) continue;
    setOwn(leftover, k, data[k]);
    anyLeft = true;
  }
  const out: Record<string, unknown> = {};
  let any = false;
  for (const k of Object.keys(record)) {
    if (k === 'data' && anyLeft) setOwn(out, k, leftover);
    else if (common.extra && hasOwn(common.extra, k)) setOwn(out, k, common.extra[k]);
    else continue;
    any = true;
  }
  return any ? out : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// JSON-MIN: one annotation, task data at the top level

function readJsonMin(record: Record<string, unknown>): ReadResult {
  const problems: RecordProblem[] = [];
  const choice = findJsonMinChoice(record);
  if (!choice) {
    problems.push(
      error(
        '',
        'missing-field',
        'the record has no pairwise choice: a Label Studio JSON-MIN record has a field named after the Pairwise tag holding [{"selected": "left" | "right"}] (a full JSON export has "data" and "annotations").',
      ),
    );
    return { pairs: [], problems };
  }
  const id = taskId(record, problems);
  const prompt = findPrompt(record, '', problems);
  if (!prompt) return { pairs: [], problems };
  const responses = resolveResponses(
    record,
    undefined,
    prompt.key,
    new Set([choice.key, ...JSON_MIN_BOOKKEEPING]),
  );
  if (!responses) {
    problems.push(
      error(
        '',
        'missing-field',
        `the record has fewer than two response fields besides \`${prompt.key}\`; name them answer1 and answer2 (left and right).`,
      ),
    );
    return { pairs: [], problems };
  }
  if (choice.selected !== 'left' && choice.selected !== 'right') {
    problems.push(
      error(
        choice.path,
        'invalid-value',
        `\`${choice.path}\` is ${describeValue(choice.selected)}; a Pairwise result says {"selected": "left"} or {"selected": "right"}.`,
      ),
    );
    return { pairs: [], problems };
  }
  const consumed = new Set([
    'id',
    'annotator',
    'annotation_id',
    'created_at',
    choice.key,
    prompt.key,
    responses.left,
    responses.right,
  ]);
  const common = takeCommonFields(record, consumed, problems, { formatTitle: TITLE });
  const sides = sidesFor(prompt, responses, choice.selected, '', record, problems);
  if (!sides || hasErrors(problems)) return { pairs: [], problems };
  const meta = annotationMeta(
    common.meta,
    annotatorOf(record.annotator),
    record.created_at,
    choice.selected,
    asId(record.annotation_id),
  );
  return { pairs: [makePair(sides, { margin: common.margin, id, meta, extra: common.extra })], problems };
}

function findJsonMinChoice(
  record: Record<string, unknown>,
): { key: string; selected: unknown; path: string } | undefined {
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (Array.isArray(v) && v.length > 0 && isPlainObject(v[0]) && hasOwn(v[0], 'selected')) {
      return { key, selected: v[0].selected, path: joinPath(joinPath(key, 0), 'selected') };
    }
    if (isPlainObject(v) && hasOwn(v, 'selected') && Object.keys(v).length <= 2) {
      return { key, selected: v.selected, path: joinPath(key, 'selected') };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Shared by both shapes

function findPrompt(
  fields: Record<string, unknown>,
  base: string,
  problems: RecordProblem[],
): { key: string; path: string } | undefined {
  const key = PROMPT_KEYS.find((k) => hasOwn(fields, k));
  if (key === undefined) {
    const at = joinPath(base, 'prompt');
    problems.push(
      error(
        at,
        'missing-field',
        `the task has no prompt field (looked for ${PROMPT_KEYS.join(', ')}${base ? ` in \`${base}\`` : ''}); add the prompt the two responses answer as \`prompt\`.`,
      ),
    );
    return undefined;
  }
  return { key, path: joinPath(base, key) };
}

interface Responses {
  left: string;
  right: string;
}

function resolveResponses(
  fields: Record<string, unknown>,
  toName: unknown,
  promptKey: string,
  exclude: ReadonlySet<string> = new Set(),
): Responses | undefined {
  if (typeof toName === 'string' && toName.includes(',')) {
    const names = toName.split(',').map((s) => s.trim());
    if (
      names.length === 2 &&
      names[0] !== names[1] &&
      names.every((n) => hasOwn(fields, n) && n !== promptKey)
    ) {
      return { left: names[0], right: names[1] };
    }
  }
  if (hasOwn(fields, 'answer1') && hasOwn(fields, 'answer2')) return { left: 'answer1', right: 'answer2' };
  const texts = Object.keys(fields).filter(
    (k) => k !== promptKey && !exclude.has(k) && typeof fields[k] === 'string',
  );
  return texts.length >= 2 ? { left: texts[0], right: texts[1] } : undefined;
}

function sidesFor(
  prompt: { key: string; path: string },
  responses: Responses,
  selected: 'left' | 'right',
  base: string,
  fields: Record<string, unknown>,
  problems: RecordProblem[],
): Sides | undefined {
  const left: SideInput = { path: joinPath(base, responses.left), value: fields[responses.left] };
  const right: SideInput = { path: joinPath(base, responses.right), value: fields[responses.right] };
  return readSides(
    { path: prompt.path, value: fields[prompt.key] },
    selected === 'left' ? left : right,
    selected === 'left' ? right : left,
    problems,
  );
}

function annotatorOf(completedBy: unknown): string | undefined {
  if (isPlainObject(completedBy)) {
    return typeof completedBy.email === 'string' ? completedBy.email : asId(completedBy.id);
  }
  return asId(completedBy);
}

function annotationMeta(
  base: PreferenceMeta | undefined,
  annotator: string | undefined,
  createdAt: unknown,
  selected: 'left' | 'right',
  annotationId: string | undefined,
): PreferenceMeta {
  const meta: PreferenceMeta = { ...base };
  if (annotator !== undefined) meta.annotator = annotator;
  if (typeof createdAt === 'string') meta.time = createdAt;
  meta.source = 'label-studio';
  meta.shownOrder = selected === 'left' ? 'chosen-left' : 'chosen-right';
  if (annotationId !== undefined) meta.annotationId = annotationId;
  return meta;
}
