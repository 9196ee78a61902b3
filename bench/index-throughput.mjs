#!/usr/bin/env node
// Indexing throughput of JsonlStore against a raw sequential read of the same file.
//
//   npm run bench:index                       (or: node bench/index-throughput.mjs)
//   node bench/index-throughput.mjs --records 200000    a smaller file, for a quick look
//
// The first run writes a 1M-record (~1 GB) JSONL of synthetic preference records to .bench/ (gitignored)
// and keeps it for later runs. Each measurement runs in its own child process, so its peak RSS
// (process.resourceUsage().maxRSS) is its own. The file is read once before measuring, so every run reads
// from the page cache: the figures compare CPU cost, not the disk.
//
// Measures, in one run: (a) raw sequential read with the store's chunk size (4 MiB), (b) JsonlStore.open
// (the index pass), (c) random access to 10k records, (d) peak RSS of the indexing process.
// Aims: index ≥ 0.5× raw throughput; index process peak RSS < 200 MB. The load average is printed: on a
// busy machine the figures are noise.
//
// The store is bundled from src/ with esbuild into .bench/store.cjs on every run, so it is never stale.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, '.bench');
const CHUNK = 4 * 1024 * 1024; // the store's DEFAULT_CHUNK_BYTES
const RANDOM_READS = 10_000;
const RUNS = 5;
const DATA_VERSION = 2; // bump when the generator changes, to regenerate cached files

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1], argv[2]);
else await main();

async function main() {
  const ri = argv.indexOf('--records');
  const records = ri >= 0 ? Number(argv[ri + 1]) : 1_000_000;
  mkdirSync(benchDir, { recursive: true });
  const file = join(benchDir, `preferences-${records}.jsonl`);
  await ensureData(file, records);
  await bundleStore();
  const size = statSync(file).size;
  console.log(`file: ${file} (${records.toLocaleString('en')} records, ${(size / 2 ** 20).toFixed(0)} MiB)`);

  runChild('raw', file); // warm the page cache
  const raws = [];
  const indexes = [];
  for (let r = 0; r < RUNS; r++) {
    raws.push(runChild('raw', file));
    indexes.push(runChild('index', file));
  }
  const raw = median(raws, (x) => x.seconds);
  const index = median(indexes, (x) => x.seconds);
  if (index.count !== records) throw new Error(`the index has ${index.count} records, the file ${records}`);

  const mbs = (s) => size / 2 ** 20 / s;
  const rows = [
    ['raw sequential read (4 MiB chunks)', `${mbs(raw.seconds).toFixed(0)} MiB/s`, `${raw.seconds.toFixed(3)} s`, `${raw.maxRssMB.toFixed(0)} MB`],
    ['JsonlStore.open (index pass)', `${mbs(index.seconds).toFixed(0)} MiB/s`, `${index.seconds.toFixed(3)} s`, `${index.maxRssMB.toFixed(0)} MB`],
    ['random access, 1 at a time', `${index.randomSerial.toFixed(0)} records/s`, `${RANDOM_READS} reads`, ''],
    ['random access, 16 in flight', `${index.randomParallel.toFixed(0)} records/s`, `${RANDOM_READS} reads`, ''],
  ];
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`\nmedian of ${RUNS} runs, each in a fresh process; Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model.trim()}, load average ${load}\n`);
  table(['', 'throughput', 'time', 'peak RSS'], rows);
  const ratio = raw.seconds / index.seconds;
  console.log(`\nindex / raw throughput: ${ratio.toFixed(2)}×   (aim ≥ 0.5×: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
  console.log(`index process peak RSS: ${index.maxRssMB.toFixed(0)} MB   (aim < 200 MB: ${index.maxRssMB < 200 ? 'met' : 'NOT met'})`);
  console.log(`index size in memory: ${index.count.toLocaleString('en')} records, ${index.lineCount.toLocaleString('en')} lines`);
}

function runChild(mode, file) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child ${mode} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function child(mode, file) {
  let result;
  if (mode === 'raw') {
    const fh = await open(file, 'r');
    const buf = Buffer.allocUnsafe(CHUNK);
    const t0 = process.hrtime.bigint();
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await fh.close();
    result = { seconds, bytes: pos };
  } else {
    const { JsonlStore } = await import(join(benchDir, 'store.cjs'));
    const t0 = process.hrtime.bigint();
    const store = await JsonlStore.open(file);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const rand = mulberry32(7);
    const picks = Array.from({ length: RANDOM_READS }, () => Math.floor(rand() * store.count));
    let t = process.hrtime.bigint();
    let bytes = 0;
    for (const i of picks) bytes += (await store.readBytes(i)).length;
    const randomSerial = RANDOM_READS / (Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < picks.length) bytes += (await store.readBytes(picks[next++])).length;
      }),
    );
    const randomParallel = RANDOM_READS / (Number(process.hrtime.bigint() - t) / 1e9);
    result = { seconds, count: store.count, lineCount: store.lineCount, randomSerial, randomParallel, bytesRead: bytes };
    await store.close();
  }
  // maxRSS is in kilobytes (KiB).
  result.maxRssMB = (process.resourceUsage().maxRSS * 1024) / 1e6;
  console.log(JSON.stringify(result));
}

async function bundleStore() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'src/core/data/store.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: join(benchDir, 'store.cjs'),
    logLevel: 'warning',
  });
}

// ---------------------------------------------------------------------------------------------------------
// Synthetic preference data: TRL standard and conversational records and a few with metadata, of
// log-normally varied lengths, with some accented, CJK and emoji text. Deterministic (seeded).

async function ensureData(file, records) {
  const marker = `${file}.meta.json`;
  const want = { version: DATA_VERSION, records };
  if (existsSync(file) && existsSync(marker)) {
    try {
      const meta = JSON.parse(readFileSync(marker, 'utf8'));
      if (meta.version === want.version && meta.records === records && meta.bytes === statSync(file).size) return;
    } catch {
      // regenerate
    }
  }
  console.log(`generating ${records.toLocaleString('en')} records into ${file} (once; cached in .bench/) …`);
  const t0 = Date.now();
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp);
  const rand = mulberry32(20240601);
  const corpus = makeCorpus(rand);
  let batch = [];
  let batchBytes = 0;
  for (let i = 0; i < records; i++) {
    const line = makeRecord(rand, corpus, i) + '\n';
    batch.push(line);
    batchBytes += line.length;
    if (batchBytes > 8 * 2 ** 20) {
      if (!out.write(batch.join(''))) await once(out, 'drain');
      batch = [];
      batchBytes = 0;
    }
    if (i % 200_000 === 199_999) console.log(`  ${(i + 1).toLocaleString('en')} records`);
  }
  out.end(batch.join(''));
  await once(out, 'finish');
  renameSync(tmp, file);
  writeFileSync(marker, JSON.stringify({ ...want, bytes: statSync(file).size }));
  console.log(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function makeCorpus(rand) {
  const words = [
    ...'the a of to and in is that it for on with as be this you are was by or not can an model answer question would could which their there about more when your what will one all some if into than then them these so very also how other only just like may'.split(' '),
    ...'reward preference response assistant human helpful harmless honest explain because however therefore example summary translate python function variable dataset training gradient'.split(' '),
    'café', 'naïve', 'résumé', 'Größe', 'señor', 'déjà', '中文', '模型', '回答', '日本語', 'привет', 'مرحبا', '😀', '👍', '✓', '—', '…',
    'x = 1;', 'print(x)', '{\\"k\\": 2}', 'a\\tb', 'C:\\\\path', '\\"quoted\\"',
  ];
  const parts = [];
  let length = 0;
  while (length < 4 * 2 ** 20) {
    const w = words[Math.floor(rand() * words.length)];
    parts.push(w);
    length += w.length + 1;
    if (rand() < 0.04) parts.push(rand() < 0.5 ? '.\\n\\n' : '.');
  }
  return ' ' + parts.join(' ') + ' ';
}

/** A slice of the corpus of about `n` characters, cut at spaces (never inside a word or an escape). */
function text(rand, corpus, n) {
  const start = corpus.indexOf(' ', Math.floor(rand() * (corpus.length - n - 2)));
  const end = corpus.indexOf(' ', start + Math.max(1, n));
  return corpus.slice(start + 1, end === -1 ? corpus.length - 1 : end).replace(/\\$/, '');
}

function logNormal(rand, median, sigma) {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.min(60_000, Math.max(1, Math.round(median * Math.exp(sigma * z))));
}

function makeRecord(rand, corpus, i) {
  const prompt = text(rand, corpus, logNormal(rand, 120, 0.9));
  const chosen = text(rand, corpus, logNormal(rand, 300, 0.8));
  const rejected = text(rand, corpus, logNormal(rand, 240, 0.9));
  const kind = rand();
  if (kind < 0.2) {
    const msg = (role, content) => `{"role":"${role}","content":"${content}"}`;
    return `{"prompt":[${msg('user', prompt)}],"chosen":[${msg('assistant', chosen)}],"rejected":[${msg('assistant', rejected)}]}`;
  }
  if (kind < 0.3) {
    const ann = `ann-${Math.floor(rand() * 40)}`;
    return `{"prompt":"${prompt}","chosen":"${chosen}","rejected":"${rejected}","margin":${(rand() * 3).toFixed(3)},"meta":{"annotator":"${ann}","time":"2025-0${1 + (i % 9)}-1${i % 10}T12:00:00Z","id":${i}}}`;
  }
  return `{"prompt": "${prompt}", "chosen": "${chosen}", "rejected": "${rejected}"}`;
}

// ---------------------------------------------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(xs, key) {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)];
}

function table(head, rows) {
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ');
  console.log(line(head));
  console.log(widths.map((w) => '─'.repeat(w)).join('   '));
  for (const r of rows) console.log(line(r));
}
