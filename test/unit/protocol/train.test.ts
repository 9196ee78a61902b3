// The training dashboard's protocol: the host's validator for webview messages, and the patch functions
// both sides use (a dashboard holding snapshot + patches must hold what the host holds).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  SERIES_NAMES,
  applyTrainPatch,
  emptySeries,
  mergeTrainPatches,
  parseTrainWebviewMessage,
  type TrainDashboardPatch,
} from '../../../src/protocol/train';
import { initialDashboardState } from '../../../src/extension/train/dashboardState';

test('accepts each well-formed webview message, as a fresh object with only the known fields', () => {
  assert.deepEqual(parseTrainWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseTrainWebviewMessage({ type: 'cancel', runId: 'r1', extra: 'x' }), { type: 'cancel', runId: 'r1' });
  assert.deepEqual(parseTrainWebviewMessage({ type: 'resume', runId: 'r1' }), { type: 'resume', runId: 'r1' });
  for (const target of ['model', 'log', 'outDir', 'dataFile']) {
    assert.deepEqual(parseTrainWebviewMessage({ type: 'open', runId: 'r1', target, path: '/etc/passwd' }), {
      type: 'open',
      runId: 'r1',
      target,
    });
  }
});

test('rejects malformed messages', () => {
  for (const bad of [
    undefined,
    null,
    'ready',
    [],
    { type: 'runShell', command: 'rm -rf /' },
    { type: 'cancel' },
    { type: 'cancel', runId: '' },
    { type: 'cancel', runId: 42 },
    { type: 'cancel', runId: 'x'.repeat(201) },
    { type: 'open', runId: 'r1', target: '/etc/passwd' },
    { type: 'open', runId: 'r1' },
    { type: 'resume', runId: ['r1'] },
  ]) {
    assert.equal(parseTrainWebviewMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('emptySeries has every series, empty', () => {
  const series = emptySeries();
  assert.deepEqual(Object.keys(series).sort(), [...SERIES_NAMES].sort());
  for (const name of SERIES_NAMES) assert.deepEqual(series[name], []);
});

test('applyTrainPatch sets fields and appends points in place', () => {
  const state = initialDashboardState({ runId: 'r', dataFile: '/d/train.jsonl', outDir: '/o' }, true);
  const returned = applyTrainPatch(state, { set: { step: 3, totalSteps: 10 }, append: { trainLoss: [[3, 0.6]] } });
  assert.equal(returned, state);
  assert.equal(state.step, 3);
  assert.equal(state.totalSteps, 10);
  applyTrainPatch(state, { append: { trainLoss: [[4, 0.5]], evalLoss: [] } });
  assert.deepEqual(state.series.trainLoss, [
    [3, 0.6],
    [4, 0.5],
  ]);
  assert.deepEqual(state.series.evalLoss, []);
});

test('merged patches apply like the patches one after another', () => {
  const patches: TrainDashboardPatch[] = [
    { set: { step: 1, status: 'running' }, append: { trainLoss: [[1, 0.7]], gradNorm: [[1, 2]] } },
    { set: { phase: 'training' } },
    { set: { step: 2 }, append: { trainLoss: [[2, 0.65]] } },
    { append: { evalLoss: [[2, 0.66]] } },
  ];
  const oneByOne = initialDashboardState({ runId: 'r', dataFile: '/d/a.jsonl', outDir: '/o' }, true);
  for (const p of patches) applyTrainPatch(oneByOne, p);
  const merged = patches.reduce<TrainDashboardPatch>((into, p) => mergeTrainPatches(into, p), {});
  const atOnce = applyTrainPatch(initialDashboardState({ runId: 'r', dataFile: '/d/a.jsonl', outDir: '/o' }, true), merged);
  assert.deepEqual(atOnce, oneByOne);
  // Merging never shares arrays with the patches it was given.
  assert.notEqual(merged.append?.trainLoss, patches[0].append?.trainLoss);
});
