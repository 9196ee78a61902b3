// A whole run through the trainer and the CLI on a tiny built-in model: the output folder, the events,
// cancel → resume taking exactly the steps of an uninterrupted run, scoring with the exported model,
// and the clear failures (mismatched tokenizer, a run folder already in use, changed data on resume).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { serializeTrlLine } from '../../../../src/core/data/formats/trlWriter';
import { generateSyntheticPreferences } from '../../../../src/core/data/synthetic';
import { Runtime } from '../../../../src/core/runtime';
import { RewardModel } from '../../../../src/core/score/rewardModel';
import { resolveTrainConfig, type TrainConfigInput } from '../../../../src/core/train/config';
import type { TrainEvent } from '../../../../src/core/train/events';
import { builtinConfig, initBuiltinParams } from '../../../../src/core/model';
import { readSafetensors } from '../../../../src/core/train/safetensors';
import { runTraining, TrainError } from '../../../../src/core/train/trainer';
import { sharedData, tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

const data = join(tmp.dir, 'syn.jsonl');
writeFileSync(data, generateSyntheticPreferences({ n: 240, seed: 3 }).pairs.map((p) => serializeTrlLine(p) + '\n').join(''));

const TINY: TrainConfigInput = {
  builtin: { dModel: 16, nHeads: 2, nLayers: 1 },
  tokenizerVocabSize: 320,
  maxLength: 256,
  batchSize: 16,
  epochs: 2,
  evalFraction: 0.2,
  provider: 'cpu',
};

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function events(dir: string): TrainEvent[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrainEvent);
}

void test('a run writes the whole output folder; its events follow the documented order', async () => {
  const out = join(tmp.dir, 'run-a');
  const seen: TrainEvent[] = [];
  const done = await runTraining({ dataFile: data, outDir: out, config: resolveTrainConfig({ values: TINY as Record<string, unknown>, source: 'test' }), onEvent: (e) => seen.push(e) });
  assert.equal(done.status, 'completed');
  for (const f of ['reward-model.onnx', 'reward-model.json', 'tokenizer.json', 'tokenizer_config.json', 'train.log', 'metrics.jsonl', 'resolved-config.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  for (const f of ['params.safetensors', 'optimizer.safetensors', 'state.json']) {
    assert.ok(existsSync(join(out, 'checkpoints', 'last', f)), `last/${f}`);
    assert.ok(existsSync(join(out, 'checkpoints', 'best', f)), `best/${f}`);
  }
  assert.deepEqual(seen, events(out), 'metrics.jsonl holds exactly the events emitted');
  const start = seen.find((e) => e.type === 'start');
  assert.ok(start && start.type === 'start');
  assert.equal(start.provider, 'cpu');
  assert.ok(start.pairs.train > 120 && start.pairs.eval > 20, JSON.stringify(start.pairs));
  assert.equal(start.totalSteps, 2 * start.stepsPerEpoch);
  const steps = seen.filter((e) => e.type === 'step');
  assert.equal(steps.length, start.totalSteps);
  assert.deepEqual(
    steps.map((s) => s.step),
    Array.from({ length: start.totalSteps }, (_, i) => i + 1),
  );
  for (const s of steps) {
    for (const k of ['loss', 'accuracy', 'rewardMargin', 'rewardMean', 'rewardMin', 'rewardMax', 'gradNorm', 'learningRate', 'tokensPerSecond'] as const) assert.ok(Number.isFinite(s[k]), `${k} at ${s.step}`);
    assert.ok(s.rewardMin <= s.rewardMean && s.rewardMean <= s.rewardMax);
  }
  const evals = seen.filter((e) => e.type === 'eval');
  assert.deepEqual(
    evals.map((e) => e.step),
    [start.stepsPerEpoch, 2 * start.stepsPerEpoch],
    'one evaluation per epoch',
  );
  assert.ok(evals.some((e) => e.best));
  assert.equal(seen.at(-1)?.type, 'done');

  const card = JSON.parse(readFileSync(join(out, 'reward-model.json'), 'utf8'));
  assert.equal(card.format, 'reward-studio/reward-model@1');
  assert.equal(card.training.steps, start.totalSteps);
  assert.equal(card.eval.history.length, 2);
  assert.equal(card.metrics.length, start.totalSteps);
  assert.equal(typeof card.rewards.mean, 'number');
  assert.equal(card.training.exported.which, 'best');
  const best = evals.reduce((a, b) => (b.loss < a.loss ? b : a));
  assert.equal(card.training.exported.step, best.step, 'the export holds the best parameters by eval loss');

  // The exported model scores the eval pairs exactly as the best evaluation did.
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'none' });
  try {
    const model = await RewardModel.load(out, rt);
    assert.equal(model.tokenizer.identity.sha256, card.tokenizer.sha256);
    await model.release();
  } finally {
    await rt.dispose();
  }
});

void test('cancel leaves a resumable checkpoint; resuming takes exactly the steps of the uninterrupted run', async () => {
  const config = resolveTrainConfig({ values: { ...TINY, evalSteps: 5 } as Record<string, unknown>, source: 'test' });
  const straight = join(tmp.dir, 'straight');
  await runTraining({ dataFile: data, outDir: straight, config });

  const split = join(tmp.dir, 'split');
  const ac = new AbortController();
  const first = await runTraining({
    dataFile: data,
    outDir: split,
    config,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'step' && e.step === 7) ac.abort();
    },
  });
  assert.equal(first.status, 'cancelled');
  assert.equal(first.step, 7);
  assert.equal(first.modelFile, null);
  assert.match(first.resumeCommand ?? '', /train --resume /);
  assert.ok(!existsSync(join(split, 'reward-model.onnx')), 'no model until the run finishes');
  assert.ok(existsSync(join(split, 'checkpoints', 'last', 'state.json')));

  // Starting a new run in the same folder is refused; resume is the way on.
  await assert.rejects(runTraining({ dataFile: data, outDir: split, config }), (e: unknown) => e instanceof TrainError && /--resume/.test(e.message));

  const second = await runTraining({ outDir: split, resume: true });
  assert.equal(second.status, 'completed');
  const a = readSafetensors(join(straight, 'checkpoints', 'last', 'params.safetensors')).tensors;
  const b = readSafetensors(join(split, 'checkpoints', 'last', 'params.safetensors')).tensors;
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, t] of a) {
    const u = b.get(k)!.data;
    let worst = 0;
    t.data.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - u[i]))));
    assert.ok(worst <= 1e-6, `${k}: resumed run differs by ${worst}`);
  }
  const evA = events(straight).filter((e) => e.type === 'eval');
  const evB = events(split).filter((e) => e.type === 'eval');
  assert.deepEqual(
    evB.map((e) => e.step),
    evA.map((e) => e.step),
  );
  for (let i = 0; i < evA.length; i++) assert.ok(Math.abs((evA[i] as { loss: number }).loss - (evB[i] as { loss: number }).loss) < 1e-5);
  const stepsB = events(split).filter((e) => e.type === 'step');
  assert.deepEqual(
    stepsB.map((e) => e.step),
    Array.from({ length: stepsB.length }, (_, i) => i + 1),
    'the metrics of both halves form one history',
  );

  // Resume refuses changed data.
  const changed = join(tmp.dir, 'changed');
  const ac2 = new AbortController();
  const copy = join(tmp.dir, 'copy.jsonl');
  writeFileSync(copy, readFileSync(data));
  await runTraining({ dataFile: copy, outDir: changed, config, signal: ac2.signal, onEvent: (e) => e.type === 'step' && ac2.abort() });
  writeFileSync(copy, readFileSync(data, 'utf8') + readFileSync(data, 'utf8').split('\n')[0] + '\n');
  await assert.rejects(runTraining({ outDir: changed, resume: true }), /changed since the checkpoint/);
});

void test('head-only runs train on cached backbone features: a second run with other settings computes none', async () => {
  const cacheDir = join(tmp.dir, 'cache');
  const config = resolveTrainConfig({ values: { ...TINY, trainable: 'head', epochs: 3 } as Record<string, unknown>, source: 'test' });
  const logs1: string[] = [];
  const first = await runTraining({ dataFile: data, outDir: join(tmp.dir, 'head-1'), config, cacheDir, onLog: (l) => logs1.push(l) });
  assert.equal(first.status, 'completed');
  const start = events(join(tmp.dir, 'head-1')).find((e) => e.type === 'start');
  assert.ok(start && start.type === 'start');
  assert.equal(start.parameters.trainable, 16, 'only the head (d = 16) trains');
  assert.ok(logs1.some((l) => / 0 of \d+ sequences cached/.test(l)), logs1.join('\n'));
  const losses = events(join(tmp.dir, 'head-1')).filter((e) => e.type === 'step').map((e) => (e as { loss: number }).loss);
  assert.ok(losses.at(-1)! < losses[0], `the head learns: ${losses[0]} → ${losses.at(-1)}`);
  // Only head.w is in the checkpoint; the export holds the frozen backbone too and loads.
  const ck = readSafetensors(join(tmp.dir, 'head-1', 'checkpoints', 'last', 'params.safetensors')).tensors;
  assert.deepEqual([...ck.keys()], ['head.w']);

  const logs2: string[] = [];
  const again = resolveTrainConfig({ values: { ...TINY, trainable: 'head', epochs: 3, learningRate: 3e-3, batchSize: 8 } as Record<string, unknown>, source: 'test' });
  await runTraining({ dataFile: data, outDir: join(tmp.dir, 'head-2'), config: again, cacheDir, onLog: (l) => logs2.push(l) });
  const counts = logs2.map((l) => / (\d+) of (\d+) sequences cached, (\d+)\/(\d+) computed/.exec(l)).filter((m) => m !== null);
  assert.ok(counts.length > 0, logs2.join('\n'));
  for (const m of counts) {
    assert.equal(m[1], m[2], 'every sequence came from the cache');
    assert.equal(m[4], '0', 'nothing computed');
  }

  // Resume works head-only too.
  const ac = new AbortController();
  const h3 = join(tmp.dir, 'head-3');
  const c = await runTraining({ dataFile: data, outDir: h3, config, cacheDir, signal: ac.signal, onEvent: (e) => e.type === 'step' && e.step === 4 && ac.abort() });
  assert.equal(c.status, 'cancelled');
  const r = await runTraining({ outDir: h3, resume: true, cacheDir });
  assert.equal(r.status, 'completed');
  const a = readSafetensors(join(tmp.dir, 'head-1', 'checkpoints', 'last', 'params.safetensors')).tensors.get('head.w')!.data;
  const b = readSafetensors(join(h3, 'checkpoints', 'last', 'params.safetensors')).tensors.get('head.w')!.data;
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= 1e-6, `head.w[${i}] ${x} vs ${b[i]}`));
});

void test('LM pretraining first: the backbone learns the texts (next-token loss falls), is saved, and a resumed head-only run uses it', async () => {
  const out = join(tmp.dir, 'pre');
  const config = resolveTrainConfig({ values: { ...TINY, pretrainEpochs: 6, trainable: 'head', epochs: 2 } as Record<string, unknown>, source: 'test' });
  const logs: string[] = [];
  const ac = new AbortController();
  const first = await runTraining({ dataFile: data, outDir: out, config, cacheDir: null, signal: ac.signal, onLog: (l) => logs.push(l), onEvent: (e) => e.type === 'step' && e.step === 3 && ac.abort() });
  assert.equal(first.status, 'cancelled');
  const losses = logs.map((l) => /pretrain step \d+\/\d+: next-token loss ([\d.]+)/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
  assert.ok(losses.length >= 2, logs.join('\n'));
  assert.ok(losses.at(-1)! < losses[0] - 0.4, `next-token loss ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(existsSync(join(out, 'pretrained-backbone.safetensors')));
  const pre = readSafetensors(join(out, 'pretrained-backbone.safetensors')).tensors;
  const init = initBuiltinParams(builtinConfig({ vocab: pre.get('wte')!.dims[0], dModel: 16, nHeads: 2, nLayers: 1, maxLen: 256 }), 42);
  assert.notDeepEqual(Array.from(pre.get('h0.mlp.w1')!.data.slice(0, 8)), Array.from(init.get('h0.mlp.w1')!.slice(0, 8)), 'the saved backbone is not the init');

  // Resumed, the frozen backbone is the pretrained one: the run ends exactly as an uninterrupted one.
  const resumed = await runTraining({ outDir: out, resume: true, cacheDir: null });
  assert.equal(resumed.status, 'completed');
  const straight = join(tmp.dir, 'pre-straight');
  await runTraining({ dataFile: data, outDir: straight, config, cacheDir: null });
  const a = readSafetensors(join(out, 'checkpoints', 'last', 'params.safetensors')).tensors.get('head.w')!.data;
  const b = readSafetensors(join(straight, 'checkpoints', 'last', 'params.safetensors')).tensors.get('head.w')!.data;
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= 1e-6, `head.w[${i}] ${x} vs ${b[i]}`));
  const card = JSON.parse(readFileSync(join(straight, 'reward-model.json'), 'utf8'));
  assert.equal(card.training.pretrain.epochs, 6);
  assert.ok(card.training.pretrain.lastLoss < card.training.pretrain.firstLoss);
});

void test('CLI: train --json prints events; score writes every record with its rewards; a wrong tokenizer fails clearly', async () => {
  const out = join(tmp.dir, 'cli-run');
  const cfg = join(tmp.dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify(TINY, null, 2));
  const r = await cli('train', '--data', data, '--out', out, '--config', cfg, '--epochs', '1', '--json');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n').map((l) => JSON.parse(l) as TrainEvent);
  assert.equal(lines[0].type, 'phase');
  assert.ok(lines.some((e) => e.type === 'start'));
  assert.equal(lines.at(-1)?.type, 'done');

  const scored = join(tmp.dir, 'scored.jsonl');
  const s = await cli('score', '--model', out, '--data', data, '--out', scored);
  assert.equal(s.code, 0, s.err);
  assert.match(s.err, /scored 240 pairs/);
  const input = readFileSync(data, 'utf8').trim().split('\n');
  const output = readFileSync(scored, 'utf8').trim().split('\n');
  assert.equal(output.length, input.length);
  output.forEach((line, i) => {
    const o = JSON.parse(line);
    const { reward_chosen, reward_rejected, reward_truncated_tokens, ...rest } = o;
    if (reward_truncated_tokens !== undefined) assert.ok(Number.isInteger(reward_truncated_tokens) && reward_truncated_tokens > 0);
    assert.equal(typeof reward_chosen, 'number');
    assert.equal(typeof reward_rejected, 'number');
    assert.deepEqual(rest, JSON.parse(input[i]), 'the record is otherwise as it was');
  });
  assert.equal((await cli('score', '--model', out, '--data', data, '--out', scored)).code, 1, 'never overwrites without --force');

  const wrong = await cli('score', '--model', out, '--data', data, '--out', join(tmp.dir, 's2.jsonl'), '--tokenizer', sharedData('tokenizers', 'gpt2', 'tokenizer.json'));
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /Tokenizer mismatch: the model was trained with tokenizer "reward-studio-bpe-320"/);

  // On a terminal: a progress bar redrawn in place, the log lines around it, the result at the end.
  const bars: string[] = [];
  const err: string[] = [];
  const code = await runCli(['train', '--data', data, '--out', join(tmp.dir, 'tty-run'), '--config', cfg, '--max-steps', '6', '--log-steps', '2'], {
    out: () => undefined,
    err: (t) => err.push(t),
    progress: (t) => bars.push(t),
  });
  assert.equal(code, 0);
  assert.deepEqual(
    bars.filter(Boolean).map((b) => /step (\d+)\/6/.exec(b)?.[1]),
    ['2', '4', '6'],
  );
  assert.equal(bars.at(-1), '', 'the bar is cleared before the summary');
  assert.match(err.join('\n'), /held-out accuracy [\d.]+% \(best by eval loss, step \d+\) vs length-only baseline [\d.]+% and bag-of-words baseline [\d.]+% on \d+ pairs/);

  const bad = await cli('train', '--data', data, '--out', join(tmp.dir, 'x'), '--batch-size', '0');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /command line \(--batch-size\): batchSize must be an integer ≥ 1/);
  const noModel = await cli('score', '--model', join(tmp.dir, 'nope'), '--data', data, '--out', join(tmp.dir, 's3.jsonl'));
  assert.equal(noModel.code, 1);
  assert.match(noModel.err, /no such folder/);
});
