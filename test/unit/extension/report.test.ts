import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ValidationResult } from '../../../src/core/data/api';
import type { DataProblem } from '../../../src/core/data/problems';
import {
  DEFAULT_MAX_PROBLEMS,
  dataOptions,
  formatBytes,
  isPreferenceFileName,
  problemMessage,
  problemStart,
  summarizeValidation,
} from '../../../src/extension/report';

function problem(over: Partial<DataProblem> = {}): DataProblem {
  return {
    file: '/d/train.jsonl',
    line: 3,
    column: 14,
    path: 'chosen',
    message: 'expected a string',
    severity: 'error',
    code: 'wrong-type',
    ...over,
  };
}

function result(records: number, problems: DataProblem[], problemsOmitted = 0): ValidationResult {
  return {
    file: '/d/train.jsonl',
    format: 'trl',
    formatReason: 'detected',
    records,
    problems,
    problemsOmitted,
  };
}

test('problem positions: 1-based line/column become 0-based, UTF-16 columns kept', () => {
  assert.deepEqual(problemStart({ line: 3, column: 14 }), { line: 2, character: 13 });
  assert.deepEqual(problemStart({ line: 1, column: 1 }), { line: 0, character: 0 });
  // Out-of-range input never yields a negative position (vscode.Position would throw).
  assert.deepEqual(problemStart({ line: 0, column: 0 }), { line: 0, character: 0 });
  assert.deepEqual(problemStart({ line: Number.NaN, column: -2 }), { line: 0, character: 0 });
});

test('problem messages carry the field path when there is one', () => {
  assert.equal(problemMessage(problem()), 'expected a string (at chosen)');
  assert.equal(problemMessage(problem({ path: '' })), 'expected a string');
});

test('summary: counts with thousands separators and a pointer to the Problems panel', () => {
  const s = summarizeValidation(result(1234, [problem(), problem(), problem()]), 'train.jsonl');
  assert.equal(s.problems, 3);
  assert.equal(s.text, 'train.jsonl (trl): 1,234 records, 3 problems — see Problems panel');
});

test('summary: singulars, clean files, capped problems, unsaved edits', () => {
  assert.equal(
    summarizeValidation(result(1, [problem()]), 'a.jsonl').text,
    'a.jsonl (trl): 1 record, 1 problem — see Problems panel',
  );
  const clean = summarizeValidation(result(20, []), 'a.jsonl');
  assert.equal(clean.problems, 0);
  assert.equal(clean.text, 'a.jsonl (trl): 20 records, no problems.');
  const capped = summarizeValidation(result(5000, [problem(), problem()], 1500), 'a.jsonl');
  assert.equal(capped.problems, 1502);
  assert.equal(
    capped.text,
    'a.jsonl (trl): 5,000 records, 1,502 problems (first 2 shown) — see Problems panel',
  );
  assert.match(summarizeValidation(result(2, []), 'a.jsonl', true).text, /Unsaved changes were not checked/);
});

test('settings: a known format is forced, auto or junk detects', () => {
  assert.deepEqual(dataOptions('hh-rlhf', 50), { from: 'hh-rlhf', maxProblems: 50 });
  assert.deepEqual(dataOptions('auto', 50), { maxProblems: 50 });
  assert.deepEqual(dataOptions('csv', undefined), { maxProblems: DEFAULT_MAX_PROBLEMS });
  assert.deepEqual(dataOptions(undefined, 0), { maxProblems: DEFAULT_MAX_PROBLEMS });
  assert.deepEqual(dataOptions(undefined, 12.7), { maxProblems: 12 });
  assert.deepEqual(dataOptions(undefined, '10'), { maxProblems: DEFAULT_MAX_PROBLEMS });
});

test('file sizes read like the explorer’s', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(834), '834 B');
  assert.equal(formatBytes(12 * 1024), '12 KB');
  assert.equal(formatBytes(1.25 * 1024 * 1024), '1.3 MB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GB');
  assert.equal(formatBytes(-1), '');
});

test('preference file names', () => {
  for (const name of ['a.jsonl', 'dir/B.JSONL', 'x.jsonl.gz', 'export.json'])
    assert.ok(isPreferenceFileName(name), name);
  for (const name of ['a.txt', 'a.jsonl.bak', 'a.gz', 'jsonl']) assert.ok(!isPreferenceFileName(name), name);
});
