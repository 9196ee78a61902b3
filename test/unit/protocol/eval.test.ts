// The bias-report panel's webview → host validator: what the webview sends is input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvalWebviewMessage } from '../../../src/protocol/eval';

void test('parseEvalWebviewMessage keeps well-formed messages and only their known fields', () => {
  assert.deepEqual(parseEvalWebviewMessage({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(parseEvalWebviewMessage({ type: 'openExample', file: '/d/p.jsonl', line: 3, x: 'y' }), { type: 'openExample', file: '/d/p.jsonl', line: 3 });
  assert.deepEqual(parseEvalWebviewMessage({ type: 'export', format: 'html' }), { type: 'export', format: 'html' });
  assert.deepEqual(parseEvalWebviewMessage({ type: 'export', format: 'json' }), { type: 'export', format: 'json' });
});

void test('parseEvalWebviewMessage rejects anything else', () => {
  for (const bad of [null, undefined, 'ready', [], {}, { type: 'nope' }, { type: 'export', format: 'pdf' }, { type: 'openExample', file: '', line: 1 }, { type: 'openExample', file: 'f', line: 0 }, { type: 'openExample', file: 'f', line: 1.5 }, { type: 'openExample', file: 7, line: 1 }, { type: 'openExample', file: 'x'.repeat(40_000), line: 1 }]) {
    assert.equal(parseEvalWebviewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
  }
});
