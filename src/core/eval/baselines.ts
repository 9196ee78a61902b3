// Baselines a reward model's held-out accuracy is set beside, computed on the same pairs:
//
// - length-only: "the longer response wins". Its accuracy is the share of pairs whose chosen response
//   is the longer one, ties counting half. Nothing is learned (the sign is not fitted), so on data where
//   annotators prefer the shorter answer it falls below 50% — which is itself the finding.
// - bag-of-words: a linear Bradley–Terry model on the words of the responses,
//   P(chosen ≻ rejected) = σ(w·(φ(chosen) − φ(rejected))), fitted by L-BFGS with an L2 penalty tuned on a
//   slice of the training pairs. It shows how much of a task plain word choice already explains.
//
// Pure TypeScript, deterministic (fixed iteration order, no randomness beyond the seeded tuning slice).
import { splitHash } from '../data/split';

/** A pair of responses, in whatever form a measure or scorer reads (text, token ids, …). */
export interface ResponsePair<T> {
  chosen: T;
  rejected: T;
}

export interface LengthBaselineResult {
  /** (chosenLonger + ties / 2) / pairs. */
  accuracy: number;
  pairs: number;
  chosenLonger: number;
  rejectedLonger: number;
  ties: number;
}

/**
 * The length-only baseline: the accuracy of a scorer that prefers the longer response. `measure` gives a
 * response's length in the unit wanted — characters (`charLength` from core/data), words, or tokens
 * (`(ids) => ids.length`: the shared prompt adds the same count to both sides, so full rows compare alike).
 */
export function lengthBaseline<T>(pairs: readonly ResponsePair<T>[], measure: (response: T) => number): LengthBaselineResult {
  if (pairs.length === 0) throw new Error('lengthBaseline: no pairs to measure');
  let chosenLonger = 0;
  let rejectedLonger = 0;
  let ties = 0;
  pairs.forEach((p, i) => {
    const c = measure(p.chosen);
    const r = measure(p.rejected);
    if (!Number.isFinite(c) || !Number.isFinite(r)) throw new Error(`lengthBaseline: pair ${i} has a length that is not a finite number (${c}, ${r})`);
    if (c > r) chosenLonger++;
    else if (c < r) rejectedLonger++;
    else ties++;
  });
  return { accuracy: (chosenLonger + ties / 2) / pairs.length, pairs: pairs.length, chosenLonger, rejectedLonger, ties };
}

/** Anything that gives a text a reward. */
export interface TextScorer {
  score(text: string): number;
}

/** Share of pairs the scorer ranks right (chosen scored above rejected); equal scores count half. */
export function accuracy(model: TextScorer, pairs: readonly ResponsePair<string>[]): number {
  if (pairs.length === 0) throw new Error('accuracy: no pairs to evaluate');
  let right = 0;
  for (const p of pairs) {
    const c = model.score(p.chosen);
    const r = model.score(p.rejected);
    if (c > r) right++;
    else if (c === r) right += 0.5;
  }
  return right / pairs.length;
}

// ---------------------------------------------------------------------------------------------------
// Bag of words

/**
 * Lower-cased word tokens: runs of letters and digits, with an inner apostrophe kept ("don't", "I’ll"
 * — HH-RLHF uses the typographic one). Punctuation and whitespace are dropped.
 */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];
}

/** How a word's count c in a response becomes its feature: c, log(1 + c), or 1 when present. */
export type WordWeighting = 'count' | 'log-count' | 'binary';

/**
 * The defaults are the standard setup: word counts damped to log(1 + c) (sublinear term frequency, as
 * scikit-learn's `sublinear_tf`), words seen in at least 2 training responses, one length feature, no
 * bias (a Bradley–Terry model needs none: σ(w·Δφ) is already 1/2 for identical responses), L2 tuned
 * on a slice of the training pairs by log loss. On HH-RLHF (helpful + harmless base, 4.6k pairs, 10
 * prompt-grouped splits at evalFraction 0.15) count, log-count and binary weighting with the length
 * feature, and counts without it, averaged 54.0–54.4% held out — within noise of each other — so the
 * default is the conventional one rather than one tuned to that data.
 */
export interface BagOfWordsOptions {
  /** Default 'log-count' (sublinear term frequency: a word's tenth use says less than its first). */
  weighting?: WordWeighting;
  /** Add log(1 + words in the response) as one more feature. Default true. */
  lengthFeature?: boolean;
  /** A word is a feature when it occurs in at least this many training responses. Default 2. */
  minDocumentFrequency?: number;
  /** At most this many words, the most frequent (by document frequency) first. Default 20000. */
  maxFeatures?: number;
  /**
   * L2 strength λ in mean(−log σ(w·Δφ)) + λ/2·‖w‖²: one value, or candidates of which the one with the
   * lowest log loss on a held-out slice of the training pairs is used. Default DEFAULT_L2_GRID.
   */
  l2?: number | readonly number[];
  /** Share of training prompt groups held out to choose λ. Default 0.2. */
  tuneFraction?: number;
  /**
   * Seed of the tuning slice. Default '0'. Hashed with each pair's group as the train/eval split does, but
   * salted (TUNE_SALT): with the split's own seed the slice would be only the groups hashing between
   * evalFraction and tuneFraction — none at all when evalFraction ≥ tuneFraction.
   */
  seed?: string | number;
  /** L-BFGS limits. Defaults 500 iterations, gradient max-norm 1e-6. */
  maxIterations?: number;
  tolerance?: number;
}

export const DEFAULT_L2_GRID: readonly number[] = Object.freeze([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]);

/** A training pair; `group` (e.g. promptGroupKey) keeps pairs of one prompt on one side of the tuning slice. */
export interface BagOfWordsPair extends ResponsePair<string> {
  group?: string;
}

export interface L2Candidate {
  l2: number;
  /** On the held-out slice of the training pairs. */
  validationLoss: number;
  validationAccuracy: number;
}

export interface BagOfWordsModel extends TextScorer {
  /** Feature words, in weight order. */
  readonly vocabulary: readonly string[];
  /** One weight per vocabulary word. */
  readonly wordWeights: Float64Array;
  /** Weight of log(1 + word count); 0 without the length feature. */
  readonly lengthWeight: number;
  readonly weighting: WordWeighting;
  readonly lengthFeature: boolean;
  /** The λ the final model was fitted with. */
  readonly l2: number;
  /** Every candidate λ tried, empty when one was given (or the data was too small to hold out a slice). */
  readonly tuning: readonly L2Candidate[];
  /** Training pairs and the size of the tuning slice. */
  readonly trainPairs: number;
  readonly tunePairs: number;
  /** L-BFGS iterations of the final fit and its training objective. */
  readonly iterations: number;
  readonly trainLoss: number;
  /** The words with the largest positive and negative weights (for reports). */
  topWords(k: number): { positive: [string, number][]; negative: [string, number][] };
}

/** Sparse feature vector: sorted feature indices and their values. */
interface SparseVector {
  index: Int32Array;
  value: Float64Array;
}

interface Featurizer {
  vocabulary: string[];
  lengthIndex: number;
  dims: number;
  vector(text: string): SparseVector;
}

function makeFeaturizer(texts: readonly string[], weighting: WordWeighting, lengthFeature: boolean, minDf: number, maxFeatures: number): Featurizer {
  const df = new Map<string, number>();
  for (const text of texts) for (const w of new Set(wordTokens(text))) df.set(w, (df.get(w) ?? 0) + 1);
  const vocabulary = [...df.entries()]
    .filter(([, n]) => n >= minDf)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxFeatures)
    .map(([w]) => w);
  const indexOf = new Map(vocabulary.map((w, i) => [w, i]));
  const lengthIndex = lengthFeature ? vocabulary.length : -1;
  const weigh = weighting === 'count' ? (c: number) => c : weighting === 'binary' ? () => 1 : (c: number) => Math.log1p(c);
  return {
    vocabulary,
    lengthIndex,
    dims: vocabulary.length + (lengthFeature ? 1 : 0),
    vector(text: string): SparseVector {
      const words = wordTokens(text);
      const counts = new Map<number, number>();
      for (const w of words) {
        const i = indexOf.get(w);
        if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
      }
      const entries = [...counts.entries()].map(([i, c]): [number, number] => [i, weigh(c)]);
      if (lengthFeature) entries.push([lengthIndex, Math.log1p(words.length)]);
      entries.sort((a, b) => a[0] - b[0]);
      return { index: Int32Array.from(entries, (e) => e[0]), value: Float64Array.from(entries, (e) => e[1]) };
    },
  };
}

/** a − b for sorted sparse vectors, zeros dropped. */
function difference(a: SparseVector, b: SparseVector): SparseVector {
  const index: number[] = [];
  const value: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.index.length || j < b.index.length) {
    const ai = i < a.index.length ? a.index[i] : Infinity;
    const bj = j < b.index.length ? b.index[j] : Infinity;
    let k: number;
    let v: number;
    if (ai === bj) {
      k = ai;
      v = a.value[i++] - b.value[j++];
    } else if (ai < bj) {
      k = ai;
      v = a.value[i++];
    } else {
      k = bj;
      v = -b.value[j++];
    }
    if (v !== 0) {
      index.push(k);
      value.push(v);
    }
  }
  return { index: Int32Array.from(index), value: Float64Array.from(value) };
}

function dot(w: Float64Array, x: SparseVector): number {
  let s = 0;
  for (let k = 0; k < x.index.length; k++) s += w[x.index[k]] * x.value[k];
  return s;
}

/** log(1 + e^−m), stable for any m. */
function logLoss(m: number): number {
  return m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
}

/** σ(−m) = derivative of −logLoss(m), stable. */
function sigmoidNeg(m: number): number {
  if (m >= 0) {
    const e = Math.exp(-m);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(m));
}

/** Mean Bradley–Terry loss + λ/2‖w‖² and its gradient (written into `grad`). */
function objective(w: Float64Array, diffs: readonly SparseVector[], l2: number, grad: Float64Array): number {
  const n = diffs.length;
  let f = 0;
  for (let d = 0; d < w.length; d++) grad[d] = l2 * w[d];
  for (const x of diffs) {
    const m = dot(w, x);
    f += logLoss(m);
    const s = -sigmoidNeg(m) / n;
    for (let k = 0; k < x.index.length; k++) grad[x.index[k]] += s * x.value[k];
  }
  let norm2 = 0;
  for (let d = 0; d < w.length; d++) norm2 += w[d] * w[d];
  return f / n + 0.5 * l2 * norm2;
}

/**
 * L-BFGS (two-loop recursion, memory 10) with a backtracking Armijo line search. The objective is
 * strictly convex for λ > 0, so this converges to the unique minimum; stops when the gradient's largest
 * entry is below `tolerance`, the objective stops decreasing, or after `maxIterations`.
 */
function fitLbfgs(diffs: readonly SparseVector[], dims: number, l2: number, maxIterations: number, tolerance: number): { w: Float64Array; loss: number; iterations: number } {
  const memory = 10;
  let w = new Float64Array(dims);
  let g = new Float64Array(dims);
  let f = objective(w, diffs, l2, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(dims);
  const vdot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let it = 0;
  for (; it < maxIterations && maxAbs(g) > tolerance; it++) {
    // Two-loop recursion: dir = −H·g.
    for (let i = 0; i < dims; i++) dir[i] = -g[i];
    const alpha: number[] = new Array<number>(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * vdot(S[k], dir);
      for (let i = 0; i < dims; i++) dir[i] -= alpha[k] * Y[k][i];
    }
    const gamma = S.length > 0 ? vdot(S[S.length - 1], Y[S.length - 1]) / vdot(Y[S.length - 1], Y[S.length - 1]) : 1 / Math.max(1, Math.sqrt(vdot(g, g)));
    for (let i = 0; i < dims; i++) dir[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * vdot(Y[k], dir);
      for (let i = 0; i < dims; i++) dir[i] += S[k][i] * (alpha[k] - beta);
    }
    let slope = vdot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < dims; i++) dir[i] = -g[i] / Math.max(1, Math.sqrt(vdot(g, g)));
      slope = vdot(g, dir);
    }
    let step = 1;
    const wNext = new Float64Array(dims);
    const gNext = new Float64Array(dims);
    let fNext = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < dims; i++) wNext[i] = w[i] + step * dir[i];
      fNext = objective(wNext, diffs, l2, gNext);
      if (fNext <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNext < f)) break;
    const s = new Float64Array(dims);
    const y = new Float64Array(dims);
    for (let i = 0; i < dims; i++) {
      s[i] = wNext[i] - w[i];
      y[i] = gNext[i] - g[i];
    }
    const sy = vdot(s, y);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const decrease = f - fNext;
    w = wNext;
    g = gNext;
    f = fNext;
    if (decrease <= 1e-12 * Math.max(1, Math.abs(f))) {
      it++;
      break;
    }
  }
  return { w, loss: f, iterations: it };
}

function meanLossAndAccuracy(w: Float64Array, diffs: readonly SparseVector[]): { loss: number; accuracy: number } {
  let loss = 0;
  let right = 0;
  for (const x of diffs) {
    const m = dot(w, x);
    loss += logLoss(m);
    right += m > 0 ? 1 : m === 0 ? 0.5 : 0;
  }
  return { loss: loss / diffs.length, accuracy: right / diffs.length };
}

/** Smallest tuning slice (and rest) worth choosing λ on; below it the middle of the grid is used. */
const MIN_TUNE_PAIRS = 20;

/** Prefix of the tuning slice's hash seed, so it is independent of a train/eval split made with the same seed. */
export const TUNE_SALT = 'bag-of-words tuning ';

/** Whether a training pair (by its group, or its index when it has none) is in the λ-tuning slice. */
export function inTuneSlice(group: string, tuneFraction: number, seed: string | number = '0'): boolean {
  return splitHash(group, TUNE_SALT + String(seed)) < tuneFraction;
}

/**
 * Fits the bag-of-words Bradley–Terry model on `trainPairs`. The vocabulary comes from the training
 * responses only (no labels are read to build it). With several λ candidates, each is fitted on the
 * training pairs outside a prompt-grouped slice and scored by log loss on the slice; the chosen λ is then
 * refitted on all training pairs. Never looks at evaluation data: pass only the train split.
 */
export function trainBagOfWords(trainPairs: readonly BagOfWordsPair[], opts: BagOfWordsOptions = {}): BagOfWordsModel {
  if (trainPairs.length === 0) throw new Error('trainBagOfWords: no training pairs');
  const weighting = opts.weighting ?? 'log-count';
  const lengthFeature = opts.lengthFeature ?? true;
  const minDf = opts.minDocumentFrequency ?? 2;
  const maxFeatures = opts.maxFeatures ?? 20000;
  const tuneFraction = opts.tuneFraction ?? 0.2;
  const maxIterations = opts.maxIterations ?? 500;
  const tolerance = opts.tolerance ?? 1e-6;
  const candidates = typeof opts.l2 === 'number' ? [opts.l2] : [...(opts.l2 ?? DEFAULT_L2_GRID)];
  if (candidates.length === 0 || candidates.some((l) => !(Number.isFinite(l) && l > 0))) {
    throw new Error(`trainBagOfWords: l2 must be a positive number or a non-empty list of them (got ${JSON.stringify(opts.l2)})`);
  }
  if (!(tuneFraction > 0 && tuneFraction < 1)) throw new Error(`trainBagOfWords: tuneFraction must be in (0, 1) (got ${tuneFraction})`);

  const featurizer = makeFeaturizer(
    trainPairs.flatMap((p) => [p.chosen, p.rejected]),
    weighting,
    lengthFeature,
    minDf,
    maxFeatures,
  );
  const diffs = trainPairs.map((p) => difference(featurizer.vector(p.chosen), featurizer.vector(p.rejected)));

  const tuning: L2Candidate[] = [];
  let l2 = candidates[0];
  let tunePairs = 0;
  if (candidates.length > 1) {
    const held = trainPairs.map((p, i) => inTuneSlice(p.group ?? `pair\u0000${i}`, tuneFraction, opts.seed ?? '0'));
    const fit = diffs.filter((_, i) => !held[i]);
    const val = diffs.filter((_, i) => held[i]);
    if (fit.length >= MIN_TUNE_PAIRS && val.length >= MIN_TUNE_PAIRS) {
      tunePairs = val.length;
      for (const candidate of candidates) {
        const { w } = fitLbfgs(fit, featurizer.dims, candidate, maxIterations, tolerance);
        const m = meanLossAndAccuracy(w, val);
        tuning.push({ l2: candidate, validationLoss: m.loss, validationAccuracy: m.accuracy });
      }
      // Log loss, not accuracy: on a few hundred pairs accuracy moves in steps of 1/n and ties often.
      l2 = tuning.reduce((best, c) => (c.validationLoss < best.validationLoss ? c : best)).l2;
    } else {
      l2 = [...candidates].sort((a, b) => a - b)[Math.floor((candidates.length - 1) / 2)];
    }
  }

  const final = fitLbfgs(diffs, featurizer.dims, l2, maxIterations, tolerance);
  const w = final.w;
  const wordWeights = w.slice(0, featurizer.vocabulary.length);
  const lengthWeight = lengthFeature ? w[featurizer.lengthIndex] : 0;
  const vocabulary = featurizer.vocabulary;
  return {
    vocabulary,
    wordWeights,
    lengthWeight,
    weighting,
    lengthFeature,
    l2,
    tuning,
    trainPairs: trainPairs.length,
    tunePairs,
    iterations: final.iterations,
    trainLoss: final.loss,
    score: (text: string): number => dot(w, featurizer.vector(text)),
    topWords(k: number) {
      const order = vocabulary.map((_, i) => i).sort((a, b) => wordWeights[b] - wordWeights[a] || a - b);
      const pick = (ids: number[]): [string, number][] => ids.map((i) => [vocabulary[i], wordWeights[i]]);
      return {
        positive: pick(order.slice(0, k).filter((i) => wordWeights[i] > 0)),
        negative: pick(order.slice(-k).reverse().filter((i) => wordWeights[i] < 0)),
      };
    },
  };
}
