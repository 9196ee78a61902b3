/**
 * The extension-host layer, here: the suites in test/integration/{workspace,restricted,vsix} run inside a
 * real VS Code extension host — code-server's — each in its own server, browser tab and fresh workspace:
 *
 *   workspace   the extension from this checkout (extensionDevelopmentPath), a trusted workspace
 *   restricted  the same, in a workspace opened in Restricted Mode (workspace trust on, not trusted)
 *   vsix        the packaged VSIX installed with `code-server --install-extension`
 *
 * The workbench runs each suite from its URL payload (VS Code's smoke-test driver, the browser
 * counterpart of @vscode/test-electron) and reports mocha's exit code through `codeAutomationExit`.
 *
 * usage: node out/test/integration/runCodeServer.js [--runs workspace,restricted,vsix] [--vsix FILE]
 *                                                   [--summary FILE] [--keep]
 *   --vsix     install this VSIX instead of building one (`npm run package`)
 *   --summary  write {passed, failed, runs} as JSON there (scripts/test.mjs reads it)
 *   --keep     keep each run's scratch folder (workspace, user data, logs) even when it passes
 * env: REWARD_STUDIO_TEST_GREP=<regexp> runs only matching tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  codeServerInstall,
  createScratch,
  developmentPayload,
  installVsix,
  repoRoot,
  startCodeServer,
  writeProbeExtension,
  writeUserSettings,
  type CodeServer,
} from '../vscode-server/codeServer';
import { launchBrowser, newWorkbenchPage, type RunningBrowser } from '../vscode-server/browser';
import type { SuiteResults } from './lib/mochaEntry';
import { TAG } from './lib/output';

const RUNS = ['workspace', 'restricted', 'vsix'] as const;
type RunName = (typeof RUNS)[number];

/** One suite folder's run, bounded: a hung workbench fails the run instead of hanging CI. */
const RUN_TIMEOUT_MS = Number(process.env.REWARD_STUDIO_RUN_TIMEOUT_MS ?? 300_000);

interface RunOutcome {
  name: RunName;
  passed: number;
  failed: number;
  pending: number;
  exitCode: number | 'timeout';
  seconds: number;
  artifacts: string;
}

const root = repoRoot();
const artifactsRoot = join(root, '.test-artifacts', 'integration');

function parseArgs(argv: string[]): { runs: RunName[]; vsix?: string; summary?: string; keep: boolean } {
  const opts: { runs: RunName[]; vsix?: string; summary?: string; keep: boolean } = {
    runs: [...RUNS],
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') {
      opts.runs = argv[++i].split(',').map((r) => {
        if (!(RUNS as readonly string[]).includes(r))
          throw new Error(`unknown run '${r}'; runs: ${RUNS.join(', ')}`);
        return r as RunName;
      });
    } else if (a === '--vsix') opts.vsix = argv[++i];
    else if (a === '--summary') opts.summary = argv[++i];
    else if (a === '--keep') opts.keep = true;
    else throw new Error(`unknown argument '${a}'`);
  }
  return opts;
}

function buildVsix(): string {
  const out = join(artifactsRoot, `reward-studio-${process.platform}-${process.arch}.vsix`);
  console.log(`\n── integration: packaging the VSIX (npm run package -- --out ${out})`);
  execFileSync(process.execPath, [join(root, 'scripts', 'package-vsix.mjs'), '--out', out], {
    cwd: root,
    stdio: 'inherit',
  });
  return out;
}

async function runOne(
  name: RunName,
  browser: RunningBrowser,
  vsix: string | undefined,
  keep: boolean,
): Promise<RunOutcome> {
  const started = Date.now();
  const artifacts = join(artifactsRoot, name);
  mkdirSync(artifacts, { recursive: true });
  const scratch = createScratch(`it-${name}`);
  const resultsFile = join(scratch.root, 'results.json');
  const consoleLog: string[] = [];
  let server: CodeServer | undefined;
  let exitCode: number | 'timeout' = 'timeout';
  let results: SuiteResults | undefined;
  let context: Awaited<ReturnType<typeof newWorkbenchPage>>['context'] | undefined;
  console.log(`\n── integration: ${name} (scratch ${scratch.root})`);
  try {
    writeUserSettings(scratch, { trust: name === 'restricted' });
    let extensionPath = root;
    if (name === 'vsix') {
      if (!vsix) throw new Error('no VSIX to install');
      console.log(`installing ${vsix}`);
      await installVsix(scratch, vsix);
      extensionPath = writeProbeExtension(scratch);
    }
    server = await startCodeServer({
      scratch,
      trust: name === 'restricted',
      logFile: join(artifacts, 'code-server.log'),
      env: {
        REWARD_STUDIO_TEST_RESULTS: resultsFile,
        REWARD_STUDIO_TEST_TAGGED: '1',
        REWARD_STUDIO_TEST_COLOR: process.stdout.isTTY ? '1' : '0',
        REWARD_STUDIO_TEST_GREP: process.env.REWARD_STUDIO_TEST_GREP ?? '',
        REWARD_STUDIO_EXTENSION_PATH: name === 'vsix' ? '' : root,
        REWARD_STUDIO_EXTENSIONS_DIR: scratch.extensions,
      },
    });
    const opened = await newWorkbenchPage(browser.browser);
    context = opened.context;
    const page = opened.page;
    let finish: (code: number) => void = () => undefined;
    const finished = new Promise<number>((resolve) => (finish = resolve));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const first = Array.isArray(args) ? args[0] : undefined;
      if (typeof first === 'string' && first.startsWith(TAG)) {
        console.log(first.slice(TAG.length));
      } else {
        consoleLog.push(`[${type}] ${Array.isArray(args) ? args.map(String).join(' ') : String(args)}`);
      }
    });
    await page.exposeFunction(
      'codeAutomationExit',
      (code: number, logs?: Array<{ relativePath: string; contents: string }>) => {
        for (const log of logs ?? []) {
          const file = join(artifacts, 'logs', log.relativePath);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, log.contents);
        }
        finish(code);
      },
    );
    const testsPath = join(root, 'out', 'test', 'integration', name, 'index.js');
    if (!existsSync(testsPath))
      throw new Error(`${testsPath} is missing: compile with tsc -p test/integration`);
    await page.goto(server.workbenchUrl(developmentPayload(server, extensionPath, testsPath)));
    let timer: NodeJS.Timeout | undefined;
    exitCode = await Promise.race([
      finished,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), RUN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (exitCode !== 0) {
      const shot = join(artifacts, 'failure.png');
      await page.screenshot({ path: shot }).catch(() => undefined);
    }
  } catch (error) {
    console.error(`✖ integration ${name}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await context?.close().catch(() => undefined);
    await server?.stop();
    writeFileSync(join(artifacts, 'workbench-console.log'), consoleLog.join('\n') + '\n');
    if (existsSync(resultsFile)) {
      results = JSON.parse(readFileSync(resultsFile, 'utf8')) as SuiteResults;
      writeFileSync(join(artifacts, 'results.json'), JSON.stringify(results, null, 2));
    }
  }
  const passed = results?.passed ?? 0;
  let failed = results?.failed ?? 0;
  // A run that did not finish cleanly counts as a failure even when no test said so (a crash, a timeout).
  if (exitCode !== 0 && failed === 0) failed = 1;
  const seconds = (Date.now() - started) / 1000;
  if (exitCode !== 0) {
    console.log(
      `✖ integration ${name}: ${exitCode === 'timeout' ? `timed out after ${RUN_TIMEOUT_MS / 1000} s` : `exit code ${exitCode}`}` +
        `\n  artifacts: ${artifacts} (failure.png, code-server.log, workbench-console.log, logs/)` +
        `\n  scratch kept: ${scratch.root}`,
    );
  } else if (!keep) {
    rmSync(scratch.root, { recursive: true, force: true });
  }
  console.log(`── integration ${name}: ${passed} passed, ${failed} failed in ${seconds.toFixed(1)} s`);
  return { name, passed, failed, pending: results?.pending ?? 0, exitCode, seconds, artifacts };
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const install = codeServerInstall();
  console.log(
    `code-server ${install.version} (Node ${execFileSync(install.node, ['--version'], { encoding: 'utf8' }).trim()})`,
  );
  rmSync(artifactsRoot, { recursive: true, force: true });
  mkdirSync(artifactsRoot, { recursive: true });
  const vsix = opts.runs.includes('vsix') ? (opts.vsix ?? buildVsix()) : undefined;
  const outcomes: RunOutcome[] = [];
  const browser = await launchBrowser();
  try {
    for (const name of opts.runs) outcomes.push(await runOne(name, browser, vsix, opts.keep));
  } finally {
    await browser.close();
  }
  const passed = outcomes.reduce((n, o) => n + o.passed, 0);
  const failed = outcomes.reduce((n, o) => n + o.failed, 0);
  if (opts.summary) writeFileSync(opts.summary, JSON.stringify({ passed, failed, runs: outcomes }, null, 2));
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
