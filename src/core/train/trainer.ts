// A whole training run: data → split → tokenizer → tokens → model → steps with evaluation, checkpoints
// and early stopping → the output folder (reward-model.onnx, reward-model.json, tokenizer, log,
// metrics). Runs in the process that calls it (the CLI; the extension starts the CLI as its background
// process), with the runtime on this thread: a step is one session.run and the state stays here.
//
// Deterministic from the config: the split, the tokenizer, the init and every epoch's batch order come
// from `seed`, so a run resumed from a checkpoint takes exactly the steps the uninterrupted run would.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readAllPairs, type PairItem } from '../data/pipeline';
import { accuracy as bowAccuracy, lengthBaseline, trainBagOfWords } from '../eval/baselines';
import { textOf } from '../data/record';
import { formatProblem, type DataProblem } from '../data/problems';
import { promptGroupKey, splitSideOf } from '../data/split';
import { buildRewardForward, buildTrainStep, builtinConfig, builtinParamShapes, exportRewardModel, initBuiltinParams, IO, type BuiltinBackboneConfig, type ModelParams, type TrainStepGraph } from '../model';
import {
  analyzeBackbone,
  BackboneImportError,
  buildImportedBackbone,
  buildImportedScoringGraph,
  buildImportedTrainStep,
  exportImportedRewardModel,
  type BackboneAnalysis,
  type TrainableChoice,
} from '../model/import';
import { encodeModel, readModel, type OnnxModel } from '../onnx';
import { optimizerConfig, scheduledLr, scheduleFor, type LrSchedule } from '../optim';
import { Runtime } from '../runtime';
import { bucketBatches, describeTruncation, loadTokenizer, tokenizePairs, trainTokenizer, type RewardTokenizedPair, type RewardTokenizer } from '../tokenize';
import { formatPair } from '../tokenize/format';
import { resolveLearningRate, topBlocks, type TrainConfig } from './config';
import type { CheckpointEvent, DoneEvent, EvalEvent, StartEvent, StepEvent, TrainEvent } from './events';
import { encodeSafetensors, readSafetensors, writeFileAtomic, type NamedTensor } from './safetensors';
import { FullEngine, HeadEngine, type RunEngine } from './engines';
import { buildBuiltinFeatureGraph, buildFeatureGraphFrom, buildHeadStep, builtinModelIdentity, FeatureCache } from './features';
import { pretrainBackbone } from './pretrain';
import type { StepMetrics } from './stepper';

/** Above this many training pairs the bag-of-words baseline is not fitted (its L-BFGS grid would take minutes). */
export const BOW_BASELINE_MAX_PAIRS = 50_000;

export const MODEL_CARD_FORMAT = 'reward-studio/reward-model@1';
export const CHECKPOINT_FORMAT = 'reward-studio/checkpoint@1';

/** Files in the output folder. */
export const OUTPUT = Object.freeze({
  model: 'reward-model.onnx',
  card: 'reward-model.json',
  tokenizer: 'tokenizer.json',
  log: 'train.log',
  metrics: 'metrics.jsonl',
  config: 'resolved-config.json',
  pretrained: 'pretrained-backbone.safetensors',
  checkpoints: 'checkpoints',
  last: 'last',
  best: 'best',
});

export class TrainError extends Error {
  constructor(
    message: string,
    /** 'config' | 'data' | 'tokenizer' | 'backbone' | 'runtime' | 'resume' */
    readonly code: string,
  ) {
    super(message);
    this.name = 'TrainError';
  }
}

export interface TrainRunOptions {
  /** Required unless resuming (then the checkpoint's is used). */
  dataFile?: string;
  outDir: string;
  config?: TrainConfig;
  /** Continue from outDir/checkpoints/last. */
  resume?: boolean;
  /** Abort: the run stops after the current step, writes a resumable checkpoint and reports 'cancelled'. */
  signal?: AbortSignal;
  /** Every event, in order. */
  onEvent?: (e: TrainEvent) => void;
  /** Human-readable log lines (also written to train.log). */
  onLog?: (line: string) => void;
  /** How the CLI is invoked, for the resume hint (default 'reward-studio'). */
  command?: string;
  /** Use this runtime instead of starting one (tests). */
  runtime?: Runtime;
  /**
   * Where head-only runs cache backbone features (keyed by model, tokenizer, template, max length and
   * the tokens). Default $XDG_CACHE_HOME/reward-studio/features or ~/.cache/reward-studio/features;
   * null: no cache.
   */
  cacheDir?: string | null;
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME.length > 0 ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'reward-studio', 'features');
}

interface CheckpointState {
  format: string;
  step: number;
  config: TrainConfig;
  dataFile: string;
  dataSha256: string;
  evalFile: string | null;
  evalSha256: string | null;
  tokenizerSha256: string;
  best: { step: number; loss: number } | null;
  bestEval: EvalEvent | null;
  lastEval: EvalEvent | null;
  sinceBest: number;
  evals: EvalEvent[];
  elapsedSeconds: number;
  trainable: string[];
  /** What LM pretraining did before the reward steps (null: none). */
  pretrain?: { epochs: number; steps: number; firstLoss: number; lastLoss: number } | null;
}

interface Split {
  train: PairItem[];
  eval: PairItem[];
  method: string;
}

/** sha256 of a file's bytes, streamed. */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Length-only baseline on token lengths (the shared prompt adds the same to both sides; ties count half). */
export function tokenLengthBaseline(pairs: readonly RewardTokenizedPair[]): number | null {
  return pairs.length === 0 ? null : lengthBaseline(pairs, (ids) => ids.length).accuracy;
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Runs (or resumes) a training run to the end, cancellation or early stop. Throws TrainError for bad input. */
export async function runTraining(opts: TrainRunOptions): Promise<DoneEvent> {
  const open: number[] = [];
  try {
    return await train(opts, open);
  } finally {
    for (const fd of open) closeSync(fd);
  }
}

/** runTraining's body; the log and metrics files it opens (once: every step appends to both) go in `open`. */
async function train(opts: TrainRunOptions, open: number[]): Promise<DoneEvent> {
  const outDir = resolve(opts.outDir);
  const started = Date.now();
  mkdirSync(outDir, { recursive: true });
  const logFile = join(outDir, OUTPUT.log);
  const metricsFile = join(outDir, OUTPUT.metrics);
  const lastDir = join(outDir, OUTPUT.checkpoints, OUTPUT.last);
  const bestDir = join(outDir, OUTPUT.checkpoints, OUTPUT.best);

  let resumed: { state: CheckpointState; params: ModelParams; m: ModelParams; v: ModelParams } | undefined;
  if (opts.resume) resumed = readCheckpoint(lastDir);
  const config: TrainConfig = resumed?.state.config ?? opts.config ?? fail('runTraining: no config given', 'config');
  const dataFile = resolve(resumed?.state.dataFile ?? opts.dataFile ?? fail('no data file given: pass --data FILE', 'config'));
  if (!opts.resume) {
    if (existsSync(join(lastDir, 'state.json'))) {
      throw new TrainError(`${outDir} already holds a run with a checkpoint; continue it with --resume ${outDir}, or choose another --out folder`, 'config');
    }
    writeFileSync(logFile, '');
    writeFileSync(metricsFile, '');
    writeFileSync(join(outDir, OUTPUT.config), JSON.stringify(config, null, 2) + '\n');
  }

  const logFd = openSync(logFile, 'a');
  open.push(logFd);
  const metricsFd = openSync(metricsFile, 'a');
  open.push(metricsFd);
  const log = (line: string): void => {
    writeSync(logFd, `${new Date().toISOString()} ${line}\n`);
    opts.onLog?.(line);
  };
  const emit = (e: TrainEvent): void => {
    writeSync(metricsFd, JSON.stringify(e) + '\n');
    opts.onEvent?.(e);
  };
  const phase = (p: Parameters<typeof emit>[0] & { type: 'phase' }): void => {
    log(p.message);
    emit(p);
  };

  // ── data ──
  phase({ type: 'phase', phase: 'reading', message: `reading ${dataFile}` });
  if (!existsSync(dataFile)) throw new TrainError(`${dataFile}: no such file`, 'data');
  const dataSha256 = await fileSha256(dataFile);
  const evalFile = config.evalFile === null ? null : resolve(config.evalFile);
  const evalSha256 = evalFile ? await fileSha256(evalFile) : null;
  if (resumed) {
    if (resumed.state.dataSha256 !== dataSha256) {
      throw new TrainError(`${dataFile} changed since the checkpoint was written (its sha256 differs): resuming would train on other data. Start a new run instead.`, 'resume');
    }
    if (resumed.state.evalSha256 !== evalSha256) throw new TrainError(`${evalFile} changed since the checkpoint was written; start a new run instead.`, 'resume');
  }
  const split = await readSplit(dataFile, evalFile, config, (problems) => {
    if (problems.length === 0) return;
    log(`${problems.length} data problem(s); the affected lines are skipped:`);
    for (const p of problems.slice(0, 20)) log('  ' + formatProblem(p));
    if (problems.length > 20) log(`  … and ${problems.length - 20} more (run \`reward-studio validate\` for all)`);
    emit({ type: 'log', level: 'warning', message: `${problems.length} data problem(s) in the input; those lines were skipped (see train.log)` });
  });
  if (split.train.length === 0) throw new TrainError(`${dataFile}: no training pairs (${split.eval.length} went to eval); add data or lower evalFraction`, 'data');
  log(`${split.train.length} training pairs, ${split.eval.length} eval pairs (${split.method})`);

  // ── tokenizer ──
  let tokenizer: RewardTokenizer;
  if (resumed) {
    tokenizer = await loadTokenizer(join(outDir, OUTPUT.tokenizer));
    if (tokenizer.identity.sha256 !== resumed.state.tokenizerSha256) throw new TrainError(`${outDir}/tokenizer.json is not the tokenizer the checkpoint was trained with`, 'resume');
  } else if (config.tokenizer !== null) {
    phase({ type: 'phase', phase: 'tokenizer', message: `loading the tokenizer ${config.tokenizer}` });
    try {
      tokenizer = await loadTokenizer(resolve(config.tokenizer));
    } catch (e) {
      throw new TrainError((e as Error).message, 'tokenizer');
    }
    for (const n of tokenizer.notes) log(`tokenizer: ${n}`);
  } else {
    phase({ type: 'phase', phase: 'tokenizer', message: `training a ${config.tokenizerVocabSize}-token byte-level BPE tokenizer on the training pairs` });
    const texts: string[] = [];
    for (const it of split.train) {
      const f = formatPair(it.pair, { textTemplate: config.template, appendEos: false });
      texts.push(f.prompt, f.chosen.slice(f.prompt.length), f.rejected.slice(f.prompt.length));
    }
    tokenizer = await trainTokenizer(texts, { vocabSize: config.tokenizerVocabSize, name: `reward-studio-bpe-${config.tokenizerVocabSize}` });
  }
  if (!resumed) tokenizer.save(outDir);

  // ── tokens ──
  phase({ type: 'phase', phase: 'tokenizing', message: `tokenizing (max ${config.maxLength} tokens, ${config.truncation})` });
  const tokOpts = { maxLength: config.maxLength, truncation: config.truncation, textTemplate: config.template };
  const locate = (items: PairItem[], file: string) => items.map((it) => ({ pair: it.pair, source: { file, line: it.line } }));
  const trainTok = await tokenizePairs(locate(split.train, dataFile), tokenizer, tokOpts);
  // Held-out pairs too long for maxLength are cut, not dropped (as `score` does): every one is evaluated.
  const evalTok = await tokenizePairs(locate(split.eval, evalFile ?? dataFile), tokenizer, { ...tokOpts, onLongResponse: 'truncate' });
  for (const [name, r] of [
    ['train', trainTok.report],
    ['eval', evalTok.report],
  ] as const) {
    if (r.cut.length + r.dropped.length > 0) {
      log(`${name}: ${describeTruncation(r, 50)}`);
      emit({ type: 'log', level: 'warning', message: `${name}: ${r.cut.length} pair(s) truncated, ${r.dropped.length} dropped at maxLength ${config.maxLength} (listed by file:line in train.log)` });
    }
  }
  const trainPairs = config.useMargin ? trainTok.pairs : trainTok.pairs.map((p) => ({ ...p, margin: 0 }));
  const evalPairs = config.useMargin ? evalTok.pairs : evalTok.pairs.map((p) => ({ ...p, margin: 0 }));
  if (trainPairs.length === 0) throw new TrainError(`every training pair was dropped by truncation at maxLength ${config.maxLength}; raise maxLength (the longest side is ${trainTok.report.longest} tokens)`, 'data');
  const evalLengthBaseline = tokenLengthBaseline(evalPairs);
  let evalBagOfWordsBaseline: number | null = null;
  if (evalPairs.length > 0 && split.train.length <= BOW_BASELINE_MAX_PAIRS) {
    const kept = new Set(evalPairs.map((p) => `${p.source.file}:${p.source.line}`));
    const evalItems = split.eval.filter((it) => kept.has(`${evalFile ?? dataFile}:${it.line}`));
    const bow = trainBagOfWords(split.train.map((it) => ({ chosen: textOf(it.pair.chosen), rejected: textOf(it.pair.rejected), group: promptGroupKey(it.pair) })));
    evalBagOfWordsBaseline = bowAccuracy(
      bow,
      evalItems.map((it) => ({ chosen: textOf(it.pair.chosen), rejected: textOf(it.pair.rejected) })),
    );
    log(`eval bag-of-words baseline (logistic regression on the responses' words, fitted on the training pairs): ${(100 * evalBagOfWordsBaseline).toFixed(1)}%`);
  }

  // ── model ──
  phase({ type: 'phase', phase: 'building', message: 'building the training graphs' });
  const lr = resolveLearningRate(config);
  const optimizer = optimizerConfig({
    lr,
    weightDecay: config.weightDecay,
    maxGradNorm: config.maxGradNorm > 0 ? config.maxGradNorm : null,
    schedule: config.schedule,
    warmupSteps: config.warmupSteps,
    warmupRatio: config.warmupRatio,
  });
  const pretrainedFile = join(outDir, OUTPUT.pretrained);
  const pretrainedBefore = resumed && existsSync(pretrainedFile) ? fromTensors(readSafetensors(pretrainedFile).tensors) : undefined;
  const model = buildModel(config, tokenizer, optimizer, resumed?.params, pretrainedBefore);

  const stepsPerEpoch = Math.ceil(trainPairs.length / config.batchSize);
  const epochSteps = Math.ceil(config.epochs * stepsPerEpoch);
  const totalSteps = config.maxSteps > 0 ? Math.min(config.maxSteps, epochSteps) : epochSteps;
  const schedule: LrSchedule = scheduleFor(optimizer, totalSteps);

  const rt = opts.runtime ?? (await startRuntime(config));
  const ownRuntime = opts.runtime === undefined;
  let engine: RunEngine | undefined;
  let pretrainSummary: { epochs: number; steps: number; firstLoss: number; lastLoss: number } | null = resumed?.state.pretrain ?? null;
  try {
    if (config.pretrainEpochs > 0 && !resumed) {
      phase({ type: 'phase', phase: 'pretraining', message: `pretraining the backbone as a language model on the training texts (${config.pretrainEpochs} epoch${config.pretrainEpochs === 1 ? '' : 's'})` });
      const sequences: ArrayLike<number>[] = [];
      for (const p of trainPairs) sequences.push(p.chosen, p.rejected);
      const r = await pretrainBackbone(rt, {
        config: model.builtin!,
        params: model.params,
        sequences,
        epochs: config.pretrainEpochs,
        batchRows: 2 * config.batchSize,
        optimizer,
        seed: config.seed,
        padId: tokenizer.pad.id,
        signal: opts.signal,
        reportEvery: Math.max(config.logSteps, 10),
        onProgress: (p) => {
          const m = `pretrain step ${p.step}/${p.totalSteps}: next-token loss ${p.loss.toFixed(3)} (${Math.round(p.tokensPerSecond)} tok/s)`;
          log(m);
          emit({ type: 'log', level: 'info', message: m });
        },
      });
      if (r.cancelled) {
        log(`cancelled during pretraining (step ${r.steps} of ${r.totalSteps}); nothing to resume yet — start the run again`);
        const done: DoneEvent = { type: 'done', status: 'cancelled', outDir, step: 0, modelFile: null, eval: null, bestEval: null, evalLengthBaseline, resumeCommand: null, elapsedSeconds: (Date.now() - started) / 1000 };
        emit(done);
        return done;
      }
      pretrainSummary = { epochs: config.pretrainEpochs, steps: r.steps, firstLoss: r.firstLoss, lastLoss: r.lastLoss };
      writeFileAtomic(pretrainedFile, encodeSafetensors(toTensors(model.params, model.shapes), { format: CHECKPOINT_FORMAT, what: 'the backbone after LM pretraining' }));
      log(`pretrained: next-token loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)} over ${r.steps} steps`);
    }
    const resume = resumed ? { step: resumed.state.step, m: resumed.m, v: resumed.v } : undefined;
    if (config.trainable === 'head') {
      phase({ type: 'phase', phase: 'features', message: 'computing the frozen backbone\'s features (cached for later runs)' });
      const cacheDir = opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir;
      const cache =
        cacheDir === null
          ? null
          : FeatureCache.open(
              cacheDir,
              { model: model.identity(), tokenizerSha256: tokenizer.identity.sha256, template: config.template, maxLength: config.maxLength, truncation: config.truncation },
              model.dModel,
              { onWarning: (m) => log(`feature cache: ${m}`) },
            );
      let lastReport = 0;
      engine = await HeadEngine.create(rt, {
        graph: buildHeadStep({ dModel: model.dModel, optimizer, useMargin: config.useMargin, centerCoef: config.centerRewardsCoefficient }),
        featureGraph: model.featureGraph(),
        cache,
        pairs: [...trainPairs, ...evalPairs],
        head: new Map([['head.w', model.params.get('head.w')!]]),
        padId: tokenizer.pad.id,
        resume,
        signal: opts.signal,
        onProgress: (p) => {
          if (Date.now() - lastReport < 2000 && p.computed < p.toCompute) return;
          lastReport = Date.now();
          const m = `features: ${p.cached} of ${p.total} sequences cached, ${p.computed}/${p.toCompute} computed`;
          log(m);
          emit({ type: 'log', level: 'info', message: m });
        },
      });
    } else {
      engine = await FullEngine.create(rt, {
        graph: model.stepGraph(),
        params: model.params,
        shapes: model.shapes,
        evalGraph: model.evalGraph(),
        useMargin: config.useMargin,
        padId: tokenizer.pad.id,
        resume,
      });
    }
    const trainable = engine.trainable;
    const totalParams = [...model.allShapes.values()].reduce((s, d) => s + d.reduce((a, b) => a * b, 1), 0);
    const trainableParams = trainable.reduce((s, n) => s + (engine!.shapes().get(n) ?? []).reduce((a, b) => a * b, 1), 0);

    const start: StartEvent = {
      type: 'start',
      outDir,
      dataFile,
      evalFile,
      config,
      learningRate: lr,
      provider: rt.provider,
      providerNote: rt.providerReport.summary,
      pairs: { train: trainPairs.length, eval: evalPairs.length },
      truncation: { cut: trainTok.report.cut.length + evalTok.report.cut.length, dropped: trainTok.report.dropped.length + evalTok.report.dropped.length },
      parameters: { total: totalParams, trainable: trainableParams },
      stepsPerEpoch,
      totalSteps,
      resumedFromStep: resumed ? resumed.state.step : null,
      evalLengthBaseline,
      evalBagOfWordsBaseline,
      time: new Date().toISOString(),
    };
    emit(start);
    log(
      `${resumed ? `resuming at step ${resumed.state.step}` : 'training'}: ${model.describe}; ${trainableParams.toLocaleString('en-US')} of ${totalParams.toLocaleString('en-US')} parameters train; ` +
        `${totalSteps} steps (${stepsPerEpoch} per epoch, batch ${config.batchSize}), lr ${lr}, provider ${rt.provider}`,
    );
    if (evalLengthBaseline !== null) log(`eval length-only baseline (longer response wins, in tokens): ${(100 * evalLengthBaseline).toFixed(1)}%`);

    // ── loop ──
    const st: CheckpointState = resumed?.state ?? {
      format: CHECKPOINT_FORMAT,
      step: 0,
      config,
      dataFile,
      dataSha256,
      evalFile,
      evalSha256,
      tokenizerSha256: tokenizer.identity.sha256,
      best: null,
      bestEval: null,
      lastEval: null,
      sinceBest: 0,
      evals: [],
      elapsedSeconds: 0,
      trainable: [...trainable],
      pretrain: pretrainSummary,
    };
    const elapsedBefore = st.elapsedSeconds;
    const runStart = Date.now();
    const elapsed = (): number => elapsedBefore + (Date.now() - runStart) / 1000;
    let orderEpoch = -1;
    let order: RewardTokenizedPair[][] = [];
    const window: StepMetrics[] = [];
    let windowStart = Date.now();
    let status: DoneEvent['status'] = 'completed';

    const evaluate = async (): Promise<EvalEvent> => {
      const ev = await runEval(engine!, evalPairs, config, st.step, stepsPerEpoch);
      const improved = st.best === null || ev.loss < st.best.loss - config.earlyStopping.minDelta;
      const isBest = st.best === null || ev.loss < st.best.loss;
      ev.best = isBest;
      if (isBest) {
        st.best = { step: st.step, loss: ev.loss };
        st.bestEval = ev;
      }
      st.sinceBest = improved ? 0 : st.sinceBest + 1;
      st.lastEval = ev;
      st.evals.push(ev);
      emit(ev);
      log(
        `eval @ step ${st.step}: loss ${ev.loss.toFixed(4)}, accuracy ${(100 * ev.accuracy).toFixed(1)}%` +
          (evalLengthBaseline !== null ? ` (length-only ${(100 * evalLengthBaseline).toFixed(1)}%)` : '') +
          `, margin ${ev.rewardMargin.toFixed(3)}${isBest ? ' — best so far' : ''}`,
      );
      if (isBest) saveCheckpoint(bestDir, 'best');
      return ev;
    };
    const saveCheckpoint = (dir: string, reason: CheckpointEvent['reason']): void => {
      st.elapsedSeconds = elapsed();
      writeCheckpoint(dir, st, engine!);
      emit({ type: 'checkpoint', step: st.step, dir, reason });
    };

    phase({ type: 'phase', phase: 'training', message: `training on ${rt.provider}` });
    while (st.step < totalSteps) {
      if (opts.signal?.aborted) {
        status = 'cancelled';
        break;
      }
      const epoch = Math.floor(st.step / stepsPerEpoch);
      if (epoch !== orderEpoch) {
        order = bucketBatches(trainPairs, { batchSize: config.batchSize, seed: (config.seed + epoch * 7919) >>> 0 }).batches;
        orderEpoch = epoch;
      }
      const m = await engine.step(order[st.step % stepsPerEpoch], scheduledLr(schedule, st.step));
      st.step = engine.steps;
      if (!Number.isFinite(m.loss)) {
        throw new TrainError(`the loss became ${m.loss} at step ${st.step}: lower the learning rate (now ${lr}) or check the data`, 'runtime');
      }
      window.push(m);
      if (window.length >= config.logSteps || st.step === totalSteps) {
        const e = stepEvent(window, st.step, totalSteps, stepsPerEpoch, windowStart, elapsed());
        emit(e);
        log(
          `step ${e.step}/${totalSteps} epoch ${e.epoch.toFixed(2)}: loss ${e.loss.toFixed(4)} acc ${(100 * e.accuracy).toFixed(1)}% margin ${e.rewardMargin.toFixed(3)} ` +
            `grad ${e.gradNorm.toFixed(3)} lr ${e.learningRate.toExponential(2)} ${Math.round(e.tokensPerSecond)} tok/s`,
        );
        window.length = 0;
        windowStart = Date.now();
      }
      const endOfEpoch = st.step % stepsPerEpoch === 0 || st.step === totalSteps;
      const evalNow = evalPairs.length > 0 && (endOfEpoch || (config.evalSteps > 0 && st.step % config.evalSteps === 0));
      if (evalNow) {
        await evaluate();
        saveCheckpoint(lastDir, 'eval');
        if (config.earlyStopping.patience > 0 && st.sinceBest >= config.earlyStopping.patience) {
          status = 'early-stopped';
          log(`early stop: eval loss has not improved by ${config.earlyStopping.minDelta} for ${st.sinceBest} evaluations`);
          break;
        }
      } else if (config.checkpointSteps > 0 && st.step % config.checkpointSteps === 0) {
        saveCheckpoint(lastDir, 'interval');
      }
    }

    const command = opts.command ?? 'reward-studio';
    if (status === 'cancelled') {
      saveCheckpoint(lastDir, 'cancel');
      const resumeCommand = `${command} train --resume ${quote(outDir)}`;
      log(`cancelled at step ${st.step}; continue with: ${resumeCommand}`);
      const done: DoneEvent = { type: 'done', status, outDir, step: st.step, modelFile: null, eval: st.lastEval, bestEval: st.bestEval, evalLengthBaseline, evalBagOfWordsBaseline, resumeCommand, elapsedSeconds: elapsed() };
      emit(done);
      return done;
    }
    saveCheckpoint(lastDir, 'end');

    // ── export ──
    phase({ type: 'phase', phase: 'exporting', message: 'exporting reward-model.onnx' });
    const useBest = config.exportModel === 'best' && st.best !== null && existsSync(join(bestDir, 'params.safetensors'));
    const finalParams = useBest ? fromTensors(readSafetensors(join(bestDir, 'params.safetensors')).tensors) : engine.trainableParams();
    const exportedStep = useBest ? st.best!.step : st.step;
    const exported = model.export(finalParams, tokenizer);
    const modelFile = join(outDir, OUTPUT.model);
    writeFileAtomic(modelFile, encodeModel(exported));
    const rewardStats = useBest && st.bestEval ? { mean: st.bestEval.rewardMean, std: st.bestEval.rewardStd, on: 'eval' } : st.lastEval && !useBest ? { mean: st.lastEval.rewardMean, std: st.lastEval.rewardStd, on: 'eval' } : null;
    const card = {
      format: MODEL_CARD_FORMAT,
      created: new Date().toISOString(),
      model: { file: OUTPUT.model, backbone: model.describe, backboneConfig: model.backboneConfig, parameters: totalParams, head: 'bias-free linear on the last non-padding token', padding: 'right' },
      tokenizer: { file: OUTPUT.tokenizer, name: tokenizer.identity.name, sha256: tokenizer.identity.sha256, vocabSize: tokenizer.identity.vocabSize, padTokenId: tokenizer.pad.id },
      template: { text: config.template, chat: tokenizer.chatTemplate ?? null },
      maxLength: config.maxLength,
      truncation: config.truncation,
      training: {
        config,
        learningRate: lr,
        dataFile,
        dataSha256,
        evalFile,
        split: { method: split.method, evalFraction: evalFile ? null : config.evalFraction, seed: config.seed },
        pretrain: pretrainSummary,
        pairs: { train: trainPairs.length, eval: evalPairs.length },
        steps: st.step,
        totalSteps,
        status,
        provider: rt.provider,
        elapsedSeconds: elapsed(),
        exported: { which: useBest ? 'best' : 'last', step: exportedStep },
      },
      eval: { lengthBaseline: evalLengthBaseline, bagOfWordsBaseline: evalBagOfWordsBaseline, last: st.lastEval, best: st.bestEval, history: st.evals },
      rewards: rewardStats,
      metrics: readSteps(metricsFile),
    };
    writeFileAtomic(join(outDir, OUTPUT.card), JSON.stringify(card, null, 2) + '\n');
    log(`wrote ${modelFile} (${useBest ? `best by eval loss, step ${exportedStep}` : `step ${exportedStep}`})`);
    const done: DoneEvent = { type: 'done', status, outDir, step: st.step, modelFile, eval: st.lastEval, bestEval: st.bestEval, evalLengthBaseline, evalBagOfWordsBaseline, resumeCommand: null, elapsedSeconds: elapsed() };
    emit(done);
    return done;
  } finally {
    await engine?.release().catch(() => undefined);
    if (ownRuntime) await rt.dispose().catch(() => undefined);
    void started;
  }
}

function fail(message: string, code: string): never {
  throw new TrainError(message, code);
}

function quote(p: string): string {
  return /^[\w./:@-]+$/.test(p) ? p : `'${p.replace(/'/g, "'\\''")}'`;
}

async function startRuntime(config: TrainConfig): Promise<Runtime> {
  try {
    return await Runtime.start({ provider: config.provider, isolation: 'none', ortLogLevel: 'fatal' });
  } catch (e) {
    throw new TrainError(`could not start ONNX Runtime on provider '${config.provider}': ${(e as Error).message}`, 'runtime');
  }
}

async function readSplit(dataFile: string, evalFile: string | null, config: TrainConfig, onProblems: (p: DataProblem[]) => void): Promise<Split> {
  const data = await readAllPairs(dataFile);
  const problems = [...data.problems.filter((p) => p.severity === 'error')];
  if (evalFile) {
    const ev = await readAllPairs(evalFile);
    problems.push(...ev.problems.filter((p) => p.severity === 'error'));
    onProblems(problems);
    return { train: data.pairs, eval: ev.pairs, method: `eval file ${basename(evalFile)}` };
  }
  onProblems(problems);
  const train: PairItem[] = [];
  const evalItems: PairItem[] = [];
  for (const it of data.pairs) (splitSideOf(it.pair, { evalFraction: config.evalFraction, seed: String(config.seed) }) === 'eval' ? evalItems : train).push(it);
  return { train, eval: evalItems, method: `prompt-grouped split, evalFraction ${config.evalFraction}, seed ${config.seed}` };
}

// ── the model behind a run ──

interface RunModel {
  describe: string;
  /** The built-in backbone's config (undefined for imports). */
  builtin?: BuiltinBackboneConfig;
  backboneConfig: unknown;
  dModel: number;
  /** Starting values of every parameter (trainable ones replaced by the checkpoint's when resuming). */
  params: ModelParams;
  shapes: Map<string, number[]>;
  allShapes: Map<string, number[]>;
  /** The whole training step (not built for head-only runs: the head step replaces it). */
  stepGraph(): TrainStepGraph;
  /** input_ids, attention_mask, every trainable parameter → rewards. */
  evalGraph(): OnnxModel;
  /** input_ids, attention_mask → the frozen backbone's last-token features (head-only runs). */
  featureGraph(): OnnxModel;
  /** Names the frozen backbone for the feature cache. */
  identity(): string;
  export(params: ModelParams, tokenizer: RewardTokenizer): OnnxModel;
}

function buildModel(
  config: TrainConfig,
  tokenizer: RewardTokenizer,
  optimizer: ReturnType<typeof optimizerConfig>,
  resumedParams?: ModelParams,
  pretrained?: ModelParams,
): RunModel {
  if (config.backbone !== 'builtin') return importedModel(config, tokenizer, optimizer, resumedParams);
  let bc: BuiltinBackboneConfig;
  try {
    bc = builtinConfig({ vocab: tokenizer.vocabSize, dModel: config.builtin.dModel, nHeads: config.builtin.nHeads, nLayers: config.builtin.nLayers, maxLen: config.maxLength });
  } catch (e) {
    throw new TrainError((e as Error).message, 'config');
  }
  const init = initBuiltinParams(bc, config.seed, 'float32');
  if (pretrained) for (const [k, v] of pretrained) init.set(k, v);
  if (resumedParams) for (const [k, v] of resumedParams) init.set(k, v);
  const trainable = config.trainable;
  let step: TrainStepGraph | undefined;
  const stepGraph = (): TrainStepGraph =>
    (step ??= buildTrainStep({ config: bc, params: init, trainable, optimizer, useMargin: config.useMargin, centerCoef: config.centerRewardsCoefficient }));
  const shapes = builtinParamShapes(bc);
  return {
    describe: `built-in GPT (d ${bc.dModel}, ${bc.nLayers} layers, ${bc.nHeads} heads, vocab ${bc.vocab}, max ${bc.maxLen} tokens)`,
    backboneConfig: { kind: 'builtin', ...bc },
    builtin: bc,
    dModel: bc.dModel,
    params: init,
    shapes,
    allShapes: shapes,
    stepGraph,
    evalGraph: () => {
      const f = buildRewardForward({ config: bc, params: init, trainable: stepGraph().trainable, name: 'reward_eval' });
      f.g.output(f.rewards, IO.rewards);
      return f.g.build();
    },
    featureGraph: () => buildBuiltinFeatureGraph(bc, init),
    identity: () => builtinModelIdentity(bc, init),
    export: (params, tok) => {
      const full = new Map(init);
      for (const [k, v] of params) full.set(k, v);
      return exportRewardModel({ config: bc, params: full, tokenizer: { name: tok.identity.name, sha256: tok.identity.sha256, padTokenId: tok.pad.id } });
    },
  };
}

/** A user's exported backbone (src/core/model/import) as the run's model. */
function importedModel(config: TrainConfig, tokenizer: RewardTokenizer, optimizer: ReturnType<typeof optimizerConfig>, resumedParams?: ModelParams): RunModel {
  const file = resolve(config.backbone);
  if (!existsSync(file)) throw new TrainError(`backbone ${file}: no such file; give an exported .onnx (or 'builtin')`, 'backbone');
  let source: OnnxModel;
  let analysis: BackboneAnalysis;
  try {
    source = readModel(file);
    analysis = analyzeBackbone(source, config.hiddenState ? { hiddenState: config.hiddenState } : {});
  } catch (e) {
    throw new TrainError(`backbone ${file}: ${(e as Error).message}`, 'backbone');
  }
  if (analysis.vocabSize !== undefined && tokenizer.vocabSize > analysis.vocabSize) {
    throw new TrainError(
      `the tokenizer has ${tokenizer.vocabSize} tokens but ${basename(file)}'s embedding has ${analysis.vocabSize} rows: ids past ${analysis.vocabSize - 1} cannot be looked up. Use the tokenizer the backbone was exported with.`,
      'backbone',
    );
  }
  const limit = analysis.fixedSeqLen ?? analysis.maxSeqLen;
  if (limit !== undefined && config.maxLength > limit) {
    throw new TrainError(`maxLength ${config.maxLength} is longer than ${basename(file)} takes (${limit} tokens); set maxLength to ${limit} or less`, 'config');
  }
  const choice: TrainableChoice = config.trainable === 'head' ? 'head' : config.trainable === 'all' ? 'all' : { top: topBlocks(config.trainable) };
  let step: ReturnType<typeof buildImportedTrainStep> | undefined;
  const build = (): ReturnType<typeof buildImportedTrainStep> => {
    try {
      step ??= buildImportedTrainStep(source, analysis, { trainable: choice, optimizer, useMargin: config.useMargin, centerCoef: config.centerRewardsCoefficient });
    } catch (e) {
      if (e instanceof BackboneImportError) throw new TrainError(`backbone ${file}: ${e.message}`, 'backbone');
      throw e;
    }
    return step;
  };
  const H = analysis.hiddenSize;
  // Head-only runs never build the training step (it would be the whole frozen graph for nothing).
  const params: ModelParams = config.trainable === 'head' ? new Map([['head.w', new Float32Array(H)]]) : new Map(build().params);
  if (resumedParams) for (const [k, v] of resumedParams) params.set(k, v);
  const shapes = config.trainable === 'head' ? new Map([['head.w', [H]]]) : build().shapes;
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  const allShapes = new Map<string, number[]>(analysis.params.map((p) => [p.name, [...p.shape]]));
  allShapes.set('head.w', [H]);
  return {
    describe: `imported ${basename(file)} (hidden ${H}${analysis.vocabSize ? `, vocab ${analysis.vocabSize}` : ''}${limit ? `, max ${limit} tokens` : ''})`,
    backboneConfig: { kind: 'imported', file, sha256: sha, hiddenState: analysis.hidden.name, hiddenSize: H, vocabSize: analysis.vocabSize ?? null, maxSeqLen: limit ?? null },
    dModel: H,
    params,
    shapes,
    allShapes,
    stepGraph: () => build().graph,
    evalGraph: () => buildImportedScoringGraph(source, analysis, { params, inputs: build().graph.trainable }),
    featureGraph: () => {
      const w = buildImportedBackbone(source, analysis, { trainable: 'head', name: 'features' });
      return buildFeatureGraphFrom(w.builder, w.hidden, w.attentionMask);
    },
    identity: () => `onnx:${sha}:${analysis.hidden.name}`,
    export: (trained, tok) => {
      const full = new Map(params);
      for (const [k, v] of trained) full.set(k, v);
      return exportImportedRewardModel(source, analysis, full, { tokenizer: { name: tok.identity.name, sha256: tok.identity.sha256, padTokenId: tok.pad.id } });
    },
  };
}

// ── evaluation ──

async function runEval(engine: RunEngine, pairs: readonly RewardTokenizedPair[], config: TrainConfig, step: number, stepsPerEpoch: number): Promise<EvalEvent> {
  const batchSize = Math.max(config.batchSize, 16);
  const { batches } = bucketBatches(pairs, { batchSize, seed: 0 });
  let loss = 0;
  let correct = 0;
  let margin = 0;
  const rewards: number[] = [];
  for (const b of batches) {
    const r = await engine.score(b);
    for (let i = 0; i < b.length; i++) {
      const d = r.chosen[i] - r.rejected[i];
      loss += softplus(-(d - (config.useMargin ? r.margin[i] : 0)));
      correct += d > 0 ? 1 : d === 0 ? 0.5 : 0;
      margin += d;
      rewards.push(r.chosen[i], r.rejected[i]);
    }
  }
  const n = pairs.length;
  const mean = rewards.reduce((s, x) => s + x, 0) / rewards.length;
  const std = Math.sqrt(rewards.reduce((s, x) => s + (x - mean) ** 2, 0) / rewards.length);
  return { type: 'eval', step, epoch: step / stepsPerEpoch, pairs: n, loss: loss / n, accuracy: correct / n, rewardMargin: margin / n, rewardMean: mean, rewardStd: std, best: false };
}

function stepEvent(window: StepMetrics[], step: number, totalSteps: number, stepsPerEpoch: number, windowStart: number, elapsedSeconds: number): StepEvent {
  const mean = (f: (m: StepMetrics) => number): number => window.reduce((s, m) => s + f(m), 0) / window.length;
  let min = Infinity;
  let max = -Infinity;
  let sumC = 0;
  let sumR = 0;
  let n = 0;
  for (const m of window) {
    for (const x of m.rewardsChosen) {
      min = Math.min(min, x);
      max = Math.max(max, x);
      sumC += x;
    }
    for (const x of m.rewardsRejected) {
      min = Math.min(min, x);
      max = Math.max(max, x);
      sumR += x;
    }
    n += m.rewardsChosen.length;
  }
  const seconds = Math.max(1e-6, (Date.now() - windowStart) / 1000);
  const tokens = window.reduce((s, m) => s + m.tokens, 0);
  const pairs = n;
  const stepsPerSecond = window.length / seconds;
  return {
    type: 'step',
    step,
    totalSteps,
    epoch: step / stepsPerEpoch,
    loss: mean((m) => m.loss),
    accuracy: mean((m) => m.accuracy),
    rewardMargin: mean((m) => m.rewardMargin),
    rewardChosen: sumC / n,
    rewardRejected: sumR / n,
    rewardMean: (sumC + sumR) / (2 * n),
    rewardMin: min,
    rewardMax: max,
    gradNorm: mean((m) => m.gradNorm),
    learningRate: window[window.length - 1].lr,
    tokensPerSecond: tokens / seconds,
    pairsPerSecond: pairs / seconds,
    elapsedSeconds,
    etaSeconds: (totalSteps - step) / stepsPerSecond,
  };
}

function readSteps(metricsFile: string): StepEvent[] {
  const out: StepEvent[] = [];
  for (const line of readFileSync(metricsFile, 'utf8').split('\n')) {
    if (!line.startsWith('{"type":"step"')) continue;
    out.push(JSON.parse(line) as StepEvent);
  }
  return out;
}

// ── checkpoints ──

function toTensors(params: ModelParams, shapes: ReadonlyMap<string, readonly number[]>): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, data] of params) out.set(name, { dims: shapes.get(name) ?? [data.length], data });
  return out;
}

function fromTensors(t: Map<string, NamedTensor>): ModelParams {
  const out: ModelParams = new Map();
  for (const [name, v] of t) out.set(name, v.data);
  return out;
}

/** Writes params, optimizer state and the run state into `dir` atomically (a new folder renamed over the old). */
function writeCheckpoint(dir: string, st: CheckpointState, stepper: RunEngine): void {
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const shapes = stepper.shapes();
  const { m, v } = stepper.moments();
  writeFileAtomic(join(tmp, 'params.safetensors'), encodeSafetensors(toTensors(stepper.trainableParams(), shapes), { format: CHECKPOINT_FORMAT, step: String(st.step) }));
  const opt = new Map<string, NamedTensor>();
  for (const [k, d] of toTensors(m, shapes)) opt.set(`m.${k}`, d);
  for (const [k, d] of toTensors(v, shapes)) opt.set(`v.${k}`, d);
  writeFileAtomic(join(tmp, 'optimizer.safetensors'), encodeSafetensors(opt, { format: CHECKPOINT_FORMAT, step: String(st.step) }));
  writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(st, null, 2) + '\n');
  const old = `${dir}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

function readCheckpoint(dir: string): { state: CheckpointState; params: ModelParams; m: ModelParams; v: ModelParams } {
  const stateFile = join(dir, 'state.json');
  if (!existsSync(stateFile)) {
    const alt = `${dir}.old`;
    if (existsSync(join(alt, 'state.json'))) return readCheckpoint(alt); // a crash between the two renames
    throw new TrainError(`${dir}: no checkpoint to resume (state.json is missing); a run writes one when it is cancelled, at each evaluation, and at its end`, 'resume');
  }
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as CheckpointState;
  } catch (e) {
    throw new TrainError(`${stateFile}: not readable JSON (${(e as Error).message})`, 'resume');
  }
  if (state.format !== CHECKPOINT_FORMAT) throw new TrainError(`${stateFile}: format '${state.format}' is not ${CHECKPOINT_FORMAT}`, 'resume');
  const params = fromTensors(readSafetensors(join(dir, 'params.safetensors')).tensors);
  const opt = readSafetensors(join(dir, 'optimizer.safetensors')).tensors;
  const m: ModelParams = new Map();
  const v: ModelParams = new Map();
  for (const [k, t] of opt) (k.startsWith('m.') ? m : v).set(k.slice(2), t.data);
  return { state, params, m, v };
}
