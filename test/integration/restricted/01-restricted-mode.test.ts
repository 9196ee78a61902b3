// Restricted Mode: the workspace is not trusted. The manifest declares limited support, so the extension
// still activates, and reading and validating data still work. (The description VS Code shows for it is
// checked in the browser: test/e2e.)
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import {
  BAD_FILE,
  allTabs,
  closeAllEditors,
  extension,
  rewardStudioDiagnostics,
  waitFor,
  writeWorkspaceFile,
} from '../lib/host';
import { say } from '../lib/output';

interface Capabilities {
  untrustedWorkspaces?: { supported: boolean | 'limited'; description?: string };
}

suite('Restricted Mode', () => {
  suiteTeardown(closeAllEditors);

  test('the workspace is untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('the manifest declares limited support, with a description of what still works', () => {
    const { capabilities } = extension().packageJSON as { capabilities: Capabilities };
    assert.equal(capabilities.untrustedWorkspaces?.supported, 'limited');
    assert.match(capabilities.untrustedWorkspaces?.description ?? '', /Restricted Mode.*validates/);
  });

  test('the extension activates in Restricted Mode', async () => {
    const ext = extension();
    const start = performance.now();
    await ext.activate();
    say(`activation (Restricted Mode): ${(performance.now() - start).toFixed(0)} ms`);
    assert.ok(ext.isActive);
  });

  test('validation works and reports at the exact positions', async () => {
    const uri = writeWorkspaceFile('restricted/bad.jsonl', BAD_FILE.content);
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    const got = rewardStudioDiagnostics(uri).map((d) => [
      d.range.start.line,
      d.range.start.character,
      d.code,
    ]);
    assert.deepEqual(
      got,
      BAD_FILE.expected.map((e) => [e.line, e.character, e.code]),
    );
  });

  test('the stats panel opens', async () => {
    const uri = writeWorkspaceFile('restricted/stats.jsonl', BAD_FILE.content);
    await vscode.commands.executeCommand('rewardStudio.showStats', uri);
    await waitFor('a stats tab', () => allTabs().find((t) => t.label === 'Stats: stats.jsonl'));
  });
});
