// analyzeBackbone on every exporter-made graph in ../shared/data/onnx: input roles, fixed lengths,
// the hidden-state tensor and H (and why), the block structure (from names, and from the graph when
// names are opaque), trainability; the two graphs that are not backbones are explained.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeBackbone, BackboneImportError, type BackboneAnalysis, type InputRole } from '../../../../../src/core/model/import';
import type { OnnxModel } from '../../../../../src/core/onnx';
import { load, type FixtureKey } from './importFixtures';

function roles(a: BackboneAnalysis): Record<string, InputRole> {
  return Object.fromEntries(a.inputs.map((i) => [i.name, i.role]));
}

function blockSizes(a: BackboneAnalysis): number[] {
  return a.blocks.blocks.map((b) => b.length);
}

function ops(groups: readonly { op: string }[]): string[] {
  return groups.map((g) => g.op.split(' (')[0]);
}

const cache = new Map<FixtureKey, BackboneAnalysis>();
function analysis(key: FixtureKey): BackboneAnalysis {
  let a = cache.get(key);
  if (!a) cache.set(key, (a = analyzeBackbone(load(key))));
  return a;
}

void test('GPT-2 with past (pytorch 1.6, opset 11): a decode-step export, last_state H=4, 12 blocks by name', () => {
  const a = analysis('gpt2Past');
  assert.deepEqual(roles(a), { input_ids: 'input_ids', ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`past_${i}`, 'past'])) });
  assert.deepEqual(a.inputs[1].past, { batchAxis: 1, pastAxis: 3 });
  assert.equal(a.hidden.name, 'last_state');
  assert.equal(a.hidden.rule, 'named-output');
  assert.equal(a.hiddenSize, 4);
  assert.equal(a.vocabSize, 20);
  // ids [batch_size, 1] + past, and the graph keeps only the last token (Slice [-1:]): run once per token,
  // over the 8 positions its wpe table has.
  assert.equal(a.maxSeqLen, 8);
  assert.deepEqual(a.stepwise?.steps, 8);
  assert.equal(a.stepwise?.presents.past_11, 'present_11');
  assert.equal(a.fixedSeqLen, 8);
  assert.equal(a.fixedBatch, undefined);
  assert.ok(a.notes.some((n) => n.includes('keeps only the last token')));
  assert.equal(a.causal, true);
  assert.equal(a.blocks.count, 12);
  assert.equal(a.blocks.method, 'names');
  assert.deepEqual(blockSizes(a), Array(12).fill(12));
  assert.deepEqual(a.blocks.embeddings.sort(), ['wpe.weight_resize', 'wte.weight_resize']);
  assert.deepEqual(a.blocks.finalNorm.sort(), ['ln_f.bias_resize', 'ln_f.weight_resize']);
  // The causal table h.N.attn.bias_resize [1,1,8,8] is a buffer, not a parameter.
  assert.ok(!a.params.some((p) => p.name === 'h.0.attn.bias_resize'));
  assert.ok(a.params.some((p) => p.name === 'h.0.attn.c_attn.bias_resize'));
  // Opset 11: the embedding lookups train through the one-hot gradient (no scatter-add before opset 16).
  assert.equal(a.trainability.canTrainAll, true);
  assert.deepEqual(ops(a.trainability.untrainableOps), []);
  assert.equal(a.trainability.maxTopBlocks, 12);
});

void test("Megatron GPT-2: float [B,1,64,64] 'keep' mask, position ids, past; hidden = the input of the logits MatMul", () => {
  const a = analysis('megatron');
  assert.deepEqual(roles(a), { input_ids: 'input_ids', position_ids: 'position_ids', attention_mask: 'attention_mask', past_0: 'past' });
  assert.deepEqual(a.inputs[2].mask, { kind: '4d', size: 64, convention: 'keep', causal: true });
  assert.equal(a.hidden.name, '203');
  assert.equal(a.hidden.rule, 'lm-head-input');
  assert.match(a.hidden.reason, /LM-head MatMul 'MatMul_157' \(weight '223' \[8, 10\]\)/);
  assert.equal(a.hiddenSize, 8);
  assert.equal(a.fixedSeqLen, undefined);
  assert.equal(a.maxSeqLen, 64);
  assert.equal(a.blocks.count, 1);
  // Biases are named (transformer.layers.0.*), the matrices are not (209, 220, 221, 222): placed by the graph.
  assert.equal(a.blocks.method, 'names+structure');
  assert.deepEqual(a.blocks.blocks[0].filter((n) => /^\d+$/.test(n)).sort(), ['209', '220', '221', '222']);
  assert.deepEqual(a.blocks.finalNorm.sort(), ['transformer.final_layernorm.bias', 'transformer.final_layernorm.weight']);
  assert.deepEqual(a.blocks.embeddings.sort(), ['position_embeddings.weight', 'word_embeddings.weight']);
  assert.ok(!a.params.some((p) => p.name === '223'), 'the LM head is not part of the backbone');
});

void test('GPT-2 one layer, partly ORT-fused: 2-D float mask, position ids, past; output 505 is the hidden state; FastGelu and opset-11 LayerNormalization listed', () => {
  const a = analysis('maskOneLayer');
  assert.deepEqual(roles(a), { input_ids: 'input_ids', past_0: 'past', attention_mask: 'attention_mask', position_ids: 'position_ids' });
  assert.deepEqual(a.inputs[2].mask, { kind: '2d' });
  assert.equal(a.hidden.name, '505');
  assert.equal(a.hidden.rule, 'output');
  assert.equal(a.hiddenSize, 4);
  assert.equal(a.blocks.count, 1);
  assert.deepEqual(blockSizes(a), [12]);
  assert.deepEqual(ops(a.trainability.fusedOps).sort(), ['LayerNormalization', 'com.microsoft::FastGelu']);
  assert.ok(a.trainability.fusedOps.some((f) => f.op.includes('opset 11')));
  // The gradient table has rules for FastGelu and LayerNormalization, and the opset-11 embedding
  // lookups train through the one-hot gradient: everything trains.
  assert.deepEqual(ops(a.trainability.untrainableOps), []);
  assert.equal(a.trainability.canTrainAll, true);
  assert.equal(a.trainability.maxTopBlocks, 1);
});

void test('BERT pretraining export: input_mask is the attention mask; hidden = the encoder output both heads (MLM, NSP) read', () => {
  const a = analysis('bertToy');
  assert.deepEqual(roles(a), { input_ids: 'input_ids', token_type_ids: 'token_type_ids', input_mask: 'attention_mask' });
  assert.equal(a.hidden.name, '703');
  assert.equal(a.hidden.rule, 'trunk');
  assert.match(a.hidden.reason, /prediction_scores/);
  assert.match(a.hidden.reason, /seq_relationship_score/);
  assert.equal(a.hiddenSize, 32);
  assert.equal(a.causal, false);
  assert.equal(a.blocks.count, 5);
  assert.deepEqual(blockSizes(a), [16, 16, 16, 16, 16]);
  assert.equal(a.blocks.embeddings.length, 5);
  assert.deepEqual(a.blocks.finalNorm, []);
  assert.ok(!a.params.some((p) => p.name.startsWith('cls.') || p.name.startsWith('bert.pooler')), 'heads are not backbone parameters');
});

void test('TF BERT QA (keras2onnx): int32 inputs, fixed length 7, hidden = the last encoder layer before the QA projection, 24 blocks', () => {
  const a = analysis('tfBert');
  assert.deepEqual(roles(a), { attention_mask: 'attention_mask', input_ids: 'input_ids', token_type_ids: 'token_type_ids' });
  assert.equal(a.ids.dtype, 'int32');
  assert.equal(a.fixedSeqLen, 7);
  assert.equal(a.fixedBatch, undefined);
  assert.equal(a.hidden.name, 'tf_bert_for_question_answering/bert/encoder/layer_._23/output/LayerNorm/batchnorm/add_1:0');
  assert.equal(a.hidden.rule, 'trunk');
  assert.deepEqual(a.hidden.shape, ['batch_size', 7, 8]);
  assert.equal(a.hiddenSize, 8);
  assert.equal(a.blocks.count, 24);
  assert.deepEqual(blockSizes(a), Array(24).fill(16));
  assert.equal(a.blocks.embeddings.length, 5);
});

void test('DistilBERT classifier (optimum): hidden = the [B,S,2] output of the last block before the classifier; opaque matrices placed by the graph', () => {
  const a = analysis('distilBert');
  assert.deepEqual(roles(a), { input_ids: 'input_ids', attention_mask: 'attention_mask' });
  assert.equal(a.hidden.name, '294');
  assert.equal(a.hidden.rule, 'trunk');
  assert.equal(a.hiddenSize, 2);
  assert.equal(a.maxSeqLen, 512);
  assert.equal(a.blocks.count, 2);
  assert.equal(a.blocks.method, 'names+structure');
  assert.deepEqual(blockSizes(a), [16, 16]);
  assert.deepEqual(a.blocks.blocks[0].filter((n) => /^\d+$/.test(n)).sort(), ['302', '306', '310', '318', '319', '320']);
  assert.deepEqual(a.blocks.blocks[1].filter((n) => /^\d+$/.test(n)).sort(), ['321', '325', '329', '337', '338', '339']);
});

void test('static LLaMA (torch.compile/AOT): weights are graph inputs, ids/mask by structure, batch 2 and length 1024 fixed, blocks from the graph', () => {
  const a = analysis('llamaStatic');
  const r = roles(a);
  for (let i = 0; i <= 11; i++) assert.equal(r[`input${i}`], 'weight', `input${i}`);
  assert.equal(r.input12, 'input_ids');
  assert.equal(r.input13, 'attention_mask');
  assert.match(a.inputs.find((i) => i.name === 'input12')!.reason, /indexes an embedding table \(input3\)/);
  assert.equal(a.fixedSeqLen, 1024);
  assert.equal(a.fixedBatch, 2);
  assert.equal(a.hidden.name, 'output_0');
  assert.equal(a.hiddenSize, 1024);
  assert.equal(a.causal, true);
  assert.equal(a.blocks.method, 'structure');
  assert.equal(a.blocks.count, 1);
  assert.deepEqual(a.blocks.embeddings, ['input3']);
  assert.deepEqual(a.blocks.finalNorm, ['input2']);
  assert.deepEqual([...a.blocks.blocks[0]].sort(), ['input0', 'input1', 'input10', 'input4', 'input5', 'input6', 'input7', 'input8', 'input9']);
  // input11 [256] only feeds cos/sin: the rotary frequencies, a buffer.
  assert.ok(!a.params.some((p) => p.name === 'input11'));
  assert.equal(a.trainability.canTrainAll, true);
});

void test('the LLaMA backward graph is explained as not a backbone', () => {
  assert.throws(
    () => analyzeBackbone(load('llamaBackward')),
    (e: unknown) => {
      assert.ok(e instanceof BackboneImportError);
      assert.equal(e.code, 'not-a-backbone');
      assert.match(e.message, /input3 int64\[2, 1024\]\) indexes an embedding table/);
      assert.match(e.message, /looks like a backward \(gradient\) graph/);
      assert.match(e.message, /14 of its 14 outputs have the static shapes of weights/);
      assert.match(e.message, /output_NONE_11/);
      assert.match(e.message, /saved forward activations \(input4 float32\[2, 1024, 1024\]/);
      assert.match(e.message, /ScatterND/);
      assert.match(e.message, /import the forward graph instead/);
      return true;
    },
  );
});

void test('dynamic-batch LLaMA (torch.export): fixed length 1024, output_0 H=16, trainable end to end at opset 18 despite ORT-internal ops', () => {
  const a = analysis('llamaDynamic');
  assert.deepEqual(roles(a), { input_ids: 'input_ids' });
  assert.equal(a.fixedSeqLen, 1024);
  assert.equal(a.fixedBatch, undefined);
  assert.equal(a.hidden.name, 'output_0');
  assert.equal(a.hidden.rule, 'named-output');
  assert.equal(a.hiddenSize, 16);
  assert.equal(a.causal, true);
  assert.ok(a.notes.some((n) => n.includes('takes no attention mask')));
  assert.equal(a.blocks.count, 1);
  assert.deepEqual(a.blocks.embeddings, ['p_model_embed_tokens_weight']);
  assert.deepEqual(a.blocks.finalNorm, ['p_model_norm_weight']);
  assert.ok(!a.params.some((p) => p.name.includes('inv_freq') || p.name.startsWith('init')), 'buffers and exporter constants are not parameters');
  assert.deepEqual(ops(a.trainability.fusedOps).sort(), ['SimplifiedLayerNormalization', 'com.microsoft::FusedMatMul']);
  assert.equal(a.trainability.canTrainAll, true);
});

void test('the LLaMA attention block (dynamo export with local functions) is explained as not a backbone', () => {
  assert.throws(
    () => analyzeBackbone(load('llamaAttention')),
    (e: unknown) => {
      assert.ok(e instanceof BackboneImportError);
      assert.equal(e.code, 'not-a-backbone');
      assert.match(e.message, /primals_7 int64\[1, 1024\]\) indexes an embedding table/);
      assert.match(e.message, /float activations as inputs \(primals_8 float32\[2, 1, 1024, 1024\], primals_6 float32\[2, 1024, 16\]\)/);
      assert.match(e.message, /single layer or block/);
      assert.match(e.message, /18 local functions \(pkg\.onnxscript\.torch_lib::aten_t/);
      return true;
    },
  );
});

void test('fused GPT-2 (onnxruntime.transformers): int32 inputs; hidden = the input of the final lm_head MatMul; untrainable ops listed', () => {
  const a = analysis('genaiGpt2');
  assert.deepEqual(roles(a), {
    input_ids: 'input_ids',
    position_ids: 'position_ids',
    attention_mask: 'attention_mask',
    ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`past_${i}`, 'past'])),
  });
  assert.equal(a.ids.dtype, 'int32');
  assert.equal(a.hidden.name, '/transformer/ln_f/Add_1_output_0');
  assert.equal(a.hidden.rule, 'lm-head-input');
  assert.match(a.hidden.reason, /'\/lm_head\/MatMul'/);
  assert.equal(a.hiddenSize, 32);
  assert.equal(a.blocks.count, 5);
  assert.deepEqual(ops(a.trainability.fusedOps).sort(), ['com.microsoft::Attention', 'com.microsoft::EmbedLayerNormalization', 'com.microsoft::FastGelu', 'com.microsoft::SkipLayerNormalization']);
  const blocked = ops(a.trainability.untrainableOps);
  for (const op of ['com.microsoft::Attention', 'com.microsoft::SkipLayerNormalization', 'com.microsoft::EmbedLayerNormalization']) assert.ok(blocked.includes(op), op);
  assert.equal(a.trainability.canTrainAll, false);
  assert.equal(a.trainability.maxTopBlocks, 0);
  assert.match(a.trainability.message, /trainable: 'head'/);
});

void test('fused LLaMA fp16 (onnxruntime-genai, external data): float16 hidden = the input of lm_head; final norm named inside layers.2; untrainable ops listed', () => {
  const a = analysis('genaiLlama');
  assert.deepEqual(roles(a), {
    input_ids: 'input_ids',
    attention_mask: 'attention_mask',
    position_ids: 'position_ids',
    'past_key_values.0.key': 'past',
    'past_key_values.0.value': 'past',
    'past_key_values.1.key': 'past',
    'past_key_values.1.value': 'past',
  });
  assert.deepEqual(a.inputs[3].past, { batchAxis: 0, pastAxis: 2 });
  assert.equal(a.hidden.name, '/model/layers.2/final_norm_layernorm/output_0');
  assert.equal(a.hidden.rule, 'lm-head-input');
  assert.equal(a.hidden.dtype, 'float16');
  assert.equal(a.hiddenSize, 16);
  assert.equal(a.maxSeqLen, 2048);
  assert.equal(a.blocks.count, 2);
  assert.deepEqual(a.blocks.finalNorm, ['model.layers.2.final_norm_layernorm.weight']);
  assert.ok(!a.params.some((p) => p.name === 'cos_cache' || p.name === 'sin_cache'));
  const blocked = ops(a.trainability.untrainableOps);
  for (const op of ['com.microsoft::MultiHeadAttention', 'com.microsoft::RotaryEmbedding', 'com.microsoft::SkipSimplifiedLayerNormalization']) assert.ok(blocked.includes(op), op);
  assert.equal(a.trainability.maxTopBlocks, 0);
});

// ---------------------------------------------------------------------------------------------------
// Opaque names: the graph alone gives the same blocks the names give.

/** The model with every backbone parameter renamed to a name that says nothing ('param_<i>'). */
function stripNames(model: OnnxModel, a: BackboneAnalysis): { model: OnnxModel; renamed: Map<string, string> } {
  const renamed = new Map(a.params.map((p, i) => [p.name, `param_${i}`]));
  const r = (n: string): string => renamed.get(n) ?? n;
  return {
    model: {
      ...model,
      graph: {
        ...model.graph,
        initializer: model.graph.initializer.map((t) => ({ ...t, name: r(t.name ?? '') })),
        node: model.graph.node.map((n) => ({ ...n, input: n.input.map(r) })),
      },
    },
    renamed,
  };
}

for (const key of ['gpt2Past', 'bertToy', 'distilBert', 'tfBert', 'llamaDynamic', 'megatron'] as const) {
  void test(`opaque parameter names (${key}): blocks found from the graph match the names`, () => {
    const named = analysis(key);
    const { model, renamed } = stripNames(load(key), named);
    const opaque = analyzeBackbone(model);
    assert.equal(opaque.blocks.method, 'structure');
    assert.equal(opaque.blocks.count, named.blocks.count);
    const place = new Map(opaque.params.map((p) => [p.name, `${p.part}${p.block ?? ''}`]));
    for (const p of named.params) assert.equal(place.get(renamed.get(p.name)!), `${p.part}${p.block ?? ''}`, p.name);
  });
}

void test('opaque names in a fused graph: no block structure, and the reason says why', () => {
  const named = analysis('genaiGpt2');
  const opaque = analyzeBackbone(stripNames(load('genaiGpt2'), named).model);
  assert.equal(opaque.blocks.count, 0);
  assert.equal(opaque.blocks.method, 'none');
  assert.match(opaque.blocks.reason, /could not find the residual stream entering attention 1 \('GptAttention_0_output'\)/);
  assert.equal(opaque.blocks.unassigned.length, named.params.length);
});

// ---------------------------------------------------------------------------------------------------
// Hints

void test('hints: hiddenState overrides the choice; unknown names and wrong shapes are refused', () => {
  const a = analyzeBackbone(load('bertToy'), { hiddenState: '123' });
  assert.equal(a.hidden.name, '123');
  assert.equal(a.hidden.rule, 'hint');
  assert.equal(a.hiddenSize, 32);
  assert.throws(() => analyzeBackbone(load('bertToy'), { hiddenState: 'nope' }), (e: unknown) => e instanceof BackboneImportError && e.code === 'bad-hint' && /'nope'/.test(e.message));
  assert.throws(() => analyzeBackbone(load('bertToy'), { hiddenState: 'seq_relationship_score' }), /must be float \[batch, seq, H\]/);
  assert.throws(() => analyzeBackbone(load('bertToy'), { inputs: { nope: 'zeros' } }), /'nope', which is not an input/);
});
