#!/usr/bin/env node
// ONNX model I/O cost: decode + encode of the largest shared exporter models, and a 256 MiB synthetic
// initializer (encode to one buffer, write inline, write as external data, read back), with the plain
// protobufjs Type.encode for comparison.
//
//   node bench/onnx-io.mjs            (needs ../shared/data/onnx beside the checkout)
//
// src/core/onnx is bundled with esbuild into .bench/onnx.cjs on every run, so it is never stale. Each
// measurement runs in its own child process, so its peak RSS (process.resourceUsage().maxRSS) is its
// own; "baseline" is a child that only loads the bundle. Times are the median of several runs in one
// child (the first run, which pays JIT and page faults, reported separately).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, '.bench');
const bundle = join(benchDir, 'onnx.cjs');
const shared = join(root, '..', 'shared', 'data', 'onnx');
const MiB = 2 ** 20;

async function main() {
  mkdirSync(benchDir, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({ entryPoints: [join(root, 'src/core/onnx/index.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle, logLevel: 'warning' });
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
  for (const what of ['baseline', 'tfbert', 'llama', 'big-encode', 'big-protobufjs', 'big-write-inline', 'big-write-external', 'big-read']) {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', what], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`${what}: failed\n${r.stderr}`);
      continue;
    }
    console.log(r.stdout.trim());
  }
  rmSync(join(benchDir, 'big'), { recursive: true, force: true });
}

function time(fn, runs) {
  const t = [];
  let first;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i === 0) first = ms;
    t.push(ms);
    globalThis.gc?.();
  }
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)], first };
}

const peak = () => (process.resourceUsage().maxRSS * 1024) / MiB; // maxRSS is in KiB

function bigModel(o) {
  const raw = new Uint8Array(256 * MiB);
  for (let i = 0; i < raw.length; i += 4096) raw[i] = i & 255; // touch every page
  const t = { name: 'w', dims: [64 * MiB], dataType: 1, rawData: raw, stringData: [], externalData: [], metadataProps: [] };
  const g = new o.GraphBuilder({ opset: 17, name: 'big' });
  g.output(g.add(g.input('x', 'float32', [64 * MiB]), g.initializer('w', t)), 'y');
  return g.build();
}

async function child(what) {
  const require = createRequire(import.meta.url);
  const o = require(bundle);
  const fs = require('node:fs');
  const line = (label, r, extra = '') =>
    console.log(`${label.padEnd(44)} ${r ? `median ${r.median.toFixed(1).padStart(7)} ms (first ${r.first.toFixed(1)} ms)` : ''}  peak RSS ${peak().toFixed(0)} MiB${extra}`);
  switch (what) {
    case 'baseline':
      return line('baseline (bundle loaded)', undefined);
    case 'tfbert':
    case 'llama': {
      const path = what === 'tfbert' ? join(shared, 'ort__TFBertForQuestionAnswering.onnx') : join(shared, 'genai__tiny-random-LlamaForCausalLM-fp16', 'model.onnx');
      const bytes = fs.readFileSync(path);
      let m;
      const dec = time(() => (m = o.readModel(bytes, { baseDir: dirname(path) })), 10);
      const enc = time(() => o.encodeModel(m), 10);
      const size = (bytes.length + (what === 'llama' ? fs.statSync(path + '.data').size : 0)) / MiB;
      line(`${what} (${size.toFixed(2)} MiB): decode${what === 'llama' ? ' + load external' : ''}`, dec);
      return line(`${what}: encode`, enc, `, ${m.graph.node.length} nodes`);
    }
    case 'big-encode': {
      const m = bigModel(o);
      const r = time(() => o.encodeModel(m), 3);
      return line('256 MiB initializer: encodeModel (one buffer)', r);
    }
    case 'big-protobufjs': {
      // The same model through protobufjs's own Type.encode (what encodeModel avoids).
      const protobuf = require('protobufjs/light');
      const pbRoot = protobuf.Root.fromJSON(require(join(root, 'src/core/onnx/onnx.proto.json')));
      const Model = pbRoot.lookupType('onnx.ModelProto');
      const m = bigModel(o);
      const w = { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'big', initializer: [{ name: 'w', dims: [64 * MiB], dataType: 1, rawData: m.graph.initializer[0].rawData }] } };
      const r = time(() => Model.encode(w).finish(), 3);
      return line('256 MiB initializer: protobufjs Type.encode', r);
    }
    case 'big-write-inline':
    case 'big-write-external': {
      const m = bigModel(o);
      const dir = join(benchDir, 'big');
      mkdirSync(dir, { recursive: true });
      const ext = what === 'big-write-external';
      const r = time(() => o.writeModel(m, join(dir, ext ? 'ext.onnx' : 'inline.onnx'), ext ? { externalDataThreshold: 1024 } : {}), 3);
      return line(`256 MiB initializer: writeModel ${ext ? 'external data' : 'inline (streamed)'}`, r);
    }
    case 'big-read': {
      const dir = join(benchDir, 'big');
      const inline = join(dir, 'inline.onnx');
      const ext = join(dir, 'ext.onnx');
      const r1 = time(() => o.readModel(inline), 3);
      line('256 MiB initializer: readModel inline', r1);
      const r2 = time(() => o.readModel(ext), 3);
      return line('256 MiB initializer: readModel + load external', r2);
    }
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1]);
else await main();
