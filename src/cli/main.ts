/**
 * `reward-studio`: the command line over the same core the extension uses.
 * Exit codes: 0 success / clean, 1 problems found or the operation failed, 2 usage error.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { intOption, UsageError, type Command, type Io, type Values } from './common';
import { scoreCommand, trainCommand } from './train';
import { evalCommand } from './eval';
import type { DatasetStats, LengthSummary } from '../core/data/api';
import { convertFile } from '../core/data/convert';
import { FORMAT_IDS, type FormatId } from '../core/data/formats/types';
import { serializeTrlLine } from '../core/data/formats/trlWriter';
import { computeStats, validateFile } from '../core/data/pipeline';
import { DataError, formatProblem, type DataProblem } from '../core/data/problems';
import { checkEvalFraction, splitFile } from '../core/data/split';
import { generateSyntheticPreferences } from '../core/data/synthetic';

const VERSION = '0.1.0';

export { UsageError, type Io } from './common';

const FROM_HELP = `  --from F         input format, instead of detecting it: ${FORMAT_IDS.join(', ')}`;

function formatOf(values: Values): FormatId | undefined {
  const f = values.from as string | undefined;
  if (f === undefined || f === 'auto') return undefined;
  if (!(FORMAT_IDS as readonly string[]).includes(f)) {
    throw new UsageError(`unknown format '${f}' for --from; use one of: auto, ${FORMAT_IDS.join(', ')}`);
  }
  return f as FormatId;
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${num(n)} ${word}${n === 1 ? '' : 's'}`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function printProblems(io: Io, problems: DataProblem[]): void {
  for (const p of problems) io.out(formatProblem(p));
}

const validate: Command = {
  name: 'validate',
  summary: 'check preference files: every bad line with file:line:column, field path and a fix',
  usage: 'reward-studio validate FILE... [--json] [--from F] [--max-problems N]',
  details: [
    'Reads each file (JSONL, JSONL.gz, or a JSON array export), detects its format, and reports unreadable',
    'lines, records of the wrong shape, empty or identical responses, duplicates and contradicting labels.',
    'Nothing is modified.',
    '',
    '  --json           print [{file, line, column, path, message, severity, code}] on stdout',
    FROM_HELP,
    '  --max-problems N keep at most N problems per file (default 1000; 0 = all)',
    '',
    'Exit status: 0 no problems, 1 problems found, 2 usage error.',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    from: { type: 'string' },
    'max-problems': { type: 'string' },
  },
  async run(values, files, io) {
    if (files.length === 0) throw new UsageError('validate needs at least one FILE');
    const from = formatOf(values);
    const maxProblems = intOption(values, 'max-problems', 0, 1000);
    const all: DataProblem[] = [];
    let failed = false;
    for (const file of files) {
      try {
        const r = await validateFile(file, { from, maxProblems });
        all.push(...r.problems);
        if (!values.json) {
          printProblems(io, r.problems.filter((p) => p.severity !== 'info'));
          const more = r.problemsOmitted ? ` (${num(r.problemsOmitted)} more not shown; --max-problems 0 shows all)` : '';
          const errors = r.problems.filter((p) => p.severity === 'error').length;
          const warnings = r.problems.filter((p) => p.severity === 'warning').length;
          const notes = r.problems.length - errors - warnings;
          const noted = notes ? `; ${plural(notes, 'annotation record')} that ${notes === 1 ? 'is' : 'are'} not a pair (ties, skips, undos, audits: --json lists them)` : '';
          io.err(`${file}: ${r.format} (${r.formatReason}); ${plural(r.records, 'pair')}; ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${noted}${more}`);
        }
        if (r.problems.some((p) => p.severity !== 'info') || r.problemsOmitted) failed = true;
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        failed = true;
        const located = e.problems.length ? e.problems : [{ file, line: 1, column: 1, path: '', message: e.message, severity: 'error' as const, code: 'unknown-format' as const }];
        all.push(...located);
        if (!values.json) io.err(`${file}: ${e.message}`);
      }
    }
    if (values.json) io.out(JSON.stringify(all.map(({ file, line, column, path, message, severity, code }) => ({ file, line, column, path, message, severity, code })), null, 2));
    return failed ? 1 : 0;
  },
};

const convert: Command = {
  name: 'convert',
  summary: 'convert any supported format to TRL {prompt, chosen, rejected, ...} JSONL',
  usage: 'reward-studio convert IN --out OUT [--from F] [--to trl] [--force]',
  details: [
    'Writes TRL-compatible JSONL (the NeMo {prompt, chosen, rejected} shape is the same). Unknown fields',
    'are kept. Lines that cannot be converted are reported with file:line and skipped; IN is never modified.',
    '',
    '  --out OUT        output file (required; must not be IN)',
    FROM_HELP,
    '  --to trl         output format (trl is the only one)',
    '  --force          replace OUT if it exists',
    '',
    'Exit status: 0 every line converted, 1 some lines skipped or the file is unreadable, 2 usage error.',
  ].join('\n'),
  options: { out: { type: 'string', short: 'o' }, from: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } },
  async run(values, positionals, io) {
    if (positionals.length !== 1) throw new UsageError(`convert needs exactly one input file (got ${positionals.length})`);
    if (!values.out) throw new UsageError('convert needs --out OUT');
    if (values.to !== undefined && values.to !== 'trl') throw new UsageError(`unknown output format '${String(values.to)}' for --to; the only one is trl`);
    const r = await convertFile(positionals[0], values.out as string, { from: formatOf(values), force: values.force === true });
    printProblems(io, r.problems);
    io.err(`converted ${num(r.pairs)} pairs from ${r.from} (${r.formatReason}) to trl → ${r.out}; ${num(r.skippedLines)} lines skipped`);
    return r.skippedLines > 0 ? 1 : 0;
  },
};

function lengthRow(name: string, s: LengthSummary): string {
  return `  ${name.padEnd(9)} ${[s.mean.toFixed(0), s.p10, s.p50, s.p90, s.p99, s.max].map((v) => String(v).padStart(8)).join('')}`;
}

function printStats(io: Io, s: DatasetStats): void {
  io.out(`${s.file}  (${s.format})`);
  io.out(`  pairs            ${num(s.records)}   from ${num(s.lines)} lines (${num(s.blankLines)} blank)`);
  io.out(`  invalid lines    ${num(s.invalid)}`);
  io.out(`  skipped (ties)   ${num(s.skipped)}`);
  io.out(`  distinct prompts ${num(s.prompts)}`);
  io.out(`  duplicates       ${num(s.duplicates)}`);
  io.out(`  chosen==rejected ${num(s.identical)}`);
  io.out(`  empty sides      ${num(s.emptySides)}`);
  io.out(`  contradictions   ${num(s.contradictions)}`);
  io.out(`  conversational   ${num(s.conversational)}   with margin ${num(s.withMargin)}`);
  io.out('  length (chars)       mean     p10     p50     p90     p99     max');
  io.out(lengthRow('prompt', s.lengths.prompt));
  io.out(lengthRow('chosen', s.lengths.chosen));
  io.out(lengthRow('rejected', s.lengths.rejected));
  io.out(`  chosen longer    ${pct(s.chosenLongerRate)}   equal length ${pct(s.equalLengthRate)}`);
  io.out(`  length-only baseline accuracy ${pct(s.lengthBaselineAccuracy)} — a reward model must beat this to show it learned more than length`);
  for (const a of s.annotators) io.out(`  annotator ${a.annotator}: ${num(a.records)} pairs, chosen longer ${pct(a.chosenLongerRate)}`);
}

const stats: Command = {
  name: 'stats',
  summary: 'counts, length distributions and the length-only baseline of a preference file',
  usage: 'reward-studio stats FILE [--json] [--from F]',
  details: [
    'Prints pairs, invalid lines, duplicates, identical and empty sides, contradictions, length percentiles',
    'and the chosen-longer rate — the accuracy of a "longer answer wins" scorer that every reward model',
    'must be shown beside.',
    '',
    '  --json           print the full statistics as JSON (records, invalid, duplicates, chosenLongerRate, …)',
    FROM_HELP,
  ].join('\n'),
  options: { json: { type: 'boolean' }, from: { type: 'string' } },
  async run(values, positionals, io) {
    if (positionals.length !== 1) throw new UsageError(`stats needs exactly one FILE (got ${positionals.length})`);
    const s = await computeStats(positionals[0], { from: formatOf(values) });
    if (values.json) io.out(JSON.stringify(s, null, 2));
    else printStats(io, s);
    return 0;
  },
};

const split: Command = {
  name: 'split',
  summary: 'deterministic train/eval split grouped by prompt',
  usage: 'reward-studio split FILE --eval-fraction X --out-dir D [--seed S] [--from F] [--force]',
  details: [
    'Writes D/train.jsonl, D/eval.jsonl (each line copied byte for byte from FILE) and D/split.json.',
    'Every pair with the same prompt lands on the same side; the side is decided by a hash of the seed and',
    'the prompt, so adding records later never moves old ones.',
    '',
    '  --eval-fraction X share of prompts in eval, 0..1 (required)',
    '  --out-dir D      output folder (created if missing)',
    '  --seed S         hash seed (default 0)',
    FROM_HELP,
    '  --force          replace existing outputs',
  ].join('\n'),
  options: {
    'eval-fraction': { type: 'string' },
    'out-dir': { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, positionals, io) {
    if (positionals.length !== 1) throw new UsageError(`split needs exactly one FILE (got ${positionals.length})`);
    if (values['eval-fraction'] === undefined) throw new UsageError('split needs --eval-fraction X (for example 0.1)');
    if (!values['out-dir']) throw new UsageError('split needs --out-dir D');
    const fraction = Number(values['eval-fraction']);
    try {
      checkEvalFraction(fraction);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const r = await splitFile(positionals[0], values['out-dir'] as string, { evalFraction: fraction, seed: values.seed as string | undefined }, { from: formatOf(values), force: values.force === true });
    printProblems(io, r.problems);
    io.err(`train: ${num(r.train.pairs)} pairs (${num(r.train.lines)} lines); eval: ${num(r.eval.pairs)} pairs (${num(r.eval.lines)} lines); ${num(r.skippedLines)} lines skipped → ${values['out-dir'] as string}`);
    return 0;
  },
};

const synth: Command = {
  name: 'synth',
  summary: 'write a synthetic preference set with a planted reward (for demos and tests)',
  usage: 'reward-studio synth --out FILE [--n N] [--seed S] [--force]',
  details: [
    'Generates question/answer pairs whose labels come from a known reward (correctness, politeness, a',
    'worked example, rudeness, filler) through the Bradley–Terry model; prints the best accuracy any reward',
    'model can reach on it.',
    '',
    '  --out FILE       output JSONL (required)',
    '  --n N            number of pairs (default 2000)',
    '  --seed S         random seed (default 1)',
    '  --force          replace FILE if it exists',
  ].join('\n'),
  options: { out: { type: 'string', short: 'o' }, n: { type: 'string' }, seed: { type: 'string' }, force: { type: 'boolean' } },
  async run(values, positionals, io) {
    if (positionals.length) throw new UsageError(`synth takes no positional arguments (got ${positionals.join(' ')})`);
    if (!values.out) throw new UsageError('synth needs --out FILE');
    const n = intOption(values, 'n', 1, 2000);
    const seed = intOption(values, 'seed', 0, 1);
    const set = generateSyntheticPreferences({ n, seed });
    try {
      writeFileSync(values.out as string, set.pairs.map((p) => serializeTrlLine(p) + '\n').join(''), { flag: values.force ? 'w' : 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new DataError(`${values.out as string} already exists — choose another --out, or pass --force to replace it`);
      throw e;
    }
    io.err(`wrote ${num(n)} synthetic pairs → ${values.out as string}; attainable accuracy (the planted reward itself) ${pct(set.attainableAccuracy)}`);
    return 0;
  },
};

export const COMMANDS: Command[] = [validate, convert, stats, split, synth, trainCommand, scoreCommand, evalCommand];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `reward-studio ${VERSION} — preference data and reward models, from the command line`,
    '',
    'Usage: reward-studio <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'reward-studio <command> --help' for a command's options.",
  ].join('\n');
}

function commandHelp(c: Command): string {
  return `Usage: ${c.usage}\n\n${c.summary}.\n\n${c.details}`;
}

function closest(word: string, candidates: string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  const best = candidates.map((c) => [c, dist(word, c)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? best[0] : undefined;
}

/** Runs the CLI; returns the exit code. Never calls process.exit, so tests can call it in-process. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const guess = closest(name, COMMANDS.map((c) => c.name));
    io.err(`reward-studio: unknown command '${name}'.${guess ? ` Did you mean '${guess}'?` : ''} Run 'reward-studio --help' for the list.`);
    return 2;
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/, '');
    const unknown = /Unknown option '(--?[\w-]+)'/.exec(message);
    const guess = unknown ? closest(unknown[1].replace(/^-+/, ''), Object.keys(command.options)) : undefined;
    io.err(`reward-studio ${command.name}: ${message}${guess ? ` Did you mean --${guess}?` : ''}\nUsage: ${command.usage}\nRun 'reward-studio ${command.name} --help' for details.`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`reward-studio ${command.name}: ${e.message}\nUsage: ${command.usage}`);
      return 2;
    }
    if (e instanceof DataError) {
      for (const p of e.problems) io.err(formatProblem(p));
      io.err(`reward-studio ${command.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  // `reward-studio validate big.jsonl | head`: when the reader goes away, stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  // Cancellation: Ctrl-C / SIGTERM, or {type: 'cancel'} over IPC when the extension forked this process.
  // The first request lets a command stop cleanly (train writes a resumable checkpoint); a second Ctrl-C exits now.
  const cancel = new AbortController();
  const request = (why: string): void => {
    if (cancel.signal.aborted) {
      process.stderr.write('reward-studio: stopping now\n');
      process.exit(130);
    }
    process.stderr.write(`reward-studio: ${why} — stopping after the current step (again to stop now)\n`);
    cancel.abort();
  };
  process.on('SIGINT', () => request('interrupted'));
  process.on('SIGTERM', () => request('terminated'));
  if (process.send) {
    process.on('message', (m: { type?: string }) => {
      if (m?.type === 'cancel') request('cancel requested');
    });
    // The parent (VS Code) went away without saying cancel: stop cleanly rather than train on as an orphan.
    process.on('disconnect', () => {
      if (!cancel.signal.aborted) request('the editor that started this run went away');
    });
    process.channel?.unref(); // the IPC channel alone must not keep the process alive
  }
  const io: Io = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n'), progress: process.stderr.isTTY ? (t) => process.stderr.write(`\r\u001b[2K${t}`) : undefined, signal: cancel.signal };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`reward-studio: internal error: ${(e as Error).stack ?? String(e)}\nPlease report this with the command you ran.\n`);
      process.exitCode = 1;
    },
  );
}
