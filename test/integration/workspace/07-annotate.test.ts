// "Annotate with Reward Studio": a queue opens in an annotation panel through the command, malformed lines
// are listed and skipped, the contributed judging commands (what the keybindings run) append judgement
// lines, undo appends a retraction, and an outside append by another annotator is reconciled.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { allTabs, closeAllEditors, waitFor, writeWorkspaceFile } from '../lib/host';

interface Status {
  queue: string;
  output: string;
  state: {
    annotator: string;
    item?: { key: string; line: number; left: unknown; right: unknown };
    progress: { judged: number; total?: number };
    problems: Array<{ line: number; message: string }>;
    problemCount: number;
    bias: { preferences: number; ties: number; skips: number } | null;
    annotators: { items: number; comparisons: number; percent: number | null; kappa: number | null; annotators: Array<{ annotator: string; judged: number; preferences: number }> };
    draft: { strength?: number; note: string };
    guidelines?: { name: string; markdown: string; sha256: string };
    notice?: string;
  };
}

const QUEUE = [
  '{"prompt": "2+2?", "response_a": "4", "response_b": "It is 4, because two and two make four."}',
  '{"prompt": "Capital of France?", "response_a": "Paris", "response_b": "Lyon"}',
  '{"prompt": "broken" "response_a": 1}',
  '{"prompt": "Say hi", "responses": ["hi", "hello", "hey there"]}',
  '{"prompt": [{"role": "user", "content": "Name a colour"}], "chosen": [{"role": "assistant", "content": "blue"}], "rejected": [{"role": "assistant", "content": "seven"}]}',
];

function annotateTabs(): vscode.Tab[] {
  return allTabs().filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('rewardStudio.annotate'));
}

async function status(): Promise<Status> {
  const s = await vscode.commands.executeCommand<Status | undefined>('rewardStudio.internal.annotationStatus');
  assert.ok(s, 'no annotation session is open');
  return s;
}

function lines(file: string): Array<{ chosen: unknown; rejected: unknown; margin?: number; id: string; meta: Record<string, unknown> }> {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as never);
}

async function until(what: string, ok: (s: Status) => boolean, timeoutMs = 10_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s.state)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('Annotation', () => {
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('rewardStudio.annotate');

  suiteSetup(async () => {
    await closeAllEditors();
    await config().update('annotator', 'tester', vscode.ConfigurationTarget.Workspace);
    writeWorkspaceFile('annotate/guide.md', '# Guide\n\nPrefer **correct** answers.\n');
    await config().update('guidelinesFile', 'annotate/guide.md', vscode.ConfigurationTarget.Workspace);
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    await config().update('annotator', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('guidelinesFile', undefined, vscode.ConfigurationTarget.Workspace);
  });

  let output = '';

  test('the command opens a panel on the queue; the malformed line is listed and skipped', async () => {
    const uri = writeWorkspaceFile('annotate/queue.jsonl', QUEUE.join('\n') + '\n');
    const opened = await vscode.commands.executeCommand<Status>('rewardStudio.annotate', uri);
    assert.ok(opened);
    output = opened.output;
    assert.match(output, /annotate[\\/]queue\.judged\.jsonl$/);
    const tab = await waitFor('an annotation tab', () => annotateTabs()[0]);
    assert.equal(tab.label, 'Annotate: queue.jsonl');
    const s = await until('the background scan', (x) => x.state.progress.total !== undefined);
    // 1 + 1 + 3 pairs (all) + 1 = 6 items; line 3 is malformed.
    assert.equal(s.state.progress.total, 6);
    assert.equal(s.state.problemCount, 1);
    assert.equal(s.state.problems[0].line, 3);
    assert.equal(s.state.annotator, 'tester');
    assert.equal(s.state.item?.line, 1);
  });

  test('the judging commands append judgements; strength gives a margin; undo appends a retraction', async () => {
    await vscode.commands.executeCommand('rewardStudio.annotate.strength2');
    assert.equal((await status()).state.draft.strength, 2);
    const first = (await status()).state.item!;
    await vscode.commands.executeCommand('rewardStudio.annotate.preferLeft');
    await vscode.commands.executeCommand('rewardStudio.annotate.tie');
    await vscode.commands.executeCommand('rewardStudio.annotate.skip');
    let s = await status();
    assert.equal(s.state.progress.judged, 3);
    assert.equal(s.state.item?.line, 4);
    assert.equal(s.state.draft.strength, undefined, 'the draft is cleared after a judgement');
    await vscode.commands.executeCommand('rewardStudio.annotate.undo');
    s = await status();
    assert.equal(s.state.progress.judged, 2);
    assert.equal(s.state.item?.line, 4, 'undo shows the skipped item again');

    assert.ok(existsSync(output));
    const written = lines(output);
    assert.deepEqual(written.map((l) => l.meta.judgement), ['preference', 'tie', 'skip', 'retract']);
    assert.equal(written[0].meta.annotator, 'tester');
    assert.equal(written[0].meta.strength, 2);
    assert.equal(written[0].margin, 1 / 3);
    assert.equal(written[0].meta.sourceLine, 1);
    assert.equal(written[0].meta.source, 'annotate/queue.jsonl');
    assert.equal(typeof written[0].meta.guidelineSha256, 'string');
    assert.deepEqual(written[0].chosen, first.left, 'left was chosen');
    assert.equal(written[1].margin, undefined);
    assert.equal(written[3].meta.retracts, written[2].id);
    assert.deepEqual(s.state.bias && { p: s.state.bias.preferences, t: s.state.bias.ties, k: s.state.bias.skips }, { p: 1, t: 1, k: 0 });
  });

  test('previous and next move through what was shown', async () => {
    const before = (await status()).state.item!.key;
    await vscode.commands.executeCommand('rewardStudio.annotate.previous');
    assert.notEqual((await status()).state.item!.key, before);
    await vscode.commands.executeCommand('rewardStudio.annotate.next');
    assert.equal((await status()).state.item!.key, before);
  });

  test("another annotator's lines appended outside are reconciled (file watcher → refresh)", async () => {
    const mine = lines(output)[0];
    const other = { ...mine, id: 'outside-1', meta: { ...mine.meta, annotator: 'someone-else' } };
    appendFileSync(output, JSON.stringify(other) + '\n');
    const s = await until('the outside line to be noticed', (x) => /other annotators/.test(x.state.notice ?? ''), 20_000);
    assert.match(s.state.notice ?? '', /1 line from other annotators/);
    // The Annotators section: both annotators, and their agreement on the one item both labelled (the same
    // label, so 100%; κ is undefined when both gave one and the same label to everything).
    const a = s.state.annotators;
    assert.deepEqual({ items: a.items, comparisons: a.comparisons, percent: a.percent, kappa: a.kappa }, { items: 1, comparisons: 1, percent: 1, kappa: null });
    assert.deepEqual(a.annotators.map((x) => [x.annotator, x.judged, x.preferences]), [['someone-else', 1, 1], ['tester', 2, 1]]);
  });

  test('an edited guidelines file is shown, and recorded in the judgements made from then on', async () => {
    const before = (await status()).state.guidelines;
    assert.equal(before?.name, 'guide.md');
    const text = '# Guide\n\nPrefer **correct** answers; a tie when both are wrong.\n';
    writeWorkspaceFile('annotate/guide.md', text);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const s = await until('the new guidelines', (x) => x.state.guidelines?.sha256 === sha256, 20_000);
    assert.equal(s.state.guidelines?.markdown, text);
    assert.match(s.state.notice ?? '', /guidelines \(guide\.md\) changed/);
    const n = lines(output).length;
    await vscode.commands.executeCommand('rewardStudio.annotate.preferRight');
    const written = lines(output);
    assert.equal(written.length, n + 1);
    assert.equal(written[n].meta.guidelineSha256, sha256);
    assert.notEqual(written[0].meta.guidelineSha256, sha256, 'the earlier lines keep the version they were made under');
    await vscode.commands.executeCommand('rewardStudio.annotate.undo');
    assert.equal((await status()).state.progress.judged, 2);
  });

  test('closing the panel ends the session; reopening resumes at the first unjudged item', async () => {
    await vscode.window.tabGroups.close(annotateTabs()[0]);
    await waitFor('the session to close', () => (annotateTabs().length === 0 ? true : undefined));
    assert.equal(await vscode.commands.executeCommand('rewardStudio.internal.annotationStatus'), undefined);
    const uri = vscode.Uri.file(output.replace(/queue\.judged\.jsonl$/, 'queue.jsonl'));
    const reopened = await vscode.commands.executeCommand<Status>('rewardStudio.annotate', uri);
    assert.equal(reopened.state.progress.judged, 2);
    assert.equal(reopened.state.item?.line, 4);
  });
});
