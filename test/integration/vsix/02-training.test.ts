// The packaged VSIX trains: its dist/cli.js (the production bundle) runs as the training process and
// loads the VSIX's own onnxruntime-node and tokenizers. A tiny model on a small synthetic file.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { extension, workspaceDir } from '../lib/host';

interface Status {
  runId: string;
  live: boolean;
  status: string;
  step: number;
  exit?: { code: number | null };
  result: { message: string | null } | null;
}

const TINY: Record<string, unknown> = {
  'builtin.dModel': 32,
  'builtin.nLayers': 1,
  'builtin.nHeads': 2,
  tokenizerVocabSize: 300,
  maxLength: 128,
};

suite('Installed VSIX: training', function () {
  this.timeout(180_000);

  suiteTeardown(async () => {
    for (const key of Object.keys(TINY)) {
      await vscode.workspace.getConfiguration('rewardStudio.train').update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('"Train Reward Model" runs the packaged CLI and writes a model', async () => {
    const cli = join(extension().extensionPath, 'dist', 'cli.js');
    assert.ok(existsSync(cli), 'the VSIX carries dist/cli.js, the training process');
    const file = join(workspaceDir(), 'vsix-training', 'pairs.jsonl');
    mkdirSync(dirname(file), { recursive: true });
    execFileSync(process.execPath, [cli, 'synth', '--out', file, '--n', '200', '--seed', '5'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: 'pipe',
    });
    for (const [key, value] of Object.entries(TINY)) {
      await vscode.workspace.getConfiguration('rewardStudio.train').update(key, value, vscode.ConfigurationTarget.Workspace);
    }
    const run = await vscode.commands.executeCommand<{ runId: string; outDir: string }>('rewardStudio.trainRewardModel', vscode.Uri.file(file));
    assert.ok(run);
    const deadline = Date.now() + 150_000;
    let s: Status | undefined;
    for (;;) {
      s = await vscode.commands.executeCommand<Status | undefined>('rewardStudio.internal.trainingStatus');
      if (s && s.runId === run.runId && !s.live) break;
      if (Date.now() > deadline) throw new Error(`the run did not end: ${JSON.stringify(s)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(s.status, 'completed', s.result?.message ?? '');
    assert.equal(s.exit?.code, 0);
    for (const f of ['reward-model.onnx', 'reward-model.json', 'tokenizer.json', 'metrics.jsonl', 'train.log']) {
      assert.ok(existsSync(join(run.outDir, f)), `${f} is missing`);
    }
  });
});
