// Every exporter-made backbone in ../shared/data/onnx that can be wrapped scores through the reward head:
// the wrapped backbone (frozen) + the project's bias-free head at each row's last real token gives a
// finite reward per row, equal to w · hidden[last real token] computed independently from the hidden state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addRewardHead } from '../../../../../src/core/model/head';
import { analyzeBackbone, buildImportedBackbone, type BackboneHints } from '../../../../../src/core/model/import';
import { encodeModel } from '../../../../../src/core/onnx';
import { load, numbers, rightPadded, run, seededFloats, wrapperFeeds, type FixtureKey } from './importFixtures';

const SCORABLE: Array<[FixtureKey, BackboneHints | undefined]> = [
  ['gpt2Past', { decodeSteps: 5 }],
  ['megatron', undefined],
  ['maskOneLayer', undefined],
  ['bertToy', undefined],
  ['tfBert', undefined],
  ['distilBert', undefined],
  ['llamaStatic', undefined],
  ['llamaDynamic', undefined],
  ['genaiGpt2', undefined],
  ['genaiLlama', undefined],
];

/** Small plausible weights for exports that take their weights as graph inputs (static LLaMA). */
function staticLlamaWeights(): Record<string, Float32Array> {
  const weights: Record<string, Float32Array> = {};
  for (let i = 0; i <= 2; i++) weights[`input${i}`] = seededFloats(1024, 10 + i, 0.1, 1);
  weights.input3 = seededFloats(1024 * 1024, 13, 0.5);
  for (let i = 4; i <= 10; i++) weights[`input${i}`] = seededFloats(1024 * 1024, 10 + i, 0.03);
  weights.input11 = Float32Array.from({ length: 256 }, (_, i) => 1 / 10000 ** ((2 * i) / 512));
  return weights;
}

for (const [key, hints] of SCORABLE) {
  void test(`${key}: wrapped backbone + reward head scores every row at its last real token`, async () => {
    const model = load(key);
    const a = analyzeBackbone(model, hints);
    const w = buildImportedBackbone(model, a, { trainable: 'head', weights: key === 'llamaStatic' ? staticLlamaWeights() : undefined });
    const g = w.builder;
    const H = a.hiddenSize;
    assert.ok(typeof H === 'number' && H > 0, `${key}: hidden size ${H}`);
    const head = seededFloats(H, 7, 0.5);
    const { rewards } = addRewardHead(g, w.hidden, w.attentionMask, g.initializer('head.w', head, [H]));
    g.output(rewards, 'rewards');
    if (!g.outputs.some((o) => o.name === w.hidden.name)) g.output(w.hidden);
    const lengths = [5, 2];
    const batch = rightPadded(lengths, 5, a.vocabSize ?? 20, 3);
    const out = await run(encodeModel(g.build()), wrapperFeeds(batch), ['rewards', w.hidden.name]);
    const r = numbers(out.rewards);
    assert.deepEqual(out.rewards.dims, [lengths.length], `${key}: one reward per row`);
    assert.ok(r.every(Number.isFinite), `${key}: finite rewards ${Array.from(r)}`);
    const hidden = numbers(out[w.hidden.name]);
    const T = Number(out[w.hidden.name].dims[1]);
    for (let b = 0; b < lengths.length; b++) {
      const base = (b * T + lengths[b] - 1) * H;
      let want = 0;
      for (let d = 0; d < H; d++) want += head[d] * hidden[base + d];
      assert.ok(Math.abs(r[b] - want) <= 1e-4 * Math.max(1, Math.abs(want)), `${key} row ${b}: reward ${r[b]} vs w·hidden ${want}`);
    }
  });
}
