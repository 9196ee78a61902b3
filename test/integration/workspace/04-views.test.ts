// The contributed container, view and their commands. (What the view lists is checked in the browser,
// test/e2e: a tree view's items are not readable through the API from another extension.)
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { VIEW_IDS } from '../../../src/extension/commandIds';
import { extension } from '../lib/host';

interface ViewsContribution {
  viewsContainers: { activitybar: Array<{ id: string; title: string }> };
  views: Record<string, Array<{ id: string; name: string }>>;
}

suite('Preference Data view', () => {
  test('the activity-bar container holds the Preference Data view', () => {
    const c = (extension().packageJSON as { contributes: ViewsContribution }).contributes;
    assert.deepEqual(
      c.viewsContainers.activitybar.map((v) => v.id),
      ['rewardStudio'],
    );
    assert.deepEqual(
      c.views.rewardStudio.map((v) => [v.id, v.name]),
      [
        ['rewardStudio.datasets', 'Preference Data'],
        ['rewardStudio.annotation', 'Annotation'],
      ],
    );
    assert.deepEqual([...VIEW_IDS], ['rewardStudio.datasets', 'rewardStudio.annotation']);
  });

  test('the view opens in the workbench, and refresh runs', async () => {
    // Commands VS Code generates for a contributed container and view: they exist only if both registered.
    await vscode.commands.executeCommand('workbench.view.extension.rewardStudio');
    await vscode.commands.executeCommand('rewardStudio.datasets.focus');
    await vscode.commands.executeCommand('rewardStudio.refreshDatasets');
    const all = await vscode.commands.getCommands(true);
    assert.ok(all.includes('rewardStudio.datasets.focus'));
  });
});
