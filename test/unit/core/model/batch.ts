// Shared by the model tests: a tiny config, reference parameters in the engine's layout, and
// right-padded int64 batches.
import { mulberry32 } from '../../../../src/core/random';
import type { BuiltinBackboneConfig, ModelParams } from '../../../../src/core/model';
import type { Feed } from '../../../helpers/ort';
import { initParams, type Params } from '../../../helpers/reference/tinyGpt';

export const CONFIG: BuiltinBackboneConfig = { vocab: 13, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 10, eps: 1e-5 };

/** Reference-style random parameters (large enough that every part matters) with a non-zero head. */
export function referenceParams(seed: number, c: BuiltinBackboneConfig = CONFIG): Params {
  const rand = mulberry32(seed);
  const p = initParams(c, rand, 0.4);
  // Non-trivial norms and biases too, so a wrong wiring of any of them shows.
  for (const [name, a] of p) {
    if (name === 'head.w') a.forEach((_, i) => (a[i] = rand() * 2 - 1));
    else if (/\.(g)$/.test(name)) a.forEach((_, i) => (a[i] = 1 + (rand() - 0.5) * 0.4));
    else if (a.length === c.dModel || /\.b/.test(name)) a.forEach((_, i) => (a[i] = (rand() - 0.5) * 0.2));
  }
  return p;
}

export const asModelParams = (p: Params): ModelParams => p;

export function toFloat32(p: Params): ModelParams {
  const out: ModelParams = new Map();
  for (const [n, a] of p) out.set(n, Float32Array.from(a));
  return out;
}

/** Random token sequences of the given lengths (ids in [1, vocab)). */
export function sequences(rand: () => number, lengths: readonly number[], vocab = CONFIG.vocab): number[][] {
  return lengths.map((n) => Array.from({ length: n }, () => 1 + Math.floor(rand() * (vocab - 1))));
}

/** Right-padded int64 feeds; `pad(row, position)` gives the id of each padding slot (default 0). */
export function padded(rows: readonly number[][], opts: { seqLen?: number; pad?: (row: number, pos: number) => number } = {}): { input_ids: Feed; attention_mask: Feed } {
  const T = opts.seqLen ?? Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * T);
  const mask = new BigInt64Array(rows.length * T);
  rows.forEach((r, i) => {
    for (let t = 0; t < T; t++) {
      const real = t < r.length;
      ids[i * T + t] = BigInt(real ? r[t] : (opts.pad?.(i, t) ?? 0));
      mask[i * T + t] = real ? 1n : 0n;
    }
  });
  return {
    input_ids: { type: 'int64', data: ids, dims: [rows.length, T] },
    attention_mask: { type: 'int64', data: mask, dims: [rows.length, T] },
  };
}

export function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}
