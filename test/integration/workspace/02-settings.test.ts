// Settings: contributed with their defaults, and read per resource when the extension works.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  BAD_FILE,
  GOOD_LINES,
  closeAllEditors,
  extension,
  rewardStudioDiagnostics,
  workspaceDir,
  writeWorkspaceFile,
} from '../lib/host';

interface ConfigurationContribution {
  properties: Record<string, { default: unknown; type: string }>;
}

suite('Settings', () => {
  suiteTeardown(async () => {
    const data = vscode.workspace.getConfiguration('rewardStudio.data');
    await data.update('maxProblemsReported', undefined, vscode.ConfigurationTarget.Workspace);
    await data.update('inputFormat', undefined, vscode.ConfigurationTarget.Workspace);
    await closeAllEditors();
  });

  test('every contributed setting is registered with its default', () => {
    const { properties } = (
      extension().packageJSON as { contributes: { configuration: ConfigurationContribution } }
    ).contributes.configuration;
    const keys = Object.keys(properties);
    assert.deepEqual(
      keys.filter((k) => k.startsWith('rewardStudio.data.')).sort(),
      ['rewardStudio.data.inputFormat', 'rewardStudio.data.maxProblemsReported'],
    );
    // The training settings (rewardStudio.train.*) are checked against the core's defaults in
    // test/unit/extension/trainSettings.test.ts and used in 06-training.test.ts; the annotation settings
    // (rewardStudio.annotate.*) in 07-annotate.test.ts; the inspection settings (rewardStudio.inspect.*) in 09-inspect.test.ts.
    assert.ok(keys.every((k) => /^rewardStudio\.(data|train|annotate|inspect)\./.test(k)), keys.join(', '));
    for (const key of keys) {
      const inspected = vscode.workspace.getConfiguration().inspect(key);
      assert.ok(inspected, `${key} is not a registered setting`);
      assert.deepEqual(inspected.defaultValue, properties[key].default, key);
    }
    assert.equal(vscode.workspace.getConfiguration('rewardStudio.data').get('inputFormat'), 'auto');
    assert.equal(vscode.workspace.getConfiguration('rewardStudio.data').get('maxProblemsReported'), 1000);
  });

  test('maxProblemsReported in the workspace settings caps the problems shown', async () => {
    const uri = writeWorkspaceFile('settings/capped.jsonl', BAD_FILE.content);
    await vscode.workspace
      .getConfiguration('rewardStudio.data')
      .update('maxProblemsReported', 2, vscode.ConfigurationTarget.Workspace);
    const settingsFile = join(workspaceDir(), '.vscode', 'settings.json');
    assert.ok(existsSync(settingsFile));
    assert.match(readFileSync(settingsFile, 'utf8'), /"rewardStudio\.data\.maxProblemsReported":\s*2/);

    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    const capped = rewardStudioDiagnostics(uri);
    assert.equal(capped.length, 2, JSON.stringify(capped.map((d) => d.message)));
    assert.deepEqual(
      capped.map((d) => d.range.start.line),
      [1, 2],
      'the first problems in file order are the ones kept',
    );

    await vscode.workspace
      .getConfiguration('rewardStudio.data')
      .update('maxProblemsReported', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assert.equal(rewardStudioDiagnostics(uri).length, BAD_FILE.expected.length);
  });

  test('inputFormat forces a reader: TRL records read as HH-RLHF are reported', async () => {
    const uri = writeWorkspaceFile('settings/trl.jsonl', GOOD_LINES.join('\n') + '\n');
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assert.deepEqual(rewardStudioDiagnostics(uri), [], 'auto-detected TRL has no problems');

    await vscode.workspace
      .getConfiguration('rewardStudio.data')
      .update('inputFormat', 'hh-rlhf', vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    const forced = rewardStudioDiagnostics(uri);
    assert.ok(forced.length > 0, 'forcing hh-rlhf on TRL records reported nothing');
    assert.ok(forced.every((d) => d.severity === vscode.DiagnosticSeverity.Error));
  });
});
