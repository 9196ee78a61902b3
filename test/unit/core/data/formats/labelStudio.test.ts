import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelStudioReader } from '../../../../../src/core/data/formats/labelStudio';

const read = (record: Record<string, unknown>) => labelStudioReader.read(record);
const codes = (r: { problems: { path: string; code: string; severity: string }[] }) =>
  r.problems.map((p) => [p.path, p.code, p.severity]);

function pairwise(selected: unknown, extra: Record<string, unknown> = {}) {
  return {
    id: 'r1',
    type: 'pairwise',
    from_name: 'comparison',
    to_name: 'comparison',
    origin: 'manual',
    value: { selected },
    ...extra,
  };
}

function annotation(id: number, completedBy: unknown, selected: unknown, over: Record<string, unknown> = {}) {
  return {
    id,
    completed_by: completedBy,
    result: [pairwise(selected)],
    was_cancelled: false,
    ground_truth: false,
    created_at: `2024-05-0${id}T10:00:00.000000Z`,
    lead_time: 12.5,
    ...over,
  };
}

function task(annotations: unknown[], data: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 7,
    annotations,
    data: { prompt: 'Capital of France?', answer1: 'Paris', answer2: 'Lyon', ...data },
    meta: {},
    created_at: '2024-05-01T09:00:00Z',
    project: 3,
  };
}

void test('label-studio: one pair per annotation, left = answer1, with annotator, time and shown order', () => {
  const r = read(task([annotation(1, 3, 'left'), annotation(2, 5, 'right')]));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.pairs, [
    {
      prompt: 'Capital of France?',
      chosen: 'Paris',
      rejected: 'Lyon',
      id: '7',
      meta: {
        annotator: '3',
        time: '2024-05-01T10:00:00.000000Z',
        source: 'label-studio',
        shownOrder: 'chosen-left',
        annotationId: '1',
      },
      extra: { created_at: '2024-05-01T09:00:00Z', project: 3 },
    },
    {
      prompt: 'Capital of France?',
      chosen: 'Lyon',
      rejected: 'Paris',
      id: '7',
      meta: {
        annotator: '5',
        time: '2024-05-02T10:00:00.000000Z',
        source: 'label-studio',
        shownOrder: 'chosen-right',
        annotationId: '2',
      },
      extra: { created_at: '2024-05-01T09:00:00Z', project: 3 },
    },
  ]);
});

void test('label-studio: data fields besides prompt and answers are kept under extra.data', () => {
  const r = read(task([annotation(1, 3, 'left')], { category: 'geo' }));
  assert.deepEqual(r.pairs[0].extra, {
    data: { category: 'geo' },
    created_at: '2024-05-01T09:00:00Z',
    project: 3,
  });
  assert.deepEqual(Object.keys(r.pairs[0].extra!), ['data', 'created_at', 'project']);
});

void test('label-studio: to_name naming two data fields decides left and right', () => {
  const ann = { ...annotation(1, 3, 'left'), result: [pairwise('left', { to_name: 'second,first' })] };
  const r = read({ id: 1, data: { prompt: 'q', first: 'F', second: 'S' }, annotations: [ann] });
  assert.equal(r.pairs[0].chosen, 'S');
  assert.equal(r.pairs[0].rejected, 'F');
});

void test('label-studio: without answer1/answer2 the first two text fields after the prompt are left and right', () => {
  const r = read({
    id: 1,
    data: { question: 'q', n: 3, text1: 'one', text2: 'two' },
    annotations: [annotation(1, 3, 'right')],
  });
  assert.deepEqual(r.problems, []);
  assert.equal(r.pairs[0].prompt, 'q');
  assert.equal(r.pairs[0].chosen, 'two');
  assert.deepEqual(r.pairs[0].extra, { data: { n: 3 } });
});

void test('label-studio: an expanded completed_by gives the annotator email; old exports say "completions"', () => {
  const r = read({
    id: 2,
    data: { prompt: 'q', answer1: 'a', answer2: 'b' },
    completions: [annotation(1, { id: 9, email: 'ann@example.com' }, 'left')],
  });
  assert.equal(r.pairs[0].meta?.annotator, 'ann@example.com');
});

void test('label-studio: cancelled and empty annotations are skipped with warnings', () => {
  const r = read(
    task([
      annotation(1, 3, 'left', { was_cancelled: true, result: [] }),
      annotation(2, 4, 'left', { result: [{ type: 'choices', value: { choices: ['ok'] } }] }),
      annotation(3, 5, 'right'),
    ]),
  );
  assert.equal(r.pairs.length, 1);
  assert.equal(r.pairs[0].chosen, 'Lyon');
  assert.deepEqual(codes(r), [
    ['annotations[0]', 'missing-field', 'warning'],
    ['annotations[1].result', 'missing-field', 'warning'],
  ]);
  assert.match(r.problems[0].message, /cancelled/);
});

void test('label-studio: a bad choice is a warning while other annotations give pairs, an error when none does', () => {
  const mixed = read(task([annotation(1, 3, 'middle'), annotation(2, 5, 'left')]));
  assert.equal(mixed.pairs.length, 1);
  assert.deepEqual(codes(mixed), [['annotations[0].result[0].value.selected', 'invalid-value', 'warning']]);
  const alone = read(task([annotation(1, 3, 'middle')]));
  assert.deepEqual(alone.pairs, []);
  assert.deepEqual(codes(alone), [['annotations[0].result[0].value.selected', 'invalid-value', 'error']]);
});

void test('label-studio: a task without annotations yields nothing, with a warning', () => {
  const r = read(task([]));
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(codes(r), [['annotations', 'missing-field', 'warning']]);
});

void test('label-studio: structural errors are located in data', () => {
  assert.deepEqual(codes(read({ id: 1, annotations: [] })), [['data', 'missing-field', 'error']]);
  assert.deepEqual(codes(read({ id: 1, data: 'x', annotations: [] })), [['data', 'wrong-type', 'error']]);
  const noPrompt = read({
    id: 1,
    data: { answer1: 'a', answer2: 'b' },
    annotations: [annotation(1, 3, 'left')],
  });
  assert.deepEqual(codes(noPrompt), [['data.prompt', 'missing-field', 'error']]);
  const oneAnswer = read({
    id: 1,
    data: { prompt: 'q', answer1: 'a' },
    annotations: [annotation(1, 3, 'left')],
  });
  assert.deepEqual(codes(oneAnswer), [['data', 'missing-field', 'error']]);
  const badAnswer = read({
    id: 1,
    data: { prompt: 'q', answer1: 'a', answer2: 5 },
    annotations: [annotation(1, 3, 'left')],
  });
  assert.deepEqual(codes(badAnswer), [['data.answer2', 'wrong-type', 'error']]);
});

void test('label-studio: a JSON-MIN record is one annotation with the data at the top level', () => {
  const r = read({
    prompt: 'Capital of France?',
    answer1: 'Paris',
    answer2: 'Lyon',
    id: 7,
    comparison: [{ selected: 'right' }],
    annotator: 'ann@example.com',
    annotation_id: 11,
    created_at: '2024-05-01T10:00:00Z',
    updated_at: '2024-05-01T10:01:00Z',
    lead_time: 4.2,
  });
  assert.deepEqual(r, {
    pairs: [
      {
        prompt: 'Capital of France?',
        chosen: 'Lyon',
        rejected: 'Paris',
        id: '7',
        meta: {
          annotator: 'ann@example.com',
          time: '2024-05-01T10:00:00Z',
          source: 'label-studio',
          shownOrder: 'chosen-right',
          annotationId: '11',
        },
        extra: { updated_at: '2024-05-01T10:01:00Z', lead_time: 4.2 },
      },
    ],
    problems: [],
  });
});

void test('label-studio: JSON-MIN with a bad choice is an error at the choice', () => {
  const r = read({
    prompt: 'q',
    answer1: 'a',
    answer2: 'b',
    pw: [{ selected: 'up' }],
    annotator: 1,
    annotation_id: 2,
  });
  assert.deepEqual(codes(r), [['pw[0].selected', 'invalid-value', 'error']]);
});

void test('label-studio match: full tasks and JSON-MIN records, not plain TRL', () => {
  assert.equal(labelStudioReader.match(task([annotation(1, 3, 'left')])), 25);
  assert.equal(
    labelStudioReader.match({
      prompt: 'q',
      answer1: 'a',
      answer2: 'b',
      pw: [{ selected: 'left' }],
      annotator: 1,
      annotation_id: 2,
    }),
    25,
  );
  assert.equal(labelStudioReader.match({ prompt: 'q', chosen: 'a', rejected: 'b' }), 0);
});
