import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareResults } from '../../../../src/core/inspect/compare';
import { DocScores } from '../../../../src/core/inspect/docScores';
import { detectLinesFormat, parseRecordLine } from '../../../../src/core/inspect/lines';
import { disagreements, hoverMarkdown, lensTitle, lensTitles, pChosen } from '../../../../src/core/inspect/present';
import type { LineResult, LoadedModel, ScoredPair } from '../../../../src/core/inspect/protocol';

const pair = (c: number, r: number, extra: Partial<ScoredPair> = {}): ScoredPair => ({ rewardChosen: c, rewardRejected: r, chosenTokens: 10, rejectedTokens: 8, truncatedTokens: 0, ...extra });
const res = (line: number, c: number, r: number): LineResult => ({ line, pairs: [pair(c, r)] });

void test('DocScores: an edit inside a line keeps its pre-edit score as the baseline; lines below move; touched lines are dirty', () => {
  const d = new DocScores();
  for (let l = 0; l < 5; l++) d.set(res(l, l, 0));
  d.apply({ startLine: 2, endLine: 2, insertedLines: 0 });
  assert.equal(d.get(2), undefined, 'the edited line has no current score');
  assert.deepEqual(d.baseline(2), pair(2, 0));
  assert.ok(d.isDirty(2));
  assert.deepEqual(d.get(3), res(3, 3, 0));
  // A second keystroke keeps the first baseline.
  d.set(res(2, 2.5, 0));
  d.apply({ startLine: 2, endLine: 2, insertedLines: 0 });
  assert.deepEqual(d.baseline(2), pair(2, 0));
  // Two lines inserted above line 1: everything from line 1 moves down by 2, the baseline too.
  d.apply({ startLine: 1, endLine: 1, insertedLines: 2 });
  assert.equal(d.get(1), undefined);
  assert.deepEqual(d.get(5), { ...res(3, 3, 0) });
  assert.deepEqual(d.baseline(4), pair(2, 0));
  assert.deepEqual(d.dirtyLines(), [1, 2, 3, 4]);
  // Deleting lines 3..5 (joining): those lose their scores, line 6 becomes 4... (endLine 5, inserted 0 → delta −2).
  d.set(res(6, 4, 0));
  d.apply({ startLine: 3, endLine: 5, insertedLines: 0 });
  assert.deepEqual(d.get(4), res(6, 4, 0));
  assert.equal(d.baseline(4), undefined, 'a baseline inside a multi-line removal is gone');
  d.clear();
  assert.equal(d.size, 0);
});

void test('lens titles, P(chosen), moves since the edit, ranked lines and unscored lines', () => {
  assert.equal(lensTitle(pair(1.2345, -0.21)), 'r(chosen) 1.234 · r(rejected) -0.210 · Δ +1.444 · P(chosen) 0.81');
  assert.equal(pChosen(pair(0, 0)), 0.5);
  assert.match(lensTitle(pair(1.5, -0.21), pair(1.2345, -0.21)), /\(since edit: chosen \+0\.266\)$/);
  assert.match(lensTitle(pair(1, 0), pair(1, 0)), /since edit: unchanged/);
  assert.match(lensTitle(pair(1, 0, { truncatedTokens: 4 })), / · cut$/);
  assert.deepEqual(lensTitles({ line: 1, skip: 'blank line' }), []);
  assert.deepEqual(lensTitles({ line: 1, pairs: [pair(NaN, NaN)], unscored: 'identical' }), ['not scored: identical']);
  const ranked = lensTitles({ line: 1, pairs: [pair(1, 0), pair(0, 1)] });
  assert.equal(ranked.length, 2);
  assert.match(ranked[1], /^pair 2\/2: /);
  const model: LoadedModel = { key: 'k', dir: '/m', name: 'tiny', provider: 'cpu', providerSummary: '', maxLength: 64, rewards: { mean: 1, std: 2 } };
  const md = hoverMarkdown({ line: 1, pairs: [pair(3, -1, { truncatedTokens: 5 })] }, model);
  assert.match(md, /\| normalised \(z\) \| 1\.000 \| -1\.000 \|/);
  assert.match(md, /\| tokens \| 10 \| 8 \|/);
  assert.match(md, /5 tokens cut to fit the model's max length of 64/);
});

void test('disagreements: below the threshold only; compare: the flips, strongest first', () => {
  assert.deepEqual(disagreements(res(1, 0, 2), { threshold: 0.25 }).map((d) => d.index), [0]);
  assert.equal(disagreements(res(1, 0, 0.5), { threshold: 0.25 }).length, 0, 'P = 0.38 is not below 0.25');
  assert.equal(disagreements(res(1, 0, 0.5), { threshold: 0.5 }).length, 1);
  const a = [res(1, 1, 0), res(2, 0, 1), res(3, 2, 0), { line: 4, skip: 'blank line' } as LineResult];
  const b = [res(1, 0, 1), res(2, 0, 2), res(3, 0, 3), res(4, 1, 0)];
  const c = compareResults(a, b);
  assert.equal(c.compared, 3);
  assert.equal(c.agreeA, 2);
  assert.equal(c.agreeB, 0);
  assert.deepEqual(c.flips.map((f) => f.line), [3, 1]);
});

void test('a line parses as its format reads it; the format is detected from the first lines', () => {
  assert.deepEqual(parseRecordLine('   ', 'trl'), { skip: 'blank line' });
  assert.match((parseRecordLine('[1]', 'trl') as { skip: string }).skip, /not a JSON object/);
  const ok = parseRecordLine('{"prompt":"p","chosen":"a","rejected":"b"}', 'trl');
  assert.ok('pairs' in ok && ok.pairs[0].chosen === 'a');
  assert.deepEqual(detectLinesFormat(['', '{"chosen":"\\n\\nHuman: hi\\n\\nAssistant: a","rejected":"\\n\\nHuman: hi\\n\\nAssistant: b"}']).hasOwnProperty('format'), true);
  assert.ok('error' in detectLinesFormat(['{bad', '']));
  assert.deepEqual(detectLinesFormat([], 'trl'), { format: 'trl', reason: 'set in rewardStudio.data.inputFormat' });
});
