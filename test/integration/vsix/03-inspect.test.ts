// The packaged VSIX scores in the editor: its dist/scoreServer.js (the production bundle) runs as the
// score server with the VSIX's own onnxruntime-node and tokenizers, and CodeLens appear on the records.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { extension, workspaceDir } from '../lib/host';

suite('Installed VSIX: inspection', function () {
  this.timeout(180_000);

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('rewardStudio.inspect.selectModel', null);
  });

  test('an active model puts rewards above the records of an open JSONL file', async () => {
    const root = extension().extensionPath;
    assert.ok(existsSync(join(root, 'dist', 'scoreServer.js')), 'the VSIX carries dist/scoreServer.js, the score server');
    const file = join(workspaceDir(), 'vsix-inspect', 'pairs.jsonl');
    const model = join(workspaceDir(), 'vsix-inspect', 'model');
    mkdirSync(dirname(file), { recursive: true });
    const cli = (...args: string[]): void => {
      execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: 'pipe' });
    };
    cli('synth', '--out', file, '--n', '60', '--seed', '3');
    cli('train', '--data', file, '--out', model, '--d-model', '16', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '96', '--epochs', '1', '--provider', 'cpu');
    const loaded = await vscode.commands.executeCommand<{ dir: string } | undefined>('rewardStudio.inspect.selectModel', vscode.Uri.file(model));
    assert.equal(loaded?.dir, model);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
      const titles = lenses.map((l) => l.command?.title ?? '').filter((t) => t.startsWith('r(chosen) '));
      if (titles.length >= 50) break;
      if (Date.now() > deadline) throw new Error(`no CodeLens: ${JSON.stringify(titles.slice(0, 3))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
