import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { DatasetStats, LengthSummary } from '../../../src/core/data/api';
import { cleanHistogram, toStatsSnapshot } from '../../../src/extension/statsSnapshot';

function lengths(over: Partial<LengthSummary> = {}): LengthSummary {
  return {
    n: 3,
    mean: 20,
    min: 5,
    p10: 5,
    p50: 20,
    p90: 35,
    p99: 35,
    max: 35,
    histogram: { edges: [0, 1, 2, 4, 8, 16, 32, 64], counts: [0, 0, 0, 1, 0, 1, 1] },
    ...over,
  };
}

function stats(over: Partial<DatasetStats> = {}): DatasetStats {
  return {
    file: '/d/train.jsonl',
    format: 'trl',
    lines: 4,
    blankLines: 1,
    records: 3,
    invalid: 0,
    skipped: 0,
    duplicates: 1,
    identical: 0,
    emptySides: 0,
    contradictions: 0,
    conversational: 0,
    withMargin: 0,
    prompts: 2,
    lengths: { prompt: lengths(), chosen: lengths(), rejected: lengths({ p50: 10 }) },
    chosenLongerRate: 2 / 3,
    equalLengthRate: 0,
    lengthBaselineAccuracy: 2 / 3,
    annotators: [{ annotator: 'ann-1', records: 3, chosenLongerRate: 2 / 3 }],
    ...over,
  };
}

test('a snapshot carries every count, rate and length the view shows', () => {
  const snap = toStatsSnapshot(stats());
  assert.equal(snap.format, 'trl');
  assert.equal(snap.records, 3);
  assert.equal(snap.duplicates, 1);
  assert.equal(snap.prompts, 2);
  assert.equal(snap.lengthBaselineAccuracy, 2 / 3);
  assert.equal(snap.lengths.rejected.p50, 10);
  assert.deepEqual(snap.lengths.chosen.histogram, lengths().histogram);
  assert.deepEqual(snap.annotators, [{ annotator: 'ann-1', records: 3, chosenLongerRate: 2 / 3 }]);
});

test('non-finite numbers become null, so JSON does not turn them into surprises', () => {
  const empty = lengths({
    n: 0,
    mean: Number.NaN,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
  });
  const snap = toStatsSnapshot(
    stats({
      records: 0,
      chosenLongerRate: Number.NaN,
      equalLengthRate: Number.NaN,
      lengthBaselineAccuracy: Number.NaN,
      lengths: { prompt: empty, chosen: empty, rejected: empty },
      annotators: [{ annotator: 'a', records: 0, chosenLongerRate: Number.NaN }],
    }),
  );
  assert.equal(snap.lengthBaselineAccuracy, null);
  assert.equal(snap.chosenLongerRate, null);
  assert.equal(snap.lengths.chosen.mean, null);
  assert.equal(snap.lengths.chosen.min, null);
  assert.equal(snap.annotators[0].chosenLongerRate, null);
  // The round trip a postMessage makes leaves it unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
});

test('histograms: an open last edge is closed, mismatched lengths trimmed, bad bins dropped', () => {
  assert.deepEqual(cleanHistogram([0, 1, 2, Number.POSITIVE_INFINITY], [1, 2, 3]), {
    edges: [0, 1, 2, 4],
    counts: [1, 2, 3],
  });
  assert.deepEqual(cleanHistogram([0, 10, 100], [1, 2, 3, 4]), { edges: [0, 10, 100], counts: [1, 2] });
  assert.deepEqual(cleanHistogram([0, 10, 100, 1000], [1, 2]), { edges: [0, 10, 100], counts: [1, 2] });
  assert.deepEqual(cleanHistogram([0, 10, 10, 100], [1, 2, 3]), { edges: [0, 10, 100], counts: [1, 3] });
  assert.deepEqual(cleanHistogram([0, 10, Number.NaN, 100], [1, 2, 3]), { edges: [0, 10], counts: [1] });
  assert.deepEqual(cleanHistogram([], []), { edges: [], counts: [] });
  assert.deepEqual(cleanHistogram([0, 1], [Number.NaN]), { edges: [0, 1], counts: [0] });
});
