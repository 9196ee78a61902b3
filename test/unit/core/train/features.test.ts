// Head-only training from cached backbone features: the feature graph reads exactly what the reward head
// reads (features·head.w = the scoring graph's rewards), the on-disk cache answers without running the
// backbone and survives damage, the head step is the Bradley–Terry/clip/AdamW step computed by hand (and
// the full training step with trainable 'head'), and a head trained on cached features learns.
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  buildScoringGraph,
  buildTrainStep,
  HEAD_WEIGHT,
  initBuiltinParams,
  IO,
  STEP_IO,
  type BuiltinBackboneConfig,
  type ModelParams,
} from '../../../../src/core/model';
import { addRewardHead } from '../../../../src/core/model/head';
import { analyzeBackbone, buildImportedBackbone } from '../../../../src/core/model/import';
import { encodeModel, GraphBuilder, readModel } from '../../../../src/core/onnx';
import { optimizerConfig, type OptimizerConfig } from '../../../../src/core/optim';
import { mulberry32 } from '../../../../src/core/random';
import { Runtime, type RunOptions, type RuntimeSession, type Tensor } from '../../../../src/core/runtime';
import { collatePairs } from '../../../../src/core/train/batch';
import {
  buildBuiltinFeatureGraph,
  buildFeatureGraphFrom,
  buildHeadStep,
  builtinModelIdentity,
  collateFeatures,
  computeFeatures,
  FeatureCache,
  featureKey,
  HeadStepper,
  type FeatureCacheIdentity,
  type FeatureRunner,
} from '../../../../src/core/train/features';
import { TrainStepper } from '../../../../src/core/train/stepper';
import { sharedData } from '../../../helpers/paths';

const CONFIG: BuiltinBackboneConfig = { vocab: 40, dModel: 32, nHeads: 4, nLayers: 2, maxLen: 24, eps: 1e-5 };
const D = CONFIG.dModel;

function gaussian(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function randomSequences(n: number, seed: number, lo = 1, hi = CONFIG.maxLen): Int32Array[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => Int32Array.from({ length: lo + Math.floor(rand() * (hi - lo + 1)) }, () => 1 + Math.floor(rand() * (CONFIG.vocab - 1))));
}

/** The built-in backbone's parameters with a random (non-zero) head. */
function paramsWithHead(seed: number): ModelParams {
  const params = initBuiltinParams(CONFIG, seed, 'float32');
  const normal = gaussian(seed + 1);
  params.set(HEAD_WEIGHT, Float32Array.from({ length: D }, () => 0.2 * normal()));
  return params;
}

/** Counts the runs and rows a session is asked for. */
class CountingRunner implements FeatureRunner {
  runs = 0;
  rows = 0;
  constructor(private readonly session: RuntimeSession) {}
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    this.runs++;
    this.rows += feeds[IO.inputIds].dims[0];
    return this.session.run(feeds, options);
  }
}

const IDENTITY: FeatureCacheIdentity = { model: 'test-model', tokenizerSha256: 'ab'.repeat(32), template: '{prompt}\n\n{response}', maxLength: 24, truncation: 'keep-end-of-prompt' };

function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

async function withRuntime(fn: (rt: Runtime) => Promise<void>): Promise<void> {
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'none', threads: 1 });
  try {
    await fn(rt);
  } finally {
    await rt.dispose();
  }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rs-features-'));
}

void test('features·head.w equals the scoring graph\'s rewards, whatever the batch and its padding', async () => {
  await withRuntime(async (rt) => {
    const params = paramsWithHead(3);
    const seqs = randomSequences(13, 5);
    const session = await rt.createSession(encodeModel(buildBuiltinFeatureGraph(CONFIG, params)));
    const features = await computeFeatures(session, seqs, null, { batchSize: 4, padId: 7 });
    assert.equal(features.length, seqs.length);

    // The scoring graph on every sequence in one batch, padded to the longest.
    const T = Math.max(...seqs.map((s) => s.length));
    const ids = new BigInt64Array(seqs.length * T);
    const mask = new BigInt64Array(seqs.length * T);
    seqs.forEach((s, r) => s.forEach((id, t) => ((ids[r * T + t] = BigInt(id)), (mask[r * T + t] = 1n))));
    const scoring = await rt.createSession(encodeModel(buildScoringGraph({ config: CONFIG, params })));
    const out = await scoring.run({ [IO.inputIds]: { dtype: 'int64', dims: [seqs.length, T], data: ids }, [IO.attentionMask]: { dtype: 'int64', dims: [seqs.length, T], data: mask } });
    const rewards = out[IO.rewards].data as Float32Array;
    const w = params.get(HEAD_WEIGHT)!;
    let worst = 0;
    features.forEach((f, i) => {
      assert.equal(f.length, D);
      let dot = 0;
      for (let d = 0; d < D; d++) dot += f[d] * w[d];
      worst = Math.max(worst, Math.abs(dot - rewards[i]) / Math.max(1, Math.abs(rewards[i])));
    });
    assert.ok(worst < 1e-5, `features·head.w vs scoring rewards: worst difference ${worst}`);
    assert.ok(rewards.some((r) => Math.abs(r) > 0.1), 'the rewards are not all near zero (the comparison means something)');
  });
});

void test('an imported backbone (frozen) gives features through buildFeatureGraphFrom that its reward head reads', async () => {
  await withRuntime(async (rt) => {
    for (const file of ['xexp__llama_export_dynamic.onnx', 'optimum__tiny_distilbert_model.onnx']) {
      const load = (): ReturnType<typeof readModel> => readModel(sharedData('onnx', file));
      const analysis = analyzeBackbone(load());
      const H = analysis.hiddenSize!;
      const vocab = Math.min(analysis.vocabSize ?? 50, 50);
      const w = buildImportedBackbone(load(), analysis, { trainable: 'head' });
      const session = await rt.createSession(encodeModel(buildFeatureGraphFrom(w.builder, w.hidden, w.attentionMask)));
      const rand = mulberry32(17);
      const seqs = [5, 2, 7, 3, 7].map((n) => Int32Array.from({ length: n }, () => 1 + Math.floor(rand() * (vocab - 1))));
      const features = await computeFeatures(session, seqs, null, { batchSize: 2 });

      const scored = buildImportedBackbone(load(), analysis, { trainable: 'head' });
      const g = scored.builder;
      const head = Float32Array.from({ length: H }, () => rand() - 0.5);
      g.output(addRewardHead(g, scored.hidden, scored.attentionMask, g.initializer(HEAD_WEIGHT, head, [H])).rewards, IO.rewards);
      const T = 7;
      const ids = new BigInt64Array(seqs.length * T);
      const mask = new BigInt64Array(seqs.length * T);
      seqs.forEach((s, r) => s.forEach((id, t) => ((ids[r * T + t] = BigInt(id)), (mask[r * T + t] = 1n))));
      const scoring = await rt.createSession(encodeModel(g.build()));
      const rewards = (await scoring.run({ [IO.inputIds]: { dtype: 'int64', dims: [seqs.length, T], data: ids }, [IO.attentionMask]: { dtype: 'int64', dims: [seqs.length, T], data: mask } }))[IO.rewards].data as Float32Array;
      features.forEach((f, i) => {
        assert.equal(f.length, H, file);
        const dot = f.reduce((a, x, d) => a + x * head[d], 0);
        assert.ok(Math.abs(dot - rewards[i]) <= 1e-4 * Math.max(1, Math.abs(rewards[i])), `${file} row ${i}: features·head ${dot} vs reward ${rewards[i]}`);
      });
    }
  });
});

void test('buildFeatureGraphFrom refuses a backbone that still has inputs to feed', () => {
  const g = new GraphBuilder({ opset: 17 });
  const mask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  g.input('input_ids', 'int64', ['batch', 'seq']);
  const hidden = g.input('backbone/weight_in', 'float32', ['batch', 'seq', 8]);
  assert.throws(() => buildFeatureGraphFrom(g, hidden, mask), /backbone\/weight_in.*trainable 'head'/);
});

void test('a warm cache answers from disk with identical bytes and no backbone run; only new sequences run', async () => {
  const root = tempDir();
  try {
    await withRuntime(async (rt) => {
      const params = paramsWithHead(3);
      const session = await rt.createSession(encodeModel(buildBuiltinFeatureGraph(CONFIG, params)));
      const seqs = randomSequences(10, 11);
      seqs.push(seqs[2].slice(), seqs[5].slice()); // the same response twice: computed once
      const counting = new CountingRunner(session);
      const progress: number[] = [];
      const cold = await computeFeatures(counting, seqs, FeatureCache.open(root, IDENTITY, D), { batchSize: 4, onProgress: (p) => progress.push(p.computed) });
      assert.equal(counting.rows, 10, 'each distinct sequence runs once');
      assert.equal(counting.runs, 3);
      assert.deepEqual(progress, [0, 4, 8, 10]);
      assert.deepEqual(bytesOf(cold[10]), bytesOf(cold[2]));

      const reopened = FeatureCache.open(root, IDENTITY, D); // a new process: everything from the file
      assert.equal(reopened.size, 10);
      assert.equal(reopened.repair, null);
      const warmRunner = new CountingRunner(session);
      const warm = await computeFeatures(warmRunner, seqs, reopened, { batchSize: 4 });
      assert.equal(warmRunner.runs, 0, 'a warm cache runs no session');
      warm.forEach((f, i) => assert.deepEqual(bytesOf(f), bytesOf(cold[i]), `sequence ${i}`));

      const more = [...seqs, ...randomSequences(2, 12)];
      const partial = new CountingRunner(session);
      await computeFeatures(partial, more, reopened, { batchSize: 4 });
      assert.equal(partial.rows, 2, 'only the two new sequences run');
      assert.equal(FeatureCache.open(root, IDENTITY, D).size, 12);

      // Another template (or model, tokenizer, length, truncation) is another namespace.
      const other = FeatureCache.open(root, { ...IDENTITY, template: '{response}' }, D);
      assert.equal(other.size, 0);
      assert.notEqual(other.dir, reopened.dir);
      assert.notEqual(builtinModelIdentity(CONFIG, params), builtinModelIdentity(CONFIG, initBuiltinParams(CONFIG, 4)));
      const headOnly = new Map(params).set(HEAD_WEIGHT, new Float32Array(D));
      assert.equal(builtinModelIdentity(CONFIG, params), builtinModelIdentity(CONFIG, headOnly), 'the head does not change the features');
      assert.equal(featureKey([1, 2, 3]), featureKey(Int32Array.of(1, 2, 3)));
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('cancelling feature extraction keeps the finished batches; the next run only computes the rest', async () => {
  const root = tempDir();
  try {
    await withRuntime(async (rt) => {
      const session = await rt.createSession(encodeModel(buildBuiltinFeatureGraph(CONFIG, paramsWithHead(3))));
      const seqs = randomSequences(12, 31);
      const stop = new AbortController();
      const first = computeFeatures(session, seqs, FeatureCache.open(root, IDENTITY, D), {
        batchSize: 4,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.computed === 4) stop.abort(new Error('cancelled by the test'));
        },
      });
      await assert.rejects(first, /cancelled by the test/);
      const counting = new CountingRunner(session);
      const rest = await computeFeatures(counting, seqs, FeatureCache.open(root, IDENTITY, D), { batchSize: 4 });
      assert.equal(counting.rows, 8);
      assert.equal(rest.length, 12);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('a damaged cache file is detected, repaired and recomputed, never thrown', async () => {
  const root = tempDir();
  try {
    await withRuntime(async (rt) => {
      const session = await rt.createSession(encodeModel(buildBuiltinFeatureGraph(CONFIG, paramsWithHead(3))));
      const seqs = randomSequences(8, 21);
      const first = FeatureCache.open(root, IDENTITY, D);
      const truth = await computeFeatures(session, seqs, first, { batchSize: 8 });
      const file = first.file;
      const pristine = readFileSync(file);
      const recordBytes = 36 + 4 * D;
      assert.equal(pristine.length, 16 + 8 * recordBytes);
      const near = (a: Float32Array, b: Float32Array): boolean => a.every((x, i) => Math.abs(x - b[i]) < 1e-5);

      // A write cut short by a crash: the last record is partial.
      truncateSync(file, pristine.length - 10);
      const warnings: string[] = [];
      const cut = FeatureCache.open(root, IDENTITY, D, { onWarning: (m) => warnings.push(m) });
      assert.equal(cut.repair?.droppedRecords, 1);
      assert.equal(cut.repair?.rebuilt, false);
      assert.equal(cut.size, 7);
      assert.match(warnings.join('\n'), /1 damaged or cut-short record/);
      assert.equal(statSync(file).size, 16 + 7 * recordBytes, 'the file is rewritten without the partial record');
      const counting = new CountingRunner(session);
      const again = await computeFeatures(counting, seqs, cut, { batchSize: 8 });
      assert.equal(counting.rows, 1, 'only the lost record is computed again');
      again.forEach((f, i) => assert.ok(near(f, truth[i]), `sequence ${i}`));
      const healed = FeatureCache.open(root, IDENTITY, D);
      assert.equal(healed.repair, null);
      assert.equal(healed.size, 8);

      // A flipped byte inside one record's floats: its checksum fails, the others stay.
      const flipped = readFileSync(file);
      flipped[16 + 3 * recordBytes + 36 + 5] ^= 0x40;
      writeFileSync(file, flipped);
      const bitrot = FeatureCache.open(root, IDENTITY, D);
      assert.equal(bitrot.repair?.droppedRecords, 1);
      assert.equal(bitrot.size, 7);
      const lookup = bitrot.get(seqs.map((s) => featureKey(s)));
      assert.equal(lookup.missing.length, 1);
      for (const [i, r] of lookup.rows.entries()) if (r) assert.deepEqual(bytesOf(r), bytesOf(truth[i]));

      // Garbage over the header, a file shorter than a header, rows of another width: started over.
      const garbage = readFileSync(file);
      garbage.write('not a cache', 0);
      writeFileSync(file, garbage);
      const overwritten = FeatureCache.open(root, IDENTITY, D);
      assert.equal(overwritten.repair?.rebuilt, true);
      assert.equal(overwritten.size, 0);
      const fd = openSync(file, 'w');
      writeSync(fd, Buffer.from('RSFC!'));
      closeSync(fd);
      assert.equal(FeatureCache.open(root, IDENTITY, D).repair?.rebuilt, true);
      await computeFeatures(session, seqs, FeatureCache.open(root, IDENTITY, D), { batchSize: 8 });
      const wide = FeatureCache.open(root, IDENTITY, 2 * D);
      assert.equal(wide.repair?.rebuilt, true);
      assert.match(wide.repair!.reason, /rows of 32 floats, the model gives 64/);

      // A cache that cannot be read or written at all (here: a folder where the file goes) only warns.
      rmSync(file);
      mkdirSync(file);
      const blocked: string[] = [];
      const memoryOnly = FeatureCache.open(root, IDENTITY, D, { onWarning: (m) => blocked.push(m) });
      const computed = await computeFeatures(session, seqs, memoryOnly, { batchSize: 8 });
      computed.forEach((f, i) => assert.ok(near(f, truth[i])));
      assert.equal(memoryOnly.size, 8, 'kept in memory for this run');
      assert.ok(blocked.length >= 1 && /cannot read/.test(blocked[0]), blocked.join('\n'));
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** One head step in float64 by hand: Bradley–Terry loss, its gradient w.r.t. head.w, clipping, AdamW (torch semantics). */
function referenceHeadStep(
  F: Float32Array,
  B: number,
  state: { w: ArrayLike<number>; m: ArrayLike<number>; v: ArrayLike<number>; step: number },
  o: { lr: number; opt: OptimizerConfig; decay: boolean; margin?: ArrayLike<number>; centerCoef?: number },
): { loss: number; gradNorm: number; w: Float64Array; m: Float64Array; v: Float64Array; accuracy: number } {
  const r = new Float64Array(2 * B);
  for (let i = 0; i < 2 * B; i++) for (let d = 0; d < D; d++) r[i] += F[i * D + d] * state.w[d];
  const grad = new Float64Array(D);
  let loss = 0;
  let center = 0;
  let correct = 0;
  for (let i = 0; i < B; i++) {
    const z = r[i] - r[B + i] - (o.margin?.[i] ?? 0);
    loss += Math.log1p(Math.exp(-z)) / B;
    if (r[i] > r[B + i]) correct++;
    const dz = -1 / (1 + Math.exp(z)) / B; // d softplus(−z)/dz
    const s = r[i] + r[B + i];
    center += (s * s) / B;
    const ds = ((o.centerCoef ?? 0) * 2 * s) / B;
    for (let d = 0; d < D; d++) grad[d] += dz * (F[i * D + d] - F[(B + i) * D + d]) + ds * (F[i * D + d] + F[(B + i) * D + d]);
  }
  loss += (o.centerCoef ?? 0) * center;
  const norm = Math.sqrt(grad.reduce((a, g) => a + g * g, 0));
  const coef = o.opt.maxGradNorm === null ? 1 : Math.min(1, o.opt.maxGradNorm / (norm + 1e-6));
  const t = state.step + 1;
  const { beta1, beta2, eps, weightDecay } = o.opt;
  const w = new Float64Array(D);
  const m = new Float64Array(D);
  const v = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    const g = grad[d] * coef;
    const p = o.decay ? state.w[d] * (1 - o.lr * weightDecay) : state.w[d];
    m[d] = beta1 * state.m[d] + (1 - beta1) * g;
    v[d] = beta2 * state.v[d] + (1 - beta2) * g * g;
    w[d] = p - (o.lr / (1 - beta1 ** t)) * (m[d] / (Math.sqrt(v[d]) / Math.sqrt(1 - beta2 ** t) + eps));
  }
  return { loss, gradNorm: norm, w, m, v, accuracy: correct / B };
}

void test('the head step is the Bradley–Terry gradient, clipping and AdamW computed by hand in float64', async () => {
  await withRuntime(async (rt) => {
    const cases = [
      { name: 'defaults (no decay on a [D] vector), clipping on', opt: optimizerConfig({ lr: 0.05, maxGradNorm: 0.05 }), useMargin: false, centerCoef: 0, decayed: [] },
      { name: "decay 'all', margin, centering, no clipping", opt: optimizerConfig({ lr: 0.02, weightDecay: 0.1, decay: 'all', maxGradNorm: null }), useMargin: true, centerCoef: 0.01, decayed: [HEAD_WEIGHT] },
    ];
    for (const c of cases) {
      const graph = buildHeadStep({ dModel: D, optimizer: c.opt, useMargin: c.useMargin, centerCoef: c.centerCoef });
      // Weight decay on head.w as the full training step decides it.
      const full = buildTrainStep({ config: CONFIG, params: initBuiltinParams(CONFIG, 1), trainable: 'head', optimizer: c.opt });
      assert.deepEqual(graph.decayed, full.decayed, c.name);
      assert.deepEqual(graph.decayed, c.decayed, c.name);
      const normal = gaussian(31);
      const start = new Map([[HEAD_WEIGHT, Float32Array.from({ length: D }, () => 0.1 * normal())]]);
      const stepper = await HeadStepper.create(rt, graph, start);
      const B = 6;
      for (let s = 0; s < 3; s++) {
        const pairs = Array.from({ length: B }, (_, i) => ({
          chosen: Float32Array.from({ length: D }, () => normal()),
          rejected: Float32Array.from({ length: D }, () => normal()),
          margin: c.useMargin ? 0.5 * i - 1 : undefined,
        }));
        const batch = collateFeatures(pairs);
        const before = { w: stepper.params().get(HEAD_WEIGHT)!, m: stepper.moments().m.get(HEAD_WEIGHT)!, v: stepper.moments().v.get(HEAD_WEIGHT)!, step: stepper.steps };
        const ref = referenceHeadStep(batch.features, B, before, { lr: c.opt.lr, opt: c.opt, decay: graph.decayed.length > 0, margin: c.useMargin ? batch.margin : undefined, centerCoef: c.centerCoef });
        if (c.opt.maxGradNorm !== null) assert.ok(ref.gradNorm > 2 * c.opt.maxGradNorm, 'the clipping case clips');
        const got = await stepper.step(batch, c.opt.lr);
        const where = `${c.name}, step ${s}`;
        assert.ok(Math.abs(got.loss - ref.loss) < 1e-5, `${where}: loss ${got.loss} vs ${ref.loss}`);
        assert.ok(Math.abs(got.gradNorm - ref.gradNorm) < 1e-5, `${where}: grad_norm ${got.gradNorm} vs ${ref.gradNorm}`);
        assert.ok(Math.abs(got.accuracy - ref.accuracy) < 1e-6, `${where}: accuracy ${got.accuracy} vs ${ref.accuracy}`);
        assert.equal(got.step, s + 1);
        const w = stepper.params().get(HEAD_WEIGHT)!;
        const { m, v } = stepper.moments();
        for (let d = 0; d < D; d++) {
          assert.ok(Math.abs(w[d] - ref.w[d]) < 1e-5, `${where}: head.w[${d}] ${w[d]} vs ${ref.w[d]}`);
          assert.ok(Math.abs(m.get(HEAD_WEIGHT)![d] - ref.m[d]) < 1e-6, `${where}: m[${d}]`);
          assert.ok(Math.abs(v.get(HEAD_WEIGHT)![d] - ref.v[d]) < 1e-7, `${where}: v[${d}]`);
        }
      }
      // Resuming from the moments continues the same trajectory.
      const resumed = await HeadStepper.create(rt, graph, stepper.params(), { resume: { step: stepper.steps, ...stepper.moments() } });
      const batch = collateFeatures([{ chosen: Float32Array.from({ length: D }, () => normal()), rejected: Float32Array.from({ length: D }, () => normal()), margin: 0.3 }]);
      const a = await stepper.step(batch, c.opt.lr);
      const b = await resumed.step(batch, c.opt.lr);
      assert.equal(a.loss, b.loss);
      assert.deepEqual(bytesOf(resumed.params().get(HEAD_WEIGHT) as Float32Array), bytesOf(stepper.params().get(HEAD_WEIGHT) as Float32Array));
      await stepper.release();
      await resumed.release();
    }
  });
});

void test('a head step on cached features matches the full training step with trainable head', async () => {
  await withRuntime(async (rt) => {
    const params = initBuiltinParams(CONFIG, 8); // zero head, as training starts
    const optimizer = optimizerConfig({ lr: 0.01 });
    const seqs = randomSequences(16, 41, 3, 20);
    const pairs = Array.from({ length: 8 }, (_, i) => ({ chosen: seqs[i], rejected: seqs[8 + i] }));
    const full = await TrainStepper.create(rt, buildTrainStep({ config: CONFIG, params, trainable: 'head', optimizer }), params, new Map([[HEAD_WEIGHT, [D]]]));
    const session = await rt.createSession(encodeModel(buildBuiltinFeatureGraph(CONFIG, params)));
    const features = await computeFeatures(session, seqs, null, { batchSize: 16 });
    const head = await HeadStepper.create(rt, buildHeadStep({ dModel: D, optimizer }), params);
    const batch = collateFeatures(pairs.map((_, i) => ({ chosen: features[i], rejected: features[8 + i] })));
    for (let s = 0; s < 3; s++) {
      const a = await full.step(collatePairs(pairs), optimizer.lr);
      const b = await head.step(batch, optimizer.lr);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `step ${s}: loss ${a.loss} vs ${b.loss}`);
      assert.ok(Math.abs(a.gradNorm - b.gradNorm) < 1e-5, `step ${s}: grad_norm ${a.gradNorm} vs ${b.gradNorm}`);
    }
    const wa = full.params().get(HEAD_WEIGHT)!;
    const wb = head.params().get(HEAD_WEIGHT)!;
    for (let d = 0; d < D; d++) assert.ok(Math.abs(wa[d] - wb[d]) < 1e-5, `head.w[${d}] ${wa[d]} vs ${wb[d]}`);
    assert.equal(head.params().get('h0.attn.wqkv'), params.get('h0.attn.wqkv'), 'frozen parameters are carried through');
    assert.deepEqual(head.trainable, [HEAD_WEIGHT]);
    assert.equal(STEP_IO.newParam(HEAD_WEIGHT), 'new.head.w');
  });
});

void test('a head trained on cached backbone features learns a planted linear preference', async (t) => {
  await withRuntime(async (rt) => {
    const params = initBuiltinParams(CONFIG, 5);
    const session = await rt.createSession(encodeModel(buildBuiltinFeatureGraph(CONFIG, params)));
    const seqs = randomSequences(2400, 51, 4, 20);
    const features = await computeFeatures(session, seqs, null, { batchSize: 64 });
    // The planted preference: the label is sign(w*·(f_a − f_b)); near-ties (|score gap| tiny) are left out.
    const normal = gaussian(61);
    const wStar = Float64Array.from({ length: D }, () => normal());
    const score = (f: Float32Array): number => f.reduce((s, x, d) => s + x * wStar[d], 0);
    const pairs: { chosen: Float32Array; rejected: Float32Array }[] = [];
    for (let i = 0; i + 1 < seqs.length; i += 2) {
      const [a, b] = [features[i], features[i + 1]];
      const gap = score(a) - score(b);
      if (Math.abs(gap) < 0.1) continue;
      pairs.push(gap > 0 ? { chosen: a, rejected: b } : { chosen: b, rejected: a });
    }
    const split = Math.floor(pairs.length * 0.75);
    const train = pairs.slice(0, split);
    const held = pairs.slice(split);
    assert.ok(held.length > 100, `${held.length} held-out pairs`);

    const optimizer = optimizerConfig({ lr: 0.02, schedule: 'constant' });
    const stepper = await HeadStepper.create(rt, buildHeadStep({ dModel: D, optimizer }), params);
    const rand = mulberry32(71);
    const batchSize = 16;
    let firstLoss = NaN;
    let lastLoss = NaN;
    for (let epoch = 0; epoch < 8; epoch++) {
      const order = train.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let s = 0; s + batchSize <= order.length; s += batchSize) {
        const m = await stepper.step(collateFeatures(order.slice(s, s + batchSize).map((i) => train[i])), optimizer.lr);
        if (Number.isNaN(firstLoss)) firstLoss = m.loss;
        lastLoss = m.loss;
      }
    }
    const w = stepper.params().get(HEAD_WEIGHT)!;
    const reward = (f: Float32Array): number => f.reduce((s, x, d) => s + x * w[d], 0);
    const accuracy = held.filter((p) => reward(p.chosen) > reward(p.rejected)).length / held.length;
    t.diagnostic(`held-out accuracy ${(100 * accuracy).toFixed(1)}% on ${held.length} pairs after ${stepper.steps} steps; loss ${firstLoss.toFixed(3)} → ${lastLoss.toFixed(3)}`);
    assert.ok(firstLoss > 0.69 && firstLoss < 0.7, `a zero head starts at log 2 (${firstLoss})`);
    assert.ok(accuracy >= 0.9, `held-out accuracy ${accuracy}`);
    await stepper.release();
  });
});
