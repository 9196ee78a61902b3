// The evaluation statistics on numbers small enough to work out on paper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bootstrap,
  differenceEstimate,
  expectedCalibrationError,
  fitTemperature,
  histogram,
  meanEstimate,
  meanLogLoss,
  normalQuantile,
  quantile,
  ranks,
  reliabilityBins,
  spearman,
  std,
  win,
} from '../../../../src/core/eval/stats';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

void test('quantile interpolates between order statistics (numpy linear)', () => {
  close(quantile([1, 2, 3, 4], 0.5), 2.5);
  close(quantile([1, 2, 3, 4], 0.25), 1.75);
  close(quantile([7], 0.9), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

void test('win counts ties as half; a rate is the mean of wins with a bootstrap interval around it', () => {
  assert.deepEqual([win(2, 1), win(1, 1), win(0, 1)], [1, 0.5, 0]);
  const f = meanEstimate([1, 0, 1, 1, 0.5, 1, 0, 1]);
  assert.equal(f.n, 8);
  close(f.value, 5.5 / 8);
  assert.ok(f.ci[0] <= f.value && f.value <= f.ci[1] && f.ci[0] >= 0 && f.ci[1] <= 1, JSON.stringify(f.ci));
  // Seeded: the same data give the same interval; another seed another one.
  assert.deepEqual(meanEstimate([1, 0, 1, 1, 0.5, 1, 0, 1]).ci, f.ci);
  const xs = Array.from({ length: 50 }, (_, i) => Math.sin(i));
  assert.notDeepEqual(meanEstimate(xs, { seed: 7 }).ci, meanEstimate(xs).ci);
  // Constant data: a zero-width interval. No data: NaN. One item: the value itself.
  assert.deepEqual(meanEstimate([1, 1, 1]).ci, [1, 1]);
  assert.ok(Number.isNaN(meanEstimate([]).ci[0]));
  assert.deepEqual(meanEstimate([0.3]).ci, [0.3, 0.3]);
});

void test('the bootstrap interval of a mean matches the normal approximation on a large sample', () => {
  const xs = Array.from({ length: 2000 }, (_, i) => (i % 10 < 7 ? 1 : 0)); // p = 0.7
  const f = meanEstimate(xs, { resamples: 2000 });
  const se = Math.sqrt((0.7 * 0.3) / 2000);
  close(f.ci[0], 0.7 - 1.96 * se, 0.006);
  close(f.ci[1], 0.7 + 1.96 * se, 0.006);
});

void test('a difference resamples each group on its own', () => {
  const d = differenceEstimate([1, 1, 1, 1], [0, 0, 0, 0]);
  assert.equal(d.n, 8);
  assert.deepEqual([d.value, ...d.ci], [1, 1, 1]);
  const e = differenceEstimate([1, 0, 1, 0], [1, 1, 1, 0]);
  close(e.value, -0.25);
  assert.ok(e.ci[0] < -0.25 && e.ci[1] > -0.25);
  assert.ok(Number.isNaN(differenceEstimate([1], []).ci[0]));
  // Any statistic: the median of one sample.
  const m = bootstrap([[1, 2, 3, 4, 100]], ([x]) => quantile(Float64Array.from(x).sort(), 0.5));
  assert.equal(m.value, 3);
});

void test('ranks give ties their average rank; Spearman is Pearson on ranks with a paired bootstrap interval', () => {
  assert.deepEqual([...ranks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
  // x = 1..5, y = 2,1,4,3,5: d = (−1, 1, −1, 1, 0), ρ = 1 − 6·4/(5·24) = 0.8.
  const r = spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]);
  close(r.value, 0.8);
  assert.equal(r.ciMethod, undefined, 'a bootstrap over every pair');
  assert.ok(r.ci[0] <= 0.8 && r.ci[1] >= 0.8 && r.ci[1] <= 1, `${r.ci}`);
  assert.deepEqual(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]).ci, r.ci, 'seeded: the same interval again');
  // Resampling keeps pairs together: a perfectly monotone relation stays ρ = 1 in every resample.
  const mono = spearman([1, 2, 3, 4, 5, 6], [1, 4, 9, 16, 25, 36]);
  assert.deepEqual(mono.ci, [1, 1]);
  // Large n: the interval comes from a subsample and says so; it still covers the estimate.
  const rand = (() => {
    let z = 7;
    return () => ((z = (z * 16807) % 2147483647) / 2147483647);
  })();
  const xs = Array.from({ length: 5000 }, () => rand());
  const ys = xs.map((v) => v + rand());
  const big = spearman(xs, ys, { resamples: 200 });
  assert.equal(big.ciMethod, 'bootstrap-subsample');
  assert.ok(big.ci[0] < big.value && big.value < big.ci[1]);
  close(spearman([1, 2, 3, 4], [1, 4, 9, 16]).value, 1); // monotone, not linear
  close(normalQuantile(0.975), 1.959964, 1e-6);
  close(normalQuantile(0.005), -2.575829, 1e-6);
});

void test('histogram: shared equal-width bins, the last one closed', () => {
  const h = histogram([
    [0, 1, 2, 3, 4],
    [4, 4],
  ], 4);
  assert.deepEqual(h.edges, [0, 1, 2, 3, 4]);
  assert.deepEqual(h.counts, [
    [1, 1, 1, 2],
    [0, 0, 0, 2],
  ]);
  assert.deepEqual(histogram([[2, 2]], 2).edges, [1.5, 2, 2.5]);
  close(std([1, 3]), 1);
});

void test('reliability bins and ECE: top-label confidence max(p, 1 − p) against being right', () => {
  // p = σ(Δr): 0.6 right, 0.6 wrong (Δr < 0 gives p = 0.4, confidence 0.6), 0.9 right twice.
  const m = [Math.log(1.5), -Math.log(1.5), Math.log(9), Math.log(9)];
  const bins = reliabilityBins(m, 2);
  assert.deepEqual(
    bins.map((b) => [b.lo, b.hi, b.n]),
    [
      [0.5, 0.75, 2],
      [0.75, 1, 2],
    ],
  );
  close(bins[0].confidence, 0.6);
  close(bins[0].accuracy, 0.5);
  close(bins[1].confidence, 0.9);
  close(bins[1].accuracy, 1);
  // ECE = ½·|0.5 − 0.6| + ½·|1 − 0.9| = 0.1.
  close(expectedCalibrationError(m, 2), 0.1);
  close(expectedCalibrationError([0, 0], 10), 0); // p = ½, right half the time
});

void test('temperature: margins +1 ×3 and −1 ×1 are fitted by σ(1/T) = 3/4, T = 1/ln 3', () => {
  const m = [1, 1, 1, -1];
  const t = fitTemperature(m);
  close(t.temperature, 1 / Math.log(3), 1e-5);
  close(t.logLoss, meanLogLoss(m, 1 / Math.log(3)), 1e-9);
  assert.ok(t.logLoss <= meanLogLoss(m, 1));
  // All margins right: the data ask for T → 0; the search stops at its bound.
  assert.ok(fitTemperature([2, 3]).temperature < 0.01);
});
