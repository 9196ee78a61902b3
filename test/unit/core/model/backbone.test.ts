// The built-in backbone + reward head forward against the independent float64 reference
// (test/helpers/reference/tinyGpt.ts), padding behaviour, the zero head, float32 vs float64.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../../src/core/random';
import { buildScoringGraph, initBuiltinParams, type LayerNormImpl } from '../../../../src/core/model';
import { encodeModel } from '../../../../src/core/onnx';
import { runModel } from '../../../helpers/ort';
import { reward } from '../../../helpers/reference/tinyGpt';
import { CONFIG, maxRelDiff, padded, referenceParams, sequences, toFloat32 } from './batch';

const LENGTHS = [1, 4, 10, 7, 2, 9];

async function score(model: Uint8Array, feeds: ReturnType<typeof padded>, threads = 1): Promise<number[]> {
  const out = await runModel(model, feeds, { threads });
  assert.deepEqual(out.rewards.dims, [feeds.input_ids.dims[0]]);
  return Array.from(out.rewards.data as ArrayLike<number>);
}

for (const layerNorm of ['decomposed', 'op'] as LayerNormImpl[]) {
  test(`float64 forward (${layerNorm} LayerNorm) equals reference rewards on a right-padded batch of mixed lengths`, async () => {
    const rand = mulberry32(3);
    const params = referenceParams(7);
    const rows = sequences(rand, LENGTHS);
    const model = encodeModel(buildScoringGraph({ config: CONFIG, params, layerNorm }));
    const want = rows.map((r) => reward(params, CONFIG, r));
    // Longer than any row too: extra padding columns change nothing.
    for (const seqLen of [10, undefined]) {
      const got = await score(model, padded(rows, { seqLen }));
      const d = maxRelDiff(got, want);
      assert.ok(d < 1e-10, `max relative difference ${d.toExponential(2)}`);
    }
    // The rewards are not trivially small: the comparison means something.
    assert.ok(Math.max(...want.map(Math.abs)) > 0.1);
  });
}

test('float64 forward equals the reference on a wider, deeper config (4 heads, 3 layers, 2 threads)', async () => {
  const c = { vocab: 50, dModel: 32, nHeads: 4, nLayers: 3, maxLen: 24, eps: 1e-5 };
  const rand = mulberry32(12);
  const params = referenceParams(13, c);
  const rows = sequences(rand, [24, 1, 17, 5, 23, 8], c.vocab);
  const got = await score(encodeModel(buildScoringGraph({ config: c, params })), padded(rows), 2);
  const want = rows.map((r) => reward(params, c, r));
  const d = maxRelDiff(got, want);
  assert.ok(d < 1e-10, `max relative difference ${d.toExponential(2)}`);
});

test('the head reads the last real token: padding ids, and tokens after the last real one, never change a reward', async () => {
  const rand = mulberry32(5);
  const params = referenceParams(8);
  const rows = sequences(rand, [3, 6, 1, 5]);
  const model = encodeModel(buildScoringGraph({ config: CONFIG, params }));
  const base = await score(model, padded(rows, { seqLen: 8 }));
  const noisyPad = await score(model, padded(rows, { seqLen: 8, pad: () => 1 + Math.floor(rand() * 12) }));
  assert.deepEqual(noisyPad, base, 'padding ids under mask 0 must not matter (bit for bit)');
  // Same rows scored one at a time, unpadded: padding and batch neighbours do not leak in.
  for (let i = 0; i < rows.length; i++) {
    const [alone] = await score(model, padded([rows[i]]));
    assert.ok(Math.abs(alone - base[i]) <= 1e-12 * Math.max(1, Math.abs(base[i])), `row ${i}: ${alone} vs ${base[i]}`);
  }
  // A real token appended changes the reward (the head really reads the last one).
  const longer = rows.map((r) => [...r, 4]);
  const moved = await score(model, padded(longer, { seqLen: 8 }));
  for (let i = 0; i < rows.length; i++) assert.notEqual(moved[i], base[i]);
});

test('a zero-initialised head gives reward 0 everywhere; an all-padding row gives 0, not NaN', async () => {
  const params = initBuiltinParams(CONFIG, 1, 'float64');
  assert.ok(params.get('head.w')!.every((x) => x === 0));
  const rand = mulberry32(9);
  const model = encodeModel(buildScoringGraph({ config: CONFIG, params }));
  const got = await score(model, padded(sequences(rand, [2, 5, 10])));
  assert.deepEqual(got, [0, 0, 0]);
  const withHead = referenceParams(2);
  const m2 = encodeModel(buildScoringGraph({ config: CONFIG, params: withHead }));
  const empty = await score(m2, padded([[3, 4], []], { seqLen: 3 }));
  assert.equal(empty[1], 0);
  assert.ok(Number.isFinite(empty[0]) && empty[0] !== 0);
});

test('float32 build runs (2 threads) and agrees with float64 to ~1e-4, both LayerNorm forms', async () => {
  const rand = mulberry32(4);
  const p64 = referenceParams(10);
  const p32 = toFloat32(p64);
  const rows = sequences(rand, LENGTHS);
  const feeds = padded(rows);
  const m64 = buildScoringGraph({ config: CONFIG, params: p64 });
  const m32 = buildScoringGraph({ config: CONFIG, params: p32 });
  assert.equal(m32.graph.output[0].type?.tensorType?.elemType, 1, 'float32 rewards');
  const r64 = await score(encodeModel(m64), feeds);
  for (const layerNorm of ['decomposed', 'op'] as LayerNormImpl[]) {
    const r32 = await score(encodeModel(buildScoringGraph({ config: CONFIG, params: p32, layerNorm })), feeds, 2);
    const d = maxRelDiff(r32, r64);
    assert.ok(d < 1e-4, `${layerNorm}: float32 vs float64 ${d.toExponential(2)}`);
  }
});
