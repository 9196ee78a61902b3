#!/usr/bin/env node
// `npm run install:cuda`: the explicit opt-in to onnxruntime-node's CUDA execution provider.
//
// onnxruntime-node bundles its CPU and WebGPU providers; its CUDA provider libraries
// (libonnxruntime_providers_cuda.so, _shared.so, _tensorrt.so) are too big for the npm registry, so its
// own install script downloads them from NuGet (api.nuget.org). This project skips that download by
// default (.npmrc onnxruntime-node-install=skip). This script runs onnxruntime-node's install script
// (node_modules/onnxruntime-node/script/install.js) with ONNXRUNTIME_NODE_INSTALL=cuda12, then checks
// that a CUDA session really works here, and says what is missing when it does not.
//
//   npm run install:cuda                 download and install, then verify
//   npm run install:cuda -- --check      only check this machine and the current install (no download)
//   npm run install:cuda -- --no-verify  install without trying a CUDA session (e.g. on a build machine)
//
// Needs: Linux x64; an NVIDIA driver; the CUDA 12 runtime libraries (cudart, cuBLAS/cuBLASLt, cuFFT,
// cuRAND) and cuDNN 9 findable by the dynamic loader (ldconfig or LD_LIBRARY_PATH); network access to
// https://api.nuget.org (a proxy is honoured through GLOBAL_AGENT_HTTPS_PROXY — onnxruntime-node uses
// global-agent). `npm ci` reinstalls onnxruntime-node without these files: run this again afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const checkOnly = args.includes('--check');
const verify = !args.includes('--no-verify');
const say = (m = '') => console.log(m);
const fail = (m) => {
  console.error(`\ninstall:cuda: ${m}`);
  process.exit(1);
};

// ---- where onnxruntime-node is ---------------------------------------------------------------------
const require = createRequire(join(root, 'package.json'));
let ortDir;
try {
  ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
} catch {
  fail('onnxruntime-node is not installed. Run `npm ci` (or `npm run setup`) first.');
}
const ortVersion = JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8')).version;
const platform = `${process.platform}/${process.arch}`;
const libDir = join(ortDir, 'bin', 'napi-v6', process.platform, process.arch);
const providerFiles = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so'];

say(`onnxruntime-node ${ortVersion} (${ortDir}), platform ${platform}`);
if (platform !== 'linux/x64') {
  fail(
    `onnxruntime-node ${ortVersion} has a CUDA provider for linux/x64 only, not ${platform}. ` +
      'On this machine Reward Studio runs on WebGPU (where a GPU adapter is available) or CPU.',
  );
}

// ---- what this machine has -------------------------------------------------------------------------
/** Shared libraries the dynamic loader can find: ldconfig's cache plus LD_LIBRARY_PATH folders. */
function loaderLibraries() {
  const found = new Map();
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^\s*(\S+) \(.*\) => (\S+)/.exec(line);
    if (m) found.set(m[1], m[2]);
  }
  for (const d of (process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      for (const f of readdirSync(d)) if (!found.has(f)) found.set(f, join(d, f));
    } catch {
      // a folder that does not exist is simply not searched
    }
  }
  return found;
}
const libs = loaderLibraries();
const needed = [
  ['libcuda.so.1', 'the NVIDIA driver'],
  ['libcudart.so.12', 'CUDA 12 runtime'],
  ['libcublas.so.12', 'CUDA 12 cuBLAS'],
  ['libcublasLt.so.12', 'CUDA 12 cuBLASLt'],
  ['libcufft.so.11', 'CUDA 12 cuFFT'],
  ['libcurand.so.10', 'CUDA 12 cuRAND'],
  ['libcudnn.so.9', 'cuDNN 9'],
];
say('\nThis machine:');
const smi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
if (smi.status === 0 && smi.stdout.trim()) say(`  GPU: ${smi.stdout.trim().split('\n').join('; ')} (nvidia-smi)`);
else say('  GPU: nvidia-smi not found or failed — no NVIDIA driver, or no NVIDIA GPU');
const missing = [];
for (const [lib, what] of needed) {
  const where = libs.get(lib);
  say(`  ${where ? 'found  ' : 'MISSING'} ${lib.padEnd(18)} ${what}${where ? ` (${where})` : ''}`);
  if (!where) missing.push([lib, what]);
}
const installedBefore = providerFiles.filter((f) => existsSync(join(libDir, f)));
say(`  CUDA provider libraries in onnxruntime-node: ${installedBefore.length ? installedBefore.join(', ') : 'none (the download is skipped by default)'}`);
if (missing.length) {
  say(
    '\nMissing libraries must be installed and findable by the dynamic loader before CUDA can run:\n' +
      '  - the NVIDIA driver (libcuda.so.1): your distribution\'s NVIDIA driver package\n' +
      '  - CUDA 12 runtime libraries: NVIDIA\'s CUDA 12 toolkit or runtime packages\n' +
      '  - cuDNN 9 for CUDA 12: NVIDIA\'s cuDNN 9 packages\n' +
      '  Installed outside the loader\'s cache? Put their folders on LD_LIBRARY_PATH before starting VS Code or the CLI.',
  );
}

// ---- install ---------------------------------------------------------------------------------------
const installScript = join(ortDir, 'script', 'install.js');
if (!checkOnly) {
  if (!existsSync(installScript)) fail(`onnxruntime-node's install script is missing: ${installScript}`);
  say(
    `\nDownloading the CUDA 12 provider libraries: running ${installScript} with ONNXRUNTIME_NODE_INSTALL=cuda12.\n` +
      `It fetches Microsoft.ML.OnnxRuntime.Gpu.Linux ${ortVersion} from https://api.nuget.org (a large package) and copies\n` +
      `the provider libraries into ${libDir}.`,
  );
  const r = spawnSync(process.execPath, [installScript], {
    cwd: ortDir,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  if (r.status !== 0 || r.error) fail(explainInstallFailure(`${r.error?.message ?? ''}\n${r.stdout ?? ''}\n${r.stderr ?? ''}`, r.status));
  const absent = providerFiles.slice(0, 2).filter((f) => !existsSync(join(libDir, f)));
  if (absent.length) fail(`onnxruntime-node's install script finished but ${absent.join(', ')} are not in ${libDir}.`);
  say('\nInstalled the CUDA provider libraries.');
}

function explainInstallFailure(out, status) {
  const head = `the download failed (onnxruntime-node's install script exited with ${status ?? 'an error'}).`;
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|socket hang up/i.test(out)) {
    return `${head}\nCould not reach https://api.nuget.org (or the proxy in GLOBAL_AGENT_HTTPS_PROXY, when set). This machine needs network access to it; behind a proxy set GLOBAL_AGENT_HTTPS_PROXY=http://proxy:port (onnxruntime-node uses global-agent).`;
  }
  if (/certificate|CERT_|self[- ]signed/i.test(out)) {
    return `${head}\nTLS to api.nuget.org failed (a proxy that re-signs certificates?). Point NODE_EXTRA_CA_CERTS at your CA bundle and run again.`;
  }
  if (/HTTP status code|Failed to download/i.test(out)) return `${head}\nThe feed answered with an HTTP error (see above). Try again later.`;
  if (/Failed to resolve package|Failed to find specific package versions/i.test(out)) {
    return `${head}\nThe feed has no Microsoft.ML.OnnxRuntime.Gpu.Linux ${ortVersion} package.`;
  }
  if (/EACCES|EPERM/i.test(out)) return `${head}\nNo permission to write into ${libDir} (or the temp folder).`;
  if (/ENOSPC/i.test(out)) return `${head}\nThe disk is full (the package is unpacked in the temp folder first).`;
  if (/Invalid installation/i.test(out)) return `${head}\nonnxruntime-node has no cuda12 install for ${platform}.`;
  return `${head}\nSee its output above.`;
}

// ---- verify: does a CUDA session really work? ------------------------------------------------------
if (!verify) process.exit(0);
if (!providerFiles.slice(0, 2).every((f) => existsSync(join(libDir, f)))) {
  say('\nThe CUDA provider libraries are not installed: run `npm run install:cuda` to download them.');
  process.exit(1);
}
say('\nTrying a CUDA session (a 1-node probe model)…');
// The runtime's probe model (src/core/runtime/miniModel.ts probeModel(): y = x + x, float32[4]).
const PROBE = 'CAgSFXJld2FyZC1zdHVkaW8tcnVudGltZTo/ChUKAXgKAXgSAXkaBUFkZF8wIgNBZGQSBG1pbmlaDwoBeBIKCggIARIECgIIBGIPCgF5EgoKCAgBEgQKAggEQgQKABAN';
const probe = `
const ort = require(${JSON.stringify(ortDir)});
(async () => {
  const s = await ort.InferenceSession.create(Buffer.from(${JSON.stringify(PROBE)}, 'base64'), { executionProviders: [{ name: 'cuda', deviceId: 0 }] });
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]) });
  if (Array.from(out.y.data).join() !== '2,4,6,8') throw new Error('wrong result ' + Array.from(out.y.data));
  console.log('CUDA-OK');
})().catch((e) => { console.log('CUDA-FAIL ' + e.message); process.exit(3); });`;
const p = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
if (/CUDA-OK/.test(p.stdout ?? '')) {
  say('CUDA works: Reward Studio\'s provider `auto` now picks CUDA (check the provider report it prints).');
  process.exit(0);
}
const reason = `${(p.stdout ?? '').replace('CUDA-FAIL ', '')}\n${p.stderr ?? ''}`.trim();
let why = '';
try {
  process.dlopen({ exports: {} }, join(libDir, 'libonnxruntime_providers_cuda.so'));
} catch (e) {
  const m = /([^\s/:]+\.so[.\d]*): cannot open shared object file/.exec(e.message);
  if (m) why = `\nThe CUDA provider library cannot load because ${m[1]} is not findable by the dynamic loader.`;
}
if (!why && missing.length) why = `\nMissing here: ${missing.map(([l, w]) => `${l} (${w})`).join(', ')}.`;
if (!why && /no CUDA-capable device/i.test(reason)) why = '\nNo NVIDIA GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES).';
if (!why && /driver version is insufficient/i.test(reason)) why = '\nThe NVIDIA driver is too old for CUDA 12.';
fail(
  `the CUDA provider libraries are installed, but a CUDA session does not work yet.${why}\n` +
    `onnxruntime said: ${reason.split('\n').filter(Boolean).slice(-3).join('\n  ')}`,
);
