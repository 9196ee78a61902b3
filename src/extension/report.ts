/**
 * Pure helpers behind the extension's data features: where a problem goes in the editor, what the
 * summary says, how settings become pipeline options. No `vscode` import, so plain-Node tests cover them.
 */
import type { ValidationResult } from '../core/data/api';
import { FORMAT_IDS, type FormatId } from '../core/data/formats/types';
import type { DataProblem } from '../core/data/problems';

/** Files the validate/stats pickers offer: JSONL (plain or gzipped) and JSON-array exports. */
export const PICKABLE_FILES_GLOB = '**/*.{jsonl,jsonl.gz,json}';
/** Files the Preference Data view lists. */
export const PREFERENCE_FILES_GLOB = '**/*.{jsonl,jsonl.gz}';
// Dependencies and Reward Studio's own outputs (run folders hold metrics.jsonl, which is not preference data).
export const EXCLUDE_GLOB = '**/{node_modules,.reward-studio}/**';

const PREFERENCE_FILE_NAME = /\.(jsonl|jsonl\.gz|json)$/i;

export function isPreferenceFileName(path: string): boolean {
  return PREFERENCE_FILE_NAME.test(path);
}

export function isGzipFileName(path: string): boolean {
  return /\.gz$/i.test(path);
}

/**
 * Zero-based start of a problem in VS Code terms. DataProblem lines and columns are 1-based, columns
 * in UTF-16 code units — the unit VS Code positions use, so no conversion beyond the offset.
 */
export function problemStart(p: Pick<DataProblem, 'line' | 'column'>): { line: number; character: number } {
  return { line: toIndex(p.line), character: toIndex(p.column) };
}

function toIndex(oneBased: number): number {
  return Number.isFinite(oneBased) && oneBased >= 1 ? Math.floor(oneBased) - 1 : 0;
}

/** The diagnostic text: the message, and the field path when the problem is inside the record. */
export function problemMessage(p: Pick<DataProblem, 'message' | 'path'>): string {
  return p.path ? `${p.message} (at ${p.path})` : p.message;
}

const countFormat = new Intl.NumberFormat('en-US');

/** 1234 → "1,234" (fixed locale so messages and tests agree). */
export function formatCount(n: number): string {
  return countFormat.format(n);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** File sizes as the explorer shows them: 834 B, 12 KB, 1.2 MB (1024-based). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export interface ValidationSummary {
  /** Problems found, kept or not. */
  problems: number;
  text: string;
}

/**
 * "train.jsonl (trl): 1,234 records, 3 problems — see Problems panel". `unsavedChanges` says the
 * editor holds edits the check (which reads the file on disk) did not see.
 */
export function summarizeValidation(
  result: ValidationResult,
  fileName: string,
  unsavedChanges = false,
): ValidationSummary {
  const problems = result.problems.length + result.problemsOmitted;
  let text = `${fileName} (${result.format}): ${plural(result.records, 'record')}, `;
  if (problems === 0) {
    text += 'no problems.';
  } else {
    text += plural(problems, 'problem');
    if (result.problemsOmitted > 0) text += ` (first ${formatCount(result.problems.length)} shown)`;
    text += ' — see Problems panel';
  }
  if (unsavedChanges) text += ' Unsaved changes were not checked: save to validate them.';
  return { problems, text };
}

export const DEFAULT_MAX_PROBLEMS = 1000;

/** Pipeline options from the `rewardStudio.data.*` settings; out-of-range values fall back to defaults. */
export function dataOptions(
  inputFormat: unknown,
  maxProblemsReported: unknown,
): { from?: FormatId; maxProblems: number } {
  const from = (FORMAT_IDS as readonly unknown[]).includes(inputFormat)
    ? (inputFormat as FormatId)
    : undefined;
  const maxProblems =
    typeof maxProblemsReported === 'number' &&
    Number.isFinite(maxProblemsReported) &&
    maxProblemsReported >= 1
      ? Math.floor(maxProblemsReported)
      : DEFAULT_MAX_PROBLEMS;
  return from ? { from, maxProblems } : { maxProblems };
}

/** The message of anything thrown, for a notification. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
