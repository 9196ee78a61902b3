/** Helpers for suites running inside the extension host: the workspace, waiting for real events. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'reward-studio.reward-studio';

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

/** The folder the runner opened: a fresh temporary folder per run. */
export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return folder.uri.fsPath;
}

/** Writes a file under the workspace (folders created) and returns its URI. */
export function writeWorkspaceFile(relativePath: string, content: string | Uint8Array): vscode.Uri {
  const file = join(workspaceDir(), relativePath);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return vscode.Uri.file(file);
}

/** Polls `probe` (sync or async) until it gives a value other than undefined, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The diagnostics Reward Studio put on `uri`, sorted by position. */
export function rewardStudioDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'Reward Studio')
    .sort((a, b) => a.range.start.compareTo(b.range.start));
}

/** Every open tab, in every group. */
export function allTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Whether any module from a package (onnxruntime-node, tokenizers) is loaded in this extension host. */
export function loadedFrom(packageName: string): string[] {
  const pattern = new RegExp(`[\\\\/]node_modules[\\\\/]${packageName}[\\\\/]`);
  return Object.keys(require.cache).filter((file) => pattern.test(file));
}

/** The shape `rewardStudio.internal.runtimeInfo` resolves to (src/extension/runtimeInfo.ts). */
export interface RuntimeInfoResult {
  platform: string;
  node: string;
  napi: string;
  onnxruntime: { version: string; backends: Array<{ name: string; bundled: boolean }>; provider?: string; providerSummary: string; pid?: number };
  tokenizers: { version: string; native: boolean };
  nativeModules: string[];
  loadMs: number;
}

/** A preference file with known problems, and where each must be reported (0-based, as VS Code counts). */
export const BAD_FILE = {
  content: [
    '{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}',
    '{"prompt": "Capital of France?", "chosen": "Paris" "rejected": "Lyon"}',
    '{"prompt": "Name a colour", "chosen": "blue", "rejected": 7}',
    '["not", "an", "object"]',
    '{"prompt": "Empty?", "chosen": "", "rejected": "something"}',
    '{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}',
    '',
  ].join('\n'),
  expected: [
    { line: 1, character: 51, severity: 'Error', code: 'invalid-json' },
    { line: 2, character: 58, severity: 'Error', code: 'wrong-type', message: /\(at rejected\)$/ },
    { line: 3, character: 0, severity: 'Error', code: 'not-an-object' },
    { line: 4, character: 0, severity: 'Warning', code: 'empty-side', message: /\(at chosen\)$/ },
    { line: 5, character: 0, severity: 'Warning', code: 'duplicate', message: /as line 1/ },
  ],
} as const;

export const GOOD_LINES = [
  '{"prompt": "Say hi", "chosen": "Hello there!", "rejected": "no"}',
  '{"prompt": "Count to three", "chosen": "1, 2, 3", "rejected": "1, 2"}',
  '{"prompt": "Name a fruit", "chosen": "An apple.", "rejected": "A chair."}',
];
