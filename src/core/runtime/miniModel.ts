// Just enough of an ONNX ModelProto encoder to build the provider probe model (and tiny test models):
// nodes without attributes, typed graph inputs/outputs, raw-data initializers. The project's ONNX
// reader/writer lives in src/core/onnx; this file exists so the runtime can probe execution providers
// without depending on it.
import type { DType } from './tensor';

/** ONNX TensorProto.DataType numbers. */
const ELEM_TYPE: { readonly [D in DType]: number } = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

export interface MiniValue {
  readonly name: string;
  readonly dtype: DType;
  /** Numbers are fixed sizes, strings symbolic ones. */
  readonly dims: readonly (number | string)[];
}

export interface MiniNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly domain?: string;
}

export interface MiniInitializer {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Little-endian element bytes (any typed array of the dtype; its bytes are copied as raw_data). */
  readonly data: ArrayBufferView;
}

export interface MiniModel {
  /** ai.onnx opset; default 13. */
  readonly opset?: number;
  readonly inputs: readonly MiniValue[];
  readonly outputs: readonly MiniValue[];
  readonly nodes: readonly MiniNode[];
  readonly initializers?: readonly MiniInitializer[];
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private push(p: Uint8Array): void {
    this.parts.push(p);
    this.size += p.length;
  }

  private varint(v: number): void {
    const out: number[] = [];
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      out.push(b);
    } while (x !== 0n);
    this.push(Uint8Array.from(out));
  }

  int(field: number, v: number): this {
    this.varint((field << 3) | 0);
    this.varint(v);
    return this;
  }

  raw(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  msg(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.raw(field, w.bytes());
  }
}

function valueInfo(w: Writer, v: MiniValue): void {
  w.str(1, v.name).msg(2, (type) =>
    type.msg(1, (t) =>
      t.int(1, ELEM_TYPE[v.dtype]).msg(2, (shape) => {
        for (const d of v.dims) shape.msg(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.str(2, d)));
      }),
    ),
  );
}

/** Encodes a ModelProto (ir_version 8) with one graph. */
export function encodeMiniModel(m: MiniModel): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.str(2, 'reward-studio-runtime');
  w.msg(7, (g) => {
    m.nodes.forEach((n, i) => {
      g.msg(1, (node) => {
        for (const x of n.inputs) node.str(1, x);
        for (const y of n.outputs) node.str(2, y);
        node.str(3, `${n.op}_${i}`).str(4, n.op);
        if (n.domain) node.str(7, n.domain);
      });
    });
    g.str(2, 'mini');
    for (const init of m.initializers ?? []) {
      g.msg(5, (t) => {
        for (const d of init.dims) t.int(1, d);
        t.int(2, ELEM_TYPE[init.dtype]).str(8, init.name);
        t.raw(9, new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength));
      });
    }
    for (const v of m.inputs) g.msg(11, (x) => valueInfo(x, v));
    for (const v of m.outputs) g.msg(12, (x) => valueInfo(x, v));
  });
  w.msg(8, (o) => o.str(1, '').int(2, m.opset ?? 13));
  if (m.nodes.some((n) => n.domain === 'com.microsoft')) w.msg(8, (o) => o.str(1, 'com.microsoft').int(2, 1));
  return w.bytes();
}

/** The provider probe: y = x + x on float32[4]. Small enough that creating a session costs ~1 ms on CPU. */
export function probeModel(): Uint8Array {
  return encodeMiniModel({
    inputs: [{ name: 'x', dtype: 'float32', dims: [4] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [4] }],
    nodes: [{ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
  });
}

export const PROBE_INPUT = Float32Array.from([1, 2, 3, 4]);
export const PROBE_EXPECTED = Float32Array.from([2, 4, 6, 8]);
