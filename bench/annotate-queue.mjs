#!/usr/bin/env node
// Opening a 1M-item annotation queue: time until the first item is shown (aim < 1 s).
//
//   node bench/annotate-queue.mjs                      1M lines
//   node bench/annotate-queue.mjs --lines 200000       a smaller queue, for a quick look
//
// The first run writes the queue to .bench/ (gitignored; ~330 MB for 1M lines: 80% {prompt, response_a,
// response_b}, 20% {prompt, responses: [3]} with 'all' pairing, so ~1.4M items) and keeps it. Each
// measurement runs in a fresh child process (module loading excluded from the figure), after one read
// of the file so the page cache holds it: the figures are CPU cost, not the disk.
//
// Measures: (a) open with an empty judgements file → first item; (b) open with 10k judgements by this
// annotator at the start of the queue → resume (first unjudged item); (c) the background scan that
// counts all items and finds malformed lines; (d) judge() latency with fsync, over 200 judgements.
//
// The annotate core is bundled from src/ with esbuild into .bench/annotate.cjs on every run.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, '.bench');
const bundle = join(benchDir, 'annotate.cjs');
const RUNS = 3;
const RESUME_JUDGED = 10_000;
const argv = process.argv.slice(2);

if (argv[0] === '--child') await child(argv[1], argv[2], argv[3]);
else await main();

async function main() {
  const li = argv.indexOf('--lines');
  const lines = li >= 0 ? Number(argv[li + 1]) : 1_000_000;
  mkdirSync(benchDir, { recursive: true });
  await bundleCore();
  const queue = join(benchDir, `annotate-queue-${lines}.jsonl`);
  if (!existsSync(queue)) await writeQueue(queue, lines);
  readFileSync(queue); // warm the page cache (files ≤ 2 GB)
  const resumeOut = join(benchDir, `annotate-resume-${lines}.jsonl`);
  if (!existsSync(resumeOut)) await writeJudgements(queue, resumeOut);

  console.log(`queue: ${lines.toLocaleString('en')} lines; ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}`);
  const run = (mode) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, queue, resumeOut], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${mode} child failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1));
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const mode of ['fresh', 'resume']) {
    const rs = Array.from({ length: RUNS }, () => run(mode));
    const first = median(rs.map((r) => r.firstItemMs));
    console.log(
      `${mode.padEnd(6)}  first item ${first.toFixed(0).padStart(5)} ms (median of ${RUNS}: ${rs.map((r) => r.firstItemMs.toFixed(0)).join(', ')})` +
        `  [queue index ${median(rs.map((r) => r.indexMs)).toFixed(0)} ms]` +
        (mode === 'fresh' ? `  scan ${median(rs.map((r) => r.scanMs)).toFixed(0)} ms → ${rs[0].items.toLocaleString('en')} items` : `  at line ${rs[0].line}`) +
        `  ${first < 1000 ? 'OK (< 1 s)' : 'OVER 1 s'}`,
    );
  }
  const j = run('judge');
  console.log(`judge   ${j.meanMs.toFixed(2)} ms mean, p95 ${j.p95Ms.toFixed(2)} ms per judgement (fsync on, ${j.n} judgements)`);
}

async function child(mode, queue, resumeOut) {
  const require = createRequire(import.meta.url);
  const { AnnotationSession, AnnotationQueue } = require(bundle);
  const out = join(benchDir, `annotate-out-${process.pid}.jsonl`);
  if (mode === 'resume') copyFileSync(resumeOut, out);
  else writeFileSync(out, '');
  try {
    if (mode === 'judge') {
      const s = await AnnotationSession.open({ queue, output: out, annotator: 'ana', scan: false });
      const ms = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await s.judge(i % 3 ? 'left' : 'right', { strength: 2 });
        ms.push(performance.now() - t);
      }
      await s.close();
      ms.sort((a, b) => a - b);
      console.log(JSON.stringify({ n: ms.length, meanMs: ms.reduce((a, b) => a + b, 0) / ms.length, p95Ms: ms[Math.floor(ms.length * 0.95)] }));
      return;
    }
    let t = performance.now();
    const q = await AnnotationQueue.open(queue);
    const indexMs = performance.now() - t;
    await q.close();
    t = performance.now();
    const s = await AnnotationSession.open({ queue, output: out, annotator: 'ana' });
    const item = s.current;
    const firstItemMs = performance.now() - t;
    if (!item) throw new Error('no first item');
    t = performance.now();
    const scan = await s.scanned();
    const scanMs = performance.now() - t + firstItemMs;
    await s.close();
    console.log(JSON.stringify({ firstItemMs, indexMs, scanMs, items: scan?.items, line: item.item.line }));
  } finally {
    rmSync(out, { force: true });
  }
}

async function bundleCore() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    stdin: {
      contents: "export * from './src/core/annotate/session'; export * from './src/core/annotate/queue'; export * from './src/core/annotate/record';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
  });
}

/** Deterministic synthetic queue lines of a few hundred bytes. */
async function writeQueue(file, n) {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const words = ['the', 'model', 'reward', 'answer', 'because', 'kindly', 'données', '数据', 'explain', 'step', 'first', 'then', '🙂', 'result'];
  const text = (k) => Array.from({ length: k }, () => words[Math.floor(rand() * words.length)]).join(' ');
  const ws = createWriteStream(file + '.tmp');
  for (let i = 0; i < n; i++) {
    const line =
      i % 5 === 4
        ? { prompt: `#${i} ${text(8)}`, responses: [text(15), text(20), text(10)] }
        : { prompt: `#${i} ${text(10)}`, response_a: text(12 + Math.floor(rand() * 20)), response_b: text(12 + Math.floor(rand() * 20)) };
    if (!ws.write(JSON.stringify(line) + '\n')) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
  const { renameSync } = await import('node:fs');
  renameSync(file + '.tmp', file);
}

/** A judgements file with RESUME_JUDGED judgements by 'ana' of the queue's first items. */
async function writeJudgements(queue, out) {
  const require = createRequire(import.meta.url);
  const { AnnotationQueue, judgementRecord, serializeJudgement } = require(bundle);
  const q = await AnnotationQueue.open(queue);
  const lines = [];
  for (let r = 0; lines.length < RESUME_JUDGED && r < q.records; r++) {
    for (const item of await q.itemsAt(r)) {
      if (lines.length >= RESUME_JUDGED) break;
      const rec = judgementRecord({
        annotator: 'ana', verdict: 'left', prompt: item.prompt, left: item.a, right: item.b, itemId: item.id,
        source: 'queue.jsonl', sourceLine: item.line, pairIndex: item.pairIndex, time: new Date(), timeOnItemMs: 2000, strength: 2,
      });
      lines.push(serializeJudgement(rec));
    }
  }
  await q.close();
  writeFileSync(out, lines.join('\n') + '\n');
}
