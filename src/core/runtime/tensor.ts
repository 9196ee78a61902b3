// The runtime's own tensor: plain data that crosses threads and processes (structured clone / v8
// serialization) and never exposes onnxruntime types outside src/core/runtime.

/** Element types the runtime moves in and out of sessions (ONNX names, as onnxruntime uses them). */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/** The typed array holding each element type. float16 is raw IEEE half bits; bool is 0/1 bytes. */
export interface TensorDataByDType {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

export type TensorData = TensorDataByDType[DType];

/** A tensor of one element type: `data` holds product(dims) elements in row-major order. */
export interface TensorOf<D extends DType> {
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: TensorDataByDType[D];
}

/** Any tensor; `dtype` discriminates the type of `data`. */
export type Tensor = { [D in DType]: TensorOf<D> }[DType];

type TypedArrayConstructor = { new (length: number): TensorData; readonly name: string };

const ARRAY_OF: { readonly [D in DType]: TypedArrayConstructor } = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export const DTYPES: readonly DType[] = Object.keys(ARRAY_OF) as DType[];

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(ARRAY_OF, x);
}

/** The name of the typed array a dtype needs, for error messages ("int64 needs a BigInt64Array"). */
export function arrayNameOf(dtype: DType): string {
  return ARRAY_OF[dtype].name;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Makes a tensor, converting plain arrays (numbers, or bigints for int64/uint64) to the right typed
 * array. A typed array of the right kind is used as is, not copied.
 */
export function tensor<D extends DType>(
  dtype: D,
  dims: readonly number[],
  data: TensorDataByDType[D] | ArrayLike<number> | ArrayLike<bigint>,
): TensorOf<D> {
  const Ctor = ARRAY_OF[dtype];
  let typed: TensorData;
  if (data instanceof Ctor) {
    typed = data;
  } else {
    const n = data.length;
    typed = new Ctor(n);
    const wide = dtype === 'int64' || dtype === 'uint64';
    for (let i = 0; i < n; i++) {
      const v = (data as ArrayLike<number | bigint>)[i];
      (typed as unknown as Array<number | bigint>)[i] = wide ? BigInt(v) : Number(v);
    }
  }
  const t = { dtype, dims: [...dims], data: typed } as unknown as TensorOf<D>;
  const problem = tensorProblem(t);
  if (problem) throw new TypeError(`tensor(${dtype}, [${dims.join(',')}]): ${problem}`);
  return t;
}

/** Why a value is not a well-formed Tensor, or undefined when it is one. */
export function tensorProblem(t: unknown): string | undefined {
  if (t === null || typeof t !== 'object') return `expected a tensor {dtype, dims, data}, got ${t === null ? 'null' : typeof t}`;
  const { dtype, dims, data } = t as { dtype?: unknown; dims?: unknown; data?: unknown };
  if (!isDType(dtype)) {
    return typeof dtype === 'string'
      ? `dtype '${dtype}' is not supported (supported: ${DTYPES.join(', ')})`
      : 'expected a tensor {dtype, dims, data}: dtype is missing';
  }
  if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    return 'dims must be an array of non-negative integers';
  }
  const Ctor = ARRAY_OF[dtype];
  if (!(data instanceof Ctor)) {
    const got = ArrayBuffer.isView(data) ? data.constructor.name : Array.isArray(data) ? 'a plain array' : typeof data;
    return `dtype ${dtype} needs its data in a ${Ctor.name}, got ${got}`;
  }
  const n = elementCount(dims as number[]);
  if (data.length !== n) return `dims [${(dims as number[]).join(',')}] hold ${n} elements but data has ${data.length}`;
  return undefined;
}

/** "int64[2,5]" — how errors and reports name a tensor. */
export function describeTensor(t: { dtype: string; dims: readonly (number | string)[] }): string {
  return `${t.dtype}[${t.dims.join(',')}]`;
}
