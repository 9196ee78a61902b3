import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above this file holding package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

/** A file of the shared real data (../shared/data beside the checkout). */
export function sharedData(...parts: string[]): string {
  return join(repoRoot(), '..', 'shared', 'data', ...parts);
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'reward-studio-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
