#!/usr/bin/env node
// In-editor inspection (issue #8) on a large file: time to the first CodeLens, records scored per second
// (the score server alone, and in the editor), and editor input latency while the background pass runs.
//
//   node bench/inspect.mjs                       100,000-line file, 200 keys per measurement
//   node bench/inspect.mjs --lines 20000 --keys 40        a quick look
//   options: --lines N (100000)  --keys N (200)  --block N (20 keys per block when alternating editors)
//            --gap MS (40, after each key is on screen)  --max-wait S (420, from opening the file to the
//            end of its background pass; partial progress is reported past it)  --server-lines N (10000)
//            --large-file-optimizations (keep VS Code's default; see below)
//            --profile  also record CPU profiles in (a), (b), (c) and (d): the workbench page's (Chromium's
//                       sampling profiler, CDP) and the extension host's (its Node inspector, opened with
//                       SIGUSR1 on 127.0.0.1:9229); prints where each spent its time and keeps the
//                       .cpuprofile files in .bench/inspect (profiling slows both: quote no figure from it)
//
// Before the workbench: a small model is trained with the CLI (synth 3,000 pairs; d-model 64, 2 layers,
// max length 128, 1 epoch, CPU) and the big file is `synth --n N`. Then, in plain Node, the score server
// itself (dist/scoreServer.js through ScoreClient, as the extension forks it) scores the first
// --server-lines lines in chunks of 32, one request at a time as the extension sends them: cold (cache
// misses), then the same lines again (cache hits).
//
// Then the real workbench: code-server + Chromium (test/e2e/lib/session.ts). The workspace holds
// data/big.jsonl, data/big.txt (a byte-identical copy), models/bench and .vscode/settings.json with
// rewardStudio.inspect.model = models/bench. big.txt is associated with the JSON Lines language, so both
// editors get the very same editor features (tokenization, folding…) and differ only in being inspected
// (the extension inspects *.jsonl / *.ndjson files). Quick suggestions are off in the workspace, so
// that typing "x" does not open the suggest widget (equal for both editors, unrelated to inspection), and
// workbench.editorLargeFileConfirmation is desktop VS Code's 1024 MB (a remote workbench such as
// code-server shows "the file is not displayed … because it is very large" above 10 MB, with "Open Anyway").
//   (0) big.txt alone, once the renderer has settled after opening it (VS Code tokenizes, folds… a big
//       file for a while): 5 s of nothing (the CPU figures' idle line);
//   (a) big.txt alone, nothing scoring: N keys typed inside line 1's prompt string (baseline);
//   (b) big.jsonl opened beside it (Quick Open, Ctrl+Enter): time from Enter to its text on screen and to
//       the first CodeLens with "r(chosen)" in the DOM (stamped in the page: keydown and a MutationObserver);
//   (c) while the background pass runs (the status bar spinner; after at most 15 s for the renderer to
//       settle), N keys in big.jsonl and N in big.txt, alternating in blocks of --block: p95 of each and
//       their ratio, under the same load;
//   (d) the status bar item followed through the pass (a MutationObserver stamps every change of its
//       text): lines/s in the editor and the time to score the whole file;
//   (e) after the pass (when it ended within --max-wait), N/2 keys in each editor again, alternating:
//       inspection with nothing scoring; (c)/(e) is the pass's cost with the same two editors on screen.
// CPU per process role (/proc: renderer, extension host, score server, the rest of Chromium and of
// code-server) and the page's long tasks (PerformanceObserver) are reported per phase.
// Input latency = the keydown event's own time stamp (when the browser took the key, before it waited for
// the page's main thread) → the typed character in the editor's .view-lines (MutationObserver: the count
// of "x" after a marker typed once per editor). A capture keydown listener also stamps when the page got
// to handle the key, splitting the figure into waiting for the main thread and handling + rendering. The
// next key is pressed once the last one is on screen, plus --gap ms, so keys never queue. The driver's
// figure (keyboard.press → seen, through CDP) is printed beside the in-page one.
//
// VS Code turns CodeLens off (with tokenization, folding, …) for files over 20 MB or 300k lines
// (editor.largeFileOptimizations, on by default); a 100,000-line synth file is about 43 MB. The bench
// sets editor.largeFileOptimizations to false in the workspace so there is a CodeLens to time;
// --large-file-optimizations keeps VS Code's default (then expect no CodeLens at all on big files).
//
// Builds what it runs: `node esbuild.mjs` (the extension, the CLI, the score server) and
// `tsc -p test/e2e/tsconfig.json` (the harness). Exit status 1 when a step fails (no CodeLens, keys lost).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchDir, bundleSources, root } from './lib.mjs';

const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}
const LINES = Math.round(option('--lines', 100_000));
const KEYS = Math.round(option('--keys', 200));
const BLOCK = Math.round(option('--block', 20));
const GAP = option('--gap', 40);
const MAX_WAIT_S = option('--max-wait', 420);
const SERVER_LINES = Math.min(LINES, Math.round(option('--server-lines', 10_000)));
const KEEP_LFO = argv.includes('--large-file-optimizations');
const PROFILE = argv.includes('--profile');
const CHUNK = 32; // the extension's background chunk (CHUNK_BACKGROUND in inspectionManager.ts)
const PROMPT_COL = '{"prompt":"'.length + 1; // inside line 1's prompt string

const startedAt = performance.now();
const work = join(benchDir, 'inspect');
mkdirSync(work, { recursive: true });
const since = () => `${((performance.now() - startedAt) / 1000).toFixed(0)} s`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU time (clock ticks, /proc) of this bench's descendants, by role: the score server, the extension
 * host, the rest of code-server, Chromium's renderers, the rest of Chromium. Linux only; {} elsewhere.
 */
function cpuByRole() {
  const procs = new Map();
  let entries;
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return {};
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      procs.set(Number(pid), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), cmd });
    } catch {
      // gone meanwhile
    }
  }
  const out = {};
  const isOurs = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 30; hops++) {
      if (p === process.pid) return true;
      p = procs.get(p)?.ppid ?? 0;
    }
    return false;
  };
  for (const [pid, p] of procs) {
    if (pid === process.pid || !isOurs(pid)) continue;
    let role;
    if (p.cmd.includes('scoreServer.js')) role = 'score server';
    else if (p.cmd.includes('--type=extensionHost')) role = 'extension host';
    else if (/chrom/i.test(p.cmd)) role = p.cmd.includes('--type=renderer') ? 'renderer' : 'chromium other';
    else role = 'code-server other';
    out[role] = (out[role] ?? 0) + p.ticks;
  }
  out.at = performance.now();
  return out;
}
/** The extension host under this bench (code-server's Node with --type=extensionHost). */
function extensionHostPid() {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=extensionHost')) continue;
      let p = Number(pid);
      for (let hops = 0; p > 1 && hops < 30; hops++) {
        if (p === process.pid) return Number(pid);
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      }
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
const ROLES = ['renderer', 'extension host', 'score server', 'chromium other', 'code-server other'];
/** Percent of one core per role between two cpuByRole() snapshots (100 ticks per second). */
function cpuBetween(a, b) {
  const seconds = (b.at - a.at) / 1000;
  return Object.fromEntries(ROLES.map((r) => [r, Math.max(0, ((b[r] ?? 0) - (a[r] ?? 0)) / 100 / seconds) * 100]));
}

console.log('building: node esbuild.mjs; tsc -p test/e2e/tsconfig.json');
execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root, stdio: 'ignore' });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'test/e2e/tsconfig.json'], { cwd: root, stdio: 'inherit' });

/** Runs the CLI; returns what it printed (stdout and stderr). */
function cli(...args) {
  const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), ...args], { cwd: root, encoding: 'utf8' });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`reward-studio ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`);
  return out;
}

// ------------------------------------------------------------------------------------ model and data
const trainData = join(work, 'train.jsonl');
const modelDir = join(work, 'model');
const big = join(work, 'big.jsonl');
let t = performance.now();
cli('synth', '--out', trainData, '--n', '3000', '--seed', '1', '--force');
rmSync(modelDir, { recursive: true, force: true });
const trained = cli('train', '--data', trainData, '--out', modelDir, '--d-model', '64', '--n-heads', '4', '--n-layers', '2', '--max-length', '128', '--epochs', '1', '--provider', 'cpu', '--log-steps', '1000');
const accuracy = /held-out accuracy [\d.]+%/.exec(trained)?.[0] ?? '';
console.log(`model: trained in ${((performance.now() - t) / 1000).toFixed(1)} s (d-model 64, 2 layers, max length 128; ${accuracy})`);
cli('synth', '--out', big, '--n', String(LINES), '--seed', '2', '--force');
const bigBytes = statSync(big).size;
console.log(`data: ${LINES.toLocaleString('en-US')} lines, ${(bigBytes / 2 ** 20).toFixed(1)} MiB`);
if (bigBytes >= 50 * 2 ** 20) console.log('  note: 50 MiB or more: VS Code does not sync the document to extensions, nothing can be inspected');
const tooLargeForLens = bigBytes > 20 * 2 ** 20 || LINES > 300_000;
if (tooLargeForLens) {
  console.log(
    KEEP_LFO
      ? '  note: over 20 MiB with editor.largeFileOptimizations on (VS Code\'s default): VS Code shows no CodeLens on this file'
      : '  note: over 20 MiB: VS Code turns CodeLens off for it by default; the workspace sets editor.largeFileOptimizations: false',
  );
}

// ------------------------------------------------------------------------------- (2a) the score server
function quantile(sorted, q) {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return { p50: NaN, p95: NaN, max: NaN, n: 0 };
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), max: s.at(-1), n: s.length };
}
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1).padStart(7) : '      —');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '—');
const rate = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const report = [];
function line(s = '') {
  report.push(s);
  console.log(s);
}

const E = await bundleSources(
  'inspect',
  "export { ScoreClient } from '../../src/core/inspect/scoreClient';\nexport { detectLinesFormat } from '../../src/core/inspect/lines';\n",
);
const allLines = readFileSync(big, 'utf8').split('\n');
if (allLines.at(-1) === '') allLines.pop();
const detected = E.detectLinesFormat(allLines.slice(0, 64));
if (!('format' in detected)) throw new Error(`no format: ${detected.error}`);
const format = detected.format;

let server;
{
  const client = new E.ScoreClient({ script: join(root, 'dist/scoreServer.js') });
  try {
    t = performance.now();
    const model = await client.load(modelDir, 'auto');
    const loadMs = performance.now() - t;
    // Warm-up on lines outside the measured ones (first session runs), so "cold" means cache misses only.
    const warmup = allLines.slice(-2 * CHUNK).map((text, i) => ({ line: LINES - 2 * CHUNK + i + 1, text }));
    for (let a = 0; a < warmup.length; a += CHUNK) await client.scoreLines(model.key, format, big, warmup.slice(a, a + CHUNK));
    const measured = allLines.slice(0, SERVER_LINES).map((text, i) => ({ line: i + 1, text }));
    const pass = async () => {
      const before = await client.stats();
      const t0 = performance.now();
      let scored = 0;
      for (let a = 0; a < measured.length; a += CHUNK) {
        const chunk = measured.slice(a, a + CHUNK);
        const results = await client.scoreLines(model.key, format, big, chunk);
        if (results.length !== chunk.length) throw new Error(`scoreLines answered ${results.length} of ${chunk.length} lines`);
        scored += results.filter((r) => 'pairs' in r && !r.unscored).length;
      }
      const seconds = (performance.now() - t0) / 1000;
      const after = await client.stats();
      return { seconds, scored, hits: after.cacheHits - before.cacheHits, scoringMs: after.scoringMs - before.scoringMs };
    };
    const cold = await pass();
    const warm = await pass();
    server = { provider: model.provider, loadMs, cold, warm };
  } finally {
    client.dispose();
  }
}
const coldRate = SERVER_LINES / server.cold.seconds;
const warmRate = SERVER_LINES / server.warm.seconds;
line(`\n(2a) score server in plain Node (dist/scoreServer.js via ScoreClient; ${server.provider.toUpperCase()}; model loaded in ${server.loadMs.toFixed(0)} ms), ${SERVER_LINES.toLocaleString('en-US')} lines in chunks of ${CHUNK}:`);
line(`  cold (cache misses: ${SERVER_LINES - server.cold.hits}): ${rate(coldRate).padStart(9)} lines/s   (${server.cold.seconds.toFixed(2)} s; ${((100 * server.cold.scoringMs) / 1000 / server.cold.seconds).toFixed(0)}% of it tokenizing + session runs; ${server.cold.scored} lines scored)`);
line(`  warm (cache hits: ${server.warm.hits}):   ${rate(warmRate).padStart(9)} lines/s   (${server.warm.seconds.toFixed(2)} s)   warm/cold ${ratio(warmRate, coldRate)}×`);
if (server.cold.scored !== SERVER_LINES) {
  console.log(`  only ${server.cold.scored} of ${SERVER_LINES} lines scored`);
}
console.log(`[${since()}] starting the workbench`);

// ---------------------------------------------------------------------------------------- workbench
const require = createRequire(import.meta.url);
const { Session } = require(join(root, 'out/test/e2e/lib/session.js'));
const { activeTab, cursorAt, focusWorkbench } = require(join(root, 'out/test/e2e/lib/workbench.js'));

const TXT = 'big.txt';
const JSONL = 'big.jsonl';
const session = await Session.start({
  name: 'bench-inspect',
  seed: (ws) => {
    mkdirSync(join(ws, 'data'), { recursive: true });
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    copyFileSync(big, join(ws, 'data', JSONL));
    copyFileSync(big, join(ws, 'data', TXT));
    cpSync(modelDir, join(ws, 'models', 'bench'), { recursive: true, filter: (src) => !src.includes('checkpoints') });
    const settings = {
      'rewardStudio.inspect.model': 'models/bench',
      'files.associations': { [`**/${TXT}`]: 'jsonl' },
      'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
      'editor.wordBasedSuggestions': 'off',
      // A remote workbench (code-server, SSH, WSL) asks before it opens a file over 10 MB; desktop VS Code
      // over 1 GB. The desktop limit, so the files open at once.
      'workbench.editorLargeFileConfirmation': 1024,
      ...(KEEP_LFO ? {} : { 'editor.largeFileOptimizations': false }),
    };
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  },
});

let exitCode = 0;
const problems = [];
function fail(message) {
  exitCode = 1;
  problems.push(message);
  console.log(`FAILED: ${message}`);
}

/** The in-page probes: key stamps, the typed characters' render stamps, the status bar, the open. */
function installProbes() {
  const abs = () => performance.timeOrigin + performance.now();
  const rs = {
    keys: { txt: [], jsonl: [] },
    seen: { txt: [], jsonl: [] },
    count: { txt: 0, jsonl: 0 },
    current: null,
    phase: null,
    status: [],
    problems: [],
    open: null,
    marks: {},
  };
  window.__rs = rs;
  // Main-thread tasks over 50 ms (what delays a keystroke), for the per-phase figures.
  rs.longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) rs.longtasks.push({ t: performance.timeOrigin + e.startTime, d: e.duration });
    }).observe({ type: 'longtask' });
  } catch {
    // not supported
  }
  rs.group = (label) =>
    [...document.querySelectorAll('.editor-group-container')].find((g) => g.querySelector(`.tabs-container .tab.active[aria-label^="${label}"]`));
  rs.activeLabel = () => document.querySelector('.editor-group-container.active .tabs-container .tab.active')?.getAttribute('aria-label') ?? null;
  rs.focusedIn = (label) => {
    const g = rs.group(label);
    return !!g && !!document.activeElement && g.contains(document.activeElement);
  };
  window.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'x' && !e.ctrlKey && rs.current) rs.keys[rs.current].push({ t: performance.timeOrigin + e.timeStamp, handled: abs(), phase: rs.phase });
      if (e.key === 'Enter' && rs.open && rs.open.enterAt === undefined) rs.open.enterAt = abs();
    },
    true,
  );
  /** Stamps each "x" that appears after `marker` in the editor of the group showing `label`. */
  rs.watchEditor = (ed, label, marker) => {
    const g = rs.group(label);
    const lines = g?.querySelector('.monaco-editor .view-lines');
    if (!lines) return false;
    const re = new RegExp(`${marker}(x*)`);
    const check = () => {
      for (const l of lines.children) {
        const m = re.exec(l.textContent);
        if (!m) continue;
        const n = m[1].length;
        const at = abs();
        while (rs.seen[ed].length < n) rs.seen[ed].push(at);
        rs.count[ed] = n;
        return;
      }
    };
    new MutationObserver(check).observe(lines, { childList: true, subtree: true, characterData: true });
    check();
    return true;
  };
  rs.statusText = () => {
    const el = [...document.querySelectorAll('.part.statusbar .statusbar-item')].find((e) => e.id.includes('rewardStudio.inspect.model'));
    return el ? el.textContent.replace(/\s+/g, ' ').trim() : null;
  };
  rs.problemsText = () => document.getElementById('status.problems')?.textContent.replace(/\s+/g, ' ').trim() ?? null;
  rs.watchStatus = () => {
    const part = document.querySelector('.part.statusbar');
    if (!part) return false;
    let last;
    let lastProblems;
    const check = () => {
      const text = rs.statusText();
      if (text !== last) {
        last = text;
        rs.status.push({ t: abs(), text, active: rs.activeLabel() });
      }
      const p = rs.problemsText();
      if (p !== lastProblems) {
        lastProblems = p;
        rs.problems.push({ t: abs(), text: p });
      }
    };
    new MutationObserver(check).observe(part, { childList: true, subtree: true, characterData: true });
    check();
    return true;
  };
  /** The next Enter opens `label`: stamp its text on screen and (wantLens) its first scored CodeLens. */
  rs.armOpen = (label, wantLens) => {
    const o = { label, enterAt: undefined, textAt: undefined, lensAt: undefined, lensText: null };
    rs.open = o;
    const check = () => {
      if (o.enterAt === undefined) return;
      const g = rs.group(label);
      if (!g) return;
      if (o.textAt === undefined && g.querySelector('.monaco-editor .view-lines')?.textContent.includes('"prompt"')) o.textAt = abs();
      if (wantLens && o.lensAt === undefined) {
        for (const d of g.querySelectorAll('.codelens-decoration')) {
          if (d.textContent.includes('r(chosen)')) {
            o.lensAt = abs();
            o.lensText = d.textContent;
            break;
          }
        }
      }
      if (o.textAt !== undefined && (!wantLens || o.lensAt !== undefined)) o.stop();
    };
    const mo = new MutationObserver(check);
    o.stop = () => mo.disconnect();
    mo.observe(document.body, { childList: true, subtree: true, characterData: true });
  };
}

const { page } = session;
const driver = []; // {ed, phase, ms}
const typed = { txt: 0, jsonl: 0 };
const labelOf = { txt: TXT, jsonl: JSONL };
const focusKey = { txt: 'Control+1', jsonl: 'Control+2' };

/** Quick Open `name` (Ctrl+Enter: beside the active editor); in-page stamps from the Enter keydown. */
async function openFile(name, { side, wantLens, lensTimeoutMs }) {
  await focusWorkbench(page);
  const input = page.locator('.quick-input-widget input');
  await page.keyboard.press('Control+P');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
  await page.evaluate(([n, w]) => window.__rs.armOpen(n, w), [name, wantLens]);
  const t0 = performance.now();
  await page.keyboard.press(side ? 'Control+Enter' : 'Enter');
  await activeTab(page, name).waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => window.__rs.open.textAt !== undefined, null, { timeout: 120_000, polling: 100 });
  const driverText = performance.now() - t0;
  let driverLens;
  if (wantLens) {
    try {
      await page.waitForFunction(() => window.__rs.open.lensAt !== undefined, null, { timeout: lensTimeoutMs, polling: 100 });
      driverLens = performance.now() - t0;
    } catch {
      await page.evaluate(() => window.__rs.open.stop());
    }
  }
  const o = await page.evaluate(() => {
    const { enterAt, textAt, lensAt, lensText } = window.__rs.open;
    return { enterAt, textAt, lensAt, lensText };
  });
  return { ...o, driverText, driverLens };
}

/** Cursor inside line 1's prompt string of the focused editor, then `marker` typed once (not measured). */
async function prepareEditor(ed, marker) {
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < PROMPT_COL; i++) await page.keyboard.press('ArrowRight');
  await cursorAt(page, 1, PROMPT_COL);
  // Keep the mouse off the text: a hover over a record asks the extension for its details.
  const bar = await page.locator('.part.activitybar').boundingBox();
  if (bar) await page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height * 0.7);
  await page.keyboard.type(marker, { delay: 60 });
  await page.waitForFunction(
    ([label, m]) => window.__rs.group(label)?.querySelector('.monaco-editor .view-lines')?.textContent.includes(m),
    [labelOf[ed], marker],
    { timeout: 30_000 },
  );
  if (!(await page.evaluate(([e, label, m]) => window.__rs.watchEditor(e, label, m), [ed, labelOf[ed], marker]))) throw new Error(`no editor for ${labelOf[ed]}`);
}

async function focusEditor(ed) {
  await page.keyboard.press(focusKey[ed]);
  await page.waitForFunction((label) => window.__rs.focusedIn(label), labelOf[ed], { timeout: 10_000 });
  await sleep(300);
}

async function typeKeys(ed, n, phase) {
  await page.evaluate(([e, p]) => {
    window.__rs.current = e;
    window.__rs.phase = p;
  }, [ed, phase]);
  for (let i = 0; i < n; i++) {
    const k = ++typed[ed];
    const t0 = performance.now();
    await page.keyboard.press('x');
    await page.waitForFunction(([e, want]) => window.__rs.count[e] >= want, [ed, k], { polling: 'raf', timeout: 30_000 });
    driver.push({ ed, phase, ms: performance.now() - t0 });
    await sleep(GAP);
  }
  await page.evaluate(() => {
    window.__rs.current = null;
  });
}

/** N keys in each editor, alternating in blocks, big.jsonl first. */
async function alternate(n, phase) {
  const done = { txt: 0, jsonl: 0 };
  let ed = 'jsonl';
  while (done.txt < n || done.jsonl < n) {
    if (done[ed] < n) {
      await focusEditor(ed);
      const k = Math.min(BLOCK, n - done[ed]);
      await typeKeys(ed, k, phase);
      done[ed] += k;
    }
    ed = ed === 'jsonl' ? 'txt' : 'jsonl';
  }
  return done;
}

const PROGRESS = /([\d,]+)\/([\d,]+)/;
const count = (s) => Number(s.replace(/,/g, ''));

/** Where a page CPU profile's samples fell: self and inclusive time by function, idle and GC shares. */
function summarizeProfile(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.slice(f.url.lastIndexOf('/') + 1) : '';
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  const self = new Map();
  const incl = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const n = byId.get(id);
    self.set(name(n), (self.get(name(n)) ?? 0) + dt);
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const k = name(byId.get(p));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  });
  const special = (k) => /^\((root|program|idle|garbage collector)\)/.test(k);
  const sorted = (m) => [...m].filter(([k]) => !special(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  return { total, idle: self.get('(idle)') ?? 0, gc: self.get('(garbage collector)') ?? 0, program: self.get('(program)') ?? 0, self: sorted(self), incl: sorted(incl) };
}

let cdp;
const profiles = {};
/**
 * The extension host's profiler: a helper process opens the inspector of the extension host's Node
 * (SIGUSR1: 127.0.0.1:9229, checked to be that very process) and starts / stops its sampling profiler on
 * the lines `start` and `stop FILE` it reads; it answers `ok` or `error …`.
 */
const EXT_PROFILER = `
const pid = Number(process.env.EXT_PID);
let ws;
let next = 1;
const waiting = new Map();
const call = (method, params = {}) => new Promise((resolve, reject) => {
  const id = next++;
  waiting.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params }));
});
async function connect() {
  process.kill(pid, 'SIGUSR1');
  let list;
  for (let i = 0; i < 50 && !list; i++) {
    try { list = await (await fetch('http://127.0.0.1:9229/json/list')).json(); } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  if (!list?.length) throw new Error('no inspector on 127.0.0.1:9229');
  ws = new WebSocket(list[0].webSocketDebuggerUrl);
  ws.onmessage = (m) => {
    const r = JSON.parse(m.data);
    const w = waiting.get(r.id);
    if (!w) return;
    waiting.delete(r.id);
    r.error ? w.reject(new Error(r.error.message)) : w.resolve(r.result);
  };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('inspector socket failed')); });
  const who = await call('Runtime.evaluate', { expression: 'process.pid' });
  if (who.result.value !== pid) throw new Error('port 9229 belongs to pid ' + who.result.value + ', not the extension host');
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 500 });
}
const ready = connect();
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (d) => {
  buffer += d;
  let i;
  while ((i = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    try {
      await ready;
      if (line === 'start') await call('Profiler.start');
      else if (line.startsWith('stop ')) {
        const { profile } = await call('Profiler.stop');
        (await import('node:fs')).writeFileSync(line.slice(5), JSON.stringify(profile));
      }
      process.stdout.write('ok\\n');
    } catch (e) {
      process.stdout.write('error ' + e.message.replace(/\\n/g, ' ') + '\\n');
    }
  }
});
process.stdin.on('end', () => process.exit(0));
`;
let extProfiler;
async function extProfilerSay(command) {
  if (!extProfiler) {
    const pid = extensionHostPid();
    if (!pid) return 'error no extension host found';
    const flags = typeof WebSocket === 'undefined' ? ['--experimental-websocket', '--no-warnings'] : [];
    const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', EXT_PROFILER], { env: { ...process.env, EXT_PID: String(pid) }, stdio: ['pipe', 'pipe', 'inherit'] });
    extProfiler = { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
  }
  extProfiler.child.stdin.write(`${command}\n`);
  const answer = await Promise.race([extProfiler.lines.next(), sleep(30_000).then(() => ({ value: 'error no answer in 30 s' }))]);
  return answer.value ?? 'error the profiler helper ended';
}

async function profileStart() {
  if (!PROFILE) return;
  cdp ??= await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  const r = await extProfilerSay('start');
  if (r !== 'ok') console.log(`  extension host profile: ${r}`);
}
async function profileStop(name) {
  if (!PROFILE) return;
  const { profile } = await cdp.send('Profiler.stop');
  const file = join(work, `renderer-${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  profiles[name] = { file, ...summarizeProfile(profile) };
  const extFile = join(work, `exthost-${name}.cpuprofile`);
  if ((await extProfilerSay(`stop ${extFile}`)) === 'ok') profiles[`${name} (extension host)`] = { file: extFile, ...summarizeProfile(JSON.parse(readFileSync(extFile, 'utf8'))) };
}

/**
 * Waits until the workbench page's renderer uses less than `percent` of a core for 2 s running (VS Code
 * tokenizes, folds and measures a big file for a while after opening it), at most `maxS` s. Returns the
 * seconds waited and whether it settled.
 */
async function settle(percent, maxS) {
  const t0 = performance.now();
  let prev = cpuByRole();
  let quiet = 0;
  while (performance.now() - t0 < maxS * 1000) {
    await sleep(1000);
    const now = cpuByRole();
    quiet = cpuBetween(prev, now).renderer < percent ? quiet + 1 : 0;
    prev = now;
    if (quiet >= 2) return { seconds: (performance.now() - t0) / 1000, settled: true };
  }
  return { seconds: maxS, settled: false };
}
const settled = {};

const cpuAt = {};
const pageAt = {};
/** A phase boundary: CPU per process role, and the page's clock (for its long tasks). */
async function mark(name) {
  cpuAt[name] = cpuByRole();
  pageAt[name] = await page.evaluate(() => performance.timeOrigin + performance.now());
}

try {
  await page.evaluate(installProbes);
  if (!(await page.evaluate(() => window.__rs.watchStatus()))) throw new Error('no status bar');

  // (a) big.txt alone. Opening it (JSON Lines) activates the extension, which loads the model of
  // rewardStudio.inspect.model: wait for it, so the baseline runs with the score server idle.
  const openTxt = await openFile(TXT, { side: false, wantLens: false });
  await page.waitForFunction(() => /·/.test(window.__rs.statusText() ?? ''), null, { timeout: 120_000, polling: 250 });
  const modelStatus = await page.evaluate(() => window.__rs.statusText());
  console.log(`[${since()}] ${TXT} open; status bar: "${modelStatus}"`);
  await prepareEditor('txt', 'QTQ');
  settled.txt = await settle(30, 60);
  console.log(`[${since()}] renderer ${settled.txt.settled ? 'settled' : 'still busy'} after ${settled.txt.seconds.toFixed(0)} s of waiting`);
  // (0) 5 s of nothing: the CPU the workbench uses with the file open and nothing typed or scored.
  await mark('i0');
  await sleep(5000);
  await mark('i1');
  console.log(`[${since()}] (a) baseline: ${KEYS} keys in ${TXT}`);
  await mark('a0');
  await profileStart();
  await typeKeys('txt', KEYS, 'baseline');
  await profileStop('baseline');
  await mark('a1');

  // (b) big.jsonl beside it.
  console.log(`[${since()}] (b) opening ${JSONL}`);
  await profileStart();
  const openJsonl = await openFile(JSONL, { side: true, wantLens: true, lensTimeoutMs: 120_000 });
  await profileStop('open');
  if (openJsonl.lensAt === undefined) fail(`no CodeLens with "r(chosen)" on ${JSONL} within 120 s of opening it${tooLargeForLens && KEEP_LFO ? ' (expected: VS Code turns CodeLens off for files over 20 MB)' : ''}`);
  else console.log(`[${since()}] first CodeLens: "${openJsonl.lensText}"`);
  await prepareEditor('jsonl', 'QJQ');

  const statusNow = () => page.evaluate(() => window.__rs.statusText() ?? '');
  const spinning = async () => PROGRESS.test(await statusNow());
  // Let the renderer finish its own work on the new 40 MB model (tokens, folding…) before (c), as far as
  // it goes with the pass running.
  settled.jsonl = await settle(50, 15);
  console.log(`[${since()}] renderer ${settled.jsonl.settled ? 'under 50%' : 'still busy'} after ${settled.jsonl.seconds.toFixed(0)} s of waiting`);
  const loadedAtStart = await spinning();
  if (!loadedAtStart) console.log('  note: no progress in the status bar before typing: the background pass may have ended already');

  // (c) alternate while the pass runs.
  console.log(`[${since()}] (c) ${KEYS} keys in each editor, alternating in blocks of ${BLOCK}, while the pass runs`);
  await mark('c0');
  await profileStart();
  await alternate(KEYS, 'loaded');
  await profileStop('typing');
  await mark('c1');
  await profileStart();

  // (d) follow the pass to its end (or --max-wait from the open).
  await focusEditor('jsonl');
  const focusedAt = await page.evaluate(() => performance.timeOrigin + performance.now());
  const deadline = openJsonl.enterAt + MAX_WAIT_S * 1000;
  let done = false;
  let lastPrint = 0;
  console.log(`[${since()}] (d) following the background pass (at most ${MAX_WAIT_S} s from the open)`);
  for (;;) {
    const s = await page.evaluate(() => {
      const now = performance.timeOrigin + performance.now();
      const st = window.__rs.status;
      return { now, last: st.at(-1), lastSpin: st.filter((x) => /[\d,]+\/[\d,]+/.test(x.text ?? '')).at(-1) ?? null };
    });
    const lastIsSpin = PROGRESS.test(s.last?.text ?? '');
    // Done: the pass's last render (no progress) came with big.jsonl active, or nothing at all changed for
    // 20 s since big.jsonl has been active (it ended while big.txt was active).
    if (!lastIsSpin && s.last && s.last.t >= focusedAt && (s.last.active ?? '').startsWith(JSONL)) done = true;
    if (!lastIsSpin && (!s.lastSpin || s.lastSpin.t < focusedAt) && s.now - focusedAt > 20_000) done = true;
    if (done || s.now > deadline) break;
    if (Date.now() - lastPrint > 30_000 && s.lastSpin) {
      lastPrint = Date.now();
      console.log(`  ${((s.now - openJsonl.enterAt) / 1000).toFixed(0)} s after the open: ${PROGRESS.exec(s.lastSpin.text)[0]}`);
    }
    await sleep(1000);
  }
  await mark('d1');
  await profileStop('pass');

  // (e) inspection with nothing scoring.
  let after;
  if (done) {
    await sleep(2000);
    console.log(`[${since()}] (e) ${Math.ceil(KEYS / 2)} keys in each editor, alternating, after the pass`);
    await mark('e0');
    await alternate(Math.ceil(KEYS / 2), 'after');
    await mark('e1');
    after = true;
  }

  // -------------------------------------------------------------------------------------- the figures
  const probe = await page.evaluate(() => {
    const rs = window.__rs;
    return { keys: rs.keys, seen: rs.seen, count: rs.count, status: rs.status, problems: rs.problems, longtasks: rs.longtasks };
  });
  for (const ed of ['txt', 'jsonl']) {
    if (probe.count[ed] !== typed[ed] || probe.keys[ed].length !== typed[ed]) {
      fail(`${labelOf[ed]}: ${typed[ed]} keys pressed, ${probe.keys[ed].length} keydowns seen, ${probe.count[ed]} characters on screen`);
    }
  }
  const spinSamples = probe.status.filter((s) => PROGRESS.test(s.text ?? '')).map((s) => {
    const m = PROGRESS.exec(s.text);
    return { t: s.t, scored: count(m[1]), total: count(m[2]) };
  });
  const lastSpin = spinSamples.at(-1);
  // When the pass ended: the first status change after the last progress (a render without progress).
  const endSample = lastSpin ? probe.status.find((s) => s.t > lastSpin.t && !PROGRESS.test(s.text ?? '')) : undefined;
  const endedWithJsonlActive = !!endSample && (endSample.active ?? '').startsWith(JSONL);
  const loadEnd = done ? (endSample?.t ?? lastSpin?.t ?? Infinity) : Infinity;

  /** Per key: event time → on screen, and the part spent before the page could handle the key. */
  const latencies = (ed, phase, underLoad) => {
    const out = [];
    probe.keys[ed].forEach((k, i) => {
      if (k.phase !== phase || probe.seen[ed][i] === undefined) return;
      if (underLoad && !(k.t < loadEnd)) return;
      out.push({ total: probe.seen[ed][i] - k.t, wait: k.handled - k.t });
    });
    return out;
  };
  const row = (name, values) => {
    const s = stats(values.map((v) => v.total));
    const w = stats(values.map((v) => v.wait));
    line(`  ${name.padEnd(46)} p50 ${ms(s.p50)} ms   p95 ${ms(s.p95)} ms   max ${ms(s.max)} ms   (n = ${s.n}; main-thread wait p50 ${w.p50.toFixed(1)}, p95 ${w.p95.toFixed(1)} ms)`);
    return s;
  };
  const driverRow = (name, ed, phase) => {
    const s = stats(driver.filter((d) => d.ed === ed && d.phase === phase).map((d) => d.ms));
    line(`  ${name.padEnd(46)} p50 ${ms(s.p50)} ms   p95 ${ms(s.p95)} ms   (driver: keyboard.press → seen, via CDP)`);
  };

  line(`\ninspect bench: ${LINES.toLocaleString('en-US')} lines (${(bigBytes / 2 ** 20).toFixed(1)} MiB), ${KEYS} keys per measurement, ${GAP} ms gap; ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}; editor.largeFileOptimizations ${KEEP_LFO ? 'on (default)' : 'off'}`);
  line(`  (2a) score server: cold ${rate(coldRate)} lines/s, warm (cache hits) ${rate(warmRate)} lines/s, warm/cold ${ratio(warmRate, coldRate)}×`);

  line(`\n(1) opening (Quick Open Enter → …, in the page):`);
  const openRow = (name, v, drv) => line(`  ${name.padEnd(46)} ${Number.isFinite(v) ? `${(v / 1000).toFixed(2).padStart(7)} s` : '      —  '}   (driver ${Number.isFinite(drv) ? (drv / 1000).toFixed(2) : '—'} s)`);
  openRow(`${TXT}: text on screen`, openTxt.textAt - openTxt.enterAt, openTxt.driverText);
  openRow(`${JSONL}: text on screen`, openJsonl.textAt - openJsonl.enterAt, openJsonl.driverText);
  const lensMs = openJsonl.lensAt - openJsonl.enterAt;
  openRow(`${JSONL}: first CodeLens with rewards`, lensMs, openJsonl.driverLens);
  if (Number.isFinite(lensMs)) line(`  first CodeLens after the text: ${((openJsonl.lensAt - openJsonl.textAt) / 1000).toFixed(2)} s`);
  if (settled.txt) line(`  then waited for the renderer to settle (under 30% of a core for 2 s) after ${TXT}: ${settled.txt.settled ? `${settled.txt.seconds.toFixed(0)} s` : `not within ${settled.txt.seconds} s`}; after ${JSONL} (under 50%, the pass running): ${settled.jsonl?.settled ? `${settled.jsonl.seconds.toFixed(0)} s` : `not within ${settled.jsonl?.seconds} s`}`);
  // The first chunk's diagnostics follow its scores by 100 ms: an upper bound on when scoring began.
  const firstProblems = probe.problems.find((p) => p.t >= openJsonl.enterAt && /[1-9]/.test(p.text ?? ''));
  if (firstProblems) openRow(`first disagreement in the Problems count`, firstProblems.t - openJsonl.enterAt, NaN);

  line(`\n(2) records scored per second in the editor (status bar progress, ${spinSamples.length} samples while ${JSONL} was active):`);
  const rateBetween = (a, b) => (a && b && b.t > a.t ? (b.scored - a.scored) / ((b.t - a.t) / 1000) : NaN);
  let editorRate = NaN;
  if (spinSamples.length >= 2) {
    editorRate = rateBetween(spinSamples[0], lastSpin);
    const typingEnd = probe.keys.txt.concat(probe.keys.jsonl).filter((k) => k.phase === 'loaded').reduce((m, k) => Math.max(m, k.t), 0);
    const during = spinSamples.filter((s) => s.t <= typingEnd);
    const idle = spinSamples.filter((s) => s.t > typingEnd);
    line(`  overall ${rate(editorRate)} lines/s (${spinSamples[0].scored.toLocaleString('en-US')} → ${lastSpin.scored.toLocaleString('en-US')} in ${((lastSpin.t - spinSamples[0].t) / 1000).toFixed(1)} s)`);
    if (during.length >= 2) line(`  while typing (c): ${rate(rateBetween(during[0], during.at(-1)))} lines/s`);
    if (idle.length >= 2) line(`  not typing (d):   ${rate(rateBetween(idle[0], idle.at(-1)))} lines/s`);
    line(`  editor / score server alone (cold): ${ratio(editorRate, coldRate)}×`);
  } else {
    line('  too few progress samples (the pass ended before the status bar showed its progress twice)');
    if (!spinSamples.length && LINES >= 5000) fail('the status bar never showed the background pass\'s progress');
  }
  if (done) {
    const endT = endSample?.t ?? lastSpin?.t;
    const exact = endedWithJsonlActive ? '' : ` (it ended while ${TXT} was active: between ${((lastSpin.t - openJsonl.enterAt) / 1000).toFixed(1)} s and this)`;
    line(`  whole file scored ${((endT - openJsonl.enterAt) / 1000).toFixed(1)} s after the open${exact}`);
  } else {
    const left = lastSpin ? lastSpin.total - lastSpin.scored : NaN;
    line(`  NOT finished within --max-wait ${MAX_WAIT_S} s: ${lastSpin ? `${lastSpin.scored.toLocaleString('en-US')} of ${lastSpin.total.toLocaleString('en-US')} lines` : 'no progress seen'}; at ${rate(editorRate)} lines/s the rest needs about ${Number.isFinite(left / editorRate) ? (left / editorRate).toFixed(0) : '—'} s more`);
  }
  const problemsSeen = probe.problems.filter((p) => p.t >= openJsonl.enterAt);
  if (problemsSeen.length) {
    const firstNonZero = problemsSeen.find((p) => /[1-9]/.test(p.text ?? ''));
    line(`  Problems indicator: ${firstNonZero ? `first non-zero ${((firstNonZero.t - openJsonl.enterAt) / 1000).toFixed(1)} s after the open ("${firstNonZero.text}")` : 'never non-zero'}; last "${problemsSeen.at(-1).text}"`);
    if (/\b1K\b/.test(problemsSeen.at(-1).text ?? '')) line('  (1K: VS Code keeps 1,000 diagnostics per file and adds one "Not showing N further errors and warnings")');
  }

  line(`\n(3) input latency, key event → character on screen (in the page; main-thread wait: event → keydown handler):`);
  const base = row(`(a) ${TXT} alone, nothing scoring`, latencies('txt', 'baseline', false));
  driverRow(`(a) ${TXT} alone`, 'txt', 'baseline');
  const underLoad = (ed) => latencies(ed, 'loaded', true);
  const lj = row(`(c) ${JSONL} while the pass runs`, underLoad('jsonl'));
  const lt = row(`(c) ${TXT} while the pass runs`, underLoad('txt'));
  driverRow(`(c) ${JSONL}`, 'jsonl', 'loaded');
  driverRow(`(c) ${TXT}`, 'txt', 'loaded');
  const dropped = ['txt', 'jsonl'].map((ed) => latencies(ed, 'loaded', false).length - underLoad(ed).length);
  if (dropped[0] + dropped[1]) line(`  (${dropped[0] + dropped[1]} keys of (c) typed after the pass ended are left out)`);
  line(`  p95 ratio inspected / uninspected under the same load: ${ratio(lj.p95, lt.p95)}   (p50 ${ratio(lj.p50, lt.p50)})`);
  line(`  p95 ratio vs (a): ${JSONL} ${ratio(lj.p95, base.p95)}, ${TXT} ${ratio(lt.p95, base.p95)}`);
  if (after) {
    const aj = row(`(e) ${JSONL} after the pass`, latencies('jsonl', 'after', false));
    const at = row(`(e) ${TXT} after the pass`, latencies('txt', 'after', false));
    line(`  p95 ratio inspected / uninspected after the pass: ${ratio(aj.p95, at.p95)}; vs (a): ${JSONL} ${ratio(aj.p95, base.p95)}, ${TXT} ${ratio(at.p95, base.p95)}`);
    line(`  p95 ratio while the pass runs / after it (the same two editors): ${JSONL} ${ratio(lj.p95, aj.p95)}, ${TXT} ${ratio(lt.p95, at.p95)}   (p50 ${ratio(lj.p50, aj.p50)}, ${ratio(lt.p50, at.p50)})`);
  }
  if (!loadedAtStart) line('  note: the background pass was not seen running when (c) began: (c) is not under load');
  if (lj.p95 / lt.p95 > 1.5) line(`  aim inspected/uninspected p95 ≤ 1.5: NOT met`);
  else if (Number.isFinite(lj.p95 / lt.p95)) line(`  aim inspected/uninspected p95 ≤ 1.5: met`);

  line(`\nwhere the CPU goes (% of one core; ${cpus().length} cores) and the workbench's long tasks (main thread, > 50 ms):`);
  const short = { renderer: 'renderer', 'extension host': 'ext host', 'score server': 'score srv', 'chromium other': 'chromium', 'code-server other': 'code-srv' };
  line(`  ${'phase'.padEnd(40)}${ROLES.map((r) => short[r].padStart(10)).join('')}   long tasks/s   ms/s`);
  const phases = [
    ['i0', 'i1', '(0) idle, nothing scoring'],
    ['a0', 'a1', '(a) typing, nothing scoring'],
    ['c0', 'c1', '(c) typing while the pass runs'],
    ['c1', 'd1', `(d) pass${done ? ' to its end' : ''}, not typing`],
    ['e0', 'e1', '(e) typing after the pass'],
  ];
  for (const [from, to, name] of phases) {
    if (!cpuAt[from] || !cpuAt[to] || !cpuAt[from].at) continue;
    const c = cpuBetween(cpuAt[from], cpuAt[to]);
    const seconds = (pageAt[to] - pageAt[from]) / 1000;
    const tasks = probe.longtasks.filter((l) => l.t >= pageAt[from] && l.t < pageAt[to]);
    const busy = tasks.reduce((a, l) => a + l.d, 0);
    line(`  ${`${name} (${seconds.toFixed(0)} s)`.padEnd(40)}${ROLES.map((r) => `${c[r].toFixed(0)}%`.padStart(10)).join('')}   ${(tasks.length / seconds).toFixed(2).padStart(12)}   ${(busy / seconds).toFixed(0).padStart(4)}`);
  }
  for (const [phase, p] of Object.entries(profiles)) {
    const pct = (x) => `${((100 * x) / p.total).toFixed(1)}%`;
    const [key, host] = phase.split(' (');
    const what = { baseline: '(a) typing, nothing scoring', open: '(b) opening big.jsonl to its first CodeLens', typing: '(c) typing while the pass runs', pass: '(d) the pass, not typing' }[key];
    line(`\n${host ? 'extension host' : 'workbench page'} CPU profile, ${what} (${(p.total / 1000).toFixed(1)} s sampled; idle ${pct(p.idle)}, garbage collector ${pct(p.gc)}, program ${pct(p.program)}; ${p.file}):`);
    line('  self time:');
    for (const [k, v] of p.self) line(`    ${pct(v).padStart(6)}  ${k}`);
    line('  inclusive time:');
    for (const [k, v] of p.incl) line(`    ${pct(v).padStart(6)}  ${k}`);
  }
  if (problems.length) line(`\nfailures:\n  ${problems.join('\n  ')}`);
  writeFileSync(join(work, 'last-run.json'), JSON.stringify({ args: argv, server, openTxt, openJsonl, probe, driver, cpuAt, pageAt, report }, null, 1));
  console.log(`\n(raw stamps: ${join(work, 'last-run.json')}; ${since()} in all)`);
} catch (error) {
  exitCode = 1;
  console.error(error instanceof Error ? error.stack : error);
  await session.captureFailure('bench-inspect').then((saved) => console.error(`artifacts:\n  ${saved.join('\n  ')}`), () => undefined);
} finally {
  extProfiler?.child.stdin.end();
  await session.stop();
}
process.exit(exitCode);
