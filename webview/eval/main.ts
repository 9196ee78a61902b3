/**
 * The bias-report panel: the host's BiasReportState — an evaluation running, its report, or why it
 * failed. The report arrives ready to show (src/extension/eval/reportView.ts): the summary verdicts,
 * the plots as SVG node trees (drawn here with createElementNS, never parsed from markup), every
 * finding with its value, n, interval and verdict badge with thresholds, and the label-noise examples,
 * each a link that asks the host to open its file at the line. Export buttons ask the host to save the
 * report as a self-contained HTML page or as JSON. No inline styles (the CSP forbids them).
 */
import type { BiasReportState, BiasReportView, EvalHostMessage, EvalWebviewMessage, SvgNodeView, VerdictLevelView } from '../../src/protocol/eval';
import { createBridge } from '../shared/bridge';
import { button, h, svg } from '../shared/dom';

const bridge = createBridge<EvalHostMessage, EvalWebviewMessage, Record<string, never>>();
const root = document.getElementById('app');
if (!root) throw new Error('bias report: #app is missing from the page');
const app: HTMLElement = root;

bridge.onMessage((message) => {
  if (message.type === 'state') render(message.state);
});
app.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
bridge.post({ type: 'ready' });

const LEVEL_LABEL: Record<VerdictLevelView, string> = { ok: 'OK', warn: 'WARN', bad: 'BAD' };

function badge(level: VerdictLevelView | undefined): HTMLElement {
  return level ? h('span', { class: `verdict ${level}`, 'data-level': level }, LEVEL_LABEL[level]) : h('span', { class: 'verdict none' }, '—');
}

function render(state: BiasReportState): void {
  switch (state.status) {
    case 'running':
      app.replaceChildren(
        h('header', { class: 'header' }, h('h1', {}, state.title)),
        h('p', { class: 'running', 'data-status': 'running' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), state.message),
        h('p', { class: 'muted' }, 'The model scores its held-out pairs and the bias probes in a background process; the report shows here when it is done.'),
      );
      return;
    case 'error':
      app.replaceChildren(h('header', { class: 'header' }, h('h1', {}, state.title)), h('p', { class: 'error', 'data-status': 'error' }, state.message));
      return;
    case 'ready':
      app.replaceChildren(...renderReport(state.view));
      return;
  }
}

function renderReport(v: BiasReportView): Node[] {
  const header = h(
    'header',
    { class: 'header', 'data-status': 'ready' },
    h('div', { class: 'title' }, h('h1', {}, `Bias report: ${v.modelName}`)),
    h(
      'div',
      { class: 'actions' },
      button('Export HTML', () => bridge.post({ type: 'export', format: 'html' }), { class: 'button', id: 'export-html' }),
      button('Export JSON', () => bridge.post({ type: 'export', format: 'json' }), { class: 'button secondary', id: 'export-json' }),
    ),
  );
  const meta = h('dl', { class: 'meta' }, ...v.meta.flatMap((m) => [h('dt', {}, m.label), h('dd', {}, m.value)]));
  const summary = h(
    'ul',
    { class: 'summary' },
    ...v.summary.map((s) => h('li', { 'data-section': s.section }, badge(s.level), h('strong', {}, s.section), `: ${s.text}`)),
  );
  const plots = h(
    'div',
    { class: 'plots' },
    ...v.plots.map((p) => h('figure', { class: 'plot-figure', 'data-plot': p.id }, h('h3', {}, p.title), draw(p.svg), h('figcaption', {}, p.caption))),
  );
  return [
    header,
    meta,
    h('h2', {}, 'Summary'),
    summary,
    h('h2', {}, 'Plots'),
    plots,
    h('h2', {}, 'Findings'),
    h('p', { class: 'muted' }, 'Every figure with its n and interval. Each verdict names the thresholds it was decided with; "interval above x" means its lower bound is above x.'),
    renderFindings(v),
    h('h2', {}, 'Label noise'),
    h('p', {}, v.labelNoise.text),
    renderExamples(v),
  ];
}

function renderFindings(v: BiasReportView): HTMLElement {
  const rows: HTMLElement[] = [];
  let section = '';
  for (const f of v.findings) {
    if (f.section !== section) {
      section = f.section;
      rows.push(h('tr', { class: 'section' }, h('td', { colspan: '6' }, section)));
    }
    rows.push(
      h(
        'tr',
        { 'data-finding': f.id },
        h('td', {}, f.label),
        h('td', { class: 'num' }, f.value),
        h('td', { class: 'num' }, f.ci),
        h('td', { class: 'num' }, `n=${f.n}`),
        h('td', {}, badge(f.verdict?.level)),
        h('td', {}, f.verdict ? f.verdict.text : '', f.verdict ? h('div', { class: 'thresholds' }, `thresholds: ${f.verdict.thresholds}`) : undefined),
      ),
    );
  }
  return h(
    'table',
    { class: 'findings' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Figure'), h('th', {}, 'Value'), h('th', {}, 'CI'), h('th', {}, 'n'), h('th', {}, 'Verdict'), h('th', {}, ''))),
    h('tbody', {}, ...rows),
  );
}

function renderExamples(v: BiasReportView): HTMLElement {
  if (!v.labelNoise.examples.length) return h('p', { class: 'muted' }, 'None: the model ranks every pair right.');
  return h(
    'table',
    { class: 'examples' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Line'), h('th', {}, 'Id'), h('th', {}, 'Δr'))),
    h(
      'tbody',
      {},
      ...v.labelNoise.examples.map((e) =>
        h(
          'tr',
          { 'data-example': `${e.fileName}:${e.line}` },
          h('td', {}, button(`${e.fileName}:${e.line}`, () => bridge.post({ type: 'openExample', file: e.file, line: e.line }), { class: 'link example-link', title: `Open ${e.file} at line ${e.line}` })),
          h('td', {}, e.id ?? ''),
          h('td', { class: 'num' }, e.value),
        ),
      ),
    ),
  );
}

/** An SVG node tree from the host as DOM nodes (attributes set one by one; text as text nodes). */
function draw(node: SvgNodeView): SVGElement {
  const children: (SVGElement | string)[] = node.text !== undefined ? [node.text] : (node.children ?? []).map(draw);
  return svg(node.tag, node.attrs ?? {}, ...children);
}
