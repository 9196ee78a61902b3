// Token-level preference batches: chosen rows then rejected rows, right-padded to one length (so the
// two sides of a pair always share it), with the attention mask marking real tokens.

export interface TokenizedPair {
  chosen: ArrayLike<number>;
  rejected: ArrayLike<number>;
  margin?: number;
}

export interface PairBatch {
  /** Pairs in the batch (B); rows = 2B. */
  pairs: number;
  seqLen: number;
  /** int64 [2B, seqLen]: rows 0..B−1 chosen, B..2B−1 rejected. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** [B] margins (0 where a pair has none). */
  margin: Float64Array;
  /** Real tokens in the batch (for tokens/s). */
  tokens: number;
}

export function collatePairs(pairs: readonly TokenizedPair[], padId = 0, seqLen?: number): PairBatch {
  const B = pairs.length;
  if (B === 0) throw new Error('collatePairs: an empty batch');
  let T = seqLen ?? 0;
  if (seqLen === undefined) for (const p of pairs) T = Math.max(T, p.chosen.length, p.rejected.length);
  const ids = new BigInt64Array(2 * B * T).fill(BigInt(padId));
  const mask = new BigInt64Array(2 * B * T);
  const margin = new Float64Array(B);
  let tokens = 0;
  const put = (row: number, seq: ArrayLike<number>): void => {
    if (seq.length === 0) throw new Error(`collatePairs: row ${row} has no tokens`);
    if (seq.length > T) throw new Error(`collatePairs: a sequence of ${seq.length} tokens does not fit seqLen ${T}`);
    for (let t = 0; t < seq.length; t++) {
      ids[row * T + t] = BigInt(seq[t]);
      mask[row * T + t] = 1n;
    }
    tokens += seq.length;
  };
  pairs.forEach((p, i) => {
    put(i, p.chosen);
    put(B + i, p.rejected);
    margin[i] = p.margin ?? 0;
  });
  return { pairs: B, seqLen: T, inputIds: ids, attentionMask: mask, margin, tokens };
}
