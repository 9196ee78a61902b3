// The annotation views' protocol: the host's validator for what the webview sends (a message is input).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MAX_NOTE_LENGTH, parseAnnotateWebviewMessage } from '../../../src/protocol/annotate';

test('accepts each well-formed webview message, as a fresh object with only the known fields', () => {
  for (const type of ['ready', 'undo', 'next', 'previous', 'restore', 'openPanel']) {
    assert.deepEqual(parseAnnotateWebviewMessage({ type, extra: 1 }), { type });
  }
  assert.deepEqual(parseAnnotateWebviewMessage({ type: 'judge', itemKey: 'abc', verdict: 'left', strength: 9 }), { type: 'judge', itemKey: 'abc', verdict: 'left' });
  for (const verdict of ['left', 'right', 'tie', 'skip']) assert.equal(parseAnnotateWebviewMessage({ type: 'judge', itemKey: 'k', verdict })?.type, 'judge');
  assert.deepEqual(parseAnnotateWebviewMessage({ type: 'draft', strength: 3, note: 'why' }), { type: 'draft', strength: 3, note: 'why' });
  assert.deepEqual(parseAnnotateWebviewMessage({ type: 'draft', note: '' }), { type: 'draft', note: '' });
  assert.deepEqual(parseAnnotateWebviewMessage({ type: 'draft', itemKey: 'k', strength: 1, note: 'n', x: 1 }), { type: 'draft', itemKey: 'k', strength: 1, note: 'n' });
  assert.deepEqual(parseAnnotateWebviewMessage({ type: 'shown', itemKey: 'k', extra: 1 }), { type: 'shown', itemKey: 'k' });
  assert.deepEqual(parseAnnotateWebviewMessage({ type: 'shown', itemKey: null }), { type: 'shown', itemKey: null });
  assert.deepEqual(parseAnnotateWebviewMessage({ type: 'focus', webview: true, note: false }), { type: 'focus', webview: true, note: false });
});

test('cuts an over-long note', () => {
  const m = parseAnnotateWebviewMessage({ type: 'draft', note: 'x'.repeat(MAX_NOTE_LENGTH + 10) });
  assert.equal(m?.type === 'draft' ? m.note.length : -1, MAX_NOTE_LENGTH);
});

test('rejects malformed messages', () => {
  for (const bad of [
    undefined, null, 'ready', [], {}, { type: 'nope' },
    { type: 'judge', itemKey: 'k', verdict: 'better' },
    { type: 'judge', verdict: 'left' },
    { type: 'judge', itemKey: '', verdict: 'left' },
    { type: 'judge', itemKey: 'k'.repeat(201), verdict: 'left' },
    { type: 'draft', strength: 5, note: '' },
    { type: 'draft', strength: '2', note: '' },
    { type: 'draft', strength: 2 },
    { type: 'draft', itemKey: '', note: '' },
    { type: 'draft', itemKey: 7, note: '' },
    { type: 'shown' },
    { type: 'shown', itemKey: '' },
    { type: 'shown', itemKey: 'k'.repeat(201) },
    { type: 'focus', webview: 'yes', note: false },
    { type: 'focus', webview: true },
  ]) {
    assert.equal(parseAnnotateWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
});
