// Imported backbones as whole reward models, on every exporter-made graph of ../shared/data/onnx:
// the training step runs through TrainStepper unchanged and learns a tiny fixed batch (loss falls, the
// zero head and the top block move); the export, run in a fresh plain onnxruntime session, gives the
// same rewards as the scoring graph fed the trained values as inputs and as the step's own forward at
// the stepper's params(); fused exports refuse to train anything but the head, with the clear error;
// exports are byte-for-byte deterministic; a margin input and centering work as in the built-in step.
// The graphs that are not backbones fail at analysis, with their reason.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { HEAD_WEIGHT, IO, STEP_IO, EXPORT_FORMAT, EXPORT_METADATA, type ModelParams } from '../../../../../src/core/model';
import {
  analyzeBackbone,
  BackboneImportError,
  buildImportedScoringGraph,
  buildImportedTrainStep,
  exportImportedRewardModel,
  type BackboneAnalysis,
  type BackboneHints,
  type ImportedWeights,
  type TrainableChoice,
} from '../../../../../src/core/model/import';
import { encodeModel, tensorToArray, type OnnxModel } from '../../../../../src/core/onnx';
import { adamStateNames, optimizerConfig } from '../../../../../src/core/optim';
import { mulberry32 } from '../../../../../src/core/random';
import { Runtime } from '../../../../../src/core/runtime';
import { collatePairs, type PairBatch, type TokenizedPair } from '../../../../../src/core/train/batch';
import { TrainStepper, type StepMetrics } from '../../../../../src/core/train/stepper';
import type { Feed } from '../../../../helpers/ort';
import { load, numbers, run, seededFloats, type FixtureKey } from './importFixtures';

const LR = 1e-3;
const STEPS = 5;
/** Rewards from different sessions agree to this, relative to their scale (seen: ≤ 2e-6, fp16 LLaMAs included). */
const TOL = 1e-5;

/** Small plausible weights for the static LLaMA, which takes its weights as graph inputs (as score.test.ts). */
function staticLlamaWeights(): Record<string, Float32Array> {
  const weights: Record<string, Float32Array> = {};
  for (let i = 0; i <= 2; i++) weights[`input${i}`] = seededFloats(1024, 10 + i, 0.1, 1);
  weights.input3 = seededFloats(1024 * 1024, 13, 0.5);
  for (let i = 4; i <= 10; i++) weights[`input${i}`] = seededFloats(1024 * 1024, 10 + i, 0.03);
  weights.input11 = Float32Array.from({ length: 256 }, (_, i) => 1 / 10000 ** ((2 * i) / 512));
  return weights;
}

interface Case {
  key: FixtureKey;
  trainable: TrainableChoice;
  hints?: BackboneHints;
  weights?: () => ImportedWeights;
}

// Every backbone here whose parameters have gradient rules: {top: 1}. (The fused ones: see below.)
const TRAINABLE: Case[] = [
  // The decode-step export, unrolled over 4 tokens (its position table allows 8: session creation grows with it).
  { key: 'gpt2Past', trainable: { top: 1 }, hints: { decodeSteps: 4 } },
  { key: 'megatron', trainable: { top: 1 } },
  { key: 'maskOneLayer', trainable: { top: 1 } },
  { key: 'bertToy', trainable: { top: 1 } },
  { key: 'tfBert', trainable: { top: 1 } },
  { key: 'distilBert', trainable: { top: 1 } },
  { key: 'llamaDynamic', trainable: { top: 1 } },
  { key: 'llamaStatic', trainable: { top: 1 }, weights: staticLlamaWeights },
];

/** A fixed tiny preference batch of random ids (one pair where the export fixes the batch at 2 rows). */
function tinyBatch(a: BackboneAnalysis, seed: number): PairBatch {
  const rand = mulberry32(seed);
  const vocab = Math.min(a.vocabSize ?? 20, 50);
  const seq = (n: number): number[] => Array.from({ length: n }, () => 1 + Math.floor(rand() * (vocab - 1)));
  const pairs: TokenizedPair[] = [
    { chosen: seq(4), rejected: seq(3) },
    { chosen: seq(2), rejected: seq(4) },
  ];
  return collatePairs(a.fixedBatch === 2 ? pairs.slice(0, 1) : pairs);
}

function feedsOf(batch: PairBatch): Record<string, Feed> {
  const dims = [2 * batch.pairs, batch.seqLen];
  return {
    [IO.inputIds]: { type: 'int64', data: batch.inputIds, dims },
    [IO.attentionMask]: { type: 'int64', data: batch.attentionMask, dims },
  };
}

/**
 * Rewards from a fresh session. 'all' (onnxruntime's default level, what a plain InferenceSession
 * uses) for exports; 'basic' elsewhere, as cheap to create for the unrolled GPT-2 ('disabled' takes ~2x).
 */
async function rewardsOf(model: OnnxModel | Uint8Array, feeds: Record<string, Feed>, optimization: 'basic' | 'all' = 'basic'): Promise<Float64Array> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const out = await run(bytes, feeds, [IO.rewards], { threads: 2, optimization });
  assert.equal(out[IO.rewards].type, 'float32');
  return numbers(out[IO.rewards]);
}

/**
 * Asserts |a − e| ≤ tol · max|e| elementwise (relative to the rewards' scale, which is small after a few
 * steps from a zero head); returns the largest |a − e| / max|e|.
 */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(...Array.from(expected, Math.abs));
  assert.ok(scale > 0, `${what}: the expected rewards are all 0`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Number.isFinite(actual[i]), `${what}: element ${i} is ${actual[i]}`);
    const d = Math.abs(actual[i] - expected[i]) / scale;
    assert.ok(d <= tol, `${what}: element ${i}: ${actual[i]} vs ${expected[i]} (scale ${scale})`);
    worst = Math.max(worst, d);
  }
  return worst;
}

const changed = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => Array.prototype.some.call(a, (x: number, i: number) => x !== b[i]);

/**
 * Trains a case for STEPS steps on its tiny batch, then checks the export against the scoring graph
 * (trained values as inputs) and the step's forward at params() (a step with lr 0).
 */
async function trainAndExport(c: Case, t: TestContext): Promise<void> {
  const model = load(c.key);
  const a = analyzeBackbone(model, c.hints);
  const weights = c.weights?.();
  const optimizer = optimizerConfig({ lr: LR });
  const step = buildImportedTrainStep(model, a, { trainable: c.trainable, optimizer, weights });
  const { trainable, decayed } = step.graph;

  // The step's interface: the built-in step's names; frozen parameters are not inputs.
  assert.equal(trainable[trainable.length - 1], HEAD_WEIGHT);
  assert.equal(trainable.length > 1, c.trainable !== 'head', `${c.key}: backbone parameters train unless only the head does`);
  assert.deepEqual([...step.params.keys()], trainable);
  assert.deepEqual([...step.shapes.keys()], trainable);
  assert.deepEqual(Array.from(step.params.get(HEAD_WEIGHT)!), new Array<number>(a.hiddenSize).fill(0), 'the head starts at zero');
  for (const p of step.params.values()) assert.ok(p instanceof Float32Array);
  const inputs = step.graph.model.graph.input.map((i) => i.name).sort();
  const expectedInputs = [IO.inputIds, IO.attentionMask, STEP_IO.step, STEP_IO.lr, ...trainable.flatMap((p) => [p, adamStateNames(p).m, adamStateNames(p).v])].sort();
  assert.deepEqual(inputs, expectedInputs, `${c.key}: inputs`);
  const outputs = new Set(step.graph.model.graph.output.map((o) => o.name));
  for (const o of [IO.loss, IO.accuracy, IO.rewardMargin, IO.rewardsChosen, IO.rewardsRejected, STEP_IO.newStep, STEP_IO.gradNorm, ...trainable.map(STEP_IO.newParam)]) {
    assert.ok(outputs.has(o), `${c.key}: output ${o}`);
  }
  const frozen = a.params.map((p) => `backbone/${p.name}`).filter((n) => !trainable.includes(n));
  assert.ok(frozen.every((n) => step.graph.model.graph.initializer.some((t) => t.name === n)), `${c.key}: frozen parameters are initializers`);
  assert.ok(!decayed.includes(HEAD_WEIGHT));
  for (const n of decayed) assert.ok(step.shapes.get(n)!.length >= 2 && !/embed|wte|wpe/i.test(n), `${c.key}: ${n} decayed`);

  const rt = await Runtime.start({ provider: 'cpu', isolation: 'none', threads: 2 });
  try {
    const stepper = await TrainStepper.create(rt, step.graph, step.params, step.shapes);
    const batch = tinyBatch(a, 5);
    const losses: number[] = [];
    for (let s = 0; s < STEPS; s++) losses.push((await stepper.step(batch, LR)).loss);
    assert.ok(losses.every(Number.isFinite), `${c.key}: losses ${losses.join(', ')}`);
    assert.ok(Math.abs(losses[0] - Math.log(2)) < 1e-6, `${c.key}: a zero head starts at log 2 (${losses[0]})`);
    assert.ok(losses[STEPS - 1] < losses[0] - 1e-4, `${c.key}: the loss falls (${losses.join(', ')})`);
    const trained = stepper.params();
    assert.ok(changed(trained.get(HEAD_WEIGHT)!, step.params.get(HEAD_WEIGHT)!), `${c.key}: the head moves`);
    // Backbone parameters with a gradient move. Not all have one: a shift of every reward (the final
    // norm's bias) leaves the Bradley–Terry loss unchanged, and DistilBERT's hidden size of 2 makes its
    // LayerNorm output ±1, so nothing under its last LayerNorm gets a gradient.
    const m = stepper.moments().m;
    const learning = trainable.filter((n) => n !== HEAD_WEIGHT && m.get(n)!.some((x) => x !== 0));
    assert.ok(learning.length > 0 || c.trainable === 'head', `${c.key}: some backbone parameter gets a gradient`);
    for (const n of learning) assert.ok(changed(trained.get(n)!, step.params.get(n)!), `${c.key}: ${n} moves`);

    // The step's forward at params(): one more step with lr 0 reports the rewards and changes nothing.
    const at: StepMetrics = await stepper.step(batch, 0);
    for (const n of trainable) assert.deepEqual(stepper.params().get(n), trained.get(n), `${c.key}: lr 0 leaves ${n}`);
    const stepRewards = [...at.rewardsChosen, ...at.rewardsRejected];
    await stepper.release();

    const exported = exportImportedRewardModel(model, a, trained, { weights });
    assert.deepEqual(exported.graph.input.map((i) => i.name), [IO.inputIds, IO.attentionMask]);
    assert.deepEqual(exported.graph.output.map((o) => o.name), [IO.rewards]);
    for (const n of trainable) {
      const baked = exported.graph.initializer.find((i) => i.name === n);
      assert.ok(baked, `${c.key}: ${n} is baked into the export`);
      assert.deepEqual(tensorToArray(baked), trained.get(n), `${c.key}: the export holds the trained ${n}`);
    }
    const feeds = feedsOf(batch);
    const fromExport = await rewardsOf(exported, feeds, 'all');
    assert.equal(fromExport.length, 2 * batch.pairs);
    // The scoring graph with every trained value kept as an input, fed params().
    const scoring = buildImportedScoringGraph(model, a, { inputs: trainable, weights });
    const paramFeeds: Record<string, Feed> = {};
    for (const n of trainable) paramFeeds[n] = { type: 'float32', data: trained.get(n) as Float32Array, dims: step.shapes.get(n)! };
    const fromScoring = await rewardsOf(scoring, { ...feeds, ...paramFeeds });
    const vsScoring = assertClose(fromExport, fromScoring, TOL, `${c.key}: export vs scoring graph fed params()`);
    const vsStep = assertClose(fromExport, stepRewards, TOL, `${c.key}: export vs the training step's forward`);
    t.diagnostic(`losses ${losses.map((l) => l.toFixed(5)).join(' ')}; rewards ${Array.from(fromExport, (r) => r.toExponential(2)).join(' ')}; export vs scoring ${vsScoring.toExponential(1)}, vs step ${vsStep.toExponential(1)}`);
    // The exported model prefers the chosen side on average, as it was trained to.
    let margin = 0;
    for (let i = 0; i < batch.pairs; i++) margin += fromExport[i] - fromExport[batch.pairs + i];
    assert.ok(margin > 0, `${c.key}: mean reward margin ${margin / batch.pairs}`);
  } finally {
    await rt.dispose();
  }
}

for (const c of TRAINABLE) {
  void test(`${c.key}: {top: 1} + head train through TrainStepper (loss falls, head and top block move); the export = scoring graph fed params() = the step's forward`, async (t) => {
    await trainAndExport(c, t);
  });
}

// Fused exports: nothing under the hidden state has gradient rules; the frozen backbone still trains a head.
const FUSED: Case[] = [
  { key: 'genaiGpt2', trainable: 'head' },
  { key: 'genaiLlama', trainable: 'head' },
];

for (const c of FUSED) {
  void test(`${c.key} (fused): 'all' and {top: 1} fail with BackboneImportError('untrainable'); 'head' trains and exports`, async (t) => {
    const model = load(c.key);
    const a = analyzeBackbone(model);
    for (const trainable of ['all', { top: 1 }] as const) {
      assert.throws(
        () => buildImportedTrainStep(model, a, { trainable, optimizer: optimizerConfig() }),
        (e: unknown) => e instanceof BackboneImportError && e.code === 'untrainable' && /com\.microsoft::/.test(e.message) && /Use trainable: 'head'/.test(e.message),
      );
    }
    await trainAndExport(c, t);
  });
}

void test('margin and centering: the step takes a margin input; from the zero head the loss is mean softplus(margin)', async () => {
  const model = load('bertToy');
  const a = analyzeBackbone(model);
  const step = buildImportedTrainStep(model, a, { trainable: { top: 1 }, optimizer: optimizerConfig({ lr: LR }), useMargin: true, centerCoef: 0.01 });
  assert.ok(step.graph.model.graph.input.some((i) => i.name === IO.margin));
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'none', threads: 2 });
  try {
    const stepper = await TrainStepper.create(rt, step.graph, step.params, step.shapes, { useMargin: true });
    const margins = [1, -0.5];
    const batch = collatePairs([
      { chosen: [5, 6, 7], rejected: [8, 9], margin: margins[0] },
      { chosen: [10], rejected: [11, 12, 13], margin: margins[1] },
    ]);
    const first = await stepper.step(batch, LR);
    const softplus = (x: number): number => Math.log1p(Math.exp(x));
    const want = (softplus(margins[0]) + softplus(margins[1])) / 2;
    assert.ok(Math.abs(first.loss - want) < 1e-6, `loss ${first.loss} vs ${want}`);
    let last = first;
    for (let s = 1; s < STEPS; s++) last = await stepper.step(batch, LR);
    assert.ok(last.loss < first.loss, `the loss falls (${first.loss} → ${last.loss})`);
    await stepper.release();
  } finally {
    await rt.dispose();
  }
});

void test('the export is deterministic (same bytes from fresh loads), self-contained, and carries the reward-model metadata', () => {
  for (const key of ['bertToy', 'genaiLlama'] as const) {
    const exportOnce = (): Uint8Array => {
      const model = load(key);
      const a = analyzeBackbone(model);
      const params: ModelParams = new Map([[HEAD_WEIGHT, seededFloats(a.hiddenSize, 3, 0.5)]]);
      const trainedName = `backbone/${a.params[a.params.length - 1].name}`;
      if (key === 'bertToy') params.set(trainedName, seededFloats(a.params[a.params.length - 1].shape.reduce((x, y) => x * y, 1), 4, 0.1));
      return encodeModel(exportImportedRewardModel(model, a, params, { tokenizer: { name: 'bert-toy', sha256: 'ab12', padTokenId: 0 }, metadata: { 'user.note': 'x' } }));
    };
    const first = exportOnce();
    assert.deepEqual(exportOnce(), first, `${key}: same bytes twice`);
  }
  const model = load('bertToy');
  const a = analyzeBackbone(model);
  const exported = exportImportedRewardModel(model, a, new Map([[HEAD_WEIGHT, new Float32Array(a.hiddenSize)]]), { tokenizer: { name: 'bert-toy', padTokenId: 0 }, metadata: { 'user.note': 'x' } });
  const props = Object.fromEntries(exported.metadataProps.map((p) => [p.key, p.value]));
  assert.equal(props[EXPORT_METADATA.format], EXPORT_FORMAT);
  assert.match(props[EXPORT_METADATA.backbone], /^imported:/);
  assert.equal(props[EXPORT_METADATA.padding], 'right');
  assert.equal(props[EXPORT_METADATA.tokenizerName], 'bert-toy');
  assert.equal(props[EXPORT_METADATA.tokenizerSha256], '');
  assert.equal(props[EXPORT_METADATA.tokenizerPadTokenId], '0');
  assert.equal(JSON.parse(props[EXPORT_METADATA.config]).hiddenSize, a.hiddenSize);
  assert.equal(exported.metadataProps[exported.metadataProps.length - 1].key, 'user.note');
  assert.throws(() => exportImportedRewardModel(model, a, new Map([[HEAD_WEIGHT, new Float32Array(a.hiddenSize)]]), { metadata: { [EXPORT_METADATA.format]: 'x' } }), /written by the exporter/);
  assert.throws(() => exportImportedRewardModel(model, a, new Map()), /no 'head\.w'/);
});

void test('trained values the model does not have, or of the wrong size, are refused by name', () => {
  const model = load('bertToy');
  const a = analyzeBackbone(model);
  const head = (): [string, Float32Array] => [HEAD_WEIGHT, new Float32Array(a.hiddenSize)];
  assert.throws(() => buildImportedScoringGraph(model, a, { params: new Map([head(), ['backbone/nope', new Float32Array(1)]]) }), (e: unknown) => e instanceof BackboneImportError && e.code === 'bad-hint' && e.items[0] === 'backbone/nope');
  assert.throws(() => buildImportedScoringGraph(model, a, { inputs: ['nope'] }), BackboneImportError);
  const p = a.params[0];
  assert.throws(() => buildImportedScoringGraph(model, a, { params: new Map([head(), [`backbone/${p.name}`, new Float32Array(1)]]) }), new RegExp(`'backbone/${p.name.replace(/\./g, '\\.')}' has 1 values`));
  assert.throws(() => buildImportedScoringGraph(model, a, { params: new Map([[HEAD_WEIGHT, new Float32Array(a.hiddenSize + 1)]]) }), /hidden size/);
});

void test('static LLaMA without weight values: training, scoring and export say the weights are needed', () => {
  const model = load('llamaStatic');
  const a = analyzeBackbone(model);
  const needsWeights = (e: unknown): boolean => e instanceof BackboneImportError && e.code === 'unsupported' && /takes its weights as graph inputs/.test(e.message) && e.items.includes('backbone/input3');
  assert.throws(() => buildImportedTrainStep(model, a, { trainable: 'head', optimizer: optimizerConfig() }), needsWeights);
  assert.throws(() => buildImportedScoringGraph(model, a), needsWeights);
  assert.throws(() => exportImportedRewardModel(model, a, new Map([[HEAD_WEIGHT, new Float32Array(a.hiddenSize)]])), needsWeights);
  // Kept as inputs, they are the caller's to feed.
  const inputs = Array.from({ length: 12 }, (_, i) => `backbone/input${i}`);
  const scoring = buildImportedScoringGraph(model, a, { inputs });
  assert.deepEqual(scoring.graph.input.map((i) => i.name).sort(), [IO.attentionMask, IO.inputIds, ...inputs].sort());
});

void test('graphs that are not backbones (a backward graph, an attention block) fail at analysis with the reason', () => {
  for (const key of ['llamaBackward', 'llamaAttention'] as const) {
    assert.throws(() => analyzeBackbone(load(key)), (e: unknown) => e instanceof BackboneImportError && e.code === 'not-a-backbone');
  }
});
