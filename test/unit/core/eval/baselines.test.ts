// Baselines on hand-made pairs whose answers can be worked out on paper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { charLength } from '../../../../src/core/data/record';
import { splitHash } from '../../../../src/core/data/split';
import { accuracy, inTuneSlice, lengthBaseline, trainBagOfWords, wordTokens, type BagOfWordsPair } from '../../../../src/core/eval/baselines';
import { mulberry32 } from '../../../../src/core/random';

void test('length baseline: the share of pairs whose chosen response is longer, ties counting half', () => {
  const pairs = [
    { chosen: 'three', rejected: 'one' }, // chosen longer
    { chosen: 'one', rejected: 'three' }, // rejected longer
    { chosen: 'ab', rejected: 'cd' }, // tie
    { chosen: 'four', rejected: 'si' }, // chosen longer
  ];
  assert.deepEqual(lengthBaseline(pairs, charLength), { accuracy: 2.5 / 4, pairs: 4, chosenLonger: 2, rejectedLonger: 1, ties: 1 });
  // The measure decides the unit: characters count an emoji once; words see a tie where characters do not.
  assert.equal(lengthBaseline([{ chosen: '😀😀', rejected: 'abc' }], charLength).accuracy, 0);
  const words = (s: string): number => wordTokens(s).length;
  assert.equal(lengthBaseline([{ chosen: 'a b', rejected: 'long words' }], words).accuracy, 0.5);
  // Token ids: the length of each row.
  const tokens = [
    { chosen: Int32Array.of(1, 2, 3), rejected: Int32Array.of(1, 2) },
    { chosen: Int32Array.of(1), rejected: Int32Array.of(1, 2) },
  ];
  assert.equal(lengthBaseline(tokens, (ids) => ids.length).accuracy, 0.5);
  // Not learned: when the shorter answer always wins, "longer wins" scores 0, not 1.
  assert.equal(lengthBaseline([{ chosen: 'a', rejected: 'aa' }], charLength).accuracy, 0);
});

void test('length baseline refuses no pairs and lengths that are not numbers', () => {
  assert.throws(() => lengthBaseline([], charLength), /no pairs/);
  assert.throws(() => lengthBaseline([{ chosen: 'a', rejected: 'b' }], () => NaN), /pair 0/);
});

void test('accuracy counts a pair right when chosen scores higher, half when the scores are equal', () => {
  const byLength = { score: (t: string) => t.length };
  const pairs = [
    { chosen: 'aaa', rejected: 'a' },
    { chosen: 'a', rejected: 'aaa' },
    { chosen: 'aa', rejected: 'bb' },
  ];
  assert.equal(accuracy(byLength, pairs), 1.5 / 3);
  assert.throws(() => accuracy(byLength, []), /no pairs/);
});

void test('word tokens: lower-cased letters and digits, inner apostrophes kept, punctuation dropped', () => {
  assert.deepEqual(wordTokens('Don’t STOP, it\'s 42!  Café-au-lait'), ['don’t', 'stop', "it's", '42', 'café', 'au', 'lait']);
  assert.deepEqual(wordTokens('?! …'), []);
});

void test('bag of words fits the Bradley–Terry optimum of a one-word task: the weight gap is logit of the win rate', () => {
  // "good" beats "bad" in 3 of 4 pairs. With binary features and no length feature Δφ = e_good − e_bad
  // (or its negative), so the fitted margin w_good − w_bad is logit(3/4) = ln 3 as λ → 0, split evenly
  // between the two weights by the L2 penalty's symmetry.
  const pairs = [
    { chosen: 'good', rejected: 'bad' },
    { chosen: 'good', rejected: 'bad' },
    { chosen: 'good', rejected: 'bad' },
    { chosen: 'bad', rejected: 'good' },
  ];
  const model = trainBagOfWords(pairs, { weighting: 'binary', lengthFeature: false, l2: 1e-9, minDocumentFrequency: 1 });
  assert.deepEqual([...model.vocabulary].sort(), ['bad', 'good']);
  const margin = model.score('good') - model.score('bad');
  assert.ok(Math.abs(margin - Math.log(3)) < 1e-4, `margin ${margin} vs ln 3 = ${Math.log(3)}`);
  assert.ok(Math.abs(model.score('good') + model.score('bad')) < 1e-6, 'the L2 penalty splits the gap evenly');
  assert.equal(model.lengthWeight, 0);
  assert.equal(accuracy(model, pairs), 0.75);
  // An unknown word and no words both score 0 (no bias term: a Bradley–Terry model needs none).
  assert.equal(model.score('unseen'), 0);
  assert.equal(model.score(''), 0);
});

/** Filler responses of 6–10 random words, with one planted word put in each side. */
function plantedPairs(n: number, seed: number): BagOfWordsPair[] {
  const rand = mulberry32(seed);
  const filler = Array.from({ length: 40 }, (_, i) => `w${i}`);
  const words = (k: number): string[] => Array.from({ length: k }, () => filler[Math.floor(rand() * filler.length)]);
  return Array.from({ length: n }, (_, i) => {
    const k = 6 + Math.floor(rand() * 5);
    // Same length on both sides, so length says nothing; the planted words say everything.
    const chosen = [...words(k), 'thanks'].sort(() => rand() - 0.5).join(' ');
    const rejected = [...words(k), 'whatever'].sort(() => rand() - 0.5).join(' ');
    return { chosen, rejected, group: `prompt ${Math.floor(i / 2)}` };
  });
}

void test('bag of words learns a planted word preference that length cannot see', () => {
  const train = plantedPairs(300, 1);
  const evalPairs = plantedPairs(200, 2);
  const model = trainBagOfWords(train);
  const thanks = model.wordWeights[model.vocabulary.indexOf('thanks')];
  const whatever = model.wordWeights[model.vocabulary.indexOf('whatever')];
  assert.ok(thanks > 0 && whatever < 0, `thanks ${thanks}, whatever ${whatever}`);
  const top = model.topWords(1);
  assert.deepEqual([top.positive[0][0], top.negative[0][0]], ['thanks', 'whatever']);
  assert.equal(accuracy(model, evalPairs), 1);
  assert.equal(lengthBaseline(evalPairs, (s) => wordTokens(s).length).accuracy, 0.5);
  // λ was chosen on a slice of the training pairs: every candidate reported, the lowest loss picked.
  assert.equal(model.tuning.length, 7);
  const best = model.tuning.reduce((a, b) => (b.validationLoss < a.validationLoss ? b : a));
  assert.equal(model.l2, best.l2);
  // The slice is prompt-grouped: its size is the number of pairs whose group hashes below the fraction.
  assert.equal(model.tunePairs, train.filter((p) => inTuneSlice(p.group!, 0.2)).length);
});

void test('the tuning slice is independent of a train/eval split made with the same seed', () => {
  // The train side of a split at evalFraction 0.5, seed '0': groups hashing ≥ 0.5 under that seed. Were the
  // slice drawn with the same hash, no train group would fall below 0.2 and nothing could be tuned.
  const all = plantedPairs(600, 4);
  const train = all.filter((p) => splitHash(p.group!, '0') >= 0.5);
  const model = trainBagOfWords(train, { tuneFraction: 0.2, seed: '0' });
  const share = model.tunePairs / train.length;
  assert.ok(share > 0.1 && share < 0.3, `tuning slice ${model.tunePairs} of ${train.length} pairs`);
});

void test('bag of words learns a length preference through its length feature', () => {
  const rand = mulberry32(5);
  const words = (k: number): string => Array.from({ length: k }, () => `w${Math.floor(rand() * 30)}`).join(' ');
  const pairs = Array.from({ length: 200 }, () => {
    const short = 2 + Math.floor(rand() * 4);
    return { chosen: words(short * 3), rejected: words(short) };
  });
  const model = trainBagOfWords(pairs, { l2: 1e-2 });
  assert.ok(model.lengthWeight > 0, `length weight ${model.lengthWeight}`);
  assert.equal(model.tuning.length, 0, 'one λ given: nothing tuned');
});

void test('bag of words is deterministic: the same pairs and options give the same weights', () => {
  const train = plantedPairs(120, 3);
  const a = trainBagOfWords(train, { weighting: 'count' });
  const b = trainBagOfWords(train, { weighting: 'count' });
  assert.deepEqual(a.vocabulary, b.vocabulary);
  assert.deepEqual(a.wordWeights, b.wordWeights);
  assert.equal(a.lengthWeight, b.lengthWeight);
  assert.deepEqual(a.tuning, b.tuning);
});

void test('bag of words refuses no pairs and a λ that is not positive; too few pairs to tune uses the grid middle', () => {
  assert.throws(() => trainBagOfWords([]), /no training pairs/);
  assert.throws(() => trainBagOfWords([{ chosen: 'a', rejected: 'b' }], { l2: 0 }), /l2 must be/);
  assert.throws(() => trainBagOfWords([{ chosen: 'a', rejected: 'b' }], { l2: [] }), /l2 must be/);
  const small = trainBagOfWords([{ chosen: 'yes yes', rejected: 'no no' }], { l2: [1e-3, 1e-2, 1e-1] });
  assert.equal(small.l2, 1e-2);
  assert.equal(small.tuning.length, 0);
  assert.equal(small.tunePairs, 0);
});
