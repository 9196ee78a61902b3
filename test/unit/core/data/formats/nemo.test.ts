// NeMo-Aligner and NeMo-RL readers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nemoAlignerReader } from '../../../../../src/core/data/formats/nemoAligner';
import { nemoRlReader } from '../../../../../src/core/data/formats/nemoRl';
import { labelStudioReader } from '../../../../../src/core/data/formats/labelStudio';

const user = (content: string) => ({ role: 'user', content });
const bot = (content: string) => ({ role: 'assistant', content });
const codes = (r: { problems: { path: string; code: string; severity: string }[] }) =>
  r.problems.map((p) => [p.path, p.code, p.severity]);

// ---- NeMo-Aligner

void test('nemo-aligner: prompt, chosen_response, rejected_response become a pair; the rest is extra', () => {
  const r = nemoAlignerReader.read({
    prompt: '<extra_id_0>System\n\n<extra_id_1>User\nHi\n<extra_id_1>Assistant\n',
    chosen_response: 'Hello!',
    rejected_response: 'Bye.',
    chosen_reward: 3,
  });
  assert.deepEqual(r, {
    pairs: [
      {
        prompt: '<extra_id_0>System\n\n<extra_id_1>User\nHi\n<extra_id_1>Assistant\n',
        chosen: 'Hello!',
        rejected: 'Bye.',
        extra: { chosen_reward: 3 },
      },
    ],
    problems: [],
  });
});

void test('nemo-aligner: missing and mistyped fields are errors at their names', () => {
  const r = nemoAlignerReader.read({ chosen_response: 'a', rejected_response: 'b' });
  assert.deepEqual(codes(r), [['prompt', 'missing-field', 'error']]);
  assert.deepEqual(r.pairs, []);
  const s = nemoAlignerReader.read({ prompt: 'p', chosen_response: 1, rejected_response: 'b' });
  assert.deepEqual(codes(s), [['chosen_response', 'wrong-type', 'error']]);
});

void test('nemo-aligner: match needs both response fields', () => {
  assert.equal(nemoAlignerReader.match({ prompt: 'p', chosen_response: 'a', rejected_response: 'b' }), 20);
  assert.equal(nemoAlignerReader.match({ prompt: 'p', chosen: 'a', rejected: 'b' }), 0);
});

// ---- NeMo-RL

void test('nemo-rl: two ranked completions give one pair, the lower rank chosen', () => {
  const r = nemoRlReader.read({
    context: [user('2+2?')],
    completions: [
      { rank: 1, completion: [bot('5')] },
      { rank: 0, completion: [bot('4')] },
    ],
  });
  assert.deepEqual(r, {
    pairs: [{ prompt: [user('2+2?')], chosen: [bot('4')], rejected: [bot('5')] }],
    problems: [],
  });
});

void test('nemo-rl: more completions give every better/worse pair; equal ranks are skipped', () => {
  const completion = (rank: number, text: string) => ({ rank, completion: [bot(text)] });
  const r = nemoRlReader.read({
    context: [user('q')],
    completions: [completion(2, 'c'), completion(0, 'a'), completion(1, 'b'), completion(1, 'b2')],
  });
  assert.deepEqual(r.problems, []);
  const summary = r.pairs.map(
    (p) =>
      `${(p.chosen as { content: string }[])[0].content}>${(p.rejected as { content: string }[])[0].content}`,
  );
  assert.deepEqual(summary, ['a>b', 'a>b2', 'a>c', 'b>c', 'b2>c']);
  // Pairs do not share message arrays.
  assert.notEqual(r.pairs[0].prompt, r.pairs[1].prompt);
});

void test('nemo-rl: all ranks equal is a tie — no pair, a warning', () => {
  const r = nemoRlReader.read({
    context: 'q',
    completions: [
      { rank: 0, completion: 'a' },
      { rank: 0, completion: 'b' },
    ],
  });
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(codes(r), [['completions', 'tie', 'warning']]);
});

void test('nemo-rl: strings stay strings; a string context with message completions becomes a user message', () => {
  const s = nemoRlReader.read({
    context: 'q',
    completions: [
      { rank: 0, completion: 'a' },
      { rank: 1, completion: 'b' },
    ],
    source: 'x',
  });
  assert.deepEqual(s.pairs, [{ prompt: 'q', chosen: 'a', rejected: 'b', extra: { source: 'x' } }]);
  const m = nemoRlReader.read({
    context: 'q',
    completions: [
      { rank: 0, completion: [bot('a')] },
      { rank: 1, completion: 'b' },
    ],
  });
  assert.deepEqual(m.pairs, [{ prompt: [user('q')], chosen: [bot('a')], rejected: [bot('b')] }]);
});

void test('nemo-rl: problems are located inside completions', () => {
  const r = nemoRlReader.read({
    context: [user('q')],
    completions: [
      { rank: 0, completion: [{ role: 'assistant' }] },
      { completion: [bot('b')] },
      { rank: 'x', completion: [bot('c')] },
      7,
    ],
  });
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(codes(r), [
    ['completions[0].completion[0].content', 'missing-field', 'error'],
    ['completions[1].rank', 'missing-field', 'error'],
    ['completions[2].rank', 'wrong-type', 'error'],
    ['completions[3]', 'wrong-type', 'error'],
  ]);
});

void test('nemo-rl: missing context, too few completions, completions not a list', () => {
  assert.deepEqual(codes(nemoRlReader.read({ completions: [] })), [['context', 'missing-field', 'error']]);
  assert.deepEqual(codes(nemoRlReader.read({ context: 'q', completions: [{ rank: 0, completion: 'a' }] })), [
    ['completions', 'invalid-value', 'error'],
  ]);
  assert.deepEqual(codes(nemoRlReader.read({ context: 'q', completions: { rank: 0 } })), [
    ['completions', 'wrong-type', 'error'],
  ]);
});

void test('nemo-rl vs label-studio: both use "completions", match tells them apart', () => {
  const nemo = {
    context: [user('q')],
    completions: [
      { rank: 0, completion: [bot('a')] },
      { rank: 1, completion: [bot('b')] },
    ],
  };
  assert.equal(nemoRlReader.match(nemo), 20);
  assert.equal(labelStudioReader.match(nemo), 0);
  const ls = {
    data: { prompt: 'q', answer1: 'a', answer2: 'b' },
    completions: [{ result: [{ type: 'pairwise', value: { selected: 'left' } }] }],
  };
  assert.equal(nemoRlReader.match(ls), 0);
  assert.ok(labelStudioReader.match(ls) > 0);
});

void test('a record of another format read as nemo-aligner reports only what is missing', () => {
  // The TRL keys chosen/rejected cannot be kept, but that is only worth saying when a pair is written.
  const r = nemoAlignerReader.read({ prompt: 'p', chosen: 'a', rejected: 'b' });
  assert.deepEqual(codes(r), [
    ['chosen_response', 'missing-field', 'error'],
    ['rejected_response', 'missing-field', 'error'],
  ]);
  const kept = nemoAlignerReader.read({
    prompt: 'p',
    chosen_response: 'a',
    rejected_response: 'b',
    chosen: 'x',
  });
  assert.equal(kept.pairs.length, 1);
  assert.deepEqual(codes(kept), [['chosen', 'invalid-value', 'warning']]);
});
