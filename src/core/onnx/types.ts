// The ONNX IR as plain TypeScript objects: one interface per onnx.proto message, fields in camelCase.
//
// Conventions (they keep a read → write round trip byte-identical):
// - An optional scalar field that is `undefined` is absent on the wire; a present one is written even
//   when it holds the default ('' or 0). Decoding keeps that distinction.
// - Repeated fields are always arrays (empty when absent); the per-type tensor data fields
//   (floatData, int64Data, ...) are typed arrays and `undefined` when absent.
// - int64 fields that hold sizes and versions (dims, dim values, IR/opset versions) are `number`
//   (decoding rejects values beyond 2^53); int64 *values* (attribute i/ints, int64Data) are `bigint`,
//   because Slice ends and friends carry INT64_MAX.

/** TensorProto.DataType codes. */
export const DataTypeCode = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
} as const;

/** AttributeProto.AttributeType codes. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;
export type AttributeTypeCode = (typeof AttributeType)[keyof typeof AttributeType];

/** TensorProto.DataLocation codes. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

export interface StringStringEntry {
  key?: string;
  value?: string;
}

export interface OperatorSetId {
  /** '' (or absent) is the default ai.onnx domain. */
  domain?: string;
  version: number;
}

export interface TensorSegment {
  begin?: number;
  end?: number;
}

export interface TensorProto {
  dims: number[];
  /** A DataTypeCode. */
  dataType?: number;
  segment?: TensorSegment;
  floatData?: Float32Array;
  int32Data?: Int32Array;
  stringData: Uint8Array[];
  int64Data?: BigInt64Array;
  name?: string;
  docString?: string;
  /** Little-endian element bytes. May be a view into the buffer the model was decoded from. */
  rawData?: Uint8Array;
  externalData: StringStringEntry[];
  /** A DataLocation code; EXTERNAL means the bytes live in the file named by externalData. */
  dataLocation?: number;
  doubleData?: Float64Array;
  uint64Data?: BigUint64Array;
  metadataProps: StringStringEntry[];
}

export interface SparseTensorProto {
  values?: TensorProto;
  indices?: TensorProto;
  dims: number[];
}

export interface Dimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TensorShapeProto {
  dim: Dimension[];
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: TensorShapeProto };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: { elemType?: number; shape?: TensorShapeProto };
  denotation?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  docString?: string;
  metadataProps: StringStringEntry[];
}

export interface AttributeProto {
  name: string;
  refAttrName?: string;
  docString?: string;
  /** An AttributeType code; every IR >= 2 model sets it. */
  type?: number;
  f?: number;
  i?: bigint;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  sparseTensor?: SparseTensorProto;
  tp?: TypeProto;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  sparseTensors: SparseTensorProto[];
  typeProtos: TypeProto[];
}

export interface NodeProto {
  /** '' marks an omitted optional input. */
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  overload?: string;
  attribute: AttributeProto[];
  docString?: string;
  metadataProps: StringStringEntry[];
}

export interface TensorAnnotation {
  tensorName?: string;
  quantParameterTensorNames: StringStringEntry[];
}

export interface GraphProto {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  sparseInitializer: SparseTensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  quantizationAnnotation: TensorAnnotation[];
  metadataProps: StringStringEntry[];
}

export interface TrainingInfoProto {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initializationBinding: StringStringEntry[];
  updateBinding: StringStringEntry[];
}

export interface FunctionProto {
  name?: string;
  input: string[];
  output: string[];
  attribute: string[];
  attributeProto: AttributeProto[];
  node: NodeProto[];
  docString?: string;
  opsetImport: OperatorSetId[];
  domain?: string;
  overload?: string;
  valueInfo: ValueInfoProto[];
  metadataProps: StringStringEntry[];
}

/** ModelProto, plus where its external data files are (not serialized). */
export interface OnnxModel {
  irVersion: number;
  opsetImport: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: GraphProto;
  metadataProps: StringStringEntry[];
  trainingInfo: TrainingInfoProto[];
  functions: FunctionProto[];
  /**
   * Not part of ONNX: the folder that external-data `location`s resolve against (the model file's
   * folder when read from a path). writeModel uses it to copy tensors that were not loaded.
   */
  baseDir?: string;
}
