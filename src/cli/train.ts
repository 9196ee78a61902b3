// `reward-studio train` and `reward-studio score`.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseJson, stringifyJson } from '../core/data/json';
import { readAllPairs } from '../core/data/pipeline';
import { DataError, formatProblem } from '../core/data/problems';
import { serializeTrlLine } from '../core/data/formats/trlWriter';
import { TokenizerLoadError, TokenizerMismatchError } from '../core/tokenize';
import { configFileLayer, resolveTrainConfig, TrainConfigError, type ConfigLayer, type TrainConfig } from '../core/train/config';
import type { TrainEvent } from '../core/train/events';
import { runTraining, TrainError } from '../core/train/trainer';
import { existingOutput, intOption, providerOption, UsageError, type Command, type Values } from './common';
import { withRewardModel } from './model';

/** CLI flag → config field ('builtin.dModel' for nested fields), with how the value is read. */
const FLAGS: Record<string, { field: string; kind: 'string' | 'number' | 'int' | 'boolean' | 'lr' | 'nullable' }> = {
  backbone: { field: 'backbone', kind: 'string' },
  'hidden-state': { field: 'hiddenState', kind: 'nullable' },
  'd-model': { field: 'builtin.dModel', kind: 'int' },
  'n-heads': { field: 'builtin.nHeads', kind: 'int' },
  'n-layers': { field: 'builtin.nLayers', kind: 'int' },
  tokenizer: { field: 'tokenizer', kind: 'nullable' },
  'tokenizer-vocab-size': { field: 'tokenizerVocabSize', kind: 'int' },
  template: { field: 'template', kind: 'string' },
  truncation: { field: 'truncation', kind: 'string' },
  'max-length': { field: 'maxLength', kind: 'int' },
  trainable: { field: 'trainable', kind: 'string' },
  'pretrain-epochs': { field: 'pretrainEpochs', kind: 'number' },
  epochs: { field: 'epochs', kind: 'number' },
  'max-steps': { field: 'maxSteps', kind: 'int' },
  'batch-size': { field: 'batchSize', kind: 'int' },
  lr: { field: 'learningRate', kind: 'lr' },
  'learning-rate': { field: 'learningRate', kind: 'lr' },
  'warmup-ratio': { field: 'warmupRatio', kind: 'number' },
  'warmup-steps': { field: 'warmupSteps', kind: 'int' },
  schedule: { field: 'schedule', kind: 'string' },
  'weight-decay': { field: 'weightDecay', kind: 'number' },
  'max-grad-norm': { field: 'maxGradNorm', kind: 'number' },
  'use-margin': { field: 'useMargin', kind: 'boolean' },
  'center-rewards-coefficient': { field: 'centerRewardsCoefficient', kind: 'number' },
  'eval-fraction': { field: 'evalFraction', kind: 'number' },
  'eval-steps': { field: 'evalSteps', kind: 'int' },
  'checkpoint-steps': { field: 'checkpointSteps', kind: 'int' },
  'log-steps': { field: 'logSteps', kind: 'int' },
  seed: { field: 'seed', kind: 'int' },
  provider: { field: 'provider', kind: 'string' },
  'early-stopping-patience': { field: 'earlyStopping.patience', kind: 'int' },
  'early-stopping-min-delta': { field: 'earlyStopping.minDelta', kind: 'number' },
  'export-model': { field: 'exportModel', kind: 'string' },
};

const flagOf = (field: string): string => '--' + (Object.entries(FLAGS).find(([, f]) => f.field === field || f.field.endsWith('.' + field))?.[0] ?? field);

/** The command-line flags as a config layer (numbers parsed; a bad number is a usage error naming the flag). */
export function flagsLayer(values: Values): ConfigLayer {
  const out: Record<string, unknown> = {};
  for (const [flag, { field, kind }] of Object.entries(FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    let v: unknown = raw;
    if (kind === 'number' || kind === 'int' || (kind === 'lr' && raw !== 'auto')) {
      v = Number(raw);
      if (raw === '' || !Number.isFinite(v as number)) throw new UsageError(`--${flag} must be a number (got '${raw as string}')`);
    } else if (kind === 'nullable' && raw === 'none') v = null;
    const [a, b] = field.split('.');
    if (b) out[a] = { ...(out[a] as object), [b]: v };
    else out[a] = v;
  }
  return { values: out, source: 'command line', spell: flagOf };
}

const FLAG_HELP = [
  '  --backbone B          builtin (default) or an exported backbone .onnx',
  '  --hidden-state NAME   imported backbones: the hidden-state tensor',
  '  --d-model N, --n-heads N, --n-layers N   built-in backbone shape (256, 4, 4)',
  '  --tokenizer PATH      tokenizer.json or its folder (default: train one on the data)',
  '  --tokenizer-vocab-size N   vocabulary of the trained tokenizer (8000)',
  "  --template T          plain records' text template ('{prompt}\\n\\n{response}')",
  '  --truncation S        keep-end-of-prompt (default) or keep-start',
  '  --max-length N        tokens per side (512)',
  '  --trainable T         head, top-N or all (all)',
  '  --pretrain-epochs E   built-in backbone: causal-LM epochs on the training texts first (0)',
  '  --epochs E            (1; fractions allowed)   --max-steps N   stop after N steps',
  '  --batch-size N        pairs per step (8)',
  '  --lr X                peak learning rate, or auto (1e-3 built-in/head, 1e-5 pretrained)',
  '  --warmup-ratio X      (0.03)   --warmup-steps N   --schedule constant|linear|cosine (linear)',
  '  --weight-decay X      (0.01)   --max-grad-norm X  (1.0; 0 turns clipping off)',
  '  --use-margin          subtract each record\'s margin inside the sigmoid',
  '  --center-rewards-coefficient X   TRL reward centering (0)',
  '  --eval FILE           evaluate on this file instead of a held-out split',
  '  --eval-fraction X     share of prompts held out (0.1)   --eval-steps N  also evaluate every N steps',
  '  --checkpoint-steps N  also checkpoint every N steps   --log-steps N  (1)',
  '  --seed S              (42)   --provider auto|cuda|webgpu|cpu (auto)',
  '  --early-stopping-patience N   stop after N evaluations without improvement (0: off)',
  '  --early-stopping-min-delta X  --export-model best|last (best by eval loss)',
].join('\n');

function bar(frac: number, width = 24): string {
  const n = Math.round(Math.max(0, Math.min(1, frac)) * width);
  return '█'.repeat(n) + '░'.repeat(width - n);
}

function clock(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a Bradley–Terry reward model on preference pairs',
  usage: 'reward-studio train --data FILE --out DIR [--eval FILE] [--config JSON] [--json] [flags] | train --resume DIR',
  details: [
    'Trains a reward model (the built-in backbone or your exported one, plus a scalar head on the last real',
    'token) with −log σ(r_chosen − r_rejected), evaluates it on held-out pairs beside the length-only',
    'baseline, and writes DIR: reward-model.onnx, reward-model.json, tokenizer.json, train.log,',
    'metrics.jsonl and checkpoints/{last,best}. Ctrl-C stops after the current step and leaves a checkpoint.',
    '',
    '  --data FILE           training pairs (JSONL in any format `validate` reads)',
    '  --out DIR             output folder',
    '  --config JSON         a JSON file of settings (the names below in camelCase); flags override it',
    '  --resume DIR          continue a cancelled or interrupted run from DIR/checkpoints/last',
    '  --json                one JSON event per line on stdout (start, phase, step, eval, checkpoint, done, error)',
    '  --cache-dir DIR       where head-only runs cache backbone features (default ~/.cache/reward-studio/features; none: off)',
    '',
    FLAG_HELP,
    '',
    'Exit status: 0 trained, 1 failed, 2 usage or config error, 130 cancelled (resumable).',
  ].join('\n'),
  options: {
    data: { type: 'string', short: 'd' },
    out: { type: 'string', short: 'o' },
    eval: { type: 'string' },
    config: { type: 'string' },
    resume: { type: 'string' },
    json: { type: 'boolean' },
    'cache-dir': { type: 'string' },
    ...Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, { type: f.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }])),
  },
  async run(values, positionals, io) {
    if (positionals.length) throw new UsageError(`train takes no positional arguments (got ${positionals.join(' ')}); give the data with --data FILE`);
    const json = values.json === true;
    let config: TrainConfig | undefined;
    const resume = values.resume as string | undefined;
    if (resume) {
      const extra = Object.keys(values).filter((k) => values[k] !== undefined && !['resume', 'json', 'cache-dir'].includes(k));
      if (extra.length) throw new UsageError(`--resume continues the run exactly as it was configured; drop ${extra.map((k) => '--' + k).join(', ')}`);
    } else {
      if (!values.data) throw new UsageError('train needs --data FILE (or --resume DIR)');
      if (!values.out) throw new UsageError('train needs --out DIR');
      const layers: ConfigLayer[] = [];
      try {
        if (values.config) {
          const file = values.config as string;
          let text: string;
          try {
            text = readFileSync(file, 'utf8');
          } catch (e) {
            throw new TrainConfigError(`cannot read the config file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
          }
          layers.push(configFileLayer(text, file));
        }
        const flags = flagsLayer(values);
        if (values.eval) flags.values.evalFile = values.eval;
        layers.push(flags);
        config = resolveTrainConfig(...layers);
      } catch (e) {
        if (e instanceof TrainConfigError) {
          if (json) io.out(JSON.stringify({ type: 'error', code: 'config', message: e.message } satisfies TrainEvent));
          io.err(`reward-studio train: ${e.message}`);
          return 2;
        }
        throw e;
      }
    }

    const progress = json ? undefined : io.progress;
    const tty = progress !== undefined;
    let barShown = false;
    const clearBar = (): void => {
      if (barShown) progress?.('');
      barShown = false;
    };
    const onEvent = (e: TrainEvent): void => {
      if (json) io.out(JSON.stringify(e));
      if (!tty) return;
      if (e.type === 'step') {
        progress?.(
          `${bar(e.step / e.totalSteps)} ${((100 * e.step) / e.totalSteps).toFixed(0).padStart(3)}%  step ${e.step}/${e.totalSteps}  epoch ${e.epoch.toFixed(2)}  ` +
            `loss ${e.loss.toFixed(4)}  acc ${pct(e.accuracy)}  ${Math.round(e.tokensPerSecond)} tok/s  ETA ${clock(e.etaSeconds)}`,
        );
        barShown = true;
      }
    };
    const onLog = (line: string): void => {
      if (json) {
        io.err(line);
        return;
      }
      if (tty && /^step \d+\//.test(line)) return; // the bar shows it
      clearBar();
      io.err(line);
    };
    try {
      const done = await runTraining({
        dataFile: values.data as string | undefined,
        outDir: resume ?? (values.out as string),
        config,
        resume: resume !== undefined,
        signal: io.signal,
        onEvent,
        onLog,
        cacheDir: values['cache-dir'] === 'none' ? null : (values['cache-dir'] as string | undefined),
      });
      clearBar();
      if (!json) {
        const last = done.bestEval ?? done.eval;
        if (done.status === 'cancelled') {
          io.err(`cancelled at step ${done.step}; continue with:\n  ${done.resumeCommand}`);
        } else {
          io.err(`\n${done.status === 'early-stopped' ? 'stopped early' : 'done'} after ${done.step} steps in ${clock(done.elapsedSeconds)}.`);
          if (last) {
            const bow = done.evalBagOfWordsBaseline;
            io.err(
              `held-out accuracy ${pct(last.accuracy)} (best by eval loss, step ${last.step}) vs length-only baseline ${pct(done.evalLengthBaseline)}` +
                (bow === null || bow === undefined ? '' : ` and bag-of-words baseline ${pct(bow)}`) +
                ` on ${last.pairs} pairs`,
            );
          }
          io.err(`model: ${done.modelFile}`);
        }
      }
      return done.status === 'cancelled' ? 130 : 0;
    } catch (e) {
      clearBar();
      const known = e instanceof TrainError || e instanceof TokenizerLoadError || e instanceof TokenizerMismatchError || e instanceof DataError || e instanceof TrainConfigError;
      if (!known) throw e;
      const code = e instanceof TrainError ? e.code : e instanceof TrainConfigError ? 'config' : e instanceof DataError ? 'data' : 'tokenizer';
      if (json) io.out(JSON.stringify({ type: 'error', code, message: e.message } satisfies TrainEvent));
      if (e instanceof DataError) for (const p of e.problems) io.err(formatProblem(p));
      io.err(`reward-studio train: ${e.message}`);
      return code === 'config' ? 2 : 1;
    }
  },
};

export const scoreCommand: Command = {
  name: 'score',
  summary: 'score preference pairs with a trained reward model',
  usage: 'reward-studio score --model DIR --data FILE --out FILE [--batch-size N] [--provider P] [--force]',
  details: [
    'Writes every record of FILE to --out with reward_chosen and reward_rejected added (the rest of the',
    'record as it was), tokenized exactly as the model was trained. Pairs longer than the model\'s max',
    'length are cut as in training and get reward_truncated_tokens. Prints the accuracy against the labels.',
    '',
    '  --model DIR       a training run\'s output folder (reward-model.onnx, reward-model.json, tokenizer.json)',
    '  --data FILE       pairs to score (any format `validate` reads)',
    '  --out FILE        output JSONL',
    '  --batch-size N    pairs per run (32)',
    '  --provider P      auto (default), cuda, webgpu or cpu',
    '  --tokenizer PATH  use this tokenizer.json instead of the folder\'s (must be the same tokenizer)',
    '  --force           replace --out if it exists',
  ].join('\n'),
  options: {
    model: { type: 'string', short: 'm' },
    data: { type: 'string', short: 'd' },
    out: { type: 'string', short: 'o' },
    'batch-size': { type: 'string' },
    provider: { type: 'string' },
    tokenizer: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, positionals, io) {
    if (positionals.length) throw new UsageError(`score takes no positional arguments (got ${positionals.join(' ')})`);
    for (const k of ['model', 'data', 'out']) if (!values[k]) throw new UsageError(`score needs --${k}`);
    const batchSize = intOption(values, 'batch-size', 1, 32);
    providerOption(values);
    const existing = existingOutput(values, 'out');
    if (existing) throw new DataError(existing);
    const dataFile = resolve(values.data as string);
    const { pairs, problems } = await readAllPairs(dataFile);
    const errors = problems.filter((p) => p.severity === 'error');
    for (const p of errors.slice(0, 20)) io.err(formatProblem(p));
    if (errors.length) io.err(`${errors.length} line(s) with problems are not scored`);
    return withRewardModel('score', values, io, async (model) => {
      const scores = await model.scorePairs(
        pairs.map((p) => ({ pair: p.pair, source: { file: dataFile, line: p.line } })),
        { batchSize, signal: io.signal },
      );
      const lines: string[] = [];
      const perLine = new Map<number, number>();
      for (const p of pairs) perLine.set(p.line, (perLine.get(p.line) ?? 0) + 1);
      let correct = 0;
      let scored = 0;
      pairs.forEach((p, i) => {
        const s = scores[i];
        let record: unknown;
        if (perLine.get(p.line) === 1) record = parseJson(p.raw.toString('utf8').replace(/^\uFEFF/, ''));
        if (typeof record !== 'object' || record === null || Array.isArray(record)) record = parseJson(serializeTrlLine(p.pair)); // ranked lines: one canonical record per pair
        const out = record as Record<string, unknown>;
        out.reward_chosen = Number.isFinite(s.rewardChosen) ? s.rewardChosen : null;
        out.reward_rejected = Number.isFinite(s.rewardRejected) ? s.rewardRejected : null;
        if (s.truncatedTokens > 0) out.reward_truncated_tokens = s.truncatedTokens;
        lines.push(stringifyJson(out) + '\n');
        if (Number.isFinite(s.rewardChosen)) {
          scored++;
          correct += s.rewardChosen > s.rewardRejected ? 1 : s.rewardChosen === s.rewardRejected ? 0.5 : 0;
        }
      });
      try {
        writeFileSync(values.out as string, lines.join(''), { flag: values.force ? 'w' : 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new DataError(`${values.out as string} already exists — choose another --out, or pass --force to replace it`);
        throw e;
      }
      io.err(`scored ${scored} pairs → ${values.out as string}; the model agrees with the labels on ${pct(scored ? correct / scored : null)}`);
      return 0;
    });
  },
};
