// Restricted Mode: training and inspection are disabled. The commands say why instead of starting anything,
// no output folder appears, and no score server starts.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { GOOD_LINES, workspaceDir, writeWorkspaceFile } from '../lib/host';

suite('Restricted Mode: training', () => {
  test('"Train Reward Model" starts nothing', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const uri = writeWorkspaceFile('restricted/train.jsonl', GOOD_LINES.join('\n') + '\n');
    const run = await vscode.commands.executeCommand('rewardStudio.trainRewardModel', uri);
    assert.equal(run, undefined);
    assert.equal(existsSync(join(workspaceDir(), '.reward-studio')), false, 'an output folder was created');
    assert.equal(await vscode.commands.executeCommand('rewardStudio.internal.trainingStatus'), undefined);
  });

  test('"Resume Training…" starts nothing', async () => {
    const run = await vscode.commands.executeCommand('rewardStudio.resumeTraining', vscode.Uri.file(join(workspaceDir(), 'restricted')));
    assert.equal(run, undefined);
    assert.equal(await vscode.commands.executeCommand('rewardStudio.internal.trainingStatus'), undefined);
  });
});

suite('Restricted Mode: inspection', () => {
  test('no model loads and nothing is scored', async () => {
    const dir = join(workspaceDir(), 'restricted', 'model');
    const loaded = await vscode.commands.executeCommand('rewardStudio.inspect.selectModel', vscode.Uri.file(dir));
    assert.equal(loaded, undefined);
    const status = await vscode.commands.executeCommand<{ model: unknown; server: { pid: number | null; starts: number } }>('rewardStudio.internal.inspectStatus');
    assert.equal(status.model, null);
    assert.equal(status.server.starts, 0, 'no score server was started');
    assert.equal(await vscode.commands.executeCommand('rewardStudio.inspect.scoreSelection'), undefined);
  });
});
