// Probe builders: each edit changes one thing and keeps the link to the record it came from.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  briefVsLongProbes,
  fillerProbes,
  markdownProbes,
  opinionPrefix,
  opinionProbes,
  ProbeFileError,
  readSycophancyProbes,
  sentences,
  sycophancyPairs,
  trimProbes,
} from '../../../../src/core/eval/probes';
import type { LocatedPair } from '../../../../src/core/tokenize';
import { tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

const item: LocatedPair = {
  pair: { prompt: 'How do I boil an egg?', chosen: 'Put it in boiling water for nine minutes. Then cool it in cold water.', rejected: 'Eggs are nice.', id: 'egg' },
  source: { file: '/data/x.jsonl', line: 7 },
};
const oneSentence: LocatedPair = { pair: { prompt: 'Hi?', chosen: 'Hello there.', rejected: 'Go away.' }, source: { file: '/data/x.jsonl', line: 8 } };

void test('sentences split after . ! ? and at line breaks', () => {
  assert.deepEqual(sentences('One. Two!  Three?\nFour'), ['One.', 'Two!', 'Three?', 'Four']);
  assert.deepEqual(sentences('   '), []);
});

void test('brief vs long: the first sentence of chosen against a long generic answer, chosen = long', () => {
  const [p] = briefVsLongProbes([item]);
  assert.equal(p.pair.rejected, 'Put it in boiling water for nine minutes.');
  assert.ok(typeof p.pair.chosen === 'string' && p.pair.chosen.length >= 300, String(p.pair.chosen));
  assert.ok(!String(p.pair.chosen).includes('water'), 'the long answer says nothing about the question');
  assert.deepEqual(p.source, item.source);
  assert.equal(p.pair.id, 'egg');
  assert.equal(p.pair.prompt, item.pair.prompt);
});

void test('filler appends neutral sentences until ≥ 30% longer; trim drops the last sentence; both keep the original as rejected', () => {
  const [f] = fillerProbes([item]);
  const original = item.pair.chosen as string;
  assert.equal(f.pair.rejected, original);
  assert.ok(String(f.pair.chosen).startsWith(original + ' '));
  assert.ok(String(f.pair.chosen).length >= 1.3 * original.length);
  const [t] = trimProbes([item, oneSentence]);
  assert.equal(t.pair.chosen, 'Put it in boiling water for nine minutes.');
  assert.equal(t.pair.rejected, original);
  assert.equal(trimProbes([oneSentence]).length, 0, 'a one-sentence response has nothing to trim');
});

void test('Markdown: the same sentences as heading + bold + bullets; responses already in Markdown are skipped', () => {
  const [m] = markdownProbes([item]);
  assert.equal(m.pair.chosen, '## Answer\n\n**Put it in boiling water for nine minutes.**\n\n- Then cool it in cold water.');
  assert.equal(m.pair.rejected, item.pair.chosen);
  const md: LocatedPair = { ...item, pair: { ...item.pair, chosen: '- one. Two.' } };
  assert.equal(markdownProbes([md, oneSentence]).length, 0);
  // Conversational responses: the last message is edited.
  const conv: LocatedPair = { ...item, pair: { ...item.pair, chosen: [{ role: 'assistant', content: 'A. B.' }] } };
  assert.deepEqual(markdownProbes([conv])[0].pair.chosen, [{ role: 'assistant', content: '## Answer\n\n**A.**\n\n- B.' }]);
});

void test('opinion prefix: the user endorses the rejected answer before the prompt (last user message of a chat)', () => {
  const [o] = opinionProbes([item]);
  assert.equal(o.pair.prompt, `${opinionPrefix('Eggs are nice.')}\n\nHow do I boil an egg?`);
  assert.ok(opinionPrefix('Eggs are nice.').includes('"Eggs are nice."'));
  assert.equal(o.pair.chosen, item.pair.chosen);
  assert.equal(o.pair.rejected, item.pair.rejected);
  const chat: LocatedPair = {
    ...item,
    pair: { ...item.pair, prompt: [{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' }] },
  };
  const [c] = opinionProbes([chat]);
  assert.deepEqual((c.pair.prompt as { content: string }[]).map((m) => m.content), ['Q1', 'A1', `${opinionPrefix('Eggs are nice.')}\n\nQ2`]);
  const noUser: LocatedPair = { ...item, pair: { ...item.pair, prompt: [{ role: 'system', content: 'S' }] } };
  assert.equal(opinionProbes([noUser]).length, 0);
});

void test('sycophancy probe files: good lines read with their group, bad lines listed with file:line', () => {
  const file = join(tmp.dir, 'syc.jsonl');
  writeFileSync(
    file,
    [
      JSON.stringify({ id: 'c-0', bio_leaning: 'conservative', prompt: 'I am conservative. (A) small (B) big', matches_user_view: '(A) small', contradicts_user_view: '(B) big' }),
      '',
      '{oops',
      JSON.stringify({ bio_leaning: 'liberal', prompt: 'I am liberal. (A) small (B) big', matches_user_view: '(B) big' }),
      JSON.stringify({ bio_leaning: 'liberal', prompt: 'I am liberal. (A) small (B) big', matches_user_view: '(B) big', contradicts_user_view: '(A) small' }),
    ].join('\n') + '\n',
  );
  const set = readSycophancyProbes(file);
  assert.equal(set.groupField, 'bio_leaning');
  assert.deepEqual(
    set.items.map((i) => [i.line, i.group, i.agree, i.id]),
    [
      [1, 'conservative', '(A) small', 'c-0'],
      [5, 'liberal', '(B) big', undefined],
    ],
  );
  assert.deepEqual(
    set.problems.map((p) => p.line),
    [3, 4],
  );
  assert.match(set.problems[1].message, /contradicts_user_view missing/);
  const pairs = sycophancyPairs(set);
  assert.deepEqual(pairs[1], { pair: { prompt: 'I am liberal. (A) small (B) big', chosen: '(B) big', rejected: '(A) small' }, source: { file, line: 5 } });
  assert.equal(readSycophancyProbes(file, { limit: 1 }).items.length, 1);
  const bad = join(tmp.dir, 'bad.jsonl');
  writeFileSync(bad, '\n{"prompt": "x"}\n');
  assert.throws(() => readSycophancyProbes(bad), (e: unknown) => e instanceof ProbeFileError && e.line === 2 && e.message.startsWith(`${bad}:2: `));
});
