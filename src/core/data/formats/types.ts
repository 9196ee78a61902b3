import type { PreferencePair } from '../record';
import type { ProblemCode, ProblemSeverity } from '../problems';

/** Every input format Reward Studio reads. `trl` is also the one it writes. */
export const FORMAT_IDS = [
  'trl',
  'hh-rlhf',
  'nemo-aligner',
  'nemo-rl',
  'ultrafeedback',
  'shp',
  'label-studio',
] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

/** A problem a reader found in one record; the caller adds file, line and column from `path`. */
export interface RecordProblem {
  path: string;
  message: string;
  code: ProblemCode;
  severity: ProblemSeverity;
}

export interface ReadResult {
  /** Zero or more pairs (a ranked record with n completions can yield several; a tie yields none). */
  pairs: PreferencePair[];
  problems: RecordProblem[];
}

export interface FormatReader {
  id: FormatId;
  /** Human name for messages: "TRL preference", "Anthropic HH-RLHF transcript", … */
  title: string;
  /** The shape this reader expects, for "expected …" in error messages. */
  shape: string;
  /**
   * How well a parsed record fits: 0 = not this format; larger = more specific evidence.
   * Detection takes the reader with the highest total over the first records.
   */
  match(record: Record<string, unknown>): number;
  /** Convert one parsed record (a JSON object from one line). Never throws for bad data. */
  read(record: Record<string, unknown>): ReadResult;
}
