#!/usr/bin/env node
// Head-only retraining from cached backbone features (trainable 'head'): what the cache buys.
//
//   node bench/head-retrain.mjs [--pairs 10000] [--min-len 100] [--max-len 300] [--d 256] [--layers 4]
//                               [--heads 4] [--vocab 8000] [--batch 16] [--head-batch 32] [--epochs 3]
//                               [--threads N] [--provider cpu|cuda|webgpu|auto] [--keep-cache]
//
// Synthetic token data: each pair is a shared prompt plus two responses, every side (prompt + response)
// uniform in [--min-len, --max-len] tokens. The built-in backbone (random init, frozen) is the feature
// extractor. Prints:
//   1. cold: every side through the feature graph (length-sorted batches of --batch sequences), stored
//      in the on-disk cache (.bench/head-retrain-cache, removed first);
//   2. warm: a new FeatureCache opened on that folder (as a new run would) and every side looked up —
//      key hashing, file read and checksums included, no backbone run;
//   3. head training: --epochs epochs of HeadStepper (batch --head-batch pairs, AdamW, clipping) on the
//      cached features, with labels planted as sign(w*·(f_a − f_b)), and the accuracy reached.
// The engine is bundled from src/ with esbuild into .bench/head-retrain/ on every run (bench/lib.mjs),
// so it is never stale; no tsc output is needed.
import { rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDir, bundleSources } from './lib.mjs';
const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10000' },
    'min-len': { type: 'string', default: '100' },
    'max-len': { type: 'string', default: '300' },
    d: { type: 'string', default: '256' },
    layers: { type: 'string', default: '4' },
    heads: { type: 'string', default: '4' },
    vocab: { type: 'string', default: '8000' },
    batch: { type: 'string', default: '16' },
    'head-batch': { type: 'string', default: '32' },
    epochs: { type: 'string', default: '3' },
    threads: { type: 'string' },
    provider: { type: 'string', default: 'cpu' },
    'keep-cache': { type: 'boolean', default: false },
  },
});
const num = (k) => Number(args[k]);

const E = await bundleSources(
  'head-retrain',
  `export { initBuiltinParams, HEAD_WEIGHT } from '../../src/core/model';
export { optimizerConfig } from '../../src/core/optim';
export { encodeModel } from '../../src/core/onnx';
export { Runtime } from '../../src/core/runtime';
export { mulberry32 } from '../../src/core/random';
export * from '../../src/core/train/features';
`,
);

const pairs = num('pairs');
const [lo, hi] = [num('min-len'), num('max-len')];
const config = { vocab: num('vocab'), dModel: num('d'), nHeads: num('heads'), nLayers: num('layers'), maxLen: Math.max(hi, 16), eps: 1e-5 };
const threads = args.threads ? num('threads') : cpus().length;
const rt = await E.Runtime.start({ provider: args.provider, isolation: 'none', threads });
const provider = rt.provider;

// Token data: per pair a prompt shared by both sides, then two responses.
const rnd = E.mulberry32(1);
const token = () => 1 + Math.floor(rnd() * (config.vocab - 1));
const sides = [];
let tokens = 0;
for (let i = 0; i < pairs; i++) {
  const a = lo + Math.floor(rnd() * (hi - lo + 1));
  const b = lo + Math.floor(rnd() * (hi - lo + 1));
  const prompt = Int32Array.from({ length: Math.floor(Math.min(a, b) / 2) }, token);
  const side = (n) => {
    const s = new Int32Array(n);
    s.set(prompt);
    for (let t = prompt.length; t < n; t++) s[t] = token();
    return s;
  };
  sides.push(side(a), side(b));
  tokens += a + b;
}

const params = E.initBuiltinParams(config, 1, 'float32');
const t0 = performance.now();
const identity = {
  model: E.builtinModelIdentity(config, params),
  tokenizerSha256: 'bench',
  template: '{prompt}\n\n{response}',
  maxLength: hi,
  truncation: 'keep-end-of-prompt',
};
const identityMs = performance.now() - t0;
const cacheRoot = join(benchDir, 'head-retrain-cache');
rmSync(cacheRoot, { recursive: true, force: true });

const session = await rt.createSession(E.encodeModel(E.buildBuiltinFeatureGraph(config, params)), { label: 'features' });
let last = 0;
const onProgress = (p) => {
  const now = performance.now();
  if (now - last > 5000 && p.computed > 0) {
    last = now;
    process.stderr.write(`  cold: ${p.computed}/${p.toCompute} sides, ${((now - t1) / 1000).toFixed(0)} s\n`);
  }
};
// 1. Cold.
const t1 = performance.now();
const cold = await E.computeFeatures(session, sides, E.FeatureCache.open(cacheRoot, identity, config.dModel), { batchSize: num('batch'), onProgress });
const coldSec = (performance.now() - t1) / 1000;
await session.release();

// 2. Warm: what a new run does — open (read + verify the file), key every side, look up.
const t2 = performance.now();
const warmCache = E.FeatureCache.open(cacheRoot, identity, config.dModel);
const openMs = performance.now() - t2;
let runs = 0;
const noBackbone = { run: () => (runs++, Promise.reject(new Error('the warm path ran the backbone'))) };
const warm = await E.computeFeatures(noBackbone, sides, warmCache, {});
const warmSec = (performance.now() - t2) / 1000;
if (runs !== 0 || warm.some((f, i) => f.some((x, d) => x !== cold[i][d]))) throw new Error('warm features differ from cold ones');
const cacheBytes = statSync(warmCache.file).size;

// 3. Head-only training on the cached features, labels planted as sign(w*·(f_a − f_b)).
const D = config.dModel;
const wStar = Float64Array.from({ length: D }, () => rnd() * 2 - 1);
const score = (f) => f.reduce((s, x, d) => s + x * wStar[d], 0);
const train = [];
for (let i = 0; i < pairs; i++) {
  const [a, b] = [warm[2 * i], warm[2 * i + 1]];
  train.push(score(a) >= score(b) ? { chosen: a, rejected: b } : { chosen: b, rejected: a });
}
const optimizer = E.optimizerConfig({ lr: 1e-2, schedule: 'constant' });
const headBatch = num('head-batch');
const epochs = num('epochs');
const t3 = performance.now();
const graph = E.buildHeadStep({ dModel: D, optimizer });
const stepper = await E.HeadStepper.create(rt, graph, new Map([[E.HEAD_WEIGHT, new Float32Array(D)]]));
const buildMs = performance.now() - t3;
const t4 = performance.now();
let accSum = 0;
let accN = 0;
let lastLoss = NaN;
for (let e = 0; e < epochs; e++) {
  const order = train.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  accSum = 0;
  accN = 0;
  for (let s = 0; s < order.length; s += headBatch) {
    const m = await stepper.step(E.collateFeatures(order.slice(s, s + headBatch).map((i) => train[i])), optimizer.lr);
    accSum += m.accuracy;
    accN++;
    lastLoss = m.loss;
  }
}
const trainSec = (performance.now() - t4) / 1000;
const steps = stepper.steps;
await stepper.release();
await rt.dispose();
if (!args['keep-cache']) rmSync(cacheRoot, { recursive: true, force: true });

const f = (x, n = 2) => x.toFixed(n);
console.log(`Reward Studio head-only retraining benchmark — provider ${provider}, ${threads} threads, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`built-in backbone d=${config.dModel}, layers=${config.nLayers}, heads=${config.nHeads}, vocab=${config.vocab}; ${pairs} pairs = ${2 * pairs} sides of ${lo}–${hi} tokens (${tokens} tokens, mean ${f(tokens / (2 * pairs), 0)}/side)`);
console.log('');
console.log(`model identity (sha256 of the frozen weights)  ${f(identityMs, 0).padStart(8)} ms`);
console.log(`1. features, cold (backbone forward)          ${f(coldSec, 1).padStart(8)} s    ${f(tokens / coldSec, 0)} tokens/s, ${f((2 * pairs) / coldSec, 1)} sides/s, batches of ${num('batch')}`);
console.log(`2. features, warm cache (open + look up)       ${f(warmSec * 1000, 0).padStart(8)} ms   of which opening ${f(openMs, 0)} ms (${f(cacheBytes / 2 ** 20, 1)} MiB read and checked); ${f(coldSec / warmSec, 0)}× faster than cold`);
console.log(`3. head training, ${epochs} epochs from the cache     ${f(trainSec, 2).padStart(8)} s    ${steps} steps of ${headBatch} pairs (${f((trainSec * 1000) / steps, 2)} ms/step; graph + session ${f(buildMs, 0)} ms); last epoch accuracy ${f((100 * accSum) / accN, 1)}%, last loss ${f(lastLoss, 3)}`);
console.log(`   retraining with other settings from the warm cache: ${f(warmSec + trainSec, 2)} s in all`);
