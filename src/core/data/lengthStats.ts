import type { LengthSummary } from './api';

/** A growable column of non-negative integers (character lengths), cheap for millions of records. */
export class LengthColumn {
  private data = new Uint32Array(1024);
  private n = 0;

  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = Math.min(v, 0xffffffff);
  }

  get length(): number {
    return this.n;
  }

  values(): Uint32Array {
    return this.data.subarray(0, this.n);
  }
}

/** Log-spaced bin edges covering 0 … max: [0, 1, 2, 4, 8, …] scaled so there are at most `bins` bins. */
export function logEdges(max: number, bins = 24): number[] {
  if (max <= 0) return [0, 1];
  const top = Math.log2(max + 1);
  const edges = [0];
  for (let i = 1; i <= bins; i++) {
    const e = Math.round(2 ** ((top * i) / bins));
    if (e > edges[edges.length - 1]) edges.push(e);
  }
  if (edges[edges.length - 1] <= max) edges.push(max + 1);
  return edges;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Uint32Array, q: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

export function summarizeLengths(column: LengthColumn, edges?: number[]): LengthSummary {
  const sorted = column.values().slice().sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const max = n ? sorted[n - 1] : 0;
  const e = edges ?? logEdges(max);
  const counts = new Array<number>(e.length - 1).fill(0);
  let b = 0;
  for (let i = 0; i < n; i++) {
    while (b < counts.length - 1 && sorted[i] >= e[b + 1]) b++;
    counts[b]++;
  }
  return {
    n,
    mean: n ? sum / n : 0,
    min: n ? sorted[0] : 0,
    p10: percentile(sorted, 0.1),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max,
    histogram: { edges: e, counts },
  };
}
