// The launcher and the run, against scripted processes in plain Node (the real CLI runs in the
// extension-host and browser tests): events split across chunks, log lines, cancel over IPC, a process
// that ignores Cancel, crashes, a process that cannot start, and replays of metrics.jsonl.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LineSplitter, TrainProcess } from '../../../src/extension/train/trainProcess';
import { TrainRun, readRunEvents } from '../../../src/extension/train/trainRun';
import type { TrainDashboardPatch } from '../../../src/protocol/train';
import { OUT_DIR, completedRun, startEvent, stepEvent } from './trainFixtures';

const dir = mkdtempSync(join(tmpdir(), 'rs-train-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a CommonJS script that plays a training process; `events` are printed as the CLI prints them. */
function script(name: string, body: string): string {
  const file = join(dir, `${name}.js`);
  writeFileSync(
    file,
    `const emit = (e) => process.stdout.write(JSON.stringify(e) + '\\n');\n` +
      `const start = ${JSON.stringify(startEvent())};\n` +
      `const step = (n) => (${JSON.stringify(stepEvent(1))} && Object.assign(${JSON.stringify(stepEvent(1))}, { step: n, epoch: n / 12 }));\n` +
      body,
  );
  return file;
}

function launch(cliPath: string, grace = 15_000): { run: TrainRun; log: string[]; patches: TrainDashboardPatch[] } {
  const log: string[] = [];
  const patches: TrainDashboardPatch[] = [];
  const run = TrainRun.launch({
    run: { runId: 'r', dataFile: '/data/train.jsonl', outDir: OUT_DIR },
    cliPath,
    args: ['train', '--json'],
    cwd: dir,
    onLog: (line) => log.push(line),
    cancelGraceMs: grace,
  });
  run.onPatch((patch) => patches.push(patch));
  return { run, log, patches };
}

test('LineSplitter: whole lines only, across chunks, with \\r\\n, and the rest at the end', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":'), []);
  assert.deepEqual(s.push('1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(':2}\r\nlast'), ['{"b":2}']);
  assert.deepEqual(s.end(), ['last']);
  assert.deepEqual(s.end(), []);
});

test('events split across writes arrive whole; other stdout and stderr lines go to the log', async () => {
  const cli = script(
    'chunks',
    `const text = JSON.stringify(start) + '\\n';\n` +
      `process.stdout.write(text.slice(0, 40));\n` +
      `setTimeout(() => {\n` +
      `  process.stdout.write(text.slice(40) + 'not an event\\n');\n` +
      `  process.stderr.write('reading data\\npartial');\n` +
      `  emit(step(1)); emit(step(2));\n` +
      `  emit(${JSON.stringify(completedRun().at(-1))});\n` +
      `  process.stderr.write(' line\\n');\n` +
      `}, 50);\n`,
  );
  const { run, log, patches } = launch(cli);
  assert.equal(run.live, true);
  assert.ok(run.pid !== undefined && run.pid !== process.pid);
  const state = await run.finished;
  assert.equal(state.status, 'completed');
  assert.equal(state.live, false);
  assert.equal(state.provider, 'cpu');
  assert.deepEqual(
    state.series.trainLoss.map(([s]) => s),
    [1, 2],
  );
  assert.deepEqual(run.exit?.code, 0);
  assert.deepEqual(log, ['not an event', 'reading data', 'partial line']);
  assert.deepEqual(
    run.events.map((e) => e.type),
    ['start', 'step', 'step', 'done'],
  );
  assert.ok(patches.length >= 5, 'every event and the exit notify the listeners');
});

test('Cancel sends {type: "cancel"} over IPC; the run checkpoints, reports cancelled and exits 130', async () => {
  const cli = script(
    'cancel',
    `emit(start);\n` +
      `let n = 0;\n` +
      `const timer = setInterval(() => emit(step(++n)), 20);\n` +
      `process.on('message', (m) => {\n` +
      `  if (m.type !== 'cancel') return;\n` +
      `  clearInterval(timer);\n` +
      `  process.stderr.write('cancel requested\\n');\n` +
      `  emit({ type: 'checkpoint', step: n, dir: '${OUT_DIR}/checkpoints/last', reason: 'cancel' });\n` +
      `  emit({ type: 'done', status: 'cancelled', outDir: '${OUT_DIR}', step: n, modelFile: null, eval: null, bestEval: null, evalLengthBaseline: 0.6, resumeCommand: 'reward-studio train --resume ${OUT_DIR}', elapsedSeconds: 1 });\n` +
      `  process.exitCode = 130;\n` +
      `  process.channel.unref();\n` +
      `});\n`,
  );
  const { run, log, patches } = launch(cli);
  while (run.state.step < 3) await new Promise((r) => setTimeout(r, 10));
  run.cancel();
  assert.equal(run.state.status, 'cancelling');
  run.cancel(); // a second click does nothing more
  const state = await run.finished;
  assert.equal(state.status, 'cancelled');
  assert.equal(state.result?.resumable, true);
  assert.equal(state.lastCheckpoint?.reason, 'cancel');
  assert.equal(run.exit?.code, 130);
  assert.ok(!run.exit?.killedAfterCancel);
  assert.ok(log.includes('cancel requested'));
  assert.ok(patches.some((p) => p.set?.status === 'cancelling'));
});

test('a process that ignores Cancel is killed after the grace period, and the run says so', async () => {
  const cli = script('stubborn', `emit(start);\nprocess.on('message', () => undefined);\nsetInterval(() => undefined, 1000);\n`);
  const { run } = launch(cli, 300);
  while (run.state.status === 'starting') await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  run.cancel();
  const state = await run.finished;
  assert.ok(Date.now() - started >= 250, 'not killed before the grace period');
  assert.equal(run.exit?.killedAfterCancel, true);
  assert.equal(run.exit?.signal, 'SIGKILL');
  assert.equal(state.status, 'failed');
  assert.match(state.result?.message ?? '', /did not stop within the grace period after Cancel/);
});

test('a crash (killed by a signal mid-run) fails the run; this process is untouched', async () => {
  const cli = script(
    'crash',
    `emit(start); emit(step(1));\nprocess.stderr.write('about to crash\\n');\nsetTimeout(() => process.kill(process.pid, 'SIGKILL'), 50);\n`,
  );
  const { run } = launch(cli);
  const state = await run.finished;
  assert.equal(state.status, 'failed');
  assert.equal(state.result?.errorCode, 'crash');
  assert.equal(run.exit?.signal, 'SIGKILL');
  assert.match(state.result?.message ?? '', /killed by SIGKILL.*Its last words: about to crash/);
  assert.equal(state.series.trainLoss.length, 1);
});

test('an exit with an error code and no event (a usage error) fails with its last stderr line', async () => {
  const cli = script('usage', `process.stderr.write('reward-studio train: train needs --out DIR\\nUsage: …\\n');\nprocess.exitCode = 2;\n`);
  const { run } = launch(cli);
  const state = await run.finished;
  assert.equal(run.exit?.code, 2);
  assert.equal(state.result?.errorCode, 'crash');
  assert.match(state.result?.message ?? '', /exited with code 2 without reporting an error\. Its last words: Usage: …$/);
});

test('an error event, then exit 1: failed with the event’s message', async () => {
  const cli = script('error', `emit({ type: 'error', code: 'data', message: '/data/train.jsonl: no such file' });\nprocess.exitCode = 1;\n`);
  const { run } = launch(cli);
  const state = await run.finished;
  assert.equal(state.result?.errorCode, 'data');
  assert.equal(state.result?.message, '/data/train.jsonl: no such file');
});

test('a missing CLI bundle: the run fails at once with a start error', async () => {
  const proc = TrainProcess.start({
    cliPath: join(dir, 'missing', 'cli.js'),
    args: [],
    cwd: dir,
    onEvent: () => assert.fail('no events'),
    onLog: () => undefined,
  });
  assert.equal(proc.running, false);
  const exit = await proc.exited;
  assert.match(exit.startError ?? '', /cli\.js is missing/);
  proc.cancel(); // harmless
});

test('replay: metrics.jsonl rebuilds a finished run; a file without a final event is reported as interrupted', () => {
  const runDir = join(dir, 'run-folder');
  const events = completedRun();
  const lines = events.map((e) => JSON.stringify(e));
  lines.splice(3, 0, 'garbage line', '{"type": "unknown"}');
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'metrics.jsonl'), lines.join('\n') + '\n');
  const read = readRunEvents(runDir);
  assert.equal(read.length, events.length);
  const replayed = TrainRun.replay({ runId: 'x', dataFile: '/data/train.jsonl', outDir: runDir }, read);
  assert.equal(replayed.live, false);
  assert.equal(replayed.state.status, 'completed');
  assert.equal(replayed.events.length, events.length);
  const cut = TrainRun.replay({ runId: 'y', dataFile: '/data/train.jsonl', outDir: runDir }, read.slice(0, 8));
  assert.equal(cut.state.status, 'failed');
  assert.equal(cut.state.result?.errorCode, 'incomplete');
  assert.equal(cut.state.series.trainLoss.length, 3);
});
