/**
 * The browser end-to-end layer: mocha (in plain Node) runs test/e2e/*.e2e.ts; each suite starts its own
 * code-server and Chromium (lib/session.ts) and drives the workbench through playwright-core.
 *
 * usage: node out/test/e2e/run.js [--vsix FILE] [--summary FILE] [--grep REGEXP]
 *   --vsix     the VSIX the Restricted Mode suite installs (default: built with `npm run package`)
 *   --summary  write {passed, failed, seconds} as JSON there (scripts/test.mjs reads it)
 * Debugging: REWARD_STUDIO_E2E_HEADED=1 (a visible browser; needs a display or `xvfb-run -a`),
 * REWARD_STUDIO_E2E_SLOWMO=250 (ms before each action). A failing test saves a screenshot, the server log
 * and VS Code's logs under .test-artifacts/e2e/<suite>/ and prints their paths.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { codeServerInstall, repoRoot } from '../vscode-server/codeServer';
import { liveProcesses } from '../vscode-server/processes';
import { ARTIFACTS } from './lib/session';

function parseArgs(argv: string[]): { vsix?: string; summary?: string; grep?: string } {
  const opts: { vsix?: string; summary?: string; grep?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--vsix') opts.vsix = argv[++i];
    else if (a === '--summary') opts.summary = argv[++i];
    else if (a === '--grep') opts.grep = argv[++i];
    else throw new Error(`unknown argument '${a}'`);
  }
  return opts;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const started = Date.now();
  console.log(`code-server ${codeServerInstall().version}`);
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  let vsix = opts.vsix;
  if (!vsix) {
    vsix = join(ARTIFACTS, `reward-studio-${process.platform}-${process.arch}.vsix`);
    console.log(`\n── e2e: packaging the VSIX (npm run package -- --out ${vsix})`);
    execFileSync(process.execPath, [join(root, 'scripts', 'package-vsix.mjs'), '--out', vsix], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  process.env.REWARD_STUDIO_E2E_VSIX = vsix;

  const mocha = new Mocha({
    ui: 'tdd',
    reporter: 'spec',
    timeout: 90_000,
    slow: 10_000,
    grep: opts.grep ?? process.env.REWARD_STUDIO_TEST_GREP ?? undefined,
  });
  const dir = __dirname;
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.e2e.js'))
    .sort())
    mocha.addFile(join(dir, f));
  let passed = 0;
  let failed = 0;
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', () => passed++);
    runner.on('fail', () => failed++);
  });
  const leftovers = liveProcesses();
  if (leftovers.length) {
    console.error(
      `e2e: still running after the suites: ${leftovers.map((p) => p.name).join(', ')} — stopping them`,
    );
    failed++;
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `── e2e: ${passed} passed, ${failed} failed in ${seconds.toFixed(1)} s; artifacts in ${ARTIFACTS}`,
  );
  if (opts.summary) writeFileSync(opts.summary, JSON.stringify({ passed, failed, seconds }, null, 2));
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code), // the 'exit' handler (processes.ts) kills anything left
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
