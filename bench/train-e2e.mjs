#!/usr/bin/env node
// End-to-end `train` on the HH-RLHF data (helpful-base + harmless-base test splits from ../shared/data),
// quoted beside a large-MatMul peak measured in the same run on the same provider, before and after.
//
//   node bench/train-e2e.mjs [--provider cpu|auto|cuda|webgpu] [--steps 60] [--d 256] [--layers 4]
//                            [--heads 4] [--max-length 256] [--batch 8] [--vocab 8000]
//
// Prints: the run's phases (reading, tokenizer training, tokenizing, building, training) in seconds;
// training tokens/s (real tokens, from the run's own step events, the first 5 steps dropped as warm-up);
// useful GFLOP/s from non-embedding parameters (6·N·real tokens: padding is work but not counted); the
// ratio to the MatMul peak. Attention's seq² term is not counted either; but the reward graphs run the
// last block at one position per row, so they execute fewer parameter FLOPs than 6·N·tokens (79% at 4
// layers: bench/train-step.mjs prints both counts). The whole trainer (src/core) is bundled with esbuild
// into .bench/ on every run.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleSources, matmulPeak, root } from './lib.mjs';
const { values: args } = parseArgs({
  options: {
    provider: { type: 'string', default: 'cpu' },
    steps: { type: 'string', default: '60' },
    d: { type: 'string', default: '256' },
    layers: { type: 'string', default: '4' },
    heads: { type: 'string', default: '4' },
    'max-length': { type: 'string', default: '256' },
    batch: { type: 'string', default: '8' },
    vocab: { type: 'string', default: '8000' },
  },
});
const num = (k) => Number(args[k]);
const bench = join(root, '.bench');
mkdirSync(bench, { recursive: true });

const E = await bundleSources(
  'train-e2e',
  `export { runTraining } from '../../src/core/train/trainer';
export { resolveTrainConfig } from '../../src/core/train/config';
export { GraphBuilder, encodeModel } from '../../src/core/onnx';
export { Runtime } from '../../src/core/runtime';
export { mulberry32 } from '../../src/core/random';
`,
);

const hh = join(root, '..', 'shared', 'data', 'hh-rlhf');
const data = join(bench, 'hh-helpful-harmless.jsonl');
writeFileSync(data, readFileSync(join(hh, 'helpful-base-test.clean.pcr.jsonl'), 'utf8') + readFileSync(join(hh, 'harmless-base-test.clean.pcr.jsonl'), 'utf8'));

const rt = await E.Runtime.start({ provider: args.provider, isolation: 'none', ortLogLevel: 'fatal' });
const matmul = () => matmulPeak(E, rt);
const peakBefore = await matmul();
const out = join(bench, 'train-e2e-run');
rmSync(out, { recursive: true, force: true });
const config = E.resolveTrainConfig({
  source: 'bench',
  values: {
    builtin: { dModel: num('d'), nHeads: num('heads'), nLayers: num('layers') },
    tokenizerVocabSize: num('vocab'),
    maxLength: num('max-length'),
    batchSize: num('batch'),
    maxSteps: num('steps'),
    evalFraction: 0.1,
    provider: args.provider,
  },
});
const phases = [];
const steps = [];
let start;
const t0 = performance.now();
let last = t0;
await E.runTraining({
  dataFile: data,
  outDir: out,
  config,
  runtime: rt,
  onEvent: (e) => {
    const now = performance.now();
    if (e.type === 'phase') {
      if (phases.length) phases[phases.length - 1].seconds = (now - last) / 1000;
      phases.push({ phase: e.phase, seconds: 0 });
      last = now;
    }
    if (e.type === 'start') start = e;
    if (e.type === 'step') steps.push({ ...e, at: now });
  },
});
if (phases.length) phases[phases.length - 1].seconds = (performance.now() - last) / 1000;
const wall = (performance.now() - t0) / 1000;
const peakAfter = await matmul();
await rt.dispose();

// Non-embedding parameters: 12·d² per block (+ norms and biases, negligible), and the head.
const d = num('d');
const nonEmbed = num('layers') * (12 * d * d + 13 * d) + 2 * d + d;
// Real tokens per step = the step event's tokens/s × that step's duration (logSteps is 1: one step per event).
const seconds = (steps.at(-1).at - steps[4].at) / 1000;
let real = 0;
for (let i = 5; i < steps.length; i++) real += steps[i].tokensPerSecond * ((steps[i].at - steps[i - 1].at) / 1000);
const card = JSON.parse(readFileSync(join(out, 'reward-model.json'), 'utf8'));
const tokS = real / seconds;
const gflops = (6 * nonEmbed * tokS) / 1e9;
const peak = (peakBefore + peakAfter) / 2;
const pct = (x) => `${(100 * x).toFixed(0)}%`;

console.log(`reward-studio train on HH-RLHF helpful-base + harmless-base (${start.pairs.train} train / ${start.pairs.eval} eval pairs), provider ${rt.provider}`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()[0].toFixed(2)}`);
console.log(`model: d ${d}, ${num('layers')} layers, vocab ${num('vocab')}, max ${num('max-length')} tokens, batch ${num('batch')}; ${steps.length} steps timed from step 6`);
for (const p of phases) console.log(`  ${p.phase.padEnd(11)} ${p.seconds.toFixed(1).padStart(7)} s`);
console.log(`  total       ${wall.toFixed(1).padStart(7)} s`);
console.log(`MatMul peak (2048³ fp32)     ${peakBefore.toFixed(1)} GFLOP/s before, ${peakAfter.toFixed(1)} after`);
console.log(`training (real tokens)       ${tokS.toFixed(0)} tokens/s   ${gflops.toFixed(1)} GFLOP/s (6·N_non-embedding·tokens)   ratio to peak ${pct(gflops / peak)}`);
console.log(`eval accuracy after ${card.training.steps} steps: ${(100 * (card.eval.last?.accuracy ?? NaN)).toFixed(1)}% (length-only ${(100 * card.eval.lengthBaseline).toFixed(1)}%) — not a quality figure at this few steps`);
