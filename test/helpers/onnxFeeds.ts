// Feeds for the shared exporter models (../shared/data/onnx): random but valid inputs for whatever
// signature a session reports, the way MANIFEST.md's verification runs fed them.
import { mulberry32 } from '../../src/core/random';
import type { Feed } from './ort';

export interface DimSizes {
  batch: number;
  seq: number;
  past: number;
}

/** Size of a symbolic input dim (the manifest's run: batch 2, seq 5, past 3), sums evaluated. */
export function dimSize(d: number | string, z: DimSizes): number {
  if (typeof d === 'number') return d < 0 ? z.batch : d;
  if (d.includes('+')) return d.split('+').reduce((n, p) => n + dimSize(p.trim(), z), 0);
  const s = d.toLowerCase();
  if (s.includes('past')) return z.past;
  if (s.includes('total')) return z.past + z.seq;
  if (s.includes('batch')) return z.batch;
  return z.seq;
}

export function feedsFor(inputs: { name: string; type: string; dims: readonly (number | string)[] }[], seed: number, z: DimSizes = { batch: 2, seq: 5, past: 3 }): Record<string, Feed> {
  const rnd = mulberry32(seed);
  const feeds: Record<string, Feed> = {};
  for (const inp of inputs) {
    const dims = inp.dims.map((d) => dimSize(d, z));
    const n = dims.reduce((a, b) => a * b, 1);
    const last = dims[dims.length - 1] ?? 1;
    // Masks are all ones, token type ids 0, position ids count along the last axis, token ids are 0..9.
    const name = inp.name.toLowerCase();
    const int = (i: number): number =>
      name.includes('mask') ? 1 : name.includes('type') || name.includes('segment') ? 0 : name.includes('position') ? i % last : Math.floor(rnd() * 10);
    switch (inp.type) {
      case 'int64':
        feeds[inp.name] = { type: 'int64', dims, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(int(i))) };
        break;
      case 'int32':
        feeds[inp.name] = { type: 'int32', dims, data: Int32Array.from({ length: n }, (_, i) => int(i)) };
        break;
      case 'float16':
        // Half-precision bits of values in (-1, 1): random sign, exponent below 15, random mantissa.
        feeds[inp.name] = { type: 'float16', dims, data: Uint16Array.from({ length: n }, () => (rnd() < 0.5 ? 0x8000 : 0) | (Math.floor(rnd() * 14) << 10) | Math.floor(rnd() * 1024)) };
        break;
      case 'float32':
        feeds[inp.name] = { type: 'float32', dims, data: Float32Array.from({ length: n }, () => (inp.name.includes('mask') ? 1 : rnd() * 2 - 1)) };
        break;
      default:
        throw new Error(`no feed for ${inp.name}: ${inp.type}`);
    }
  }
  return feeds;
}

