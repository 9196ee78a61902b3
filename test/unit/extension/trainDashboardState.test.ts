// The dashboard's state, folded from a run's events: what each event shows, how a run ends (done,
// error, crash, cancel), replays of metrics.jsonl, and the invariant the reopen-mid-run behaviour rests
// on: a snapshot taken at any point plus the patches after it equals the host's state.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { TrainEvent } from '../../../src/core/train/events';
import {
  applyEvent,
  describeExit,
  initialDashboardState,
  patchForCancelRequest,
  patchForExit,
  replayEvents,
} from '../../../src/extension/train/dashboardState';
import { historyBeforeResume, dataFileOf } from '../../../src/extension/train/trainRun';
import { applyTrainPatch, type TrainDashboardState } from '../../../src/protocol/train';
import {
  DATA_FILE,
  OUT_DIR,
  cancelledRun,
  checkpointEvent,
  completedRun,
  evalEvent,
  startEvent,
  stepEvent,
} from './trainFixtures';

const RUN = { runId: 'run-1', dataFile: DATA_FILE, outDir: OUT_DIR };

function fresh(live = true): TrainDashboardState {
  return initialDashboardState(RUN, live);
}

test('a new live run is starting, with empty curves', () => {
  const s = fresh();
  assert.equal(s.status, 'starting');
  assert.equal(s.live, true);
  assert.equal(s.dataFileName, 'train.jsonl');
  assert.equal(s.step, 0);
  assert.equal(s.totalSteps, null);
  assert.ok(Object.values(s.series).every((points) => points.length === 0));
});

test('phases show as the current activity; the start event fills the header', () => {
  const s = fresh();
  applyEvent(s, { type: 'phase', phase: 'tokenizing', message: 'tokenizing (max 64 tokens)' });
  assert.equal(s.phase, 'tokenizing (max 64 tokens)');
  applyEvent(s, startEvent());
  assert.equal(s.status, 'running');
  assert.equal(s.provider, 'cpu');
  assert.equal(s.providerNote, 'Running on CPU (auto).');
  assert.deepEqual(s.pairs, { train: 90, eval: 10 });
  assert.deepEqual(s.parameters, { total: 24448, trainable: 24448 });
  assert.equal(s.totalSteps, 12);
  assert.equal(s.learningRate, 0.001);
  assert.equal(s.evalLengthBaseline, 0.6);
  assert.equal(s.exportModel, 'best');
  assert.match(s.configSummary ?? '', /^built-in 4 layers × 256 \(4 heads\) · trains all · batch 8 · 1 epoch · max 512 tokens$/);
});

test('step events extend the train curves and the header; eval events the eval curves', () => {
  const s = fresh();
  applyEvent(s, startEvent());
  const patch = applyEvent(s, stepEvent(1));
  assert.deepEqual(patch.append?.trainLoss, [[1, stepEvent(1).loss]]);
  applyEvent(s, stepEvent(2));
  assert.deepEqual(
    s.series.trainLoss.map(([step]) => step),
    [1, 2],
  );
  assert.deepEqual(s.series.trainAccuracy, [
    [1, stepEvent(1).accuracy],
    [2, stepEvent(2).accuracy],
  ]);
  assert.deepEqual(s.series.trainMargin, [
    [1, stepEvent(1).rewardMargin],
    [2, stepEvent(2).rewardMargin],
  ]);
  assert.deepEqual(s.series.gradNorm, [
    [1, 1],
    [2, 0.5],
  ]);
  assert.equal(s.series.learningRate.length, 2);
  assert.equal(s.series.tokensPerSecond.length, 2);
  assert.equal(s.step, 2);
  assert.equal(s.etaSeconds, 5);
  assert.equal(s.tokensPerSecond, 10_002);
  assert.equal(s.series.evalLoss.length, 0);

  const ev = evalEvent(2, { best: true });
  applyEvent(s, ev);
  assert.deepEqual(s.series.evalLoss, [[2, ev.loss]]);
  assert.deepEqual(s.series.evalAccuracy, [[2, ev.accuracy]]);
  assert.deepEqual(s.series.evalMargin, [[2, ev.rewardMargin]]);
  assert.equal(s.bestEval?.step, 2);
  applyEvent(s, evalEvent(4, { best: false, loss: 0.9 }));
  assert.equal(s.lastEval?.step, 4);
  assert.equal(s.bestEval?.step, 2, 'an evaluation that is not the best leaves bestEval');
});

test('non-finite values are not plotted, and a non-finite loss is a warning', () => {
  const s = fresh();
  applyEvent(s, startEvent());
  applyEvent(s, stepEvent(1, { loss: Number.NaN, gradNorm: Number.POSITIVE_INFINITY }));
  // JSON carries NaN as null: the reducer must cope with that as well.
  applyEvent(s, stepEvent(2, { loss: null as unknown as number }));
  assert.equal(s.series.trainLoss.length, 0);
  assert.equal(s.series.gradNorm.length, 1);
  assert.equal(s.warnings.length, 2);
  assert.match(s.warnings[0], /Step 1: the training loss is not a finite number/);
});

test('warnings from log events are kept (the latest 20); info lines are not', () => {
  const s = fresh();
  applyEvent(s, { type: 'log', level: 'info', message: 'hello' });
  assert.deepEqual(s.warnings, []);
  for (let i = 0; i < 25; i++) applyEvent(s, { type: 'log', level: 'warning', message: `w${i}` });
  assert.equal(s.warnings.length, 20);
  assert.equal(s.warnings[0], 'w5');
  assert.equal(s.warnings[19], 'w24');
});

test('a completed run: the result holds the exported model’s evaluation beside the baseline', () => {
  const s = replayEvents(RUN, completedRun(), true);
  assert.equal(s.status, 'completed');
  assert.equal(s.phase, null);
  assert.equal(s.series.trainLoss.length, 12);
  assert.equal(s.series.evalLoss.length, 2);
  assert.deepEqual(s.lastCheckpoint, { step: 12, reason: 'end', dir: `${OUT_DIR}/checkpoints/last` });
  const r = s.result;
  assert.ok(r);
  assert.equal(r.status, 'completed');
  assert.equal(r.modelFile, `${OUT_DIR}/reward-model.onnx`);
  assert.equal(r.exportModel, 'best');
  assert.equal(r.modelEval?.step, 6, 'exportModel best: the best evaluation');
  assert.equal(r.evalLengthBaseline, 0.6);
  assert.equal(r.resumable, false);
  assert.equal(s.live, true, 'still attached until the process exits');
  applyTrainPatch(s, patchForExit(s, { code: 0, signal: null }));
  assert.equal(s.live, false);
  assert.equal(s.status, 'completed', 'a clean exit after done changes nothing else');
});

test('exportModel last: the result shows the last evaluation', () => {
  const events = completedRun().map((e) =>
    e.type === 'start' ? startEvent({ config: { ...e.config, exportModel: 'last' } }) : e,
  );
  const s = replayEvents(RUN, events);
  assert.equal(s.result?.exportModel, 'last');
  assert.equal(s.result?.modelEval?.step, 12);
});

test('cancel: cancelling while the checkpoint is written, then cancelled and resumable', () => {
  const s = fresh();
  const [start, ...rest] = cancelledRun();
  applyEvent(s, start);
  for (const e of rest.slice(0, 3)) applyEvent(s, e);
  applyTrainPatch(s, patchForCancelRequest(s));
  assert.equal(s.status, 'cancelling');
  // A step the process reports before it notices the cancel does not make it "running" again.
  applyEvent(s, stepEvent(4));
  assert.equal(s.status, 'cancelling');
  for (const e of rest.slice(4)) applyEvent(s, e);
  assert.equal(s.status, 'cancelled');
  assert.equal(s.result?.resumable, true);
  assert.equal(s.result?.resumeCommand, `reward-studio train --resume ${OUT_DIR}`);
  assert.equal(s.result?.modelFile, null);
  applyTrainPatch(s, patchForExit(s, { code: 130, signal: null }));
  assert.equal(s.status, 'cancelled');
  assert.equal(s.live, false);
});

test('a cancel request after the end, or for a finished run, changes nothing', () => {
  const s = replayEvents(RUN, completedRun(), false);
  assert.deepEqual(patchForCancelRequest(s), {});
});

test('an error event fails the run with its message and code', () => {
  const s = fresh();
  applyEvent(s, { type: 'phase', phase: 'reading', message: 'reading' });
  applyEvent(s, { type: 'error', code: 'data', message: '/data/train.jsonl: no such file' });
  assert.equal(s.status, 'failed');
  assert.equal(s.result?.message, '/data/train.jsonl: no such file');
  assert.equal(s.result?.errorCode, 'data');
  applyTrainPatch(s, patchForExit(s, { code: 1, signal: null }));
  assert.equal(s.result?.errorCode, 'data', 'the exit after an error event keeps the error');
});

test('a crash (exit without done or error, or a signal) fails the run with how it ended and its last words', () => {
  const s = fresh();
  applyEvent(s, startEvent());
  applyEvent(s, stepEvent(1));
  applyTrainPatch(s, patchForExit(s, { code: null, signal: 'SIGKILL', lastLog: ['step 1/12', 'Segmentation fault', ''] }));
  assert.equal(s.status, 'failed');
  assert.equal(s.live, false);
  assert.equal(s.result?.errorCode, 'crash');
  assert.equal(s.result?.step, 1);
  assert.equal(
    s.result?.message,
    'The training process was killed by SIGKILL without reporting an error. Its last words: Segmentation fault',
  );
  assert.equal(s.series.trainLoss.length, 1, 'the curves so far stay');
});

test('describeExit names each way a process ends', () => {
  assert.match(describeExit({ code: 134, signal: null }), /exited with code 134 without reporting an error\.$/);
  assert.match(describeExit({ code: null, signal: 'SIGSEGV' }), /killed by SIGSEGV/);
  assert.match(describeExit({ code: null, signal: 'SIGKILL', killedAfterCancel: true }), /did not stop within the grace period/);
  assert.match(describeExit({ code: null, signal: null, startError: 'spawn EACCES' }), /could not start: spawn EACCES/);
  assert.match(describeExit({ code: 130, signal: null }), /interrupted before it could report its checkpoint/);
});

test('a process that could not start fails with code "start"', () => {
  const s = fresh();
  applyTrainPatch(s, patchForExit(s, { code: null, signal: null, startError: '/x/dist/cli.js is missing' }));
  assert.equal(s.result?.errorCode, 'start');
  assert.match(s.result?.message ?? '', /cli\.js is missing/);
});

test('a snapshot at any point plus the later patches equals the host state (the reopened dashboard)', () => {
  const events: TrainEvent[] = completedRun();
  for (let cut = 0; cut <= events.length; cut++) {
    const host = fresh();
    for (const e of events.slice(0, cut)) applyEvent(host, e);
    // What a reopened dashboard receives: a copy of the state (postMessage clones), then the patches.
    const webview = structuredClone(host);
    for (const e of events.slice(cut)) applyTrainPatch(webview, structuredClone(applyEvent(host, e)));
    assert.deepEqual(webview, host, `snapshot after ${cut} events`);
  }
});

test('the start event of a resumed run keeps its step; its header names the run’s data file', () => {
  const s = initialDashboardState({ runId: 'r2', dataFile: OUT_DIR, outDir: OUT_DIR }, true);
  applyEvent(s, startEvent({ resumedFromStep: 5 }));
  assert.equal(s.step, 5);
  assert.equal(s.resumedFromStep, 5);
  assert.equal(s.dataFile, DATA_FILE);
  assert.equal(s.dataFileName, 'train.jsonl');
});

test('historyBeforeResume keeps the curves up to the last resumable checkpoint, each step once', () => {
  const first = cancelledRun(); // steps 1..5, checkpoint 5 (cancel)
  assert.deepEqual(
    historyBeforeResume(first).map((e) => (e.type === 'step' ? e.step : -1)),
    [1, 2, 3, 4, 5],
  );
  // Steps after the checkpoint (a crash after step 7) are not in checkpoints/last: they are dropped.
  const crashed: TrainEvent[] = [startEvent(), ...[1, 2, 3].map((s) => stepEvent(s)), checkpointEvent(3, 'interval'), checkpointEvent(3, 'best'), ...[4, 5].map((s) => stepEvent(s)), checkpointEvent(5, 'best')];
  assert.deepEqual(
    historyBeforeResume(crashed).map((e) => e.type === 'step' && e.step),
    [1, 2, 3],
  );
  // A folder resumed once already holds steps 4..5 twice (the first stretch and the resumed one).
  const twice: TrainEvent[] = [...first, startEvent({ resumedFromStep: 5 }), ...[6, 7].map((s) => stepEvent(s)), checkpointEvent(7, 'cancel')];
  const again = [...first.slice(0, 4), ...twice];
  const steps = historyBeforeResume(again).filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.step : 0));
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(historyBeforeResume([startEvent(), stepEvent(1)]), [], 'no checkpoint: nothing to resume from');
  assert.equal(dataFileOf(first), DATA_FILE);
  assert.equal(dataFileOf([]), undefined);
});
