#!/usr/bin/env node
// `npm run demo`: the main job on data the project makes itself, through the CLI a user would run.
//   1. generate a preference set whose labels come from a planted reward (so the best attainable
//      accuracy is known), and show its stats — including the length-only baseline;
//   2. train a reward model on it with the built-in backbone, on whatever provider `auto` finds;
//   3. print held-out accuracy beside the length-only baseline and the attainable accuracy;
//   4. score the held-out pairs with the exported model, as `reward-studio score` does for any file.
// Everything lands in .demo/. A few minutes on a 2-core CPU.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.demo');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const rel = (p) => relative(root, p) || '.';

function cli(args, opts = {}) {
  console.log(`\n$ reward-studio ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', cwd: root, encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) {
    console.error(`\ndemo: 'reward-studio ${args[0]}' exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
  return r;
}

const t0 = Date.now();
const data = join(dir, 'synthetic.jsonl');
cli(['synth', '--out', rel(data), '--n', '6000', '--seed', '7']);
cli(['stats', rel(data)]);

// A small built-in model (the default is d 256 × 4 layers, sized for real data): it reaches the
// planted reward's neighbourhood in a few minutes of CPU.
const out = join(dir, 'model');
cli([
  'train',
  '--data', rel(data),
  '--out', rel(out),
  '--d-model', '128',
  '--n-heads', '4',
  '--n-layers', '2',
  '--tokenizer-vocab-size', '2000',
  '--max-length', '160',
  '--epochs', '4',
  '--batch-size', '16',
  '--lr', '5e-4',
  '--schedule', 'cosine',
  '--log-steps', '25',
]);

const card = JSON.parse(readFileSync(join(out, 'reward-model.json'), 'utf8'));
const best = card.eval.best ?? card.eval.last;
const pct = (x) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);

// Score the same file with the exported model (what `score` does for any file the user has).
const scored = join(dir, 'scored.jsonl');
cli(['score', '--model', rel(out), '--data', rel(data), '--out', rel(scored)]);

console.log('\n── result ─────────────────────────────────────────────');
console.log(`held-out pairs           ${best.pairs}  (prompt-grouped split: no prompt is on both sides)`);
console.log(`held-out accuracy        ${pct(best.accuracy)}  (best checkpoint by eval loss, step ${best.step})`);
console.log(`length-only baseline     ${pct(card.eval.lengthBaseline)}  (the longer response wins)`);
console.log(`bag-of-words baseline    ${pct(card.eval.bagOfWordsBaseline)}  (logistic regression on the responses' words, same pairs)`);
console.log(`provider                 ${card.training.provider}, ${card.training.steps} steps in ${Math.round(card.training.elapsedSeconds)} s`);
console.log(`model                    ${rel(join(out, 'reward-model.onnx'))}  (+ reward-model.json, tokenizer.json, train.log, checkpoints/)`);
console.log(`scored copy of the data  ${rel(scored)}`);
console.log(`demo wall time           ${Math.round((Date.now() - t0) / 1000)} s`);
console.log('\nThe labels were drawn from a planted reward through the Bradley–Terry model; `synth` printed the');
console.log('accuracy that reward itself reaches (the ceiling). Open the folder in VS Code and run');
console.log('"Reward Studio: Show Training Dashboard" to see the curves; "Reward Studio: Select Reward Model…"');
console.log(`on ${rel(out)} and open ${rel(data)} to see each record's rewards above it in the editor.`);
