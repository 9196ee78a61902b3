// The annotation view's diff highlight (webview/annotate/wordDiff.ts is DOM-free, so plain Node tests it).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MAX_CELLS, diffWords, tokenize, type DiffPart } from '../../../webview/annotate/wordDiff';

const text = (parts: DiffPart[], drop: string): string => parts.filter((p) => p.kind !== drop).map((p) => p.text).join('');

test('tokens are words and the whitespace between them', () => {
  assert.deepEqual(tokenize('a  b\nc'), ['a', '  ', 'b', '\n', 'c']);
  assert.deepEqual(tokenize(''), []);
});

test('identical texts are one same part on each side', () => {
  assert.deepEqual(diffWords('the cat sat', 'the cat sat'), { left: [{ kind: 'same', text: 'the cat sat' }], right: [{ kind: 'same', text: 'the cat sat' }] });
});

test('a changed word is removed on the left and added on the right; each side joins back to its text', () => {
  const d = diffWords('the cat sat on the mat', 'the dog sat on the mat');
  assert.deepEqual(d.left.filter((p) => p.kind !== 'same'), [{ kind: 'removed', text: 'cat' }]);
  assert.deepEqual(d.right.filter((p) => p.kind !== 'same'), [{ kind: 'added', text: 'dog' }]);
  assert.equal(text(d.left, 'added'), 'the cat sat on the mat');
  assert.equal(text(d.right, 'removed'), 'the dog sat on the mat');
});

test('insertions and an empty side', () => {
  const d = diffWords('a c', 'a b c');
  assert.equal(d.left.every((p) => p.kind === 'same'), true);
  assert.equal(text(d.right, 'removed'), 'a b c');
  assert.ok(d.right.some((p) => p.kind === 'added' && p.text.includes('b')));
  assert.deepEqual(diffWords('', 'new'), { left: [], right: [{ kind: 'added', text: 'new' }] });
});

test('very long different texts fall back to lines and still join back', () => {
  const n = Math.ceil(Math.sqrt(MAX_CELLS)) + 10;
  const a = Array.from({ length: n }, (_, i) => `w${i}`).join(' ') + '\nshared line\n';
  const b = Array.from({ length: n }, (_, i) => `v${i}`).join(' ') + '\nshared line\n';
  const started = Date.now();
  const d = diffWords(a, b);
  assert.ok(Date.now() - started < 2000);
  assert.equal(text(d.left, 'added'), a);
  assert.equal(text(d.right, 'removed'), b);
  assert.equal(d.left.at(-1)?.kind, 'same');
});
