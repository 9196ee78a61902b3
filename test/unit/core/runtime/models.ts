// Test models for the runtime: a few hand-encoded ModelProtos (the runtime's own mini encoder — the
// project's ONNX writer is not a dependency of these tests) and the exporter-made files in ../shared/data/onnx.
import { existsSync } from 'node:fs';
import { encodeMiniModel } from '../../../../src/core/runtime/miniModel';
import { mulberry32 } from '../../../../src/core/random';
import { sharedData } from '../../../helpers/paths';

/** An exporter-made model from ../shared/data/onnx; fails loudly when the shared data is missing. */
export function sharedModel(name: string): string {
  const file = sharedData('onnx', name);
  if (!existsSync(file)) throw new Error(`shared test model missing: ${file} (the tests need ../shared/data beside the checkout)`);
  return file;
}

/** optimum's tiny DistilBERT: input_ids, attention_mask int64[batch,sequence] -> logits float32[batch,2]. */
export const DISTILBERT = 'optimum__tiny_distilbert_model.onnx';
/** torch-exported 1-layer GPT-2: input_ids int64, past_0 float32[2,B,2,P,2], attention_mask float32[B,P+S], position_ids int64. */
export const GPT2_ONE_LAYER = 'ort__gpt2_past_mask_one_layer.onnx';

/** z = x + y over float32[n] (dims symbolic). */
export function addModel(): Uint8Array {
  return encodeMiniModel({
    inputs: [
      { name: 'x', dtype: 'float32', dims: ['n'] },
      { name: 'y', dtype: 'float32', dims: ['n'] },
    ],
    outputs: [{ name: 'z', dtype: 'float32', dims: ['n'] }],
    nodes: [{ op: 'Add', inputs: ['x', 'y'], outputs: ['z'] }],
  });
}

/** out = x · W (W a [k,m] float32 initializer), x float32[batch,k]; plus an int64 pass-through (ids -> ids_out). */
export function matmulModel(k: number, m: number, seed = 1): { bytes: Uint8Array; weights: Float32Array } {
  const rnd = mulberry32(seed);
  const weights = Float32Array.from({ length: k * m }, () => rnd() - 0.5);
  const bytes = encodeMiniModel({
    inputs: [
      { name: 'x', dtype: 'float32', dims: ['batch', k] },
      { name: 'ids', dtype: 'int64', dims: ['batch'] },
    ],
    outputs: [
      { name: 'out', dtype: 'float32', dims: ['batch', m] },
      { name: 'ids_out', dtype: 'int64', dims: ['batch'] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['out'] },
      { op: 'Identity', inputs: ['ids'], outputs: ['ids_out'] },
    ],
    initializers: [{ name: 'W', dtype: 'float32', dims: [k, m], data: weights }],
  });
  return { bytes, weights };
}

/**
 * A deliberately heavy model: `repeats` chained MatMuls of x float32[n,n] with an n×n weight
 * (2·n³ FLOP each). n=1024 is ~2 GFLOP per MatMul: tens of ms each on one thread.
 */
export function heavyModel(n: number, repeats: number): Uint8Array {
  const rnd = mulberry32(7);
  // Scaled so values stay finite through the chain.
  const w = Float32Array.from({ length: n * n }, () => (rnd() - 0.5) / Math.sqrt(n));
  const nodes = Array.from({ length: repeats }, (_, i) => ({
    op: 'MatMul',
    inputs: [i === 0 ? 'x' : `h${i}`, 'W'],
    outputs: [i === repeats - 1 ? 'y' : `h${i + 1}`],
  }));
  return encodeMiniModel({
    inputs: [{ name: 'x', dtype: 'float32', dims: [n, n] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [n, n] }],
    nodes,
    initializers: [{ name: 'W', dtype: 'float32', dims: [n, n], data: w }],
  });
}

export function randomFloats(n: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}
