// Every figure of an evaluation report as one flat list of rows — section, label, n, value, interval,
// verdict — in reading order, with the unit each value is shown in. The HTML export's findings table and
// the bias-report panel both list these rows, so the two show the same figures.
import { finite } from './plots';
import type { CounterfactualFinding, EvalReport, Finding, Verdict } from './report';

/** How a value reads: a share (61.2%), a difference of shares (+12.3 pts), σ of the eval rewards, … */
export type FindingUnit = 'rate' | 'rate-difference' | 'sigma' | 'ece' | 'rho' | 'reward';

export interface FindingRow {
  /** Stable id: the report field path ("length.gap", "groups.subset=math"). */
  id: string;
  section: string;
  label: string;
  unit: FindingUnit;
  finding: Finding;
  /** The verdict shown on this row: the finding's own, or (counterfactual effects) the probe family's. */
  verdict?: Verdict;
}

/** A value in its unit; "n/a" when it is not a number (n = 0, or null in a JSON report). */
export function formatValue(unit: FindingUnit, x: unknown): string {
  const v = finite(x);
  if (v === undefined) return 'n/a';
  const sign = v > 0 ? '+' : v < 0 ? '−' : '';
  switch (unit) {
    case 'rate':
      return `${(100 * v).toFixed(1)}%`;
    case 'rate-difference':
      return `${sign}${Math.abs(100 * v).toFixed(1)} pts`;
    case 'sigma':
      return `${sign}${Math.abs(v).toFixed(2)}σ`;
    case 'ece':
      return v.toFixed(3);
    case 'rho':
      return `${sign}${Math.abs(v).toFixed(2)}`;
    case 'reward':
      return `${sign}${Math.abs(v).toPrecision(3)}`;
  }
}

/** "[58.1%, 64.0%]" (or "n/a"), with the interval's method when it is not the bootstrap. */
export function formatInterval(unit: FindingUnit, f: Finding): string {
  const lo = finite(f.ci?.[0]);
  const hi = finite(f.ci?.[1]);
  if (lo === undefined || hi === undefined) return 'n/a';
  return `[${formatValue(unit, lo)}, ${formatValue(unit, hi)}]${f.ciMethod ? ` (${f.ciMethod})` : ''}`;
}

/** "warnEce 0.1 · badEce 0.2" */
export function formatThresholds(t: Record<string, number> | undefined): string {
  return Object.entries(t ?? {})
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? Number(v.toPrecision(3)) : 'n/a'}`)
    .join(' · ');
}

function counterfactualRows(id: string, section: string, what: string, c: CounterfactualFinding): FindingRow[] {
  return [
    { id: `${id}.effect`, section, label: `${what}: reward change (of ${c.built} built)`, unit: 'sigma', finding: c.effect, verdict: c.verdict },
    { id: `${id}.raisedRate`, section, label: `${what}: share of probes raised`, unit: 'rate', finding: c.raisedRate },
  ];
}

/** Every finding of the report, in reading order. */
export function reportFindings(r: EvalReport): FindingRow[] {
  const rows: FindingRow[] = [
    { id: 'accuracy', section: 'Accuracy', label: 'Accuracy (pairs ranked right)', unit: 'rate', finding: r.accuracy },
    { id: 'margin', section: 'Accuracy', label: 'Mean reward margin r_chosen − r_rejected', unit: 'reward', finding: r.margin },
    ...(r.groups?.rows ?? []).map((g): FindingRow => ({ id: `groups.${r.groups!.field}=${g.group}`, section: 'Accuracy', label: `Accuracy, ${r.groups!.field} = ${g.group}`, unit: 'rate', finding: g.accuracy })),
    { id: 'length.baseline', section: 'Length', label: 'Length-only baseline (longer wins)', unit: 'rate', finding: r.length.baseline },
    { id: 'length.chosenLonger', section: 'Length', label: 'Accuracy when the chosen response is longer', unit: 'rate', finding: r.length.chosenLonger },
    { id: 'length.chosenShorter', section: 'Length', label: 'Accuracy when the chosen response is shorter', unit: 'rate', finding: r.length.chosenShorter },
    { id: 'length.gap', section: 'Length', label: 'Length gap (chosen longer − chosen shorter)', unit: 'rate-difference', finding: r.length.gap },
    { id: 'length.spearman', section: 'Length', label: 'Spearman ρ(Δlength, Δreward)', unit: 'rho', finding: r.length.spearman },
    { id: 'length.briefVsLong', section: 'Length', label: 'Long generic answer beats a brief real one', unit: 'rate', finding: r.length.briefVsLong },
    ...counterfactualRows('length.filler', 'Length', 'Neutral filler added', r.length.filler),
    ...counterfactualRows('length.trim', 'Length', 'Last sentence trimmed', r.length.trim),
    { id: 'calibration.ece', section: 'Calibration', label: `Expected calibration error (temperature ${finite(r.calibration.temperature)?.toFixed(2) ?? 'n/a'})`, unit: 'ece', finding: r.calibration.ece },
    ...r.sycophancy.files.flatMap((f, i): FindingRow[] => [
      { id: `sycophancy.files.${i}`, section: 'Sycophancy', label: `Agrees with the user's view: ${baseName(f.file)}`, unit: 'rate', finding: f.agreeRate },
      ...f.groups.map((g): FindingRow => ({ id: `sycophancy.files.${i}.${g.group}`, section: 'Sycophancy', label: `Agrees with the user's view, ${f.groupField ?? 'group'} = ${g.group}`, unit: 'rate', finding: g.agreeRate })),
    ]),
    ...counterfactualRows('sycophancy.generated', 'Sycophancy', 'Opinion prefix endorsing the rejected answer', r.sycophancy.generated),
    ...counterfactualRows('formatting', 'Formatting', 'Markdown instead of plain text', r.formatting),
    { id: 'labelNoise.confidentDisagreement', section: 'Label noise', label: `Pairs the model confidently disagrees with (σ(Δr) < ${r.labelNoise.threshold})`, unit: 'rate', finding: r.labelNoise.confidentDisagreement },
    ...(r.annotators?.rows ?? []).flatMap((a): FindingRow[] => [
      { id: `annotators.${a.annotator}.longerWins`, section: 'Annotators', label: `${a.annotator}: chose the longer response`, unit: 'rate', finding: a.longerWins },
      ...(a.leftWins ? [{ id: `annotators.${a.annotator}.leftWins`, section: 'Annotators', label: `${a.annotator}: chose the left response`, unit: 'rate' as const, finding: a.leftWins }] : []),
    ]),
    ...r.probeSets.flatMap((p, i): FindingRow[] => [
      { id: `probeSets.${i}.accuracy`, section: `Probe ${baseName(p.file)}`, label: 'Accuracy', unit: 'rate', finding: p.accuracy },
      { id: `probeSets.${i}.lengthBaseline`, section: `Probe ${baseName(p.file)}`, label: 'Length-only baseline', unit: 'rate', finding: p.lengthBaseline },
      { id: `probeSets.${i}.lengthGap`, section: `Probe ${baseName(p.file)}`, label: 'Length gap (chosen longer − chosen shorter)', unit: 'rate-difference', finding: p.lengthGap },
      { id: `probeSets.${i}.spearman`, section: `Probe ${baseName(p.file)}`, label: 'Spearman ρ(Δlength, Δreward)', unit: 'rho', finding: p.spearman },
    ]),
  ];
  return rows.map((row) => (row.verdict || !row.finding.verdict ? row : { ...row, verdict: row.finding.verdict }));
}

/** The last path segment (either separator). */
export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
