// The extension from this checkout in a real VS Code workbench, driven through the UI the way a user
// does: the activity bar, the command palette, the stats webview (clicks inside its nested frames), the
// editor, and the Problems panel. Numbers on screen are checked against `reward-studio stats --json`.
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Frame } from 'playwright-core';
import { formatBytes } from '../../src/extension/report';
import { BAD_JSONL, cliStats, seedWorkspace, type CliStats } from './lib/fixtures';
import { ARTIFACTS, Session, stopAndCaptureFailures } from './lib/session';
import {
  activeTab,
  activityBarItem,
  cursorAt,
  goToLine,
  paletteEntries,
  problemRows,
  quickOpen,
  runCommand,
  webviewFrame,
} from './lib/workbench';

const count = (n: number): string => new Intl.NumberFormat('en-US').format(n);
const percent = (rate: number): string => `${(rate * 100).toFixed(1)}%`;

/** label → value of every tile in the stats webview. */
function tiles(frame: Frame): Promise<Record<string, string>> {
  return frame.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('.tile')].map((t) => [
        t.querySelector('.tile-label')?.textContent ?? '',
        t.querySelector('.tile-value')?.textContent ?? '',
      ]),
    ),
  );
}

suite('Workbench: the extension from source', function () {
  let session: Session;
  let files: { train: string; bad: string };
  let expected: CliStats;
  let stats: Frame;

  suiteSetup(async function () {
    this.timeout(180_000);
    session = await Session.start({
      name: 'workbench',
      seed: (workspace) => {
        files = seedWorkspace(workspace);
        expected = cliStats(files.train);
      },
    });
  });

  stopAndCaptureFailures(() => session);

  test("the Preference Data view lists the workspace's preference files with their sizes", async () => {
    const { page } = session;
    await activityBarItem(page).click();
    await page.locator('.part.sidebar .title', { hasText: /Reward Studio/i }).waitFor({ timeout: 30_000 });
    for (const file of [files.train, files.bad]) {
      const row = page.locator('.part.sidebar .monaco-list-row', { hasText: basename(file) });
      await row.waitFor({ timeout: 30_000 });
      assert.match(await row.innerText(), new RegExp(`${formatBytes(statSync(file).size)} · data`));
    }
  });

  test('the palette offers the three commands and hides the internal one', async () => {
    const entries = await paletteEntries(session.page, 'Reward Studio');
    for (const title of [
      'Reward Studio: Validate Preference File',
      'Reward Studio: Show Preference Data Stats',
      'Reward Studio: Refresh Preference Data',
    ]) {
      assert.ok(entries.includes(title), `${title} is not in the palette: ${entries.join(' | ')}`);
    }
    assert.ok(!entries.some((e) => /runtime/i.test(e)), `the internal command shows: ${entries.join(' | ')}`);
  });

  test('"Show Preference Data Stats" from the palette shows the numbers the CLI computes', async () => {
    const { page } = session;
    await quickOpen(page, 'train.jsonl');
    await runCommand(page, 'Reward Studio: Show Preference Data Stats');
    await activeTab(page, 'Stats: train.jsonl').waitFor({ timeout: 30_000 });
    stats = await webviewFrame(page, 'Length-only baseline');
    const shown = await tiles(stats);
    assert.deepEqual(
      {
        Records: shown['Records'],
        'Distinct prompts': shown['Distinct prompts'],
        'Invalid lines': shown['Invalid lines'],
        Duplicates: shown['Duplicates'],
        'Identical sides': shown['Identical sides'],
        'Empty sides': shown['Empty sides'],
        'Baseline accuracy': shown['Baseline accuracy'],
        'Chosen is longer': shown['Chosen is longer'],
        'Same length': shown['Same length'],
      },
      {
        Records: count(expected.records),
        'Distinct prompts': count(expected.prompts),
        'Invalid lines': count(expected.invalid),
        Duplicates: count(expected.duplicates),
        'Identical sides': count(expected.identical),
        'Empty sides': count(expected.emptySides),
        'Baseline accuracy': percent(expected.lengthBaselineAccuracy),
        'Chosen is longer': percent(expected.chosenLongerRate),
        'Same length': percent(expected.equalLengthRate),
      },
    );
    assert.ok(expected.invalid > 0 && expected.duplicates > 0, 'the seeded damage shows in the CLI numbers');
    const subtitle = `${expected.format} format · ${count(expected.lines)} lines (${count(expected.blankLines)} blank)`;
    assert.ok(await stats.getByText(subtitle).isVisible(), `subtitle "${subtitle}" not shown`);
    const lengthRows = await stats.evaluate(() =>
      [...document.querySelectorAll('table.lengths tbody tr')].map((tr) =>
        [...tr.children].map((c) => c.textContent ?? ''),
      ),
    );
    const row = (label: string, l: CliStats['lengths']['chosen']): string[] => [
      label,
      ...[l.n, l.mean, l.p10, l.p50, l.p90, l.p99, l.max].map((v) => count(Math.round(v))),
    ];
    assert.deepEqual(lengthRows, [
      row('Prompt', expected.lengths.prompt),
      row('Chosen', expected.lengths.chosen),
      row('Rejected', expected.lengths.rejected),
    ]);
  });

  test("the Linear/Log toggle switches the histogram's y axis", async () => {
    const pressed = (label: string): Promise<string | null> =>
      stats.getByRole('button', { name: label, exact: true }).getAttribute('aria-pressed');
    const yTicks = (): Promise<string[]> =>
      stats.evaluate(() =>
        [...document.querySelectorAll('svg.chart text.tick[text-anchor="end"]')].map(
          (t) => t.textContent ?? '',
        ),
      );
    assert.equal(await pressed('Linear'), 'true');
    const linear = await yTicks();
    await stats.getByRole('button', { name: 'Log', exact: true }).click();
    await stats.locator('button[aria-pressed="true"]', { hasText: 'Log' }).waitFor({ timeout: 10_000 });
    assert.equal(await pressed('Linear'), 'false');
    const log = await yTicks();
    assert.notDeepEqual(log, linear);
    assert.ok(log.includes('10'), `log-scale ticks are powers of ten: ${log.join(', ')}`);
    await stats.getByRole('button', { name: 'Linear', exact: true }).click();
    await stats.locator('button[aria-pressed="true"]', { hasText: 'Linear' }).waitFor({ timeout: 10_000 });
  });

  test('the file link in the stats panel opens the file in the editor at its line', async () => {
    const { page } = session;
    await runCommand(page, 'View: Close All Editors');
    await quickOpen(page, 'train.jsonl');
    await goToLine(page, 5);
    await runCommand(page, 'Reward Studio: Show Preference Data Stats');
    stats = await webviewFrame(page, 'Length-only baseline');
    await stats.getByRole('button', { name: 'train.jsonl', exact: true }).click();
    await activeTab(page, 'train.jsonl').waitFor({ timeout: 30_000 });
    await cursorAt(page, 1, 1);
  });

  test('the stats webview has a strict CSP with a nonce, loads nothing remote and cannot eval', async () => {
    const { page } = session;
    await page
      .getByRole('tab', { name: /^Stats: train\.jsonl/ })
      .first()
      .click();
    stats = await webviewFrame(page, 'Length-only baseline');
    const doc = await stats.evaluate(() => ({
      csp:
        document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
      scripts: [...document.querySelectorAll('script[src]')].map((s) => ({
        src: (s as HTMLScriptElement).src,
        nonce: (s as HTMLScriptElement).nonce,
      })),
      urls: [
        ...[...document.querySelectorAll('[src]')].map((e) => (e as HTMLScriptElement).src),
        ...[...document.querySelectorAll('link[href]')].map((e) => (e as HTMLLinkElement).href),
        ...performance.getEntriesByType('resource').map((e) => e.name),
      ],
    }));
    const directives = Object.fromEntries(
      doc.csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...sources]) => [name, sources]),
    );
    assert.deepEqual(directives['default-src'], ["'none'"], doc.csp);
    assert.equal(directives['script-src']?.length, 1, doc.csp);
    const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(directives['script-src'][0])?.[1];
    assert.ok(nonce, `script-src is not a single nonce: ${doc.csp}`);
    assert.ok(!/unsafe-(inline|eval)|\*(\s|;|$)|http:/.test(doc.csp), `loosened CSP: ${doc.csp}`);
    assert.ok(doc.scripts.length > 0);
    for (const s of doc.scripts) assert.equal(s.nonce, nonce, `${s.src} has another nonce`);
    // Local resources come from VS Code's webview resource origin (served through its service worker).
    for (const url of doc.urls) {
      assert.match(
        new URL(url).hostname,
        /\.vscode-resource\.vscode-cdn\.net$/,
        `not a local resource: ${url}`,
      );
    }

    // Behaviour, not only the text: the browser must block eval, un-nonced inline script and remote loads.
    // (Eval from the test itself would prove nothing: DevTools evaluation is exempt from CSP.)
    const blocked = await stats.evaluate(async () => {
      const w = window as unknown as Record<string, unknown>;
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
      setTimeout('window.__evalRan = true', 0); // string → eval-like
      const inline = document.createElement('script');
      inline.textContent = 'window.__inlineRan = true';
      document.body.append(inline);
      const img = new Image();
      img.src = 'https://example.com/pixel.png';
      document.body.append(img);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      inline.remove();
      img.remove();
      return { evalRan: w.__evalRan === true, inlineRan: w.__inlineRan === true, violations };
    });
    assert.equal(blocked.evalRan, false, 'a string passed to setTimeout ran');
    assert.equal(blocked.inlineRan, false, 'an inline script without the nonce ran');
    assert.ok(
      blocked.violations.some((v) => v.startsWith('script-src') && v.endsWith('eval')),
      blocked.violations.join('; '),
    );
    assert.ok(
      blocked.violations.some((v) => v.startsWith('script-src') && v.endsWith('inline')),
      blocked.violations.join('; '),
    );
    assert.ok(
      blocked.violations.some((v) => v.startsWith('img-src') && v.includes('example.com')),
      blocked.violations.join('; '),
    );
  });

  test('the host ignores forged and malformed messages from the webview', async () => {
    const { page } = session;
    stats = await webviewFrame(page, 'Length-only baseline');
    const host = stats.parentFrame();
    assert.ok(host, 'the webview document has no host frame');
    // What acquireVsCodeApi().postMessage does, with messages the app never sends.
    await host.evaluate(() => {
      const post = (window as unknown as { __vscode_post_message__: (c: string, d: unknown) => void })
        .__vscode_post_message__;
      post('onmessage', { message: { type: 'openLocation', file: '/etc/passwd', line: 1 } });
      post('onmessage', { message: { type: 'openLocation', file: 42, line: 'x' } });
      post('onmessage', { message: { type: 'runShell', command: 'rm -rf /' } });
    });
    const deadline = Date.now() + 15_000;
    let log = '';
    while (Date.now() < deadline) {
      log = session
        .extensionLogFiles()
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
      if (
        /refused to open \/etc\/passwd/.test(log) &&
        (log.match(/ignored a malformed message/g) ?? []).length >= 2
      )
        break;
      await page.waitForTimeout(250);
    }
    assert.match(log, /refused to open \/etc\/passwd/);
    assert.equal((log.match(/ignored a malformed message/g) ?? []).length, 2, log);
    assert.equal(await page.locator('.tabs-container .tab', { hasText: 'passwd' }).count(), 0);
  });

  test('light and dark themes reach the webview (screenshots saved)', async () => {
    const { page } = session;
    const dir = join(ARTIFACTS, 'screenshots');
    mkdirSync(dir, { recursive: true });
    for (const [theme, bodyClass, file] of [
      ['light', 'vscode-light', 'stats-light.png'],
      ['dark', 'vscode-dark', 'stats-dark.png'],
    ] as const) {
      await session.useTheme(theme);
      stats = await webviewFrame(page, 'Length-only baseline');
      await stats.locator(`body.${bodyClass}`).waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500); // let the new colours paint
      await page.screenshot({ path: join(dir, file) });
      console.log(`      screenshot: ${join(dir, file)}`);
    }
  });

  test('"Validate Preference File" from the palette lists the problems in the Problems panel', async () => {
    const { page } = session;
    await quickOpen(page, BAD_JSONL.name);
    await runCommand(page, 'Reward Studio: Validate Preference File');
    const rows = await problemRows(page, BAD_JSONL.problems.length);
    for (const p of BAD_JSONL.problems) {
      const match = rows.find(
        (r) => r.text.includes(`[Ln ${p.line}, Col ${p.column}]`) && r.text.includes(p.code),
      );
      assert.ok(
        match,
        `no ${p.code} problem at ${p.line}:${p.column} in\n${rows.map((r) => r.text).join('\n')}`,
      );
      assert.ok(match.ariaLabel.startsWith(`${p.severity}:`), match.ariaLabel);
      assert.match(match.ariaLabel, /generated by Reward Studio/);
    }
  });
});
