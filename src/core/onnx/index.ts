// src/core/onnx: ONNX model read/write, tensors and attributes, the graph builder and shape inference.
export * from './types';
export * from './tensor';
export * from './attributes';
export { decodeModel, encodeModel, encodeModelChunks, encodeTensor } from './proto';
export { readModel, writeModel, loadExternalData, forEachTensor } from './io';
export type { ReadModelOptions, WriteModelOptions, WriteModelResult } from './io';
export * from './shape';
export { opSchema, knownOps, canonicalDomain, MAX_VALUE_ELEMENTS } from './ops';
export type { Meta, InferContext, InferRule, OpSchema } from './ops';
export * from './builder';
export { foldOutputIdentities } from './passes';
