/**
 * The trained reward models of the workspace, for the pickers that offer them (Show Bias Report, Select
 * Reward Model, Compare Models): folders holding reward-model.json — the training output folders' runs
 * first, newest first, then any other folder of the workspace (three levels deep, dot-folders and
 * node_modules skipped), newest first.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_OUTPUT_DIRECTORY, TRAIN_SECTION, outputRoot } from './train/trainSettings';

const MODEL_CARD = 'reward-model.json';
const MAX_MODELS = 200;

export interface ModelFolder {
  dir: string;
  /** The card's modification time (ms). */
  mtime: number;
}

export function findModelFolders(): ModelFolder[] {
  const seen = new Set<string>();
  const first: ModelFolder[] = [];
  const rest: ModelFolder[] = [];
  const add = (dir: string, into: ModelFolder[]): void => {
    if (seen.has(dir) || seen.size >= MAX_MODELS) return;
    try {
      into.push({ dir, mtime: statSync(path.join(dir, MODEL_CARD)).mtimeMs });
      seen.add(dir);
    } catch {
      // not a model folder
    }
  };
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const root = outputRoot(vscode.workspace.getConfiguration(TRAIN_SECTION, folder.uri).get<unknown>('outputDirectory', DEFAULT_OUTPUT_DIRECTORY), folder.uri.fsPath, path.join(folder.uri.fsPath, 'data.jsonl'));
    for (const name of safeReaddir(root)) add(path.join(root, name), first);
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) walk(folder.uri.fsPath, 3, (dir) => add(dir, rest));
  const newest = (a: ModelFolder, b: ModelFolder): number => b.mtime - a.mtime;
  return [...first.sort(newest), ...rest.sort(newest)];
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Folders under `dir` (depth-limited, skipping node_modules and dot-folders) that hold reward-model.json. */
function walk(dir: string, depth: number, found: (dir: string) => void): void {
  if (existsSync(path.join(dir, MODEL_CARD))) found(dir);
  if (depth === 0) return;
  for (const name of safeReaddir(dir)) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const sub = path.join(dir, name);
    try {
      if (statSync(sub).isDirectory()) walk(sub, depth - 1, found);
    } catch {
      // vanished or unreadable
    }
  }
}
