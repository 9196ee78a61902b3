// LR schedules against the reference's scheduledLr (HF get_*_schedule_with_warmup), the decay policy,
// and the one optimizer config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinParamShapes } from '../../../../src/core/model';
import {
  decayedParams,
  DEFAULT_OPTIMIZER_CONFIG,
  optimizerConfig,
  scheduledLr,
  scheduleFor,
  shouldDecay,
  warmupStepsFor,
  type ScheduleKind,
} from '../../../../src/core/optim';
import { scheduledLr as referenceLr } from '../../../helpers/reference/tinyGpt';

test('schedules equal the reference for every kind, warmup and step (past the end too)', () => {
  let checked = 0;
  for (const kind of ['constant', 'linear', 'cosine'] as ScheduleKind[]) {
    for (const [warmup, total] of [[0, 10], [3, 10], [10, 10], [1, 1], [0, 0], [7, 100]]) {
      for (let step = 0; step <= total + 3; step++) {
        const got = scheduledLr({ kind, baseLr: 3e-4, warmupSteps: warmup, totalSteps: total }, step);
        assert.equal(got, referenceLr(3e-4, step, warmup, total, kind), `${kind} warmup ${warmup} total ${total} step ${step}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 300);
});

test('schedules: HF values by hand', () => {
  const s = (kind: ScheduleKind, step: number): number => scheduledLr({ kind, baseLr: 1, warmupSteps: 10, totalSteps: 110 }, step);
  assert.equal(s('linear', 0), 0, 'the first update of a warmed-up run uses lr 0, as HF');
  assert.equal(s('linear', 5), 0.5);
  assert.equal(s('linear', 10), 1);
  assert.equal(s('linear', 60), 0.5);
  assert.equal(s('linear', 110), 0);
  assert.equal(s('linear', 200), 0, 'clamped at 0');
  assert.ok(Math.abs(s('cosine', 60) - 0.5) < 1e-15);
  assert.equal(s('constant', 1000), 1);
});

test('warmup resolution as HF TrainingArguments: steps win over ratio, ratio rounds up', () => {
  assert.equal(warmupStepsFor({ warmupSteps: 5, warmupRatio: 0.5 }, 100), 5);
  assert.equal(warmupStepsFor({ warmupSteps: 0, warmupRatio: 0.1 }, 95), 10);
  assert.equal(warmupStepsFor({ warmupSteps: 0, warmupRatio: 0 }, 95), 0);
  const sched = scheduleFor(optimizerConfig({ lr: 1e-3, schedule: 'cosine', warmupRatio: 0.03 }), 1000);
  assert.deepEqual(sched, { kind: 'cosine', baseLr: 1e-3, warmupSteps: 30, totalSteps: 1000 });
  assert.throws(() => scheduleFor(DEFAULT_OPTIMIZER_CONFIG, -1), /totalSteps/);
});

test('default decay policy: weight matrices only — no biases, norms, embeddings or the head vector', () => {
  const c = { vocab: 10, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 6, eps: 1e-5 };
  const decayed = decayedParams(builtinParamShapes(c), DEFAULT_OPTIMIZER_CONFIG);
  assert.deepEqual(decayed, ['h0.attn.wqkv', 'h0.attn.wo', 'h0.mlp.w1', 'h0.mlp.w2', 'h1.attn.wqkv', 'h1.attn.wo', 'h1.mlp.w1', 'h1.mlp.w2']);
  // Imported models' names.
  const rule = DEFAULT_OPTIMIZER_CONFIG;
  assert.equal(shouldDecay('transformer.wte.weight', [50257, 768], rule), false);
  assert.equal(shouldDecay('model.embed_tokens.weight', [32000, 4096], rule), false);
  assert.equal(shouldDecay('bert.embeddings.word_embeddings.weight', [30522, 768], rule), false);
  assert.equal(shouldDecay('model.layers.0.self_attn.q_proj.weight', [4096, 4096], rule), true);
  assert.equal(shouldDecay('transformer.h.0.ln_1.weight', [768], rule), false);
  // Configurable.
  assert.equal(shouldDecay('wte', [10, 8], { decay: 'matrices', noDecay: [] }), true, 'nanoGPT: embeddings decayed');
  assert.equal(shouldDecay('h0.ln1.g', [8], { decay: 'all', noDecay: [] }), true);
  assert.equal(shouldDecay('h0.mlp.w1', [8, 32], { decay: 'none', noDecay: [] }), false);
});

test('optimizer config: one frozen block of defaults; overrides validated with the field named', () => {
  assert.ok(Object.isFrozen(DEFAULT_OPTIMIZER_CONFIG));
  assert.deepEqual(optimizerConfig(), { ...DEFAULT_OPTIMIZER_CONFIG });
  const c = optimizerConfig({ lr: 1e-3, maxGradNorm: null, weightDecay: undefined });
  assert.equal(c.lr, 1e-3);
  assert.equal(c.maxGradNorm, null);
  assert.equal(c.weightDecay, DEFAULT_OPTIMIZER_CONFIG.weightDecay, 'undefined keeps the default');
  assert.throws(() => optimizerConfig({ beta2: 1 }), /beta2/);
  assert.throws(() => optimizerConfig({ lr: -1 }), /lr/);
  assert.throws(() => optimizerConfig({ maxGradNorm: 0 }), /maxGradNorm/);
  assert.throws(() => optimizerConfig({ noDecay: ['('] }), /noDecay/);
  assert.throws(() => optimizerConfig({ schedule: 'step' as ScheduleKind }), /schedule/);
  assert.throws(() => optimizerConfig({ warmupSteps: 1.5 }), /warmupSteps/);
});
