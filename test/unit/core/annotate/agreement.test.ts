import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationReport, cohensKappa } from '../../../../src/core/annotate/agreement';
import type { JudgementEntry } from '../../../../src/core/annotate/record';

const close = (actual: number | null, expected: number): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${actual} ≉ ${expected}`);
};

void test("Cohen's κ against a hand computation", () => {
  // agree on 4 of 6 → po = 2/3; shares x: A 3, B 2, T 1; y: A 3, B 3 → pe = 9/36 + 6/36 = 5/12.
  // κ = (2/3 − 5/12) / (1 − 5/12) = (3/12) / (7/12) = 3/7.
  const r = cohensKappa(['A', 'A', 'B', 'B', 'A', 'T'], ['A', 'B', 'B', 'B', 'A', 'A']);
  assert.equal(r.n, 6);
  close(r.observed, 2 / 3);
  close(r.chance, 5 / 12);
  close(r.kappa, 3 / 7);
});

void test('κ: perfect agreement is 1, systematic disagreement below 0, constant raters undefined', () => {
  close(cohensKappa(['A', 'B', 'A', 'B'], ['A', 'B', 'A', 'B']).kappa, 1);
  // po = 0, pe = 1/2 → κ = −1.
  close(cohensKappa(['A', 'B', 'A', 'B'], ['B', 'A', 'B', 'A']).kappa, -1);
  assert.equal(cohensKappa(['A', 'A'], ['A', 'A']).kappa, null);
  assert.equal(cohensKappa([], []).kappa, null);
  assert.throws(() => cohensKappa(['A'], []), RangeError);
});

let n = 0;
function entry(annotator: string, itemId: string, label: 'first' | 'second' | 'tie' | 'skip', extra: Partial<JudgementEntry> = {}): JudgementEntry {
  const judgement = label === 'skip' ? 'skip' : label === 'tie' ? 'tie' : 'preference';
  return {
    id: `r${n++}`,
    annotator,
    itemId,
    judgement,
    line: n,
    time: '',
    audit: false,
    label: label === 'skip' ? undefined : label,
    chosenLonger: 0,
    source: 'q.jsonl',
    sourceLine: 1,
    shownOrder: 'chosen-left',
    ...extra,
  };
}

void test('report: pooled percent agreement and mean pairwise κ over items with several annotators', () => {
  const es = [
    // ana vs bo on 4 items: labels ana F F S T, bo F S S T → po 3/4.
    entry('ana', 'i1', 'first'),
    entry('bo', 'i1', 'first'),
    entry('ana', 'i2', 'first'),
    entry('bo', 'i2', 'second'),
    entry('ana', 'i3', 'second'),
    entry('bo', 'i3', 'second'),
    entry('ana', 'i4', 'tie'),
    entry('bo', 'i4', 'tie'),
    // cy shares i1 only with both; a skip is not a label.
    entry('cy', 'i1', 'first'),
    entry('cy', 'i2', 'skip'),
    entry('ana', 'i5', 'first'), // one annotator: no comparison
  ];
  const r = annotationReport(es);
  assert.equal(r.agreement.items, 4);
  const ab = r.agreement.pairs.find((p) => p.annotators.join() === 'ana,bo')!;
  // ana: F 2, S 1, T 1; bo: F 1, S 2, T 1 → pe = (2·1 + 1·2 + 1·1)/16 = 5/16; κ = (12/16 − 5/16)/(11/16) = 7/11.
  close(ab.observed, 3 / 4);
  close(ab.kappa, 7 / 11);
  // ana–cy and bo–cy: one item, both F → po 1, pe 1 → κ undefined, left out of the mean.
  assert.equal(r.agreement.pairs.length, 3);
  assert.equal(r.agreement.comparisons, 4 + 1 + 1);
  close(r.agreement.percent, (3 + 1 + 1) / 6);
  close(r.agreement.kappa, 7 / 11);
  const cy = r.annotators.find((a) => a.annotator === 'cy')!;
  assert.equal(cy.skips, 1);
  assert.equal(cy.preferences, 1);
});

void test('report: left-wins and longer-wins rates per annotator; ties and audits left out', () => {
  const es = [
    entry('ana', 'i1', 'first', { shownOrder: 'chosen-left', chosenLonger: 1 }),
    entry('ana', 'i2', 'first', { shownOrder: 'chosen-left', chosenLonger: 1 }),
    entry('ana', 'i3', 'second', { shownOrder: 'chosen-right', chosenLonger: -1 }),
    entry('ana', 'i4', 'first', { shownOrder: 'chosen-left', chosenLonger: 0 }),
    entry('ana', 'i5', 'tie', { shownOrder: 'chosen-left', chosenLonger: 1 }),
    entry('ana', 'i1', 'first', { audit: true, shownOrder: 'chosen-right', chosenLonger: 1 }),
  ];
  const ana = annotationReport(es).annotators[0];
  assert.equal(ana.preferences, 4);
  assert.equal(ana.ties, 1);
  close(ana.leftWinsRate, 3 / 4);
  assert.equal(ana.lengthDecided, 3);
  close(ana.longerWinsRate, 2 / 3);
});

void test('self-consistency: an audit agrees when it prefers the same response; a same-side flip is counted', () => {
  const es = [
    entry('ana', 'i1', 'first', { shownOrder: 'chosen-left' }),
    entry('ana', 'i2', 'second', { shownOrder: 'chosen-left' }),
    entry('ana', 'i3', 'tie'),
    // i1: same response preferred with the sides swapped → consistent.
    entry('ana', 'i1', 'first', { audit: true, shownOrder: 'chosen-right' }),
    // i2: picked the left side again, which is now the other response → inconsistent, same side.
    entry('ana', 'i2', 'first', { audit: true, shownOrder: 'chosen-left' }),
    entry('ana', 'i3', 'tie', { audit: true }),
  ];
  const a = annotationReport(es).annotators[0].audits;
  assert.deepEqual(a, { n: 3, consistent: 2, rate: 2 / 3, sameSide: 1 });
});
