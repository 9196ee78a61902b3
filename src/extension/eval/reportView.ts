/**
 * An evaluation report (reward-studio/eval-report@1) as the bias-report panel shows it: every finding
 * formatted as the HTML export formats it (src/core/eval/findings.ts), the plots laid out by the same
 * code (src/core/eval/plots.ts). No `vscode` import: the plain-Node tests map real reports through it.
 */
import { readFileSync } from 'node:fs';
import { baseName, formatInterval, formatThresholds, formatValue, reportFindings } from '../../core/eval/findings';
import { finite, reportPlots } from '../../core/eval/plots';
import { EVAL_REPORT_FORMAT, type EvalReport } from '../../core/eval/report';
import type { BiasReportView } from '../../protocol/eval';

/** Reads an eval-report.json; throws an Error saying what is wrong with it. */
export function readEvalReport(file: string): EvalReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not a readable JSON file (${error instanceof Error ? error.message : String(error)})`);
  }
  const format = (parsed as { format?: unknown } | null)?.format;
  if (format !== EVAL_REPORT_FORMAT) {
    throw new Error(`${file} is not an evaluation report (format ${JSON.stringify(format)}, expected '${EVAL_REPORT_FORMAT}')`);
  }
  return parsed as EvalReport;
}

export function toBiasReportView(report: EvalReport, reportFile: string): BiasReportView {
  const r = report;
  const b = r.settings.bootstrap;
  const conf = `${Math.round(100 * b.confidence)}%`;
  return {
    reportFile,
    modelName: r.model ? baseName(r.model.dir) : baseName(reportFile),
    meta: [
      { label: 'Model', value: r.model ? `${r.model.dir}${r.model.backbone ? ` (${r.model.backbone})` : ''}` : '—' },
      { label: 'Data', value: `${r.data.file ?? '—'} — ${r.data.selection}` },
      { label: 'Pairs', value: `${r.data.scored} of ${r.data.pairs} scored` },
      { label: 'Intervals', value: `${conf} percentile bootstrap, ${b.resamples} resamples, seed ${b.seed}` },
      { label: 'Created', value: r.created },
    ],
    summary: r.summary.map((s) => ({ section: s.section, level: s.level, text: s.text })),
    plots: reportPlots(r),
    findings: reportFindings(r).map((f) => ({
      id: f.id,
      section: f.section,
      label: f.label,
      n: f.finding.n,
      value: formatValue(f.unit, f.finding.value),
      ci: formatInterval(f.unit, f.finding),
      verdict: f.verdict ? { level: f.verdict.level, text: f.verdict.text, thresholds: formatThresholds(f.verdict.thresholds) } : null,
    })),
    labelNoise: {
      text: `${formatValue('rate', r.labelNoise.confidentDisagreement.value)} of the pairs (n=${r.labelNoise.confidentDisagreement.n}) have σ(Δr) < ${r.labelNoise.threshold}: the model confidently disagrees with their label. The most confident first — click one to open its line.`,
      examples: r.labelNoise.examples.map((e) => ({
        file: e.file,
        fileName: baseName(e.file),
        line: e.line,
        id: e.id ?? null,
        value: finite(e.value) === undefined ? 'n/a' : formatValue('reward', e.value),
      })),
    },
  };
}

/** Whether the report lists `file:line` among its examples: the only lines the panel may open. */
export function isReportExample(report: EvalReport, file: string, line: number): boolean {
  const all = [
    ...report.labelNoise.examples,
    ...report.length.filler.examples,
    ...report.length.trim.examples,
    ...report.formatting.examples,
    ...report.sycophancy.generated.examples,
  ];
  return all.some((e) => e.file === file && e.line === line);
}
