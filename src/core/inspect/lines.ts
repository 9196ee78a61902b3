// One JSONL line of an open editor as the reader of its format sees it: the pairs it yields, or why it
// yields none. The same steps as src/core/data/pipeline.ts takes for a file (JSON, then the format's
// reader), so a line scores in the editor exactly as `reward-studio score` scores it in the file.
import { JsonSyntaxError, parseJson } from '../data/json';
import { detectFormat, getReader } from '../data/formats';
import type { FormatId } from '../data/formats/types';
import type { PreferencePair } from '../data/record';

export type ParsedRecordLine = { pairs: PreferencePair[] } | { skip: string };

export function parseRecordLine(text: string, format: FormatId): ParsedRecordLine {
  const trimmed = text.trim();
  if (!trimmed) return { skip: 'blank line' };
  let value: unknown;
  try {
    value = parseJson(trimmed.replace(/^\uFEFF/, ''));
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { skip: `not valid JSON: ${e.message}` };
    throw e;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { skip: 'not a JSON object' };
  const result = getReader(format).read(value as Record<string, unknown>);
  if (result.pairs.length) return { pairs: result.pairs };
  const error = result.problems.find((p) => p.severity === 'error');
  if (error) return { skip: error.message };
  return { skip: result.problems[0]?.message ?? 'the record holds no preference' };
}

/**
 * The format of a document from its first lines (what `validate` would detect), or undefined with the
 * reason when no line is a record of a known format.
 */
export function detectLinesFormat(lines: readonly string[], preferred?: FormatId): { format: FormatId; reason: string } | { error: string } {
  if (preferred) return { format: preferred, reason: 'set in rewardStudio.data.inputFormat' };
  const sample: Record<string, unknown>[] = [];
  for (const l of lines) {
    const t = l.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) sample.push(v as Record<string, unknown>);
    } catch {
      // A line being edited, or a bad one: not evidence either way.
    }
    if (sample.length >= 64) break;
  }
  if (!sample.length) return { error: 'no line of this file is a JSON record yet' };
  try {
    return detectFormat(sample);
  } catch (e) {
    return { error: (e as Error).message };
  }
}
