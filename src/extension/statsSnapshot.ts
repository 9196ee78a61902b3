/**
 * DatasetStats (the data layer's shape) → StatsSnapshot (the stats webview's protocol). The protocol
 * does not import core types, so this one mapping is where the two meet. It also makes the numbers safe
 * to post: webview messages go through JSON, where NaN and Infinity would silently become null.
 */
import type { DatasetStats, LengthSummary } from '../core/data/api';
import type { LengthSnapshot, StatsSnapshot } from '../protocol/stats';

export function toStatsSnapshot(stats: DatasetStats): StatsSnapshot {
  return {
    format: stats.format,
    lines: count(stats.lines),
    blankLines: count(stats.blankLines),
    records: count(stats.records),
    invalid: count(stats.invalid),
    skipped: count(stats.skipped),
    duplicates: count(stats.duplicates),
    identical: count(stats.identical),
    emptySides: count(stats.emptySides),
    contradictions: count(stats.contradictions),
    conversational: count(stats.conversational),
    withMargin: count(stats.withMargin),
    prompts: count(stats.prompts),
    lengths: {
      prompt: toLengthSnapshot(stats.lengths.prompt),
      chosen: toLengthSnapshot(stats.lengths.chosen),
      rejected: toLengthSnapshot(stats.lengths.rejected),
    },
    chosenLongerRate: finiteOrNull(stats.chosenLongerRate),
    equalLengthRate: finiteOrNull(stats.equalLengthRate),
    lengthBaselineAccuracy: finiteOrNull(stats.lengthBaselineAccuracy),
    annotators: stats.annotators.map((a) => ({
      annotator: a.annotator,
      records: count(a.records),
      chosenLongerRate: finiteOrNull(a.chosenLongerRate),
    })),
  };
}

export function toLengthSnapshot(s: LengthSummary): LengthSnapshot {
  return {
    n: count(s.n),
    mean: finiteOrNull(s.mean),
    min: finiteOrNull(s.min),
    p10: finiteOrNull(s.p10),
    p50: finiteOrNull(s.p50),
    p90: finiteOrNull(s.p90),
    p99: finiteOrNull(s.p99),
    max: finiteOrNull(s.max),
    histogram: cleanHistogram(s.histogram.edges, s.histogram.counts),
  };
}

/**
 * Bins the webview can draw: finite, strictly increasing edges and one count per bin. An open last edge
 * (Infinity) is closed at twice the previous one; a bin whose edges are unusable is dropped.
 */
export function cleanHistogram(
  edges: readonly number[],
  counts: readonly number[],
): LengthSnapshot['histogram'] {
  const outEdges: number[] = [];
  const outCounts: number[] = [];
  const bins = Math.min(counts.length, Math.max(0, edges.length - 1));
  for (let i = 0; i < bins; i++) {
    const lo = edges[i];
    let hi = edges[i + 1];
    if (!Number.isFinite(lo)) continue;
    if (hi === Infinity) hi = lo > 0 ? lo * 2 : 1;
    if (!Number.isFinite(hi) || hi <= lo) continue;
    const last = outEdges.length ? outEdges[outEdges.length - 1] : undefined;
    if (last === undefined) outEdges.push(lo);
    else if (last !== lo) continue; // not contiguous with the previous bin: skip rather than misdraw
    outEdges.push(hi);
    outCounts.push(count(counts[i]));
  }
  return { edges: outEdges, counts: outCounts };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function count(v: number): number {
  return Number.isFinite(v) && v > 0 ? v : 0;
}
