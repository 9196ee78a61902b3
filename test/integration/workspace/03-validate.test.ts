// "Validate Preference File": diagnostics at the exact line and column, kept current on save, cleared
// when the file goes away.
import { strict as assert } from 'node:assert';
import { unlinkSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as vscode from 'vscode';
import {
  BAD_FILE,
  GOOD_LINES,
  closeAllEditors,
  rewardStudioDiagnostics,
  waitFor,
  writeWorkspaceFile,
} from '../lib/host';

function assertExpectedProblems(uri: vscode.Uri): void {
  const diagnostics = rewardStudioDiagnostics(uri);
  assert.equal(
    diagnostics.length,
    BAD_FILE.expected.length,
    diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`).join('\n'),
  );
  BAD_FILE.expected.forEach((want, i) => {
    const got = diagnostics[i];
    const where = `problem ${i + 1} (${got.message})`;
    assert.equal(got.range.start.line, want.line, `${where}: line`);
    assert.equal(got.range.start.character, want.character, `${where}: column`);
    assert.equal(got.range.end.line, want.line, `${where}: ends on its line`);
    assert.equal(got.severity, vscode.DiagnosticSeverity[want.severity], `${where}: severity`);
    assert.equal(got.code, want.code, `${where}: code`);
    if ('message' in want) assert.match(got.message, want.message, where);
  });
}

suite('Validate Preference File', () => {
  suiteTeardown(closeAllEditors);

  test('reports each bad line at its exact line and column', async () => {
    const uri = writeWorkspaceFile('validate/bad.jsonl', BAD_FILE.content);
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assertExpectedProblems(uri);
  });

  test('gzip-compressed JSONL gets the same problems', async () => {
    const uri = writeWorkspaceFile('validate/bad.jsonl.gz', gzipSync(BAD_FILE.content));
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assertExpectedProblems(uri);
  });

  test("from the palette it validates the active editor's file", async () => {
    const uri = writeWorkspaceFile('validate/active.jsonl', BAD_FILE.content);
    await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand('rewardStudio.validateFile'); // no argument: as from the palette
    assertExpectedProblems(uri);
    // In an open document the ranges end where the line ends.
    const document = await vscode.workspace.openTextDocument(uri);
    const first = rewardStudioDiagnostics(uri)[0];
    assert.equal(first.range.end.character, document.lineAt(first.range.start.line).range.end.character);
  });

  test('a clean file has no problems', async () => {
    const uri = writeWorkspaceFile('validate/clean.jsonl', GOOD_LINES.join('\n') + '\n');
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assert.deepEqual(rewardStudioDiagnostics(uri), []);
  });

  test('saving a validated file validates it again', async () => {
    const uri = writeWorkspaceFile('validate/edited.jsonl', BAD_FILE.content);
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assert.equal(rewardStudioDiagnostics(uri).length, BAD_FILE.expected.length);

    const editor = await vscode.window.showTextDocument(uri);
    const document = editor.document;
    await editor.edit((e) =>
      e.replace(new vscode.Range(0, 0, document.lineCount, 0), GOOD_LINES.join('\n') + '\n'),
    );
    assert.ok(await document.save(), 'save failed');
    await waitFor('the diagnostics to clear after save', () =>
      rewardStudioDiagnostics(uri).length === 0 ? true : undefined,
    );
  });

  test('deleting a validated file clears its problems', async () => {
    const uri = writeWorkspaceFile('validate/deleted.jsonl', BAD_FILE.content);
    await vscode.commands.executeCommand('rewardStudio.validateFile', uri);
    assert.ok(rewardStudioDiagnostics(uri).length > 0);
    // The file watcher folds a create followed within moments by a delete into no event at all; a file
    // that existed for a while is the case that matters.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    unlinkSync(uri.fsPath); // outside VS Code, as another program would: the file watcher must see it
    await waitFor(
      'the diagnostics of a deleted file to clear',
      () => (rewardStudioDiagnostics(uri).length === 0 ? true : undefined),
      15_000,
    );
  });
});
