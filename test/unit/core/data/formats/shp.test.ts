import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shpReader } from '../../../../../src/core/data/formats/shp';

const codes = (r: { problems: { path: string; code: string; severity: string }[] }) =>
  r.problems.map((p) => [p.path, p.code, p.severity]);

function shp(labels: unknown): Record<string, unknown> {
  return {
    post_id: 'himc90',
    domain: 'askscience_train',
    upvote_ratio: 0.99,
    history: 'Why is the sky blue?',
    c_root_id_A: 'fuzl8n5',
    c_root_id_B: 'fuzl6dq',
    human_ref_A: 'Rayleigh scattering.',
    human_ref_B: 'Because it reflects the sea.',
    labels,
    score_A: 52,
    score_B: 3,
  };
}

void test('shp: labels 1 means A is preferred; every other field is extra, in order', () => {
  const r = shpReader.read(shp(1));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.pairs, [
    {
      prompt: 'Why is the sky blue?',
      chosen: 'Rayleigh scattering.',
      rejected: 'Because it reflects the sea.',
      extra: {
        post_id: 'himc90',
        domain: 'askscience_train',
        upvote_ratio: 0.99,
        c_root_id_A: 'fuzl8n5',
        c_root_id_B: 'fuzl6dq',
        score_A: 52,
        score_B: 3,
      },
    },
  ]);
  assert.deepEqual(Object.keys(r.pairs[0].extra!), [
    'post_id',
    'domain',
    'upvote_ratio',
    'c_root_id_A',
    'c_root_id_B',
    'score_A',
    'score_B',
  ]);
});

void test('shp: labels 0 means B is preferred', () => {
  const r = shpReader.read(shp(0));
  assert.equal(r.pairs[0].chosen, 'Because it reflects the sea.');
  assert.equal(r.pairs[0].rejected, 'Rayleigh scattering.');
});

void test('shp: any other label is an error at labels', () => {
  const r = shpReader.read(shp(2));
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(codes(r), [['labels', 'invalid-value', 'error']]);
  assert.match(r.problems[0].message, /1 when human_ref_A is preferred and 0 when human_ref_B is/);
  assert.deepEqual(codes(shpReader.read({ ...shp(1), human_ref_B: 5 })), [
    ['human_ref_B', 'wrong-type', 'error'],
  ]);
});

const ab = (over: Record<string, unknown>) => ({
  question_id: 'q1',
  prompt: 'Capital of France?',
  response_a: 'Paris',
  response_b: 'Lyon',
  ...over,
});

void test('generic A/B: label 0/1 is the index of the preferred response; "A"/"B" in any case', () => {
  for (const [label, chosen] of [
    [0, 'Paris'],
    [1, 'Lyon'],
    ['A', 'Paris'],
    ['b', 'Lyon'],
  ] as const) {
    const r = shpReader.read(ab({ label }));
    assert.deepEqual(r.problems, [], `label ${label}`);
    assert.equal(r.pairs[0].chosen, chosen, `label ${label}`);
    assert.deepEqual(r.pairs[0].extra, { question_id: 'q1' });
  }
});

void test('generic A/B: Chatbot Arena winner; model names stay in extra', () => {
  const r = shpReader.read(ab({ model_a: 'gpt-4', model_b: 'llama', winner: 'model_b' }));
  assert.deepEqual(r.pairs, [
    {
      prompt: 'Capital of France?',
      chosen: 'Lyon',
      rejected: 'Paris',
      extra: { question_id: 'q1', model_a: 'gpt-4', model_b: 'llama' },
    },
  ]);
});

void test('generic A/B: ties give no pair and a tie warning', () => {
  for (const winner of ['tie', 'tie (bothbad)']) {
    const r = shpReader.read(ab({ winner }));
    assert.deepEqual(r.pairs, []);
    assert.deepEqual(codes(r), [['winner', 'tie', 'warning']]);
  }
  assert.deepEqual(codes(shpReader.read(ab({ label: 'tie' }))), [['label', 'tie', 'warning']]);
});

void test('generic A/B: bad label, bad winner, missing label, label and winner disagreeing', () => {
  assert.deepEqual(codes(shpReader.read(ab({ label: 'C' }))), [['label', 'invalid-value', 'error']]);
  assert.deepEqual(codes(shpReader.read(ab({ winner: 'model_c' }))), [['winner', 'invalid-value', 'error']]);
  assert.deepEqual(codes(shpReader.read(ab({}))), [['label', 'missing-field', 'error']]);
  const r = shpReader.read(ab({ label: 0, winner: 'model_b' }));
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(codes(r), [['winner', 'ambiguous', 'error']]);
});

void test('shp match: SHP and generic A/B shapes', () => {
  assert.equal(shpReader.match(shp(1)), 25);
  assert.equal(shpReader.match(ab({ label: 0 })), 20);
  assert.equal(shpReader.match({ prompt: 'p', chosen: 'a', rejected: 'b' }), 0);
});
