/**
 * The bias-report panel's protocol: what the panel shows about one evaluation report, and the messages
 * both ways. The host (src/extension/eval/biasReportPanel.ts) and the app (webview/eval/main.ts) import
 * this one file, so a renamed field is a compile error on both sides.
 *
 * The report lives in the host, which maps it to a BiasReportView (src/extension/eval/reportView.ts):
 * values already formatted, plots already laid out as SVG node trees (the same drawing the HTML export
 * serializes). The webview only turns them into DOM nodes. Handshake: the webview posts `ready` once its
 * listener is installed (again after every reload); the host answers with the current `state`.
 *
 * Types only, plus the host's validator for what the webview sends: a webview message is input.
 */

export type VerdictLevelView = 'ok' | 'warn' | 'bad';

/** An SVG element as data: tag, attributes, and children or text. Built by the host, drawn by the app. */
export interface SvgNodeView {
  tag: string;
  attrs?: Record<string, string | number>;
  children?: SvgNodeView[];
  text?: string;
}

export interface PlotView {
  id: string;
  title: string;
  caption: string;
  svg: SvgNodeView;
}

export interface FindingView {
  /** The report field it comes from ("length.gap"). */
  id: string;
  section: string;
  label: string;
  n: number;
  /** Formatted in the finding's unit ("61.2%", "+0.31σ", "n/a"). */
  value: string;
  /** "[58.1%, 64.0%]" or "n/a". */
  ci: string;
  verdict: { level: VerdictLevelView; text: string; thresholds: string } | null;
}

/** A pair the model confidently disagrees with: the file and 1-based line it can be opened at. */
export interface ExampleView {
  file: string;
  fileName: string;
  line: number;
  id: string | null;
  /** Δr, formatted. */
  value: string;
}

export interface BiasReportView {
  /** The eval-report.json shown (Export JSON copies it). */
  reportFile: string;
  modelName: string;
  meta: Array<{ label: string; value: string }>;
  summary: Array<{ section: string; level: VerdictLevelView; text: string }>;
  plots: PlotView[];
  findings: FindingView[];
  labelNoise: { text: string; examples: ExampleView[] };
}

export type BiasReportState =
  /** The evaluation process is running. */
  | { status: 'running'; title: string; message: string }
  | { status: 'ready'; view: BiasReportView }
  | { status: 'error'; title: string; message: string };

/** Host → webview. */
export type EvalHostMessage = { type: 'state'; state: BiasReportState };

export const EXPORT_FORMATS = ['html', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Webview → host. */
export type EvalWebviewMessage =
  | { type: 'ready' }
  /** Open a label-noise example's file at its line (the host only opens files the report lists). */
  | { type: 'openExample'; file: string; line: number }
  | { type: 'export'; format: ExportFormat };

export type EvalWebviewMessageType = EvalWebviewMessage['type'];

/** Longest path the host accepts in a message (Windows long paths are 32,767 UTF-16 units). */
const MAX_PATH_LENGTH = 32_767;

/**
 * Checks a message from the webview and returns a fresh copy holding only the known fields, or
 * undefined when it is not a well-formed EvalWebviewMessage.
 */
export function parseEvalWebviewMessage(value: unknown): EvalWebviewMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as { [key: string]: unknown };
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'openExample': {
      const { file, line } = m;
      if (typeof file !== 'string' || file.length === 0 || file.length > MAX_PATH_LENGTH) return undefined;
      if (typeof line !== 'number' || !Number.isSafeInteger(line) || line < 1) return undefined;
      return { type: 'openExample', file, line };
    }
    case 'export':
      return (EXPORT_FORMATS as readonly unknown[]).includes(m.format) ? { type: 'export', format: m.format as ExportFormat } : undefined;
    default:
      return undefined;
  }
}
