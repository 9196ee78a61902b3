// ModelProto <-> bytes, through protobufjs (light build) and the bundled JSON descriptor of onnx.proto.
//
// Decoding is protobufjs's Type.decode followed by a conversion to the plain interfaces of types.ts
// (int64 Longs become number/bigint, repeated numerics become typed arrays, `bytes` stay zero-copy
// views into the input).
//
// Encoding frames ModelProto -> GraphProto -> TensorProto.raw_data by hand and lets protobufjs encode
// everything else. Measured reason: protobufjs 8's writer grows one buffer and, on closing each
// length-delimited submessage whose length needs more than one varint byte, shifts the submessage
// bytes forward — so a 256 MiB initializer was copied once per nesting level plus buffer doublings
// (0.4–2.3 s, ~1 GiB RSS). Here raw_data is never copied by the encoder: encodeModelChunks returns
// the chunks (weights as they are), and writers stream them. Fields are emitted in field-number order,
// exactly as protobufjs (and protobuf C++) does, so the bytes are the same as a plain Type.encode.
import * as protobuf from 'protobufjs/light';
import descriptor from './onnx.proto.json';
import type {
  AttributeProto,
  Dimension,
  FunctionProto,
  GraphProto,
  NodeProto,
  OnnxModel,
  OperatorSetId,
  SparseTensorProto,
  StringStringEntry,
  TensorAnnotation,
  TensorProto,
  TensorShapeProto,
  TrainingInfoProto,
  TypeProto,
  ValueInfoProto,
} from './types';

const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace);
const ModelType = root.lookupType('onnx.ModelProto');
const GraphType = root.lookupType('onnx.GraphProto');
const TensorType = root.lookupType('onnx.TensorProto');

// Without long.js protobufjs decodes int64 into lossy JS numbers (INT64_MAX would change silently).
if (!protobuf.util.Long) {
  throw new Error('protobufjs was loaded without long.js support: int64 fields would lose precision.');
}

/** A decoded protobufjs message, or a plain object handed to Type.encode. */
type Wire = Record<string, unknown>;
/** An int64 as protobufjs decodes it (a long.js Long) or accepts it for encoding. */
interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

const own = (m: Wire, k: string): boolean => Object.prototype.hasOwnProperty.call(m, k) && m[k] != null;
const list = <T = Wire>(m: Wire, k: string): T[] => {
  const v = m[k];
  return Array.isArray(v) ? (v as T[]) : [];
};
const sub = (m: Wire, k: string): Wire | undefined => (own(m, k) ? (m[k] as Wire) : undefined);

function longToBigInt(v: unknown, unsigned = false): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'bigint') return v;
  const l = v as LongLike;
  const bits = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

function longToNumber(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  const b = longToBigInt(v);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`ONNX ${what} ${b} is beyond 2^53 and cannot be represented as a number`);
  }
  return Number(b);
}

function bigIntToLong(v: bigint): LongLike {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}

/** A plain Uint8Array view (Buffer views compare unequal to Uint8Array in deepStrictEqual). */
function bytesView(v: unknown): Uint8Array {
  const b = v as Uint8Array;
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function setIf(out: Wire, k: string, v: unknown): void {
  if (v !== undefined) out[k] = v;
}

// ---------------------------------------------------------------------------------------------------
// Decoding: wire object -> types.ts

function entriesFromWire(ms: Wire[]): StringStringEntry[] {
  return ms.map((m) => {
    const e: StringStringEntry = {};
    if (own(m, 'key')) e.key = m.key as string;
    if (own(m, 'value')) e.value = m.value as string;
    return e;
  });
}

function tensorFromWire(m: Wire): TensorProto {
  const t: TensorProto = {
    dims: list(m, 'dims').map((d) => longToNumber(d, 'tensor dim')),
    stringData: list(m, 'stringData').map(bytesView),
    externalData: entriesFromWire(list(m, 'externalData')),
    metadataProps: entriesFromWire(list(m, 'metadataProps')),
  };
  if (own(m, 'dataType')) t.dataType = m.dataType as number;
  const seg = sub(m, 'segment');
  if (seg) {
    t.segment = {};
    if (own(seg, 'begin')) t.segment.begin = longToNumber(seg.begin, 'segment begin');
    if (own(seg, 'end')) t.segment.end = longToNumber(seg.end, 'segment end');
  }
  const floats = list<number>(m, 'floatData');
  if (floats.length) t.floatData = Float32Array.from(floats);
  const int32s = list<number>(m, 'int32Data');
  if (int32s.length) t.int32Data = Int32Array.from(int32s);
  const int64s = list(m, 'int64Data');
  if (int64s.length) t.int64Data = BigInt64Array.from(int64s, (v) => longToBigInt(v));
  if (own(m, 'name')) t.name = m.name as string;
  if (own(m, 'docString')) t.docString = m.docString as string;
  if (own(m, 'rawData')) t.rawData = bytesView(m.rawData);
  if (own(m, 'dataLocation')) t.dataLocation = m.dataLocation as number;
  const doubles = list<number>(m, 'doubleData');
  if (doubles.length) t.doubleData = Float64Array.from(doubles);
  const uint64s = list(m, 'uint64Data');
  if (uint64s.length) t.uint64Data = BigUint64Array.from(uint64s, (v) => longToBigInt(v, true));
  return t;
}

function sparseFromWire(m: Wire): SparseTensorProto {
  const s: SparseTensorProto = { dims: list(m, 'dims').map((d) => longToNumber(d, 'sparse dim')) };
  const values = sub(m, 'values');
  if (values) s.values = tensorFromWire(values);
  const indices = sub(m, 'indices');
  if (indices) s.indices = tensorFromWire(indices);
  return s;
}

function shapeFromWire(m: Wire): TensorShapeProto {
  return {
    dim: list(m, 'dim').map((d) => {
      const out: Dimension = {};
      if (own(d, 'dimValue')) out.dimValue = longToNumber(d.dimValue, 'dim_value');
      if (own(d, 'dimParam')) out.dimParam = d.dimParam as string;
      if (own(d, 'denotation')) out.denotation = d.denotation as string;
      return out;
    }),
  };
}

function typeFromWire(m: Wire): TypeProto {
  const t: TypeProto = {};
  const tensorish = (w: Wire): { elemType?: number; shape?: TensorShapeProto } => {
    const out: { elemType?: number; shape?: TensorShapeProto } = {};
    if (own(w, 'elemType')) out.elemType = w.elemType as number;
    const shape = sub(w, 'shape');
    if (shape) out.shape = shapeFromWire(shape);
    return out;
  };
  const wrapped = (w: Wire): { elemType?: TypeProto } => {
    const e = sub(w, 'elemType');
    return e ? { elemType: typeFromWire(e) } : {};
  };
  const tt = sub(m, 'tensorType');
  if (tt) t.tensorType = tensorish(tt);
  const seq = sub(m, 'sequenceType');
  if (seq) t.sequenceType = wrapped(seq);
  const map = sub(m, 'mapType');
  if (map) {
    t.mapType = {};
    if (own(map, 'keyType')) t.mapType.keyType = map.keyType as number;
    const vt = sub(map, 'valueType');
    if (vt) t.mapType.valueType = typeFromWire(vt);
  }
  const opt = sub(m, 'optionalType');
  if (opt) t.optionalType = wrapped(opt);
  const sp = sub(m, 'sparseTensorType');
  if (sp) t.sparseTensorType = tensorish(sp);
  if (own(m, 'denotation')) t.denotation = m.denotation as string;
  return t;
}

function valueInfoFromWire(m: Wire): ValueInfoProto {
  const v: ValueInfoProto = { name: (m.name as string) ?? '', metadataProps: entriesFromWire(list(m, 'metadataProps')) };
  const type = sub(m, 'type');
  if (type) v.type = typeFromWire(type);
  if (own(m, 'docString')) v.docString = m.docString as string;
  return v;
}

function attributeFromWire(m: Wire): AttributeProto {
  const a: AttributeProto = {
    name: (m.name as string) ?? '',
    floats: list<number>(m, 'floats').slice(),
    ints: list(m, 'ints').map((v) => longToBigInt(v)),
    strings: list(m, 'strings').map(bytesView),
    tensors: list(m, 'tensors').map(tensorFromWire),
    graphs: list(m, 'graphs').map(graphFromWire),
    sparseTensors: list(m, 'sparseTensors').map(sparseFromWire),
    typeProtos: list(m, 'typeProtos').map(typeFromWire),
  };
  if (own(m, 'refAttrName')) a.refAttrName = m.refAttrName as string;
  if (own(m, 'docString')) a.docString = m.docString as string;
  if (own(m, 'type')) a.type = m.type as number;
  if (own(m, 'f')) a.f = m.f as number;
  if (own(m, 'i')) a.i = longToBigInt(m.i);
  if (own(m, 's')) a.s = bytesView(m.s);
  const t = sub(m, 't');
  if (t) a.t = tensorFromWire(t);
  const g = sub(m, 'g');
  if (g) a.g = graphFromWire(g);
  const st = sub(m, 'sparseTensor');
  if (st) a.sparseTensor = sparseFromWire(st);
  const tp = sub(m, 'tp');
  if (tp) a.tp = typeFromWire(tp);
  return a;
}

function nodeFromWire(m: Wire): NodeProto {
  const n: NodeProto = {
    input: list<string>(m, 'input').slice(),
    output: list<string>(m, 'output').slice(),
    opType: (m.opType as string) ?? '',
    attribute: list(m, 'attribute').map(attributeFromWire),
    metadataProps: entriesFromWire(list(m, 'metadataProps')),
  };
  if (own(m, 'name')) n.name = m.name as string;
  if (own(m, 'domain')) n.domain = m.domain as string;
  if (own(m, 'overload')) n.overload = m.overload as string;
  if (own(m, 'docString')) n.docString = m.docString as string;
  return n;
}

function annotationFromWire(m: Wire): TensorAnnotation {
  const a: TensorAnnotation = { quantParameterTensorNames: entriesFromWire(list(m, 'quantParameterTensorNames')) };
  if (own(m, 'tensorName')) a.tensorName = m.tensorName as string;
  return a;
}

function graphFromWire(m: Wire): GraphProto {
  const g: GraphProto = {
    node: list(m, 'node').map(nodeFromWire),
    initializer: list(m, 'initializer').map(tensorFromWire),
    sparseInitializer: list(m, 'sparseInitializer').map(sparseFromWire),
    input: list(m, 'input').map(valueInfoFromWire),
    output: list(m, 'output').map(valueInfoFromWire),
    valueInfo: list(m, 'valueInfo').map(valueInfoFromWire),
    quantizationAnnotation: list(m, 'quantizationAnnotation').map(annotationFromWire),
    metadataProps: entriesFromWire(list(m, 'metadataProps')),
  };
  if (own(m, 'name')) g.name = m.name as string;
  if (own(m, 'docString')) g.docString = m.docString as string;
  return g;
}

function opsetsFromWire(ms: Wire[]): OperatorSetId[] {
  return ms.map((m) => {
    const o: OperatorSetId = { version: own(m, 'version') ? longToNumber(m.version, 'opset version') : 0 };
    if (own(m, 'domain')) o.domain = m.domain as string;
    return o;
  });
}

function trainingInfoFromWire(m: Wire): TrainingInfoProto {
  const t: TrainingInfoProto = {
    initializationBinding: entriesFromWire(list(m, 'initializationBinding')),
    updateBinding: entriesFromWire(list(m, 'updateBinding')),
  };
  const init = sub(m, 'initialization');
  if (init) t.initialization = graphFromWire(init);
  const alg = sub(m, 'algorithm');
  if (alg) t.algorithm = graphFromWire(alg);
  return t;
}

function functionFromWire(m: Wire): FunctionProto {
  const f: FunctionProto = {
    input: list<string>(m, 'input').slice(),
    output: list<string>(m, 'output').slice(),
    attribute: list<string>(m, 'attribute').slice(),
    attributeProto: list(m, 'attributeProto').map(attributeFromWire),
    node: list(m, 'node').map(nodeFromWire),
    opsetImport: opsetsFromWire(list(m, 'opsetImport')),
    valueInfo: list(m, 'valueInfo').map(valueInfoFromWire),
    metadataProps: entriesFromWire(list(m, 'metadataProps')),
  };
  if (own(m, 'name')) f.name = m.name as string;
  if (own(m, 'docString')) f.docString = m.docString as string;
  if (own(m, 'domain')) f.domain = m.domain as string;
  if (own(m, 'overload')) f.overload = m.overload as string;
  return f;
}

function modelFromWire(m: Wire): OnnxModel {
  const graph = sub(m, 'graph');
  const model: OnnxModel = {
    irVersion: own(m, 'irVersion') ? longToNumber(m.irVersion, 'ir_version') : 0,
    opsetImport: opsetsFromWire(list(m, 'opsetImport')),
    graph: graph ? graphFromWire(graph) : graphFromWire({}),
    metadataProps: entriesFromWire(list(m, 'metadataProps')),
    trainingInfo: list(m, 'trainingInfo').map(trainingInfoFromWire),
    functions: list(m, 'functions').map(functionFromWire),
  };
  if (own(m, 'producerName')) model.producerName = m.producerName as string;
  if (own(m, 'producerVersion')) model.producerVersion = m.producerVersion as string;
  if (own(m, 'domain')) model.domain = m.domain as string;
  if (own(m, 'modelVersion')) model.modelVersion = longToNumber(m.modelVersion, 'model_version');
  if (own(m, 'docString')) model.docString = m.docString as string;
  return model;
}

/** Decodes ModelProto bytes. Tensor bytes stay views into `bytes` (no copy); external data is not read. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  let wire: Wire;
  try {
    wire = ModelType.decode(bytes) as unknown as Wire;
  } catch (e) {
    throw new Error(`Not a valid ONNX model (protobuf decode failed: ${(e as Error).message})`);
  }
  return modelFromWire(wire);
}

// ---------------------------------------------------------------------------------------------------
// Encoding: types.ts -> wire object (only present fields)

const int64Wire = (v: number | bigint): number | LongLike => (typeof v === 'bigint' ? bigIntToLong(v) : v);
const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a && a.length ? a : undefined);

function entriesToWire(es: StringStringEntry[]): Wire[] | undefined {
  return nonEmpty(es.map((e) => ({ ...e })));
}

/** TensorProto fields; `part` selects those before raw_data (1–8), after it (10+), or all. */
function tensorToWire(t: TensorProto, part: 'all' | 'head' | 'tail' = 'all'): Wire {
  const w: Wire = {};
  if (part !== 'tail') {
    setIf(w, 'dims', nonEmpty(t.dims));
    setIf(w, 'dataType', t.dataType);
    if (t.segment) setIf(w, 'segment', { ...t.segment });
    if (t.floatData?.length) w.floatData = t.floatData;
    if (t.int32Data?.length) w.int32Data = t.int32Data;
    setIf(w, 'stringData', nonEmpty(t.stringData));
    if (t.int64Data?.length) w.int64Data = Array.from(t.int64Data, bigIntToLong);
    setIf(w, 'name', t.name);
  }
  if (part === 'all') setIf(w, 'rawData', t.rawData);
  if (part !== 'head') {
    setIf(w, 'docString', t.docString);
    setIf(w, 'externalData', entriesToWire(t.externalData));
    setIf(w, 'dataLocation', t.dataLocation);
    if (t.doubleData?.length) w.doubleData = t.doubleData;
    if (t.uint64Data?.length) w.uint64Data = Array.from(t.uint64Data, bigIntToLong);
    setIf(w, 'metadataProps', entriesToWire(t.metadataProps));
  }
  return w;
}

function sparseToWire(s: SparseTensorProto): Wire {
  const w: Wire = {};
  if (s.values) w.values = tensorToWire(s.values);
  if (s.indices) w.indices = tensorToWire(s.indices);
  setIf(w, 'dims', nonEmpty(s.dims));
  return w;
}

function shapeToWire(s: TensorShapeProto): Wire {
  return { dim: s.dim.map((d) => ({ ...d })) };
}

function typeToWire(t: TypeProto): Wire {
  const w: Wire = {};
  const tensorish = (x: { elemType?: number; shape?: TensorShapeProto }): Wire => {
    const o: Wire = {};
    setIf(o, 'elemType', x.elemType);
    if (x.shape) o.shape = shapeToWire(x.shape);
    return o;
  };
  const wrapped = (x: { elemType?: TypeProto }): Wire => (x.elemType ? { elemType: typeToWire(x.elemType) } : {});
  if (t.tensorType) w.tensorType = tensorish(t.tensorType);
  if (t.sequenceType) w.sequenceType = wrapped(t.sequenceType);
  if (t.mapType) {
    const m: Wire = {};
    setIf(m, 'keyType', t.mapType.keyType);
    if (t.mapType.valueType) m.valueType = typeToWire(t.mapType.valueType);
    w.mapType = m;
  }
  if (t.optionalType) w.optionalType = wrapped(t.optionalType);
  if (t.sparseTensorType) w.sparseTensorType = tensorish(t.sparseTensorType);
  setIf(w, 'denotation', t.denotation);
  return w;
}

function valueInfoToWire(v: ValueInfoProto): Wire {
  const w: Wire = { name: v.name };
  if (v.type) w.type = typeToWire(v.type);
  setIf(w, 'docString', v.docString);
  setIf(w, 'metadataProps', entriesToWire(v.metadataProps));
  return w;
}

function attributeToWire(a: AttributeProto): Wire {
  const w: Wire = { name: a.name };
  setIf(w, 'refAttrName', a.refAttrName);
  setIf(w, 'docString', a.docString);
  setIf(w, 'type', a.type);
  setIf(w, 'f', a.f);
  if (a.i !== undefined) w.i = int64Wire(a.i);
  setIf(w, 's', a.s);
  if (a.t) w.t = tensorToWire(a.t);
  if (a.g) w.g = graphToWire(a.g);
  if (a.sparseTensor) w.sparseTensor = sparseToWire(a.sparseTensor);
  if (a.tp) w.tp = typeToWire(a.tp);
  setIf(w, 'floats', nonEmpty(a.floats));
  setIf(w, 'ints', nonEmpty(a.ints.map(bigIntToLong)));
  setIf(w, 'strings', nonEmpty(a.strings));
  setIf(w, 'tensors', nonEmpty(a.tensors.map((t) => tensorToWire(t))));
  setIf(w, 'graphs', nonEmpty(a.graphs.map((g) => graphToWire(g))));
  setIf(w, 'sparseTensors', nonEmpty(a.sparseTensors.map(sparseToWire)));
  setIf(w, 'typeProtos', nonEmpty(a.typeProtos.map(typeToWire)));
  return w;
}

function nodeToWire(n: NodeProto): Wire {
  const w: Wire = {};
  setIf(w, 'input', nonEmpty(n.input));
  setIf(w, 'output', nonEmpty(n.output));
  setIf(w, 'name', n.name);
  w.opType = n.opType;
  setIf(w, 'domain', n.domain);
  setIf(w, 'overload', n.overload);
  setIf(w, 'attribute', nonEmpty(n.attribute.map(attributeToWire)));
  setIf(w, 'docString', n.docString);
  setIf(w, 'metadataProps', entriesToWire(n.metadataProps));
  return w;
}

/** GraphProto fields; `part` selects node+name (1–2), initializers (5) or the rest (10+). */
function graphToWire(g: GraphProto, part: 'all' | 'head' | 'tail' = 'all'): Wire {
  const w: Wire = {};
  if (part !== 'tail') {
    setIf(w, 'node', nonEmpty(g.node.map(nodeToWire)));
    setIf(w, 'name', g.name);
  }
  if (part === 'all') setIf(w, 'initializer', nonEmpty(g.initializer.map((t) => tensorToWire(t))));
  if (part !== 'head') {
    setIf(
      w,
      'sparseInitializer',
      nonEmpty(g.sparseInitializer.map(sparseToWire)),
    );
    setIf(w, 'docString', g.docString);
    setIf(w, 'input', nonEmpty(g.input.map(valueInfoToWire)));
    setIf(w, 'output', nonEmpty(g.output.map(valueInfoToWire)));
    setIf(w, 'valueInfo', nonEmpty(g.valueInfo.map(valueInfoToWire)));
    setIf(
      w,
      'quantizationAnnotation',
      nonEmpty(
        g.quantizationAnnotation.map((a) => {
          const o: Wire = {};
          setIf(o, 'tensorName', a.tensorName);
          setIf(o, 'quantParameterTensorNames', entriesToWire(a.quantParameterTensorNames));
          return o;
        }),
      ),
    );
    setIf(w, 'metadataProps', entriesToWire(g.metadataProps));
  }
  return w;
}

function opsetsToWire(os: OperatorSetId[]): Wire[] | undefined {
  return nonEmpty(
    os.map((o) => {
      const w: Wire = {};
      setIf(w, 'domain', o.domain);
      w.version = o.version;
      return w;
    }),
  );
}

function functionToWire(f: FunctionProto): Wire {
  const w: Wire = {};
  setIf(w, 'name', f.name);
  setIf(w, 'input', nonEmpty(f.input));
  setIf(w, 'output', nonEmpty(f.output));
  setIf(w, 'attribute', nonEmpty(f.attribute));
  setIf(w, 'attributeProto', nonEmpty(f.attributeProto.map(attributeToWire)));
  setIf(w, 'node', nonEmpty(f.node.map(nodeToWire)));
  setIf(w, 'docString', f.docString);
  setIf(w, 'opsetImport', opsetsToWire(f.opsetImport));
  setIf(w, 'domain', f.domain);
  setIf(w, 'overload', f.overload);
  setIf(w, 'valueInfo', nonEmpty(f.valueInfo.map(valueInfoToWire)));
  setIf(w, 'metadataProps', entriesToWire(f.metadataProps));
  return w;
}

function trainingInfoToWire(t: TrainingInfoProto): Wire {
  const w: Wire = {};
  if (t.initialization) w.initialization = graphToWire(t.initialization);
  if (t.algorithm) w.algorithm = graphToWire(t.algorithm);
  setIf(w, 'initializationBinding', entriesToWire(t.initializationBinding));
  setIf(w, 'updateBinding', entriesToWire(t.updateBinding));
  return w;
}

// ---------------------------------------------------------------------------------------------------
// Framing

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Tag + length prefix of a length-delimited field. */
function lengthPrefix(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(length)]);
}

const byteLength = (chunks: Uint8Array[]): number => chunks.reduce((n, c) => n + c.byteLength, 0);
const enc = (type: protobuf.Type, w: Wire): Uint8Array => bytesView(type.encode(w).finish());

function tensorChunks(t: TensorProto): Uint8Array[] {
  if (!t.rawData) return [enc(TensorType, tensorToWire(t))];
  return [
    enc(TensorType, tensorToWire(t, 'head')),
    lengthPrefix(9, t.rawData.byteLength),
    t.rawData,
    enc(TensorType, tensorToWire(t, 'tail')),
  ];
}

function graphChunks(g: GraphProto): Uint8Array[] {
  const chunks: Uint8Array[] = [enc(GraphType, graphToWire(g, 'head'))];
  for (const t of g.initializer) {
    const tc = tensorChunks(t);
    chunks.push(lengthPrefix(5, byteLength(tc)), ...tc);
  }
  chunks.push(enc(GraphType, graphToWire(g, 'tail')));
  return chunks;
}

/**
 * The encoded ModelProto as a list of chunks whose concatenation is the file. Initializer raw_data
 * arrays appear as chunks themselves (not copied).
 */
export function encodeModelChunks(model: OnnxModel): Uint8Array[] {
  const head: Wire = { irVersion: model.irVersion };
  setIf(head, 'producerName', model.producerName);
  setIf(head, 'producerVersion', model.producerVersion);
  setIf(head, 'domain', model.domain);
  setIf(head, 'modelVersion', model.modelVersion);
  setIf(head, 'docString', model.docString);
  const tail: Wire = {};
  setIf(tail, 'opsetImport', opsetsToWire(model.opsetImport));
  setIf(tail, 'metadataProps', entriesToWire(model.metadataProps));
  setIf(tail, 'trainingInfo', nonEmpty(model.trainingInfo.map(trainingInfoToWire)));
  setIf(tail, 'functions', nonEmpty(model.functions.map(functionToWire)));
  const graph = graphChunks(model.graph);
  const size = byteLength(graph);
  if (size > 2 ** 31 - 1) {
    throw new RangeError(
      `The graph encodes to ${size} bytes, over protobuf's 2 GiB limit: store large weights as external data.`,
    );
  }
  return [enc(ModelType, head), lengthPrefix(7, size), ...graph, enc(ModelType, tail)];
}

/** The model as one ModelProto byte array (weights copied once, into an exactly sized buffer). */
export function encodeModel(model: OnnxModel): Uint8Array {
  const chunks = encodeModelChunks(model);
  const out = new Uint8Array(byteLength(chunks));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Encodes one TensorProto (e.g. for hashing or tests). */
export function encodeTensor(t: TensorProto): Uint8Array {
  return enc(TensorType, tensorToWire(t));
}
