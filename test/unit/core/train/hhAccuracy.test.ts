// Honest accuracy on real data: HH-RLHF helpful-base + harmless-base (../shared/data, 4.6k pairs), a
// prompt-grouped split, the built-in backbone trained from scratch (all parameters) through the real
// trainer — beside the length-only baseline and a bag-of-words logistic regression computed on exactly
// the pairs the trainer evaluated. No pretrained backbone exists here, so the 65–80% a pretrained one
// gives is not the bar. What is asserted is what holds run after run (see the experiments in the issue
// note: across splits and seeds every figure sits within a few points of chance): the figures are
// computed on the same pairs, nothing leaks between the sides of the split, the model fits its training
// pairs, and no held-out figure is implausibly high. The figures themselves are printed.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readAllPairs } from '../../../../src/core/data/pipeline';
import { charLength, textOf } from '../../../../src/core/data/record';
import { promptGroupKey, splitSideOf } from '../../../../src/core/data/split';
import { accuracy, lengthBaseline, trainBagOfWords } from '../../../../src/core/eval/baselines';
import { loadTokenizer, tokenizePairs } from '../../../../src/core/tokenize';
import { resolveTrainConfig } from '../../../../src/core/train/config';
import type { StepEvent, TrainEvent } from '../../../../src/core/train/events';
import { runTraining } from '../../../../src/core/train/trainer';
import { sharedData, tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);


void test('HH-RLHF: the built-in backbone from scratch beside the length-only and bag-of-words baselines on one prompt-grouped split', async (t) => {
  const data = join(tmp.dir, 'hh.jsonl');
  writeFileSync(
    data,
    readFileSync(sharedData('hh-rlhf', 'helpful-base-test.clean.pcr.jsonl'), 'utf8') + readFileSync(sharedData('hh-rlhf', 'harmless-base-test.clean.pcr.jsonl'), 'utf8'),
  );
  const config = resolveTrainConfig({
    source: 'test',
    values: {
      builtin: { dModel: 32, nHeads: 4, nLayers: 1 },
      tokenizerVocabSize: 4000,
      maxLength: 256,
      batchSize: 16,
      epochs: 3,
      learningRate: 1e-3,
      schedule: 'cosine',
      warmupRatio: 0.05,
      evalFraction: 0.2,
      seed: 1,
      provider: 'cpu',
      logSteps: 10,
    },
  });
  const out = join(tmp.dir, 'run');
  const events: TrainEvent[] = [];
  const done = await runTraining({ dataFile: data, outDir: out, config, cacheDir: null, onEvent: (e) => events.push(e) });
  assert.equal(done.status, 'completed');

  // The split, as the trainer made it; the eval pairs it kept are the ones its tokenizer keeps.
  const { pairs } = await readAllPairs(data);
  const trainItems = pairs.filter((p) => splitSideOf(p.pair, { evalFraction: config.evalFraction, seed: String(config.seed) }) === 'train');
  const evalItems = pairs.filter((p) => splitSideOf(p.pair, { evalFraction: config.evalFraction, seed: String(config.seed) }) === 'eval');
  const trainPrompts = new Set(trainItems.map((p) => promptGroupKey(p.pair)));
  assert.ok(evalItems.every((p) => !trainPrompts.has(promptGroupKey(p.pair))), 'no prompt is on both sides of the split');
  const tokenizer = await loadTokenizer(out);
  const kept = await tokenizePairs(
    evalItems.map((p) => ({ pair: p.pair, source: { file: data, line: p.line } })),
    tokenizer,
    { maxLength: config.maxLength, truncation: config.truncation, textTemplate: config.template, onLongResponse: 'truncate' },
  );
  const keptLines = new Set(kept.pairs.map((p) => p.source.line));
  const evalPairs = evalItems.filter((p) => keptLines.has(p.line)).map((p) => ({ chosen: textOf(p.pair.chosen), rejected: textOf(p.pair.rejected) }));
  const model = done.bestEval!;
  assert.equal(model.pairs, evalPairs.length, 'the model and the baselines are measured on the same pairs');
  assert.ok(evalPairs.length > 800, `${evalPairs.length} eval pairs`);

  const length = lengthBaseline(evalPairs, charLength).accuracy;
  const bow = trainBagOfWords(trainItems.map((p) => ({ chosen: textOf(p.pair.chosen), rejected: textOf(p.pair.rejected), group: promptGroupKey(p.pair) })));
  const bowAccuracy = accuracy(bow, evalPairs);
  assert.equal(done.evalBagOfWordsBaseline, bowAccuracy, 'the run reports the same bag-of-words baseline on the same pairs');
  const steps = events.filter((e): e is StepEvent => e.type === 'step');
  const lastEpoch = steps.filter((s) => s.epoch > config.epochs - 1);
  const trainAccuracy = lastEpoch.reduce((s, e) => s + e.accuracy, 0) / lastEpoch.length;

  t.diagnostic(
    `HH-RLHF held-out (${evalPairs.length} pairs, prompt-grouped, seed ${config.seed}): built-in backbone ${(100 * model.accuracy).toFixed(1)}% ` +
      `(best by eval loss, step ${model.step}); length-only ${(100 * length).toFixed(1)}% (characters), ${(100 * done.evalLengthBaseline!).toFixed(1)}% (tokens); ` +
      `bag-of-words logistic regression ${(100 * bowAccuracy).toFixed(1)}% (λ ${bow.l2}); last-epoch training accuracy ${(100 * trainAccuracy).toFixed(1)}%`,
  );
  // The model fits the pairs it trains on: the step between memorising and generalising is the data.
  assert.ok(trainAccuracy > 0.56, `training accuracy in the last epoch ${trainAccuracy}`);
  // Nothing leaks into the held-out figures: all of them sit in the band HH allows without pretraining.
  for (const [name, x] of [
    ['model', model.accuracy],
    ['length', length],
    ['bag of words', bowAccuracy],
  ] as const) {
    assert.ok(x > 0.42 && x < 0.66, `${name}: ${x}`);
  }
});
