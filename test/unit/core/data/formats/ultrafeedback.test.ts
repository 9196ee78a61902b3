import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trlReader } from '../../../../../src/core/data/formats/trl';
import { ultrafeedbackReader } from '../../../../../src/core/data/formats/ultrafeedback';

const user = (content: string) => ({ role: 'user', content });
const bot = (content: string) => ({ role: 'assistant', content });
const codes = (r: { problems: { path: string; code: string; severity: string }[] }) =>
  r.problems.map((p) => [p.path, p.code, p.severity]);

function row(over: Record<string, unknown> = {}): Record<string, unknown> {
  const chosen = [user('Name a colour.'), bot('Blue.')];
  return {
    prompt: 'Name a colour.',
    prompt_id: 'abc123',
    chosen,
    rejected: [user('Name a colour.'), bot('Seven.')],
    messages: [user('Name a colour.'), bot('Blue.')],
    score_chosen: 8.5,
    score_rejected: 3,
    ...over,
  };
}

void test('ultrafeedback: the shared user turn is the prompt; prompt_id is the id; scores are extra', () => {
  const r = ultrafeedbackReader.read(row());
  assert.deepEqual(r, {
    pairs: [
      {
        prompt: [user('Name a colour.')],
        chosen: [bot('Blue.')],
        rejected: [bot('Seven.')],
        id: 'abc123',
        extra: { score_chosen: 8.5, score_rejected: 3 },
      },
    ],
    problems: [],
  });
});

void test('ultrafeedback: messages that differ from chosen are kept in extra, in their place', () => {
  const r = ultrafeedbackReader.read(row({ messages: [user('other')], source: 'evol' }));
  assert.deepEqual(Object.keys(r.pairs[0].extra!), ['messages', 'score_chosen', 'score_rejected', 'source']);
  assert.deepEqual(r.pairs[0].extra!.messages, [user('other')]);
});

void test('ultrafeedback: equal scores are a tie — no pair, a tie warning', () => {
  const r = ultrafeedbackReader.read(row({ score_rejected: 8.5 }));
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(codes(r), [['score_chosen', 'tie', 'warning']]);
  assert.match(r.problems[0].message, /8\.5/);
});

void test('ultrafeedback: a prompt text that matches no shared user turn is a warning', () => {
  const r = ultrafeedbackReader.read(row({ prompt: 'Something else' }));
  assert.equal(r.pairs.length, 1);
  assert.deepEqual(codes(r), [['prompt', 'invalid-value', 'warning']]);
});

void test('ultrafeedback: string responses and broken messages are errors', () => {
  assert.deepEqual(codes(ultrafeedbackReader.read(row({ chosen: 'Blue.' }))), [
    ['chosen', 'wrong-type', 'error'],
  ]);
  const r = ultrafeedbackReader.read(
    row({ rejected: [user('Name a colour.'), { role: 'assistant', content: null }] }),
  );
  assert.deepEqual(codes(r), [['rejected[1].content', 'wrong-type', 'error']]);
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(codes(ultrafeedbackReader.read(row({ prompt_id: [1] }))), [
    ['prompt_id', 'wrong-type', 'error'],
  ]);
});

void test('ultrafeedback: match beats trl on UltraFeedback rows and leaves conversational-prompt TRL alone', () => {
  assert.ok(ultrafeedbackReader.match(row()) > trlReader.match(row()));
  const trlConv = {
    prompt: [user('q')],
    chosen: [bot('a')],
    rejected: [bot('b')],
    score_chosen: 1,
    score_rejected: 0,
  };
  assert.equal(ultrafeedbackReader.match(trlConv), 0);
  assert.equal(ultrafeedbackReader.match({ chosen: [bot('a')], rejected: [bot('b')] }), 0);
});
