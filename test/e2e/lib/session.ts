/**
 * One browser end-to-end session: a code-server with a fresh workspace, a Chromium tab on its workbench,
 * and what to keep when a test fails (a screenshot, the server log, the extension host's logs).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, newWorkbenchPage, type RunningBrowser } from '../../vscode-server/browser';
import {
  createScratch,
  developmentPayload,
  installVsix,
  repoRoot,
  startCodeServer,
  writeUserSettings,
  type CodeServer,
  type Scratch,
} from '../../vscode-server/codeServer';
import { runCommand, waitForWorkbench } from './workbench';

export const ARTIFACTS = join(repoRoot(), '.test-artifacts', 'e2e');

export interface SessionOptions {
  name: string;
  /** Workspace trust on: the folder opens in Restricted Mode. */
  trust?: boolean;
  /** Install this VSIX; otherwise this checkout loads as a development extension. */
  vsix?: string;
  /** Writes the workspace's files before the server starts. */
  seed(workspace: string): void;
}

export class Session {
  /** Set when a test failed: the scratch folder (workspace, user data) is kept for a look. */
  private failed = false;

  private constructor(
    readonly name: string,
    readonly scratch: Scratch,
    readonly server: CodeServer,
    private readonly browser: RunningBrowser,
    private readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  get artifacts(): string {
    return join(ARTIFACTS, this.name);
  }

  static async start(options: SessionOptions): Promise<Session> {
    const artifacts = join(ARTIFACTS, options.name);
    mkdirSync(artifacts, { recursive: true });
    const scratch = createScratch(`e2e-${options.name}`);
    options.seed(scratch.workspace);
    writeUserSettings(scratch, { trust: options.trust });
    if (options.vsix) await installVsix(scratch, options.vsix);
    const server = await startCodeServer({
      scratch,
      trust: options.trust,
      logFile: join(artifacts, 'code-server.log'),
    });
    let browser: RunningBrowser | undefined;
    try {
      browser = await launchBrowser();
      const { context, page } = await newWorkbenchPage(browser.browser);
      const session = new Session(options.name, scratch, server, browser, context, page);
      const payload: Array<[string, string]> = options.vsix
        ? [['skipWelcome', 'true']]
        : developmentPayload(server, repoRoot());
      await page.goto(server.workbenchUrl(payload));
      await waitForWorkbench(page);
      return session;
    } catch (error) {
      await browser?.close();
      await server.stop();
      throw error;
    }
  }

  /**
   * Switches between the light and dark theme as a user does, with "Preferences: Toggle between
   * Light/Dark Themes" (preferred themes: Default Light Modern / Default Dark Modern), and waits for the
   * workbench to repaint.
   */
  async useTheme(kind: 'light' | 'dark'): Promise<void> {
    const cls = kind === 'light' ? 'vs' : 'vs-dark';
    const workbench = this.page.locator(`.monaco-workbench.${cls}`);
    if ((await workbench.count()) > 0) return;
    await runCommand(this.page, 'Preferences: Toggle between Light/Dark Themes');
    await workbench.waitFor({ timeout: 30_000 });
  }

  /** The extension's own log ("Reward Studio" output channel), as the server wrote it. */
  extensionLogFiles(): string[] {
    const logs = join(this.scratch.userData, 'logs');
    if (!existsSync(logs)) return [];
    return readdirSync(logs, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('Reward Studio.log'))
      .map((f) => join(logs, f));
  }

  /** Saves a screenshot and the logs for a failed test; returns what it saved. */
  async captureFailure(testTitle: string): Promise<string[]> {
    this.failed = true;
    const slug = testTitle.replace(/[^\w.-]+/g, '_').slice(0, 100);
    const saved: string[] = [];
    const shot = join(this.artifacts, `${slug}.png`);
    if (
      await this.page.screenshot({ path: shot, fullPage: true }).then(
        () => true,
        () => false,
      )
    )
      saved.push(shot);
    saved.push(this.server.logFile);
    const logs = join(this.scratch.userData, 'logs');
    if (existsSync(logs)) {
      const copy = join(this.artifacts, 'vscode-logs');
      cpSync(logs, copy, { recursive: true });
      saved.push(copy);
    }
    return saved;
  }

  async stop(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await this.browser.close();
    await this.server.stop();
    if (this.failed) console.log(`  scratch kept: ${this.scratch.root}`);
    else rmSync(this.scratch.root, { recursive: true, force: true });
  }
}

/**
 * What every suite does around its session: stop it after the suite, and keep a failed test's
 * artifacts. `current` returns the suite's session (undefined until suiteSetup has made it).
 */
export function stopAndCaptureFailures(current: () => Session | undefined): void {
  suiteTeardown(async () => {
    await current()?.stop();
  });
  teardown(async function () {
    const session = current();
    if (this.currentTest?.state === 'failed' && session) {
      const saved = await session.captureFailure(this.currentTest.fullTitle());
      console.log(`    failure artifacts:\n      ${saved.join('\n      ')}`);
    }
  });
}
