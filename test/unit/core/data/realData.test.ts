// The data layer on real data nobody on this project wrote (../shared/data; see its README).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { convertFile } from '../../../../src/core/data/convert';
import { computeStats, validateFile } from '../../../../src/core/data/pipeline';
import { sharedData, tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);
const have = existsSync(sharedData('README.md'));

test('the shared real data is present (CI has ../shared beside the checkout)', () => {
  assert.ok(have, `missing ${sharedData()}`);
});

test('converting raw HH-RLHF (gzip) gives the clean file for every record it kept', async () => {
  const out = join(tmp.dir, 'helpful.trl.jsonl');
  const r = await convertFile(sharedData('hh-rlhf', 'helpful-base-test.jsonl.gz'), out);
  assert.equal(r.from, 'hh-rlhf');
  assert.equal(r.lines, 2354);
  type P = { prompt: string; chosen: string; rejected: string };
  const mine = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as P);
  const clean = readFileSync(sharedData('hh-rlhf', 'helpful-base-test.clean.pcr.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as P);
  // The clean file is the raw file minus dropped records, in order: walk both.
  let j = 0;
  const dropped: P[] = [];
  for (const m of mine) {
    const c = clean[j];
    if (c && c.prompt === m.prompt && c.chosen === m.chosen && c.rejected === m.rejected) j++;
    else dropped.push(m);
  }
  assert.equal(j, clean.length, `every clean record found, in order (stopped at clean[${j}])`);
  // What the clean file dropped and we kept is exactly what validation warns about.
  const v = await validateFile(out);
  const warned = new Set(v.problems.filter((p) => p.code === 'empty-side' || p.code === 'identical-sides').map((p) => p.line));
  assert.equal(dropped.length + r.skippedLines, 2354 - clean.length);
  assert.ok(warned.size >= dropped.length - 1, `dropped ${dropped.length}, warned ${warned.size}`);
});

test('stats on real files: the length-only baseline matches the shared README', async () => {
  const expected: Array<[string[], number, number]> = [
    [['hh-rlhf', 'helpful-base-test.clean.pcr.jsonl'], 2339, 0.594],
    [['hh-rlhf', 'harmless-base-test.clean.pcr.jsonl'], 2303, 0.443],
    [['probes', 'llmbar_pairs.jsonl'], 419, 0.27],
  ];
  for (const [parts, n, rate] of expected) {
    const s = await computeStats(sharedData(...parts));
    assert.equal(s.format, 'trl');
    assert.equal(s.records, n);
    assert.equal(s.invalid, 0);
    assert.ok(Math.abs(s.chosenLongerRate - rate) < 0.0005, `${parts.join('/')}: ${s.chosenLongerRate}`);
  }
});

test('every real file validates without errors (warnings allowed)', async () => {
  for (const parts of [['hh-rlhf', 'helpful-base-test.jsonl.gz'], ['hh-rlhf', 'harmless-base-test.clean.pcr.jsonl'], ['probes', 'llmbar_pairs.jsonl']]) {
    const v = await validateFile(sharedData(...parts), { maxProblems: 0 });
    assert.deepEqual(v.problems.filter((p) => p.severity === 'error' && p.code !== 'ambiguous'), [], parts.join('/'));
  }
});
