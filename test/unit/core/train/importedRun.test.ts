// Whole runs over a user's exported backbone: DistilBERT (exported by PyTorch, ../shared/data/onnx) with
// the real WordPiece tokenizer of the same vocabulary (all-MiniLM-L6-v2). Top-N and head-only training
// produce a model folder that `score` loads; a fused export refuses full training with the list of ops
// and trains head-only; a tokenizer larger than the backbone's vocabulary is refused up front.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serializeTrlLine } from '../../../../src/core/data/formats/trlWriter';
import { generateSyntheticPreferences } from '../../../../src/core/data/synthetic';
import { Runtime } from '../../../../src/core/runtime';
import { RewardModel } from '../../../../src/core/score/rewardModel';
import { trainTokenizer } from '../../../../src/core/tokenize';
import { resolveTrainConfig } from '../../../../src/core/train/config';
import type { TrainEvent } from '../../../../src/core/train/events';
import { runTraining, TrainError } from '../../../../src/core/train/trainer';
import { sharedData, tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);
const data = join(tmp.dir, 'syn.jsonl');
writeFileSync(data, generateSyntheticPreferences({ n: 96, seed: 5 }).pairs.map((p) => serializeTrlLine(p) + '\n').join(''));
const distilbert = sharedData('onnx', 'optimum__tiny_distilbert_model.onnx');
const minilm = sharedData('tokenizers', 'all-MiniLM-L6-v2');

function config(values: Record<string, unknown>) {
  return resolveTrainConfig({
    source: 'test',
    values: { backbone: distilbert, tokenizer: minilm, maxLength: 96, batchSize: 8, epochs: 1, evalFraction: 0.25, provider: 'cpu', learningRate: 1e-2, ...values },
  });
}

void test('DistilBERT export, top-1 block + head: trains, evaluates, exports a model folder that scores', async () => {
  const out = join(tmp.dir, 'top1');
  const seen: TrainEvent[] = [];
  const done = await runTraining({ dataFile: data, outDir: out, config: config({ trainable: 'top-1' }), onEvent: (e) => seen.push(e) });
  assert.equal(done.status, 'completed');
  const start = seen.find((e) => e.type === 'start');
  assert.ok(start?.type === 'start');
  assert.ok(start.parameters.trainable > 2 && start.parameters.trainable < start.parameters.total, JSON.stringify(start.parameters));
  assert.ok(existsSync(join(out, 'reward-model.onnx')));
  const card = JSON.parse(readFileSync(join(out, 'reward-model.json'), 'utf8'));
  assert.equal(card.model.backboneConfig.kind, 'imported');
  assert.match(card.model.backbone, /imported optimum__tiny_distilbert_model\.onnx/);
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'none' });
  try {
    const model = await RewardModel.load(out, rt);
    const [s] = await model.scorePairs([{ pair: { prompt: 'What is 2 + 2?', chosen: '2 + 2 = 4.', rejected: '2 + 2 = 5.' }, source: { file: 'x', line: 1 } }]);
    assert.ok(Number.isFinite(s.rewardChosen) && Number.isFinite(s.rewardRejected));
    await model.release();
  } finally {
    await rt.dispose();
  }
});

void test('DistilBERT export, head only: features are cached; the fused GPT-2 export trains head-only and refuses full training naming its ops', async () => {
  const cacheDir = join(tmp.dir, 'cache');
  const done = await runTraining({ dataFile: data, outDir: join(tmp.dir, 'head'), config: config({ trainable: 'head', epochs: 2 }), cacheDir });
  assert.equal(done.status, 'completed');
  const logs: string[] = [];
  await runTraining({ dataFile: data, outDir: join(tmp.dir, 'head-again'), config: config({ trainable: 'head', epochs: 1, learningRate: 1e-3 }), cacheDir, onLog: (l) => logs.push(l) });
  assert.ok(logs.some((l) => /features: (\d+) of \1 sequences cached, 0\/0 computed/.test(l)), logs.join('\n'));

  // The fused export's vocabulary is 1000: a 600-token BPE trained on the data fits it.
  const tok = await trainTokenizer(readFileSync(data, 'utf8').split('\n'), { vocabSize: 600 });
  const tokDir = join(tmp.dir, 'bpe600');
  tok.save(tokDir);
  const fused = { backbone: sharedData('onnx', 'genai__tiny-random-gpt2-fp32__past.onnx'), tokenizer: tokDir };
  await assert.rejects(
    runTraining({ dataFile: data, outDir: join(tmp.dir, 'fused'), config: config({ ...fused, trainable: 'all' }) }),
    (e: unknown) => e instanceof TrainError && e.code === 'backbone' && /Attention|FastGelu|SkipLayerNormalization/.test(e.message) && /'head'/.test(e.message),
  );
  const head = await runTraining({ dataFile: data, outDir: join(tmp.dir, 'fused-head'), config: config({ ...fused, trainable: 'head' }), cacheDir: null });
  assert.equal(head.status, 'completed');
  assert.ok(existsSync(join(tmp.dir, 'fused-head', 'reward-model.onnx')));
});

void test('a tokenizer with more tokens than the backbone embeds is refused before anything runs', async () => {
  await assert.rejects(
    runTraining({ dataFile: data, outDir: join(tmp.dir, 'vocab'), config: config({ backbone: sharedData('onnx', 'xexp__llama_export_dynamic.onnx'), trainable: 'head' }) }),
    (e: unknown) => e instanceof TrainError && /the tokenizer has 30522 tokens but .*embedding has 1024 rows/.test(e.message),
  );
});
