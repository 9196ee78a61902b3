// Whole-model check: the tiny GPT + reward head + Bradley–Terry loss built as a float64 ONNX graph
// (tinyGptGraph.ts), differentiated by buildGradients, against the independent float64 reference's
// hand-written backward (test/helpers/reference/tinyGpt.ts) — loss and every parameter gradient, on
// right-padded batches of different lengths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradients } from '../../../../src/core/autodiff';
import { encodeModel } from '../../../../src/core/onnx';
import { mulberry32 } from '../../../../src/core/random';
import { createSession, runSession, type Feed } from '../../../helpers/ort';
import { lossAndGrads, paramShapes, type Params, type RefPair, type TinyGptConfig } from '../../../helpers/reference/tinyGpt';
import { buildTinyGptLoss, type TinyGptGraphOptions } from './tinyGptGraph';

const CONFIG: TinyGptConfig = { vocab: 13, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 8 };

/** Every parameter random (the reference's default init zeroes the head, which would zero most gradients). */
function randomParams(c: TinyGptConfig, seed: number): Params {
  const rnd = mulberry32(seed);
  const params: Params = new Map();
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const gain = /\.g$/.test(name);
    params.set(name, Float64Array.from({ length: n }, () => (gain ? 1 : 0) + (rnd() * 2 - 1) * (gain ? 0.2 : 0.4)));
  }
  return params;
}

function batchFeeds(pairs: RefPair[], seed: number, useMargin: boolean): Record<string, Feed> {
  const rnd = mulberry32(seed);
  const rows = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const T = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * T);
  const mask = new BigInt64Array(rows.length * T);
  rows.forEach((r, i) => {
    for (let t = 0; t < T; t++) {
      // Padding holds arbitrary ids: nothing may read them.
      ids[i * T + t] = BigInt(t < r.length ? r[t] : Math.floor(rnd() * CONFIG.vocab));
      mask[i * T + t] = t < r.length ? 1n : 0n;
    }
  });
  const feeds: Record<string, Feed> = {
    input_ids: { type: 'int64', data: ids, dims: [rows.length, T] },
    attention_mask: { type: 'int64', data: mask, dims: [rows.length, T] },
  };
  if (useMargin) feeds.margin = { type: 'float64', data: Float64Array.from(pairs.map((p) => p.margin ?? 0)), dims: [pairs.length] };
  return feeds;
}

function randomPairs(seed: number, lengths: [number, number][]): RefPair[] {
  const rnd = mulberry32(seed);
  const seq = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rnd() * CONFIG.vocab));
  return lengths.map(([a, b]) => ({ chosen: seq(a), rejected: seq(b), margin: rnd() * 2 - 1 }));
}

const BATCHES: RefPair[][] = [
  randomPairs(11, [
    [6, 3],
    [2, 5],
    [4, 6],
  ]),
  randomPairs(12, [
    [1, 4],
    [3, 2],
  ]),
  randomPairs(13, [[8, 7]]),
];

/** Returns the worst loss and gradient differences seen. */
async function checkModel(opts: TinyGptGraphOptions): Promise<{ loss: number; grad: number }> {
  const params = randomParams(CONFIG, 5);
  const { g, loss, params: names } = buildTinyGptLoss(CONFIG, params, opts);
  const grads = buildGradients(g, { loss, wrt: names });
  assert.deepEqual(grads.disconnected, []);
  g.output(loss, 'loss');
  for (const n of names) g.output(grads.get(n)!, `grad/${n}`);
  const session = await createSession(encodeModel(g.build()));
  const seen = { loss: 0, grad: 0 };
  try {
    for (const [b, pairs] of BATCHES.entries()) {
      const want = lossAndGrads(params, CONFIG, pairs, { centerCoef: opts.centerCoef, useMargin: opts.useMargin });
      const got = await runSession(session, batchFeeds(pairs, 100 + b, opts.useMargin));
      const l = Number(got.loss.data[0]);
      seen.loss = Math.max(seen.loss, Math.abs(l - want.loss) / Math.max(1, Math.abs(want.loss)));
      assert.ok(Math.abs(l - want.loss) <= 1e-12 * Math.max(1, Math.abs(want.loss)), `batch ${b}: loss ${l} vs reference ${want.loss}`);
      for (const n of names) {
        const a = got[`grad/${n}`].data as Float64Array;
        const r = want.grads.get(n)!;
        // Without centering the final LayerNorm bias gets exactly zero (chosen and rejected cancel).
        const scale = Math.max(...Array.from(r, Math.abs), 1e-6);
        let worst = 0;
        for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(a[i] - r[i]) / scale);
        seen.grad = Math.max(seen.grad, worst);
        assert.ok(worst <= 1e-9, `batch ${b} (${opts.layerNorm} LayerNorm): gradient of ${n} differs from the reference by ${worst.toExponential(2)} (relative to its max ${scale.toExponential(2)})`);
      }
    }
  } finally {
    await session.release();
  }
  return seen;
}

void test('tiny GPT + BT loss (LayerNormalization op, margin, centering): loss and every parameter gradient match the float64 reference', async (t) => {
  const seen = await checkModel({ layerNorm: 'op', centerCoef: 0.01, useMargin: true });
  t.diagnostic(`worst relative difference: loss ${seen.loss.toExponential(1)}, gradients ${seen.grad.toExponential(1)}`);
});

void test('tiny GPT + BT loss (decomposed LayerNorm, no margin, no centering): loss and gradients match the reference', async (t) => {
  const seen = await checkModel({ layerNorm: 'decomposed', centerCoef: 0, useMargin: false });
  t.diagnostic(`worst relative difference: loss ${seen.loss.toExponential(1)}, gradients ${seen.grad.toExponential(1)}`);
});
