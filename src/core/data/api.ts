/**
 * The data layer's public surface for the CLI and the extension: whole-file operations.
 * (Implementations live in pipeline.ts, checks.ts, split.ts; this file pins the shapes.)
 */
import type { FormatId } from './formats/types';
import type { DataProblem } from './problems';

export interface LengthSummary {
  n: number;
  mean: number;
  min: number;
  p10: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Log-spaced bins over character lengths: counts[i] is the number in [edges[i], edges[i+1]). */
  histogram: { edges: number[]; counts: number[] };
}

export interface DatasetStats {
  file: string;
  format: FormatId;
  /** Physical lines, blank lines included. */
  lines: number;
  blankLines: number;
  /** Preference pairs read. */
  records: number;
  /** Lines that yielded no pair because of an error (bad JSON, wrong types, …). */
  invalid: number;
  /** Lines that are valid but hold no preference (ties in A/B data). */
  skipped: number;
  /** Pairs identical (prompt, chosen, rejected) to an earlier pair. */
  duplicates: number;
  /** Pairs with chosen == rejected. */
  identical: number;
  /** Pairs with an empty chosen or rejected. */
  emptySides: number;
  /** Pairs that appear elsewhere with chosen and rejected swapped. */
  contradictions: number;
  conversational: number;
  withMargin: number;
  /** Distinct prompts (the unit the train/eval split groups by). */
  prompts: number;
  lengths: { prompt: LengthSummary; chosen: LengthSummary; rejected: LengthSummary };
  /** Share of pairs whose chosen response is strictly longer (characters). */
  chosenLongerRate: number;
  /** Share of pairs whose two responses have the same length. */
  equalLengthRate: number;
  /**
   * Accuracy of the "longer answer wins" scorer: chosenLongerRate + equalLengthRate / 2 (a tie is a coin
   * flip). Every reward model's accuracy must be shown beside this.
   */
  lengthBaselineAccuracy: number;
  /** Per annotator (from meta.annotator) when the data carries it. */
  annotators: Array<{ annotator: string; records: number; chosenLongerRate: number }>;
}

export interface ValidationResult {
  file: string;
  format: FormatId;
  /** How the format was decided: forced by the caller, or detected (with the evidence). */
  formatReason: string;
  records: number;
  problems: DataProblem[];
  /** Problems beyond the cap that were counted but not kept. */
  problemsOmitted: number;
}
