import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trlReader } from '../../../../../src/core/data/formats/trl';
import { parseJson } from '../../../../../src/core/data/json';

const read = (record: Record<string, unknown>) => trlReader.read(record);
const user = (content: string) => ({ role: 'user', content });
const bot = (content: string) => ({ role: 'assistant', content });

void test('standard record with an explicit prompt is kept as it is', () => {
  const r = read({ prompt: 'What is 2+2?', chosen: '4', rejected: '5' });
  assert.deepEqual(r, { pairs: [{ prompt: 'What is 2+2?', chosen: '4', rejected: '5' }], problems: [] });
});

void test('conversational record with an explicit prompt is kept as it is', () => {
  const r = read({ prompt: [user('Hi')], chosen: [bot('Hello!')], rejected: [bot('Go away.')] });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.pairs, [{ prompt: [user('Hi')], chosen: [bot('Hello!')], rejected: [bot('Go away.')] }]);
});

void test('implicit string prompt is the common prefix backed off to a word boundary', () => {
  // TRL's extract_prompt would give prompt "The ca" and responses "t sat." / "r sat.".
  const r = read({ chosen: 'The cat sat.', rejected: 'The car sat.' });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.pairs, [{ prompt: 'The ', chosen: 'cat sat.', rejected: 'car sat.' }]);
});

void test('implicit string prompt keeps a newline-ended prefix whole', () => {
  const r = read({ chosen: 'Q: colour of the sky?\nA: blue', rejected: 'Q: colour of the sky?\nA: green' });
  assert.deepEqual(r.pairs[0], { prompt: 'Q: colour of the sky?\nA: ', chosen: 'blue', rejected: 'green' });
});

void test('implicit string prompt with no shared word gives an empty prompt and a warning', () => {
  const r = read({ chosen: 'Yes.', rejected: 'Yesterday.' });
  assert.deepEqual(r.pairs, [{ prompt: '', chosen: 'Yes.', rejected: 'Yesterday.' }]);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].path, 'prompt');
  assert.equal(r.problems[0].code, 'missing-field');
  assert.equal(r.problems[0].severity, 'warning');
});

void test('implicit conversational prompt is the longest common run of messages', () => {
  const r = read({
    chosen: [user('Hi'), bot('Hello'), user('Sky colour?'), bot('Blue.')],
    rejected: [user('Hi'), bot('Hello'), user('Sky colour?'), bot('Green.')],
  });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.pairs, [
    {
      prompt: [user('Hi'), bot('Hello'), user('Sky colour?')],
      chosen: [bot('Blue.')],
      rejected: [bot('Green.')],
    },
  ]);
});

void test('implicit conversational prompt compares whole messages, extra keys included', () => {
  const r = read({
    chosen: [{ role: 'user', content: 'Hi', name: 'ann' }, bot('A')],
    rejected: [{ role: 'user', content: 'Hi', name: 'bob' }, bot('B')],
  });
  assert.deepEqual(r.pairs[0].prompt, []);
  assert.deepEqual(r.pairs[0].chosen, [{ role: 'user', content: 'Hi', name: 'ann' }, bot('A')]);
});

void test('identical conversations keep their last message on each side', () => {
  const r = read({ chosen: [user('Hi'), bot('Same')], rejected: [user('Hi'), bot('Same')] });
  assert.deepEqual(r.pairs, [{ prompt: [user('Hi')], chosen: [bot('Same')], rejected: [bot('Same')] }]);
});

void test('conversations with no common first message give prompt [] and a warning', () => {
  const r = read({ chosen: [bot('A')], rejected: [bot('B')] });
  assert.deepEqual(r.pairs, [{ prompt: [], chosen: [bot('A')], rejected: [bot('B')] }]);
  assert.deepEqual(
    r.problems.map((p) => [p.path, p.code, p.severity]),
    [['prompt', 'missing-field', 'warning']],
  );
});

void test('margin, id and meta are canonical; every other field is extra, in order', () => {
  const r = read({
    z: 1,
    prompt: 'p',
    margin: 0.5,
    chosen: 'a',
    id: 42,
    rejected: 'b',
    meta: { annotator: 'ann' },
    a: [1, 2],
  });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.pairs, [
    {
      prompt: 'p',
      chosen: 'a',
      rejected: 'b',
      margin: 0.5,
      id: '42',
      meta: { annotator: 'ann' },
      extra: { z: 1, a: [1, 2] },
    },
  ]);
  assert.deepEqual(Object.keys(r.pairs[0].extra!), ['z', 'a']);
});

void test('an id beyond 2^53 keeps every digit; null optional fields count as absent', () => {
  const record = parseJson(
    '{"prompt":"p","chosen":"a","rejected":"b","id":12345678901234567890,"margin":null,"meta":null}',
  ) as Record<string, unknown>;
  const r = read(record);
  assert.deepEqual(r.problems, []);
  assert.equal(r.pairs[0].id, '12345678901234567890');
  assert.ok(!('margin' in r.pairs[0]) && !('meta' in r.pairs[0]));
});

void test('a field named __proto__ is kept as an ordinary extra field', () => {
  const record = parseJson('{"chosen":"a","rejected":"b","__proto__":{"x":1}}') as Record<string, unknown>;
  const pair = read(record).pairs[0];
  assert.ok(Object.prototype.hasOwnProperty.call(pair.extra, '__proto__'));
  assert.deepEqual(Object.getPrototypeOf(pair.extra), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(pair.extra, '__proto__')?.value, { x: 1 });
});

function only(r: ReturnType<typeof read>) {
  assert.deepEqual(r.pairs, [], 'an error means no pair');
  return r.problems.map((p) => [p.path, p.code, p.severity]);
}

void test('chosen of the wrong type is reported at chosen', () => {
  const r = read({ prompt: 'p', chosen: 3, rejected: 'b' });
  assert.deepEqual(only(r), [['chosen', 'wrong-type', 'error']]);
  assert.match(r.problems[0].message, /`chosen` is a number \(3\); expected a string .* or a list of/);
});

void test('missing chosen and rejected are both reported', () => {
  assert.deepEqual(only(read({ prompt: 'p' })), [
    ['chosen', 'missing-field', 'error'],
    ['rejected', 'missing-field', 'error'],
  ]);
});

void test('a message without content is reported at its exact path', () => {
  const r = read({ chosen: [user('a'), bot('b'), { role: 'assistant' }], rejected: [user('a'), bot('c')] });
  assert.deepEqual(only(r), [['chosen[2].content', 'missing-field', 'error']]);
  assert.match(r.problems[0].message, /has no "content"/);
});

void test('a ShareGPT-style message gets a hint to rename from/value', () => {
  const r = read({ chosen: [{ from: 'human', value: 'hi' }], rejected: [user('x')] });
  assert.deepEqual(only(r), [
    ['chosen[0].role', 'missing-field', 'error'],
    ['chosen[0].content', 'missing-field', 'error'],
  ]);
  assert.match(r.problems[0].message, /rename them to "role"\/"content"/);
});

void test('message content as a list of parts, a message that is a string, a numeric role', () => {
  const r = read({
    chosen: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }, 'oops'],
    rejected: [{ role: 7, content: 'x' }],
  });
  assert.deepEqual(only(r), [
    ['chosen[0].content', 'wrong-type', 'error'],
    ['chosen[1]', 'wrong-type', 'error'],
    ['rejected[0].role', 'wrong-type', 'error'],
  ]);
  assert.match(r.problems[0].message, /join the text parts/);
});

void test('a string prompt with conversational responses is an error that points at UltraFeedback', () => {
  const r = read({ prompt: 'Hi', chosen: [user('Hi'), bot('A')], rejected: [user('Hi'), bot('B')] });
  assert.deepEqual(only(r), [['prompt', 'wrong-type', 'error']]);
  assert.match(r.problems[0].message, /--from ultrafeedback/);
});

void test('chosen text with rejected messages is an error at rejected', () => {
  const r = read({ chosen: 'a', rejected: [bot('b')] });
  assert.deepEqual(only(r), [['rejected', 'wrong-type', 'error']]);
  assert.match(r.problems[0].message, /same form/);
});

void test('wrong margin, id, meta and a null prompt are errors at their fields', () => {
  assert.deepEqual(only(read({ prompt: null, chosen: 'a', rejected: 'b' })), [
    ['prompt', 'wrong-type', 'error'],
  ]);
  assert.deepEqual(only(read({ chosen: 'a', rejected: 'b', margin: '0.5' })), [
    ['margin', 'wrong-type', 'error'],
  ]);
  assert.deepEqual(only(read({ chosen: 'a', rejected: 'b', id: { n: 1 } })), [['id', 'wrong-type', 'error']]);
  assert.deepEqual(only(read({ chosen: 'a', rejected: 'b', meta: ['x'] })), [
    ['meta', 'wrong-type', 'error'],
  ]);
});

void test('never throws, whatever the record holds', () => {
  const odd: Record<string, unknown>[] = [
    {},
    { chosen: null, rejected: undefined },
    { chosen: [null], rejected: [[]] },
    { chosen: {}, rejected: true },
  ];
  for (const rec of odd) {
    const r = read(rec);
    assert.deepEqual(r.pairs, []);
    assert.ok(r.problems.some((p) => p.severity === 'error'));
  }
});

void test('match prefers matching forms and an explicit prompt of the same form', () => {
  assert.equal(trlReader.match({ foo: 1 }), 0);
  assert.equal(trlReader.match({ chosen: 'a', rejected: 1 }), 5);
  assert.equal(trlReader.match({ chosen: 'a', rejected: 'b' }), 10);
  assert.equal(trlReader.match({ prompt: 'p', chosen: 'a', rejected: 'b' }), 12);
  assert.equal(trlReader.match({ prompt: 'p', chosen: [user('a')], rejected: [user('b')] }), 10);
});
