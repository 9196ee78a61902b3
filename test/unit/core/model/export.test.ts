// The exported reward model: loads in a fresh onnxruntime session from a file path, gives the scoring
// graph's rewards, carries its metadata, and is byte-identical for the same seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { mulberry32 } from '../../../../src/core/random';
import { buildScoringGraph, builtinConfig, EXPORT_FORMAT, EXPORT_METADATA, exportRewardModel, initBuiltinParams } from '../../../../src/core/model';
import { encodeModel, readModel, writeModel } from '../../../../src/core/onnx';
import { runModel } from '../../../helpers/ort';
import { tempDir } from '../../../helpers/paths';
import { CONFIG, maxRelDiff, padded, referenceParams, sequences, toFloat32 } from './batch';

test('exported model loads by file path in a plain onnxruntime session and gives the scoring graph\'s rewards', async () => {
  const params = toFloat32(referenceParams(11));
  const rows = sequences(mulberry32(2), [5, 1, 10, 3]);
  const feeds = padded(rows);
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'reward.onnx');
    writeModel(exportRewardModel({ config: CONFIG, params, tokenizer: { name: 'test/tokenizer', sha256: 'ab'.repeat(32), padTokenId: 0 } }), path);
    // A user's session: default options (graph optimizations on), nothing from this project.
    const session = await ort.InferenceSession.create(path);
    try {
      assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask']);
      assert.deepEqual(session.outputNames, ['rewards']);
      const out = await session.run({
        input_ids: new ort.Tensor('int64', feeds.input_ids.data as BigInt64Array, feeds.input_ids.dims as number[]),
        attention_mask: new ort.Tensor('int64', feeds.attention_mask.data as BigInt64Array, feeds.attention_mask.dims as number[]),
      });
      assert.equal(out.rewards.type, 'float32');
      assert.deepEqual(out.rewards.dims, [rows.length]);
      const scoring = await runModel(encodeModel(buildScoringGraph({ config: CONFIG, params })), feeds);
      const d = maxRelDiff(Array.from(out.rewards.data as Float32Array), Array.from(scoring.rewards.data as Float32Array));
      assert.ok(d < 1e-5, `export vs scoring graph: ${d.toExponential(2)}`);
    } finally {
      await session.release();
    }
    const meta = new Map(readModel(path).metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta.get(EXPORT_METADATA.format), EXPORT_FORMAT);
    assert.deepEqual(JSON.parse(meta.get(EXPORT_METADATA.config)!), CONFIG);
    assert.equal(meta.get(EXPORT_METADATA.tokenizerName), 'test/tokenizer');
    assert.equal(meta.get(EXPORT_METADATA.tokenizerPadTokenId), '0');
    assert.equal(meta.get(EXPORT_METADATA.padding), 'right');
  } finally {
    cleanup();
  }
});

test('export of float64 parameters is float32, with every weight an initializer and no other inputs', () => {
  const m = exportRewardModel({ config: CONFIG, params: referenceParams(1), metadata: { 'run.id': 'x' } });
  assert.deepEqual(m.graph.input.map((i) => i.name), ['input_ids', 'attention_mask']);
  assert.equal(m.graph.output[0].type?.tensorType?.elemType, 1);
  assert.ok(m.graph.initializer.every((t) => t.dataType === 1));
  assert.equal(m.metadataProps.at(-1)?.key, 'run.id');
  assert.throws(() => exportRewardModel({ config: CONFIG, params: referenceParams(1), metadata: { [EXPORT_METADATA.config]: '{}' } }), /exporter/);
});

test('determinism: the same seed gives a byte-identical exported model; another seed does not', () => {
  const c = builtinConfig({ vocab: 50, dModel: 16, nHeads: 2, nLayers: 2, maxLen: 16 });
  const bytes = (seed: number): Buffer => Buffer.from(encodeModel(exportRewardModel({ config: c, params: initBuiltinParams(c, seed) })));
  const a = bytes(7);
  assert.ok(a.equals(bytes(7)));
  assert.ok(!a.equals(bytes(8)));
});
