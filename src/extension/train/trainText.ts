/**
 * What the training UI says — status bar, progress notification, the notification at the end — and the
 * name of a run's output folder. Pure, so the plain-Node tests pin the wording and the arithmetic.
 */
import type { TrainDashboardState } from '../../protocol/train';

/** Share of the run done, 0..1 (0 before the first step event says how many steps there are). */
export function progressFraction(state: Pick<TrainDashboardState, 'step' | 'totalSteps'>): number {
  if (!state.totalSteps || state.totalSteps <= 0) return 0;
  return Math.min(Math.max(state.step / state.totalSteps, 0), 1);
}

/** The last value of a series, or null. */
export function lastValue(points: ReadonlyArray<readonly [number, number]>): number | null {
  return points.length > 0 ? points[points.length - 1][1] : null;
}

/** "$(sync~spin) Training 34% · loss 0.61" while it runs. */
export function statusBarText(state: TrainDashboardState): string {
  if (state.status === 'cancelling') return '$(sync~spin) Cancelling training…';
  const loss = lastValue(state.series.trainLoss);
  if (state.status === 'starting' || state.totalSteps === null) return '$(sync~spin) Training: starting…';
  const parts = [`$(sync~spin) Training ${Math.floor(progressFraction(state) * 100)}%`];
  if (loss !== null) parts.push(`loss ${formatNumber(loss)}`);
  return parts.join(' · ');
}

/** The status bar item's tooltip: the file, the step, the pace. */
export function statusBarTooltip(state: TrainDashboardState): string {
  const lines = [`Training a reward model on ${state.dataFileName}`];
  if (state.totalSteps !== null) lines.push(`Step ${formatCount(state.step)} of ${formatCount(state.totalSteps)}`);
  if (state.etaSeconds !== null) lines.push(`About ${formatDuration(state.etaSeconds)} left`);
  if (state.provider) lines.push(`Running on ${providerLabel(state.provider)}`);
  lines.push('Click to open the training dashboard');
  return lines.join('\n');
}

/** The progress notification's message: "step 34/100 · loss 0.612 · eval accuracy 70.1% · 2 min left". */
export function progressMessage(state: TrainDashboardState): string {
  if (state.status === 'cancelling') return 'cancelling: writing a checkpoint to resume from…';
  if (state.totalSteps === null || state.series.trainLoss.length === 0) return state.phase ?? 'starting…';
  const parts = [`step ${formatCount(state.step)}/${formatCount(state.totalSteps)}`];
  const loss = lastValue(state.series.trainLoss);
  if (loss !== null) parts.push(`loss ${formatNumber(loss)}`);
  if (state.lastEval) parts.push(`eval accuracy ${formatPercent(state.lastEval.accuracy)}`);
  if (state.etaSeconds !== null) parts.push(`${formatDuration(state.etaSeconds)} left`);
  return parts.join(' · ');
}

/** The notification when a run has ended. */
export function endMessage(state: TrainDashboardState): string {
  const r = state.result;
  const file = state.dataFileName;
  if (!r) return `Training on ${file} ended.`;
  switch (r.status) {
    case 'completed':
    case 'early-stopped': {
      const how = r.status === 'early-stopped' ? `stopped early at step ${formatCount(r.step)}` : 'trained';
      const accuracy = r.modelEval
        ? `held-out accuracy ${formatPercent(r.modelEval.accuracy)}`
        : 'no held-out pairs to measure accuracy on';
      const baseline =
        r.modelEval && r.evalLengthBaseline !== null
          ? ` (length-only baseline ${formatPercent(r.evalLengthBaseline)})`
          : '';
      const verdict =
        r.modelEval && r.evalLengthBaseline !== null && r.modelEval.accuracy <= r.evalLengthBaseline
          ? ' — no better than picking the longer response.'
          : '.';
      return `Reward model ${how} on ${file}: ${accuracy}${baseline}${verdict}`;
    }
    case 'cancelled':
      return `Training on ${file} cancelled at step ${formatCount(r.step)}${
        state.totalSteps !== null ? ` of ${formatCount(state.totalSteps)}` : ''
      }; a checkpoint to resume from is in ${state.outDir}.`;
    case 'failed':
      return `Training on ${file} failed: ${r.message ?? 'unknown error'}`;
  }
}

const DATA_SUFFIX = /\.(jsonl\.gz|jsonl|json)$/i;

/** "train.jsonl.gz" → "train". */
export function dataFileStem(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = base.replace(DATA_SUFFIX, '');
  return stem.length > 0 ? stem : base;
}

/** A run's folder name: `<data-file-stem>-<YYYYMMDD-HHMMSS>` (local time), characters safe on every OS. */
export function runFolderName(dataFile: string, date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp =
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  const stem = dataFileStem(dataFile)
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_')
    .slice(0, 80);
  return `${stem}-${stamp}`;
}

export function providerLabel(provider: string): string {
  switch (provider) {
    case 'cpu':
      return 'CPU';
    case 'cuda':
      return 'CUDA';
    case 'webgpu':
      return 'WebGPU';
    default:
      return provider;
  }
}

const countFormat = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return countFormat.format(n);
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** Three significant digits, exponent form for tiny or huge values: 0.612, 12.3, 3.00e-4. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return value.toExponential(2);
  return Number(value.toPrecision(3)).toString();
}

/** 42 s, 3 min 5 s, 2 h 10 min. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
