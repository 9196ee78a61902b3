import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseStatsWebviewMessage } from '../../../src/protocol/stats';

test('accepts each well-formed webview message', () => {
  assert.deepEqual(parseStatsWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseStatsWebviewMessage({ type: 'refresh' }), { type: 'refresh' });
  assert.deepEqual(parseStatsWebviewMessage({ type: 'openLocation', file: '/data/train.jsonl', line: 12 }), {
    type: 'openLocation',
    file: '/data/train.jsonl',
    line: 12,
  });
});

test('returns a fresh object with only the known fields', () => {
  const raw = { type: 'openLocation', file: 'C:\\data\\a.jsonl', line: 1, command: 'rm -rf /' };
  const parsed = parseStatsWebviewMessage(raw);
  assert.deepEqual(parsed, { type: 'openLocation', file: 'C:\\data\\a.jsonl', line: 1 });
  assert.notEqual(parsed, raw);
  assert.deepEqual(parseStatsWebviewMessage({ type: 'ready', extra: true }), { type: 'ready' });
});

test('rejects what is not a message', () => {
  for (const value of [
    undefined,
    null,
    0,
    'ready',
    true,
    [],
    [{ type: 'ready' }],
    {},
    { type: 1 },
    { kind: 'ready' },
  ]) {
    assert.equal(parseStatsWebviewMessage(value), undefined, JSON.stringify(value));
  }
});

test('rejects unknown message types, including host-to-webview ones', () => {
  for (const type of ['state', 'READY', 'open', 'eval', '']) {
    assert.equal(parseStatsWebviewMessage({ type }), undefined, type);
  }
});

test('rejects openLocation with a bad file or line', () => {
  const bad: unknown[] = [
    { type: 'openLocation', line: 1 },
    { type: 'openLocation', file: '', line: 1 },
    { type: 'openLocation', file: 42, line: 1 },
    { type: 'openLocation', file: 'x'.repeat(40_000), line: 1 },
    { type: 'openLocation', file: '/a.jsonl' },
    { type: 'openLocation', file: '/a.jsonl', line: 0 },
    { type: 'openLocation', file: '/a.jsonl', line: -3 },
    { type: 'openLocation', file: '/a.jsonl', line: 1.5 },
    { type: 'openLocation', file: '/a.jsonl', line: Number.NaN },
    { type: 'openLocation', file: '/a.jsonl', line: Number.POSITIVE_INFINITY },
    { type: 'openLocation', file: '/a.jsonl', line: 2 ** 60 },
    { type: 'openLocation', file: '/a.jsonl', line: '3' },
  ];
  for (const value of bad) assert.equal(parseStatsWebviewMessage(value), undefined, JSON.stringify(value));
});
