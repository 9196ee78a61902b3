// The training forward (rewards → Bradley–Terry loss) against the reference's lossAndGrads: margin
// on/off, centering on/off, plus the accuracy and reward-margin outputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../../src/core/random';
import { buildLossGraph, IO } from '../../../../src/core/model';
import { encodeModel } from '../../../../src/core/onnx';
import { runModel, type Feed } from '../../../helpers/ort';
import { lossAndGrads, type RefPair } from '../../../helpers/reference/tinyGpt';
import { CONFIG, maxRelDiff, padded, referenceParams, sequences, toFloat32 } from './batch';

function pairs(seed: number, n: number): RefPair[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const [chosen, rejected] = sequences(rand, [1 + Math.floor(rand() * 10), 1 + Math.floor(rand() * 10)]);
    return { chosen, rejected, margin: Math.round((rand() * 2 - 1) * 8) / 8 };
  });
}

/** Rows [chosen..., rejected...], both sides padded to one length. */
function feeds(batch: RefPair[], margin: boolean, dtype: 'float32' | 'float64' = 'float64'): Record<string, Feed> {
  const f: Record<string, Feed> = padded([...batch.map((p) => p.chosen), ...batch.map((p) => p.rejected)]);
  if (margin) {
    const m = batch.map((p) => p.margin ?? 0);
    f[IO.margin] = { type: dtype, data: dtype === 'float64' ? Float64Array.from(m) : Float32Array.from(m), dims: [batch.length] };
  }
  return f;
}

const num = (x: { data: ArrayLike<number | bigint | boolean | string> }): number[] => Array.from(x.data as ArrayLike<number>);

for (const useMargin of [false, true]) {
  for (const centerCoef of [0, 0.05]) {
    test(`loss graph equals the reference loss (margin ${useMargin ? 'on' : 'off'}, centering ${centerCoef ? 'on' : 'off'})`, async () => {
      const params = referenceParams(21);
      const batch = pairs(useMargin ? 1 : 2, 5);
      const model = encodeModel(buildLossGraph({ config: CONFIG, params, useMargin, centerCoef, trainable: 'none' }));
      const out = await runModel(model, feeds(batch, useMargin));
      const ref = lossAndGrads(params, CONFIG, batch, { useMargin, centerCoef });
      assert.deepEqual(out[IO.loss].dims, []);
      assert.ok(maxRelDiff(num(out[IO.loss]), [ref.loss]) < 1e-10, `loss ${num(out[IO.loss])[0]} vs ${ref.loss}`);
      assert.ok(maxRelDiff(num(out[IO.rewardsChosen]), ref.rewardsChosen) < 1e-10);
      assert.ok(maxRelDiff(num(out[IO.rewardsRejected]), ref.rewardsRejected) < 1e-10);
      const wins = ref.rewardsChosen.filter((r, i) => r > ref.rewardsRejected[i]).length;
      assert.equal(num(out[IO.accuracy])[0], wins / batch.length);
      const meanMargin = ref.rewardsChosen.reduce((s, r, i) => s + r - ref.rewardsRejected[i], 0) / batch.length;
      assert.ok(Math.abs(num(out[IO.rewardMargin])[0] - meanMargin) < 1e-12);
    });
  }
}

test('loss is stable for large reward gaps (softplus form: no Inf/NaN) and matches log(2) at zero rewards', async () => {
  const params = referenceParams(3);
  // Scale the head so rewards are in the hundreds: exp(−z) would overflow in a naive form.
  const big = new Map(params);
  big.set('head.w', params.get('head.w')!.map((x) => x * 2000));
  const batch = pairs(4, 4);
  const out = await runModel(encodeModel(buildLossGraph({ config: CONFIG, params: big, trainable: 'none' })), feeds(batch, false));
  const ref = lossAndGrads(big, CONFIG, batch);
  assert.ok(Math.max(...ref.rewardsChosen.map(Math.abs)) > 50, 'rewards are large');
  assert.ok(Number.isFinite(num(out[IO.loss])[0]));
  assert.ok(maxRelDiff(num(out[IO.loss]), [ref.loss]) < 1e-10);

  const zero = new Map(params);
  zero.set('head.w', new Float64Array(CONFIG.dModel));
  const z = await runModel(encodeModel(buildLossGraph({ config: CONFIG, params: zero, trainable: 'none' })), feeds(batch, false));
  assert.ok(Math.abs(num(z[IO.loss])[0] - Math.LN2) < 1e-15);
  assert.equal(num(z[IO.accuracy])[0], 0, 'ties are not wins');
});

test('float32 loss graph agrees with float64 to ~1e-4', async () => {
  const params = referenceParams(5);
  const batch = pairs(6, 6);
  // Default trainable set ('head'): the head weight is a graph input, fed like any other.
  const head = params.get('head.w')!;
  const f64 = { ...feeds(batch, true), 'head.w': { type: 'float64', data: head, dims: [CONFIG.dModel] } };
  const f32 = { ...feeds(batch, true, 'float32'), 'head.w': { type: 'float32', data: Float32Array.from(head), dims: [CONFIG.dModel] } };
  const m64 = await runModel(encodeModel(buildLossGraph({ config: CONFIG, params, useMargin: true, centerCoef: 0.01 })), f64);
  const m32 = await runModel(encodeModel(buildLossGraph({ config: CONFIG, params: toFloat32(params), useMargin: true, centerCoef: 0.01 })), f32, { threads: 2 });
  assert.equal(m32[IO.loss].type, 'float32');
  for (const k of [IO.loss, IO.rewardsChosen, IO.rewardsRejected, IO.rewardMargin]) {
    const d = maxRelDiff(num(m32[k]), num(m64[k]));
    assert.ok(d < 1e-4, `${k}: ${d.toExponential(2)}`);
  }
});
