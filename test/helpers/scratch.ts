// A scratch directory for one test file: made before its tests, removed after them, with a fresh file
// name each time one is asked for (so tests never share a file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

export interface Scratch {
  /** The directory (set once the file's `before` hooks ran). */
  readonly dir: string;
  /** A path in it not handed out before: `<stem><n><ext>`. */
  file(stem: string, ext?: string): string;
}

export function scratchDir(prefix: string): Scratch {
  let dir = '';
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    file: (stem, ext = '.jsonl') => join(dir, `${stem}${n++}${ext}`),
  };
}
