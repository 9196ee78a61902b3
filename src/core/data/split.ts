/**
 * Deterministic train/eval split grouped by prompt. Each prompt's side is decided by a hash of the seed
 * and the prompt alone, so adding records never moves old ones, and no prompt lands on both sides (a
 * reward model that saw the prompt in training would look better on eval than it is).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { contentKey } from './checks';
import { PreferenceFileReader, type ReadOptions } from './pipeline';
import { DataError, type DataProblem } from './problems';
import { isEmptySide, type PreferencePair } from './record';

export type SplitSide = 'train' | 'eval';

export interface SplitSpec {
  /** Share of prompts that go to eval, in [0, 1]. */
  evalFraction: number;
  seed?: string | number;
}

export const DEFAULT_SPLIT_SEED = '0';

/** The key a pair is grouped by: its prompt; a pair with no prompt is its own group. */
export function promptGroupKey(pair: PreferencePair): string {
  if (!isEmptySide(pair.prompt)) return contentKey(pair.prompt);
  // No prompt (e.g. an implicit-prompt record whose sides share nothing): group by the unordered
  // responses, so a duplicate with the label flipped still lands on the same side.
  const [a, b] = [contentKey(pair.chosen), contentKey(pair.rejected)].sort();
  return `noprompt\u0000${a}\u0000${b}`;
}

/** Uniform number in [0, 1) from the seed and the group key. */
export function splitHash(key: string, seed: string | number = DEFAULT_SPLIT_SEED): number {
  const d = createHash('sha256').update(String(seed)).update('\u0000').update(key).digest();
  return d.readUIntBE(0, 6) / 2 ** 48;
}

export function splitSideOf(pair: PreferencePair, spec: SplitSpec): SplitSide {
  return splitHash(promptGroupKey(pair), spec.seed ?? DEFAULT_SPLIT_SEED) < spec.evalFraction ? 'eval' : 'train';
}

export function checkEvalFraction(x: number): void {
  if (!Number.isFinite(x) || x < 0 || x > 1) {
    throw new DataError(`eval fraction must be a number between 0 and 1 (got ${x}); 0.1 puts about a tenth of the prompts in eval`);
  }
}

export interface SplitSummary {
  source: string;
  format: string;
  seed: string;
  evalFraction: number;
  method: string;
  train: { file: string; lines: number; pairs: number };
  eval: { file: string; lines: number; pairs: number };
  /** Lines not copied to either side (unreadable, or no preference). */
  skippedLines: number;
  problems: DataProblem[];
}

/**
 * Split a file into `outDir/train.jsonl` and `outDir/eval.jsonl`, copying each record's line byte for
 * byte (the source format is kept; nothing is rewritten), plus `split.json` describing the split.
 * Refuses to overwrite existing outputs unless `force`.
 */
export async function splitFile(
  file: string,
  outDir: string,
  spec: SplitSpec,
  opts: ReadOptions & { force?: boolean } = {},
): Promise<SplitSummary> {
  checkEvalFraction(spec.evalFraction);
  const seed = String(spec.seed ?? DEFAULT_SPLIT_SEED);
  const targets = { train: join(outDir, 'train.jsonl'), eval: join(outDir, 'eval.jsonl') };
  const manifest = join(outDir, 'split.json');
  if (!opts.force) {
    const existing = [targets.train, targets.eval, manifest].filter((f) => existsSync(f));
    if (existing.length) {
      throw new DataError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} — choose another --out-dir, or pass --force to replace`);
    }
  }
  const reader = await PreferenceFileReader.open(file, opts);
  mkdirSync(outDir, { recursive: true });
  // Write to temporary names and rename at the end: an interrupted split leaves no half-written outputs.
  const tmp = { train: `${targets.train}.tmp-${process.pid}`, eval: `${targets.eval}.tmp-${process.pid}` };
  const fds = { train: openSync(tmp.train, 'w'), eval: openSync(tmp.eval, 'w') };
  const counts = { train: { lines: 0, pairs: 0 }, eval: { lines: 0, pairs: 0 } };
  const problems: DataProblem[] = [];
  let lastLine = -1;
  let lastSide: SplitSide = 'train';
  try {
    for await (const item of reader.items()) {
      if (item.kind === 'problem') {
        problems.push(item.problem);
        continue;
      }
      if (item.line !== lastLine) {
        // All pairs of one line share its prompt; the line is copied once, to its prompt's side.
        lastLine = item.line;
        lastSide = splitSideOf(item.pair, { evalFraction: spec.evalFraction, seed });
        writeSync(fds[lastSide], Buffer.concat([item.raw, Buffer.from('\n')]));
        counts[lastSide].lines++;
      }
      counts[lastSide].pairs++;
    }
  } catch (e) {
    closeSync(fds.train);
    closeSync(fds.eval);
    rmSync(tmp.train, { force: true });
    rmSync(tmp.eval, { force: true });
    throw e;
  }
  closeSync(fds.train);
  closeSync(fds.eval);
  renameSync(tmp.train, targets.train);
  renameSync(tmp.eval, targets.eval);
  const summary: SplitSummary = {
    source: file,
    format: reader.format,
    seed,
    evalFraction: spec.evalFraction,
    method: 'eval if sha256(seed + "\\0" + promptKey)[0:6] / 2^48 < evalFraction; promptKey is the prompt text (role-tagged for conversations)',
    train: { file: basename(targets.train), ...counts.train },
    eval: { file: basename(targets.eval), ...counts.eval },
    skippedLines: reader.counters.invalidLines + reader.counters.skippedLines,
    problems,
  };
  writeFileSync(manifest, JSON.stringify({ ...summary, problems: problems.length }, null, 2) + '\n');
  return summary;
}
