// Length bucketing: much less padding than random batches, deterministic per seed, every pair once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../../src/core/random';
import { collatePairs, type TokenizedPair } from '../../../../src/core/train/batch';
import { bucketBatches, paddingStats, randomBatches } from '../../../../src/core/tokenize';

/**
 * Pairs shaped like real data: a shared prompt of widely spread (log-uniform) length plus two responses
 * of 4–40 tokens; each tagged by its index in `margin`.
 */
function syntheticPairs(n: number, seed: number): TokenizedPair[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const prompt = 2 + Math.floor(Math.exp(rand() * 6));
    const response = (): number => 4 + Math.floor(rand() * 37);
    return { chosen: new Int32Array(prompt + response()).fill(1), rejected: new Int32Array(prompt + response()).fill(2), margin: i };
  });
}

void test('bucketing pads far less than random batching', () => {
  const pairs = syntheticPairs(2000, 7);
  const bucketed = bucketBatches(pairs, { batchSize: 16, seed: 1 });
  const random = randomBatches(pairs, 16, 1);
  assert.ok(bucketed.efficiency > 0.7, `bucketed efficiency ${bucketed.efficiency}`);
  assert.ok(bucketed.efficiency > random.efficiency + 0.2, `bucketed ${bucketed.efficiency} vs random ${random.efficiency}`);
  assert.equal(bucketed.realTokens, random.realTokens);
  // The efficiency matches what collatePairs actually builds.
  let padded = 0;
  for (const b of bucketed.batches) padded += collatePairs(b).inputIds.length;
  assert.equal(padded, bucketed.paddedTokens);
  assert.deepEqual(paddingStats(bucketed.batches), { efficiency: bucketed.efficiency, realTokens: bucketed.realTokens, paddedTokens: bucketed.paddedTokens });
});

void test('every pair appears exactly once; batches are full but the last', () => {
  const pairs = syntheticPairs(203, 3);
  const { batches } = bucketBatches(pairs, { batchSize: 16, seed: 5 });
  const seen = batches.flat().map((p) => p.margin).sort((a, b) => (a ?? 0) - (b ?? 0));
  assert.deepEqual(seen, pairs.map((_, i) => i));
  assert.equal(batches.filter((b) => b.length !== 16).length, 1);
});

void test('deterministic per seed; another seed gives another order', () => {
  const pairs = syntheticPairs(500, 11);
  const order = (seed: number): number[] => bucketBatches(pairs, { batchSize: 8, seed, bucketMultiple: 16 }).batches.flat().map((p) => p.margin ?? -1);
  assert.deepEqual(order(42), order(42));
  assert.notDeepEqual(order(42), order(43));
  assert.throws(() => bucketBatches(pairs, { batchSize: 0, seed: 1 }), /batchSize/);
});
