// In-editor inspection end to end in the extension host: two tiny models trained by the CLI in the
// workspace, one made active; the CodeLens of each record of an open JSONL carry the rewards
// `reward-studio score` writes for the same model and file; disagreements appear as diagnostics, the swap
// quick fix changes exactly that line (and undo restores it), "mark as reviewed" clears one; Score
// Selection gives the chosen side's reward; an edit of a response is re-scored and shows how it moved;
// Compare Models lists exactly the pairs the two models order differently; the score server is a child
// process that comes back after a crash.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { fmtReward } from '../../../src/core/inspect/present';
import { closeAllEditors, extension, waitFor, workspaceDir } from '../lib/host';
import { say } from '../lib/output';

const TIMEOUT_MS = 240_000;
const SOURCE = 'Reward Studio (reward model)';

interface InspectStatus {
  model: { key: string; dir: string; name: string; provider: string } | null;
  documents: Array<{ file: string; lines: number; scoredLines: number; backgroundDone: boolean; flagged: number; firstScoredMs: number | null; doneMs: number | null }>;
  server: { pid: number | null; starts: number };
}

interface Scored {
  reward_chosen: number | null;
  reward_rejected: number | null;
}

function cli(...args: string[]): string {
  return execFileSync(process.execPath, [join(extension().extensionPath, 'dist', 'cli.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

function train(data: string, out: string, seed: string): void {
  cli('train', '--data', data, '--out', out, '--d-model', '16', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '128', '--epochs', '4', '--learning-rate', '3e-3', '--batch-size', '16', '--provider', 'cpu', '--log-steps', '100', '--seed', seed);
}

function scoreWithCli(model: string, data: string, out: string): Scored[] {
  cli('score', '--model', model, '--data', data, '--out', out, '--provider', 'cpu', '--force');
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Scored);
}

function status(): Thenable<InspectStatus> {
  return vscode.commands.executeCommand<InspectStatus>('rewardStudio.internal.inspectStatus');
}

function inspectDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === SOURCE)
    .sort((a, b) => a.range.start.compareTo(b.range.start));
}

const LENS = /^r\(chosen\) (-?\d+\.\d{3}) · r\(rejected\) (-?\d+\.\d{3}) · Δ [+-]?\d+\.\d{3} · P\(chosen\) (\d\.\d{2})/;

suite('Inspection', function () {
  this.timeout(TIMEOUT_MS);
  let dataFile: string;
  let dataUri: vscode.Uri;
  let modelA: string;
  let modelB: string;
  let expectedA: Scored[];
  let original: string;

  suiteSetup(function () {
    this.timeout(TIMEOUT_MS);
    dataFile = join(workspaceDir(), 'inspect', 'pairs.jsonl');
    mkdirSync(dirname(dataFile), { recursive: true });
    cli('synth', '--out', dataFile, '--n', '120', '--seed', '9');
    dataUri = vscode.Uri.file(dataFile);
    original = readFileSync(dataFile, 'utf8');
    modelA = join(workspaceDir(), '.reward-studio', 'models', 'inspect-a');
    modelB = join(workspaceDir(), '.reward-studio', 'models', 'inspect-b');
    const started = Date.now();
    train(dataFile, modelA, '1');
    train(dataFile, modelB, '2');
    expectedA = scoreWithCli(modelA, dataFile, join(workspaceDir(), 'inspect', 'scored-a.jsonl'));
    say(`inspection: two tiny models trained and scored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  suiteTeardown(async () => {
    const c = vscode.workspace.getConfiguration('rewardStudio.inspect.diagnostics');
    await c.update('threshold', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('rewardStudio.inspect.selectModel', null);
    await closeAllEditors();
  });

  test('with an active model, the CodeLens of every record equal what `reward-studio score` writes', async () => {
    const model = await vscode.commands.executeCommand<InspectStatus['model']>('rewardStudio.inspect.selectModel', vscode.Uri.file(modelA));
    assert.ok(model, 'the model loaded');
    assert.equal(model.dir, modelA);
    const doc = await vscode.workspace.openTextDocument(dataUri);
    await vscode.window.showTextDocument(doc);
    const started = Date.now();
    // Resolve every lens the provider gives (the lines around the viewport, here the whole short file).
    const lenses = await waitFor('resolved CodeLens on every record', async () => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', dataUri, 1000);
      const ours = all.filter((l) => l.command?.command === 'rewardStudio.inspect.lineDetails');
      return ours.length >= expectedA.length ? ours : undefined;
    }, 60_000);
    say(`inspection: ${lenses.length} CodeLens resolved ${Date.now() - started} ms after opening`);
    const byLine = new Map(lenses.map((l) => [l.range.start.line, l.command!.title]));
    let compared = 0;
    expectedA.forEach((e, i) => {
      const title = byLine.get(i);
      assert.ok(title, `line ${i + 1} has a CodeLens`);
      if (e.reward_chosen === null) {
        assert.match(title, /^not scored: /);
        return;
      }
      const m = LENS.exec(title);
      assert.ok(m, `line ${i + 1}: ${title}`);
      // The lens shows 3 decimals of the same float32 the CLI writes in full.
      assert.equal(m[1], fmtReward(e.reward_chosen), `line ${i + 1}: r(chosen) ${title} vs CLI ${e.reward_chosen}`);
      assert.equal(m[2], fmtReward(e.reward_rejected!), `line ${i + 1}: r(rejected)`);
      const p = 1 / (1 + Math.exp(-(e.reward_chosen - e.reward_rejected!)));
      assert.equal(m[3], p.toFixed(2), `line ${i + 1}: P(chosen)`);
      compared++;
    });
    assert.ok(compared >= expectedA.length - 3, `${compared} of ${expectedA.length} compared`);
    const st = await status();
    assert.equal(st.model?.provider, 'cpu');
    assert.ok(st.server.pid && st.server.pid !== process.pid, 'scoring runs in a child process');
    // The hover of a record: the rewards, normalised rewards and lengths in tokens.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', dataUri, new vscode.Position(0, 2));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /\| reward \| -?\d+\.\d{3} \| -?\d+\.\d{3} \|/);
    assert.match(text, /\| tokens \| \d+ \| \d+ \|/);
    assert.match(text, /P\(chosen ≻ rejected\) = σ\(Δ\)/);
  });

  test('records ranked against their label are diagnostics; the threshold moves them; swap changes exactly one line and undo restores it', async () => {
    const c = vscode.workspace.getConfiguration('rewardStudio.inspect.diagnostics');
    await c.update('threshold', 0.5, vscode.ConfigurationTarget.Workspace);
    const against = expectedA.map((e, i) => (e.reward_chosen !== null && e.reward_chosen < e.reward_rejected! ? i : -1)).filter((i) => i >= 0);
    assert.ok(against.length > 0, 'the tiny model gets some pairs wrong');
    const diags = await waitFor('a diagnostic on each record the model ranks against its label', () => {
      const d = inspectDiagnostics(dataUri);
      return d.length === against.length ? d : undefined;
    }, 60_000);
    assert.deepEqual(diags.map((d) => d.range.start.line), against);
    assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Warning);
    assert.match(diags[0].message, /prefers the rejected response: P\(chosen\) = 0\.\d\d/);

    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(dataUri));
    const target = diags[0];
    const line = target.range.start.line;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', dataUri, target.range, vscode.CodeActionKind.QuickFix.value);
    const titles = actions.map((a) => a.title);
    for (const t of ['Swap chosen and rejected', 'Judge this pair again in the annotator', 'Mark as reviewed (remembered in this workspace)']) assert.ok(titles.includes(t), titles.join(' | '));
    const swap = actions.find((a) => a.title === 'Swap chosen and rejected')!;
    assert.ok(swap.edit, 'the swap is a workspace edit');
    const before = editor.document.getText().split('\n');
    assert.ok(await vscode.workspace.applyEdit(swap.edit));
    const after = editor.document.getText().split('\n');
    assert.equal(after.length, before.length);
    const changed = after.map((l, i) => (l === before[i] ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(changed, [line], 'exactly the flagged line changed');
    const was = JSON.parse(before[line]) as { chosen: string; rejected: string; prompt: string };
    const now = JSON.parse(after[line]) as { chosen: string; rejected: string; prompt: string };
    assert.equal(now.chosen, was.rejected);
    assert.equal(now.rejected, was.chosen);
    assert.equal(now.prompt, was.prompt);
    // Re-scored: the model now agrees with the (swapped) label, so that line's diagnostic clears.
    await waitFor('the swapped line to lose its diagnostic', () => (inspectDiagnostics(dataUri).some((d) => d.range.start.line === line) ? undefined : true), 30_000);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), before.join('\n'), 'undo restores the file exactly');
    await waitFor('the diagnostic back after undo', () => (inspectDiagnostics(dataUri).some((d) => d.range.start.line === line) ? true : undefined), 30_000);
    assert.equal(editor.document.getText(), original);

    // Mark as reviewed: remembered, not written into the record.
    await vscode.commands.executeCommand('rewardStudio.inspect.markReviewed', dataUri, line);
    await waitFor('the reviewed line to lose its diagnostic', () => (inspectDiagnostics(dataUri).some((d) => d.range.start.line === line) ? undefined : true));
    assert.equal(editor.document.getText(), original, 'marking reviewed does not touch the file');
    assert.equal(inspectDiagnostics(dataUri).length, against.length - 1);

    // A stricter threshold keeps only confident disagreements; severity off clears them.
    await c.update('threshold', 0.0001, vscode.ConfigurationTarget.Workspace);
    await waitFor('no diagnostics at P < 0.0001', () => (inspectDiagnostics(dataUri).length === 0 ? true : undefined));
    await c.update('threshold', 0.5, vscode.ConfigurationTarget.Workspace);
    await waitFor('diagnostics again at 0.5', () => (inspectDiagnostics(dataUri).length === against.length - 1 ? true : undefined));
    await c.update('severity', 'off', vscode.ConfigurationTarget.Workspace);
    await waitFor('severity off clears them', () => (inspectDiagnostics(dataUri).length === 0 ? true : undefined));
    await c.update('severity', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('diagnostics back with the default severity', () => (inspectDiagnostics(dataUri).length === against.length - 1 ? true : undefined));
  });

  test('"Judge again" opens the record in the annotator, on that very pair', async () => {
    const line = 5;
    const r = await vscode.commands.executeCommand<{ queue: string; state: { item?: { line: number } } }>('rewardStudio.inspect.judgeAgain', dataUri, line);
    assert.ok(r, 'the annotator opened');
    assert.equal(r.queue, dataFile);
    assert.equal(r.state.item?.line, line + 1);
    await closeAllEditors();
  });

  test('Score Selection scores the selected response against its record\'s prompt', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(dataUri));
    const i = expectedA.findIndex((e) => e.reward_chosen !== null);
    const text = editor.document.lineAt(i).text;
    const rec = JSON.parse(text) as { chosen: string };
    // The chosen value's text inside its quotes, as a user would select it.
    const quoted = JSON.stringify(rec.chosen);
    const start = text.indexOf(`"chosen":${quoted}`) + '"chosen":'.length + 1;
    assert.ok(start > 10);
    editor.selection = new vscode.Selection(i, start, i, start + quoted.length - 2);
    const r = await vscode.commands.executeCommand<{ reward: number; prompt: string; line: number }>('rewardStudio.inspect.scoreSelection');
    assert.ok(r);
    assert.equal(r.prompt, 'record');
    assert.equal(r.line, i + 1);
    assert.ok(Math.abs(r.reward - expectedA[i].reward_chosen!) < 1e-4, `${r.reward} vs ${expectedA[i].reward_chosen}`);
  });

  test('editing a response re-scores that record after a pause, and the CodeLens shows how the reward moved', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(dataUri));
    const i = expectedA.findIndex((e) => e.reward_chosen !== null);
    const text = editor.document.lineAt(i).text;
    const at = text.indexOf('"chosen":"') + '"chosen":"'.length;
    await editor.edit((b) => b.insert(new vscode.Position(i, at), 'Absolutely, happy to help! '));
    const lens = await waitFor('the re-scored lens of the edited line', async () => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', dataUri, 1000);
      return all.find((l) => l.range.start.line === i && /since edit: /.test(l.command?.title ?? ''));
    }, 30_000);
    say(`inspection: edited line ${i + 1}: ${lens.command!.title}`);
    // The lens carries the edited record's reward as the CLI scores it, and its move from before the edit.
    const editedFile = join(workspaceDir(), 'inspect', 'edited.jsonl');
    writeFileSync(editedFile, editor.document.lineAt(i).text + '\n');
    const [now] = scoreWithCli(modelA, editedFile, join(workspaceDir(), 'inspect', 'edited-scored.jsonl'));
    const m = LENS.exec(lens.command!.title)!;
    assert.equal(m[1], fmtReward(now.reward_chosen!));
    // The rejected side moves too when the pair is cut: a longer chosen leaves less of the prompt to both.
    assert.equal(m[2], fmtReward(now.reward_rejected!));
    const moves: string[] = [];
    const dc = now.reward_chosen! - expectedA[i].reward_chosen!;
    const dr = now.reward_rejected! - expectedA[i].reward_rejected!;
    if (Math.abs(dc) >= 5e-4) moves.push(`chosen ${dc > 0 ? '+' : ''}${fmtReward(dc)}`);
    if (Math.abs(dr) >= 5e-4) moves.push(`rejected ${dr > 0 ? '+' : ''}${fmtReward(dr)}`);
    assert.ok(lens.command!.title.includes(`(since edit: ${moves.length ? moves.join(', ') : 'unchanged'})`), lens.command!.title);
    assert.ok(Math.abs(dc) >= 5e-4, 'the edit moved the chosen reward');
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), original);
  });

  test('Compare Models lists exactly the pairs the two models order differently', async () => {
    const expectedB = scoreWithCli(modelB, dataFile, join(workspaceDir(), 'inspect', 'scored-b.jsonl'));
    const flips: number[] = [];
    expectedA.forEach((a, i) => {
      const b = expectedB[i];
      if (a.reward_chosen === null || b.reward_chosen === null) return;
      const da = a.reward_chosen - a.reward_rejected!;
      const db = b.reward_chosen - b.reward_rejected!;
      if ((da > 0 && db < 0) || (da < 0 && db > 0)) flips.push(i + 1);
    });
    const cmp = await vscode.commands.executeCommand<{ compared: number; flips: Array<{ line: number }>; modelA: string; modelB: string }>('rewardStudio.inspect.compareModels', {
      a: vscode.Uri.file(modelA),
      b: vscode.Uri.file(modelB),
      file: dataUri,
      show: false,
    });
    assert.ok(cmp);
    assert.equal(cmp.modelA, modelA);
    assert.equal(cmp.modelB, modelB);
    assert.deepEqual(cmp.flips.map((f) => f.line).sort((x, y) => x - y), flips);
    say(`inspection: ${flips.length} of ${cmp.compared} pairs flip between the two tiny models`);
  });

  test('switching the active model re-scores the open file with the new one (no lens keeps the old model\'s value)', async () => {
    const expectedB = scoreWithCli(modelB, dataFile, join(workspaceDir(), 'inspect', 'scored-b2.jsonl'));
    const lensesOf = async (): Promise<Map<number, string>> => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', dataUri, 1000);
      return new Map(all.filter((l) => l.command?.command === 'rewardStudio.inspect.lineDetails').map((l) => [l.range.start.line, l.command!.title]));
    };
    const matches = (lenses: Map<number, string>, expected: Scored[]): boolean =>
      expected.every((e, i) => {
        if (e.reward_chosen === null) return true;
        const m = LENS.exec(lenses.get(i) ?? '');
        return !!m && m[1] === fmtReward(e.reward_chosen) && m[2] === fmtReward(e.reward_rejected!);
      });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(dataUri));
    // Switch while the file is open, twice in a row: the last choice wins.
    void vscode.commands.executeCommand('rewardStudio.inspect.selectModel', vscode.Uri.file(modelA));
    const loaded = await vscode.commands.executeCommand<{ dir: string }>('rewardStudio.inspect.selectModel', vscode.Uri.file(modelB));
    assert.equal(loaded.dir, modelB);
    await waitFor('every lens from model B', async () => (matches(await lensesOf(), expectedB) ? true : undefined), 60_000);
    assert.equal((await status()).model?.dir, modelB);
    await vscode.commands.executeCommand('rewardStudio.inspect.selectModel', vscode.Uri.file(modelA));
    await waitFor('every lens from model A again', async () => (matches(await lensesOf(), expectedA) ? true : undefined), 60_000);
  });

  test('a model written again on disk (a run finished into its folder) is loaded again, under a new identity', async () => {
    const before = await status();
    assert.equal(before.model?.dir, modelA);
    const onnx = join(modelA, 'reward-model.onnx');
    const t = new Date(Date.now() + 10_000);
    utimesSync(onnx, t, t);
    // Noticed by the folder's watcher, or at the latest by the next line scored (an edit, undone).
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(dataUri));
    await editor.edit((b) => b.insert(new vscode.Position(3, editor.document.lineAt(3).text.indexOf('"chosen":"') + 10), 'Well. '));
    const after = await waitFor('the model loaded again', async () => {
      const s = await status();
      return s.model && s.model.key !== before.model!.key ? s : undefined;
    }, 30_000);
    assert.equal(after.model!.dir, modelA);
    // Its CodeLens come back (scored again under the new identity).
    await waitFor('CodeLens after the reload', async () => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', dataUri, 1000);
      return all.filter((l) => l.command?.command === 'rewardStudio.inspect.lineDetails').length >= expectedA.length - 3 ? true : undefined;
    }, 60_000);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), original);
  });

  test('the score server is a child process: killed, it comes back on the next request', async () => {
    const before = await status();
    assert.ok(before.server.pid);
    process.kill(before.server.pid, 'SIGKILL');
    // Gone — or already replaced, when a re-score was due (the edit undone just before).
    await waitFor('the server to be gone', async () => ((await status()).server.pid !== before.server.pid ? true : undefined), 10_000);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(dataUri));
    const i = 2;
    await editor.edit((b) => b.insert(new vscode.Position(i, editor.document.lineAt(i).text.indexOf('"chosen":"') + 10), 'Sure. '));
    // The edited line lost its score, so a lens on it now was scored after the kill, by a new server.
    await waitFor('a lens after the restart', async () => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', dataUri, 1000);
      return all.find((l) => l.range.start.line === i && LENS.test(l.command?.title ?? ''));
    }, 30_000);
    const after = await status();
    assert.equal(after.server.starts, before.server.starts + 1);
    assert.notEqual(after.server.pid, before.server.pid);
    assert.ok(extension().isActive);
    await vscode.commands.executeCommand('undo');
  });
});
