#!/usr/bin/env node
// `npm test`: every layer, then one summary. `node scripts/test.mjs unit` runs one layer.
//   static      — ESLint (architecture import rules included) and both TypeScript configs
//   unit        — plain-Node tests of src/core and src/cli (node:test), compiled by tsc to out/
//   integration — mocha suites inside a real VS Code extension host (code-server), from source and from
//                 the packaged VSIX (test/integration; runner: test/integration/runCodeServer.ts)
//   e2e         — Chromium driving the VS Code workbench through playwright-core (test/e2e)
// The last two install code-server (scripts/vscode-server.mjs; cached) and package the VSIX once.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const layers = { static: runStatic, unit: runUnit, integration: runIntegration, e2e: runE2e };
const wanted = only.length ? only : Object.keys(layers);
for (const l of wanted) if (!layers[l]) usage(`unknown layer '${l}'`);

function usage(msg) {
  console.error(`test: ${msg}. Layers: ${Object.keys(layers).join(', ')}.`);
  process.exit(2);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function runStatic() {
  const npx = (args) => run(process.execPath, [join(root, 'node_modules', '.bin', args[0]), ...args.slice(1)].map(String));
  const steps = [
    ['tsc (node)', () => npx(['tsc', '-p', 'tsconfig.json', '--noEmit'])],
    ['tsc (webview)', () => npx(['tsc', '-p', 'webview/tsconfig.json', '--noEmit'])],
    ['eslint', () => npx(['eslint', '.'])],
  ];
  let passed = 0, failed = 0;
  for (const [name, step] of steps) {
    console.log(`\n── static: ${name}`);
    if (step() === 0) passed++;
    else { failed++; console.log(`✖ static: ${name} failed`); }
  }
  return { passed, failed };
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.js'))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

function runUnit() {
  rmSync(join(root, 'out'), { recursive: true, force: true });
  console.log('\n── unit: compiling (tsc -p tsconfig.test.json)');
  if (run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json']) !== 0) {
    return { passed: 0, failed: 1 };
  }
  const files = findTests(join(root, 'out', 'test', 'unit'));
  if (files.length === 0) return { passed: 0, failed: 1 };
  mkdirSync(join(root, '.test-artifacts'), { recursive: true });
  const tap = join(root, '.test-artifacts', 'unit.tap');
  const status = run(process.execPath, [
    '--test',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ]);
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number((new RegExp(`^# ${k} (\\d+)`, 'm').exec(text) ?? [])[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled') + (status !== 0 && count('fail') === 0 ? 1 : 0);
  return { passed, failed };
}

// ── the layers that run a real VS Code (code-server) ──────────────────────────────────────────────

const once = (fn) => {
  let done;
  return () => (done ??= { value: fn() }).value;
};

/** code-server + Node 24 in test/vscode-server (re-installed only when its lockfile changes). */
const installCodeServer = once(() => {
  console.log('\n── code-server: node scripts/vscode-server.mjs install');
  return run(process.execPath, [join(root, 'scripts', 'vscode-server.mjs'), 'install']) === 0;
});

/** The platform VSIX both layers use (the integration suite installs it; e2e's Restricted Mode suite too). */
const packageVsix = once(() => {
  const out = join(root, '.test-artifacts', 'vsix', `reward-studio-${process.platform}-${process.arch}.vsix`);
  console.log('\n── package: node scripts/package-vsix.mjs');
  return run(process.execPath, [join(root, 'scripts', 'package-vsix.mjs'), '--out', out]) === 0 ? out : undefined;
});

function runVsCodeLayer(name, tsconfig, runner) {
  if (!installCodeServer()) return { passed: 0, failed: 1 };
  console.log(`\n── ${name}: compiling (tsc -p ${tsconfig})`);
  if (run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig]) !== 0) {
    return { passed: 0, failed: 1 };
  }
  const vsix = packageVsix();
  if (!vsix) return { passed: 0, failed: 1 };
  const summary = join(root, '.test-artifacts', `${name}-summary.json`);
  rmSync(summary, { force: true });
  const status = run(process.execPath, [join(root, runner), '--vsix', vsix, '--summary', summary]);
  const s = existsSync(summary) ? JSON.parse(readFileSync(summary, 'utf8')) : { passed: 0, failed: 0 };
  // A runner that died before writing its summary, or failed outside any test, still fails the layer.
  return { passed: s.passed, failed: s.failed + (status !== 0 && s.failed === 0 ? 1 : 0) };
}

function runIntegration() {
  return runVsCodeLayer('integration', 'test/integration/tsconfig.json', 'out/test/integration/runCodeServer.js');
}

function runE2e() {
  return runVsCodeLayer('e2e', 'test/e2e/tsconfig.json', 'out/test/e2e/run.js');
}

const results = [];
const seconds = [];
for (const l of wanted) {
  const started = Date.now();
  results.push([l, layers[l]()]);
  seconds.push(`${l} ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log(`\n── time: ${seconds.join(', ')}`);
console.log('\n── summary');
let p = 0, f = 0;
for (const [l, r] of results) {
  console.log(`${l.padEnd(12)} ${r.passed} passed, ${r.failed} failed`);
  p += r.passed; f += r.failed;
}
console.log(`total: ${p} passed, ${f} failed`);
process.exit(f === 0 && p > 0 ? 0 : 1);
