#!/usr/bin/env node
// `npm test`: every layer, then one summary. `node scripts/test.mjs unit` runs one layer.
//   static — ESLint (architecture import rules included) and both TypeScript configs
//   unit   — plain-Node tests of src/core and src/cli (node:test), compiled by tsc to out/
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const layers = { static: runStatic, unit: runUnit };
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

const results = [];
for (const l of wanted) results.push([l, layers[l]()]);
console.log('\n── summary');
let p = 0, f = 0;
for (const [l, r] of results) {
  console.log(`${l.padEnd(12)} ${r.passed} passed, ${r.failed} failed`);
  p += r.passed; f += r.failed;
}
console.log(`total: ${p} passed, ${f} failed`);
process.exit(f === 0 && p > 0 ? 0 : 1);
