/**
 * The stats webview's protocol: the state the host shows and the messages both ways. The host
 * (src/extension/statsPanel.ts) and the app (webview/stats/main.ts) import this one file, so a renamed
 * field is a compile error on both sides.
 *
 * Handshake: the webview posts `ready` once its listener is installed (again after every reload); the
 * host answers with the current `state`, and posts each later state as it changes.
 *
 * Types only, plus the host's validator for what the webview sends: a webview message is input.
 */

/** Length distribution of one field, as sent to the webview. Non-finite numbers arrive as null. */
export interface LengthSnapshot {
  n: number;
  mean: number | null;
  min: number | null;
  p10: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  /** Log-spaced bins over character lengths: counts[i] in [edges[i], edges[i+1]). Finite, increasing. */
  histogram: { edges: number[]; counts: number[] };
}

/** What the stats view shows about one preference file (the host maps the data layer's DatasetStats). */
export interface StatsSnapshot {
  format: string;
  lines: number;
  blankLines: number;
  records: number;
  invalid: number;
  skipped: number;
  duplicates: number;
  identical: number;
  emptySides: number;
  contradictions: number;
  conversational: number;
  withMargin: number;
  prompts: number;
  lengths: { prompt: LengthSnapshot; chosen: LengthSnapshot; rejected: LengthSnapshot };
  chosenLongerRate: number | null;
  equalLengthRate: number | null;
  /** Accuracy of "the longer response wins": the floor every reward model must beat on this data. */
  lengthBaselineAccuracy: number | null;
  annotators: Array<{ annotator: string; records: number; chosenLongerRate: number | null }>;
}

interface StatsStateBase {
  /** Absolute path of the file; the only file `openLocation` may name. */
  file: string;
  fileName: string;
}

export type StatsViewState =
  | (StatsStateBase & { status: 'loading' })
  | (StatsStateBase & { status: 'ready'; stats: StatsSnapshot })
  | (StatsStateBase & { status: 'error'; message: string });

/** Host → webview. */
export type StatsHostMessage = { type: 'state'; state: StatsViewState };

/** Webview → host. */
export type StatsWebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh' }
  /** Open `file` (must be the panel's file) at a 1-based line. */
  | { type: 'openLocation'; file: string; line: number };

export type StatsWebviewMessageType = StatsWebviewMessage['type'];

/** Longest path the host accepts in a message (Windows long paths are 32,767 UTF-16 units). */
const MAX_PATH_LENGTH = 32_767;

/**
 * Checks a message from the webview and returns a fresh copy holding only the known fields, or
 * undefined when it is not a well-formed StatsWebviewMessage.
 */
export function parseStatsWebviewMessage(value: unknown): StatsWebviewMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as { [key: string]: unknown };
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'refresh':
      return { type: 'refresh' };
    case 'openLocation': {
      const { file, line } = m;
      if (typeof file !== 'string' || file.length === 0 || file.length > MAX_PATH_LENGTH) return undefined;
      if (typeof line !== 'number' || !Number.isSafeInteger(line) || line < 1) return undefined;
      return { type: 'openLocation', file, line };
    }
    default:
      return undefined;
  }
}
