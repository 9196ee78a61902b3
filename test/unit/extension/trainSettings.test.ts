// `rewardStudio.train.*` settings → the config layer the extension writes to train-config.json, checked
// as the CLI checks it; and the manifest's settings against DEFAULT_TRAIN_CONFIG, so a default changed
// in the core cannot drift from what the Settings editor documents.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRAIN_CONFIG, TrainConfigError, resolveTrainConfig } from '../../../src/core/train/config';
import {
  DEFAULT_OUTPUT_DIRECTORY,
  TRAIN_SECTION,
  TRAIN_SETTING_KEYS,
  checkSettingsLayer,
  defaultForSetting,
  outputRoot,
  settingsLayer,
} from '../../../src/extension/train/trainSettings';

interface SettingSchema {
  default?: unknown;
  type?: string | string[];
  enum?: unknown[];
  markdownDescription?: string;
  description?: string;
}

function manifestSettings(): Record<string, SettingSchema> {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const m = JSON.parse(readFileSync(file, 'utf8')) as {
        name: string;
        contributes: { configuration: { properties: Record<string, SettingSchema> } };
      };
      if (m.name === 'reward-studio') return m.contributes.configuration.properties;
    }
    if (dirname(dir) === dir) throw new Error('package.json of reward-studio not found');
  }
}

const WORKSPACE = resolve('/work/space');

function reader(values: Record<string, unknown>): (key: string) => unknown {
  return (key) => values[key];
}

test('every config field is a setting; nested ones as dotted keys', () => {
  assert.ok(TRAIN_SETTING_KEYS.includes('epochs'));
  assert.ok(TRAIN_SETTING_KEYS.includes('builtin.dModel'));
  assert.ok(TRAIN_SETTING_KEYS.includes('earlyStopping.minDelta'));
  assert.ok(!TRAIN_SETTING_KEYS.includes('builtin'));
  const top = Object.keys(DEFAULT_TRAIN_CONFIG);
  for (const key of top) {
    assert.ok(
      TRAIN_SETTING_KEYS.some((k) => k === key || k.startsWith(`${key}.`)),
      `config field ${key} has no setting`,
    );
  }
});

test('package.json contributes each setting with the default of DEFAULT_TRAIN_CONFIG, documented', () => {
  const settings = manifestSettings();
  for (const key of TRAIN_SETTING_KEYS) {
    const schema = settings[`${TRAIN_SECTION}.${key}`];
    assert.ok(schema, `package.json lacks ${TRAIN_SECTION}.${key}`);
    assert.deepEqual(schema.default, defaultForSetting(key), `${TRAIN_SECTION}.${key} default`);
    const text = schema.markdownDescription ?? schema.description ?? '';
    assert.ok(text.length > 20, `${TRAIN_SECTION}.${key} needs a description`);
    if (schema.enum) assert.ok(schema.enum.includes(defaultForSetting(key)));
  }
  const output = settings[`${TRAIN_SECTION}.outputDirectory`];
  assert.equal(output?.default, DEFAULT_OUTPUT_DIRECTORY);
  const extra = Object.keys(settings)
    .filter((k) => k.startsWith(`${TRAIN_SECTION}.`))
    .map((k) => k.slice(TRAIN_SECTION.length + 1))
    .filter((k) => k !== 'outputDirectory' && !TRAIN_SETTING_KEYS.includes(k));
  assert.deepEqual(extra, [], 'settings that are no config field');
});

test('settings left alone give an empty layer: the CLI defaults rule', () => {
  const layer = settingsLayer(reader({}), WORKSPACE);
  assert.deepEqual(layer.values, {});
  assert.deepEqual(checkSettingsLayer(layer), resolveTrainConfig());
});

test('set settings become the layer, nested fields regrouped', () => {
  const layer = settingsLayer(
    reader({ 'builtin.dModel': 32, 'builtin.nLayers': 1, 'builtin.nHeads': 2, epochs: 2, learningRate: 0.003, 'earlyStopping.patience': 3 }),
    WORKSPACE,
  );
  assert.deepEqual(layer.values, {
    builtin: { dModel: 32, nLayers: 1, nHeads: 2 },
    epochs: 2,
    learningRate: 0.003,
    earlyStopping: { patience: 3 },
  });
  const config = checkSettingsLayer(layer);
  assert.deepEqual(config.builtin, { dModel: 32, nHeads: 2, nLayers: 1 });
  assert.deepEqual(config.earlyStopping, { patience: 3, minDelta: 0 });
  assert.equal(config.batchSize, DEFAULT_TRAIN_CONFIG.batchSize);
  // The layer is what train-config.json holds: the CLI reads it back to the same config.
  assert.deepEqual(resolveTrainConfig({ values: JSON.parse(JSON.stringify(layer.values)) as Record<string, unknown>, source: 'train-config.json' }), config);
});

test('relative paths are taken from the workspace folder; builtin and null stay', () => {
  const layer = settingsLayer(
    reader({ backbone: 'models/backbone.onnx', tokenizer: 'tok', evalFile: '/abs/eval.jsonl', hiddenState: 'h' }),
    WORKSPACE,
  );
  assert.equal(layer.values.backbone, join(WORKSPACE, 'models', 'backbone.onnx'));
  assert.equal(layer.values.tokenizer, join(WORKSPACE, 'tok'));
  assert.equal(layer.values.evalFile, resolve('/abs/eval.jsonl'));
  assert.equal(layer.values.hiddenState, 'h', 'not a path');
  const builtin = settingsLayer(reader({ backbone: 'builtin', tokenizer: null }), WORKSPACE);
  assert.deepEqual(builtin.values, { backbone: 'builtin', tokenizer: null });
});

test('a bad setting fails before anything starts, naming the setting', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ batchSize: 0 }, /VS Code settings \(rewardStudio\.train\.batchSize\): batchSize must be an integer ≥ 1 \(got 0\)/],
    [{ 'builtin.dModel': 30, 'builtin.nHeads': 4 }, /builtin\.dModel \(30\) must be divisible by builtin\.nHeads \(4\)/],
    [{ 'builtin.nLayers': 0 }, /rewardStudio\.train\.builtin\): builtin\.nLayers must be a positive integer/],
    [{ provider: 'tpu' }, /rewardStudio\.train\.provider\): provider must be one of "auto", "cuda", "webgpu", "cpu"/],
    [{ learningRate: 'fast' }, /rewardStudio\.train\.learningRate/],
    [{ evalFraction: 1 }, /rewardStudio\.train\.evalFraction\): evalFraction must be below 1/],
    [{ template: '{prompt}' }, /rewardStudio\.train\.template\): template must contain \{response\}/],
  ];
  for (const [values, message] of cases) {
    assert.throws(
      () => checkSettingsLayer(settingsLayer(reader(values), WORKSPACE)),
      (e: unknown) => e instanceof TrainConfigError && message.test(e.message),
      JSON.stringify(values),
    );
  }
});

test('outputRoot: the default in the workspace folder, relative or absolute settings, beside the file without a folder', () => {
  assert.equal(outputRoot(undefined, WORKSPACE, '/data/t.jsonl'), join(WORKSPACE, '.reward-studio', 'models'));
  assert.equal(outputRoot('', WORKSPACE, '/data/t.jsonl'), join(WORKSPACE, '.reward-studio', 'models'));
  assert.equal(outputRoot('runs', WORKSPACE, '/data/t.jsonl'), join(WORKSPACE, 'runs'));
  assert.equal(outputRoot(resolve('/tmp/models'), WORKSPACE, '/data/t.jsonl'), resolve('/tmp/models'));
  assert.equal(outputRoot(undefined, undefined, resolve('/data/t.jsonl')), resolve('/data/.reward-studio/models'));
  assert.equal(outputRoot(42, WORKSPACE, '/data/t.jsonl'), join(WORKSPACE, '.reward-studio', 'models'));
});
