// In-editor inspection in the workbench, as a user gets it: a tiny model trained by the CLI in the seeded
// workspace is picked with "Select Reward Model…"; the status bar names it and its execution provider;
// the open JSONL shows a CodeLens of rewards above each record and a hover with the details (screenshot
// saved); records the model ranks against their label are in the Problems panel, and the lightbulb on
// one offers the quick fixes (screenshot saved).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../vscode-server/codeServer';
import { ARTIFACTS, Session, stopAndCaptureFailures } from './lib/session';
import { goToLine, problemRows, quickOpen, runCommandAndPick } from './lib/workbench';

const MODEL = 'inspect-tiny';
const LENS = /^r\(chosen\) -?\d+\.\d{3} · r\(rejected\) -?\d+\.\d{3} · Δ [+-]?\d+\.\d{3} · P\(chosen\) \d\.\d{2}/;

suite('Inspection: rewards in the editor', function () {
  let session: Session;
  const shots = join(ARTIFACTS, 'screenshots');

  suiteSetup(async function () {
    this.timeout(240_000);
    session = await Session.start({
      name: 'inspect',
      seed: (ws) => {
        const cli = (...args: string[]): void => {
          execFileSync(process.execPath, [join(repoRoot(), 'dist', 'cli.js'), ...args], { stdio: 'pipe' });
        };
        mkdirSync(join(ws, 'data'), { recursive: true });
        mkdirSync(join(ws, '.vscode'), { recursive: true });
        cli('synth', '--out', join(ws, 'data', 'pairs.jsonl'), '--n', '400', '--seed', '5');
        cli('train', '--data', join(ws, 'data', 'pairs.jsonl'), '--out', join(ws, '.reward-studio', 'models', MODEL), '--d-model', '32', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '256', '--epochs', '6', '--learning-rate', '3e-3', '--batch-size', '16', '--provider', 'cpu', '--log-steps', '100');
        // Every pair ranked the other way is reported (the default 0.25 reports only confident ones).
        writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'rewardStudio.inspect.diagnostics.threshold': 0.5 }));
      },
    });
    mkdirSync(shots, { recursive: true });
  });

  stopAndCaptureFailures(() => session);

  test('the picked model scores the open file: CodeLens above each record, a hover with the details (screenshot saved)', async function () {
    this.timeout(180_000);
    const { page } = session;
    await quickOpen(page, 'pairs.jsonl');
    await runCommandAndPick(page, 'Reward Studio: Select Reward Model…', MODEL);
    await page.locator('.statusbar-item', { hasText: `${MODEL} · CPU` }).first().waitFor({ timeout: 60_000 });
    const lens = page.locator('.codelens-decoration', { hasText: 'r(chosen)' });
    await lens.first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    const titles = await lens.evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()).filter((t) => t));
    assert.ok(titles.length >= 5, `${titles.length} CodeLens on screen`);
    for (const t of titles) assert.match(t, LENS);
    // Hover the first record's text: the details table.
    const firstLine = page.locator('.monaco-editor .view-lines .view-line').first();
    await firstLine.hover({ position: { x: 120, y: 8 } });
    const hover = page.locator('.monaco-hover', { hasText: 'P(chosen ≻ rejected)' });
    await hover.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await hover.first().innerText();
    assert.match(text, /Reward Studio — model inspect-tiny on CPU/);
    assert.match(text, /normalised \(z\)/);
    assert.match(text, /tokens/);
    await page.screenshot({ path: join(shots, 'inspect-codelens-hover.png') });
    console.log(`      screenshot: ${join(shots, 'inspect-codelens-hover.png')}`);
  });

  test('disagreements are in the Problems panel; the lightbulb offers swap, judge again and mark reviewed (screenshot saved)', async function () {
    this.timeout(120_000);
    const { page } = session;
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    const rows = await problemRows(page, 1);
    const ours = rows.filter((r) => /prefers the rejected response/.test(r.text));
    assert.ok(ours.length > 0, rows.map((r) => r.text).join('\n'));
    const m = /at line (\d+) and character (\d+)/.exec(ours[0].ariaLabel);
    assert.ok(m, ours[0].ariaLabel);
    await goToLine(page, Number(m[1]));
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget, .context-view .monaco-list').filter({ hasText: 'Swap chosen and rejected' }).first();
    await menu.waitFor({ state: 'visible', timeout: 30_000 });
    const items = await menu.innerText();
    for (const t of ['Swap chosen and rejected', 'Judge this pair again in the annotator', 'Mark as reviewed (remembered in this workspace)', 'Mark as reviewed in the record']) {
      assert.ok(items.includes(t), items);
    }
    await page.screenshot({ path: join(shots, 'inspect-quick-fixes.png') });
    console.log(`      screenshot: ${join(shots, 'inspect-quick-fixes.png')}`);
    await page.keyboard.press('Escape');
  });
});
