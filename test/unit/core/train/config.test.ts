// The training config: defaults, layering (file then flags), and errors that name the field, its source
// and the line of a config file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagsLayer } from '../../../../src/cli/train';
import { configFileLayer, DEFAULT_TRAIN_CONFIG, resolveLearningRate, resolveTrainConfig, TrainConfigError, topBlocks } from '../../../../src/core/train/config';

void test('defaults: no layers give the documented defaults, and the defaults object is frozen', () => {
  const c = resolveTrainConfig();
  assert.deepEqual(c, { ...DEFAULT_TRAIN_CONFIG, builtin: { ...DEFAULT_TRAIN_CONFIG.builtin }, earlyStopping: { ...DEFAULT_TRAIN_CONFIG.earlyStopping } });
  assert.equal(c.maxGradNorm, 1.0);
  assert.equal(c.trainable, 'all');
  assert.ok(Object.isFrozen(DEFAULT_TRAIN_CONFIG));
  c.builtin.dModel = 8; // a resolved config is a copy
  assert.equal(DEFAULT_TRAIN_CONFIG.builtin.dModel, 256);
});

void test('layers: a file sets some fields, flags override it, nested objects merge field by field', () => {
  const file = configFileLayer('{\n  "epochs": 3,\n  "batchSize": 4,\n  "builtin": {"nLayers": 2}\n}\n', 'train.json');
  const flags = flagsLayer({ 'batch-size': '16', 'd-model': '128', lr: '3e-4', 'use-margin': true, tokenizer: 'none' });
  const c = resolveTrainConfig(file, flags);
  assert.equal(c.epochs, 3);
  assert.equal(c.batchSize, 16);
  assert.deepEqual(c.builtin, { dModel: 128, nHeads: 4, nLayers: 2 });
  assert.equal(c.learningRate, 3e-4);
  assert.equal(c.useMargin, true);
  assert.equal(c.tokenizer, null);
});

void test('errors name the field, the file and its line, and what to write', () => {
  const text = '{\n  "epochs": 2,\n  "batchSize": 0\n}';
  assert.throws(
    () => resolveTrainConfig(configFileLayer(text, 'train.json')),
    (e: unknown) => e instanceof TrainConfigError && /^train\.json:3: batchSize must be an integer ≥ 1 \(got 0\)/.test(e.message),
  );
  assert.throws(() => resolveTrainConfig(configFileLayer('{\n "batch_size": 4}', 'c.json')), /c\.json:2: unknown setting 'batch_size' — did you mean 'batchSize'\?/);
  assert.throws(() => resolveTrainConfig(configFileLayer('{"epochs": 2,,}', 'c.json')), /c\.json:1: not valid JSON/);
  assert.throws(() => resolveTrainConfig(configFileLayer('[1]', 'c.json')), /c\.json: must hold one JSON object/);
  assert.throws(() => resolveTrainConfig(flagsLayer({ trainable: 'top-0' })), /command line \(--trainable\): trainable must be 'head', 'all' or 'top-N'/);
  assert.throws(() => resolveTrainConfig(flagsLayer({ 'd-model': '100', 'n-heads': '3' })), /divisible/);
  assert.throws(() => resolveTrainConfig({ values: { builtin: { width: 3 } }, source: 'settings' }), /unknown field 'builtin.width'/);
  assert.throws(() => resolveTrainConfig({ values: { backbone: 'model.onnx' }, source: 'settings' }), /needs its own tokenizer/);
  assert.throws(() => resolveTrainConfig({ values: { template: '{prompt}' }, source: 'settings' }), /must contain \{response\}/);
  assert.throws(() => resolveTrainConfig({ values: { evalFraction: 1 }, source: 'settings' }), /evalFraction must be below 1/);
  assert.throws(() => flagsLayer({ epochs: 'two' }), /--epochs must be a number \(got 'two'\)/);
});

void test("learning rate 'auto' and trainable helpers", () => {
  assert.equal(resolveLearningRate({ learningRate: 'auto', backbone: 'builtin', trainable: 'all' }), 1e-3);
  assert.equal(resolveLearningRate({ learningRate: 'auto', backbone: 'x.onnx', trainable: 'all' }), 1e-5);
  assert.equal(resolveLearningRate({ learningRate: 'auto', backbone: 'x.onnx', trainable: 'head' }), 1e-3);
  assert.equal(resolveLearningRate({ learningRate: 2e-4, backbone: 'builtin', trainable: 'all' }), 2e-4);
  assert.equal(topBlocks('top-3'), 3);
  assert.equal(topBlocks('head'), 0);
  assert.equal(topBlocks('all'), Infinity);
});
