#!/usr/bin/env node
// `npm run demo`: the main job on data the project makes itself. Until training lands, this walks the
// data layer end to end through the CLI: generate a synthetic preference set with a planted reward,
// damage a copy the way real files get damaged, validate it, show its stats, convert and split it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.demo');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

function cli(...args) {
  console.log(`\n$ reward-studio ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { stdio: 'inherit', cwd: root });
  return r.status;
}

const clean = join(dir, 'synthetic.jsonl');
cli('synth', '--out', clean, '--n', '2000', '--seed', '7');

// A damaged copy: a truncated line, a wrong type, a duplicate, and a last line cut off mid-write.
const lines = readFileSync(clean, 'utf8').split('\n').filter(Boolean);
const damaged = [...lines.slice(0, 5)];
damaged.push(lines[5].slice(0, 40));
damaged.push(lines[6].replace(/"rejected":"[^"]*"/, '"rejected":42'));
damaged.push(lines[1]);
damaged.push(...lines.slice(7, 20));
const broken = join(dir, 'damaged.jsonl');
writeFileSync(broken, damaged.join('\n') + '\n' + lines[20].slice(0, 30));

cli('validate', broken);
cli('stats', clean);
cli('split', clean, '--eval-fraction', '0.1', '--out-dir', join(dir, 'split'));
cli('convert', join(root, 'test', 'fixtures', 'hh-sample.jsonl'), '--out', join(dir, 'hh-as-trl.jsonl'));
console.log(`\nDemo files are in ${dir}. Training arrives with the training engine; see README.`);
