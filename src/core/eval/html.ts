// The evaluation report as one self-contained HTML file: inline CSS, inline SVG plots (plots.ts), every
// finding with its n, value, interval and verdict (findings.ts), the label-noise examples as file:line.
// No script, no remote resource (a CSP meta tag forbids both), light and dark by prefers-color-scheme.
// Pure: a report in, a string out — `reward-studio eval --html` and the panel's Export HTML write it.
import { baseName, formatInterval, formatThresholds, formatValue, reportFindings } from './findings';
import { escapeXml, finite, reportPlots, svgMarkup } from './plots';
import type { EvalReport, VerdictLevel } from './report';

const esc = escapeXml;

const LEVEL_LABEL: Record<VerdictLevel, string> = { ok: 'OK', warn: 'WARN', bad: 'BAD' };

function badge(level: VerdictLevel | undefined): string {
  return level ? `<span class="badge ${level}">${LEVEL_LABEL[level]}</span>` : '<span class="badge none">—</span>';
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --border: #d1d9e0;
  --chosen: #1f77b4; --rejected: #e07b00; --bar: #5b8def; --point: #1f77b4; --wrong: #d1242f; --grid: #e6eaef;
  --ok: #1a7f37; --warn: #9a6700; --bad: #d1242f; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --border: #3d444d;
    --chosen: #58a6ff; --rejected: #f0883e; --bar: #6e9ef5; --point: #58a6ff; --wrong: #ff7b72; --grid: #262c36;
    --ok: #3fb950; --warn: #d29922; --bad: #f85149; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 1.5em; margin: 0 0 4px; }
h2 { font-size: 1.15em; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--border); }
.muted, figcaption, .thresholds { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; word-break: break-all; }
ul.summary { list-style: none; padding: 0; } ul.summary li { margin: 6px 0; }
.badge { display: inline-block; min-width: 3.6em; padding: 1px 6px; margin-right: 6px; border-radius: 10px; font-size: 0.8em; font-weight: 600; text-align: center; color: #fff; }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); } .badge.bad { background: var(--bad); } .badge.none { background: transparent; color: var(--muted); }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
figure { margin: 0; padding: 10px; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; }
figure h3 { margin: 0 0 6px; font-size: 1em; }
svg.plot { width: 100%; height: auto; display: block; }
svg .grid { stroke: var(--grid); stroke-width: 1; } svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .tick, svg .legend-label { fill: var(--muted); font-size: 11px; } svg .axis-label { fill: var(--fg); font-size: 12px; }
svg .plot-chosen { fill: var(--chosen); fill-opacity: 0.65; } svg .plot-rejected { fill: var(--rejected); fill-opacity: 0.65; }
svg .plot-bar { fill: var(--bar); fill-opacity: 0.55; } svg .plot-bar.bad { fill: var(--bad); }
svg .plot-point { fill: var(--point); fill-opacity: 0.7; } svg .plot-point.wrong { fill: var(--wrong); }
svg .diagonal, svg .reference { stroke: var(--muted); stroke-dasharray: 4 3; stroke-width: 1; } svg .reference.overall { stroke: var(--bar); }
svg .whisker { stroke: var(--fg); stroke-width: 1.2; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--border); }
th { font-weight: 600; color: var(--muted); } td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.section td { font-weight: 600; padding-top: 14px; }
.thresholds { font-size: 0.85em; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
footer { margin-top: 32px; font-size: 0.85em; color: var(--muted); }
`;

/** The whole report as a standalone HTML document. */
export function renderReportHtml(report: EvalReport): string {
  const r = report;
  const model = r.model ? `${r.model.dir}${r.model.backbone ? ` (${r.model.backbone})` : ''}` : '—';
  const b = r.settings.bootstrap;
  const conf = `${Math.round(100 * b.confidence)}%`;
  const meta: [string, string][] = [
    ['Model', model],
    ['Data', `${r.data.file ?? '—'} — ${r.data.selection}`],
    ['Pairs', `${r.data.scored} of ${r.data.pairs} scored`],
    ['Intervals', `${conf} percentile bootstrap, ${b.resamples} resamples, seed ${b.seed}`],
    ['Created', r.created],
  ];
  const summary = r.summary.map((s) => `<li>${badge(s.level)}<strong>${esc(s.section)}</strong>: ${esc(s.text)}</li>`).join('\n');
  const plots = reportPlots(r)
    .map((p) => `<figure id="plot-${esc(p.id)}"><h3>${esc(p.title)}</h3>${svgMarkup(p.svg)}<figcaption>${esc(p.caption)}</figcaption></figure>`)
    .join('\n');
  let section = '';
  const rows = reportFindings(r)
    .map((f) => {
      const head = f.section !== section ? `<tr class="section"><td colspan="6">${esc((section = f.section))}</td></tr>\n` : '';
      const v = f.verdict;
      return `${head}<tr data-finding="${esc(f.id)}"><td>${esc(f.label)}</td><td class="num">${esc(formatValue(f.unit, f.finding.value))}</td><td class="num">${esc(formatInterval(f.unit, f.finding))}</td><td class="num">n=${f.finding.n}</td><td>${badge(v?.level)}</td><td>${v ? `${esc(v.text)}<div class="thresholds">thresholds: ${esc(formatThresholds(v.thresholds))}</div>` : ''}</td></tr>`;
    })
    .join('\n');
  const noise = r.labelNoise.examples
    .map((e) => `<tr><td><code>${esc(baseName(e.file))}:${e.line}</code> <span class="muted">${esc(e.file)}</span></td><td>${esc(e.id ?? '')}</td><td class="num">${esc(formatValue('reward', e.value))}</td></tr>`)
    .join('\n');
  const timings = `scoring ${finite(r.timings.scoringSeconds)?.toFixed(1) ?? '—'} s, metrics ${finite(r.timings.metricsSeconds)?.toFixed(1) ?? '—'} s`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Reward Studio (${esc(r.format)})">
<title>Bias report — ${esc(r.model ? baseName(r.model.dir) : (r.data.file ?? 'reward model'))}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Reward model bias report</h1>
<dl class="meta">
${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')}
</dl>
<h2>Summary</h2>
<ul class="summary">
${summary}
</ul>
<h2>Plots</h2>
<div class="plots">
${plots}
</div>
<h2>Findings</h2>
<p class="muted">Every figure with its n and ${conf} interval. Verdicts name the thresholds they were decided with; "interval above x" means the lower bound is above x.</p>
<table class="findings">
<thead><tr><th>Figure</th><th>Value</th><th>${conf} CI</th><th>n</th><th>Verdict</th><th></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Label noise</h2>
<p class="muted">The pairs the model most confidently disagrees with (most negative Δr first): candidates for a second look at the label.</p>
${noise ? `<table class="examples"><thead><tr><th>Line</th><th>Id</th><th>Δr</th></tr></thead><tbody>\n${noise}\n</tbody></table>` : '<p>None: the model ranks every pair right.</p>'}
<footer>${esc(r.format)} · lengths in ${esc(r.settings.lengthUnit)} · effects in σ of the eval rewards (σ = ${esc(formatValue('reward', r.settings.rewardStd).replace('+', ''))}) · ${esc(timings)}</footer>
</main>
</body>
</html>
`;
}
