// Shared by the importer tests: the exporter-made models of ../shared/data/onnx, right-padded
// batches, running a model (or the wrapper) in onnxruntime, and comparing hidden states at real
// positions.
import assert from 'node:assert/strict';
import { mulberry32 } from '../../../../../src/core/random';
import { dtypeCode, encodeModel, float16BitsToNumber, readModel, type DType, type OnnxModel } from '../../../../../src/core/onnx';
import { createSession, runSession, type Feed, type Fetched, type RunOptions } from '../../../../helpers/ort';
import { sharedData } from '../../../../helpers/paths';

export const FILES = {
  gpt2Past: 'ort__gpt2_past.onnx',
  megatron: 'ort__gpt2_megatron.onnx',
  maskOneLayer: 'ort__gpt2_past_mask_one_layer.onnx',
  bertToy: 'ort__bert_toy_optimized.onnx',
  tfBert: 'ort__TFBertForQuestionAnswering.onnx',
  distilBert: 'optimum__tiny_distilbert_model.onnx',
  llamaStatic: 'xexp__shape-dort-static-llama-custom__0.onnx',
  llamaBackward: 'xexp__shape-dort-static-llama-custom__1.onnx',
  llamaDynamic: 'xexp__llama_export_dynamic.onnx',
  llamaAttention: 'xexp__ut_issues_onnxscript__llama_forward.onnx',
  genaiGpt2: 'genai__tiny-random-gpt2-fp32__past.onnx',
  genaiLlama: 'genai__tiny-random-LlamaForCausalLM-fp16/model.onnx',
} as const;

export type FixtureKey = keyof typeof FILES;

/** A fresh copy of a shared model each call (tests may mutate what they get). */
export function load(key: FixtureKey): OnnxModel {
  return readModel(sharedData('onnx', ...FILES[key].split('/')));
}

/** A right-padded batch: row b has lengths[b] real tokens (ids 1..vocab-1), then `padId` with mask 0. */
export interface Batch {
  rows: number;
  seq: number;
  lengths: readonly number[];
  ids: BigInt64Array;
  mask: BigInt64Array;
}

export function rightPadded(lengths: readonly number[], seq: number, vocab: number, seed: number, padId = 0): Batch {
  const rnd = mulberry32(seed);
  const rows = lengths.length;
  const ids = new BigInt64Array(rows * seq);
  const mask = new BigInt64Array(rows * seq);
  for (let b = 0; b < rows; b++) {
    for (let t = 0; t < seq; t++) {
      const real = t < lengths[b];
      ids[b * seq + t] = BigInt(real ? 1 + Math.floor(rnd() * (Math.min(vocab, 50) - 1)) : padId);
      mask[b * seq + t] = real ? 1n : 0n;
    }
  }
  return { rows, seq, lengths, ids, mask };
}

/** The same real tokens, padded to a longer length with other padding ids. */
export function repadded(batch: Batch, seq: number, padId: number): Batch {
  const ids = new BigInt64Array(batch.rows * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(batch.rows * seq);
  for (let b = 0; b < batch.rows; b++) {
    for (let t = 0; t < batch.lengths[b]; t++) {
      ids[b * seq + t] = batch.ids[b * batch.seq + t];
      mask[b * seq + t] = 1n;
    }
  }
  return { ...batch, seq, ids, mask };
}

export function wrapperFeeds(batch: Batch): Record<string, Feed> {
  return {
    input_ids: { type: 'int64', data: batch.ids, dims: [batch.rows, batch.seq] },
    attention_mask: { type: 'int64', data: batch.mask, dims: [batch.rows, batch.seq] },
  };
}

/** A model with extra graph outputs (internal values made visible; nothing else changes), encoded. */
export function withOutputs(model: OnnxModel, outputs: readonly { name: string; dtype: DType }[]): Uint8Array {
  const extra = outputs
    .filter((o) => !model.graph.output.some((x) => x.name === o.name))
    .map((o) => ({ name: o.name, type: { tensorType: { elemType: dtypeCode(o.dtype) } }, metadataProps: [] }));
  return encodeModel({ ...model, graph: { ...model.graph, output: [...model.graph.output, ...extra] } });
}

/** Runs model bytes once and returns the named outputs. */
export async function run(model: Uint8Array, feeds: Record<string, Feed>, fetch: readonly string[], opts: RunOptions = {}): Promise<Record<string, Fetched>> {
  const session = await createSession(model, opts);
  try {
    return await runSession(session, feeds, fetch);
  } finally {
    await session.release();
  }
}

/** Element values as numbers (float16 bits decoded). */
export function numbers(f: Fetched): Float64Array {
  if (f.type === 'float16') return Float64Array.from(f.data as ArrayLike<number>, (h) => float16BitsToNumber(h));
  return Float64Array.from(f.data as ArrayLike<number>, Number);
}

/** Hidden states [rows, seq, H] agree at every real position (t < lengths[b]). */
export function assertSameAtRealPositions(
  actual: Fetched,
  expected: { data: Float64Array; seq: number },
  lengths: readonly number[],
  hidden: number,
  tol: { abs: number; rel: number },
  what: string,
): number {
  const a = numbers(actual);
  const [rows, seqA, h] = actual.dims;
  assert.equal(h, hidden, `${what}: hidden size`);
  assert.equal(rows, lengths.length, `${what}: rows`);
  let worst = 0;
  for (let b = 0; b < rows; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      for (let k = 0; k < hidden; k++) {
        const x = a[(b * seqA + t) * hidden + k];
        const y = expected.data[(b * expected.seq + t) * hidden + k];
        const err = Math.abs(x - y);
        worst = Math.max(worst, err);
        assert.ok(Number.isFinite(x), `${what}: non-finite at row ${b}, position ${t}`);
        assert.ok(err <= tol.abs + tol.rel * Math.abs(y), `${what}: row ${b}, position ${t}, unit ${k}: ${x} vs ${y}`);
      }
    }
  }
  return worst;
}

export function allFinite(f: Fetched): boolean {
  return numbers(f).every(Number.isFinite);
}

/** Seeded uniform values in [-scale, scale] (plus `offset`). */
export function seededFloats(n: number, seed: number, scale: number, offset = 0): Float32Array {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => offset + (rnd() * 2 - 1) * scale);
}
