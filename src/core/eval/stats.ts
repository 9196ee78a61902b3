// The statistics every evaluation figure is made of: proportions and means with seeded percentile
// bootstrap intervals, rank correlation, histograms, calibration error and a fitted temperature.
// Pure functions over numbers, so each is checked against values worked out by hand.
import { mulberry32 } from '../random';

/** A figure with how many items it rests on and its confidence interval. */
export interface Estimate {
  n: number;
  value: number;
  /** [lo, hi] at the report's confidence level; [value, value] when n < 2; NaN both when n = 0. */
  ci: [number, number];
  /** Set when `ci` is not a bootstrap over all n items: Spearman's ρ above SPEARMAN_BOOTSTRAP_LIMIT pairs. */
  ciMethod?: 'bootstrap-subsample';
}

export interface BootstrapOptions {
  /** Resamples. Default 1000. */
  resamples?: number;
  /** Seed of the resampling. Default 0: the same data give the same interval. */
  seed?: number;
  /** Two-sided level. Default 0.95. */
  confidence?: number;
}

export const DEFAULT_BOOTSTRAP: Required<BootstrapOptions> = Object.freeze({ resamples: 1000, seed: 0, confidence: 0.95 });

/** The q-quantile of sorted values (linear interpolation between order statistics, as numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function percentileInterval(stats: Float64Array, confidence: number): [number, number] {
  const finite = Float64Array.from(stats.filter((x) => Number.isFinite(x))).sort();
  const a = (1 - confidence) / 2;
  return [quantile(finite, a), quantile(finite, 1 - a)];
}

/**
 * A statistic of several samples with a percentile bootstrap interval: each sample is resampled with
 * replacement on its own (a two-sample difference resamples each group separately), `resamples` times,
 * from one seeded generator. `n` is the total number of items.
 */
export function bootstrap(samples: readonly (readonly number[] | Float64Array)[], statistic: (samples: Float64Array[]) => number, opts: BootstrapOptions = {}): Estimate {
  const { resamples, seed, confidence } = { ...DEFAULT_BOOTSTRAP, ...opts };
  const data = samples.map((s) => Float64Array.from(s));
  const n = data.reduce((t, s) => t + s.length, 0);
  const value = statistic(data);
  if (data.some((s) => s.length === 0)) return { n, value, ci: [NaN, NaN] };
  if (data.every((s) => s.length < 2)) return { n, value, ci: [value, value] };
  const rand = mulberry32(seed);
  const bufs = data.map((s) => new Float64Array(s.length));
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    data.forEach((s, k) => {
      const buf = bufs[k];
      for (let i = 0; i < s.length; i++) buf[i] = s[Math.floor(rand() * s.length)];
    });
    stats[b] = statistic(bufs);
  }
  return { n, value, ci: percentileInterval(stats, confidence) };
}

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Population standard deviation. */
export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return xs.length ? Math.sqrt(s / xs.length) : NaN;
}

/** Mean of per-item values (1/0/½ for a rate) with its bootstrap interval. */
export function meanEstimate(values: readonly number[], opts: BootstrapOptions = {}): Estimate {
  return bootstrap([values], ([v]) => mean(v), opts);
}

/** mean(a) − mean(b), each group resampled on its own. */
export function differenceEstimate(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): Estimate {
  return bootstrap([a, b], ([x, y]) => mean(x) - mean(y), opts);
}

/** 1 when x > y, ½ when equal, 0 when below: a "wins" indicator with ties counting half. */
export function win(x: number, y: number): number {
  return x > y ? 1 : x === y ? 0.5 : 0;
}

/** Ranks 1..n, ties given their average rank. */
export function ranks(xs: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: xs.length }, (_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const r = new Float64Array(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Above this many pairs, Spearman's interval is bootstrapped on an evenly spaced subsample of this size (wider: conservative). */
export const SPEARMAN_BOOTSTRAP_LIMIT = 2000;

/**
 * Spearman's ρ (Pearson on average ranks) with a paired percentile bootstrap interval: the (x, y) pairs
 * are resampled together and re-ranked each time. Re-ranking is the costly part, so above
 * SPEARMAN_BOOTSTRAP_LIMIT pairs the interval comes from an evenly spaced subsample of that size —
 * wider than the full data's would be, never narrower (`ciMethod: 'bootstrap-subsample'`).
 */
export function spearman(x: readonly number[], y: readonly number[], opts: BootstrapOptions = {}): Estimate {
  if (x.length !== y.length) throw new Error(`spearman: ${x.length} x values but ${y.length} y values`);
  const { resamples, seed, confidence } = { ...DEFAULT_BOOTSTRAP, ...opts };
  const n = x.length;
  const rho = n < 2 ? NaN : pearson(ranks(x), ranks(y));
  if (n === 0) return { n, value: rho, ci: [NaN, NaN] };
  if (n < 3 || !Number.isFinite(rho)) return { n, value: rho, ci: [rho, rho] };
  const m = Math.min(n, SPEARMAN_BOOTSTRAP_LIMIT);
  const idx = Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
  const rand = mulberry32(seed);
  const bx = new Float64Array(m);
  const by = new Float64Array(m);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < m; i++) {
      const k = idx[Math.floor(rand() * m)];
      bx[i] = x[k];
      by[i] = y[k];
    }
    stats[b] = pearson(ranks(bx), ranks(by));
  }
  const est: Estimate = { n, value: rho, ci: percentileInterval(stats, confidence) };
  if (m < n) est.ciMethod = 'bootstrap-subsample';
  return est;
}

/** Φ⁻¹(p) (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface Histogram {
  /** bins + 1 edges; bin i is [edges[i], edges[i+1]), the last one closed. */
  edges: number[];
  /** One count array per series, on the same edges. */
  counts: number[][];
}

/** Several series on shared equal-width bins spanning all their values. */
export function histogram(series: readonly (readonly number[])[], bins = 20): Histogram {
  const all = series.flat().filter((x) => Number.isFinite(x));
  if (all.length === 0) return { edges: [], counts: series.map(() => []) };
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const x of s) if (Number.isFinite(x)) c[Math.min(bins - 1, Math.floor((x - lo) / width))]++;
    return c;
  });
  return { edges, counts };
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** −log σ(m), stable for any m. */
export function logLossOfMargin(m: number): number {
  return m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
}

export interface ReliabilityBin {
  /** Confidence range [lo, hi) (the last bin closed). */
  lo: number;
  hi: number;
  n: number;
  /** Mean max(p, 1 − p) of the pairs in the bin (NaN when empty). */
  confidence: number;
  /** Share of them the model ranks right (ties half). */
  accuracy: number;
}

/**
 * Top-label reliability of p = σ(Δr), Δr = r_chosen − r_rejected: each pair's confidence is
 * max(p, 1 − p) ∈ [½, 1] and it is right when p > ½ (½ when p = ½). Equal-width bins over [½, 1].
 * (Binning p itself against the labels is degenerate here: every label says "chosen".)
 */
export function reliabilityBins(margins: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  const out = Array.from({ length: bins }, (_, i) => ({ lo: 0.5 + (0.5 * i) / bins, hi: 0.5 + (0.5 * (i + 1)) / bins, n: 0, confidence: 0, accuracy: 0 }));
  for (let i = 0; i < margins.length; i++) {
    const p = sigmoid(margins[i]);
    const conf = Math.max(p, 1 - p);
    const b = out[Math.min(bins - 1, Math.floor(((conf - 0.5) / 0.5) * bins))];
    b.n++;
    b.confidence += conf;
    b.accuracy += p > 0.5 ? 1 : p === 0.5 ? 0.5 : 0;
  }
  for (const b of out) {
    b.confidence = b.n ? b.confidence / b.n : NaN;
    b.accuracy = b.n ? b.accuracy / b.n : NaN;
  }
  return out;
}

/** Expected calibration error: Σ_bins (n_b / n)·|accuracy_b − confidence_b| over reliabilityBins. */
export function expectedCalibrationError(margins: ArrayLike<number>, bins = 10): number {
  if (margins.length === 0) return NaN;
  let e = 0;
  for (const b of reliabilityBins(margins, bins)) if (b.n) e += (b.n / margins.length) * Math.abs(b.accuracy - b.confidence);
  return e;
}

export function meanLogLoss(margins: ArrayLike<number>, temperature = 1): number {
  let s = 0;
  for (let i = 0; i < margins.length; i++) s += logLossOfMargin(margins[i] / temperature);
  return margins.length ? s / margins.length : NaN;
}

/**
 * The temperature T minimizing mean −log σ(Δr / T) — golden-section search on log T over
 * [1e-3, 1e3]. The loss is convex in 1/T, so unimodal in log T and the search finds its minimum (a
 * bound when all margins have one sign: the data then ask for T → 0).
 */
export function fitTemperature(margins: ArrayLike<number>): { temperature: number; logLoss: number } {
  if (margins.length === 0) return { temperature: NaN, logLoss: NaN };
  const f = (logT: number): number => meanLogLoss(margins, Math.exp(logT));
  let a = Math.log(1e-3);
  let b = Math.log(1e3);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 80 && b - a > 1e-7; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const t = Math.exp((a + b) / 2);
  return { temperature: t, logLoss: meanLogLoss(margins, t) };
}
