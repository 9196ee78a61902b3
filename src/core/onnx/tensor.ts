// Element types, TensorProto <-> typed arrays, and float16 conversion.
// Element type names follow onnxruntime's tensor type strings ('float32', 'int64', 'bool', ...), so a
// value's dtype can be handed to the runtime as is.
import { DataLocation, DataTypeCode, type TensorProto } from './types';

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'complex64'
  | 'complex128'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'uint4'
  | 'int4';

const CODE: Record<DType, number> = {
  float32: DataTypeCode.FLOAT,
  float64: DataTypeCode.DOUBLE,
  float16: DataTypeCode.FLOAT16,
  bfloat16: DataTypeCode.BFLOAT16,
  int8: DataTypeCode.INT8,
  int16: DataTypeCode.INT16,
  int32: DataTypeCode.INT32,
  int64: DataTypeCode.INT64,
  uint8: DataTypeCode.UINT8,
  uint16: DataTypeCode.UINT16,
  uint32: DataTypeCode.UINT32,
  uint64: DataTypeCode.UINT64,
  bool: DataTypeCode.BOOL,
  string: DataTypeCode.STRING,
  complex64: DataTypeCode.COMPLEX64,
  complex128: DataTypeCode.COMPLEX128,
  float8e4m3fn: DataTypeCode.FLOAT8E4M3FN,
  float8e4m3fnuz: DataTypeCode.FLOAT8E4M3FNUZ,
  float8e5m2: DataTypeCode.FLOAT8E5M2,
  float8e5m2fnuz: DataTypeCode.FLOAT8E5M2FNUZ,
  uint4: DataTypeCode.UINT4,
  int4: DataTypeCode.INT4,
};
const BY_CODE = new Map<number, DType>(Object.entries(CODE).map(([k, v]) => [v, k as DType]));

/** The TensorProto.DataType code of an element type. */
export function dtypeCode(dtype: DType): number {
  const c = CODE[dtype];
  if (c === undefined) throw new Error(`Unknown element type '${String(dtype)}'`);
  return c;
}

/** The element type of a TensorProto.DataType code (undefined for UNDEFINED or an unknown code). */
export function dtypeFromCode(code: number | undefined): DType | undefined {
  return code === undefined ? undefined : BY_CODE.get(code);
}

/** Bytes per element in raw_data; 0.5 for the packed 4-bit types, undefined for strings. */
export function dtypeSize(dtype: DType): number | undefined {
  switch (dtype) {
    case 'float64':
    case 'int64':
    case 'uint64':
    case 'complex64':
      return 8;
    case 'complex128':
      return 16;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
    case 'uint16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
      return 1;
    case 'uint4':
    case 'int4':
      return 0.5;
    case 'string':
      return undefined;
  }
}

export const isFloatDType = (d: DType | undefined): boolean =>
  d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
export const isIntDType = (d: DType | undefined): boolean =>
  d === 'int8' || d === 'int16' || d === 'int32' || d === 'int64' || d === 'uint8' || d === 'uint16' || d === 'uint32' || d === 'uint64';

/**
 * What tensorToArray returns per element type: float16/bfloat16 as their raw bits (Uint16Array), bool as
 * 0/1 bytes (Uint8Array), complex as interleaved (re, im) floats, string as UTF-8 byte arrays.
 */
export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

// raw_data is little-endian; typed arrays use the host order. Every platform Node ships for is
// little-endian, but fail loudly rather than corrupt weights if that ever changes.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('ONNX tensor conversion requires a little-endian host');
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** True when the tensor's bytes live in an external file that has not been loaded. */
export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === DataLocation.EXTERNAL;
}

/** location/offset/length of an external tensor. */
export function externalInfo(t: TensorProto): { location: string; offset: number; length: number | undefined } {
  const get = (k: string): string | undefined => t.externalData.find((e) => e.key === k)?.value;
  const location = get('location');
  if (!location) throw new Error(`Tensor '${t.name ?? ''}' is EXTERNAL but has no 'location'`);
  const offset = get('offset');
  const length = get('length');
  return { location, offset: offset ? Number(offset) : 0, length: length !== undefined ? Number(length) : undefined };
}

type TypedCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigUint64ArrayConstructor;

function ctorFor(dtype: DType): TypedCtor {
  switch (dtype) {
    case 'float32':
    case 'complex64':
      return Float32Array;
    case 'float64':
    case 'complex128':
      return Float64Array;
    case 'int8':
      return Int8Array;
    case 'int16':
      return Int16Array;
    case 'int32':
      return Int32Array;
    case 'int64':
      return BigInt64Array;
    case 'uint16':
    case 'float16':
    case 'bfloat16':
      return Uint16Array;
    case 'uint32':
      return Uint32Array;
    case 'uint64':
      return BigUint64Array;
    default:
      return Uint8Array; // uint8, bool, float8*, packed 4-bit
  }
}

/** A typed-array view of little-endian bytes (copied when unaligned). */
function viewBytes(bytes: Uint8Array, ctor: TypedCtor): TensorArray {
  assertLittleEndian();
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) throw new Error(`raw_data length ${bytes.byteLength} is not a multiple of ${size}`);
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return new ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / size);
}

/**
 * The elements of a tensor as a typed array (see TensorArray). The result may share memory with the
 * tensor's raw_data (itself possibly a view of the model file buffer): copy before mutating.
 * Throws for an EXTERNAL tensor whose data has not been loaded, and for string tensors.
 */
export function tensorToArray(t: TensorProto): TensorArray {
  const dtype = dtypeFromCode(t.dataType);
  if (!dtype) throw new Error(`Tensor '${t.name ?? ''}' has unsupported data_type ${t.dataType}`);
  if (dtype === 'string') throw new Error(`Tensor '${t.name ?? ''}' is a string tensor: read stringData`);
  if (isExternal(t)) throw new Error(`Tensor '${t.name ?? ''}' has external data that was not loaded`);
  const ctor = ctorFor(dtype);
  if (t.rawData) return viewBytes(t.rawData, ctor);
  switch (dtype) {
    case 'float32':
    case 'complex64':
      return t.floatData ?? new Float32Array(0);
    case 'float64':
    case 'complex128':
      return t.doubleData ?? new Float64Array(0);
    case 'int64':
      return t.int64Data ?? new BigInt64Array(0);
    case 'uint64':
      return t.uint64Data ?? new BigUint64Array(0);
    case 'uint32':
      return Uint32Array.from(t.uint64Data ?? [], (v) => Number(v));
    default: {
      // int32_data carries int32, int16, int8, uint16, uint8, bool, float16/bfloat16 bits, float8.
      const src = t.int32Data ?? new Int32Array(0);
      if (dtype === 'int32') return src;
      if (dtype === 'uint4' || dtype === 'int4') return Uint8Array.from(src);
      return (ctor as Int32ArrayConstructor).from(src) as TensorArray;
    }
  }
}

/** Little-endian bytes of a tensor's elements (whatever field holds them). */
export function tensorBytes(t: TensorProto): Uint8Array {
  if (t.rawData) return t.rawData;
  const a = tensorToArray(t);
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Element values as plain numbers (int64 converted with Number(); float16/bfloat16 decoded). */
export function tensorToNumbers(t: TensorProto): number[] {
  const dtype = dtypeFromCode(t.dataType);
  const a = tensorToArray(t);
  if (dtype === 'float16') return Array.from(float16ToFloat32Array(a as Uint16Array));
  if (dtype === 'bfloat16') return Array.from(a as Uint16Array, bfloat16BitsToNumber);
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) return Array.from(a, (v) => Number(v));
  return Array.from(a as ArrayLike<number>);
}

export interface MakeTensorOptions {
  /** Element type; inferred from the array type when omitted (a Uint16Array means uint16: pass 'float16' for half bits). */
  dtype?: DType;
  docString?: string;
}

function dtypeOfArray(a: TensorArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof BigUint64Array) return 'uint64';
  return 'uint8';
}

/**
 * A TensorProto holding `data` as raw_data (little-endian; the bytes are copied, so later changes to
 * `data` do not leak into the model). Pass dtype 'float16' with a Uint16Array of bits, 'bool' with a
 * Uint8Array of 0/1.
 */
export function makeTensor(name: string, data: TensorArray, dims: readonly number[], opts: MakeTensorOptions = {}): TensorProto {
  assertLittleEndian();
  const dtype = opts.dtype ?? dtypeOfArray(data);
  const n = elementCount(dims);
  const perElement = dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
  if (dtype === 'uint4' || dtype === 'int4') {
    if (data.length !== Math.ceil(n / 2)) throw new Error(`Tensor '${name}': ${data.length} packed bytes for ${n} 4-bit elements`);
  } else if (data.length !== n * perElement) {
    throw new Error(`Tensor '${name}': ${data.length} values for dims [${dims.join(', ')}] (${n * perElement} expected)`);
  }
  const expected = ctorFor(dtype);
  if (!(data instanceof expected)) {
    throw new Error(`Tensor '${name}': dtype ${dtype} needs a ${expected.name}, got ${data.constructor.name}`);
  }
  const raw = new Uint8Array(data.byteLength);
  raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const t: TensorProto = {
    dims: [...dims],
    dataType: dtypeCode(dtype),
    name,
    rawData: raw,
    stringData: [],
    externalData: [],
    metadataProps: [],
  };
  if (opts.docString !== undefined) t.docString = opts.docString;
  return t;
}

/** A tensor from plain numbers (or bigints for int64) in the given element type. */
export function tensorFromNumbers(name: string, values: ArrayLike<number | bigint>, dims: readonly number[], dtype: DType): TensorProto {
  return makeTensor(name, typedArrayFrom(values, dtype), dims, { dtype });
}

/** A typed array of `dtype` (see TensorArray) holding `values`. */
export function typedArrayFrom(values: ArrayLike<number | bigint>, dtype: DType): TensorArray {
  const nums = (): number[] => Array.from(values, (v) => Number(v));
  switch (dtype) {
    case 'int64':
      // 2 ** 63 - 1 as a number is 2 ** 63: clamp (INT64_MAX is the usual "to the end" of Slice).
      return BigInt64Array.from(Array.from(values), (v) =>
        typeof v === 'bigint' ? v : v >= 2 ** 63 ? 2n ** 63n - 1n : v <= -(2 ** 63) ? -(2n ** 63n) : BigInt(Math.trunc(v)),
      );
    case 'uint64':
      return BigUint64Array.from(Array.from(values), (v) => (typeof v === 'bigint' ? v : v >= 2 ** 64 ? 2n ** 64n - 1n : BigInt(Math.trunc(Math.max(0, v)))));
    case 'float16':
      return float32ToFloat16Array(nums());
    case 'bfloat16':
      return Uint16Array.from(nums(), numberToBfloat16Bits);
    case 'bool':
      return Uint8Array.from(nums(), (v) => (v ? 1 : 0));
    case 'string':
      throw new Error('string tensors: build stringData directly');
    default:
      return (ctorFor(dtype) as Float64ArrayConstructor).from(nums()) as TensorArray;
  }
}

/** A string tensor (UTF-8 string_data). */
export function makeStringTensor(name: string, values: readonly string[], dims: readonly number[]): TensorProto {
  if (values.length !== elementCount(dims)) throw new Error(`Tensor '${name}': ${values.length} strings for dims [${dims.join(', ')}]`);
  const enc = new TextEncoder();
  return {
    dims: [...dims],
    dataType: DataTypeCode.STRING,
    name,
    stringData: values.map((s) => enc.encode(s)),
    externalData: [],
    metadataProps: [],
  };
}

// ---------------------------------------------------------------------------------------------------
// float16 / bfloat16

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a number, round-to-nearest-even (overflow to ±Inf, NaN kept quiet). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflow to ±0
    mant |= 0x800000; // implicit leading 1
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && (mant & 1))) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

/** The number a binary16 bit pattern encodes. */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float32ToFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

export function float16ToFloat32Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToNumber(bits[i]);
  return out;
}

/** bfloat16 bits of a number (round-to-nearest-even on the float32 value). */
export function numberToBfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40; // NaN stays NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bfloat16BitsToNumber(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}
