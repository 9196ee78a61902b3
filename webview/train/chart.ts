/**
 * The arithmetic of the dashboard's line charts: scales, ticks, smoothing, decimation, SVG path data.
 * No DOM, so the plain-Node tests cover it (test/unit/extension/trainChart.test.ts).
 */

export type Point = readonly [number, number];

export interface Extent {
  min: number;
  max: number;
}

/** The smallest and largest finite values, or undefined when there are none. */
export function extentOf(values: Iterable<number>): Extent | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : undefined;
}

/**
 * A y range around `e` with a little room, widened when flat (a constant learning rate still gets an axis);
 * `clamp` keeps it inside fixed bounds (accuracy stays in [0, 1]).
 */
export function paddedExtent(e: Extent, clamp?: Extent): Extent {
  let { min, max } = e;
  if (max - min < 1e-12) {
    const pad = Math.abs(max) > 0 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  } else {
    const pad = (max - min) * 0.06;
    min -= pad;
    max += pad;
  }
  if (clamp) {
    min = Math.max(min, clamp.min);
    max = Math.min(max, clamp.max);
  }
  return { min, max };
}

/** About `count` round ticks (1, 2, 5 × 10ⁿ steps) covering [min, max]; the range snaps out to them. */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; min: number; max: number } {
  if (!(Number.isFinite(min) && Number.isFinite(max)) || max <= min) return { ticks: [min], min, max: min + 1 };
  const rough = (max - min) / Math.max(count - 1, 1);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? magnitude * 10;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(roundTo(lo + i * step, step));
  return { ticks, min: lo, max: hi };
}

/** The x axis over steps 0…lastStep: integer ticks in round steps, and its end (≥ lastStep, on a tick). */
export function stepAxis(lastStep: number, count = 6): { ticks: number[]; max: number } {
  if (!(lastStep > 0)) return { ticks: [0], max: 1 };
  const nice = niceTicks(0, lastStep, count);
  return { ticks: nice.ticks.filter((t) => Number.isInteger(t)), max: Math.max(nice.max, lastStep) };
}

function roundTo(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(value.toFixed(Math.min(digits, 15)));
}

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the first points are not pulled
 * toward 0. weight 0 returns the points as they are.
 */
export function smooth(points: readonly Point[], weight: number): Point[] {
  if (weight <= 0) return points.map((p) => [p[0], p[1]] as const);
  let last = 0;
  let n = 0;
  return points.map(([x, y]) => {
    last = last * weight + (1 - weight) * y;
    n++;
    return [x, last / (1 - weight ** n)] as const;
  });
}

/**
 * At most about `maxPoints` points, keeping each bucket's lowest and highest (so spikes survive), in
 * step order. A long run's curve then costs the same to draw as a short one's.
 */
export function decimate(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints || maxPoints < 4) return [...points];
  const buckets = Math.floor(maxPoints / 2);
  const size = points.length / buckets;
  const out: Point[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(Math.floor((b + 1) * size), points.length);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (points[i][1] < points[lo][1]) lo = i;
      if (points[i][1] > points[hi][1]) hi = i;
    }
    if (lo === hi) out.push(points[lo]);
    else if (lo < hi) out.push(points[lo], points[hi]);
    else out.push(points[hi], points[lo]);
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/** SVG path data through the points, mapped by the scales; rounded to 0.1 px to keep it short. */
export function linePath(points: readonly Point[], x: (v: number) => number, y: (v: number) => number): string {
  let d = '';
  for (let i = 0; i < points.length; i++) {
    const [px, py] = points[i];
    if (!Number.isFinite(py)) continue;
    d += `${d === '' ? 'M' : 'L'}${round1(x(px))} ${round1(y(py))}`;
  }
  return d;
}

/** A linear scale from [d0, d1] to [r0, r1]. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Tick labels: 0.25, 1.5k, 3e-4. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e4) return `${Number((v / 1000).toPrecision(3))}k`;
  if (abs < 1e-3) return v.toExponential(0).replace('e-', 'e−');
  return String(Number(v.toPrecision(3)));
}
