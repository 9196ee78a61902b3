// The evaluation report's plots as plain SVG node trees — reward histograms, the reliability diagram,
// per-group accuracy with CI whiskers, the Δlength–Δreward scatter. One drawing for two renderers: the
// self-contained HTML export serializes the trees (html.ts), the bias-report panel turns them into DOM
// nodes (webview/eval/main.ts) without parsing any markup. Colours are classes (plot-chosen, axis, …):
// each renderer's stylesheet maps them to its theme. No DOM, no Node APIs: pure data in, data out.
import type { EvalReport, Finding } from './report';

/** An SVG element: tag, attributes, children, or text content (text and children are exclusive). */
export interface SvgNode {
  tag: string;
  attrs?: Record<string, string | number>;
  children?: SvgNode[];
  text?: string;
}

export interface Plot {
  /** Stable id (hist, reliability, groups, scatter). */
  id: string;
  title: string;
  /** One sentence saying how to read it. */
  caption: string;
  svg: SvgNode;
}

const W = 560;
const H = 260;
const M = { top: 14, right: 16, bottom: 40, left: 52 };

/** A finite number, or undefined (a JSON report holds null where the figure is NaN). */
export function finite(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function r2(v: number): number {
  return Math.round(v * 100) / 100;
}

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r2(r0 + ((v - d0) / span) * (r1 - r0));
}

/** About `count` round ticks (1, 2, 2.5, 5 × 10ⁿ) covering [min, max]; the range snaps out to them. */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; min: number; max: number } {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return { ticks: [0, 1], min: 0, max: 1 };
  if (max - min < 1e-12) {
    const pad = Math.abs(max) > 0 ? Math.abs(max) * 0.5 : 1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(count - 1, 1);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? magnitude * 10;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  const digits = Math.min(15, Math.max(0, -Math.floor(Math.log10(step)) + 2));
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(Number((lo + i * step).toFixed(digits)));
  return { ticks, min: lo, max: hi };
}

/** Tick labels: 0.25, 1.5k, 3e-4. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e4) return `${Number((v / 1000).toPrecision(3))}k`;
  if (abs < 1e-3) return v.toExponential(0).replace('e-', 'e−');
  return String(Number(v.toPrecision(3))).replace('-', '−');
}

const el = (tag: string, attrs: Record<string, string | number> = {}, ...children: SvgNode[]): SvgNode => ({ tag, attrs, ...(children.length ? { children } : {}) });
const text = (x: number, y: number, content: string, attrs: Record<string, string | number> = {}): SvgNode => ({ tag: 'text', attrs: { x: r2(x), y: r2(y), ...attrs }, text: content });
const title = (content: string): SvgNode => ({ tag: 'title', text: content });

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  nodes: SvgNode[];
}

/** Axes, grid and tick labels for [x0, x1] × [y0, y1]; returns the scales. */
function frame(xt: number[], yt: number[], xLabel: string, yLabel: string, fmtX = formatTick, fmtY = formatTick): Frame {
  const x = scale(xt[0], xt[xt.length - 1], M.left, W - M.right);
  const y = scale(yt[0], yt[yt.length - 1], H - M.bottom, M.top);
  const nodes: SvgNode[] = [];
  for (const t of yt) {
    nodes.push(el('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }));
    nodes.push(text(M.left - 6, y(t) + 4, fmtY(t), { class: 'tick', 'text-anchor': 'end' }));
  }
  for (const t of xt) {
    nodes.push(el('line', { class: 'grid', x1: x(t), x2: x(t), y1: M.top, y2: H - M.bottom }));
    nodes.push(text(x(t), H - M.bottom + 16, fmtX(t), { class: 'tick', 'text-anchor': 'middle' }));
  }
  nodes.push(el('line', { class: 'axis', x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
  nodes.push(el('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }));
  nodes.push(text((M.left + W - M.right) / 2, H - 6, xLabel, { class: 'axis-label', 'text-anchor': 'middle' }));
  nodes.push(text(14, (M.top + H - M.bottom) / 2, yLabel, { class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 14 ${r2((M.top + H - M.bottom) / 2)})` }));
  return { x, y, nodes };
}

function svgRoot(label: string, ...children: SvgNode[]): SvgNode {
  return el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plot', role: 'img', 'aria-label': label }, title(label), ...children);
}

function legend(items: [cls: string, label: string][]): SvgNode {
  return el(
    'g',
    { class: 'legend' },
    ...items.flatMap(([cls, label], i) => {
      const x = W - M.right - 150;
      const y = M.top + 6 + i * 16;
      return [el('rect', { class: cls, x, y: y - 8, width: 10, height: 10 }), text(x + 16, y + 1, label, { class: 'legend-label' })];
    }),
  );
}

const pct = (v: number): string => `${Math.round(v * 100)}%`;

/** Histograms of the chosen and rejected rewards over the report's shared bins, overlaid. */
export function rewardHistogramPlot(report: EvalReport): Plot | null {
  const { edges, chosen, rejected } = report.rewards.histogram;
  const e = edges.map(finite);
  if (e.length < 2 || e.some((x) => x === undefined) || chosen.length !== e.length - 1) return null;
  const xs = e as number[];
  const maxCount = Math.max(1, ...chosen, ...rejected);
  const xt = niceTicks(xs[0], xs[xs.length - 1], 6);
  const yt = niceTicks(0, maxCount, 5);
  const f = frame(xt.ticks, yt.ticks, 'reward', 'pairs');
  const bars = (counts: readonly number[], cls: string, side: string): SvgNode[] =>
    counts.map((c, i) => {
      const x0 = f.x(xs[i]);
      const x1 = f.x(xs[i + 1]);
      const y = f.y(c);
      return el('rect', { class: cls, x: x0, y, width: Math.max(0.5, r2(x1 - x0 - 1)), height: r2(f.y(0) - y) }, title(`${side}: ${c} in [${formatTick(xs[i])}, ${formatTick(xs[i + 1])})`));
    });
  return {
    id: 'hist',
    title: 'Rewards of chosen and rejected responses',
    caption: 'The further apart the two distributions, the more clearly the model separates the labelled winners from the losers.',
    svg: svgRoot('Histogram of chosen and rejected rewards', ...f.nodes, ...bars(rejected, 'plot-rejected', 'rejected'), ...bars(chosen, 'plot-chosen', 'chosen'), legend([['plot-chosen', 'chosen'], ['plot-rejected', 'rejected']])),
  };
}

/** Reliability diagram: accuracy against mean confidence per confidence bin over [½, 1]; the diagonal is perfect calibration. */
export function reliabilityPlot(report: EvalReport): Plot | null {
  const bins = report.calibration.bins;
  if (!bins.length) return null;
  const f = frame([0.5, 0.6, 0.7, 0.8, 0.9, 1], [0, 0.25, 0.5, 0.75, 1], 'confidence max(σ(Δr), 1 − σ(Δr))', 'accuracy', pct, pct);
  const nodes: SvgNode[] = [el('line', { class: 'diagonal', x1: f.x(0.5), y1: f.y(0.5), x2: f.x(1), y2: f.y(1) })];
  const maxN = Math.max(1, ...bins.map((b) => b.n));
  for (const b of bins) {
    const acc = finite(b.accuracy);
    const conf = finite(b.confidence);
    if (acc === undefined || conf === undefined || b.n === 0) continue;
    const x0 = f.x(b.lo);
    const x1 = f.x(b.hi);
    nodes.push(el('rect', { class: 'plot-bar', x: x0 + 1, y: f.y(acc), width: Math.max(0.5, r2(x1 - x0 - 2)), height: r2(f.y(0) - f.y(acc)) }, title(`confidence ${pct(b.lo)}–${pct(b.hi)}: accuracy ${(acc * 100).toFixed(1)}% at mean confidence ${(conf * 100).toFixed(1)}%, n=${b.n}`)));
    nodes.push(el('circle', { class: 'plot-point', cx: f.x(conf), cy: f.y(acc), r: r2(2 + 4 * Math.sqrt(b.n / maxN)) }));
  }
  const ece = finite(report.calibration.ece.value);
  return {
    id: 'reliability',
    title: 'Reliability diagram',
    caption: `Bars: accuracy of the pairs in each confidence bin; dots at their mean confidence (size: pairs). On the diagonal the model is calibrated${ece === undefined ? '' : `; ECE ${ece.toFixed(3)}`}.`,
    svg: svgRoot('Reliability diagram', ...f.nodes, ...nodes),
  };
}

/** Accuracy per group (subset/category) with CI whiskers; dashed: chance and the overall accuracy. */
export function groupAccuracyPlot(report: EvalReport): Plot | null {
  const rows = report.groups?.rows ?? [];
  if (!rows.length) return null;
  const shown = rows.slice(0, 20);
  const rowH = 22;
  const left = 150;
  const right = W - 70;
  const top = 8;
  const height = top + shown.length * rowH + 34;
  const x = scale(0, 1, left, right);
  const nodes: SvgNode[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    nodes.push(el('line', { class: 'grid', x1: x(t), x2: x(t), y1: top, y2: top + shown.length * rowH }));
    nodes.push(text(x(t), top + shown.length * rowH + 14, pct(t), { class: 'tick', 'text-anchor': 'middle' }));
  }
  nodes.push(text((left + right) / 2, height - 4, `accuracy by ${report.groups!.field} (95% CI whiskers)`, { class: 'axis-label', 'text-anchor': 'middle' }));
  shown.forEach((row, i) => {
    const y = top + i * rowH;
    const a: Finding = row.accuracy;
    const v = finite(a.value);
    const lo = finite(a.ci[0]);
    const hi = finite(a.ci[1]);
    const name = row.group.length > 22 ? `${row.group.slice(0, 21)}…` : row.group;
    nodes.push(text(left - 8, y + 15, name, { class: 'tick', 'text-anchor': 'end' }));
    if (v === undefined) return;
    const level = a.n > 0 && hi !== undefined && hi <= 0.5 ? ' bad' : '';
    nodes.push(el('rect', { class: `plot-bar${level}`, x: left, y: y + 4, width: r2(x(v) - left), height: rowH - 8 }, title(`${row.group}: ${(v * 100).toFixed(1)}% [${lo === undefined ? '—' : (lo * 100).toFixed(1)}, ${hi === undefined ? '—' : (hi * 100).toFixed(1)}], n=${a.n}`)));
    if (lo !== undefined && hi !== undefined) {
      const cy = y + rowH / 2;
      nodes.push(el('line', { class: 'whisker', x1: x(lo), x2: x(hi), y1: cy, y2: cy }));
      nodes.push(el('line', { class: 'whisker', x1: x(lo), x2: x(lo), y1: cy - 4, y2: cy + 4 }));
      nodes.push(el('line', { class: 'whisker', x1: x(hi), x2: x(hi), y1: cy - 4, y2: cy + 4 }));
    }
    nodes.push(text(right + 6, y + 15, `${(v * 100).toFixed(0)}% n=${a.n}`, { class: 'tick' }));
  });
  nodes.push(el('line', { class: 'reference', x1: x(0.5), x2: x(0.5), y1: top, y2: top + shown.length * rowH }));
  const overall = finite(report.accuracy.value);
  if (overall !== undefined) nodes.push(el('line', { class: 'reference overall', x1: x(overall), x2: x(overall), y1: top, y2: top + shown.length * rowH }));
  return {
    id: 'groups',
    title: `Accuracy by ${report.groups!.field}`,
    caption: `Whiskers: the bootstrap interval. Dashed: chance (50%)${overall === undefined ? '' : ` and the overall accuracy (${(overall * 100).toFixed(1)}%)`}.${rows.length > shown.length ? ` The ${shown.length} largest of ${rows.length} groups.` : ''}`,
    svg: el('svg', { viewBox: `0 0 ${W} ${height}`, class: 'plot', role: 'img', 'aria-label': `Accuracy by ${report.groups!.field}` }, title(`Accuracy by ${report.groups!.field}`), ...nodes),
  };
}

/** Δlength against Δreward (chosen − rejected) of the report's sampled eval pairs. */
export function lengthScatterPlot(report: EvalReport): Plot | null {
  const s = report.length.scatter;
  const points = (s?.points ?? []).filter((p) => finite(p[0]) !== undefined && finite(p[1]) !== undefined);
  if (!s || !points.length) return null;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const xt = niceTicks(Math.min(0, ...xs), Math.max(0, ...xs), 6);
  const yt = niceTicks(Math.min(0, ...ys), Math.max(0, ...ys), 5);
  const f = frame(xt.ticks, yt.ticks, 'Δlength (characters, chosen − rejected)', 'Δreward');
  const nodes: SvgNode[] = [
    el('line', { class: 'reference', x1: f.x(0), x2: f.x(0), y1: M.top, y2: H - M.bottom }),
    el('line', { class: 'reference', x1: M.left, x2: W - M.right, y1: f.y(0), y2: f.y(0) }),
    el('g', { class: 'points' }, ...points.map(([dx, dy]) => el('circle', { class: dy >= 0 ? 'plot-point' : 'plot-point wrong', cx: f.x(dx), cy: f.y(dy), r: 2.5 }))),
  ];
  const rho = finite(report.length.spearman.value);
  return {
    id: 'scatter',
    title: 'Δlength vs Δreward',
    caption: `Each dot an eval pair (${points.length}${s.n > points.length ? ` of ${s.n}, evenly spaced` : ''}); above the line the model ranks it right. A rising cloud is a length preference${rho === undefined ? '' : ` (Spearman ρ ${rho.toFixed(2)})`}.`,
    svg: svgRoot('Scatter of length difference against reward difference', ...f.nodes, ...nodes),
  };
}

/** Every plot the report has data for, in reading order. */
export function reportPlots(report: EvalReport): Plot[] {
  return [rewardHistogramPlot(report), reliabilityPlot(report), groupAccuracyPlot(report), lengthScatterPlot(report)].filter((p): p is Plot => p !== null);
}

/** Serializes a node tree as SVG markup (text and attribute values escaped). */
export function svgMarkup(node: SvgNode): string {
  const attrs = Object.entries(node.attrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  if (node.text !== undefined) return `<${node.tag}${attrs}>${escapeXml(node.text)}</${node.tag}>`;
  if (!node.children?.length) return `<${node.tag}${attrs}/>`;
  return `<${node.tag}${attrs}>${node.children.map(svgMarkup).join('')}</${node.tag}>`;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
