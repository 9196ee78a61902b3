/**
 * The training dashboard: the host's TrainDashboardState for one run — status, provider, step, epoch,
 * ETA, throughput — and hand-drawn SVG line charts of loss, accuracy (with the eval length-only baseline
 * as a dashed reference), reward margin, learning rate and gradient norm, for train and eval.
 *
 * The host sends a snapshot on `ready`, then patches; this app applies them (applyTrainPatch, the same
 * function the host uses) and redraws what changed, at most once per frame. Sections are rebuilt only
 * when their inputs change, so buttons keep keyboard focus while the curves grow. Builds DOM nodes,
 * never HTML strings; no inline styles (the CSP forbids them: media/train.css has the classes).
 */
import {
  applyTrainPatch,
  type SeriesName,
  type TrainDashboardState,
  type TrainHostMessage,
  type TrainRunStatus,
  type TrainWebviewMessage,
} from '../../src/protocol/train';
import { createBridge } from '../shared/bridge';
import { compact, count, percent } from '../shared/format';
import {
  decimate,
  extentOf,
  formatTick,
  linePath,
  linearScale,
  niceTicks,
  paddedExtent,
  smooth,
  stepAxis,
  type Extent,
  type Point,
} from './chart';
import { button, h, svg, updateSection, type Child } from '../shared/dom';

/** UI state only (kept across reloads of the webview); the run's data comes from the host every time. */
interface TrainUiState {
  smoothing: boolean;
}

const SMOOTHING_WEIGHT = 0.8;
/** Points drawn per curve at most (decimated beyond: min and max per bucket). */
const MAX_DRAWN_POINTS = 800;

const bridge = createBridge<TrainHostMessage, TrainWebviewMessage, TrainUiState>();
let ui: TrainUiState = { smoothing: bridge.getState()?.smoothing !== false };
/** undefined: waiting for the host; null: no run to show. */
let state: TrainDashboardState | null | undefined;
let frame: number | undefined;

const root = document.getElementById('app');
if (!root) throw new Error('training dashboard: #app is missing from the page');
const app: HTMLElement = root;

const parts = {
  header: h('header', { class: 'header' }),
  progress: h('div', { class: 'progress-row' }),
  tiles: h('section', { class: 'tiles stats', 'aria-label': 'Run' }),
  result: h('section', { class: 'result', 'aria-live': 'polite' }),
  charts: h('section', { class: 'charts', 'aria-label': 'Curves' }),
  warnings: h('section', { class: 'warnings' }),
};

bridge.onMessage((message) => {
  switch (message.type) {
    case 'snapshot':
      state = message.state;
      resetSections();
      scheduleRender();
      break;
    case 'patch':
      if (!state || state.runId !== message.runId) {
        // A patch for a run this page has no snapshot of: ask for one.
        bridge.post({ type: 'ready' });
        return;
      }
      applyTrainPatch(state, message.patch);
      scheduleRender();
      break;
  }
});
render();
bridge.post({ type: 'ready' });

function scheduleRender(): void {
  frame ??= requestAnimationFrame(() => {
    frame = undefined;
    render();
  });
}

function resetSections(): void {
  for (const part of Object.values(parts)) delete part.dataset.key;
}

// ── rendering ────────────────────────────────────────────────────────────────────────────────────

function render(): void {
  if (state === undefined) {
    app.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    return;
  }
  if (state === null) {
    app.replaceChildren(renderEmpty());
    return;
  }
  if (app.firstChild !== parts.header) {
    app.replaceChildren(parts.header, parts.progress, parts.tiles, parts.result, parts.charts, parts.warnings);
  }
  const s = state;
  updateSection(
    parts.header,
    key(s.runId, s.status, s.live, s.dataFileName, s.outDir, s.configSummary, s.result?.resumable, s.result?.modelFile),
    () => renderHeader(s),
  );
  updateSection(parts.progress, key(s.status, s.step, s.totalSteps, s.phase), () => renderProgress(s));
  updateSection(
    parts.tiles,
    key(s.step, s.epoch, s.etaSeconds, s.tokensPerSecond, s.pairsPerSecond, s.elapsedSeconds, s.provider, s.pairs, s.parameters, s.learningRate, s.truncation, s.status),
    () => renderTiles(s),
  );
  updateSection(parts.result, key(s.result, s.outDir), () => renderResult(s));
  updateSection(
    parts.charts,
    key(s.runId, ui.smoothing, s.totalSteps, s.evalLengthBaseline, ...Object.values(s.series).map((p) => p.length)),
    () => renderCharts(s),
  );
  updateSection(parts.warnings, key(s.warnings), () => renderWarnings(s));
}

function key(...values: unknown[]): string {
  return JSON.stringify(values);
}

function renderEmpty(): HTMLElement {
  return h(
    'div',
    { class: 'empty' },
    h('h1', {}, 'No training run yet'),
    h(
      'p',
      {},
      'Run ',
      h('strong', {}, 'Reward Studio: Train Reward Model'),
      ' on a preference file (.jsonl) from the Command Palette or the Explorer’s context menu. ' +
        'Its loss, accuracy and reward margin show here as it trains.',
    ),
  );
}

const STATUS_LABELS: Record<TrainRunStatus, string> = {
  starting: 'Starting',
  running: 'Running',
  cancelling: 'Cancelling…',
  completed: 'Completed',
  'early-stopped': 'Stopped early',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

function renderHeader(s: TrainDashboardState): Child[] {
  const post = (message: TrainWebviewMessage): void => bridge.post(message);
  const actions: Child[] = [];
  if (s.live && (s.status === 'starting' || s.status === 'running')) {
    actions.push(
      button('Cancel', () => post({ type: 'cancel', runId: s.runId }), {
        id: 'cancel',
        class: 'button',
        title: 'Stop training; a checkpoint is written so the run can be resumed',
      }),
    );
  } else if (s.status === 'cancelling') {
    actions.push(button('Cancelling…', () => undefined, { id: 'cancel', class: 'button', disabled: '' }));
  }
  if (!s.live && s.result?.resumable) {
    actions.push(
      button('Resume', () => post({ type: 'resume', runId: s.runId }), {
        id: 'resume',
        class: 'button',
        title: 'Continue from checkpoints/last',
      }),
    );
  }
  if (s.result?.modelFile) {
    actions.push(
      button('Reveal Model', () => post({ type: 'open', runId: s.runId, target: 'model' }), {
        id: 'reveal-model',
        class: 'button secondary',
      }),
    );
  }
  actions.push(
    button('Show Log', () => post({ type: 'open', runId: s.runId, target: 'log' }), {
      id: 'show-log',
      class: 'button secondary',
      title: 'Open train.log',
    }),
  );
  const dataLink = button(s.dataFileName, () => post({ type: 'open', runId: s.runId, target: 'dataFile' }), {
    id: 'data-file',
    class: 'link',
    title: `Open ${s.dataFile}`,
  });
  const outLink = button(s.outDir, () => post({ type: 'open', runId: s.runId, target: 'outDir' }), {
    id: 'out-dir',
    class: 'link',
    title: 'Reveal the output folder',
  });
  return [
    h(
      'div',
      { class: 'title' },
      h(
        'h1',
        {},
        'Training on ',
        dataLink,
        ' ',
        h('span', { class: `badge status-${s.status}`, 'data-status': s.status }, STATUS_LABELS[s.status]),
      ),
      h('div', { class: 'muted' }, 'Output: ', outLink),
      s.configSummary ? h('div', { class: 'muted' }, s.configSummary) : undefined,
    ),
    h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Run actions' }, ...actions),
  ];
}

function renderProgress(s: TrainDashboardState): Child[] {
  const total = s.totalSteps ?? 0;
  const percent = total > 0 ? Math.min(100, (s.step / total) * 100) : 0;
  const label = total > 0 ? `Step ${count(s.step)} of ${count(total)} (${percent.toFixed(0)}%)` : 'Preparing…';
  const bar = h('progress', { class: 'progress', max: String(Math.max(total, 1)), 'aria-label': 'Training progress' });
  if (total > 0) bar.value = Math.min(s.step, total);
  else if (s.live) bar.removeAttribute('value'); // indeterminate while preparing
  else bar.value = 0;
  return [
    h('div', { class: 'progress-label' }, h('span', { class: 'step-count', 'data-step': String(s.step) }, label)),
    bar,
    s.phase ? h('div', { class: 'phase muted' }, s.phase) : undefined,
  ];
}

function renderTiles(s: TrainDashboardState): Child[] {
  return [
    tile('Step', count(s.step), 'Optimizer steps taken, of the run’s total', s.totalSteps !== null ? `of ${count(s.totalSteps)}` : undefined),
    tile('Epoch', s.epoch !== null ? s.epoch.toFixed(2) : '—', 'Passes over the training pairs'),
    tile('ETA', s.etaSeconds !== null && s.live ? duration(s.etaSeconds) : '—', 'Time left at the current pace'),
    tile(
      'Tokens/s',
      s.tokensPerSecond !== null ? compact(s.tokensPerSecond) : '—',
      'Training throughput',
      s.pairsPerSecond !== null ? `${compact(s.pairsPerSecond)} pairs/s` : undefined,
    ),
    tile('Provider', s.provider ? providerLabel(s.provider) : '—', s.providerNote ?? 'Execution provider', s.providerNote ? 'hover for why' : undefined),
    tile('Elapsed', s.elapsedSeconds !== null ? duration(s.elapsedSeconds) : '—', 'Training time so far'),
    tile(
      'Pairs',
      s.pairs ? `${count(s.pairs.train)} / ${count(s.pairs.eval)}` : '—',
      'Training / held-out pairs',
      s.truncation && (s.truncation.cut > 0 || s.truncation.dropped > 0)
        ? `${count(s.truncation.cut)} truncated, ${count(s.truncation.dropped)} dropped`
        : 'train / eval',
    ),
    tile(
      'Parameters',
      s.parameters ? compact(s.parameters.total) : '—',
      'Parameters in the model',
      s.parameters && s.parameters.trainable !== s.parameters.total ? `${compact(s.parameters.trainable)} train` : undefined,
    ),
    tile('Peak LR', s.learningRate !== null ? formatTick(s.learningRate) : '—', 'Peak learning rate of the schedule'),
  ];
}

function tile(label: string, value: string, hint: string, detail?: string): HTMLElement {
  return h(
    'div',
    { class: 'tile', title: hint, 'data-tile': label },
    h('div', { class: 'tile-value' }, value),
    h('div', { class: 'tile-label' }, label),
    detail ? h('div', { class: 'tile-detail' }, detail) : undefined,
  );
}

function renderResult(s: TrainDashboardState): Child[] {
  const r = s.result;
  if (!r) return [];
  switch (r.status) {
    case 'completed':
    case 'early-stopped': {
      const acc = r.modelEval?.accuracy ?? null;
      const base = r.evalLengthBaseline;
      const verdict =
        acc === null
          ? 'No held-out pairs: nothing to measure the model’s accuracy on.'
          : base === null
            ? `Held-out accuracy ${percent(acc)}.`
            : acc > base
              ? `Held-out accuracy ${percent(acc)} beats picking the longer response (${percent(base)}) by ${((acc - base) * 100).toFixed(1)} points.`
              : `Held-out accuracy ${percent(acc)} is no better than picking the longer response (${percent(base)}): the model may have learned length, not preference.`;
      const which = r.exportModel === 'last' ? 'the last step' : 'the best evaluation (lowest eval loss)';
      return [
        h('h2', {}, r.status === 'early-stopped' ? 'Result (stopped early)' : 'Result'),
        h(
          'div',
          { class: 'tiles' },
          big('Held-out accuracy', acc === null ? '—' : percent(acc), 'Accuracy of the exported model on the held-out pairs', 'emphasis'),
          big('Length-only baseline', base === null ? '—' : percent(base), 'Accuracy of "the longer response wins" on the same pairs'),
          big('Best step', r.bestEval ? count(r.bestEval.step) : '—', r.bestEval ? `eval loss ${formatTick(r.bestEval.loss)}` : 'No evaluation'),
          big('Steps', count(r.step), 'Optimizer steps taken'),
        ),
        h('p', { class: acc !== null && base !== null && acc <= base ? 'note' : '' }, verdict),
        r.modelFile
          ? h(
              'p',
              { class: 'muted' },
              `reward-model.onnx holds the parameters of ${which}: `,
              button(r.modelFile, () => bridge.post({ type: 'open', runId: s.runId, target: 'model' }), {
                id: 'model-path',
                class: 'link',
              }),
            )
          : undefined,
      ];
    }
    case 'cancelled':
      return [
        h('h2', {}, 'Cancelled'),
        h(
          'p',
          { class: 'cancelled' },
          `Stopped at step ${count(r.step)}${s.totalSteps !== null ? ` of ${count(s.totalSteps)}` : ''}. ` +
            'checkpoints/last holds the run: Resume continues it from there.',
        ),
        r.resumeCommand ? h('p', { class: 'muted' }, 'In a terminal: ', h('code', {}, r.resumeCommand)) : undefined,
      ];
    case 'failed':
      return [
        h('h2', {}, r.errorCode === 'crash' ? 'The training process crashed' : 'Training failed'),
        h(
          'div',
          { class: 'error', role: 'alert' },
          r.message ?? 'Unknown error',
          r.errorCode && r.errorCode !== 'crash' ? h('span', { class: 'muted' }, ` [${r.errorCode}]`) : undefined,
        ),
        h('p', { class: 'muted' }, 'VS Code is not affected. The log has the details: Show Log.'),
      ];
  }
}

function big(label: string, value: string, hint: string, cls = ''): HTMLElement {
  return h(
    'div',
    { class: `tile ${cls}`.trim(), title: hint, 'data-result': label },
    h('div', { class: 'tile-value' }, value),
    h('div', { class: 'tile-label' }, label),
  );
}

function renderWarnings(s: TrainDashboardState): Child[] {
  if (s.warnings.length === 0) return [];
  return [h('h2', {}, 'Warnings'), h('ul', {}, ...s.warnings.map((w) => h('li', {}, w)))];
}

// ── charts ───────────────────────────────────────────────────────────────────────────────────────

interface LineSpec {
  name: SeriesName;
  label: string;
  cls: 'train' | 'eval';
}

interface ChartSpec {
  id: string;
  title: string;
  lines: LineSpec[];
  /** Fixed bounds for the y axis (accuracy: 0–1). */
  fixed?: Extent;
  /** Values are never negative: the axis starts at 0 at the lowest. */
  nonNegative?: boolean;
  format: (v: number) => string;
  reference?: { value: number; label: string };
  /** Smoothing applies to noisy per-step series only. */
  smoothable: boolean;
}

function renderCharts(s: TrainDashboardState): Child[] {
  const specs: ChartSpec[] = [
    {
      id: 'loss',
      title: 'Loss',
      lines: [
        { name: 'trainLoss', label: 'train', cls: 'train' },
        { name: 'evalLoss', label: 'eval', cls: 'eval' },
      ],
      format: formatTick,
      nonNegative: true,
      smoothable: true,
    },
    {
      id: 'accuracy',
      title: 'Accuracy',
      lines: [
        { name: 'trainAccuracy', label: 'train', cls: 'train' },
        { name: 'evalAccuracy', label: 'eval', cls: 'eval' },
      ],
      fixed: { min: 0, max: 1 },
      format: (v) => `${Math.round(v * 100)}%`,
      reference:
        s.evalLengthBaseline !== null ? { value: s.evalLengthBaseline, label: 'length-only baseline (eval)' } : undefined,
      smoothable: true,
    },
    {
      id: 'margin',
      title: 'Reward margin (chosen − rejected)',
      lines: [
        { name: 'trainMargin', label: 'train', cls: 'train' },
        { name: 'evalMargin', label: 'eval', cls: 'eval' },
      ],
      format: formatTick,
      smoothable: true,
    },
    {
      id: 'lr',
      title: 'Learning rate',
      lines: [{ name: 'learningRate', label: 'learning rate', cls: 'train' }],
      format: formatTick,
      nonNegative: true,
      smoothable: false,
    },
    {
      id: 'grad-norm',
      title: 'Gradient norm (before clipping)',
      lines: [{ name: 'gradNorm', label: 'grad norm', cls: 'train' }],
      format: formatTick,
      nonNegative: true,
      smoothable: true,
    },
    {
      id: 'throughput',
      title: 'Throughput (tokens/s)',
      lines: [{ name: 'tokensPerSecond', label: 'tokens/s', cls: 'train' }],
      format: formatTick,
      nonNegative: true,
      smoothable: false,
    },
  ];
  const toggle = h(
    'button',
    { type: 'button', id: 'smoothing', class: 'segment', 'aria-pressed': String(ui.smoothing), title: 'Exponential moving average of the per-step curves (weight 0.8); the raw points stay faint behind it' },
    'Smooth train curves',
  );
  toggle.addEventListener('click', () => {
    ui = { ...ui, smoothing: !ui.smoothing };
    bridge.setState(ui);
    render();
  });
  return [
    h('div', { class: 'charts-bar' }, h('h2', {}, 'Curves'), toggle),
    h('div', { class: 'chart-grid' }, ...specs.map((spec) => chartCard(spec, s))),
  ];
}

const CHART = { width: 480, height: 220, top: 12, right: 14, bottom: 30, left: 52 };

function chartCard(spec: ChartSpec, s: TrainDashboardState): HTMLElement {
  const lines = spec.lines.map((line) => ({ ...line, points: s.series[line.name] as readonly Point[] }));
  const legend = h(
    'div',
    { class: 'legend' },
    ...lines.map((l) => {
      const last = l.points[l.points.length - 1];
      return h(
        'span',
        { class: 'legend-item' },
        svg('svg', { class: 'swatch', viewBox: '0 0 16 8', 'aria-hidden': 'true' }, svg('line', { class: `line ${l.cls}`, x1: 0, x2: 16, y1: 4, y2: 4 })),
        `${l.label} `,
        h('span', { class: 'legend-value' }, last ? spec.format(last[1]) : '—'),
      );
    }),
    spec.reference
      ? h(
          'span',
          { class: 'legend-item' },
          svg('svg', { class: 'swatch', viewBox: '0 0 16 8', 'aria-hidden': 'true' }, svg('line', { class: 'reference', x1: 0, x2: 16, y1: 4, y2: 4 })),
          `${spec.reference.label} `,
          h('span', { class: 'legend-value' }, spec.format(spec.reference.value)),
        )
      : undefined,
  );
  const described = lines
    .map((l) => {
      const last = l.points[l.points.length - 1];
      return last ? `${l.label} ${spec.format(last[1])} at step ${count(last[0])}` : `${l.label}: no points yet`;
    })
    .concat(spec.reference ? [`${spec.reference.label} ${spec.format(spec.reference.value)}`] : [])
    .join('; ');
  return h(
    'figure',
    { class: 'chart-card', id: `chart-${spec.id}`, 'data-chart': spec.id },
    h('figcaption', {}, h('span', { class: 'chart-title' }, spec.title), legend),
    lineChart(spec, lines, s, `${spec.title}: ${described}`),
  );
}

function lineChart(
  spec: ChartSpec,
  lines: Array<LineSpec & { points: readonly Point[] }>,
  s: TrainDashboardState,
  label: string,
): Element {
  const { width, height, top, right, bottom, left } = CHART;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, tabindex: '0' });
  const smoothing = ui.smoothing && spec.smoothable;
  const drawn = lines.map((l) => {
    const smoothed = smoothing && l.cls === 'train' ? smooth(l.points, SMOOTHING_WEIGHT) : undefined;
    return { ...l, smoothed };
  });
  const values: number[] = [];
  for (const l of drawn) for (const p of l.smoothed ?? l.points) values.push(p[1]);
  // The raw points behind a smoothed curve are drawn too: the axis must hold them.
  if (smoothing) for (const l of drawn) if (l.smoothed) for (const p of l.points) values.push(p[1]);
  if (spec.reference) values.push(spec.reference.value);
  const found = extentOf(values);
  // The x axis spans the steps reported so far (a long run's curves fill the chart from the start).
  const lastStep = Math.max(0, ...lines.map((l) => l.points[l.points.length - 1]?.[0] ?? 0));
  const { ticks: xTicks, max: maxStep } = stepAxis(lastStep);
  const plotRight = width - right;
  const plotBottom = height - bottom;
  const x = linearScale(0, maxStep, left, plotRight);
  if (!found || lines.every((l) => l.points.length === 0)) {
    chart.append(
      svg('line', { class: 'axis', x1: left, x2: plotRight, y1: plotBottom, y2: plotBottom }),
      svg('text', { class: 'placeholder', x: (left + plotRight) / 2, y: (top + plotBottom) / 2, 'text-anchor': 'middle' }, s.live ? 'Waiting for the first points…' : 'No points'),
    );
    return chart;
  }
  const floor = spec.nonNegative ? { min: 0, max: Infinity } : undefined;
  const range = spec.fixed ? { ...spec.fixed } : paddedExtent(found, floor);
  const yTicks = niceTicks(range.min, range.max, 5);
  const yMin = spec.fixed ? spec.fixed.min : spec.nonNegative ? Math.max(0, yTicks.min) : yTicks.min;
  const yMax = spec.fixed ? spec.fixed.max : yTicks.max;
  const y = linearScale(yMin, yMax, plotBottom, top);
  for (const t of yTicks.ticks) {
    if (t < yMin - 1e-12 || t > yMax + 1e-12) continue;
    chart.append(
      svg('line', { class: 'grid', x1: left, x2: plotRight, y1: y(t), y2: y(t) }),
      svg('text', { class: 'tick', x: left - 6, y: y(t), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, spec.format(t)),
    );
  }
  for (const t of xTicks) {
    chart.append(
      svg('line', { class: 'axis', x1: x(t), x2: x(t), y1: plotBottom, y2: plotBottom + 4 }),
      svg('text', { class: 'tick', x: x(t), y: plotBottom + 16, 'text-anchor': 'middle' }, compact(t)),
    );
  }
  chart.append(
    svg('line', { class: 'axis', x1: left, x2: plotRight, y1: plotBottom, y2: plotBottom }),
    svg('text', { class: 'axis-label', x: plotRight, y: height - 2, 'text-anchor': 'end' }, 'step'),
  );
  if (spec.reference) {
    const ry = y(spec.reference.value);
    chart.append(
      svg('line', { class: 'reference', x1: left, x2: plotRight, y1: ry, y2: ry, 'data-reference': String(spec.reference.value) }, svg('title', {}, `${spec.reference.label}: ${spec.format(spec.reference.value)}`)),
    );
  }
  for (const l of drawn) {
    if (l.points.length === 0) continue;
    const attrs = { 'data-series': l.name, 'data-points': String(l.points.length) };
    if (l.smoothed) {
      chart.append(svg('path', { class: `line raw ${l.cls}`, d: linePath(decimate(l.points, MAX_DRAWN_POINTS), x, y) }));
      chart.append(svg('path', { class: `line ${l.cls}`, d: linePath(decimate(l.smoothed, MAX_DRAWN_POINTS), x, y), ...attrs }));
    } else {
      chart.append(svg('path', { class: `line ${l.cls}`, d: linePath(decimate(l.points, MAX_DRAWN_POINTS), x, y), ...attrs }));
    }
    // Evaluations are few: mark each one, so a single evaluation still shows.
    if (l.cls === 'eval' && l.points.length <= 200) {
      for (const [px, py] of l.points) {
        chart.append(svg('circle', { class: `marker ${l.cls}`, cx: x(px), cy: y(py), r: 2.5 }, svg('title', {}, `step ${count(px)}: ${spec.format(py)}`)));
      }
    }
  }
  return chart;
}

// ── formatting ───────────────────────────────────────────────────────────────────────────────────


function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function providerLabel(provider: string): string {
  return ({ cpu: 'CPU', cuda: 'CUDA', webgpu: 'WebGPU' } as Record<string, string>)[provider] ?? provider;
}
