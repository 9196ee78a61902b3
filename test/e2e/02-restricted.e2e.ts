// The packaged VSIX, installed like a user would, in a folder opened in Restricted Mode (workspace trust
// on, folder not trusted): validation still works, and VS Code shows the manifest's description of what
// Reward Studio does in Restricted Mode.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../vscode-server/codeServer';
import { BAD_JSONL, cliStats, seedWorkspace } from './lib/fixtures';
import { Session, stopAndCaptureFailures } from './lib/session';
import { activeTab, problemRows, quickOpen, runCommand, webviewFrame } from './lib/workbench';

interface Manifest {
  capabilities: { untrustedWorkspaces: { supported: string; description: string } };
}

suite('Restricted Mode: the installed VSIX', function () {
  let session: Session;
  let files: { train: string; bad: string };
  const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as Manifest;

  suiteSetup(async function () {
    this.timeout(180_000);
    const vsix = process.env.REWARD_STUDIO_E2E_VSIX;
    assert.ok(vsix, 'the e2e runner sets REWARD_STUDIO_E2E_VSIX');
    session = await Session.start({
      name: 'restricted',
      trust: true,
      vsix,
      seed: (workspace) => {
        files = seedWorkspace(workspace);
      },
    });
  });

  stopAndCaptureFailures(() => session);

  test('the window is in Restricted Mode', async () => {
    await session.page
      .locator('.part.statusbar', { hasText: 'Restricted Mode' })
      .waitFor({ timeout: 30_000 });
  });

  test('"Validate Preference File" still reports the problems', async () => {
    const { page } = session;
    await quickOpen(page, BAD_JSONL.name);
    await runCommand(page, 'Reward Studio: Validate Preference File');
    const rows = await problemRows(page, BAD_JSONL.problems.length);
    for (const p of BAD_JSONL.problems) {
      assert.ok(
        rows.some((r) => r.text.includes(`[Ln ${p.line}, Col ${p.column}]`) && r.text.includes(p.code)),
        `no ${p.code} at ${p.line}:${p.column} in\n${rows.map((r) => r.text).join('\n')}`,
      );
    }
  });

  test('the stats panel renders from the packaged webview bundle', async () => {
    const { page } = session;
    await quickOpen(page, 'train.jsonl');
    await runCommand(page, 'Reward Studio: Show Preference Data Stats');
    await activeTab(page, 'Stats: train.jsonl').waitFor({ timeout: 30_000 });
    const frame = await webviewFrame(page, 'Length-only baseline');
    const records = await frame
      .locator('.tile', { hasText: 'Records' })
      .locator('.tile-value')
      .first()
      .textContent();
    assert.equal(records, new Intl.NumberFormat('en-US').format(cliStats(files.train).records));
  });

  test('the extension page shows the Restricted Mode description from the manifest', async () => {
    const { page } = session;
    const { supported, description } = manifest.capabilities.untrustedWorkspaces;
    assert.equal(supported, 'limited');
    await runCommand(page, 'Extensions: Show Installed Extensions');
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Reward Studio' }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const editor = page.locator('.extension-editor');
    await editor.getByText(description, { exact: false }).waitFor({ timeout: 30_000 });
  });
});
