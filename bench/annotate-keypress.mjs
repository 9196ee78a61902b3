#!/usr/bin/env node
// Keypress to next item rendered, in the real workbench: code-server + Chromium (the harness of test/e2e,
// lib/session.ts), "Annotate with Reward Studio" on a fresh queue, then N judgements by keyboard (a/b
// alternately). Aim: p95 < 50 ms.
//
//   node bench/annotate-keypress.mjs              200 judgements (after 5 warm-up judgements)
//   node bench/annotate-keypress.mjs --n 50       fewer, for a quick look
//   node bench/annotate-keypress.mjs --gap 300    wait 300 ms before each key (an annotator's pace;
//                                                 default 0: the next key as soon as the item shows)
//
// Measured inside the browser: a capture-phase keydown listener in the webview's document stamps the key
// (it arrives there first: the webview forwards it to the workbench keybinding, which runs the judging
// command on the extension host; the host posts the next item at once (`advance`), appends the line with
// fsync, then posts the state that confirms it), and a MutationObserver on the app stamps the moment the
// next item's prompt text is in the DOM. Both stamps are performance.timeOrigin + performance.now() of the
// same frame. Two figures: keypress → next item visible (whichever message brought it), and keypress →
// host-confirmed (the state whose judged count includes this judgement reaches the webview: the line is in
// the file). The driver's own view (from page.keyboard.press until waitForFunction sees the prompt) is
// printed beside them; it adds Playwright's round trips (CDP) and polling. At the end the judgements file
// must hold exactly one line per key.
//
// Builds what it runs: `node esbuild.mjs` (the extension) and `tsc -p test/e2e/tsconfig.json` (the harness).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const nArg = argv.indexOf('--n');
const N = nArg >= 0 ? Number(argv[nArg + 1]) : 200;
const gapArg = argv.indexOf('--gap');
const GAP = gapArg >= 0 ? Number(argv[gapArg + 1]) : 0;
const WARMUP = 5;
if (!Number.isInteger(N) || N < 1) throw new Error('--n needs a positive integer');

console.log('building: node esbuild.mjs; tsc -p test/e2e/tsconfig.json');
execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root, stdio: 'ignore' });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'test/e2e/tsconfig.json'], { cwd: root, stdio: 'inherit' });

const require = createRequire(import.meta.url);
const { Session } = require(join(root, 'out/test/e2e/lib/session.js'));
const { quickOpen, runCommand, webviewFrame } = require(join(root, 'out/test/e2e/lib/workbench.js'));

const ITEMS = WARMUP + N + 5;
function queueLine(i) {
  return JSON.stringify({
    prompt: `Question ${i}: which answer to ${i} + ${i} is right?`,
    response_a: `The answer is **${2 * i}**. It is the sum of ${i} and ${i}.`,
    response_b: `Let me think.\n\n\`\`\`python\nprint(${i} + ${i})\n\`\`\`\n\nThe answer is ${2 * i + 1}, I believe.`,
  });
}

function quantile(sorted, q) {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

function summary(name, values) {
  const s = [...values].sort((a, b) => a - b);
  const f = (x) => x.toFixed(1).padStart(7);
  console.log(`${name.padEnd(62)} p50 ${f(quantile(s, 0.5))} ms   p95 ${f(quantile(s, 0.95))} ms   max ${f(s.at(-1))} ms   (n = ${s.length})`);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), max: s.at(-1), n: s.length };
}

async function panelFrame(page) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || !frame.parentFrame()) continue;
      if ((await frame.locator('body[data-layout="panel"] .progress-count').count().catch(() => 0)) > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error('no annotation panel after 60 s');
    await page.waitForTimeout(250);
  }
}

const session = await Session.start({
  name: 'bench-annotate-keypress',
  seed: (ws) => {
    mkdirSync(join(ws, 'data'), { recursive: true });
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(join(ws, 'data', 'queue.jsonl'), Array.from({ length: ITEMS }, (_, i) => queueLine(i + 1)).join('\n') + '\n');
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'rewardStudio.annotate.annotator': 'bench' }));
  },
});
let exitCode = 0;
try {
  const { page } = session;
  await quickOpen(page, 'queue.jsonl');
  await runCommand(page, 'Reward Studio: Annotate with Reward Studio');
  await webviewFrame(page, 'A is better', 60_000);
  const frame = await panelFrame(page);
  await frame.waitForFunction((n) => document.querySelector('.progress-count')?.getAttribute('data-total') === String(n), ITEMS, { timeout: 60_000 });
  await frame.locator('.prompt').click({ position: { x: 4, y: 4 } });
  await page.waitForTimeout(500); // the focus report reaches the host and turns the keybindings on

  await frame.evaluate(() => {
    const abs = () => performance.timeOrigin + performance.now();
    const b = { keydown: [], rendered: new Map(), arrived: [], advanced: [] };
    window.__bench = b;
    document.addEventListener('keydown', (e) => { if (e.key === 'a' || e.key === 'b') b.keydown.push(abs()); }, true);
    // The host's messages reaching the app's frame: the message event's own timeStamp (when it was created,
    // before the app's listener renders it), whichever listener runs first. A state confirms judgement k
    // when its judged count is k; an advance brings the next item ahead of the write.
    window.addEventListener('message', (e) => {
      const t = performance.timeOrigin + e.timeStamp;
      if (e.data?.type === 'state') b.arrived.push({ t, judged: e.data.state?.progress?.judged });
      if (e.data?.type === 'advance') {
        const m = /^Question (\d+):/.exec(typeof e.data.item?.prompt === 'string' ? e.data.item.prompt : '');
        if (m) b.advanced.push({ t, item: Number(m[1]) });
      }
    }, true);
    let last = '';
    const app = document.getElementById('app');
    new MutationObserver(() => {
      const text = document.querySelector('.prompt .markdown')?.textContent ?? '';
      if (text === last) return;
      last = text;
      const m = /^Question (\d+):/.exec(text);
      if (m && !b.rendered.has(Number(m[1]))) b.rendered.set(Number(m[1]), abs());
    }).observe(app, { childList: true, subtree: true, characterData: true });
  });

  const driver = [];
  const total = WARMUP + N;
  for (let k = 1; k <= total; k++) {
    if (GAP > 0) await page.waitForTimeout(GAP);
    const t0 = performance.now();
    await page.keyboard.press(k % 2 ? 'a' : 'b');
    await frame.waitForFunction(
      (next) => (document.querySelector('.prompt .markdown')?.textContent ?? '').startsWith(`Question ${next}:`),
      k + 1,
      { polling: 'raf', timeout: 15_000 },
    );
    if (k > WARMUP) driver.push(performance.now() - t0);
  }
  // Every judgement confirmed by the host (the last keys' lines may still be being written).
  await frame.waitForFunction((n) => document.querySelector('.progress-count')?.getAttribute('data-judged') === String(n), total, { timeout: 30_000 });
  const inPage = await frame.evaluate(({ warmup, total }) => {
    const b = window.__bench;
    const out = [];
    const confirmed = [];
    const viaAdvance = { message: [], render: [] };
    const viaState = { message: [], render: [] };
    for (let k = warmup + 1; k <= total; k++) {
      const down = b.keydown[k - 1];
      const shown = b.rendered.get(k + 1);
      if (down === undefined || shown === undefined) continue;
      out.push(shown - down);
      // The first state that counts judgement k as written (states held back during a burst of keys are
      // covered by the next one).
      const arrived = b.arrived.find((a) => a.judged >= k && a.t >= down);
      if (arrived) confirmed.push(arrived.t - down);
      // What brought the item on screen: its advance, when that came before the render; else the state.
      const advanced = b.advanced.find((a) => a.item === k + 1 && a.t >= down && a.t <= shown);
      const byState = b.arrived.find((a) => a.judged === k && a.t >= down && a.t <= shown);
      const by = advanced ?? byState;
      if (by) {
        const split = advanced ? viaAdvance : viaState;
        split.message.push(by.t - down);
        split.render.push(shown - by.t);
      }
    }
    return { latencies: out, keydowns: b.keydown.length, confirmed, viaAdvance, viaState };
  }, { warmup: WARMUP, total });

  console.log(`\nkeypress → next item rendered, ${N} judgements (${WARMUP} warm-up not counted; ${GAP} ms between keys); ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`);
  let verdict;
  if (inPage.latencies.length === N) verdict = summary('in the browser (keydown → next prompt in DOM)', inPage.latencies);
  else console.log(`in the browser: only ${inPage.latencies.length} of ${N} pairs stamped (keydowns seen: ${inPage.keydowns}); see the driver's figure`);
  for (const [name, split] of [['advance', inPage.viaAdvance], ['state', inPage.viaState]]) {
    if (split.message.length === 0) continue;
    console.log(`  shown by the host's ${name} (${split.message.length} of ${inPage.latencies.length}):`);
    summary(`    keydown → ${name} at the webview`, split.message);
    summary(`    ${name} at the webview → in DOM`, split.render);
  }
  if (inPage.confirmed.length === N) summary('host-confirmed (keydown → state with the judgement written)', inPage.confirmed);
  else console.log(`host-confirmed: only ${inPage.confirmed.length} of ${N} states matched`);
  const drv = summary('driver (keyboard.press → prompt seen, via CDP)', driver);
  const written = readFileSync(join(session.scratch.workspace, 'data', 'queue.judged.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const items = new Set(written.map((l) => JSON.parse(l).meta?.sourceLine));
  console.log(`judgements file: ${written.length} lines for ${total} keys, ${items.size} distinct items`);
  if (written.length !== total || items.size !== total) {
    exitCode = 1;
    console.log('judgements file: NOT one line per key');
  }
  const p95 = (verdict ?? drv).p95;
  console.log(`aim p95 < 50 ms: ${p95 < 50 ? 'met' : 'NOT met'} (${p95.toFixed(1)} ms)`);
} catch (error) {
  exitCode = 1;
  console.error(error instanceof Error ? error.stack : error);
} finally {
  await session.stop();
}
process.exit(exitCode);
