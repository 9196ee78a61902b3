// The autodiff on graphs real exporters made (../shared/data/onnx, see its MANIFEST.md): which ops
// block training in each; gradients through whole PyTorch/optimum exports checked by directional
// finite differences; and PyTorch's own backward graph of a LLaMA export as a golden reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradients, listUntrainableOps, UnsupportedGradientError } from '../../../../src/core/autodiff';
import { encodeModel, GraphBuilder, readModel, tensorToArray, type TensorProto } from '../../../../src/core/onnx';
import { mulberry32 } from '../../../../src/core/random';
import { feedsFor } from '../../../helpers/onnxFeeds';
import { createSession, runSession, sessionInputs, type Feed } from '../../../helpers/ort';
import { sharedData } from '../../../helpers/paths';

const FLOATS = new Set(['float32', 'float16', 'float64', 'bfloat16']);

/** Trainable-looking parameters: float initializers with consumers, not scalars (Pow exponents, eps). */
function parameters(g: GraphBuilder): string[] {
  return g.initializerNames.filter((n) => FLOATS.has(g.value(n).dtype ?? '') && g.consumers(n).length > 0 && (g.value(n).shape?.length ?? 0) > 0);
}

/** Initializers read as Gather data (embedding tables). */
function gatherTables(g: GraphBuilder): Set<string> {
  return new Set(g.nodes.filter((n) => n.opType === 'Gather' && g.getInitializer(n.input[0])).map((n) => n.input[0]));
}

const PYTORCH_EXPORTS = [
  'ort__gpt2_past.onnx',
  'ort__gpt2_megatron.onnx',
  'ort__gpt2_past_mask_one_layer.onnx',
  'ort__bert_toy_optimized.onnx',
  'ort__TFBertForQuestionAnswering.onnx',
  'optimum__tiny_distilbert_model.onnx',
];

void test('exports below opset 16 (GPT-2, BERT, DistilBERT): everything trains, embedding lookups through the one-hot gradient', () => {
  for (const file of PYTORCH_EXPORTS) {
    const g = GraphBuilder.fromModel(readModel(sharedData('onnx', file)));
    assert.ok(g.opset < 16, file);
    assert.ok(gatherTables(g).size > 0, `${file} has embedding tables`);
    assert.deepEqual(listUntrainableOps(g, parameters(g)), [], file);
  }
});

void test('LLaMA exports at opset 18 (torch.compile, experimental-experiment with FusedMatMul/SimplifiedLayerNormalization): everything trains', () => {
  for (const file of ['xexp__shape-dort-static-llama-custom__0.onnx', 'xexp__llama_export_dynamic.onnx']) {
    const g = GraphBuilder.fromModel(readModel(sharedData('onnx', file)));
    assert.deepEqual(listUntrainableOps(g, parameters(g)), [], file);
  }
});

void test('fused ONNX Runtime exports and local-function exports: the blocking ops are named', () => {
  const ops = (file: string): string[] => {
    const g = GraphBuilder.fromModel(readModel(sharedData('onnx', file)));
    return listUntrainableOps(g, parameters(g)).map((u) => u.op).sort();
  };
  assert.deepEqual(ops('genai__tiny-random-gpt2-fp32__past.onnx'), ['com.microsoft::Attention', 'com.microsoft::EmbedLayerNormalization', 'com.microsoft::SkipLayerNormalization']);
  assert.deepEqual(ops('genai__tiny-random-LlamaForCausalLM-fp16/model.onnx'), [
    'com.microsoft::MultiHeadAttention',
    'com.microsoft::RotaryEmbedding',
    'com.microsoft::SkipSimplifiedLayerNormalization',
  ]);
  // Weights are graph inputs (primals) here, and the ops are local ONNX functions.
  const fg = GraphBuilder.fromModel(readModel(sharedData('onnx', 'xexp__ut_issues_onnxscript__llama_forward.onnx')));
  const fn = listUntrainableOps(fg, fg.inputs.filter((i) => i.dtype === 'float32').map((i) => i.name));
  const fnOps = fn.map((u) => u.op);
  assert.ok(fnOps.includes('pkg.onnxscript.torch_lib::aten_mm') && fnOps.includes('SequenceConstruct'), fnOps.join(', '));
  assert.match(new UnsupportedGradientError(fn[0].op, fn[0].nodes[0], fn[0].reason).message, /local functions or custom ops.*inline or re-export/);

  const g = GraphBuilder.fromModel(readModel(sharedData('onnx', 'genai__tiny-random-gpt2-fp32__past.onnx')));
  const out = g.outputs[0];
  const loss = g.reduceSum(out, undefined, { keepdims: false });
  assert.throws(
    () => buildGradients(g, { loss, wrt: parameters(g) }),
    (e: unknown) => e instanceof UnsupportedGradientError && /^no gradient rule for com\.microsoft::SkipLayerNormalization \(node '[^']+'\) \(16 nodes on the path in all: .*com\.microsoft::Attention x5/.test(e.message),
  );
});

/**
 * <grad, d> against (L(θ + h·d) − L(θ − h·d)) / 2h for a random direction d over all trained
 * parameters, L = Σ output·T: float32 graphs, so a loose tolerance, but a wrong rule is off by O(1).
 */
async function directionalCheck(file: string, opts: { embeddings: boolean }): Promise<{ relError: number; params: number }> {
  const model = readModel(sharedData('onnx', file));
  const g = GraphBuilder.fromModel(model);
  const original = g.inputs.map((i) => i.name);
  const tables = gatherTables(g);
  const wrt = parameters(g).filter((p) => opts.embeddings || !tables.has(p));
  const initial = new Map<string, TensorProto>();
  for (const n of wrt) initial.set(n, g.initializerToInput(n));
  const g0 = new Map(initial);
  const out = g.outputs[0];
  const tangent = g.input('fd_tangent', 'float32', out.shape);
  const loss = g.reduceSum(g.mul(out, tangent), undefined, { keepdims: false });
  const grads = buildGradients(g, { loss, wrt });
  // Mask buffers (GPT-2's attn.bias) and heads off the path to output 0 get zeros: leave them out of d.
  for (const n of grads.disconnected) initial.delete(n);
  g.output(loss, 'fd_loss');
  for (const [k, v] of grads) g.output(v, `fd_grad/${k}`);

  const probe = await createSession(encodeModel(model));
  const inputs = sessionInputs(probe).filter((i) => original.includes(i.name));
  const base: Record<string, Feed> = feedsFor(inputs, 1);
  const y = (await runSession(probe, base, [out.name]))[out.name];
  await probe.release();
  const rnd = mulberry32(9);
  const t: Feed = { type: 'float32', data: Float32Array.from({ length: y.data.length }, () => rnd() * 2 - 1), dims: y.dims };
  const theta = new Map([...initial].map(([n, tp]) => [n, Float32Array.from(tensorToArray(tp) as Float32Array)]));
  const dir = new Map([...theta].map(([n, v]) => [n, Float32Array.from(v, () => rnd() * 2 - 1)]));
  const feeds = (shift: number): Record<string, Feed> => {
    const f: Record<string, Feed> = { ...base, fd_tangent: t };
    for (const [n, v] of theta) f[n] = { type: 'float32', data: v.map((x, i) => x + shift * dir.get(n)![i]), dims: initial.get(n)!.dims };
    for (const n of grads.disconnected) f[n] = { type: 'float32', data: Float32Array.from(tensorToArray(g0.get(n)!) as Float32Array), dims: g0.get(n)!.dims };
    return f;
  };
  const session = await createSession(encodeModel(g.build()));
  try {
    const at = await runSession(session, feeds(0));
    let dd = 0;
    for (const [n, d] of dir) {
      const gr = at[`fd_grad/${n}`].data as Float32Array;
      for (let i = 0; i < d.length; i++) dd += gr[i] * d[i];
    }
    const h = 3e-4;
    const lp = Number((await runSession(session, feeds(h), ['fd_loss'])).fd_loss.data[0]);
    const lm = Number((await runSession(session, feeds(-h), ['fd_loss'])).fd_loss.data[0]);
    const fd = (lp - lm) / (2 * h);
    return { relError: Math.abs(fd - dd) / Math.abs(dd), params: theta.size };
  } finally {
    await session.release();
  }
}

for (const [file, embeddings] of [
  // Opset 11/12 exports: embeddings included, through the one-hot gradient of Gather.
  ['ort__gpt2_megatron.onnx', true],
  ['ort__gpt2_past.onnx', true],
  ['ort__bert_toy_optimized.onnx', true],
  ['optimum__tiny_distilbert_model.onnx', true],
  ['xexp__llama_export_dynamic.onnx', true],
] as const) {
  void test(`directional derivative through the whole ${file} (float32)${embeddings ? '' : ', embeddings frozen'}`, async (t) => {
    const r = await directionalCheck(file, { embeddings });
    t.diagnostic(`${r.params} parameters, relative error ${r.relError.toExponential(1)}`);
    assert.ok(r.relError < 3e-3, `${file}: directional derivative off by ${r.relError.toExponential(2)}`);
  });
}

void test("LLaMA export (torch.compile, fp16 autocast): gradients agree with PyTorch's own backward graph to fp16 noise", async (t) => {
  const forward = readModel(sharedData('onnx', 'xexp__shape-dort-static-llama-custom__0.onnx'));
  const backward = readModel(sharedData('onnx', 'xexp__shape-dort-static-llama-custom__1.onnx'));
  const g = GraphBuilder.fromModel(forward);
  const y = g.value('output_0');
  const tangent = g.input('tangent', 'float32', y.shape);
  const loss = g.reduceSum(g.mul(y, tangent), undefined, { keepdims: false });
  const wrt = Array.from({ length: 11 }, (_, k) => `input${k}`); // the backward graph's outputs 0..10
  const grads = buildGradients(g, { loss, wrt });
  for (const [k, v] of grads) g.output(v, `grad/${k}`);

  const rnd = mulberry32(3);
  const feeds: Record<string, Feed> = {};
  for (let k = 0; k <= 11; k++) {
    const v = g.value(`input${k}`);
    const dims = v.shape as number[];
    const n = dims.reduce((a, b) => a * b, 1);
    // Norm weights near 1, matrices small, input11 the rotary inverse frequencies.
    const data = Float32Array.from({ length: n }, (_, i) => (k <= 2 ? 1 + 0.1 * (rnd() * 2 - 1) : k === 11 ? 1 / 10000 ** ((2 * i) / 512) : 0.05 * (rnd() * 2 - 1)));
    feeds[`input${k}`] = { type: 'float32', data, dims };
  }
  feeds.input12 = { type: 'int64', data: BigInt64Array.from({ length: 2048 }, () => BigInt(Math.floor(rnd() * 1024))), dims: [2, 1024] };
  feeds.input13 = { type: 'float32', data: new Float32Array(2048).fill(1), dims: [2, 1024] };
  const tan: Feed = { type: 'float32', data: Float32Array.from({ length: 2 * 1024 * 1024 }, () => rnd() * 2 - 1), dims: [2, 1024, 1024] };

  const fwd = await createSession(encodeModel(forward), { optimization: 'all', threads: 2 });
  const saved = await runSession(fwd, feeds);
  await fwd.release();
  const bwd = await createSession(encodeModel(backward), { optimization: 'all' }); // 1 thread: its ScatterND add is racy
  const bf: Record<string, Feed> = {};
  for (let k = 0; k <= 36; k++) {
    const o = saved[`output_${k + 3}`];
    bf[`input${k}`] = { type: o.type, data: o.data as Feed['data'], dims: o.dims };
  }
  bf.input37 = tan;
  bf.input38 = { type: 'float16', data: new Uint16Array(2 * 2 * 1024 * 512), dims: [2, 2, 1024, 512] };
  bf.input39 = { type: 'float16', data: new Uint16Array(2 * 2 * 1024 * 512), dims: [2, 2, 1024, 512] };
  const golden = await runSession(bwd, bf);
  await bwd.release();
  const ours = await createSession(encodeModel(g.build()), { optimization: 'all', threads: 2 });
  const got = await runSession(ours, { ...feeds, tangent: tan });
  await ours.release();

  const errors: string[] = [];
  for (let k = 0; k <= 10; k++) {
    const a = got[`grad/input${k}`].data as Float32Array;
    const b = golden[`output_${k}`].data as Float32Array;
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) {
      num += (a[i] - b[i]) ** 2;
      den += b[i] ** 2;
    }
    const rel = Math.sqrt(num / den);
    errors.push(`input${k} ${rel.toExponential(1)}`);
    assert.ok(den > 0 && rel < 3e-3, `input${k}: relative L2 difference ${rel.toExponential(2)} from PyTorch's gradient`);
  }
  t.diagnostic(`relative L2 differences: ${errors.join(', ')}`);
});
