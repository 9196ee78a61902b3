// Training in the workbench, as a user does it: "Train Reward Model" from the palette on a synthetic file
// with a tiny model (workspace settings) and enough epochs to still be running when the test is done
// watching; the dashboard's step count and curves grow; the dashboard is closed and reopened from the
// status-bar item mid-run and still shows the whole history; its Cancel button stops the run, which
// shows as cancelled, with checkpoints/last on disk. The real CLI trains: nothing here is scripted.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { repoRoot } from '../vscode-server/codeServer';
import { ARTIFACTS, Session, stopAndCaptureFailures } from './lib/session';
import { activeTab, quickOpen, runCommand, webviewFrame } from './lib/workbench';

const DASHBOARD_TEXT = 'Training on';

/** The tiny model, and far more epochs than the test waits for: the run is cancelled long before its end. */
const SETTINGS = {
  'rewardStudio.train.builtin.dModel': 32,
  'rewardStudio.train.builtin.nLayers': 1,
  'rewardStudio.train.builtin.nHeads': 2,
  'rewardStudio.train.tokenizerVocabSize': 300,
  'rewardStudio.train.maxLength': 128,
  'rewardStudio.train.epochs': 2000,
  'rewardStudio.train.evalSteps': 10,
};

interface DashboardReading {
  step: number;
  status: string;
  /** data-points of each curve's path, by series name. */
  points: Record<string, number>;
  /** Length of the train-loss path's data: the drawn curve itself. */
  lossPathLength: number;
  reference: boolean;
}

function read(frame: Frame): Promise<DashboardReading> {
  return frame.evaluate(() => {
    const points: Record<string, number> = {};
    for (const p of document.querySelectorAll('path[data-series]')) {
      points[p.getAttribute('data-series') ?? ''] = Number(p.getAttribute('data-points'));
    }
    return {
      step: Number(document.querySelector('.step-count')?.getAttribute('data-step') ?? -1),
      status: document.querySelector('.badge')?.getAttribute('data-status') ?? '',
      points,
      lossPathLength: document.querySelector('path[data-series="trainLoss"]')?.getAttribute('d')?.length ?? 0,
      reference: document.querySelector('#chart-accuracy line.reference') !== null,
    };
  });
}

/**
 * Waits for a notification: a toast while it shows (ten seconds for an info), else in the notification
 * list ("Notifications: Show Notifications"), which is closed again afterwards.
 */
async function notification(page: Page, text: string | RegExp): Promise<void> {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text });
  if (await toast.first().isVisible()) return;
  await runCommand(page, 'Notifications: Show Notifications');
  try {
    await page.locator('.notifications-center .notification-list-item', { hasText: text }).first().waitFor({ timeout: 30_000 });
  } finally {
    await runCommand(page, 'Notifications: Hide Notifications');
  }
}

/** The "$(sync~spin) Training 34% · loss 0.61" item, while a run is in progress. */
function statusBarItem(page: Page): Locator {
  return page.locator('.part.statusbar .statusbar-item', { hasText: /Training \d+%/ }).first();
}

async function until(page: Page, frame: Frame, what: string, ok: (r: DashboardReading) => boolean, timeoutMs = 60_000): Promise<DashboardReading> {
  const deadline = Date.now() + timeoutMs;
  let last: DashboardReading | undefined;
  for (;;) {
    last = await read(frame).catch(() => last);
    if (last && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the dashboard shows ${JSON.stringify(last)}`);
    await page.waitForTimeout(250);
  }
}

suite('Training: the dashboard of a live run', function () {
  let session: Session;
  let workspace: string;
  let dashboard: Frame;
  let beforeClose: DashboardReading;
  const shots = join(ARTIFACTS, 'screenshots');

  suiteSetup(async function () {
    this.timeout(180_000);
    session = await Session.start({
      name: 'training',
      seed: (ws) => {
        workspace = ws;
        mkdirSync(join(ws, 'data'), { recursive: true });
        mkdirSync(join(ws, '.vscode'), { recursive: true });
        execFileSync(process.execPath, [join(repoRoot(), 'dist', 'cli.js'), 'synth', '--out', join(ws, 'data', 'pairs.jsonl'), '--n', '200', '--seed', '5'], { stdio: 'pipe' });
        writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
      },
    });
    mkdirSync(shots, { recursive: true });
  });

  stopAndCaptureFailures(() => session);

  test('"Train Reward Model" from the palette opens the dashboard, and its curves grow', async () => {
    const { page } = session;
    await quickOpen(page, 'pairs.jsonl');
    await runCommand(page, 'Reward Studio: Train Reward Model');
    dashboard = await webviewFrame(page, DASHBOARD_TEXT, 60_000);
    // The progress notification (a toast for ten seconds, then in the notification list) and the status-bar item.
    await notification(page, 'Training a reward model on pairs.jsonl');
    const first = await until(page, dashboard, 'the first steps', (r) => r.step >= 3 && (r.points.trainLoss ?? 0) >= 3);
    assert.equal(first.status, 'running');
    const later = await until(page, dashboard, 'more steps', (r) => r.step >= first.step + 5 && (r.points.trainLoss ?? 0) > first.points.trainLoss);
    assert.ok(later.lossPathLength > first.lossPathLength, `the loss path grew: ${first.lossPathLength} → ${later.lossPathLength}`);
    const withEval = await until(page, dashboard, 'an evaluation (evalSteps 10)', (r) => (r.points.evalLoss ?? 0) >= 1);
    assert.ok(withEval.reference, 'the accuracy chart shows the length-only baseline as a reference line');
    for (const series of ['trainAccuracy', 'trainMargin', 'learningRate', 'gradNorm', 'evalAccuracy', 'evalMargin']) {
      assert.ok((withEval.points[series] ?? 0) >= 1, `no ${series} curve: ${JSON.stringify(withEval.points)}`);
    }
    const tiles = await dashboard.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll('[data-tile]')].map((t) => [t.getAttribute('data-tile'), t.querySelector('.tile-value')?.textContent ?? ''])),
    );
    assert.equal(tiles['Provider'], 'CPU');
    // Compact notation: this 1-layer d=32 model trains at hundreds of thousands to millions of tokens/s.
    assert.match(tiles['Tokens/s'] ?? '', /^[\d.]+[KM]?$/);
    assert.match(tiles['Step'] ?? '', /^[\d,]+$/);
    await statusBarItem(page).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'training-running.png') });
    console.log(`      screenshot: ${join(shots, 'training-running.png')}`);
  });

  test('closed and reopened mid-run (from the status bar), the dashboard still shows the whole history', async () => {
    const { page } = session;
    beforeClose = await read(dashboard);
    const tab = page.locator('.tabs-container .tab', { hasText: 'Training Dashboard' }).first();
    await tab.click();
    await activeTab(page, 'Training Dashboard').waitFor({ timeout: 30_000 });
    await runCommand(page, 'View: Close Editor');
    await tab.waitFor({ state: 'detached', timeout: 30_000 });
    const stillShown = await webviewFrame(page, DASHBOARD_TEXT, 1000).then(
      () => true,
      () => false,
    );
    assert.equal(stillShown, false, 'the dashboard is closed');
    await page.waitForTimeout(1500); // the run goes on without a dashboard
    await statusBarItem(page).click();
    await activeTab(page, 'Training Dashboard').waitFor({ timeout: 30_000 });
    dashboard = await webviewFrame(page, DASHBOARD_TEXT, 60_000);
    const reopened = await until(page, dashboard, 'the reopened dashboard’s snapshot', (r) => r.step > 0);
    assert.ok(reopened.step >= beforeClose.step, `step ${reopened.step} after reopening, ${beforeClose.step} before`);
    assert.ok(
      reopened.points.trainLoss >= beforeClose.points.trainLoss + 1,
      `the loss curve kept its ${beforeClose.points.trainLoss} points and grew while closed: ${reopened.points.trainLoss}`,
    );
    assert.ok((reopened.points.evalLoss ?? 0) >= (beforeClose.points.evalLoss ?? 0));
    // And it keeps updating.
    await until(page, dashboard, 'updates after reopening', (r) => r.step > reopened.step);
  });

  test('Cancel in the dashboard stops the run: cancelled, with checkpoints/last on disk', async () => {
    const { page } = session;
    await dashboard.getByRole('button', { name: 'Cancel', exact: true }).click();
    const done = await until(page, dashboard, 'the cancelled state', (r) => r.status === 'cancelled', 60_000);
    assert.ok(done.step > 0);
    await dashboard.getByRole('button', { name: 'Resume', exact: true }).waitFor({ timeout: 10_000 });
    assert.ok(await dashboard.getByText(/checkpoints\/last holds the run/).isVisible());
    await notification(page, /Training on pairs\.jsonl cancelled at step \d+/);
    await statusBarItem(page).waitFor({ state: 'hidden', timeout: 30_000 });

    const models = join(workspace, '.reward-studio', 'models');
    const runs = readdirSync(models);
    assert.equal(runs.length, 1, runs.join(', '));
    const run = join(models, runs[0]);
    assert.ok(existsSync(join(run, 'checkpoints', 'last', 'state.json')), `no checkpoints/last in ${run}`);
    const events = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; status?: string; reason?: string; step?: number });
    assert.ok(events.some((e) => e.type === 'checkpoint' && e.reason === 'cancel'));
    const last = events.at(-1);
    assert.equal(last?.type, 'done');
    assert.equal(last?.status, 'cancelled');
    assert.equal(last?.step, done.step, 'the dashboard shows the step the checkpoint holds');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'training-cancelled.png') });
    console.log(`      screenshot: ${join(shots, 'training-cancelled.png')}`);
  });

  test('the dashboard follows the light theme (screenshot saved)', async () => {
    const { page } = session;
    await session.useTheme('light');
    dashboard = await webviewFrame(page, DASHBOARD_TEXT);
    await dashboard.locator('body.vscode-light').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'training-light.png') });
    console.log(`      screenshot: ${join(shots, 'training-light.png')}`);
    await session.useTheme('dark');
  });
});
