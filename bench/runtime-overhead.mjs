#!/usr/bin/env node
// Per-call overhead of the runtime's isolation modes: the same sessions run in-thread ('none'), in a
// worker thread ('thread') and in a child process ('process'), one after another in one run, so the
// figures compare on the same (possibly busy) machine.
//
//   node bench/runtime-overhead.mjs                  (about 20 s)
//   node bench/runtime-overhead.mjs --seconds 0.5    a quicker, noisier look
//   --threads N    intra-op threads (default: all cores)
//   --no-spin      sessions with allowSpinning: false (onnxruntime's threads do not busy-wait between runs)
//
// Models (hand-encoded, CPU provider):
//   tiny      z = x + y on float32[16]                       — nearly pure call overhead
//   mid       4 chained MatMuls, x float32[64,512] · 512×512  — ~134 MFLOP, 128 KiB in and out
//   transfer  z = x + x on float32[1M]                       — 4 MiB in and 4 MiB out: the cost of moving tensors
// Each is called sequentially (one call in flight: latency) for --seconds per cell, after a warm-up.
// Printed: calls/s, µs per call, the ratio to in-thread, and the added µs per call over in-thread.
//
// The runtime is bundled from src/ with esbuild into .bench/runtime/ (gitignored) on every run, with
// runtimeWorker.js next to it — the same layout as the extension's dist/ bundle.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { cpus, loadavg, availableParallelism } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.bench', 'runtime');
const argv = process.argv.slice(2);
const si = argv.indexOf('--seconds');
const SECONDS = si >= 0 ? Number(argv[si + 1]) : 2;
const ti = argv.indexOf('--threads');
const THREADS = ti >= 0 ? Number(argv[ti + 1]) : availableParallelism();
const SPIN = !argv.includes('--no-spin');
const ROUNDS = 7;
if (!(SECONDS > 0) || !(THREADS >= 1)) {
  console.error('usage: node bench/runtime-overhead.mjs [--seconds S] [--threads N] [--no-spin]');
  process.exit(2);
}

const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: {
    runtime: join(root, 'src/core/runtime/index.ts'),
    runtimeWorker: join(root, 'src/core/runtime/runtimeWorker.ts'),
    miniModel: join(root, 'src/core/runtime/miniModel.ts'),
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir: outDir,
  external: ['onnxruntime-node', 'onnxruntime-common'],
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const { Runtime, tensor } = require(join(outDir, 'runtime.js'));
const { encodeMiniModel } = require(join(outDir, 'miniModel.js'));

function rand(n, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  }
  return out;
}

const MODELS = [
  {
    name: 'tiny',
    what: 'Add float32[16]',
    bytes: encodeMiniModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: [16] }, { name: 'y', dtype: 'float32', dims: [16] }],
      outputs: [{ name: 'z', dtype: 'float32', dims: [16] }],
      nodes: [{ op: 'Add', inputs: ['x', 'y'], outputs: ['z'] }],
    }),
    feeds: () => ({ x: tensor('float32', [16], rand(16, 1)), y: tensor('float32', [16], rand(16, 2)) }),
  },
  {
    name: 'mid',
    what: '4× MatMul [64,512]·[512,512]',
    bytes: encodeMiniModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: [64, 512] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [64, 512] }],
      nodes: [0, 1, 2, 3].map((i) => ({ op: 'MatMul', inputs: [i ? `h${i}` : 'x', 'W'], outputs: [i === 3 ? 'y' : `h${i + 1}`] })),
      initializers: [{ name: 'W', dtype: 'float32', dims: [512, 512], data: rand(512 * 512, 3).map((v) => v / 16) }],
    }),
    feeds: () => ({ x: tensor('float32', [64, 512], rand(64 * 512, 4)) }),
  },
  {
    name: 'transfer',
    what: 'Add float32[1M] (4 MiB in/out)',
    bytes: encodeMiniModel({
      inputs: [{ name: 'x', dtype: 'float32', dims: [1 << 20] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1 << 20] }],
      nodes: [{ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
    }),
    feeds: () => ({ x: tensor('float32', [1 << 20], rand(1 << 20, 5)) }),
  },
];

const ISOLATIONS = ['none', 'thread', 'process'];

/** Calls per second over `ms` milliseconds of sequential calls. */
async function rate(session, feeds, ms) {
  let calls = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  while (performance.now() < end) {
    await session.run(feeds);
    calls++;
  }
  return (calls * 1000) / (performance.now() - t0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `runtime-overhead: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ` +
    `${SECONDS} s per cell in ${ROUNDS} interleaved rounds (median), sequential calls, ${THREADS} intra-op threads`,
);
// All three runtimes are up at once and take turns in short rounds, so a burst of load elsewhere on the
// machine hits every mode alike; each cell is the median of its rounds.
const runtimes = {};
for (const isolation of ISOLATIONS) runtimes[isolation] = await Runtime.start({ provider: 'cpu', isolation, threads: THREADS, onLog: () => {} });
const results = {};
for (const isolation of ISOLATIONS) results[isolation] = {};
for (const m of MODELS) {
  const sessions = {};
  const feeds = m.feeds();
  for (const isolation of ISOLATIONS) {
    sessions[isolation] = await runtimes[isolation].createSession(m.bytes, { label: m.name, allowSpinning: SPIN });
    for (let i = 0; i < 20; i++) await sessions[isolation].run(feeds);
  }
  const rounds = Object.fromEntries(ISOLATIONS.map((i) => [i, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const isolation of ISOLATIONS) rounds[isolation].push(await rate(sessions[isolation], feeds, (SECONDS * 1000) / ROUNDS));
  }
  for (const isolation of ISOLATIONS) {
    const perSecond = median(rounds[isolation]);
    results[isolation][m.name] = { perSecond, usPerCall: 1e6 / perSecond };
    await sessions[isolation].release();
  }
}
for (const isolation of ISOLATIONS) await runtimes[isolation].dispose();

const pad = (s, n) => String(s).padStart(n);
console.log('');
console.log(`${'model'.padEnd(10)}${'isolation'.padEnd(10)}${pad('calls/s', 10)}${pad('µs/call', 10)}${pad('× in-thread', 13)}${pad('+µs/call', 10)}`);
for (const m of MODELS) {
  const base = results.none[m.name];
  for (const isolation of ISOLATIONS) {
    const r = results[isolation][m.name];
    console.log(
      `${(isolation === 'none' ? m.name : '').padEnd(10)}${isolation.padEnd(10)}${pad(r.perSecond.toFixed(0), 10)}${pad(r.usPerCall.toFixed(0), 10)}` +
        `${pad((r.perSecond / base.perSecond).toFixed(2), 13)}${pad((r.usPerCall - base.usPerCall).toFixed(0), 10)}`,
    );
  }
}
console.log('\nmodels: ' + MODELS.map((m) => `${m.name} = ${m.what}`).join('; '));
