/**
 * Convert any supported format to TRL-compatible `{prompt, chosen, rejected, …}` JSONL. The input is
 * never touched; the output is written to a temporary file and renamed into place when complete.
 */
import { closeSync, existsSync, openSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { serializeTrlLine } from './formats/trlWriter';
import { PreferenceFileReader, type ReadOptions } from './pipeline';
import { DataError, type DataProblem } from './problems';

export interface ConvertSummary {
  source: string;
  out: string;
  from: string;
  formatReason: string;
  pairs: number;
  lines: number;
  /** Lines that produced no pair (errors, or ties), reported in `problems`. */
  skippedLines: number;
  problems: DataProblem[];
}

function samePath(a: string, b: string): boolean {
  const real = (p: string): string => (existsSync(p) ? realpathSync(p) : resolve(p));
  return real(a) === real(b);
}

export async function convertFile(input: string, out: string, opts: ReadOptions & { force?: boolean } = {}): Promise<ConvertSummary> {
  if (samePath(input, out)) {
    throw new DataError(`--out is the input file itself (${input}); Reward Studio never rewrites your data in place — choose another output path`);
  }
  if (existsSync(out) && !opts.force) {
    throw new DataError(`${out} already exists — choose another --out, or pass --force to replace it`);
  }
  if (!existsSync(dirname(resolve(out)))) {
    throw new DataError(`the folder of ${out} does not exist — create it first`);
  }
  const reader = await PreferenceFileReader.open(input, opts);
  const tmp = `${out}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const problems: DataProblem[] = [];
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pending.length) writeSync(fd, pending.join(''));
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const item of reader.items()) {
      if (item.kind === 'problem') {
        problems.push(item.problem);
        continue;
      }
      const line = serializeTrlLine(item.pair) + '\n';
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes > 1 << 20) flush();
    }
    flush();
    closeSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, out);
  return {
    source: input,
    out,
    from: reader.format,
    formatReason: reader.formatReason,
    pairs: reader.counters.pairs,
    lines: reader.counters.lines,
    skippedLines: reader.counters.invalidLines + reader.counters.skippedLines,
    problems,
  };
}
