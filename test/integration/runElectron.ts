/**
 * `npm run test:electron`: the same extension-host suites as runCodeServer.ts, in VS Code desktop
 * (Electron) downloaded by @vscode/test-electron — at the oldest version the manifest accepts
 * (engines.vscode ^1.90.0) and at the current stable. For machines that can reach
 * https://update.code.visualstudio.com; not part of `npm test`, whose code-server layers need no download.
 * On a Linux machine without a display, run it under `xvfb-run -a`.
 *
 * usage: node out/test/integration/runElectron.js [--versions 1.90.0,stable] [--runs workspace,restricted,vsix]
 *                                                 [--vsix FILE]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  downloadAndUnzipVSCode,
  resolveCliPathFromVSCodeExecutablePath,
  runTests,
} from '@vscode/test-electron';
import { createScratch, repoRoot, writeProbeExtension, writeUserSettings } from '../vscode-server/codeServer';
import type { SuiteResults } from './lib/mochaEntry';

const UPDATE_SERVER = 'https://update.code.visualstudio.com';
const RUNS = ['workspace', 'restricted', 'vsix'] as const;
type RunName = (typeof RUNS)[number];

const root = repoRoot();

function minimumVersion(): string {
  const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    engines: { vscode: string };
  };
  const version = /(\d+\.\d+\.\d+)/.exec(engines.vscode)?.[1];
  if (!version) throw new Error(`cannot read a version from engines.vscode "${engines.vscode}"`);
  return version;
}

function parseArgs(argv: string[]): { versions: string[]; runs: RunName[]; vsix?: string } {
  const opts: { versions: string[]; runs: RunName[]; vsix?: string } = {
    versions: [minimumVersion(), 'stable'],
    runs: [...RUNS],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--versions') opts.versions = argv[++i].split(',');
    else if (a === '--runs') opts.runs = argv[++i].split(',') as RunName[];
    else if (a === '--vsix') opts.vsix = argv[++i];
    else throw new Error(`unknown argument '${a}'`);
  }
  return opts;
}

/** Fails fast, and says why, where VS Code cannot be downloaded (as on the machines CI runs on here). */
async function checkDownloadable(): Promise<void> {
  try {
    const response = await fetch(`${UPDATE_SERVER}/api/releases/stable`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return;
    throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    throw new Error(
      `needs internet access to ${UPDATE_SERVER} to download VS Code desktop ` +
        `(${reason}). This machine cannot reach it: use \`npm run test:integration\`, which runs the same ` +
        'suites in code-server from the npm registry.',
    );
  }
}

async function runOne(
  version: string,
  executable: string,
  name: RunName,
  vsix: string | undefined,
): Promise<SuiteResults | undefined> {
  const scratch = createScratch(`electron-${name}`);
  const resultsFile = join(scratch.root, 'results.json');
  console.log(`\n── electron ${version}: ${name}`);
  try {
    writeUserSettings(scratch, { trust: name === 'restricted' });
    let extensionDevelopmentPath = root;
    if (name === 'vsix') {
      if (!vsix) throw new Error('no VSIX');
      const cli = resolveCliPathFromVSCodeExecutablePath(executable);
      const r = spawnSync(
        cli,
        [
          '--user-data-dir',
          scratch.userData,
          '--extensions-dir',
          scratch.extensions,
          '--install-extension',
          vsix,
          '--force',
        ],
        { stdio: 'inherit', shell: process.platform === 'win32' },
      );
      if (r.status !== 0) throw new Error(`installing ${vsix} failed`);
      extensionDevelopmentPath = writeProbeExtension(scratch);
    }
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath,
      extensionTestsPath: join(root, 'out', 'test', 'integration', name, 'index.js'),
      launchArgs: [
        scratch.workspace,
        '--user-data-dir',
        scratch.userData,
        '--extensions-dir',
        scratch.extensions,
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-gpu',
        ...(name === 'restricted' ? [] : ['--disable-workspace-trust']),
      ],
      extensionTestsEnv: {
        REWARD_STUDIO_TEST_RESULTS: resultsFile,
        REWARD_STUDIO_TEST_COLOR: process.stdout.isTTY ? '1' : '0',
        REWARD_STUDIO_EXTENSION_PATH: name === 'vsix' ? '' : root,
        REWARD_STUDIO_EXTENSIONS_DIR: scratch.extensions,
      },
    });
  } catch (error) {
    console.error(`✖ electron ${version} ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let results: SuiteResults | undefined;
  try {
    results = JSON.parse(readFileSync(resultsFile, 'utf8')) as SuiteResults;
  } catch {
    results = undefined;
  }
  rmSync(scratch.root, { recursive: true, force: true });
  return results;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  await checkDownloadable();
  let vsix = opts.vsix;
  if (opts.runs.includes('vsix') && !vsix) {
    vsix = join(root, '.test-artifacts', 'vsix', `reward-studio-${process.platform}-${process.arch}.vsix`);
    execFileSync(process.execPath, [join(root, 'scripts', 'package-vsix.mjs'), '--out', vsix], {
      stdio: 'inherit',
    });
  }
  let passed = 0;
  let failed = 0;
  for (const version of opts.versions) {
    const executable = await downloadAndUnzipVSCode({ version, cachePath: join(root, '.vscode-test') });
    for (const name of opts.runs) {
      const r = await runOne(version, executable, name, vsix);
      passed += r?.passed ?? 0;
      failed += r ? r.failed : 1;
    }
  }
  console.log(`── electron (${opts.versions.join(', ')}): ${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`test:electron: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
