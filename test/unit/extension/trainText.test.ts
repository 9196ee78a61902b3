// What the training UI says: status bar, progress notification, the end notification, and run folder names.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { applyEvent, initialDashboardState, patchForCancelRequest, patchForExit, replayEvents } from '../../../src/extension/train/dashboardState';
import {
  dataFileStem,
  endMessage,
  formatDuration,
  formatNumber,
  progressFraction,
  progressMessage,
  runFolderName,
  statusBarText,
  statusBarTooltip,
} from '../../../src/extension/train/trainText';
import { applyTrainPatch } from '../../../src/protocol/train';
import { DATA_FILE, OUT_DIR, cancelledRun, completedRun, doneEvent, evalEvent, startEvent, stepEvent } from './trainFixtures';

const RUN = { runId: 'r', dataFile: DATA_FILE, outDir: OUT_DIR };

test('run folders are <stem>-<YYYYMMDD-HHMMSS>', () => {
  const at = new Date(2026, 10, 22, 9, 5, 7);
  assert.equal(runFolderName('/data/train.jsonl', at), 'train-20261122-090507');
  assert.equal(runFolderName('C:\\data\\hh.jsonl.gz', at), 'hh-20261122-090507');
  assert.equal(runFolderName('/x/export.json', at), 'export-20261122-090507');
  assert.equal(runFolderName('/x/we:ird*name.jsonl', at), 'we_ird_name-20261122-090507');
  assert.equal(dataFileStem('.jsonl'), '.jsonl');
});

test('the status bar: starting, then percent and loss, then cancelling', () => {
  const s = initialDashboardState(RUN, true);
  assert.equal(statusBarText(s), '$(sync~spin) Training: starting…');
  applyEvent(s, startEvent({ totalSteps: 100 }));
  applyEvent(s, stepEvent(34, { totalSteps: 100, loss: 0.6112 }));
  assert.equal(progressFraction(s), 0.34);
  assert.equal(statusBarText(s), '$(sync~spin) Training 34% · loss 0.611');
  assert.match(statusBarTooltip(s), /train\.jsonl[\s\S]*Step 34 of 100[\s\S]*Running on CPU[\s\S]*dashboard/);
  applyTrainPatch(s, patchForCancelRequest(s));
  assert.equal(statusBarText(s), '$(sync~spin) Cancelling training…');
});

test('the progress notification says the step, the loss, the eval accuracy and the time left', () => {
  const s = initialDashboardState(RUN, true);
  applyEvent(s, { type: 'phase', phase: 'tokenizing', message: 'tokenizing (max 64 tokens)' });
  assert.equal(progressMessage(s), 'tokenizing (max 64 tokens)');
  applyEvent(s, startEvent());
  applyEvent(s, stepEvent(6, { etaSeconds: 125 }));
  applyEvent(s, evalEvent(6, { accuracy: 0.701 }));
  assert.equal(progressMessage(s), 'step 6/12 · loss 0.64 · eval accuracy 70.1% · 2 min 5 s left');
});

test('the end notification: accuracy beside the length baseline', () => {
  const s = replayEvents(RUN, completedRun());
  assert.equal(
    endMessage(s),
    'Reward model trained on train.jsonl: held-out accuracy 61.0% (length-only baseline 60.0%).',
  );
  const worse = replayEvents(RUN, [startEvent(), doneEvent({ bestEval: evalEvent(12, { accuracy: 0.55 }), evalLengthBaseline: 0.6 })]);
  assert.match(endMessage(worse), /held-out accuracy 55\.0% \(length-only baseline 60\.0%\) — no better than picking the longer response\.$/);
  const early = replayEvents(RUN, [startEvent(), doneEvent({ status: 'early-stopped', step: 9 })]);
  assert.match(endMessage(early), /^Reward model stopped early at step 9 on train\.jsonl/);
  const noEval = replayEvents(RUN, [startEvent(), doneEvent({ eval: null, bestEval: null, evalLengthBaseline: null })]);
  assert.match(endMessage(noEval), /no held-out pairs to measure accuracy on\.$/);
});

test('the end notification: cancelled and failed runs', () => {
  const cancelled = replayEvents(RUN, cancelledRun());
  assert.equal(
    endMessage(cancelled),
    `Training on train.jsonl cancelled at step 5 of 12; a checkpoint to resume from is in ${OUT_DIR}.`,
  );
  const crashed = initialDashboardState(RUN, true);
  applyTrainPatch(crashed, patchForExit(crashed, { code: null, signal: 'SIGSEGV' }));
  assert.match(endMessage(crashed), /^Training on train\.jsonl failed: The training process was killed by SIGSEGV/);
});

test('numbers and durations', () => {
  assert.equal(formatNumber(0.61234), '0.612');
  assert.equal(formatNumber(12.345), '12.3');
  assert.equal(formatNumber(0.0003), '3.00e-4');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatDuration(42.4), '42 s');
  assert.equal(formatDuration(185), '3 min 5 s');
  assert.equal(formatDuration(7800), '2 h 10 min');
  assert.equal(formatDuration(Number.NaN), '—');
});
