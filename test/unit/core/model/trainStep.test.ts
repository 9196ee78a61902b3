// The whole training step — forward, Bradley–Terry loss, autodiff gradients, clipping, AdamW — against
// the independent float64 reference (test/helpers/reference/tinyGpt.ts), over several steps on padded
// batches of mixed lengths. If these agree, every piece of the engine is wired the way the maths says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeModel } from '../../../../src/core/onnx';
import { builtinParamShapes, buildTrainStep, STEP_IO, trainableParams } from '../../../../src/core/model';
import { adamStateNames, optimizerConfig, scheduledLr } from '../../../../src/core/optim';
import { mulberry32 } from '../../../../src/core/random';
import { createSession, runSession, type Feed } from '../../../helpers/ort';
import { adamwInit, adamwStep, lossAndGrads, type Params, type RefPair } from '../../../helpers/reference/tinyGpt';
import { CONFIG, maxRelDiff, padded, referenceParams, sequences } from './batch';

function pairsOf(rand: () => number, lengths: Array<[number, number]>): RefPair[] {
  return lengths.map(([c, r]) => {
    const [chosen, rejected] = sequences(rand, [c, r]);
    return { chosen, rejected, margin: Math.round((rand() - 0.5) * 8) / 4 };
  });
}

function feedsFor(pairs: RefPair[], useMargin: boolean): Record<string, Feed> {
  const rows = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const f: Record<string, Feed> = { ...padded(rows) };
  if (useMargin) f.margin = { type: 'float64', data: Float64Array.from(pairs.map((p) => p.margin ?? 0)), dims: [pairs.length] };
  return f;
}

async function parity(spec: 'all' | 'head' | 'top-1', opts: { useMargin: boolean; centerCoef: number; steps: number; zeroHead?: boolean }): Promise<void> {
  const rand = mulberry32(spec.length * 7 + opts.steps);
  const ref: Params = referenceParams(21);
  // Training really starts from a zero head: every reward 0, every pair exactly at the softplus kink.
  if (opts.zeroHead) ref.get('head.w')!.fill(0);
  const optimizer = optimizerConfig({ lr: 0.02, weightDecay: 0.1, maxGradNorm: 1.0, schedule: 'cosine', warmupSteps: 1 });
  const params = new Map([...ref].map(([n, a]) => [n, Float64Array.from(a)]));
  const step = buildTrainStep({ config: CONFIG, params, trainable: spec, optimizer, useMargin: opts.useMargin, centerCoef: opts.centerCoef });
  assert.deepEqual(step.trainable, trainableParams(CONFIG, spec));
  const session = await createSession(encodeModel(step.model), { optimization: 'all', threads: 2 });

  const refState = adamwInit(ref);
  const shapes = builtinParamShapes(CONFIG);
  const state = new Map(step.trainable.map((n) => [n, { p: Float64Array.from(ref.get(n)!), m: new Float64Array(ref.get(n)!.length), v: new Float64Array(ref.get(n)!.length) }]));
  let stepCount = 0n;
  for (let s = 0; s < opts.steps; s++) {
    // A new batch each step, with different lengths (so padding differs from step to step).
    const pairs = pairsOf(rand, [[3 + (s % 4), 6], [CONFIG.maxLen, 2], [1, 5 + (s % 3)]]);
    const lr = scheduledLr({ kind: 'cosine', baseLr: optimizer.lr, warmupSteps: 1, totalSteps: opts.steps }, s);
    const feeds = feedsFor(pairs, opts.useMargin);
    for (const [n, st] of state) {
      const dims = shapes.get(n)!;
      feeds[n] = { type: 'float64', data: st.p, dims };
      feeds[adamStateNames(n).m] = { type: 'float64', data: st.m, dims };
      feeds[adamStateNames(n).v] = { type: 'float64', data: st.v, dims };
    }
    feeds[STEP_IO.step] = { type: 'int64', data: BigInt64Array.of(stepCount), dims: [] };
    feeds[STEP_IO.lr] = { type: 'float64', data: Float64Array.of(lr), dims: [] };
    const out = await runSession(session, feeds);

    const want = lossAndGrads(ref, CONFIG, pairs, { centerCoef: opts.centerCoef, useMargin: opts.useMargin });
    const got = Number(out.loss.data[0]);
    assert.ok(Math.abs(got - want.loss) <= 1e-9 * Math.max(1, Math.abs(want.loss)), `${spec} step ${s}: loss ${got} vs reference ${want.loss}`);
    const { gradNorm } = adamwStep(ref, want.grads, refState, { lr, weightDecay: optimizer.weightDecay, decay: (n) => step.decayed.includes(n), maxGradNorm: 1.0, beta1: optimizer.beta1, beta2: optimizer.beta2, eps: optimizer.eps }, step.trainable);
    assert.ok(Math.abs(Number(out[STEP_IO.gradNorm].data[0]) - gradNorm) <= 1e-9 * Math.max(1, gradNorm), `${spec} step ${s}: grad norm`);
    for (const [n, st] of state) {
      st.p = Float64Array.from(out[STEP_IO.newParam(n)].data as Float64Array);
      st.m = Float64Array.from(out[STEP_IO.newM(n)].data as Float64Array);
      st.v = Float64Array.from(out[STEP_IO.newV(n)].data as Float64Array);
    }
    stepCount = (out[STEP_IO.newStep].data as BigInt64Array)[0];
  }
  assert.equal(stepCount, BigInt(opts.steps));
  for (const [n, st] of state) {
    const d = maxRelDiff(st.p, ref.get(n)!);
    assert.ok(d <= 1e-9, `${spec}: parameter ${n} differs from the reference by ${d} after ${opts.steps} steps`);
  }
}

void test('training step = reference: all parameters, margin and centering, 5 steps', async () => {
  await parity('all', { useMargin: true, centerCoef: 0.01, steps: 5 });
});

void test('training step = reference: head only (frozen backbone folded in)', async () => {
  await parity('head', { useMargin: false, centerCoef: 0, steps: 4 });
});

void test('training step = reference: top-1 block + final norm + head', async () => {
  await parity('top-1', { useMargin: false, centerCoef: 0.05, steps: 4 });
});

void test('training step = reference from a zero-initialised head (all rewards 0 at the first step)', async () => {
  await parity('all', { useMargin: false, centerCoef: 0, steps: 3, zeroHead: true });
});

void test('the loss and its gradient stay finite for rewards in the hundreds', async () => {
  const params = new Map([...referenceParams(5)].map(([n, a]) => [n, Float64Array.from(a)]));
  params.get('head.w')!.forEach((_, i, a) => (a[i] = (i % 2 ? 1 : -1) * 400));
  const step = buildTrainStep({ config: CONFIG, params, trainable: 'head', optimizer: optimizerConfig() });
  const session = await createSession(encodeModel(step.model), { optimization: 'all' });
  const pairs = pairsOf(mulberry32(3), [[4, 6], [2, 9], [7, 3]]);
  const feeds = feedsFor(pairs, false);
  const dims = builtinParamShapes(CONFIG).get('head.w')!;
  feeds['head.w'] = { type: 'float64', data: params.get('head.w')!, dims };
  feeds[adamStateNames('head.w').m] = { type: 'float64', data: new Float64Array(dims[0]), dims };
  feeds[adamStateNames('head.w').v] = { type: 'float64', data: new Float64Array(dims[0]), dims };
  feeds[STEP_IO.step] = { type: 'int64', data: BigInt64Array.of(0n), dims: [] };
  feeds[STEP_IO.lr] = { type: 'float64', data: Float64Array.of(1e-3), dims: [] };
  const out = await runSession(session, feeds);
  const want = lossAndGrads(params, CONFIG, pairs);
  const rewards = [...(out.rewards_chosen.data as Float64Array), ...(out.rewards_rejected.data as Float64Array)];
  assert.ok(Math.max(...rewards.map(Math.abs)) > 100, 'rewards are large');
  assert.ok(Math.abs(Number(out.loss.data[0]) - want.loss) <= 1e-9 * Math.max(1, want.loss), `loss ${out.loss.data[0]} vs ${want.loss}`);
  assert.ok([...(out[STEP_IO.newParam('head.w')].data as Float64Array)].every(Number.isFinite));
  assert.ok(Number.isFinite(Number(out[STEP_IO.gradNorm].data[0])));
});

void test('the step graph is deterministic', () => {
  const params = new Map([...referenceParams(3)].map(([n, a]) => [n, Float64Array.from(a)]));
  const build = (): Uint8Array => encodeModel(buildTrainStep({ config: CONFIG, params, trainable: 'all', optimizer: optimizerConfig() }).model);
  assert.deepEqual(build(), build());
});
