// Learning, end to end through the engine: a token-level preference task with a planted reward (each
// token carries a hidden weight; a response's reward is the sum of its tokens' weights) and labels drawn
// from the Bradley–Terry model itself, so the best attainable accuracy is known exactly. The built-in
// backbone + head, trained with the real step graph (autodiff + clipping + AdamW) in float32, must get
// close to it on held-out pairs — and far above the length-only baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildScoringGraph, builtinParamShapes, buildTrainStep, initBuiltinParams, type BuiltinBackboneConfig } from '../../../../src/core/model';
import { encodeModel } from '../../../../src/core/onnx';
import { optimizerConfig, scheduledLr } from '../../../../src/core/optim';
import { mulberry32 } from '../../../../src/core/random';
import { Runtime } from '../../../../src/core/runtime';
import { collatePairs, type TokenizedPair } from '../../../../src/core/train/batch';
import { TrainStepper } from '../../../../src/core/train/stepper';

const VOCAB = 24;

interface PlantedPair extends TokenizedPair {
  /** P(chosen preferred) under the planted reward. */
  p: number;
}

function plantedTask(n: number, seed: number, beta: number): { pairs: PlantedPair[]; attainable: number } {
  const rand = mulberry32(seed);
  const weight = Array.from({ length: VOCAB }, (_, t) => (t === 0 ? 0 : rand() * 2 - 1));
  const seq = (lo: number, hi: number): number[] => Array.from({ length: lo + Math.floor(rand() * (hi - lo + 1)) }, () => 1 + Math.floor(rand() * (VOCAB - 1)));
  const pairs: PlantedPair[] = [];
  let attainable = 0;
  for (let i = 0; i < n; i++) {
    const prompt = seq(2, 4);
    const a = seq(2, 6);
    const b = seq(2, 6);
    const r = (x: number[]): number => x.reduce((s, t) => s + weight[t], 0);
    const pa = 1 / (1 + Math.exp(-beta * (r(a) - r(b))));
    const aWins = rand() < pa;
    attainable += Math.max(pa, 1 - pa);
    pairs.push({ chosen: [...prompt, ...(aWins ? a : b)], rejected: [...prompt, ...(aWins ? b : a)], p: aWins ? pa : 1 - pa });
  }
  return { pairs, attainable: attainable / n };
}

void test('the built-in backbone learns a planted reward to near its attainable accuracy', async (t) => {
  const config: BuiltinBackboneConfig = { vocab: VOCAB, dModel: 32, nHeads: 4, nLayers: 2, maxLen: 16, eps: 1e-5 };
  const train = plantedTask(3000, 1, 3);
  // The same seed gives the same hidden weights and the same first 3000 pairs: the next 1000 are unseen.
  const evalPairs = plantedTask(4000, 1, 3).pairs.slice(3000);
  const attainable = evalPairs.reduce((s, p) => s + Math.max(p.p, 1 - p.p), 0) / evalPairs.length;
  assert.ok(attainable > 0.7, `attainable ${attainable}`);

  const optimizer = optimizerConfig({ lr: 3e-3, weightDecay: 0.01, schedule: 'cosine', warmupSteps: 20 });
  const params = initBuiltinParams(config, 7, 'float32');
  const graph = buildTrainStep({ config, params, trainable: 'all', optimizer });
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'none' });
  try {
    const stepper = await TrainStepper.create(rt, graph, params, builtinParamShapes(config));
    const batch = 32;
    const steps = 450;
    const rand = mulberry32(99);
    let lastLoss = Infinity;
    for (let s = 0; s < steps; s++) {
      const picked = Array.from({ length: batch }, () => train.pairs[Math.floor(rand() * train.pairs.length)]);
      const m = await stepper.step(collatePairs(picked), scheduledLr({ kind: 'cosine', baseLr: optimizer.lr, warmupSteps: 20, totalSteps: steps }, s));
      assert.ok(Number.isFinite(m.loss), `step ${s}: loss ${m.loss}`);
      lastLoss = m.loss;
    }
    assert.ok(lastLoss < Math.log(2), `training loss went below chance (${lastLoss})`);

    // Held-out accuracy through the scoring graph with the trained parameters.
    const scoring = await rt.createSession(encodeModel(buildScoringGraph({ config, params: stepper.params() })));
    const b = collatePairs(evalPairs);
    const out = await scoring.run({
      input_ids: { dtype: 'int64', dims: [2 * b.pairs, b.seqLen], data: b.inputIds },
      attention_mask: { dtype: 'int64', dims: [2 * b.pairs, b.seqLen], data: b.attentionMask },
    });
    const r = out.rewards.data as Float32Array;
    let correct = 0;
    let longer = 0;
    for (let i = 0; i < b.pairs; i++) {
      if (r[i] > r[b.pairs + i]) correct++;
      if (evalPairs[i].chosen.length > evalPairs[i].rejected.length) longer++;
      else if (evalPairs[i].chosen.length === evalPairs[i].rejected.length) longer += 0.5;
    }
    const accuracy = correct / b.pairs;
    const lengthBaseline = longer / b.pairs;
    t.diagnostic(`held-out accuracy ${(100 * accuracy).toFixed(1)}% vs attainable ${(100 * attainable).toFixed(1)}% and length-only ${(100 * lengthBaseline).toFixed(1)}% (final train loss ${lastLoss.toFixed(3)})`);
    assert.ok(accuracy >= attainable - 0.05, `held-out accuracy ${accuracy.toFixed(3)} vs attainable ${attainable.toFixed(3)}`);
    assert.ok(accuracy > lengthBaseline + 0.15, `accuracy ${accuracy} vs length-only ${lengthBaseline}`);
  } finally {
    await rt.dispose();
  }
});
