/**
 * The stats webview: renders the host's StatsViewState — counts, the length-only baseline, and a
 * hand-drawn SVG histogram of chosen vs rejected lengths. Builds DOM nodes (never HTML strings), sets no
 * inline styles (the CSP forbids them; media/stats.css has the classes) and loads nothing remote.
 */
import type {
  LengthSnapshot,
  StatsHostMessage,
  StatsSnapshot,
  StatsViewState,
  StatsWebviewMessage,
} from '../../src/protocol/stats';
import { createBridge } from '../shared/bridge';
import { compact, count, percent } from '../shared/format';

/** UI state only (persisted across reloads of the webview); the data comes from the host every time. */
interface StatsUiState {
  yScale: 'linear' | 'log';
}

const bridge = createBridge<StatsHostMessage, StatsWebviewMessage, StatsUiState>();
let ui: StatsUiState = restoreUi(bridge.getState());
let state: StatsViewState | undefined;

const root = document.getElementById('app');
if (!root) throw new Error('stats webview: #app is missing from the page');
const app: HTMLElement = root;

bridge.onMessage((message) => {
  switch (message.type) {
    case 'state':
      state = message.state;
      render();
      break;
  }
});
render();
bridge.post({ type: 'ready' });

function restoreUi(saved: StatsUiState | undefined): StatsUiState {
  return { yScale: saved?.yScale === 'log' ? 'log' : 'linear' };
}

function setUi(next: StatsUiState): void {
  ui = next;
  bridge.setState(ui);
  render();
}

// ── rendering ────────────────────────────────────────────────────────────────────────────────────

function render(): void {
  app.replaceChildren(...view());
}

function view(): Node[] {
  if (!state) return [h('p', { class: 'muted' }, 'Loading…')];
  const header = renderHeader(state);
  switch (state.status) {
    case 'loading':
      return [header, h('p', { class: 'muted' }, 'Computing statistics…')];
    case 'error':
      return [header, h('div', { class: 'error', role: 'alert' }, state.message)];
    case 'ready':
      return [header, ...renderStats(state.stats)];
  }
}

function renderHeader(s: StatsViewState): HTMLElement {
  const open = h('button', { class: 'link', type: 'button', title: `Open ${s.file}` }, s.fileName);
  open.addEventListener('click', () => bridge.post({ type: 'openLocation', file: s.file, line: 1 }));
  const refresh = h('button', { class: 'button secondary', type: 'button' }, 'Refresh');
  if (s.status === 'loading') refresh.setAttribute('disabled', '');
  refresh.addEventListener('click', () => bridge.post({ type: 'refresh' }));
  const subtitle =
    s.status === 'ready'
      ? `${s.stats.format} format · ${count(s.stats.lines)} lines (${count(s.stats.blankLines)} blank)`
      : s.file;
  return h(
    'header',
    { class: 'header' },
    h('div', {}, h('h1', {}, open), h('div', { class: 'muted' }, subtitle)),
    refresh,
  );
}

function renderStats(stats: StatsSnapshot): Node[] {
  return [renderCounts(stats), renderBaseline(stats), renderLengths(stats), renderAnnotators(stats)].filter(
    (n): n is HTMLElement => n !== undefined,
  );
}

function renderCounts(st: StatsSnapshot): HTMLElement {
  const share = (n: number): string | undefined =>
    st.records > 0 && n > 0 ? `${percent(n / st.records)} of pairs` : undefined;
  const tiles = [
    tile('Records', st.records, 'Preference pairs read (a ranked record can yield several)'),
    tile(
      'Distinct prompts',
      st.prompts,
      'The unit train/eval splits group by, so no prompt is on both sides',
    ),
    tile(
      'Invalid lines',
      st.invalid,
      'Lines that yielded no pair because of an error — run "Validate Preference File" for their locations',
      true,
    ),
    tile(
      'Duplicates',
      st.duplicates,
      'Pairs identical (prompt, chosen, rejected) to an earlier pair',
      true,
      share(st.duplicates),
    ),
    tile(
      'Identical sides',
      st.identical,
      'Pairs whose chosen and rejected responses are the same',
      true,
      share(st.identical),
    ),
    tile(
      'Empty sides',
      st.emptySides,
      'Pairs with an empty chosen or rejected response',
      true,
      share(st.emptySides),
    ),
    tile(
      'Contradictions',
      st.contradictions,
      'Pairs that appear elsewhere with chosen and rejected swapped',
      true,
      share(st.contradictions),
    ),
    tile('Ties skipped', st.skipped, 'Valid records that state no preference, so hold no pair'),
    tile(
      'Conversational',
      st.conversational,
      'Pairs whose prompt or responses are chat messages',
      false,
      share(st.conversational),
    ),
    tile('With margin', st.withMargin, 'Pairs that carry a preference margin', false, share(st.withMargin)),
  ];
  return h(
    'section',
    { 'aria-labelledby': 'counts-title' },
    h('h2', { id: 'counts-title' }, 'Records'),
    h('div', { class: 'tiles' }, ...tiles),
  );
}

function tile(label: string, value: number, hint: string, problem = false, detail?: string): HTMLElement {
  const cls = problem && value > 0 ? 'tile problem' : 'tile';
  return h(
    'div',
    { class: cls, title: hint },
    h('div', { class: 'tile-value' }, count(value)),
    h('div', { class: 'tile-label' }, label),
    detail ? h('div', { class: 'tile-detail' }, detail) : undefined,
  );
}

function renderBaseline(st: StatsSnapshot): HTMLElement {
  const accuracy = st.lengthBaselineAccuracy;
  const explanation =
    accuracy === null
      ? h('p', { class: 'muted' }, 'No pairs to compare.')
      : h(
          'p',
          {},
          `Always picking the longer response gets ${percent(accuracy)} of these pairs right, so every reward ` +
            `model's accuracy on this data must beat ${percent(accuracy)} — or it may have learned length, not preference.`,
        );
  const lengthBiased =
    accuracy === null || (accuracy > 0.4 && accuracy < 0.6)
      ? undefined
      : h(
          'p',
          { class: 'note' },
          `Chosen responses here are markedly ${accuracy >= 0.6 ? 'longer' : 'shorter'} than rejected ones: ` +
            'length alone predicts the preference, so check trained models for length bias.',
        );
  return h(
    'section',
    { 'aria-labelledby': 'baseline-title' },
    h('h2', { id: 'baseline-title' }, 'Length-only baseline'),
    h(
      'div',
      { class: 'tiles' },
      rateTile(
        'Baseline accuracy',
        accuracy,
        'Accuracy of "the longer response wins" (a tie counts as half)',
        true,
      ),
      rateTile(
        'Chosen is longer',
        st.chosenLongerRate,
        'Share of pairs whose chosen response has more characters',
      ),
      rateTile(
        'Same length',
        st.equalLengthRate,
        'Share of pairs whose two responses have equally many characters',
      ),
    ),
    explanation,
    lengthBiased,
  );
}

function rateTile(label: string, rate: number | null, hint: string, emphasis = false): HTMLElement {
  return h(
    'div',
    { class: emphasis ? 'tile emphasis' : 'tile', title: hint },
    h('div', { class: 'tile-value' }, rate === null ? '—' : percent(rate)),
    h('div', { class: 'tile-label' }, label),
  );
}

function renderLengths(st: StatsSnapshot): HTMLElement {
  const { prompt, chosen, rejected } = st.lengths;
  const scaleButton = (scale: StatsUiState['yScale'], label: string): HTMLElement => {
    const b = h(
      'button',
      { class: 'segment', type: 'button', 'aria-pressed': String(ui.yScale === scale) },
      label,
    );
    b.addEventListener('click', () => setUi({ ...ui, yScale: scale }));
    return b;
  };
  return h(
    'section',
    { 'aria-labelledby': 'lengths-title' },
    h('h2', { id: 'lengths-title' }, 'Response lengths'),
    h(
      'div',
      { class: 'chart-bar' },
      h('div', { class: 'legend' }, legendItem('chosen', 'Chosen'), legendItem('rejected', 'Rejected')),
      h(
        'div',
        { class: 'segments', role: 'group', 'aria-label': 'Y axis scale' },
        scaleButton('linear', 'Linear'),
        scaleButton('log', 'Log'),
      ),
    ),
    lengthChart(chosen, rejected, ui.yScale),
    h(
      'p',
      { class: 'muted caption' },
      'Pairs per length bin; characters on a log scale. Dashed lines mark the medians.',
    ),
    lengthTable([
      ['Prompt', prompt],
      ['Chosen', chosen],
      ['Rejected', rejected],
    ]),
  );
}

function legendItem(cls: string, label: string): HTMLElement {
  const swatch = svg(
    'svg',
    { class: 'swatch', viewBox: '0 0 12 12', 'aria-hidden': 'true' },
    svg('rect', { class: `bar ${cls}`, x: 0, y: 0, width: 12, height: 12 }),
  );
  return h('span', { class: 'legend-item' }, swatch, label);
}

function lengthTable(rows: Array<[string, LengthSnapshot]>): HTMLElement {
  const columns = ['Pairs', 'Mean', 'p10', 'Median', 'p90', 'p99', 'Max'];
  return h(
    'table',
    { class: 'lengths' },
    h('caption', { class: 'muted' }, 'Length in characters'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}), ...columns.map((c) => h('th', { scope: 'col', class: 'num' }, c))),
    ),
    h(
      'tbody',
      {},
      ...rows.map(([label, l]) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, label),
          ...[l.n, l.mean, l.p10, l.p50, l.p90, l.p99, l.max].map((v) =>
            h('td', { class: 'num' }, v === null ? '—' : count(Math.round(v))),
          ),
        ),
      ),
    ),
  );
}

function renderAnnotators(st: StatsSnapshot): HTMLElement | undefined {
  if (st.annotators.length === 0) return undefined;
  const LIMIT = 50;
  const rows = [...st.annotators].sort((a, b) => b.records - a.records);
  const shown = rows.slice(0, LIMIT);
  return h(
    'section',
    { 'aria-labelledby': 'annotators-title' },
    h('h2', { id: 'annotators-title' }, 'Annotators'),
    h(
      'table',
      { class: 'annotators' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Annotator'),
          h('th', { scope: 'col', class: 'num' }, 'Pairs'),
          h('th', { scope: 'col', class: 'num' }, 'Chosen is longer'),
        ),
      ),
      h(
        'tbody',
        {},
        ...shown.map((a) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, a.annotator),
            h('td', { class: 'num' }, count(a.records)),
            h('td', { class: 'num' }, a.chosenLongerRate === null ? '—' : percent(a.chosenLongerRate)),
          ),
        ),
      ),
    ),
    rows.length > LIMIT ? h('p', { class: 'muted' }, `and ${count(rows.length - LIMIT)} more`) : undefined,
  );
}

// ── the histogram ────────────────────────────────────────────────────────────────────────────────

const CHART = { width: 640, height: 240, top: 12, right: 16, bottom: 40, left: 52 };

interface Series {
  name: string;
  cls: string;
  data: LengthSnapshot;
}

/**
 * Chosen and rejected bars overlaid on one log-scaled length axis (x = log10(1 + characters), so the
 * 0 edge has a place). Each series uses its own edges, so differing bins still line up by length.
 */
function lengthChart(
  chosen: LengthSnapshot,
  rejected: LengthSnapshot,
  yScale: StatsUiState['yScale'],
): Element {
  const series: Series[] = [
    { name: 'Chosen', cls: 'chosen', data: chosen },
    { name: 'Rejected', cls: 'rejected', data: rejected },
  ].filter((sr) => sr.data.histogram.counts.some((c) => c > 0));
  if (series.length === 0) return h('p', { class: 'muted' }, 'No responses to measure.');

  const { width, height, top, right, bottom, left } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  // The axis spans the occupied bins only: log bins start at 0, and empty short bins would take half the width.
  const [lo, hi] = occupiedRange(series.map((sr) => sr.data.histogram));
  const t = (v: number): number => Math.log10(Math.max(v, 0) + 1);
  const span = t(hi) - t(lo) || 1;
  const x = (v: number): number => left + Math.min(Math.max((t(v) - t(lo)) / span, 0), 1) * plotW;
  const maxCount = Math.max(1, ...series.flatMap((sr) => sr.data.histogram.counts));
  const fraction = (c: number): number =>
    yScale === 'log' ? Math.log10(c + 1) / Math.log10(maxCount + 1) : c / maxCount;
  const y = (c: number): number => top + plotH * (1 - fraction(c));
  const baseline = top + plotH;

  const medians = series
    .map(
      (sr) =>
        `${sr.name.toLowerCase()} median ${sr.data.p50 === null ? 'unknown' : count(sr.data.p50)} characters`,
    )
    .join(', ');
  // Same bins (what the data layer produces): each bin holds the two bars side by side. Different bins:
  // overlaid, translucent.
  const grouped =
    series.length > 1 &&
    series.every((sr) => sameNumbers(sr.data.histogram.edges, series[0].data.histogram.edges));
  const chart = svg('svg', {
    class: grouped ? 'chart grouped' : 'chart overlaid',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Histogram of chosen and rejected response lengths; ${medians}`,
  });

  for (const tick of yScale === 'log' ? logTicks(maxCount) : linearTicks(maxCount)) {
    chart.append(
      svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(tick), y2: y(tick) }),
      svg(
        'text',
        { class: 'tick', x: left - 6, y: y(tick), 'text-anchor': 'end', 'dominant-baseline': 'middle' },
        compact(tick),
      ),
    );
  }
  for (const tick of lengthTicks(lo, hi)) {
    chart.append(
      svg('line', { class: 'axis', x1: x(tick), x2: x(tick), y1: baseline, y2: baseline + 4 }),
      svg('text', { class: 'tick', x: x(tick), y: baseline + 16, 'text-anchor': 'middle' }, compact(tick)),
    );
  }

  series.forEach((sr, k) => {
    const { edges, counts } = sr.data.histogram;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0 || edges[i] < lo || edges[i + 1] > hi) continue;
      let x0 = x(edges[i]);
      let x1 = x(edges[i + 1]);
      if (grouped) {
        const w = (x1 - x0) / series.length;
        x0 += k * w;
        x1 = x0 + w;
      }
      const barTop = y(counts[i]);
      chart.append(
        svg(
          'rect',
          {
            class: `bar ${sr.cls}`,
            x: x0 + 0.5,
            y: barTop,
            width: Math.max(x1 - x0 - 1, 1),
            height: Math.max(baseline - barTop, 0),
          },
          svg(
            'title',
            {},
            `${sr.name}: ${count(counts[i])} pairs of ${binLabel(edges[i], edges[i + 1])} characters`,
          ),
        ),
      );
    }
  });
  for (const sr of series) {
    const median = sr.data.p50;
    if (median === null) continue;
    const at = { x1: x(median), x2: x(median), y1: top, y2: baseline };
    chart.append(
      // A halo in the background colour keeps the dashes visible over bars of their own colour.
      svg('line', { class: 'median-halo', ...at }),
      svg(
        'line',
        { class: `median ${sr.cls}`, ...at },
        svg('title', {}, `${sr.name} median: ${count(median)} characters`),
      ),
    );
  }
  chart.append(
    svg('line', { class: 'axis', x1: left, x2: width - right, y1: baseline, y2: baseline }),
    svg(
      'text',
      { class: 'axis-label', x: left + plotW / 2, y: height - 4, 'text-anchor': 'middle' },
      'characters (log scale)',
    ),
  );
  return chart;
}

/** "100–199" for integer bins [100, 200); "[1.5, 3)" otherwise. */
function binLabel(from: number, to: number): string {
  if (Number.isInteger(from) && Number.isInteger(to))
    return to - 1 <= from ? count(from) : `${count(from)}–${count(to - 1)}`;
  return `[${from}, ${to})`;
}

/** 0 and about four round steps up to max. */
function linearTicks(max: number): number[] {
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough || 1));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? magnitude * 10;
  const ticks: number[] = [];
  for (let v = 0; v <= max; v += Math.max(1, step)) ticks.push(v);
  return ticks;
}

/** 0, 1, 10, 100, … up to max. */
function logTicks(max: number): number[] {
  const ticks = [0];
  // 1 sits right above 0 on a log(1 + n) axis: leave it out when there are larger powers to show.
  for (let v = max >= 100 ? 10 : 1; v <= max; v *= 10) ticks.push(v);
  return ticks;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** From the first edge of the first non-empty bin to the last edge of the last one, over all series. */
function occupiedRange(histograms: Array<LengthSnapshot['histogram']>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { edges, counts } of histograms) {
    const first = counts.findIndex((c) => c > 0);
    if (first === -1) continue;
    let last = counts.length - 1;
    while (counts[last] === 0) last--;
    lo = Math.min(lo, edges[first]);
    hi = Math.max(hi, edges[last + 1]);
  }
  return lo < hi ? [lo, hi] : [0, 1];
}

/** Round lengths (1, 2, 5 × 10ⁿ; only 10ⁿ when that is too many) inside [lo, hi]; 0 when the axis starts there. */
function lengthTicks(lo: number, hi: number): number[] {
  const within = (steps: number[]): number[] => {
    const ticks = lo <= 0 ? [0] : [];
    for (let p = 1; p <= hi; p *= 10)
      for (const m of steps) if (m * p >= lo && m * p <= hi) ticks.push(m * p);
    return ticks;
  };
  const fine = within([1, 2, 5]);
  return fine.length <= 8 ? fine : within([1]);
}

// ── formatting and DOM helpers ───────────────────────────────────────────────────────────────────


type Child = Node | string | undefined;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== undefined) element.append(child);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg(
  tag: string,
  attributes: Record<string, string | number> = {},
  ...children: Child[]
): SVGElement {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, typeof value === 'number' ? String(Math.round(value * 100) / 100) : value);
  }
  for (const child of children) if (child !== undefined) element.append(child);
  return element;
}
