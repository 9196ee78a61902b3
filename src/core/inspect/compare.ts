// "Compare Models": the pairs of a file whose order flips between two reward models — where one model
// prefers the chosen response and the other the rejected one. Ties (Δ = 0) flip nothing.
import type { LineResult } from './protocol';

export interface Flip {
  line: number;
  /** Position of the pair among the pairs of its line. */
  index: number;
  deltaA: number;
  deltaB: number;
}

export interface Comparison {
  /** Pairs both models scored. */
  compared: number;
  /** Pairs each model ranks the labelled way (chosen above rejected). */
  agreeA: number;
  agreeB: number;
  flips: Flip[];
}

export function compareResults(a: readonly LineResult[], b: readonly LineResult[]): Comparison {
  const byLine = new Map<number, LineResult>();
  for (const r of b) byLine.set(r.line, r);
  const out: Comparison = { compared: 0, agreeA: 0, agreeB: 0, flips: [] };
  for (const ra of a) {
    const rb = byLine.get(ra.line);
    if (!rb || 'skip' in ra || 'skip' in rb) continue;
    const n = Math.min(ra.pairs.length, rb.pairs.length);
    for (let i = 0; i < n; i++) {
      const da = ra.pairs[i].rewardChosen - ra.pairs[i].rewardRejected;
      const db = rb.pairs[i].rewardChosen - rb.pairs[i].rewardRejected;
      if (!Number.isFinite(da) || !Number.isFinite(db)) continue;
      out.compared++;
      if (da > 0) out.agreeA++;
      if (db > 0) out.agreeB++;
      if ((da > 0 && db < 0) || (da < 0 && db > 0)) out.flips.push({ line: ra.line, index: i, deltaA: da, deltaB: db });
    }
  }
  // The strongest disagreements first.
  out.flips.sort((x, y) => Math.abs(y.deltaA - y.deltaB) - Math.abs(x.deltaA - x.deltaB) || x.line - y.line);
  return out;
}
