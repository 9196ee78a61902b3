// The dashboard's chart arithmetic (webview/train/chart.ts is DOM-free, so plain Node tests it).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  decimate,
  extentOf,
  formatTick,
  linePath,
  linearScale,
  niceTicks,
  paddedExtent,
  smooth,
  stepAxis,
  type Point,
} from '../../../webview/train/chart';

test('extentOf skips non-finite values', () => {
  assert.deepEqual(extentOf([3, Number.NaN, -1, Number.POSITIVE_INFINITY, 2]), { min: -1, max: 3 });
  assert.equal(extentOf([]), undefined);
  assert.equal(extentOf([Number.NaN]), undefined);
});

test('paddedExtent adds room, widens a flat range and respects clamps', () => {
  const p = paddedExtent({ min: 0, max: 1 });
  assert.ok(p.min < 0 && p.max > 1);
  assert.deepEqual(paddedExtent({ min: 0.001, max: 0.001 }), { min: 0.0009, max: 0.0011 });
  assert.deepEqual(paddedExtent({ min: 0, max: 0 }), { min: -1, max: 1 });
  assert.deepEqual(paddedExtent({ min: 0.2, max: 1 }, { min: 0, max: 1 }).max, 1);
});

test('niceTicks: round steps covering the range', () => {
  assert.deepEqual(niceTicks(0, 1, 5), { ticks: [0, 0.25, 0.5, 0.75, 1], min: 0, max: 1 });
  const t = niceTicks(0.43, 0.71, 5);
  assert.deepEqual(t.ticks, [0.4, 0.5, 0.6, 0.7, 0.8]);
  assert.ok(t.min <= 0.43 && t.max >= 0.71);
  const lr = niceTicks(0, 0.001, 5);
  assert.deepEqual(lr.ticks, [0, 0.00025, 0.0005, 0.00075, 0.001]);
  assert.deepEqual(niceTicks(5, 5).ticks, [5]);
});

test('stepAxis: integer ticks from 0, and an end at or past the last step', () => {
  assert.deepEqual(stepAxis(100), { ticks: [0, 20, 40, 60, 80, 100], max: 100 });
  assert.deepEqual(stepAxis(369), { ticks: [0, 100, 200, 300, 400], max: 400 });
  assert.deepEqual(stepAxis(4), { ticks: [0, 1, 2, 3, 4], max: 4 });
  assert.deepEqual(stepAxis(0), { ticks: [0], max: 1 });
  const two = stepAxis(2);
  assert.ok(two.ticks.every(Number.isInteger) && two.max >= 2);
  for (const last of [1, 7, 13, 999, 12_345]) assert.ok(stepAxis(last).max >= last, String(last));
});

test('smooth: debiased EMA (the first point is itself), weight 0 is the identity', () => {
  const points: Point[] = [
    [1, 1],
    [2, 0],
    [3, 0],
  ];
  const s = smooth(points, 0.5);
  assert.deepEqual(s[0], [1, 1]);
  assert.ok(Math.abs(s[1][1] - 1 / 3) < 1e-12);
  assert.deepEqual(smooth(points, 0), points);
});

test('decimate keeps at most about maxPoints, the extremes and the last point, in order', () => {
  const points: Point[] = Array.from({ length: 10_000 }, (_, i) => [i + 1, Math.sin(i / 50)] as const);
  points[5000] = [5001, 50]; // a spike
  const d = decimate(points, 800);
  assert.ok(d.length <= 801, `${d.length} points`);
  assert.ok(d.some((p) => p[1] === 50), 'the spike survives');
  assert.deepEqual(d.at(-1), points.at(-1));
  for (let i = 1; i < d.length; i++) assert.ok(d[i][0] > d[i - 1][0], 'in step order');
  assert.equal(decimate(points.slice(0, 10), 800).length, 10);
});

test('linePath maps through the scales and skips non-finite values', () => {
  const x = linearScale(0, 10, 0, 100);
  const y = linearScale(0, 1, 50, 0);
  assert.equal(
    linePath(
      [
        [0, 0],
        [5, Number.NaN],
        [10, 1],
      ],
      x,
      y,
    ),
    'M0 50L100 0',
  );
  assert.equal(linePath([], x, y), '');
});

test('formatTick', () => {
  assert.equal(formatTick(0), '0');
  assert.equal(formatTick(0.25), '0.25');
  assert.equal(formatTick(15000), '15k');
  assert.equal(formatTick(0.0003), '3e−4');
  assert.equal(formatTick(1.23456), '1.23');
});
