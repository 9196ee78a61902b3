// "Train Reward Model" end to end in the extension host: the command runs the real CLI (dist/cli.js
// train --json) as a child process on a small synthetic file with a tiny model set through workspace
// settings, and leaves the output folder the contract names. Also: a bad setting stops the command
// before anything starts; Cancel leaves a checkpoint that Resume continues; a killed training process is
// reported as a crash while this extension host carries on; a second start does not start a second run.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { allTabs, closeAllEditors, extension, waitFor, workspaceDir } from '../lib/host';
import { say } from '../lib/output';

/** What rewardStudio.internal.trainingStatus returns (src/extension/train/trainingManager.ts). */
interface TrainingStatus {
  runId: string;
  status: string;
  live: boolean;
  dataFile: string;
  outDir: string;
  step: number;
  totalSteps: number | null;
  pid?: number;
  exit?: { code: number | null; signal: string | null; killedAfterCancel?: boolean };
  result: {
    status: string;
    modelFile: string | null;
    modelEval: { accuracy: number } | null;
    evalLengthBaseline: number | null;
    resumable: boolean;
    message: string | null;
    errorCode: string | null;
  } | null;
  points: Record<string, number>;
}

interface Started {
  runId: string;
  outDir: string;
}

/** The tiny model every run here trains: seconds, not minutes, on a 2-core machine. */
const TINY: Record<string, unknown> = {
  'builtin.dModel': 32,
  'builtin.nLayers': 1,
  'builtin.nHeads': 2,
  tokenizerVocabSize: 300,
  maxLength: 128,
};

const TRAIN_TIMEOUT_MS = 150_000;

function trainSettings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('rewardStudio.train');
}

async function setSettings(values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await trainSettings().update(key, value, vscode.ConfigurationTarget.Workspace);
  }
}

async function status(): Promise<TrainingStatus | undefined> {
  return vscode.commands.executeCommand<TrainingStatus | undefined>('rewardStudio.internal.trainingStatus');
}

async function waitForStatus(what: string, probe: (s: TrainingStatus) => boolean, timeoutMs = TRAIN_TIMEOUT_MS): Promise<TrainingStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (s && probe(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last status ${JSON.stringify(s)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The CLI the extension runs, run the same way (the extension host's own executable as Node). */
function cli(...args: string[]): string {
  return execFileSync(process.execPath, [join(extension().extensionPath, 'dist', 'cli.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

function events(outDir: string): Array<{ type: string; [key: string]: unknown }> {
  return readFileSync(join(outDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as { type: string });
}

function dashboardTabs(): vscode.Tab[] {
  return allTabs().filter(
    (t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('rewardStudio.trainingDashboard'),
  );
}

suite('Training', function () {
  this.timeout(TRAIN_TIMEOUT_MS + 30_000);
  let data: vscode.Uri;
  let modelsRoot: string;

  suiteSetup(async () => {
    const file = join(workspaceDir(), 'training', 'pairs.jsonl');
    mkdirSync(dirname(file), { recursive: true });
    cli('synth', '--out', file, '--n', '200', '--seed', '5');
    data = vscode.Uri.file(file);
    modelsRoot = join(workspaceDir(), '.reward-studio', 'models');
    await setSettings(TINY);
  });

  suiteTeardown(async () => {
    // Nothing may keep running after the suite.
    const s = await status();
    if (s?.live) {
      await vscode.commands.executeCommand('rewardStudio.cancelTraining');
      await waitForStatus('the last run to stop', (x) => !x.live, 30_000).catch(() => undefined);
    }
    for (const key of [...Object.keys(TINY), 'epochs', 'batchSize']) {
      await trainSettings().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    await closeAllEditors();
  });

  test('the command trains through the CLI and writes the output folder', async () => {
    const started = Date.now();
    const run = await vscode.commands.executeCommand<Started | undefined>('rewardStudio.trainRewardModel', data);
    assert.ok(run, 'the command started no run');
    assert.equal(dirname(run.outDir), modelsRoot, 'runs go to .reward-studio/models in the workspace folder');
    assert.match(basename(run.outDir), /^pairs-\d{8}-\d{6}$/);
    await waitFor('the training dashboard to open', () => dashboardTabs()[0]);

    const s = await waitForStatus('the run to end', (x) => x.runId === run.runId && !x.live);
    say(`training: tiny model, ${s.step} steps, ${((Date.now() - started) / 1000).toFixed(1)} s from the command to the exit`);
    assert.equal(s.status, 'completed', JSON.stringify(s.result));
    assert.equal(s.exit?.code, 0);
    assert.ok(s.pid !== undefined && s.pid !== process.pid, 'training ran in its own process');
    assert.equal(s.points.trainLoss, s.step, 'one loss point per step (logSteps 1)');
    assert.ok(s.points.evalLoss >= 1, 'at least the end-of-epoch evaluation');

    const out = run.outDir;
    for (const f of ['reward-model.onnx', 'reward-model.json', 'tokenizer.json', 'tokenizer_config.json', 'train.log', 'metrics.jsonl', 'train-config.json', 'resolved-config.json']) {
      assert.ok(existsSync(join(out, f)), `${f} is missing from ${out}: ${readdirSync(out).join(', ')}`);
    }
    assert.ok(statSync(join(out, 'reward-model.onnx')).size > 10_000);
    assert.ok(existsSync(join(out, 'checkpoints', 'last')) && existsSync(join(out, 'checkpoints', 'best')));
    const meta = JSON.parse(readFileSync(join(out, 'reward-model.json'), 'utf8')) as {
      model: { backboneConfig: { dModel: number; nLayers: number; nHeads: number; vocab: number } };
      eval: { lengthBaseline: number; best: { accuracy: number } | null };
      metrics: unknown[];
    };
    // The settings reached the CLI: the model is the tiny one.
    assert.deepEqual(
      { dModel: meta.model.backboneConfig.dModel, nLayers: meta.model.backboneConfig.nLayers, nHeads: meta.model.backboneConfig.nHeads, vocab: meta.model.backboneConfig.vocab },
      { dModel: 32, nLayers: 1, nHeads: 2, vocab: 300 },
    );
    assert.equal(typeof meta.eval.best?.accuracy, 'number');
    assert.equal(typeof meta.eval.lengthBaseline, 'number');
    assert.ok(meta.metrics.length > 0);
    const evs = events(out);
    assert.equal(evs.find((e) => e.type === 'start')?.dataFile, data.fsPath);
    const done = evs.at(-1);
    assert.equal(done?.type, 'done');
    assert.equal(done?.status, 'completed');
    assert.equal(s.result?.modelFile, join(out, 'reward-model.onnx'));
    assert.equal(s.result?.modelEval?.accuracy, meta.eval.best?.accuracy);
    assert.equal(s.result?.evalLengthBaseline, meta.eval.lengthBaseline);
    assert.match(readFileSync(join(out, 'train.log'), 'utf8'), /reading .*pairs\.jsonl/);
  });

  test('a bad setting stops the command before anything starts', async () => {
    const before = readdirSync(modelsRoot).length;
    await setSettings({ batchSize: 0 });
    try {
      const run = await vscode.commands.executeCommand<Started | undefined>('rewardStudio.trainRewardModel', data);
      assert.equal(run, undefined);
      assert.equal(readdirSync(modelsRoot).length, before, 'no run folder was created');
    } finally {
      await trainSettings().update('batchSize', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('Cancel leaves a resumable checkpoint; a second start is refused; Resume continues from the checkpoint', async () => {
    await setSettings({ epochs: 300 });
    const run = await vscode.commands.executeCommand<Started | undefined>('rewardStudio.trainRewardModel', data);
    assert.ok(run);
    await waitForStatus('a few steps', (x) => x.runId === run.runId && x.step >= 3);
    const second = await vscode.commands.executeCommand<Started | undefined>('rewardStudio.trainRewardModel', data);
    assert.equal(second, undefined, 'one run at a time');

    await vscode.commands.executeCommand('rewardStudio.cancelTraining');
    const cancelled = await waitForStatus('the cancelled run to stop', (x) => x.runId === run.runId && !x.live, 60_000);
    assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled.result));
    assert.equal(cancelled.exit?.code, 130);
    assert.ok(!cancelled.exit?.killedAfterCancel, 'it stopped by itself, within the grace period');
    assert.equal(cancelled.result?.resumable, true);
    assert.ok(existsSync(join(run.outDir, 'checkpoints', 'last', 'state.json')));
    const evs = events(run.outDir);
    assert.ok(evs.some((e) => e.type === 'checkpoint' && e.reason === 'cancel'));
    assert.equal(evs.at(-1)?.status, 'cancelled');
    const stoppedAt = cancelled.step;

    const resumed = await vscode.commands.executeCommand<Started | undefined>('rewardStudio.resumeTraining', vscode.Uri.file(run.outDir));
    assert.ok(resumed);
    assert.equal(resumed.outDir, run.outDir);
    const going = await waitForStatus('the resumed run to step on', (x) => x.runId === resumed.runId && x.step > stoppedAt + 1);
    // The curves before the resume are kept: steps 1..stoppedAt, then the new ones.
    assert.ok(going.points.trainLoss >= stoppedAt + 1, JSON.stringify(going.points));
    const start = events(run.outDir).filter((e) => e.type === 'start').at(-1);
    assert.equal(start?.resumedFromStep, stoppedAt);
    await vscode.commands.executeCommand('rewardStudio.cancelTraining');
    const again = await waitForStatus('the resumed run to stop', (x) => x.runId === resumed.runId && !x.live, 60_000);
    assert.equal(again.status, 'cancelled');
  });

  test('a training process that dies is reported as a crash; the extension host carries on', async () => {
    await setSettings({ epochs: 300 });
    const run = await vscode.commands.executeCommand<Started | undefined>('rewardStudio.trainRewardModel', data);
    assert.ok(run);
    const s = await waitForStatus('a step', (x) => x.runId === run.runId && x.step >= 1);
    assert.ok(s.pid);
    process.kill(s.pid, 'SIGKILL');
    const crashed = await waitForStatus('the crash to be noticed', (x) => x.runId === run.runId && !x.live, 30_000);
    assert.equal(crashed.status, 'failed');
    assert.equal(crashed.result?.errorCode, 'crash');
    assert.equal(crashed.exit?.signal, 'SIGKILL');
    assert.match(crashed.result?.message ?? '', /killed by SIGKILL/);
    // Still here, and still working: the next command runs.
    assert.ok(extension().isActive);
    const shown = await vscode.commands.executeCommand('rewardStudio.showTrainingDashboard');
    assert.equal(shown, undefined);
    await waitFor('the dashboard', () => dashboardTabs()[0]);
  });
});
