// The whole training run — JSONL in, tokenizer trained on it, prompt-grouped split, built-in backbone,
// evaluation, export — on a synthetic set with a planted ground-truth reward: every word carries a
// hidden weight, a response's reward is the sum of its words' weights, and the labels are drawn from
// the Bradley–Terry model of that reward. The best attainable accuracy on the held-out pairs is known
// exactly (mean of max(p, 1 − p)); the trained model must get near it, and far past length alone.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { splitSideOf } from '../../../../src/core/data/split';
import { mulberry32 } from '../../../../src/core/random';
import { resolveTrainConfig } from '../../../../src/core/train/config';
import { runTraining } from '../../../../src/core/train/trainer';
import { tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

const WORDS = 'amber basil cedar delta ember fjord grove heron iris juniper kelp lotus maple nectar onyx pearl quartz raven sage thyme umber violet willow yarrow zinnia acorn birch clover dune elm'.split(' ');

void test('a run on a planted-reward set reaches near its attainable held-out accuracy', async (t) => {
  const rand = mulberry32(11);
  const weight = new Map(WORDS.map((w) => [w, rand() * 2 - 1]));
  const phrase = (lo: number, hi: number): string[] => Array.from({ length: lo + Math.floor(rand() * (hi - lo + 1)) }, () => WORDS[Math.floor(rand() * WORDS.length)]);
  const beta = 3;
  const lines: string[] = [];
  const pOf = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const prompt = phrase(2, 4).join(' ') + ` #${i}`; // distinct prompts: the split has 3000 groups
    const a = phrase(2, 6);
    const b = phrase(2, 6);
    const r = (x: string[]): number => x.reduce((s, w) => s + weight.get(w)!, 0);
    const pa = 1 / (1 + Math.exp(-beta * (r(a) - r(b))));
    const aWins = rand() < pa;
    pOf.set(prompt, Math.max(pa, 1 - pa));
    lines.push(JSON.stringify({ prompt, chosen: (aWins ? a : b).join(' '), rejected: (aWins ? b : a).join(' ') }));
  }
  const data = join(tmp.dir, 'planted.jsonl');
  writeFileSync(data, lines.join('\n') + '\n');

  const config = resolveTrainConfig({
    source: 'test',
    values: {
      builtin: { dModel: 32, nHeads: 4, nLayers: 2 },
      tokenizerVocabSize: 400,
      maxLength: 48,
      batchSize: 32,
      epochs: 6,
      learningRate: 3e-3,
      schedule: 'cosine',
      evalFraction: 0.2,
      provider: 'cpu',
      logSteps: 50,
    },
  });
  const done = await runTraining({ dataFile: data, outDir: join(tmp.dir, 'run'), config });
  assert.equal(done.status, 'completed');

  // The attainable accuracy on exactly the held-out pairs the run evaluated on.
  let attainable = 0;
  let n = 0;
  for (const l of lines) {
    const rec = JSON.parse(l) as { prompt: string; chosen: string; rejected: string };
    if (splitSideOf(rec, { evalFraction: config.evalFraction, seed: String(config.seed) }) !== 'eval') continue;
    attainable += pOf.get(rec.prompt)!;
    n++;
  }
  attainable /= n;
  const best = done.bestEval!;
  assert.equal(best.pairs, n);
  const card = JSON.parse(readFileSync(join(tmp.dir, 'run', 'reward-model.json'), 'utf8'));
  t.diagnostic(
    `held-out accuracy ${(100 * best.accuracy).toFixed(1)}% vs attainable ${(100 * attainable).toFixed(1)}% and length-only ${(100 * done.evalLengthBaseline!).toFixed(1)}% ` +
      `(${n} pairs, ${card.training.steps} steps, ${card.training.elapsedSeconds.toFixed(0)} s)`,
  );
  assert.ok(attainable > 0.75, `attainable ${attainable}`);
  assert.ok(best.accuracy >= attainable - 0.06, `held-out accuracy ${best.accuracy.toFixed(3)} vs attainable ${attainable.toFixed(3)}`);
  assert.ok(best.accuracy > done.evalLengthBaseline! + 0.15, `accuracy ${best.accuracy} vs length-only ${done.evalLengthBaseline}`);
});
