// Parameter names/shapes (the reference's), the seeded GPT-2 init, trainable selection (graph inputs
// are exactly the trainable parameters; the rest are initializers) and config validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildLossForward,
  buildScoringGraph,
  builtinConfig,
  builtinParamShapes,
  HEAD_WEIGHT,
  initBuiltinParams,
  INIT_STD,
  IO,
  trainableParams,
  type TrainableSpec,
} from '../../../../src/core/model';
import { encodeModel } from '../../../../src/core/onnx';
import { runModel, type Feed } from '../../../helpers/ort';
import { paramShapes } from '../../../helpers/reference/tinyGpt';
import { CONFIG, padded, referenceParams } from './batch';

test('parameter names and shapes are the reference\'s, in the same order', () => {
  assert.deepEqual([...builtinParamShapes(CONFIG)], [...paramShapes(CONFIG)]);
});

test('seeded init: GPT-2 statistics, zero head, unit norms, same seed same values, float32 = rounded float64', () => {
  const c = builtinConfig({ vocab: 101, dModel: 64, nHeads: 4, nLayers: 3, maxLen: 32 });
  const p64 = initBuiltinParams(c, 42, 'float64');
  const p32 = initBuiltinParams(c, 42);
  assert.ok(p32.get('wte') instanceof Float32Array);
  for (const [name, a] of p64) assert.deepEqual(Array.from(p32.get(name)!), Array.from(Float32Array.from(a)), name);
  assert.deepEqual(initBuiltinParams(c, 42, 'float64'), p64, 'deterministic');
  assert.notDeepEqual(initBuiltinParams(c, 43, 'float64').get('wte'), p64.get('wte'));
  const std = (a: Float64Array | Float32Array): number => {
    const xs = Array.from(a);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  };
  const near = (got: number, want: number, what: string): void => assert.ok(Math.abs(got / want - 1) < 0.05, `${what}: std ${got} vs ${want}`);
  near(std(p64.get('wte')!), INIT_STD, 'wte');
  near(std(p64.get('h0.mlp.w1')!), INIT_STD, 'mlp.w1');
  near(std(p64.get('h1.attn.wqkv')!), INIT_STD, 'attn.wqkv');
  near(std(p64.get('h2.mlp.w2')!), INIT_STD / Math.sqrt(6), 'residual mlp.w2');
  near(std(p64.get('h0.attn.wo')!), INIT_STD / Math.sqrt(6), 'residual attn.wo');
  assert.ok(p64.get(HEAD_WEIGHT)!.every((x) => x === 0), 'head is zero');
  assert.ok(p64.get('h1.ln2.g')!.every((x) => x === 1) && p64.get('lnf.g')!.every((x) => x === 1));
  assert.ok(p64.get('h1.ln2.b')!.every((x) => x === 0) && p64.get('h0.attn.bqkv')!.every((x) => x === 0));
});

test('trainable selection: names for head / top-N / all / none', () => {
  const head = trainableParams(CONFIG, 'head');
  assert.deepEqual(head, ['head.w']);
  assert.deepEqual(trainableParams(CONFIG, 'top-1'), [
    'h1.ln1.g', 'h1.ln1.b', 'h1.attn.wqkv', 'h1.attn.bqkv', 'h1.attn.wo', 'h1.attn.bo',
    'h1.ln2.g', 'h1.ln2.b', 'h1.mlp.w1', 'h1.mlp.b1', 'h1.mlp.w2', 'h1.mlp.b2', 'lnf.g', 'lnf.b', 'head.w',
  ]);
  assert.deepEqual(trainableParams(CONFIG, 'top-2'), [...builtinParamShapes(CONFIG).keys()].filter((n) => n !== 'wte' && n !== 'wpe'));
  assert.deepEqual(trainableParams(CONFIG, 'all'), [...builtinParamShapes(CONFIG).keys()]);
  assert.deepEqual(trainableParams(CONFIG, 'none'), []);
  for (const bad of ['top-0', 'top-3', 'top-x', 'heads'] as TrainableSpec[]) assert.throws(() => trainableParams(CONFIG, bad), /trainable/);
});

for (const spec of ['head', 'top-1', 'all'] as TrainableSpec[]) {
  test(`trainable '${spec}': graph inputs are exactly the trainable parameters, frozen ones are initializers, and it runs`, async () => {
    const params = referenceParams(4);
    const want = trainableParams(CONFIG, spec);
    const f = buildLossForward({ config: CONFIG, params, trainable: spec });
    assert.deepEqual([...f.trainable.keys()], want);
    const model = f.g.build();
    const inputs = model.graph.input.map((i) => i.name);
    assert.deepEqual(inputs, [IO.inputIds, IO.attentionMask, ...want]);
    const inits = new Set(model.graph.initializer.map((t) => t.name));
    for (const name of builtinParamShapes(CONFIG).keys()) assert.equal(inits.has(name), !want.includes(name), name);
    // Fed the same values they had as constants, the loss is the one of the all-frozen graph.
    const feeds: Record<string, Feed> = padded([[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]);
    for (const name of want) feeds[name] = { type: 'float64', data: params.get(name)!, dims: builtinParamShapes(CONFIG).get(name)! };
    const got = await runModel(encodeModel(model), feeds);
    const frozen = await runModel(encodeModel(buildLossForward({ config: CONFIG, params, trainable: 'none' }).g.build()), padded([[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]));
    assert.equal(got[IO.loss].data[0], frozen[IO.loss].data[0]);
  });
}

test('trainable as explicit names: those (in canonical order) become inputs; unknown names are refused', () => {
  const f = buildLossForward({ config: CONFIG, params: referenceParams(1), trainable: ['head.w', 'wte'] });
  assert.deepEqual([...f.trainable.keys()], ['wte', 'head.w']);
  assert.throws(() => buildLossForward({ config: CONFIG, params: referenceParams(1), trainable: ['h9.mlp.w1'] }), /h9\.mlp\.w1/);
});

test('scoring graph: input_ids/attention_mask int64 [batch, seq] → rewards [batch]; every parameter an initializer by default', () => {
  const m = buildScoringGraph({ config: CONFIG, params: initBuiltinParams(CONFIG, 1) });
  assert.deepEqual(
    m.graph.input.map((i) => [i.name, i.type?.tensorType?.elemType, i.type?.tensorType?.shape?.dim.map((d) => d.dimParam ?? d.dimValue)]),
    [
      [IO.inputIds, 7, ['batch', 'seq']],
      [IO.attentionMask, 7, ['batch', 'seq']],
    ],
  );
  assert.deepEqual(
    m.graph.output.map((o) => [o.name, o.type?.tensorType?.elemType, o.type?.tensorType?.shape?.dim.map((d) => d.dimParam ?? d.dimValue)]),
    [[IO.rewards, 1, ['batch']]],
  );
  assert.equal(m.graph.initializer.length, builtinParamShapes(CONFIG).size);
});

test('config and parameter validation name the problem', () => {
  assert.throws(() => builtinConfig({ vocab: 10, dModel: 10, nHeads: 3 }), /divisible/);
  assert.throws(() => builtinConfig({ vocab: 0 }), /vocab/);
  assert.equal(builtinConfig({ vocab: 5 }).eps, 1e-5);
  const params = initBuiltinParams(CONFIG, 1);
  params.delete('h1.mlp.b2');
  assert.throws(() => buildScoringGraph({ config: CONFIG, params }), /h1\.mlp\.b2/);
  const mixed = initBuiltinParams(CONFIG, 1);
  mixed.set('wpe', Float64Array.from(mixed.get('wpe')!));
  assert.throws(() => buildScoringGraph({ config: CONFIG, params: mixed }), /float64/);
  const short = initBuiltinParams(CONFIG, 1);
  short.set('wte', new Float32Array(3));
  assert.throws(() => buildScoringGraph({ config: CONFIG, params: short }), /wte/);
});
