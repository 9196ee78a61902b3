/**
 * Chromium (Debian's package) driven by playwright-core. Launched as a Playwright browser server so the
 * harness knows its PID and can stop its process group like the code-server's (processes.ts).
 *
 *   REWARD_STUDIO_E2E_HEADED=1   show the window (needs a display: a desktop, or `xvfb-run -a`)
 *   REWARD_STUDIO_E2E_SLOWMO=250 wait this many ms before each browser action, to watch it
 *   CHROMIUM_PATH=/path          another Chromium or Chrome binary
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { track } from './processes';

export interface RunningBrowser {
  browser: Browser;
  pid: number;
  close(): Promise<void>;
}

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) {
    throw new Error(
      "Chromium not found: install Debian's `chromium` package (.ci/run does) or set CHROMIUM_PATH.",
    );
  }
  return found;
}

/** Playwright gives each launch a fresh profile in a temporary folder and removes it on close. */
export async function launchBrowser(): Promise<RunningBrowser> {
  const headed = process.env.REWARD_STUDIO_E2E_HEADED === '1';
  const server = await chromium.launchServer({
    executablePath: chromiumPath(),
    headless: !headed,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    timeout: 60_000,
  });
  const pid = server.process().pid;
  if (pid === undefined) {
    await server.close();
    throw new Error('Chromium started without a PID');
  }
  const stop = track(pid, `chromium (pid ${pid})`);
  const slowMo = Number(process.env.REWARD_STUDIO_E2E_SLOWMO ?? 0) || undefined;
  let browser: Browser;
  try {
    browser = await chromium.connect(server.wsEndpoint(), { slowMo, timeout: 30_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    browser,
    pid,
    async close() {
      await browser.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      await stop();
    },
  };
}

export async function newWorkbenchPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  return { context, page };
}
