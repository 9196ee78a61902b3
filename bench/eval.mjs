#!/usr/bin/env node
// `evaluate` on 10k synthetic pairs (`reward-studio synth`) with a small built-in model trained here:
// wall time, and the share spent scoring (the eval pairs and every probe, through ONNX Runtime) vs
// computing the metrics (bootstrap intervals, ECE, temperature, verdicts).
//
//   node bench/eval.mjs [--pairs 10000] [--provider cpu] [--probe-limit 500] [--bootstrap 1000] [--threads 0]
//                       [--d 32] [--layers 2] [--max-length 128] [--train-steps 100]
//
// The model is trained on a 2,000-pair slice (few steps: this times evaluation, not training) and
// evaluated on all --pairs with --data (every pair), so the eval set is exactly --pairs. src/core is
// bundled with esbuild into .bench/ on every run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleSources, root } from './lib.mjs';
const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10000' },
    provider: { type: 'string', default: 'cpu' },
    'probe-limit': { type: 'string', default: '500' },
    bootstrap: { type: 'string', default: '1000' },
    threads: { type: 'string', default: '0' },
    d: { type: 'string', default: '32' },
    layers: { type: 'string', default: '2' },
    'max-length': { type: 'string', default: '128' },
    'train-steps': { type: 'string', default: '100' },
  },
});
const num = (k) => Number(args[k]);
const bench = join(root, '.bench');
mkdirSync(bench, { recursive: true });

const E = await bundleSources(
  'eval',
  `export { runTraining } from '../../src/core/train/trainer';
export { resolveTrainConfig } from '../../src/core/train/config';
export { Runtime } from '../../src/core/runtime';
export { RewardModel } from '../../src/core/score/rewardModel';
export { evaluate } from '../../src/core/eval';
export { generateSyntheticPreferences } from '../../src/core/data/synthetic';
export { serializeTrlLine } from '../../src/core/data/formats/trlWriter';
export { readAllPairs } from '../../src/core/data/pipeline';
`,
);

// The same generator as `reward-studio synth --n N --seed 1`.
const n = num('pairs');
const data = join(bench, `eval-synth-${n}.jsonl`);
const trainData = join(bench, 'eval-synth-train.jsonl');
const set = E.generateSyntheticPreferences({ n, seed: 1 });
writeFileSync(data, set.pairs.map((p) => E.serializeTrlLine(p) + '\n').join(''));
writeFileSync(trainData, E.generateSyntheticPreferences({ n: 2000, seed: 2 }).pairs.map((p) => E.serializeTrlLine(p) + '\n').join(''));

const threads = num('threads');
const rt = await E.Runtime.start({ provider: args.provider, isolation: 'none', ortLogLevel: 'fatal', ...(threads ? { threads } : {}) });
const out = join(bench, 'eval-run');
rmSync(out, { recursive: true, force: true });
const config = E.resolveTrainConfig({
  source: 'bench',
  values: {
    builtin: { dModel: num('d'), nHeads: 4, nLayers: num('layers') },
    tokenizerVocabSize: 1000,
    maxLength: num('max-length'),
    batchSize: 16,
    maxSteps: num('train-steps'),
    evalFraction: 0.1,
    provider: args.provider,
    logSteps: 1000,
  },
});
const tTrain = performance.now();
await E.runTraining({ dataFile: trainData, outDir: out, config, runtime: rt });
const trainSeconds = (performance.now() - tTrain) / 1000;

const t0 = performance.now();
const model = await E.RewardModel.load(out, rt);
const { pairs } = await E.readAllPairs(data);
const items = pairs.map((p) => ({ pair: p.pair, source: { file: data, line: p.line } }));
const tRead = performance.now();
const report = await E.evaluate(model, { pairs: items, dataset: { file: data, selection: 'every pair' } }, { probeLimit: num('probe-limit'), resamples: num('bootstrap') });
const wall = (performance.now() - t0) / 1000;
await model.release();
await rt.dispose();

const { scoringSeconds, metricsSeconds, scoredPairs } = report.timings;
const pct = (x) => `${(100 * x).toFixed(0)}%`;
console.log(`reward-studio eval on ${n.toLocaleString('en-US')} synthetic pairs (+ ${(scoredPairs - n).toLocaleString('en-US')} generated probe pairs, probe limit ${num('probe-limit')}), provider ${rt.provider}`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()[0].toFixed(2)}`);
console.log(`model: built-in d ${num('d')}, ${num('layers')} layers, max ${num('max-length')} tokens (trained ${num('train-steps')} steps in ${trainSeconds.toFixed(1)} s, not counted)`);
console.log(`  load model + read data ${((tRead - t0) / 1000).toFixed(1).padStart(7)} s`);
console.log(`  scoring               ${scoringSeconds.toFixed(1).padStart(7)} s  ${(scoredPairs / scoringSeconds).toFixed(0)} pairs/s`);
console.log(`  metrics (B=${num('bootstrap')})      ${metricsSeconds.toFixed(1).padStart(7)} s`);
console.log(`  total wall            ${wall.toFixed(1).padStart(7)} s`);
console.log(`share of evaluate(): scoring ${pct(scoringSeconds / (scoringSeconds + metricsSeconds))}, metrics ${pct(metricsSeconds / (scoringSeconds + metricsSeconds))}`);
console.log(`accuracy ${(100 * report.accuracy.value).toFixed(1)}% [${(100 * report.accuracy.ci[0]).toFixed(1)}, ${(100 * report.accuracy.ci[1]).toFixed(1)}] on ${report.accuracy.n} pairs; length verdict: ${report.length.verdict.level}`);
