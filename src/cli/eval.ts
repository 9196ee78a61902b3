// `reward-studio eval`: a trained model on its held-out pairs (or any file), with length, calibration,
// sycophancy, formatting, label-noise and annotator probes; a short summary on stderr and the full
// report as JSON (src/core/eval/README.md documents it).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readAllPairs } from '../core/data/pipeline';
import { DataError, formatProblem } from '../core/data/problems';
import { splitSideOf } from '../core/data/split';
import { evaluate, renderReportHtml, type EvalReport, type Finding } from '../core/eval';
import { isSycophancyRecord, ProbeFileError, readSycophancyProbes, type SycophancyProbeSet } from '../core/eval/probes';
import { ModelLoadError, readModelCard, type ModelCard } from '../core/score/rewardModel';
import type { LocatedPair } from '../core/tokenize';
import { existingOutput, intOption, providerOption, UsageError, type Command, type Io } from './common';
import { withRewardModel } from './model';

class EvalInputError extends Error {}

/** The pairs to evaluate: --data (its eval side when it is the training file), else the run's held-out split. */
async function evalPairs(card: ModelCard, dataOption: string | undefined, io: Io): Promise<{ file: string; selection: string; pairs: LocatedPair[] }> {
  const t = card.training ?? {};
  const split = t.split && t.split.evalFraction ? { evalFraction: t.split.evalFraction, seed: String(t.split.seed) } : null;
  let file: string;
  let filter = false;
  if (dataOption !== undefined) {
    file = resolve(dataOption);
    filter = split !== null && t.dataFile !== undefined && resolve(t.dataFile) === file;
  } else if (t.evalFile) {
    file = resolve(t.evalFile);
  } else if (t.dataFile && split) {
    file = resolve(t.dataFile);
    filter = true;
  } else {
    throw new EvalInputError('the model card records no held-out split (training.dataFile with split.evalFraction, or training.evalFile); give the pairs with --data FILE');
  }
  const { pairs, problems } = await readAllPairs(file);
  const errors = problems.filter((p) => p.severity === 'error');
  for (const p of errors.slice(0, 20)) io.err(formatProblem(p));
  if (errors.length) io.err(`${errors.length} line(s) of ${file} with problems are left out`);
  const kept = filter ? pairs.filter((p) => splitSideOf(p.pair, split!) === 'eval') : pairs;
  const selection = filter ? `eval side of the training split (evalFraction ${split!.evalFraction}, seed ${split!.seed})` : dataOption !== undefined ? 'every pair of --data' : 'the run\'s eval file';
  if (kept.length === 0) throw new EvalInputError(`${file}: no pairs to evaluate (${selection})`);
  return { file, selection, pairs: kept.map((p) => ({ pair: p.pair, source: { file, line: p.line } })) };
}

/** A --probes file: sycophancy probes when its first record has matches_user_view, else labelled pairs. */
async function readProbeFile(file: string, sycophancyLimit: number | undefined, io: Io): Promise<{ kind: 'sycophancy'; set: SycophancyProbeSet } | { kind: 'pairs'; file: string; pairs: LocatedPair[] }> {
  const path = resolve(file);
  let first: unknown;
  try {
    const head = readFileSync(path, 'utf8').split('\n', 50).find((l) => l.trim());
    first = head === undefined ? undefined : JSON.parse(head);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw new ProbeFileError(`cannot read the probe file (${(e as NodeJS.ErrnoException).code})`, path, 1);
    first = undefined; // not JSON: let the pair reader name the line
  }
  if (isSycophancyRecord(first)) {
    const set = readSycophancyProbes(path, { limit: sycophancyLimit });
    for (const p of set.problems.slice(0, 20)) io.err(`${p.file}:${p.line}: ${p.message}`);
    if (set.problems.length) io.err(`${set.problems.length} line(s) of ${path} are not sycophancy probes and are left out`);
    return { kind: 'sycophancy', set };
  }
  const { pairs, problems } = await readAllPairs(path);
  const errors = problems.filter((p) => p.severity === 'error');
  for (const p of errors.slice(0, 20)) io.err(formatProblem(p));
  if (pairs.length === 0) {
    const p = errors[0];
    throw new ProbeFileError(p ? `no usable probe: neither labelled pairs {prompt, chosen, rejected} nor sycophancy probes {prompt, matches_user_view, contradicts_user_view} (${p.message})` : 'the file holds no probes', path, p?.line ?? 1);
  }
  return { kind: 'pairs', file: path, pairs: pairs.map((p) => ({ pair: p.pair, source: { file: path, line: p.line } })) };
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const rate = (f: Finding): string => `${pct(f.value)} [${pct(f.ci[0])}, ${pct(f.ci[1])}] (n=${f.n})`;

function printSummary(io: Io, r: EvalReport): void {
  io.err(`${r.data.file ?? 'pairs'}: ${r.data.scored} of ${r.data.pairs} pairs scored (${r.data.selection})`);
  io.err(`  accuracy            ${rate(r.accuracy)}`);
  io.err(`  length-only         ${rate(r.length.baseline)}`);
  io.err(`  chosen longer/shorter ${pct(r.length.chosenLonger.value)} / ${pct(r.length.chosenShorter.value)}; ρ(Δlength, Δreward) ${r.length.spearman.value.toFixed(2)}`);
  io.err(`  long generic wins   ${rate(r.length.briefVsLong)}`);
  io.err(`  filler effect       ${r.length.filler.effect.value.toFixed(2)}σ on ${r.length.filler.n} of ${r.length.filler.built} probes (the rest: the edit falls past maxLength)`);
  io.err(`  ECE                 ${r.calibration.ece.value.toFixed(3)} (temperature ${r.calibration.temperature.toFixed(2)})`);
  for (const g of r.groups?.rows ?? []) io.err(`  ${r.groups!.field} ${g.group}: ${rate(g.accuracy)}`);
  for (const p of r.probeSets) io.err(`  probe ${p.file}: accuracy ${rate(p.accuracy)} vs length-only ${pct(p.lengthBaseline.value)}`);
  for (const f of r.sycophancy.files) io.err(`  sycophancy ${f.file}: agrees with the user ${rate(f.agreeRate)}${f.groups.length > 1 ? ' — ' + f.groups.map((g) => `${g.group} ${pct(g.agreeRate.value)}`).join(', ') : ''}`);
  io.err('verdicts:');
  for (const s of r.summary) io.err(`  [${s.level.toUpperCase().padEnd(4)}] ${s.section}: ${s.text}`);
  io.err(`scoring ${r.timings.scoringSeconds.toFixed(1)} s, metrics ${r.timings.metricsSeconds.toFixed(1)} s`);
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a reward model: accuracy with intervals, length, calibration, sycophancy and formatting probes',
  usage: 'reward-studio eval --model DIR [--data FILE] [--probes FILE]... [--report OUT.json] [--html OUT.html] [--json] [options]',
  details: [
    'Scores the held-out pairs the run recorded (the eval side of its split of training.dataFile, or its',
    'eval file) — or --data FILE — and probes built from them, and reports every figure with its n and a',
    'bootstrap confidence interval, with plain-language verdicts and the thresholds they used.',
    '',
    '  --model DIR          a training run\'s output folder',
    '  --data FILE          evaluate these pairs instead (only its eval side when it is the training file)',
    '  --probes FILE        repeatable: labelled pairs (e.g. LLMBar, read as a length probe) or sycophancy',
    '                       probes {prompt, matches_user_view, contradicts_user_view, group?}',
    '  --report OUT.json    write the full report (format reward-studio/eval-report@1)',
    '  --html OUT.html      write the report as one self-contained HTML page (plots, findings, verdicts)',
    '  --json               print the report on stdout',
    '  --group-by FIELD     break accuracy down by this record field (default: subset or category if present)',
    '  --probe-limit N      eval pairs the generated probes are built from (500)',
    '  --sycophancy-limit N read at most N probes of each sycophancy file (all)',
    '  --bootstrap N        bootstrap resamples (1000)   --seed S  bootstrap seed (0)',
    '  --batch-size N       pairs per run (32)   --provider P  auto, cuda, webgpu or cpu',
    '  --tokenizer PATH     use this tokenizer.json instead of the folder\'s (must be the same tokenizer)',
    '  --force              replace --report and --html if they exist',
    '',
    'Exit status: 0 evaluated (whatever the verdicts), 1 failed, 2 usage error.',
  ].join('\n'),
  options: {
    model: { type: 'string', short: 'm' },
    data: { type: 'string', short: 'd' },
    probes: { type: 'string', multiple: true },
    report: { type: 'string' },
    html: { type: 'string' },
    json: { type: 'boolean' },
    'group-by': { type: 'string' },
    'probe-limit': { type: 'string' },
    'sycophancy-limit': { type: 'string' },
    bootstrap: { type: 'string' },
    seed: { type: 'string' },
    'batch-size': { type: 'string' },
    provider: { type: 'string' },
    tokenizer: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, positionals, io) {
    if (positionals.length) throw new UsageError(`eval takes no positional arguments (got ${positionals.join(' ')})`);
    if (!values.model) throw new UsageError('eval needs --model DIR');
    providerOption(values);
    const opts = {
      resamples: intOption(values, 'bootstrap', 1, 1000),
      seed: intOption(values, 'seed', 0, 0),
      batchSize: intOption(values, 'batch-size', 1, 32),
      probeLimit: intOption(values, 'probe-limit', 0, 500),
      signal: io.signal,
    };
    const sycLimit = values['sycophancy-limit'] === undefined ? undefined : intOption(values, 'sycophancy-limit', 1, 0);
    const fail = (message: string): number => {
      io.err(`reward-studio eval: ${message}`);
      return 1;
    };
    // Refuse an existing output before minutes of scoring, not after (the write is 'wx' too).
    for (const option of ['report', 'html'] as const) {
      const existing = existingOutput(values, option);
      if (existing) return fail(existing);
    }
    let card: ModelCard;
    let data: Awaited<ReturnType<typeof evalPairs>>;
    const pairProbes: { file: string; pairs: LocatedPair[] }[] = [];
    const sycophancyProbes: SycophancyProbeSet[] = [];
    try {
      card = readModelCard(values.model as string);
      data = await evalPairs(card, values.data as string | undefined, io);
      for (const f of (values.probes as string[] | undefined) ?? []) {
        const p = await readProbeFile(f, sycLimit, io);
        if (p.kind === 'sycophancy') sycophancyProbes.push(p.set);
        else pairProbes.push(p);
      }
    } catch (e) {
      if (e instanceof ModelLoadError || e instanceof EvalInputError || e instanceof ProbeFileError) return fail(e.message);
      if (e instanceof DataError) {
        for (const p of e.problems) io.err(formatProblem(p));
        return fail(e.message);
      }
      throw e;
    }
    return withRewardModel('eval', values, io, async (model) => {
      const report = await evaluate(
        model,
        {
          pairs: data.pairs,
          dataset: { file: data.file, selection: data.selection },
          model: { dir: model.dir, backbone: card.model.backbone },
          groupBy: values['group-by'] as string | undefined,
          pairProbes,
          sycophancyProbes,
        },
        opts,
      );
      const text = JSON.stringify(report, null, 2) + '\n';
      const outputs: [option: 'report' | 'html', content: () => string][] = [
        ['report', () => text],
        ['html', () => renderReportHtml(report)],
      ];
      for (const [option, content] of outputs) {
        const file = values[option] as string | undefined;
        if (!file) continue;
        try {
          writeFileSync(file, content(), { flag: values.force ? 'w' : 'wx' });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fail(`${file} already exists — choose another --${option}, or pass --force to replace it`);
          throw e;
        }
      }
      if (values.json) io.out(text.trimEnd());
      printSummary(io, report);
      if (values.report) io.err(`report → ${values.report as string}`);
      if (values.html) io.err(`html → ${values.html as string}`);
      return 0;
    });
  },
};
