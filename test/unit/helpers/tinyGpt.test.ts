// The float64 reference that judges the training engine must itself be right: its hand-written backward
// pass is checked here against central finite differences, and its AdamW against a by-hand step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../src/core/random';
import {
  adamwInit,
  adamwStep,
  initParams,
  lossAndGrads,
  paramShapes,
  scheduledLr,
  type Params,
  type RefPair,
  type TinyGptConfig,
} from '../../helpers/reference/tinyGpt';

const config: TinyGptConfig = { vocab: 11, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 9 };

function batch(rand: () => number): RefPair[] {
  const seq = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rand() * config.vocab));
  // Repeated token ids on purpose: embedding gradients must accumulate.
  return [
    { chosen: [3, 3, ...seq(4)], rejected: [3, 3, ...seq(2)], margin: 0.5 },
    { chosen: seq(7), rejected: seq(9), margin: -0.25 },
    { chosen: seq(1), rejected: seq(5) },
  ];
}

void test('reference gradients match central finite differences (every parameter tensor)', () => {
  const rand = mulberry32(11);
  const params = initParams(config, rand, 0.3);
  // A non-zero head, so gradients flow into the backbone.
  params.get('head.w')!.forEach((_, i, a) => (a[i] = rand() - 0.5));
  const data = batch(rand);
  const opts = { centerCoef: 0.05, useMargin: true };
  const { grads } = lossAndGrads(params, config, data, opts);
  const h = 1e-6;
  let checked = 0;
  for (const [name] of paramShapes(config)) {
    const p = params.get(name)!;
    // A few entries per tensor (all of them for small ones).
    const picks = p.length <= 8 ? [...p.keys()] : [0, 1, Math.floor(p.length / 2), p.length - 1, Math.floor(rand() * p.length)];
    for (const i of picks) {
      const keep = p[i];
      p[i] = keep + h;
      const up = lossAndGrads(params, config, data, opts).loss;
      p[i] = keep - h;
      const down = lossAndGrads(params, config, data, opts).loss;
      p[i] = keep;
      const numeric = (up - down) / (2 * h);
      const analytic = grads.get(name)![i];
      const tol = 1e-7 + 1e-5 * Math.abs(numeric);
      assert.ok(Math.abs(numeric - analytic) <= tol, `${name}[${i}]: analytic ${analytic} vs numeric ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked > 100);
});

void test('reference AdamW: one step by hand, decay only where asked, clipping', () => {
  const params: Params = new Map([
    ['w', Float64Array.from([1, -2])],
    ['b', Float64Array.from([0.5])],
  ]);
  const grads: Params = new Map([
    ['w', Float64Array.from([3, 4])],
    ['b', Float64Array.from([12])],
  ]);
  const state = adamwInit(params);
  const { gradNorm } = adamwStep(params, grads, state, { lr: 0.1, weightDecay: 0.5, decay: (n) => n === 'w', maxGradNorm: 1 });
  assert.equal(gradNorm, 13);
  // Step 1 with bias correction: m̂ = g', v̂ = g'², so the update is lr · g'/(|g'| + eps) ≈ lr · sign(g').
  const w = params.get('w')!;
  assert.ok(Math.abs(w[0] - (1 * (1 - 0.1 * 0.5) - 0.1)) < 1e-7);
  assert.ok(Math.abs(w[1] - (-2 * (1 - 0.1 * 0.5) - 0.1)) < 1e-7);
  assert.ok(Math.abs(params.get('b')![0] - (0.5 - 0.1)) < 1e-7, 'no decay on b');
  // Step 2: the moments carry over (m = 0.9·m1 + 0.1·g2 with clipped gradients).
  const before = w[0];
  adamwStep(params, grads, state, { lr: 0.1, weightDecay: 0, decay: () => false, maxGradNorm: 1 });
  const g = 3 / (13 + 1e-6);
  const m = 0.9 * (0.1 * g) + 0.1 * g;
  const v = 0.999 * (0.001 * g * g) + 0.001 * g * g;
  const expected = w[0];
  const step2 = before - (0.1 / (1 - 0.9 ** 2)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8));
  assert.ok(Math.abs(expected - step2) < 1e-12);
});

void test('learning-rate schedules: warmup, linear and cosine decay', () => {
  assert.equal(scheduledLr(1, 0, 10, 110, 'linear'), 0);
  assert.equal(scheduledLr(1, 5, 10, 110, 'linear'), 0.5);
  assert.equal(scheduledLr(1, 10, 10, 110, 'linear'), 1);
  assert.equal(scheduledLr(1, 60, 10, 110, 'linear'), 0.5);
  assert.equal(scheduledLr(1, 110, 10, 110, 'linear'), 0);
  assert.ok(Math.abs(scheduledLr(1, 60, 10, 110, 'cosine') - 0.5) < 1e-12);
  assert.equal(scheduledLr(2, 50, 0, 100, 'constant'), 2);
});
