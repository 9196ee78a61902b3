// Tensors on disk in the safetensors format (8-byte little-endian header length, a JSON header of
// {name: {dtype, shape, data_offsets}}, then the raw little-endian bytes), so checkpoints can be read
// by the safetensors Python package and by anything else that speaks it.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

export interface NamedTensor {
  dims: readonly number[];
  data: Float32Array | Float64Array;
}

const DTYPE = { F32: Float32Array, F64: Float64Array } as const;

export function encodeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.dims.join(', ')}]`);
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.data instanceof Float64Array ? 'F64' : 'F32', shape: [...t.dims], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keeps the data 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, at);
    at += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(buf: Buffer, label = 'safetensors file'): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new Error(`${label}: too short to be a safetensors file (${buf.length} bytes) — was it cut short?`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error(`${label}: the header says ${n} bytes but the file has ${buf.length - 8} — was it cut short?`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw new Error(`${label}: the header is not JSON — not a safetensors file, or damaged`);
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = e as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = e as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const Ctor = DTYPE[dtype as keyof typeof DTYPE];
    if (!Ctor) throw new Error(`${label}: '${name}' has dtype ${dtype}; only F32 and F64 are read here`);
    const [a, b] = data_offsets;
    if (base + b > buf.length) throw new Error(`${label}: '${name}' runs past the end of the file — was it cut short?`);
    const bytes = buf.subarray(base + a, base + b);
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    const data = new Ctor(copy.buffer);
    if (data.length !== shape.reduce((x, y) => x * y, 1)) throw new Error(`${label}: '${name}' holds ${data.length} values for shape [${shape.join(', ')}]`);
    tensors.set(name, { dims: shape, data });
  }
  return { tensors, metadata };
}

/** Writes `bytes` to `file` through a temporary file, fsync and rename: a crash leaves the old file or the new one. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function readSafetensors(file: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  return decodeSafetensors(readFileSync(file), file);
}
