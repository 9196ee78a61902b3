#!/usr/bin/env node
// One step of set-up shared by `npm test`, `npm run demo` and `npm run cli`: install dependencies when
// they are missing or older than package-lock.json, then build the bundles. Uses only Node built-ins,
// so it runs on a fresh clone before anything is installed.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const log = (m) => quiet || console.error(`[setup] ${m}`);
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || mtime(join(root, 'package-lock.json')) > mtime(marker)) {
  log('installing dependencies (npm ci; onnxruntime-node CUDA download skipped — see README "GPU")');
  execSync('npm ci --no-audit --no-fund', {
    cwd: root,
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip' },
  });
}
execSync('node esbuild.mjs' + (process.env.REWARD_STUDIO_PRODUCTION ? ' --production' : ''), { cwd: root, stdio: 'inherit' });
