// Typed ONNX attributes. ONNX attributes carry their type (epsilon is FLOAT, axis INT, axes INTS), and
// a JS number cannot say whether 1 means 1 or 1.0, so nothing here guesses: constructors are typed,
// getters check the stored type and name the node when it is wrong.
import { AttributeType, type AttributeProto, type GraphProto, type NodeProto, type TensorProto, type TypeProto } from './types';

function base(name: string, type: number): AttributeProto {
  return { name, type, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function int64(v: number | bigint, name: string): bigint {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (!Number.isInteger(v)) throw new TypeError(`Attribute '${name}' must be an integer, got ${v}`);
  // Numbers beyond 2^53 (e.g. 9223372036854775807 written as a literal) lose precision; clamp to int64.
  if (v >= 2 ** 63) return 2n ** 63n - 1n;
  if (v <= -(2 ** 63)) return -(2n ** 63n);
  return BigInt(v);
}

export function attrFloat(name: string, value: number): AttributeProto {
  return { ...base(name, AttributeType.FLOAT), f: value };
}
export function attrInt(name: string, value: number | bigint | boolean): AttributeProto {
  return { ...base(name, AttributeType.INT), i: int64(typeof value === 'boolean' ? Number(value) : value, name) };
}
export function attrString(name: string, value: string | Uint8Array): AttributeProto {
  return { ...base(name, AttributeType.STRING), s: typeof value === 'string' ? utf8.encode(value) : value };
}
export function attrTensor(name: string, value: TensorProto): AttributeProto {
  return { ...base(name, AttributeType.TENSOR), t: value };
}
export function attrGraph(name: string, value: GraphProto): AttributeProto {
  return { ...base(name, AttributeType.GRAPH), g: value };
}
export function attrTypeProto(name: string, value: TypeProto): AttributeProto {
  return { ...base(name, AttributeType.TYPE_PROTO), tp: value };
}
export function attrFloats(name: string, values: readonly number[]): AttributeProto {
  return { ...base(name, AttributeType.FLOATS), floats: [...values] };
}
export function attrInts(name: string, values: readonly (number | bigint)[]): AttributeProto {
  return { ...base(name, AttributeType.INTS), ints: values.map((v) => int64(v, name)) };
}
export function attrStrings(name: string, values: readonly (string | Uint8Array)[]): AttributeProto {
  return { ...base(name, AttributeType.STRINGS), strings: values.map((v) => (typeof v === 'string' ? utf8.encode(v) : v)) };
}
export function attrTensors(name: string, values: readonly TensorProto[]): AttributeProto {
  return { ...base(name, AttributeType.TENSORS), tensors: [...values] };
}
export function attrGraphs(name: string, values: readonly GraphProto[]): AttributeProto {
  return { ...base(name, AttributeType.GRAPHS), graphs: [...values] };
}

// ---------------------------------------------------------------------------------------------------
// Values given to GraphBuilder.op: plain JS values where the op's schema says the type, or a typed
// wrapper (attr.float(1)) where it does not.

export type AttrKind = 'FLOAT' | 'INT' | 'STRING' | 'TENSOR' | 'GRAPH' | 'FLOATS' | 'INTS' | 'STRINGS' | 'TENSORS' | 'GRAPHS';

export interface TypedAttr {
  readonly kind: AttrKind;
  readonly value: unknown;
}

/** Typed attribute values for GraphBuilder.op: `{ epsilon: attr.float(1e-5), axes: attr.ints([-1]) }`. */
export const attr = {
  float: (v: number): TypedAttr => ({ kind: 'FLOAT', value: v }),
  int: (v: number | bigint | boolean): TypedAttr => ({ kind: 'INT', value: v }),
  string: (v: string): TypedAttr => ({ kind: 'STRING', value: v }),
  tensor: (v: TensorProto): TypedAttr => ({ kind: 'TENSOR', value: v }),
  graph: (v: GraphProto): TypedAttr => ({ kind: 'GRAPH', value: v }),
  floats: (v: readonly number[]): TypedAttr => ({ kind: 'FLOATS', value: v }),
  ints: (v: readonly (number | bigint)[]): TypedAttr => ({ kind: 'INTS', value: v }),
  strings: (v: readonly string[]): TypedAttr => ({ kind: 'STRINGS', value: v }),
  tensors: (v: readonly TensorProto[]): TypedAttr => ({ kind: 'TENSORS', value: v }),
  graphs: (v: readonly GraphProto[]): TypedAttr => ({ kind: 'GRAPHS', value: v }),
};

export type AttrInput =
  | number
  | bigint
  | boolean
  | string
  | readonly number[]
  | readonly bigint[]
  | readonly string[]
  | TensorProto
  | GraphProto
  | TypedAttr
  | AttributeProto;

const isTypedAttr = (v: unknown): v is TypedAttr =>
  typeof v === 'object' && v !== null && 'kind' in v && 'value' in v && Object.keys(v).length === 2;
const isAttributeProto = (v: unknown): v is AttributeProto =>
  typeof v === 'object' && v !== null && 'name' in v && 'floats' in v && 'ints' in v;
const isTensorProto = (v: unknown): v is TensorProto =>
  typeof v === 'object' && v !== null && 'dims' in v && 'externalData' in v;
const isGraphProto = (v: unknown): v is GraphProto =>
  typeof v === 'object' && v !== null && 'node' in v && 'initializer' in v;

function build(name: string, kind: AttrKind, value: unknown, where: string): AttributeProto {
  switch (kind) {
    case 'FLOAT':
      if (typeof value !== 'number') break;
      return attrFloat(name, value);
    case 'INT':
      if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'boolean') break;
      return attrInt(name, value);
    case 'STRING':
      if (typeof value !== 'string') break;
      return attrString(name, value);
    case 'TENSOR':
      if (!isTensorProto(value)) break;
      return attrTensor(name, value);
    case 'GRAPH':
      if (!isGraphProto(value)) break;
      return attrGraph(name, value);
    case 'FLOATS':
      if (!Array.isArray(value)) break;
      return attrFloats(name, value as number[]);
    case 'INTS':
      if (!Array.isArray(value)) break;
      return attrInts(name, value as (number | bigint)[]);
    case 'STRINGS':
      if (!Array.isArray(value)) break;
      return attrStrings(name, value as string[]);
    case 'TENSORS':
      if (!Array.isArray(value)) break;
      return attrTensors(name, value as TensorProto[]);
    case 'GRAPHS':
      if (!Array.isArray(value)) break;
      return attrGraphs(name, value as GraphProto[]);
  }
  throw new TypeError(`${where}: attribute '${name}' is ${kind}; cannot store ${JSON.stringify(value, bigintSafe)} in it`);
}

function bigintSafe(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

const KIND_CODE: Record<AttrKind, number> = {
  FLOAT: AttributeType.FLOAT,
  INT: AttributeType.INT,
  STRING: AttributeType.STRING,
  TENSOR: AttributeType.TENSOR,
  GRAPH: AttributeType.GRAPH,
  FLOATS: AttributeType.FLOATS,
  INTS: AttributeType.INTS,
  STRINGS: AttributeType.STRINGS,
  TENSORS: AttributeType.TENSORS,
  GRAPHS: AttributeType.GRAPHS,
};

/**
 * An AttributeProto from a builder value. `expected` is the type the op's schema gives the attribute
 * (undefined for attributes or ops the schema table does not know). A plain number or number[] with
 * no expected type is refused: say attr.int(...) or attr.float(...).
 */
export function toAttribute(name: string, value: AttrInput, expected: AttrKind | undefined, where: string): AttributeProto {
  if (isAttributeProto(value)) {
    if (expected && value.type !== KIND_CODE[expected]) {
      throw new TypeError(`${where}: attribute '${name}' must be ${expected}, got AttributeProto type ${value.type}`);
    }
    return { ...value, name };
  }
  if (isTypedAttr(value)) {
    if (expected && value.kind !== expected) {
      throw new TypeError(`${where}: attribute '${name}' must be ${expected}, got attr.${value.kind.toLowerCase()}(...)`);
    }
    return build(name, value.kind, value.value, where);
  }
  if (expected) return build(name, expected, value, where);
  if (typeof value === 'string') return attrString(name, value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return attrInt(name, value);
  if (isTensorProto(value)) return attrTensor(name, value);
  if (isGraphProto(value)) return attrGraph(name, value);
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => typeof v === 'string')) return attrStrings(name, value as string[]);
    if (value.length && value.every((v) => typeof v === 'bigint')) return attrInts(name, value as bigint[]);
  }
  throw new TypeError(
    `${where}: the type of attribute '${name}' is unknown for this op; pass attr.int(...)/attr.float(...)/attr.ints(...)/attr.floats(...)`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Getters

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function describe(node: NodeProto): string {
  return `${node.opType} node '${node.name ?? node.output[0] ?? '?'}'`;
}

function typed(node: NodeProto, name: string, type: number): AttributeProto | undefined {
  const a = getAttribute(node, name);
  if (!a) return undefined;
  // IR version 1 attributes have no type field: trust the populated value field instead.
  if (a.type !== undefined && a.type !== type) {
    const kind = Object.entries(AttributeType).find(([, v]) => v === a.type)?.[0] ?? String(a.type);
    const want = Object.entries(AttributeType).find(([, v]) => v === type)?.[0] ?? String(type);
    throw new TypeError(`${describe(node)}: attribute '${name}' is ${kind}, expected ${want}`);
  }
  return a;
}

export function getFloat(node: NodeProto, name: string): number | undefined;
export function getFloat(node: NodeProto, name: string, fallback: number): number;
export function getFloat(node: NodeProto, name: string, fallback?: number): number | undefined {
  return typed(node, name, AttributeType.FLOAT)?.f ?? fallback;
}

/** An INT attribute as a number (INT64_MAX and friends come back as ±9.22e18, fine for clamping). */
export function getInt(node: NodeProto, name: string): number | undefined;
export function getInt(node: NodeProto, name: string, fallback: number): number;
export function getInt(node: NodeProto, name: string, fallback?: number): number | undefined {
  const i = typed(node, name, AttributeType.INT)?.i;
  return i === undefined ? fallback : Number(i);
}

export function getInts(node: NodeProto, name: string): number[] | undefined {
  return typed(node, name, AttributeType.INTS)?.ints.map(Number);
}
export function getFloats(node: NodeProto, name: string): number[] | undefined {
  return typed(node, name, AttributeType.FLOATS)?.floats;
}
export function getString(node: NodeProto, name: string): string | undefined;
export function getString(node: NodeProto, name: string, fallback: string): string;
export function getString(node: NodeProto, name: string, fallback?: string): string | undefined {
  const s = typed(node, name, AttributeType.STRING)?.s;
  return s === undefined ? fallback : fromUtf8.decode(s);
}
export function getStrings(node: NodeProto, name: string): string[] | undefined {
  return typed(node, name, AttributeType.STRINGS)?.strings.map((s) => fromUtf8.decode(s));
}
export function getTensor(node: NodeProto, name: string): TensorProto | undefined {
  return typed(node, name, AttributeType.TENSOR)?.t;
}
export function getGraph(node: NodeProto, name: string): GraphProto | undefined {
  return typed(node, name, AttributeType.GRAPH)?.g;
}
