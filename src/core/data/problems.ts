/**
 * Problems found in preference data: always located (file:line:column), with the field path and a
 * message that says what is wrong and what to do.
 */

/**
 * error: the line gives no pair (or a wrong one); warning: a pair is read but something is off; info: a
 * fact worth knowing that is not a problem (an annotator's tie, skip or undo: recorded, not a pair).
 */
export type ProblemSeverity = 'error' | 'warning' | 'info';

/** Stable machine-readable codes; the CLI's --json output and the extension's diagnostics carry them. */
export type ProblemCode =
  | 'invalid-json' // the line is not JSON
  | 'invalid-utf8' // the line has bytes that are not UTF-8
  | 'line-too-long' // the line is over the reader's size limit
  | 'not-an-object' // the line is JSON but not an object
  | 'missing-field'
  | 'wrong-type'
  | 'invalid-value'
  | 'unknown-format' // no reader recognises the record
  | 'ambiguous' // e.g. an HH transcript whose two sides have different prompts
  | 'tie' // an A/B record with no preference: not a pair
  | 'not-a-preference' // an annotation record that is not a training pair: a skip, an undo, an order-swap audit
  | 'empty-side'
  | 'identical-sides'
  | 'duplicate'
  | 'contradiction' // the same pair appears with chosen and rejected swapped
  | 'unterminated-line'; // the last line has no newline (a crash mid-write, or a hand edit)

export interface DataProblem {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column in UTF-16 code units (what VS Code positions use); 1 when the whole line is meant. */
  column: number;
  /** Field path inside the record (`chosen`, `completions[1].rank`); '' when the line itself is at fault. */
  path: string;
  message: string;
  severity: ProblemSeverity;
  code: ProblemCode;
}

/** `file:line:column: message` — the form editors and terminals turn into links. */
export function formatProblem(p: DataProblem): string {
  const where = p.path ? ` (at ${p.path})` : '';
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}${where} [${p.code}]`;
}

/** Thrown for problems that stop a whole operation (unreadable file, unknown format, bad arguments). */
export class DataError extends Error {
  constructor(
    message: string,
    readonly problems: DataProblem[] = [],
  ) {
    super(message);
    this.name = 'DataError';
  }
}
