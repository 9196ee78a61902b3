// Head-only training (trainable 'head'): the backbone is frozen, so the reward head's input — the hidden
// state at each response's last real token — is a fixed vector per tokenized response. It is computed
// once by a forward-only feature graph, kept in an on-disk cache, and the head (a bias-free linear map
// [D], zero-initialised) trains on the cached vectors with a graph of its own (loss, gradient,
// clipping, AdamW — the same names in and out as the full training step), so retraining with other
// optimizer settings costs seconds instead of a backbone pass per step.
//
//   buildBuiltinFeatureGraph / buildFeatureGraphFrom   input_ids, attention_mask → features [rows, D]
//   FeatureCache                                       key (sha256 of the token ids) → float32 row, on disk
//   computeFeatures                                    cache lookups, the misses in length-sorted batches
//   buildHeadStep + HeadStepper                        the head's training step over features [2B, D]
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { encodeModel, GraphBuilder, type OnnxModel, type Value } from '../onnx';
import { adamStateNames, type OptimizerConfig } from '../optim';
import { addBradleyTerryLoss } from '../model/loss';
import { buildBuiltinBackboneLast, type LayerNormImpl } from '../model/backbone';
import { validateBuiltinConfig, type BuiltinBackboneConfig } from '../model/config';
import { IO, MODEL_OPSET } from '../model/graphs';
import { lastTokenFeatures } from '../model/head';
import { builtinParamShapes, HEAD_WEIGHT, type ModelParams } from '../model/params';
import { finishTrainStep, STEP_IO, type TrainStepGraph } from '../model/trainStep';
import type { RunOptions, Runtime, RuntimeSession, Tensor } from '../runtime';
import { stepMetrics, type StepMetrics } from './stepper';

/** The feature graph's output and the head step's input: float32 [rows, D]. */
export const FEATURES = 'features';

// -------------------------------------------------------------------------------------------------
// the feature graph

export interface FeatureGraphOptions {
  /** Default 'op' (LayerNormalization): forward only, fewer nodes. */
  layerNorm?: LayerNormImpl;
  /** See BuiltinBackboneInputs.gelu (default: fused in float32). */
  gelu?: 'fused' | 'decomposed';
}

/**
 * The built-in backbone, frozen, as a feature extractor: input_ids, attention_mask (int64 [rows, seq],
 * right padding) → features (float32 [rows, D]), the hidden state at each row's last real token —
 * exactly what the reward head reads, so features·head.w is the scoring graph's reward. Every
 * backbone parameter is an initializer; head.w is not needed (and not used if given).
 */
export function buildBuiltinFeatureGraph(config: BuiltinBackboneConfig, params: ModelParams, opts: FeatureGraphOptions = {}): OnnxModel {
  validateBuiltinConfig(config);
  const g = new GraphBuilder({ opset: MODEL_OPSET, name: 'reward_features' });
  const inputIds = g.input(IO.inputIds, 'int64', ['batch', 'seq']);
  const attentionMask = g.input(IO.attentionMask, 'int64', ['batch', 'seq']);
  const values = new Map<string, Value>();
  let dtype: 'float32' | 'float64' | undefined;
  for (const [name, shape] of builtinParamShapes(config)) {
    if (name === HEAD_WEIGHT) continue;
    const p = params.get(name);
    if (!p) throw new Error(`feature graph: backbone parameter '${name}' is missing`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (p.length !== n) throw new Error(`feature graph: parameter '${name}' has ${p.length} values; [${shape.join(', ')}] needs ${n}`);
    const t = p instanceof Float64Array ? 'float64' : 'float32';
    if (dtype !== undefined && t !== dtype) throw new Error(`feature graph: parameter '${name}' is ${t}, others ${dtype}`);
    dtype = t;
    values.set(name, g.initializer(name, p, shape)); // outside any scope: initializers keep the parameter names
  }
  const param = (name: string): Value => {
    const v = values.get(name);
    if (!v) throw new Error(`feature graph: no parameter '${name}'`);
    return v;
  };
  const { last } = g.scope('backbone', () =>
    buildBuiltinBackboneLast(g, config, param, { inputIds, attentionMask, layerNorm: opts.layerNorm ?? 'op', gelu: opts.gelu }),
  );
  return finishFeatureGraph(g, last);
}

/**
 * Any frozen backbone in a builder (the built-in one, or buildImportedBackbone(..., {trainable:
 * 'head'})) → a feature graph: marks `features` (float32 [rows, D], cast when the hidden state is
 * another float type) and builds. Throws when the graph still has inputs other than input_ids and
 * attention_mask (trainable parameters, weight inputs without values): feature extraction feeds only those two.
 */
export function buildFeatureGraphFrom(g: GraphBuilder, hidden: Value, attentionMask: Value): OnnxModel {
  return finishFeatureGraph(g, g.scope('head', () => lastTokenFeatures(g, hidden, attentionMask)));
}

/**
 * Marks `last` ([rows, D], cast to float32 when another float type) as `features` and builds; refuses a
 * graph that would take more than the token inputs.
 */
function finishFeatureGraph(g: GraphBuilder, last: Value): OnnxModel {
  const features = last.dtype === 'float32' ? last : g.scope('head', () => g.cast(last, 'float32'));
  g.output(features, FEATURES);
  const model = g.build();
  const inits = new Set(model.graph.initializer.map((t) => t.name));
  const extra = model.graph.input.map((i) => i.name ?? '').filter((n) => n !== IO.inputIds && n !== IO.attentionMask && !inits.has(n));
  if (extra.length > 0) {
    throw new Error(
      `feature graph: the backbone still has graph inputs besides ${IO.inputIds} and ${IO.attentionMask} (${extra.join(', ')}); ` +
        "features come from a frozen backbone: build it with trainable 'head' and give every weight its value",
    );
  }
  return model;
}

/**
 * What identifies the built-in backbone's features: its config and a sha256 over every frozen
 * parameter (head.w excluded: it does not change the features). For FeatureCacheIdentity.model.
 */
export function builtinModelIdentity(config: BuiltinBackboneConfig, params: ModelParams): string {
  const h = createHash('sha256');
  for (const name of builtinParamShapes(config).keys()) {
    if (name === HEAD_WEIGHT) continue;
    const p = params.get(name);
    if (!p) throw new Error(`builtinModelIdentity: parameter '${name}' is missing`);
    h.update(`${name}:${p instanceof Float64Array ? 'f64' : 'f32'}:${p.length};`);
    h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  }
  const c = config;
  return `builtin-gpt:${JSON.stringify({ vocab: c.vocab, dModel: c.dModel, nHeads: c.nHeads, nLayers: c.nLayers, maxLen: c.maxLen, eps: c.eps })}:${h.digest('hex')}`;
}

// -------------------------------------------------------------------------------------------------
// the cache

/** Everything besides the token ids that decides a feature vector; hashed into the cache's namespace. */
export interface FeatureCacheIdentity {
  /** What computes the features: builtinModelIdentity(...), or e.g. 'onnx:' + the export file's sha256 + hidden-state name. */
  model: string;
  /** sha256 of tokenizer.json. */
  tokenizerSha256: string;
  template: string;
  maxLength: number;
  truncation: string;
}

/** sha256 (hex) of a namespace: the folder under the cache root holding its features. */
export function featureNamespace(identity: FeatureCacheIdentity): string {
  const { model, tokenizerSha256, template, maxLength, truncation } = identity;
  return createHash('sha256').update(JSON.stringify({ v: CACHE_VERSION, model, tokenizerSha256, template, maxLength, truncation })).digest('hex');
}

/**
 * A cache key: sha256 (hex) of one side's token ids as int32 little-endian. The ids already reflect the
 * text, template and truncation, so equal ids give equal features under one namespace.
 */
export function featureKey(ids: ArrayLike<number>): string {
  let i32: Int32Array;
  if (ids instanceof Int32Array) i32 = ids;
  else {
    i32 = new Int32Array(ids.length);
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t];
      if (!(Number.isInteger(id) && id >= 0 && id < 2 ** 31)) throw new Error(`featureKey: token id ${id} at position ${t} is not an integer in [0, 2^31)`);
      i32[t] = id;
    }
  }
  const bytes = new Uint8Array(i32.buffer, i32.byteOffset, i32.byteLength);
  return createHash('sha256').update(bytes).digest('hex'); // typed arrays are little-endian on every platform Node runs on
}

/** What opening a cache found wrong and repaired (nothing is thrown: a bad cache is only recomputed). */
export interface CacheRepair {
  /** Why, in words. */
  reason: string;
  /** Records dropped (bad checksum, cut short). */
  droppedRecords: number;
  /** The whole file was started over (unreadable header, other width). */
  rebuilt: boolean;
}

export interface FeatureCacheOptions {
  /** Cache problems (a repair on open, a failed write); default: none reported. Never thrown. */
  onWarning?: (message: string) => void;
}

export interface CacheLookup {
  /** Per key: a copy of its features, or undefined. */
  rows: (Float32Array | undefined)[];
  /** Indices (into the keys) with no features cached. */
  missing: number[];
}

/**
 * Feature vectors on disk under `<root>/<featureNamespace(identity)>/`: `features.bin`, one append-only
 * file of self-checking records, and `identity.json` (for people; the folder name is what matters).
 *
 *   file header (16 bytes):  'RSFC', version u32, width u32, crc32 of the first 12 bytes
 *   record (36 + 4·width):   crc32 of the rest, key (32 raw sha256 bytes), width float32 (all LE)
 *
 * Why this shape: records are only ever appended, each in one write, so a crash can cut at most the
 * last one; it is found (short length or checksum) and dropped on the next open, as is any record a
 * bad disk or a hand edit changed. An unreadable header (or another width) starts the file over. No
 * separate index to keep in step: the file is its own index, read once on open (about 20 MB and well
 * under a second for 10k pairs at D = 256). Nothing here throws on a damaged or unwritable cache: the
 * features are only recomputed, and `onWarning` says why.
 */
export class FeatureCache {
  private readonly index = new Map<string, number>();
  private store: Float32Array;
  private count = 0;
  private writable = true;
  /** What open() repaired, or null when the file was sound (or new). */
  readonly repair: CacheRepair | null;

  private constructor(
    /** The namespace folder. */
    readonly dir: string,
    /** Floats per row (D). */
    readonly width: number,
    private readonly warn: (message: string) => void,
  ) {
    this.store = new Float32Array(width * 64);
    this.repair = this.load();
  }

  /** Opens (or creates) the cache of one namespace under `root` (e.g. `<workspace>/.reward-studio/cache/features`). */
  static open(root: string, identity: FeatureCacheIdentity, width: number, opts: FeatureCacheOptions = {}): FeatureCache {
    if (!(Number.isInteger(width) && width > 0)) throw new Error(`FeatureCache: width must be a positive integer (got ${width})`);
    const dir = join(root, featureNamespace(identity));
    const warn = opts.onWarning ?? (() => undefined);
    const cache = new FeatureCache(dir, width, warn);
    if (cache.writable) {
      try {
        const idFile = join(dir, 'identity.json');
        if (!existsSync(idFile)) atomicWrite(idFile, JSON.stringify({ ...identity, width, version: CACHE_VERSION }, null, 2) + '\n');
      } catch {
        // informational only
      }
    }
    return cache;
  }

  /** The records file. */
  get file(): string {
    return join(this.dir, 'features.bin');
  }

  /** Rows cached. */
  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(keys: readonly string[]): CacheLookup {
    const W = this.width;
    const rows: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((k, i) => {
      const r = this.index.get(k);
      if (r === undefined) missing.push(i);
      else rows[i] = this.store.slice(r * W, (r + 1) * W);
    });
    return { rows, missing };
  }

  /**
   * Stores rows (a packed [n, width] array, or one array per key), appending every new key in one
   * write. Keys already cached are skipped. A failed write turns further writes off and warns; the
   * rows stay available in memory for this run.
   */
  put(keys: readonly string[], rows: Float32Array | readonly Float32Array[]): void {
    const W = this.width;
    const row = (i: number): Float32Array => {
      const r = rows instanceof Float32Array ? rows.subarray(i * W, (i + 1) * W) : rows[i];
      if (!r || r.length !== W) throw new Error(`FeatureCache.put: row ${i} has ${r?.length ?? 0} values; the cache holds rows of ${W}`);
      return r;
    };
    if (rows instanceof Float32Array ? rows.length !== keys.length * W : rows.length !== keys.length) {
      throw new Error(`FeatureCache.put: ${keys.length} keys but ${rows instanceof Float32Array ? `${rows.length / W} rows of ${W}` : `${rows.length} rows`}`);
    }
    const fresh: number[] = [];
    const seen = new Set<string>();
    keys.forEach((k, i) => {
      if (!KEY_RE.test(k)) throw new Error(`FeatureCache.put: '${k}' is not a feature key (64 hex digits, from featureKey)`);
      if (!this.index.has(k) && !seen.has(k)) {
        seen.add(k);
        fresh.push(i);
      }
    });
    if (fresh.length === 0) return;
    const size = recordSize(W);
    const buf = Buffer.alloc(fresh.length * size);
    for (let j = 0; j < fresh.length; j++) {
      const i = fresh[j];
      const r = row(i);
      encodeRecord(buf, j * size, keys[i], r);
      this.remember(keys[i], r);
    }
    if (!this.writable) return;
    try {
      const fd = openSync(this.file, 'a');
      try {
        writeAll(fd, buf);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      this.writable = false;
      this.warn(`feature cache: could not write ${this.file} (${(e as Error).message}); features are kept in memory for this run only`);
    }
  }

  private remember(key: string, row: Float32Array): void {
    const W = this.width;
    if ((this.count + 1) * W > this.store.length) {
      const grown = new Float32Array(Math.max(this.store.length * 2, (this.count + 1) * W));
      grown.set(this.store.subarray(0, this.count * W));
      this.store = grown;
    }
    this.store.set(row, this.count * W);
    this.index.set(key, this.count++);
  }

  /** Reads features.bin; repairs (rewrites) it when something was wrong. */
  private load(): CacheRepair | null {
    const W = this.width;
    const file = this.file;
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      this.writable = false;
      this.warn(`feature cache: cannot create ${this.dir} (${(e as Error).message}); features are kept in memory for this run only`);
      return null;
    }
    if (!existsSync(file)) {
      this.startOver();
      return null;
    }
    const size = recordSize(W);
    let dropped = 0;
    let headerProblem: string | undefined;
    try {
      const fd = openSync(file, 'r');
      try {
        const total = fstatSync(fd).size;
        const header = Buffer.alloc(HEADER_BYTES);
        const got = total >= HEADER_BYTES ? readSync(fd, header, 0, HEADER_BYTES, 0) : 0;
        headerProblem = got < HEADER_BYTES ? 'the file is shorter than its header' : checkHeader(header, W);
        if (headerProblem === undefined) {
          const whole = Math.floor((total - HEADER_BYTES) / size);
          if (whole * size !== total - HEADER_BYTES) dropped++; // a record cut short: the tail of a crashed write
          const perChunk = Math.max(1, Math.floor((16 << 20) / size));
          const chunk = Buffer.alloc(Math.min(whole, perChunk) * size);
          for (let first = 0; first < whole; first += perChunk) {
            const n = Math.min(perChunk, whole - first);
            readFully(fd, chunk, n * size, HEADER_BYTES + first * size);
            for (let j = 0; j < n; j++) {
              const at = j * size;
              if (chunk.readUInt32LE(at) !== crc32(chunk.subarray(at + 4, at + size))) {
                dropped++;
                continue;
              }
              const key = chunk.toString('hex', at + 4, at + 36);
              const data = chunk.subarray(at + 36, at + size);
              if (this.index.has(key)) continue; // two processes appended the same row: keep the first
              const aligned = data.byteOffset % 4 === 0;
              this.remember(key, aligned ? new Float32Array(data.buffer, data.byteOffset, W) : new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 4 * W)));
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      this.writable = false;
      this.warn(`feature cache: cannot read ${file} (${(e as Error).message}); features are computed again and kept in memory for this run only`);
      return null;
    }
    if (headerProblem !== undefined) {
      const repair = { reason: `${file}: ${headerProblem}; started over`, droppedRecords: 0, rebuilt: true };
      this.warn(`feature cache: ${repair.reason}`);
      this.startOver();
      return repair;
    }
    if (dropped === 0) return null;
    const repair = { reason: `${file}: ${dropped} damaged or cut-short record(s) dropped; they are computed again`, droppedRecords: dropped, rebuilt: false };
    this.warn(`feature cache: ${repair.reason}`);
    this.rewrite();
    return repair;
  }

  /** An empty file with a header (write, then rename over). */
  private startOver(): void {
    this.index.clear();
    this.count = 0;
    this.rewrite();
  }

  /** The file as this cache holds it now: header and every row, written aside, then renamed over. */
  private rewrite(): void {
    const W = this.width;
    const size = recordSize(W);
    const buf = Buffer.alloc(HEADER_BYTES + this.count * size);
    encodeHeader(buf, W);
    for (const [key, r] of this.index) encodeRecord(buf, HEADER_BYTES + r * size, key, this.store.subarray(r * W, (r + 1) * W));
    try {
      atomicWrite(this.file, buf);
    } catch (e) {
      this.writable = false;
      this.warn(`feature cache: could not write ${this.file} (${(e as Error).message}); features are kept in memory for this run only`);
    }
  }
}

const CACHE_VERSION = 1;
const MAGIC = 0x43465352; // 'RSFC' read as a little-endian u32
const HEADER_BYTES = 16;
const KEY_RE = /^[0-9a-f]{64}$/;

function recordSize(width: number): number {
  return 36 + 4 * width;
}

function encodeHeader(buf: Buffer, width: number): void {
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(CACHE_VERSION, 4);
  buf.writeUInt32LE(width, 8);
  buf.writeUInt32LE(crc32(buf.subarray(0, 12)), 12);
}

/** Undefined when the header is sound and for this width, else what is wrong. */
function checkHeader(h: Buffer, width: number): string | undefined {
  if (h.readUInt32LE(0) !== MAGIC || h.readUInt32LE(12) !== crc32(h.subarray(0, 12))) return 'the header is not a feature cache header';
  if (h.readUInt32LE(4) !== CACHE_VERSION) return `written by cache format ${h.readUInt32LE(4)}, this is ${CACHE_VERSION}`;
  if (h.readUInt32LE(8) !== width) return `rows of ${h.readUInt32LE(8)} floats, the model gives ${width}`;
  return undefined;
}

function encodeRecord(buf: Buffer, at: number, key: string, row: Float32Array): void {
  buf.write(key, at + 4, 32, 'hex');
  Buffer.from(row.buffer, row.byteOffset, row.byteLength).copy(buf, at + 36);
  buf.writeUInt32LE(crc32(buf.subarray(at + 4, at + 36 + 4 * row.length)), at);
}

function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function readFully(fd: number, buf: Buffer, length: number, position: number): void {
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, length - off, position + off);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + off}`);
    off += n;
  }
}

function atomicWrite(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

// zlib.crc32 arrived in Node 20.15 / 22.2; the table version covers older Nodes (engines: >=20).
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
let crcTable: Uint32Array | undefined;
function crc32(data: Uint8Array, value = 0): number {
  if (nativeCrc32) return nativeCrc32(data, value);
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// -------------------------------------------------------------------------------------------------
// computing features

/** What computeFeatures needs of a session (a RuntimeSession of a feature graph). */
export interface FeatureRunner {
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>>;
}

export interface FeatureProgress {
  /** Sequences asked for. */
  total: number;
  /** Of those, found in the cache. */
  cached: number;
  /** Distinct sequences to run through the backbone, and how many have been. */
  toCompute: number;
  computed: number;
}

export interface ComputeFeaturesOptions {
  /** Sequences per forward run (default 32). */
  batchSize?: number;
  /** Token id of the right padding (default 0; masked out, so any valid id works). */
  padId?: number;
  signal?: AbortSignal;
  /** After the cache lookup, then after every batch. */
  onProgress?: (p: FeatureProgress) => void;
}

/**
 * The features of every sequence, in input order: cached ones from `cache`, the rest (each distinct
 * sequence once) run through the feature graph in batches of similar length (sorted longest first,
 * right-padded to the batch's longest, with the attention mask), then stored. `cache` null: compute all.
 */
export async function computeFeatures(
  session: FeatureRunner,
  sequences: readonly ArrayLike<number>[],
  cache: FeatureCache | null,
  opts: ComputeFeaturesOptions = {},
): Promise<Float32Array[]> {
  const batchSize = opts.batchSize ?? 32;
  const padId = BigInt(opts.padId ?? 0);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`computeFeatures: batchSize must be a positive integer (got ${batchSize})`);
  sequences.forEach((s, i) => {
    if (s.length === 0) throw new Error(`computeFeatures: sequence ${i} has no tokens`);
  });
  const keys = sequences.map((s) => featureKey(s));
  const out = new Array<Float32Array>(sequences.length);
  let missing: number[];
  if (cache) {
    const hit = cache.get(keys);
    hit.rows.forEach((r, i) => {
      if (r) out[i] = r;
    });
    missing = hit.missing;
  } else missing = keys.map((_, i) => i);

  // Each distinct sequence once; the others with the same key get a copy.
  const byKey = new Map<string, number[]>();
  for (const i of missing) {
    const list = byKey.get(keys[i]);
    if (list) list.push(i);
    else byKey.set(keys[i], [i]);
  }
  const todo = [...byKey.values()].sort((a, b) => sequences[b[0]].length - sequences[a[0]].length || a[0] - b[0]);
  const progress: FeatureProgress = { total: sequences.length, cached: sequences.length - missing.length, toCompute: todo.length, computed: 0 };
  opts.onProgress?.({ ...progress });

  let width: number | undefined = cache?.width;
  for (let first = 0; first < todo.length; first += batchSize) {
    opts.signal?.throwIfAborted();
    const batch = todo.slice(first, first + batchSize);
    const rows = batch.length;
    const T = sequences[batch[0][0]].length;
    const ids = new BigInt64Array(rows * T).fill(padId);
    const mask = new BigInt64Array(rows * T);
    batch.forEach((idx, r) => {
      const s = sequences[idx[0]];
      for (let t = 0; t < s.length; t++) {
        ids[r * T + t] = BigInt(s[t]);
        mask[r * T + t] = 1n;
      }
    });
    const result = await session.run(
      {
        [IO.inputIds]: { dtype: 'int64', dims: [rows, T], data: ids },
        [IO.attentionMask]: { dtype: 'int64', dims: [rows, T], data: mask },
      },
      { signal: opts.signal },
    );
    const f = result[FEATURES];
    if (!f) throw new Error(`computeFeatures: the session gave no '${FEATURES}' output (outputs: ${Object.keys(result).join(', ')}); build it with buildBuiltinFeatureGraph or buildFeatureGraphFrom`);
    if (f.dtype !== 'float32' || f.dims.length !== 2 || f.dims[0] !== rows) {
      throw new Error(`computeFeatures: '${FEATURES}' is ${f.dtype} [${f.dims.join(', ')}]; float32 [${rows}, D] was expected`);
    }
    const W = f.dims[1];
    if (width !== undefined && W !== width) throw new Error(`computeFeatures: the feature graph gives rows of ${W} floats, the cache holds ${width}: open the cache with width ${W}`);
    width = W;
    const data = f.data as Float32Array;
    batch.forEach((idx, r) => {
      const row = data.slice(r * W, (r + 1) * W);
      idx.forEach((i, j) => (out[i] = j === 0 ? row : row.slice()));
    });
    cache?.put(
      batch.map((idx) => keys[idx[0]]),
      data,
    );
    progress.computed += rows;
    opts.onProgress?.({ ...progress });
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// the head's training step

export interface HeadStepOptions {
  /** Feature width D (the head is [D]). */
  dModel: number;
  optimizer: OptimizerConfig;
  /** Add a `margin` input [pairs] (default false). */
  useMargin?: boolean;
  /** TRL center_rewards_coefficient (default 0). */
  centerCoef?: number;
  name?: string;
}

export interface HeadStepGraph extends TrainStepGraph {
  dModel: number;
  useMargin: boolean;
}

/**
 * One training step of the head alone, as one graph (float32):
 *
 *   inputs:  features [2B, D] (chosen rows then rejected rows), head.w [D], adam.m.head.w,
 *            adam.v.head.w, step (int64 scalar), lr (float32 scalar), margin [B] when useMargin
 *   outputs: loss, accuracy, reward_margin, rewards_chosen, rewards_rejected, grad_norm,
 *            new.head.w, new.adam.m.head.w, new.adam.v.head.w, new_step
 *
 * The same names, loss, clipping and AdamW as buildTrainStep with trainable 'head'; weight decay on
 * head.w follows shouldDecay for a [D] vector (under the default 'matrices' policy: none, as there).
 */
export function buildHeadStep(opts: HeadStepOptions): HeadStepGraph {
  const D = opts.dModel;
  if (!(Number.isInteger(D) && D > 0)) throw new Error(`buildHeadStep: dModel must be a positive integer (got ${D})`);
  const g = new GraphBuilder({ opset: MODEL_OPSET, name: opts.name ?? 'reward_head_step' });
  const features = g.input(FEATURES, 'float32', ['rows', D]);
  const w = g.input(HEAD_WEIGHT, 'float32', [D]);
  const rewards = g.scope('head', () => g.squeeze(g.matmul(features, g.reshape(w, [D, 1])), [1])); // as addRewardHead
  const margin = opts.useMargin ? g.input(IO.margin, 'float32', ['pairs']) : undefined;
  const bt = addBradleyTerryLoss(g, rewards, { margin, centerCoef: opts.centerCoef });
  const loss = g.output(bt.loss, IO.loss);
  g.output(bt.rewardsChosen, IO.rewardsChosen);
  g.output(bt.rewardsRejected, IO.rewardsRejected);
  g.output(bt.accuracy, IO.accuracy);
  g.output(bt.rewardMargin, IO.rewardMargin);

  // Gradients, clipping, AdamW (decay as shouldDecay says for a [D] vector) and the new.* outputs: the
  // very code that finishes the full training step.
  const step = finishTrainStep(g, { loss, trainable: new Map([[HEAD_WEIGHT, w]]) }, { optimizer: opts.optimizer, shapes: new Map([[HEAD_WEIGHT, [D]]]) });
  return { ...step, dModel: D, useMargin: opts.useMargin ?? false };
}

/** One side of a pair as features, the head step's counterpart of TokenizedPair. */
export interface FeaturePair {
  chosen: Float32Array;
  rejected: Float32Array;
  margin?: number;
}

/** A head-step batch: the counterpart of PairBatch. */
export interface FeatureBatch {
  pairs: number;
  /** D. */
  width: number;
  /** float32 [2B, D]: rows 0..B−1 chosen, B..2B−1 rejected. */
  features: Float32Array;
  /** [B] margins (0 where a pair has none). */
  margin: Float64Array;
  /** Real tokens the pairs stand for (for tokens/s; 0 when unknown). */
  tokens: number;
}

/** Packs pairs of feature rows into one [2B, D] batch, chosen rows first. */
export function collateFeatures(pairs: readonly FeaturePair[], tokens = 0): FeatureBatch {
  const B = pairs.length;
  if (B === 0) throw new Error('collateFeatures: an empty batch');
  const W = pairs[0].chosen.length;
  if (W === 0) throw new Error('collateFeatures: empty feature rows');
  const features = new Float32Array(2 * B * W);
  const margin = new Float64Array(B);
  pairs.forEach((p, i) => {
    if (p.chosen.length !== W || p.rejected.length !== W) throw new Error(`collateFeatures: pair ${i} has rows of ${p.chosen.length} and ${p.rejected.length} floats; the batch's are ${W}`);
    features.set(p.chosen, i * W);
    features.set(p.rejected, (B + i) * W);
    margin[i] = p.margin ?? 0;
  });
  return { pairs: B, width: W, features, margin, tokens };
}

/**
 * Runs the head step step after step, keeping head.w and its AdamW moments between calls — the
 * TrainStepper surface (create, step, params, moments, steps, trainable, release) over FeatureBatch
 * instead of PairBatch. head.w trains in float32 (the features are float32); params() gives it back in
 * the type it came in, beside the frozen parameters it was given.
 */
export class HeadStepper {
  private w: Float32Array;
  private m: Float32Array;
  private v: Float32Array;
  private stepCount = 0;

  private constructor(
    private readonly session: RuntimeSession,
    private readonly graph: HeadStepGraph,
    private readonly frozen: ModelParams,
    private readonly headType: 'float32' | 'float64',
  ) {
    this.w = new Float32Array(graph.dModel);
    this.m = new Float32Array(graph.dModel);
    this.v = new Float32Array(graph.dModel);
  }

  /**
   * `params` holds head.w's starting value (zeros for a new head) and, optionally, the frozen backbone
   * parameters that params() carries along for export. `resume` continues a checkpoint.
   */
  static async create(
    runtime: Runtime,
    graph: HeadStepGraph,
    params: ModelParams,
    opts: { resume?: { step: number; m: ModelParams; v: ModelParams } } = {},
  ): Promise<HeadStepper> {
    const D = graph.dModel;
    const vector = (what: string, p: Float32Array | Float64Array | undefined): Float32Array => {
      if (!p) throw new Error(`HeadStepper: no ${what} for '${HEAD_WEIGHT}'`);
      if (p.length !== D) throw new Error(`HeadStepper: ${what} of '${HEAD_WEIGHT}' has ${p.length} values; the head step is built for ${D}`);
      return Float32Array.from(p);
    };
    const head = params.get(HEAD_WEIGHT);
    const w = vector('starting value', head);
    const m = opts.resume ? vector('first moment (resume.m)', opts.resume.m.get(HEAD_WEIGHT)) : new Float32Array(D);
    const v = opts.resume ? vector('second moment (resume.v)', opts.resume.v.get(HEAD_WEIGHT)) : new Float32Array(D);
    const session = await runtime.createSession(encodeModel(graph.model), { label: 'head-step', graphOptimization: 'all' });
    const stepper = new HeadStepper(session, graph, params, head instanceof Float64Array ? 'float64' : 'float32');
    stepper.w = w;
    stepper.m = m;
    stepper.v = v;
    stepper.stepCount = opts.resume?.step ?? 0;
    return stepper;
  }

  get steps(): number {
    return this.stepCount;
  }

  get trainable(): readonly string[] {
    return this.graph.trainable;
  }

  async step(batch: FeatureBatch, lr: number, signal?: AbortSignal): Promise<StepMetrics> {
    const D = this.graph.dModel;
    const rows = 2 * batch.pairs;
    if (batch.width !== D || batch.features.length !== rows * D) {
      throw new Error(`HeadStepper.step: the batch holds ${batch.features.length} floats for ${batch.pairs} pairs of width ${batch.width}; the head step needs [${rows}, ${D}]`);
    }
    const D1 = [D];
    const feeds: Record<string, Tensor> = {
      [FEATURES]: { dtype: 'float32', dims: [rows, D], data: batch.features },
      [HEAD_WEIGHT]: { dtype: 'float32', dims: D1, data: this.w },
      [adamStateNames(HEAD_WEIGHT).m]: { dtype: 'float32', dims: D1, data: this.m },
      [adamStateNames(HEAD_WEIGHT).v]: { dtype: 'float32', dims: D1, data: this.v },
      [STEP_IO.step]: { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(this.stepCount)) },
      [STEP_IO.lr]: { dtype: 'float32', dims: [], data: Float32Array.of(lr) },
    };
    if (this.graph.useMargin) feeds[IO.margin] = { dtype: 'float32', dims: [batch.pairs], data: Float32Array.from(batch.margin) };
    const out = await this.session.run(feeds, { signal });
    this.w = out[STEP_IO.newParam(HEAD_WEIGHT)].data as Float32Array;
    this.m = out[STEP_IO.newM(HEAD_WEIGHT)].data as Float32Array;
    this.v = out[STEP_IO.newV(HEAD_WEIGHT)].data as Float32Array;
    this.stepCount++;
    return stepMetrics(out, this.stepCount, lr, batch.tokens);
  }

  /** The frozen parameters as given, with head.w as trained (in the type it was given in). */
  params(): ModelParams {
    const out: ModelParams = new Map(this.frozen);
    out.set(HEAD_WEIGHT, this.headType === 'float64' ? Float64Array.from(this.w) : this.w.slice());
    return out;
  }

  /** AdamW moments of head.w, for checkpoints. */
  moments(): { m: ModelParams; v: ModelParams } {
    return { m: new Map([[HEAD_WEIGHT, this.m.slice()]]), v: new Map([[HEAD_WEIGHT, this.v.slice()]]) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
