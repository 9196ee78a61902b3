#!/usr/bin/env node
// `npm run package [-- --target T] [-- --out FILE] [-- --ls]`: a platform VSIX.
//
// The extension bundle (dist/extension.js) keeps onnxruntime-node and tokenizers external: they are native,
// so the VSIX carries them from node_modules — for ONE platform. onnxruntime-node alone ships ~290 MB of
// binaries for five platforms and tokenizers thirteen .node files; a VSIX with all of them would be huge.
//
// What goes in is an allowlist: .vscodeignore (everything excluded, then the extension's own files and the
// runtime JavaScript of those two packages named), plus the target's native binaries, which this script
// appends to a copy of .vscodeignore it passes to vsce. `vsce ls` with the same file prints the contents;
// the script checks them (the target's binaries present, no other platform's) before it packages.
//
// Steps: production build into dist/ → list + check → vsce package → the development build back in dist/
// (so F5 and the tests keep source maps).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * VSIX targets (vsce's names), where each package keeps that platform's binaries, and which of
 * onnxruntime-node's files the CPU and WebGPU providers need (named, not globbed: `npm run install:cuda`
 * adds CUDA provider libraries of several hundred MB to the same folder, and they must not ride along).
 * Not offered: darwin-x64 (onnxruntime-node 1.30 ships no macOS x64 binary), alpine-* (its Linux binaries
 * need glibc), linux-armhf (no onnxruntime-node binary), web (native modules cannot run in a browser).
 */
const LINUX_ORT = ['onnxruntime_binding.node', 'libonnxruntime.so.1'];
const WINDOWS_ORT = [
  'onnxruntime_binding.node',
  'onnxruntime.dll',
  'DirectML.dll',
  'dxcompiler.dll',
  'dxil.dll',
];
const TARGETS = {
  'linux-x64': { ort: 'linux/x64', ortFiles: LINUX_ORT, tokenizers: 'linux-x64-gnu' },
  'linux-arm64': { ort: 'linux/arm64', ortFiles: LINUX_ORT, tokenizers: 'linux-arm64-gnu' },
  'darwin-arm64': {
    ort: 'darwin/arm64',
    // The binding loads libonnxruntime.1.dylib; npm ships the versioned name as a copy, not a link.
    ortFiles: ['onnxruntime_binding.node', 'libonnxruntime.1.dylib'],
    tokenizers: 'darwin-arm64',
  },
  'win32-x64': { ort: 'win32/x64', ortFiles: WINDOWS_ORT, tokenizers: 'win32-x64-msvc' },
  'win32-arm64': { ort: 'win32/arm64', ortFiles: WINDOWS_ORT, tokenizers: 'win32-arm64-msvc' },
};

const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6';

function parseArgs(argv) {
  const opts = { target: `${process.platform}-${process.arch}`, out: undefined, lsOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') opts.target = argv[++i];
    else if (a === '--out') opts.out = argv[++i];
    else if (a === '--ls') opts.lsOnly = true;
    else if (a === '--help' || a === '-h') {
      console.log(
        `usage: npm run package -- [--target ${Object.keys(TARGETS).join('|')}] [--out FILE] [--ls]`,
      );
      process.exit(0);
    } else {
      console.error(`package: unknown argument '${a}'`);
      process.exit(2);
    }
  }
  if (!TARGETS[opts.target]) {
    console.error(
      `package: no VSIX for target '${opts.target}'. Targets: ${Object.keys(TARGETS).join(', ')} ` +
        '(see README "Packaging" for why the others are missing).',
    );
    process.exit(2);
  }
  return opts;
}

/** The .vscodeignore allowlist plus the target's native binaries, as a file for vsce's --ignoreFile. */
function ignoreFileFor(target, dir) {
  const t = TARGETS[target];
  const lines = [
    readFileSync(join(root, '.vscodeignore'), 'utf8').trimEnd(),
    '',
    `# Native binaries for ${target} only (added by scripts/package-vsix.mjs).`,
    ...t.ortFiles.map((f) => `!${ORT_BIN}/${t.ort}/${f}`),
    `!node_modules/tokenizers/tokenizers.${t.tokenizers}.node`,
    '',
  ];
  const file = join(dir, `vscodeignore.${target}`);
  writeFileSync(file, lines.join('\n'));
  return file;
}

const vsce = (args, opts = {}) =>
  execFileSync(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...opts,
  });

/** Fails when the listed files miss what the target needs or carry anything of another platform. */
function checkContents(files, target) {
  const t = TARGETS[target];
  const problems = [];
  const need = [
    'package.json',
    'dist/extension.js',
    'dist/cli.js',
    'dist/runtimeWorker.js',
    'dist/webview/stats.js',
    'dist/webview/train.js',
    'node_modules/onnxruntime-node/dist/index.js',
    'node_modules/onnxruntime-common/dist/cjs/index.js',
    'node_modules/onnxruntime-common/dist/cjs/package.json',
    ...t.ortFiles.map((f) => `${ORT_BIN}/${t.ort}/${f}`),
    'node_modules/tokenizers/index.js',
    `node_modules/tokenizers/tokenizers.${t.tokenizers}.node`,
  ];
  for (const f of need) if (!files.includes(f)) problems.push(`missing ${f}`);
  for (const f of files) {
    if (f.startsWith(`${ORT_BIN}/`) && !f.startsWith(`${ORT_BIN}/${t.ort}/`))
      problems.push(`other platform: ${f}`);
    if (/^node_modules\/tokenizers\/.*\.node$/.test(f) && !f.endsWith(`.${t.tokenizers}.node`))
      problems.push(`other platform: ${f}`);
    if (/\.(map|ts)$/.test(f)) problems.push(`not needed at run time: ${f}`);
  }
  return problems;
}

function summarize(files) {
  const groups = new Map();
  let total = 0;
  for (const f of files) {
    const size = statSync(join(root, f)).size;
    total += size;
    const m = /^(node_modules\/[^/]+|[^/]+\/|[^/]+$)/.exec(f);
    const key = m ? m[1].replace(/\/$/, '') : f;
    const g = groups.get(key) ?? { files: 0, bytes: 0 };
    g.files++;
    g.bytes += size;
    groups.set(key, g);
  }
  const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  console.log(`vsce ls: ${files.length} files, ${mb(total)} uncompressed`);
  for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`  ${key.padEnd(34)} ${String(g.files).padStart(4)} files  ${mb(g.bytes).padStart(9)}`);
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const out = opts.out ?? join(root, `${manifest.name}-${opts.target}-${manifest.version}.vsix`);
  const t = TARGETS[opts.target];
  for (const p of [
    ...t.ortFiles.map((f) => `${ORT_BIN}/${t.ort}/${f}`),
    `node_modules/tokenizers/tokenizers.${t.tokenizers}.node`,
  ]) {
    if (!existsSync(join(root, p))) {
      console.error(`package: ${p} is missing — run \`npm ci\` first (set-up does).`);
      process.exit(1);
    }
  }
  const scratch = mkdtempSync(join(tmpdir(), 'reward-studio-package-'));
  let built = false;
  try {
    console.log('── package: production build (esbuild --production)');
    execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, stdio: 'inherit' });
    built = true;
    const ignoreFile = ignoreFileFor(opts.target, scratch);
    // Dependency detection stays on (npm list --production): with it off, vsce leaves out node_modules entirely.
    const common = ['--no-yarn', '--ignoreFile', ignoreFile];
    const files = vsce(['ls', ...common])
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
      .sort();
    summarize(files);
    const problems = checkContents(files, opts.target);
    if (problems.length) {
      console.error(`package: the VSIX contents are wrong for ${opts.target}:\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
      return;
    }
    if (opts.lsOnly) return;
    console.log(`── package: vsce package --target ${opts.target}`);
    rmSync(out, { force: true });
    mkdirSync(dirname(out), { recursive: true }); // vsce does not create it
    vsce(['package', ...common, '--target', opts.target, '--out', out, '--allow-missing-repository'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const size = statSync(out).size;
    console.log(`VSIX: ${out} (${(size / 1024 / 1024).toFixed(1)} MB, target ${opts.target})`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (built) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  }
}

try {
  main();
} catch (error) {
  // execFileSync's error repeats the command; vsce has already printed why it failed.
  console.error(`package: ${error.message.split('\n')[0]}`);
  process.exitCode = 1;
}
