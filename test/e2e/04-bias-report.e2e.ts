// The bias report in the workbench, as a user gets it: a tiny model trained by the CLI in the seeded
// workspace; "Show Bias Report" from the palette, the model picked from the list (.reward-studio/models
// first); the evaluation runs in the background and the panel shows the plots (reward histograms,
// reliability diagram, per-subset bars, Δlength–Δreward scatter) and every finding with n, interval and
// verdict. A screenshot is saved; clicking a label-noise example opens the data file at its line.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { repoRoot } from '../vscode-server/codeServer';
import { ARTIFACTS, Session, stopAndCaptureFailures } from './lib/session';
import { runCommandAndPick, webviewFrame } from './lib/workbench';

const MODEL = 'pairs-tiny';
const REPORT_TEXT = `Bias report: ${MODEL}`;

suite('Bias report: the panel of an evaluated model', function () {
  let session: Session;
  let workspace: string;
  let panel: Frame;
  const shots = join(ARTIFACTS, 'screenshots');

  suiteSetup(async function () {
    this.timeout(240_000);
    session = await Session.start({
      name: 'bias-report',
      seed: (ws) => {
        workspace = ws;
        const cli = (...args: string[]): void => {
          execFileSync(process.execPath, [join(repoRoot(), 'dist', 'cli.js'), ...args], { stdio: 'pipe' });
        };
        mkdirSync(join(ws, 'data'), { recursive: true });
        cli('synth', '--out', join(ws, 'data', 'pairs.jsonl'), '--n', '200', '--seed', '5');
        cli('train', '--data', join(ws, 'data', 'pairs.jsonl'), '--out', join(ws, '.reward-studio', 'models', MODEL), '--d-model', '32', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '128', '--epochs', '1', '--batch-size', '16', '--provider', 'cpu', '--log-steps', '100');
      },
    });
    mkdirSync(shots, { recursive: true });
  });

  stopAndCaptureFailures(() => session);

  test('"Show Bias Report" evaluates the picked model and shows plots and findings (screenshot saved)', async function () {
    this.timeout(240_000);
    const { page } = session;
    await runCommandAndPick(page, 'Reward Studio: Show Bias Report', MODEL);
    panel = await webviewFrame(page, REPORT_TEXT, 180_000);
    assert.ok(existsSync(join(workspace, '.reward-studio', 'models', MODEL, 'eval-report.json')));
    const shown = await panel.evaluate(() => ({
      plots: [...document.querySelectorAll('figure[data-plot]')].map((f) => f.getAttribute('data-plot')),
      svgs: document.querySelectorAll('figure[data-plot] svg.plot').length,
      histogramBars: document.querySelectorAll('figure[data-plot="hist"] rect.plot-chosen, figure[data-plot="hist"] rect.plot-rejected').length,
      scatterPoints: document.querySelectorAll('figure[data-plot="scatter"] circle').length,
      findings: [...document.querySelectorAll('tr[data-finding]')].map((tr) => ({ id: tr.getAttribute('data-finding'), text: (tr as HTMLElement).innerText })),
      verdicts: document.querySelectorAll('tr[data-finding] .verdict[data-level]').length,
      examples: [...document.querySelectorAll('tr[data-example]')].map((tr) => tr.getAttribute('data-example') ?? ''),
      buttons: [...document.querySelectorAll('button.button')].map((b) => b.textContent),
    }));
    assert.deepEqual(shown.plots.filter((p) => p !== 'groups'), ['hist', 'reliability', 'scatter'], JSON.stringify(shown.plots));
    assert.equal(shown.svgs, shown.plots.length);
    assert.ok(shown.histogramBars > 0 && shown.scatterPoints > 0, JSON.stringify(shown));
    for (const id of ['accuracy', 'length.gap', 'calibration.ece', 'formatting.effect']) {
      const row = shown.findings.find((f) => f.id === id);
      assert.ok(row, `no ${id} row`);
      assert.match(row.text, /n=\d+/);
    }
    assert.ok(shown.verdicts >= 4, `${shown.verdicts} verdict badges`);
    assert.deepEqual(shown.buttons, ['Export HTML', 'Export JSON']);
    assert.ok(shown.examples.length > 0, 'the tiny model gets some pairs wrong: label-noise candidates');
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'bias-report.png') });
    console.log(`      screenshot: ${join(shots, 'bias-report.png')}`);
    await panel.locator('figure[data-plot="scatter"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'bias-report-plots.png') });
    console.log(`      screenshot: ${join(shots, 'bias-report-plots.png')}`);
  });

  test('clicking a label-noise example opens the data file at its line', async () => {
    const { page } = session;
    const link = panel.locator('tr[data-example] button.example-link').first();
    const label = (await link.textContent()) ?? '';
    const line = Number(label.split(':').pop());
    assert.ok(Number.isInteger(line) && line >= 1, label);
    await link.scrollIntoViewIfNeeded();
    await link.click();
    await page.locator('.tabs-container .tab.active[aria-label^="pairs.jsonl"]').first().waitFor({ timeout: 30_000 });
    await page.locator('#status\\.editor\\.selection', { hasText: `Ln ${line},` }).waitFor({ timeout: 30_000 });
    // The selected line is that record: the report's example names the same line of the same file.
    const report = JSON.parse(readFileSync(join(workspace, '.reward-studio', 'models', MODEL, 'eval-report.json'), 'utf8')) as { labelNoise: { examples: Array<{ file: string; line: number }> } };
    assert.equal(report.labelNoise.examples[0].line, line);
    assert.equal(report.labelNoise.examples[0].file, join(workspace, 'data', 'pairs.jsonl'));
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'bias-report-example-opened.png') });
    console.log(`      screenshot: ${join(shots, 'bias-report-example-opened.png')}`);
  });
});
