// ONNX model I/O on the 12 exporter-made files in ../shared/data/onnx (see its MANIFEST.md): decode /
// encode byte-identity, read -> write -> read equality (inline and external data), and identical
// onnxruntime outputs from the rewritten files.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { after, test } from 'node:test';
import {
  DataLocation,
  decodeModel,
  encodeModel,
  externalInfo,
  forEachTensor,
  isExternal,
  readModel,
  tensorBytes,
  writeModel,
  type OnnxModel,
  type TensorProto,
} from '../../../../src/core/onnx';
import { feedsFor } from '../../../helpers/onnxFeeds';
import { createSession, runSession, sessionInputs, type Fetched } from '../../../helpers/ort';
import { sharedData, tempDir } from '../../../helpers/paths';

const tmp = tempDir('reward-studio-onnx-io-');
after(tmp.cleanup);

const LLAMA = ['genai__tiny-random-LlamaForCausalLM-fp16', 'model.onnx'];
const FIXTURES: string[][] = [
  ...readdirSync(sharedData('onnx'))
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => [f]),
  LLAMA,
];

const withoutBaseDir = (m: OnnxModel): OnnxModel => {
  const { baseDir: _ignored, ...rest } = m;
  return rest as OnnxModel;
};

/** Tensor name -> bytes, for every tensor in the model (initializers, Constant values, subgraphs). */
function weights(m: OnnxModel): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  forEachTensor(m, (t) => {
    const b = tensorBytes(t);
    out.set(`${i++}:${t.name ?? ''}`, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  });
  return out;
}

function assertSameWeights(a: OnnxModel, b: OnnxModel, what: string): void {
  const wa = weights(a);
  const wb = weights(b);
  assert.deepEqual([...wb.keys()], [...wa.keys()], `${what}: same tensors`);
  for (const [k, v] of wa) assert.ok(v.equals(wb.get(k)!), `${what}: bytes of ${k}`);
}

test('the 12 shared ONNX fixtures are present', () => {
  assert.equal(FIXTURES.length, 12);
  for (const f of FIXTURES) assert.ok(existsSync(sharedData('onnx', ...f)), f.join('/'));
  assert.ok(existsSync(sharedData('onnx', LLAMA[0], 'model.onnx.data')));
});

test('the bundled JSON descriptor is what protobufjs makes of the vendored onnx.proto', () => {
  const dir = join(__dirname, '..', '..', '..', '..', '..', 'src', 'core', 'onnx');
  const proto = readFileSync(join(dir, 'onnx.proto'), 'utf8');
  const { '//': header, ...descriptor } = JSON.parse(readFileSync(join(dir, 'onnx.proto.json'), 'utf8')) as Record<string, unknown>;
  const fresh = JSON.parse(JSON.stringify(protobuf.parse(proto, { keepCase: false }).root.toJSON({ keepComments: false }))) as unknown;
  assert.deepEqual(descriptor, fresh, 'run node scripts/gen-onnx-descriptor.mjs');
  assert.match(String(header), /Apache-2\.0/);
  assert.match(proto, /SPDX-License-Identifier: Apache-2\.0/);
  assert.match(proto, /commit\s+\/\/\s+64209faab4da3d679f2d46c7f725f6f2b779279b/);
});

test('decode -> encode reproduces every fixture byte for byte (presence of optional fields kept)', () => {
  for (const f of FIXTURES) {
    const bytes = readFileSync(sharedData('onnx', ...f));
    const model = decodeModel(bytes);
    const again = encodeModel(model);
    assert.equal(again.byteLength, bytes.byteLength, f.join('/'));
    assert.ok(Buffer.from(again).equals(bytes), `${f.join('/')}: re-encoded bytes differ`);
  }
});

test('read -> write -> read gives equal graphs and byte-equal weights for every fixture', () => {
  for (const f of FIXTURES) {
    const original = readModel(sharedData('onnx', ...f));
    const out = join(tmp.dir, 'rt', f.join('__'));
    mkdirSync(join(tmp.dir, 'rt'), { recursive: true });
    const r = writeModel(original, out);
    assert.equal(r.externalTensors, 0);
    const back = readModel(out);
    assert.deepStrictEqual(withoutBaseDir(back), withoutBaseDir(original), f.join('/'));
    assertSameWeights(original, back, f.join('/'));
  }
});

test('LLaMA with external data: references, loading, and writing back inline and external', () => {
  const path = sharedData('onnx', ...LLAMA);
  const dataFile = readFileSync(path + '.data');
  const refs = readModel(path, { loadExternalData: false });
  const external = refs.graph.initializer.filter(isExternal);
  assert.equal(external.length, 23, 'the manifest lists 23 external initializers');
  assert.equal(refs.graph.initializer.length, 23);

  const loaded = readModel(path);
  assert.equal(loaded.graph.initializer.filter(isExternal).length, 0);
  // Loaded bytes are exactly the referenced slices of model.onnx.data.
  for (const t of external) {
    const { offset, length } = externalInfo(t);
    const mine = loaded.graph.initializer.find((x) => x.name === t.name)!;
    assert.equal(mine.dataLocation, undefined);
    assert.deepEqual(mine.externalData, []);
    assert.ok(Buffer.from(mine.rawData!).equals(dataFile.subarray(offset, offset + length!)), t.name);
  }

  // Inline.
  const inlinePath = join(tmp.dir, 'llama-inline', 'model.onnx');
  mkdirSync(join(tmp.dir, 'llama-inline'));
  const ri = writeModel(loaded, inlinePath);
  assert.equal(ri.externalTensors, 0);
  assert.ok(!existsSync(inlinePath + '.data'));
  const inline = readModel(inlinePath);
  assert.deepStrictEqual(withoutBaseDir(inline).graph, withoutBaseDir(loaded).graph);
  assertSameWeights(loaded, inline, 'inline');

  // External (ONNX's default threshold: tensors of >= 1 KiB).
  const extPath = join(tmp.dir, 'llama-ext', 'model.onnx');
  mkdirSync(join(tmp.dir, 'llama-ext'));
  const re = writeModel(loaded, extPath, { externalDataThreshold: 1024 });
  assert.ok(re.externalTensors > 0 && re.externalTensors <= 23);
  assert.equal(statSync(extPath + '.data').size, re.externalDataBytes);
  const extRefs = readModel(extPath, { loadExternalData: false });
  for (const t of extRefs.graph.initializer) {
    const big = tensorBytes(loaded.graph.initializer.find((x) => x.name === t.name)!).byteLength >= 1024;
    assert.equal(isExternal(t), big, `${t.name} external iff >= 1 KiB`);
    if (big) assert.equal(externalInfo(t).location, 'model.onnx.data');
  }
  const ext = readModel(extPath);
  assert.deepStrictEqual(withoutBaseDir(ext).graph, withoutBaseDir(loaded).graph);
  assertSameWeights(loaded, ext, 'external');

  // A model read without loading copies its data from the source file when written elsewhere.
  const copyPath = join(tmp.dir, 'llama-copy.onnx');
  writeModel(refs, copyPath);
  assertSameWeights(loaded, readModel(copyPath), 'copied from unloaded references');
});

test('writing a model over the file its external data is still read from', () => {
  const dir = join(tmp.dir, 'inplace');
  mkdirSync(dir);
  const path = join(dir, 'model.onnx');
  copyFileSync(sharedData('onnx', ...LLAMA), path);
  copyFileSync(sharedData('onnx', LLAMA[0], 'model.onnx.data'), path + '.data');
  const before = readModel(path);
  const refs = readModel(path, { loadExternalData: false });
  writeModel(refs, path, { externalDataThreshold: 4096 });
  assertSameWeights(before, readModel(path), 'rewritten in place');
  assert.deepEqual(readdirSync(dir).sort(), ['model.onnx', 'model.onnx.data'], 'no temporary files left');
});

test('external data locations may not leave the model folder', () => {
  const dir = join(tmp.dir, 'escape');
  mkdirSync(dir);
  writeFileSync(join(tmp.dir, 'secret.bin'), new Uint8Array(16));
  const refs = readModel(sharedData('onnx', ...LLAMA), { loadExternalData: false });
  const t = refs.graph.initializer[0];
  t.externalData = [
    { key: 'location', value: '../secret.bin' },
    { key: 'offset', value: '0' },
    { key: 'length', value: '16' },
  ];
  writeFileSync(join(dir, 'm.onnx'), encodeModel(refs));
  assert.throws(() => readModel(join(dir, 'm.onnx')), /outside the model folder/);
  assert.throws(() => readModel(encodeModel(refs)), /pass baseDir/);
});

test('a truncated or corrupt file fails with a clear error', () => {
  const bytes = readFileSync(sharedData('onnx', 'ort__gpt2_megatron.onnx'));
  assert.throws(() => decodeModel(bytes.subarray(0, bytes.byteLength - 100)), /Not a valid ONNX model/);
  const bad = readModel(sharedData('onnx', ...LLAMA), { loadExternalData: false });
  bad.graph.initializer[0].externalData = bad.graph.initializer[0].externalData.map((e) => (e.key === 'length' ? { key: 'length', value: '7' } : e));
  assert.throws(() => readModel(encodeModel(bad), { baseDir: sharedData('onnx', LLAMA[0]) }), /holds 7 bytes/);
});

// ---------------------------------------------------------------------------------------------------
// onnxruntime: the rewritten file computes exactly what the original does.

function sameOutputs(a: Record<string, Fetched>, b: Record<string, Fetched>, what: string): void {
  assert.deepEqual(Object.keys(b), Object.keys(a), what);
  for (const k of Object.keys(a)) {
    assert.deepEqual(b[k].dims, a[k].dims, `${what}: ${k} dims`);
    const da = a[k].data as unknown as ArrayBufferView;
    const db = b[k].data as unknown as ArrayBufferView;
    assert.ok(Buffer.from(da.buffer, da.byteOffset, da.byteLength).equals(Buffer.from(db.buffer, db.byteOffset, db.byteLength)), `${what}: ${k} values`);
  }
}

// The big-input ones (1024-token LLaMA graphs) are checked through the I/O tests above; these run in
// about a second together.
const RUN = [
  ['ort__gpt2_megatron.onnx'],
  ['ort__gpt2_past.onnx'],
  ['ort__gpt2_past_mask_one_layer.onnx'],
  ['ort__bert_toy_optimized.onnx'],
  ['ort__TFBertForQuestionAnswering.onnx'],
  ['optimum__tiny_distilbert_model.onnx'],
  ['genai__tiny-random-gpt2-fp32__past.onnx'],
];

test('models written by writeModel give onnxruntime outputs identical to the originals', async () => {
  for (const [i, f] of RUN.entries()) {
    const original = sharedData('onnx', ...f);
    const out = join(tmp.dir, 'ort-' + f.join('__'));
    writeModel(readModel(original), out);
    const s1 = await createSession(original);
    const s2 = await createSession(readFileSync(out));
    try {
      const feeds = feedsFor(sessionInputs(s1), 1000 + i);
      sameOutputs(await runSession(s1, feeds), await runSession(s2, feeds), f.join('/'));
    } finally {
      await s1.release();
      await s2.release();
    }
  }
});

test('the fp16 LLaMA written inline and as external data runs exactly like the original', async () => {
  const original = sharedData('onnx', ...LLAMA);
  const loaded = readModel(original);
  const inlinePath = join(tmp.dir, 'ort-llama-inline.onnx');
  writeModel(loaded, inlinePath);
  mkdirSync(join(tmp.dir, 'ort-llama-ext'));
  const extPath = join(tmp.dir, 'ort-llama-ext', 'model.onnx');
  writeModel(loaded, extPath, { externalDataThreshold: 256 });
  const s0 = await createSession(original);
  // Prefill (past length 0): the builder's mask subgraph wants total length == sequence length.
  const feeds = feedsFor(sessionInputs(s0), 7, { batch: 2, seq: 5, past: 0 });
  const want = await runSession(s0, feeds);
  await s0.release();
  for (const m of [readFileSync(inlinePath), extPath]) {
    const s = await createSession(m);
    sameOutputs(want, await runSession(s, feeds), typeof m === 'string' ? 'external' : 'inline');
    await s.release();
  }
  const logits = want.logits;
  assert.deepEqual(logits.dims, [2, 5, 32000]);
});

test('int64 attribute and tensor values survive exactly (INT64_MAX, negatives)', () => {
  // Slice ends of 9223372036854775807 are everywhere in exporter graphs.
  const m = readModel(sharedData('onnx', 'ort__gpt2_past.onnx'));
  let maxSeen = false;
  forEachTensor(m, (t: TensorProto) => {
    const bytes = tensorBytes(t);
    if (t.dataType === 7 && bytes.byteLength === 8) {
      const v = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true);
      if (v === 9223372036854775807n) maxSeen = true;
    }
  });
  assert.ok(maxSeen, 'gpt2_past holds INT64_MAX constants');
  const again = decodeModel(encodeModel(m));
  assertSameWeights(m, again, 'int64 constants');
  assert.equal(DataLocation.EXTERNAL, 1);
});
