// "Show Preference Data Stats": one webview panel per file, revealed (not duplicated) when asked again.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { GOOD_LINES, allTabs, closeAllEditors, waitFor, writeWorkspaceFile } from '../lib/host';

function statsTabs(): vscode.Tab[] {
  return allTabs().filter(
    (t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('rewardStudio.stats'),
  );
}

suite('Stats panel', () => {
  suiteSetup(closeAllEditors);
  suiteTeardown(closeAllEditors);

  test('opens a webview panel titled after the file', async () => {
    const uri = writeWorkspaceFile('stats/first.jsonl', GOOD_LINES.join('\n') + '\n');
    await vscode.commands.executeCommand('rewardStudio.showStats', uri);
    const tab = await waitFor('a stats tab', () => statsTabs()[0]);
    assert.equal(tab.label, 'Stats: first.jsonl');
    assert.ok(tab.isActive);
  });

  test('asking again for the same file reveals its panel instead of opening a second', async () => {
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'stats', 'first.jsonl');
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await vscode.commands.executeCommand('rewardStudio.showStats', uri);
    await waitFor('the stats tab to be active again', () => (statsTabs()[0]?.isActive ? true : undefined));
    assert.equal(statsTabs().length, 1);
  });

  test('another file gets its own panel', async () => {
    const uri = writeWorkspaceFile('stats/second.jsonl', GOOD_LINES.slice(0, 2).join('\n') + '\n');
    await vscode.commands.executeCommand('rewardStudio.showStats', uri);
    await waitFor('two stats tabs', () => (statsTabs().length === 2 ? true : undefined));
    assert.deepEqual(
      statsTabs()
        .map((t) => t.label)
        .sort(),
      ['Stats: first.jsonl', 'Stats: second.jsonl'],
    );
  });

  test('closing a panel disposes it: the command opens a fresh one', async () => {
    const [first] = statsTabs().filter((t) => t.label === 'Stats: first.jsonl');
    await vscode.window.tabGroups.close(first);
    assert.equal(statsTabs().length, 1);
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'stats', 'first.jsonl');
    await vscode.commands.executeCommand('rewardStudio.showStats', uri);
    await waitFor('the reopened tab', () => (statsTabs().length === 2 ? true : undefined));
  });
});
