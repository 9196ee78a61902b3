#!/usr/bin/env node
// Training-engine throughput, quoted as ratios to a large-MatMul peak measured in the same run on the
// same provider (these machines are noisy: absolute figures move, ratios measured side by side hold).
//
//   node bench/train-step.mjs [--provider cpu|webgpu|cuda|auto] [--steps N] [--d 256] [--layers 2]
//                             [--seq 128] [--batch 8] [--threads N] [--rss-steps 500]
//                             [--layer-norm op|decomposed]   (default: the backbone's own, op in float32)
//
// Prints: MatMul peak (GFLOP/s, 2048³ float32); training step (forward + backward + AdamW) tokens/s and
// GFLOP/s counted from non-embedding parameters (6·N·tokens, every parameter over every token: the
// model's FLOPs), and its ratio to the peak; scoring (forward only, 2·N·tokens) likewise; then peak RSS
// over --rss-steps steps with random lengths in buckets (no unbounded growth). Aims on CPU: training
// ≥ 0.7 of peak, scoring ≥ 0.85.
// The reward graphs run the last block past its keys and values at one position per row (only the last
// real token's state is read), so they execute fewer parameter FLOPs than 6·N·tokens: each line also
// gives the executed count and its ratio, the engine's efficiency on the work it actually does.
// The engine is bundled from src/ with esbuild into .bench/train-step/ on every run (bench/lib.mjs), so it
// is never stale.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { bundleSources, matmulPeak, timeRuns } from './lib.mjs';
const { values: args } = parseArgs({
  options: {
    provider: { type: 'string', default: 'cpu' },
    steps: { type: 'string', default: '20' },
    d: { type: 'string', default: '256' },
    layers: { type: 'string', default: '2' },
    heads: { type: 'string', default: '4' },
    seq: { type: 'string', default: '128' },
    batch: { type: 'string', default: '8' },
    vocab: { type: 'string', default: '8000' },
    threads: { type: 'string' },
    'rss-steps': { type: 'string', default: '500' },
    'layer-norm': { type: 'string' },
  },
});
const num = (k) => Number(args[k]);
if (args['layer-norm'] !== undefined && !['op', 'decomposed'].includes(args['layer-norm'])) {
  throw new Error(`--layer-norm must be op or decomposed (got ${args['layer-norm']})`);
}

const E = await bundleSources(
  'train-step',
  `export * from '../../src/core/model';
export * from '../../src/core/optim';
export { encodeModel, GraphBuilder } from '../../src/core/onnx';
export { Runtime } from '../../src/core/runtime';
export { collatePairs } from '../../src/core/train/batch';
export { TrainStepper } from '../../src/core/train/stepper';
export { mulberry32 } from '../../src/core/random';
`,
);

const threads = args.threads ? num('threads') : cpus().length;
const rt = await E.Runtime.start({ provider: args.provider, isolation: 'none', threads });
const provider = rt.provider;

// 1. MatMul peak: C = A·B, 2048³, float32.
const peak = await matmulPeak(E, rt);
const rnd = E.mulberry32(1);

// 2. Training step and scoring of the built-in backbone.
const config = { vocab: num('vocab'), dModel: num('d'), nHeads: num('heads'), nLayers: num('layers'), maxLen: num('seq'), eps: 1e-5 };
const shapes = E.builtinParamShapes(config);
let nonEmbedding = 0;
// Per token: every non-embedding parameter; executed: the last block's query, output, MLP, final norm and
// head parameters once per row instead of once per token (its keys and values still over every token).
let perRowOnly = 0;
const last = `h${num('layers') - 1}.`;
for (const [name, s] of shapes) {
  if (name === 'wte' || name === 'wpe') continue;
  const n = s.reduce((a, b) => a * b, 1);
  nonEmbedding += n;
  if (name === last + 'attn.wqkv' || name === last + 'attn.bqkv') perRowOnly += n / 3; // the query third
  else if (name.startsWith(last) && !name.startsWith(last + 'ln1')) perRowOnly += n;
  else if (name.startsWith('lnf') || name === 'head.w') perRowOnly += n;
}
const params = E.initBuiltinParams(config, 1, 'float32');
params.get('head.w').fill(0.01);
const optimizer = E.optimizerConfig({ lr: 1e-4 });
const graph = E.buildTrainStep({ config, params, trainable: 'all', optimizer, layerNorm: args['layer-norm'] });
const stepper = await E.TrainStepper.create(rt, graph, params, shapes);
const B = num('batch');
const T = num('seq');
const seq = () => Array.from({ length: T }, () => 1 + Math.floor(rnd() * (config.vocab - 1)));
const fixedBatch = E.collatePairs(Array.from({ length: B }, () => ({ chosen: seq(), rejected: seq() })));
for (let i = 0; i < 2; i++) await stepper.step(fixedBatch, 1e-4);
const steps = num('steps');
const t0 = performance.now();
for (let i = 0; i < steps; i++) await stepper.step(fixedBatch, 1e-4);
const stepSec = (performance.now() - t0) / 1000 / steps;
const tokens = 2 * B * T;
const rows = 2 * B;
const executedPerPass = (nonEmbedding - perRowOnly) * tokens + perRowOnly * rows; // multiply-adds, one forward
const trainGflops = (6 * nonEmbedding * tokens) / stepSec / 1e9;
const trainExec = (6 * executedPerPass) / stepSec / 1e9;

const scoring = await rt.createSession(E.encodeModel(E.buildScoringGraph({ config, params: stepper.params() })), { graphOptimization: 'all' });
const scoreFeeds = {
  input_ids: { dtype: 'int64', dims: [2 * B, T], data: fixedBatch.inputIds },
  attention_mask: { dtype: 'int64', dims: [2 * B, T], data: fixedBatch.attentionMask },
};
const scoreSec = await timeRuns(scoring, scoreFeeds);
const scoreGflops = (2 * nonEmbedding * tokens) / scoreSec / 1e9;
const scoreExec = (2 * executedPerPass) / scoreSec / 1e9;
await scoring.release();

// 3. Memory over many steps with varied lengths, bucketed to multiples of 16 (as the trainer does).
const rssSteps = num('rss-steps');
const rss = [];
const rssStart = process.memoryUsage().rss;
for (let i = 0; i < rssSteps; i++) {
  const len = Math.max(16, Math.ceil((8 + Math.floor(rnd() * (T - 8))) / 16) * 16);
  const pair = () => {
    const s = Array.from({ length: len }, () => 1 + Math.floor(rnd() * (config.vocab - 1)));
    return s.slice(0, Math.max(2, Math.floor(len * (0.5 + rnd() / 2))));
  };
  const b = E.collatePairs(Array.from({ length: B }, () => ({ chosen: pair(), rejected: pair() })), 0, len);
  await stepper.step(b, 1e-4);
  if (i % 50 === 49) rss.push(process.memoryUsage().rss);
}
await rt.dispose();

const mb = (x) => `${(x / 2 ** 20).toFixed(0)} MiB`;
const pct = (x) => `${x.toFixed(2)}×`;
console.log(`Reward Studio training-engine benchmark — provider ${provider}, ${threads} threads, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`built-in backbone: d=${config.dModel}, layers=${config.nLayers}, heads=${config.nHeads}, vocab=${config.vocab}; ${(nonEmbedding / 1e6).toFixed(2)}M non-embedding parameters; batch ${B} pairs × ${T} tokens (${tokens} tokens/step)`);
console.log('');
console.log(`MatMul peak (2048³ fp32)       ${peak.toFixed(1).padStart(8)} GFLOP/s`);
console.log(`training step (fwd+bwd+AdamW)  ${trainGflops.toFixed(1).padStart(8)} GFLOP/s   ${(tokens / stepSec).toFixed(0).padStart(8)} tokens/s   ${(stepSec * 1000).toFixed(1)} ms/step   ratio to peak ${pct(trainGflops / peak)} (aim ≥ 0.70)`);
console.log(`  executed parameter FLOPs      ${trainExec.toFixed(1).padStart(8)} GFLOP/s   (${((100 * executedPerPass) / (nonEmbedding * tokens)).toFixed(0)}% of 6·N·tokens)          ratio to peak ${pct(trainExec / peak)}`);
console.log(`scoring (forward only)         ${scoreGflops.toFixed(1).padStart(8)} GFLOP/s   ${(tokens / scoreSec).toFixed(0).padStart(8)} tokens/s   ${(scoreSec * 1000).toFixed(1)} ms/batch  ratio to peak ${pct(scoreGflops / peak)} (aim ≥ 0.85)`);
console.log(`  executed parameter FLOPs      ${scoreExec.toFixed(1).padStart(8)} GFLOP/s                                              ratio to peak ${pct(scoreExec / peak)}`);
console.log(`RSS over ${rssSteps} steps with bucketed random lengths: start ${mb(rssStart)}, then every 50 steps: ${rss.map(mb).join(', ')}`);
