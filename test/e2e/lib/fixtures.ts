/** Workspace files the browser tests use, and what the extension must show for them. */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DatasetStats } from '../../../src/core/data/api';
import { repoRoot } from '../../vscode-server/codeServer';

/** Problems the Problems panel must list for BAD_JSONL, as VS Code shows positions (1-based). */
export const BAD_JSONL = {
  name: 'bad.jsonl',
  content: [
    '{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}',
    '{"prompt": "Capital of France?", "chosen": "Paris" "rejected": "Lyon"}',
    '{"prompt": "Name a colour", "chosen": "blue", "rejected": 7}',
    '["not", "an", "object"]',
    '{"prompt": "Empty?", "chosen": "", "rejected": "something"}',
    '{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}',
    '',
  ].join('\n'),
  problems: [
    { severity: 'Error', line: 2, column: 52, code: 'invalid-json' },
    { severity: 'Error', line: 3, column: 59, code: 'wrong-type' },
    { severity: 'Error', line: 4, column: 1, code: 'not-an-object' },
    { severity: 'Warning', line: 5, column: 1, code: 'empty-side' },
    { severity: 'Warning', line: 6, column: 1, code: 'duplicate' },
  ],
} as const;

/** `reward-studio stats --json` output: the data layer's own type, so a renamed field fails to compile here. */
export type CliStats = DatasetStats;

function cli(...args: string[]): string {
  const root = repoRoot();
  return execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

export function cliStats(file: string): CliStats {
  return JSON.parse(cli('stats', '--json', file)) as CliStats;
}

/**
 * Seeds a workspace: data/train.jsonl (a synthetic set from the CLI, plus one duplicate and one broken
 * line, so the problem counts are not all zero) and data/bad.jsonl. Returns their paths.
 */
export function seedWorkspace(workspace: string): { train: string; bad: string } {
  const train = join(workspace, 'data', 'train.jsonl');
  const bad = join(workspace, 'data', BAD_JSONL.name);
  mkdirSync(dirname(train), { recursive: true });
  cli('synth', '--out', train, '--n', '400', '--seed', '7');
  const firstLine = readFileSync(train, 'utf8').split('\n')[0];
  appendFileSync(train, `${firstLine}\n{"prompt": "broken", "chosen": "x"\n`);
  writeFileSync(bad, BAD_JSONL.content);
  return { train, bad };
}
