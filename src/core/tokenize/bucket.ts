// Length-bucketed batches: pairs of similar length share a batch, so collatePairs pads little. Pairs are
// shuffled within a bucket and the batches are shuffled among themselves, both from the seed.
import { mulberry32 } from '../random';
import type { TokenizedPair } from '../train/batch';

export interface BucketOptions {
  batchSize: number;
  /** Lengths are rounded up to a multiple of this before sorting (pairs within a bucket are shuffled). */
  bucketMultiple?: number;
  seed: number;
}

export interface PaddingStats {
  /** Real tokens / tokens in the padded [2B, T] batches (T = the longest side in each batch). */
  efficiency: number;
  realTokens: number;
  paddedTokens: number;
}

export interface BucketedBatches<P extends TokenizedPair> extends PaddingStats {
  batches: P[][];
}

function pairLength(p: TokenizedPair): number {
  return Math.max(p.chosen.length, p.rejected.length);
}

/** How much of the padded batches collatePairs would build is real tokens. */
export function paddingStats(batches: readonly (readonly TokenizedPair[])[]): PaddingStats {
  let real = 0;
  let padded = 0;
  for (const b of batches) {
    let T = 0;
    for (const p of b) {
      T = Math.max(T, pairLength(p));
      real += p.chosen.length + p.rejected.length;
    }
    padded += 2 * b.length * T;
  }
  return { efficiency: padded === 0 ? 1 : real / padded, realTokens: real, paddedTokens: padded };
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

export function bucketBatches<P extends TokenizedPair>(pairs: readonly P[], opts: BucketOptions): BucketedBatches<P> {
  const { batchSize, seed } = opts;
  const multiple = opts.bucketMultiple ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`bucketBatches: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(multiple) || multiple < 1) throw new Error(`bucketBatches: bucketMultiple must be a positive integer, got ${multiple}`);
  const rand = mulberry32(seed);
  const key = (p: P): number => Math.ceil(pairLength(p) / multiple);
  // Shuffle first, then a stable sort by bucket: random order within a bucket, sorted across buckets.
  const order = shuffle(
    pairs.map((_, i) => i),
    rand,
  ).sort((a, b) => key(pairs[a]) - key(pairs[b]));
  const batches: P[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize).map((j) => pairs[j]));
  shuffle(batches, rand);
  return { batches, ...paddingStats(batches) };
}

/** Batches in a seeded random order with no regard to length: the baseline bucketing is measured against. */
export function randomBatches<P extends TokenizedPair>(pairs: readonly P[], batchSize: number, seed: number): BucketedBatches<P> {
  const order = shuffle([...pairs], mulberry32(seed));
  const batches: P[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return { batches, ...paddingStats(batches) };
}
