// What the importer says when it cannot tell: unknown inputs are listed with dtype and shape and the
// hint that names them; hints fix it; an impossible role or a missing hidden state is refused with the
// reason. Small graphs built here, run in onnxruntime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeBackbone, BackboneImportError, buildImportedBackbone, HIDDEN_STATE, roleFromName, partFromName } from '../../../../../src/core/model/import';
import { encodeModel, GraphBuilder, type OnnxModel } from '../../../../../src/core/onnx';
import { numbers, rightPadded, run, seededFloats, wrapperFeeds } from './importFixtures';

/** tokens (opaque name) → embedding [10, 4] + extra float input [batch, 1, 4] → last_hidden_state. */
function toyModel(extra: { name: string; dtype: 'float32' | 'int64'; shape: (string | number)[] }): OnnxModel {
  const g = new GraphBuilder({ opset: 17, name: 'toy' });
  const tokens = g.input('tok', 'int64', ['b', 's']);
  const more = g.input(extra.name, extra.dtype, extra.shape);
  const table = g.initializer('embed.weight', seededFloats(40, 1, 1), [10, 4]);
  let h = g.gather(table, tokens);
  h = g.add(h, extra.dtype === 'float32' ? more : g.cast(more, 'float32'));
  g.output(h, 'last_hidden_state');
  return g.build();
}

void test('an input nobody can classify: the error lists it with dtype and shape and says how to name it', () => {
  const model = toyModel({ name: 'bias_in', dtype: 'float32', shape: ['b', 1, 4] });
  assert.throws(
    () => analyzeBackbone(model),
    (e: unknown) => {
      assert.ok(e instanceof BackboneImportError);
      assert.equal(e.code, 'unknown-inputs');
      assert.deepEqual(e.items, ['bias_in']);
      assert.match(e.message, /Cannot tell what this input of graph 'toy' \(reward-studio\) is:\n {2}- bias_in: float32\[b, 1, 4\]/);
      assert.match(e.message, /hints\.inputs, e\.g\. \{ inputs: \{ 'bias_in': 'zeros' \} \}/);
      assert.match(e.message, /input_ids .*attention_mask .*position_ids .*token_type_ids .*past .*zeros .*weight/s);
      return true;
    },
  );
});

void test('the hint names it: zeros of the declared shape, batch following the ids; the wrapper runs', async () => {
  const model = toyModel({ name: 'bias_in', dtype: 'float32', shape: ['b', 1, 4] });
  const a = analyzeBackbone(model, { inputs: { bias_in: 'zeros' } });
  assert.equal(a.inputs.find((i) => i.name === 'tok')?.role, 'input_ids');
  assert.match(a.inputs.find((i) => i.name === 'tok')!.reason, /indexes an embedding table \(embed\.weight\)/);
  assert.equal(a.inputs.find((i) => i.name === 'bias_in')?.reason, 'named by hints.inputs');
  assert.equal(a.hidden.name, 'last_hidden_state');
  assert.equal(a.hiddenSize, 4);
  const w = buildImportedBackbone(model, a, { trainable: 'all' });
  assert.deepEqual(w.trainableParams, ['backbone/embed.weight']);
  w.builder.output(w.hidden);
  const batch = rightPadded([3, 2], 3, 10, 4);
  const table = seededFloats(40, 1, 1);
  const out = await run(encodeModel(w.builder.build()), { ...wrapperFeeds(batch), 'backbone/embed.weight': { type: 'float32', data: table, dims: [10, 4] } }, [HIDDEN_STATE]);
  const h = numbers(out[HIDDEN_STATE]);
  // hidden = embedding rows (zeros added).
  for (let i = 0; i < 6; i++) for (let k = 0; k < 4; k++) assert.equal(h[i * 4 + k], table[Number(batch.ids[i]) * 4 + k]);
});

void test('a hint that cannot be: the error says what the role needs', () => {
  const model = toyModel({ name: 'bias_in', dtype: 'float32', shape: ['b', 1, 4] });
  assert.throws(() => analyzeBackbone(model, { inputs: { bias_in: 'position_ids' } }), (e: unknown) => e instanceof BackboneImportError && e.code === 'unknown-inputs' && /bias_in: float32\[b, 1, 4\] cannot be position_ids \(needs int32\/int64 \[batch, seq\]\)/.test(e.message));
});

void test('a past input without a past-length axis cannot be emptied: the error says so', () => {
  const model = toyModel({ name: 'past_0', dtype: 'float32', shape: ['b', 1, 4] });
  assert.throws(() => analyzeBackbone(model), /Cannot tell the past-length axis of 'past_0' float32\[b, 1, 4\]/);
});

void test('no value fits the hidden size: the error asks for hints.hiddenState', () => {
  const model = toyModel({ name: 'bias_in', dtype: 'float32', shape: ['b', 1, 4] });
  assert.throws(
    () => analyzeBackbone(model, { inputs: { bias_in: 'zeros' }, hiddenSize: 5 }),
    (e: unknown) => e instanceof BackboneImportError && e.code === 'no-hidden-state' && /Name the value with hints\.hiddenState/.test(e.message),
  );
});

void test('a model without token ids is not a backbone', () => {
  const g = new GraphBuilder({ opset: 17, name: 'mlp' });
  const x = g.input('features', 'float32', ['b', 's', 4]);
  g.output(g.matmul(x, g.initializer('w', seededFloats(16, 2, 1), [4, 4])), 'y');
  assert.throws(() => analyzeBackbone(g.build()), (e: unknown) => e instanceof BackboneImportError && e.code === 'not-a-backbone' && /no integer \[batch, seq\] token-id input/.test(e.message));
});

void test('name conventions: input roles and parameter places', () => {
  assert.equal(roleFromName('input_ids'), 'input_ids');
  assert.equal(roleFromName('input_mask'), 'attention_mask');
  assert.equal(roleFromName('segment_ids'), 'token_type_ids');
  assert.equal(roleFromName('past_key_values.3.value'), 'past');
  assert.equal(roleFromName('primals_7'), undefined);
  assert.deepEqual(partFromName('transformer.h.11.mlp.c_fc.weight'), { part: 'block', block: 11 });
  assert.deepEqual(partFromName('tf_bert/bert/encoder/layer_._23/output/dense/kernel:0'), { part: 'block', block: 23 });
  assert.deepEqual(partFromName('p_model_layers_0_mlp_up_proj_weight'), { part: 'block', block: 0 });
  assert.deepEqual(partFromName('model.layers.2.final_norm_layernorm.weight'), { part: 'final-norm' });
  assert.deepEqual(partFromName('ln_f.weight_resize'), { part: 'final-norm' });
  assert.deepEqual(partFromName('bert.embeddings.LayerNorm.weight'), { part: 'embedding' });
  assert.equal(partFromName('onnx::MatMul_123'), undefined);
});
