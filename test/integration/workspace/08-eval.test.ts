// "Show Bias Report" end to end in the extension host: a tiny model trained through the CLI in the
// workspace, then the command on its folder runs the real CLI (dist/cli.js eval) as a child process,
// writes <model>/eval-report.json and opens the bias-report panel; the same command on that report file
// shows it again without evaluating; a file that is not a report is refused with a reason.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { allTabs, closeAllEditors, extension, waitFor, workspaceDir } from '../lib/host';
import { say } from '../lib/output';

/** What rewardStudio.showBiasReport resolves to (src/extension/eval/biasReports.ts). */
interface BiasReportResult {
  status: 'shown' | 'failed' | 'cancelled';
  reportFile: string | null;
  modelDir: string | null;
  message?: string;
}

const TIMEOUT_MS = 180_000;

/** The CLI the extension runs, run the same way (the extension host's own executable as Node). */
function cli(...args: string[]): string {
  return execFileSync(process.execPath, [join(extension().extensionPath, 'dist', 'cli.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

function reportTabs(): vscode.Tab[] {
  return allTabs().filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('rewardStudio.biasReport'));
}

suite('Bias report', function () {
  this.timeout(TIMEOUT_MS);
  let modelDir: string;
  let dataFile: string;

  suiteSetup(function () {
    this.timeout(TIMEOUT_MS);
    dataFile = join(workspaceDir(), 'eval', 'pairs.jsonl');
    mkdirSync(dirname(dataFile), { recursive: true });
    cli('synth', '--out', dataFile, '--n', '200', '--seed', '5');
    modelDir = join(workspaceDir(), '.reward-studio', 'models', 'pairs-tiny');
    const started = Date.now();
    // The tiny model of 06-training.test.ts, trained by the CLI directly.
    cli('train', '--data', dataFile, '--out', modelDir, '--d-model', '32', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '128', '--epochs', '1', '--batch-size', '16', '--provider', 'cpu', '--log-steps', '100');
    say(`bias report: tiny model trained in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  suiteTeardown(async () => {
    await closeAllEditors();
  });

  test('the command on a model folder evaluates it in a child process and opens the panel', async () => {
    const started = Date.now();
    const result = await vscode.commands.executeCommand<BiasReportResult | undefined>('rewardStudio.showBiasReport', vscode.Uri.file(modelDir));
    say(`bias report: evaluation ${((Date.now() - started) / 1000).toFixed(1)} s from the command to the panel`);
    assert.ok(result, 'the command returned nothing');
    assert.equal(result.status, 'shown', JSON.stringify(result));
    const reportFile = join(modelDir, 'eval-report.json');
    assert.equal(result.reportFile, reportFile);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      format: string;
      model: { dir: string };
      data: { file: string; pairs: number; scored: number };
      accuracy: { n: number; ci: unknown[] };
      length: { scatter?: { points: unknown[] } };
      labelNoise: { examples: Array<{ file: string; line: number }> };
    };
    assert.equal(report.format, 'reward-studio/eval-report@1');
    assert.equal(report.model.dir, modelDir);
    assert.equal(report.data.file, dataFile);
    assert.ok(report.data.pairs > 0 && report.accuracy.n > 0 && report.accuracy.ci.length === 2);
    assert.ok((report.length.scatter?.points.length ?? 0) > 0, 'the report carries the scatter points');
    for (const e of report.labelNoise.examples) assert.equal(e.file, dataFile);
    // Titled after the model once the report is in (the tab label follows the panel's title).
    await waitFor('the bias report panel titled after the model', () => reportTabs().find((t) => t.label === 'Bias Report: pairs-tiny'));
    assert.ok(extension().isActive);
  });

  test('the command on an eval-report.json shows it without evaluating again', async () => {
    const reportFile = join(modelDir, 'eval-report.json');
    const before = statSync(reportFile).mtimeMs;
    await closeAllEditors();
    const result = await vscode.commands.executeCommand<BiasReportResult | undefined>('rewardStudio.showBiasReport', vscode.Uri.file(reportFile));
    assert.equal(result?.status, 'shown');
    assert.equal(statSync(reportFile).mtimeMs, before, 'the report was not rewritten');
    await waitFor('the bias report panel', () => reportTabs()[0]);
  });

  test('a JSON file that is not a report is refused with a reason', async () => {
    const other = join(workspaceDir(), 'eval', 'not-a-report.json');
    writeFileSync(other, JSON.stringify({ format: 'something/else' }));
    const result = await vscode.commands.executeCommand<BiasReportResult | undefined>('rewardStudio.showBiasReport', other);
    assert.equal(result?.status, 'failed');
    assert.match(result?.message ?? '', /not an evaluation report/);
  });
});
