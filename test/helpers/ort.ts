// Test-only access to onnxruntime-node (src/ may import it only from src/core/runtime): run a model
// given as bytes or a file path on the CPU and get plain typed arrays back.
import * as ort from 'onnxruntime-node';

export type FeedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

export interface Feed {
  /** onnxruntime tensor type: 'float32', 'float64', 'int64', 'int32', 'bool', 'float16', ... */
  type: string;
  data: FeedData | boolean[];
  dims: readonly number[];
}

export interface Fetched {
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint | boolean | string>;
}

export interface RunOptions {
  /** intraOpNumThreads (default 1: deterministic reductions, no ScatterND/ScatterElements races). */
  threads?: number;
  /** Graph optimization level (default 'disabled': exactly the ops the graph lists). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

function sessionOptions(opts: RunOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: opts.optimization ?? 'disabled',
    logSeverityLevel: 3,
  };
}

/** An InferenceSession from model bytes or a path (a path resolves external data beside it). */
export async function createSession(model: Uint8Array | string, opts: RunOptions = {}): Promise<ort.InferenceSession> {
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, sessionOptions(opts))
    : ort.InferenceSession.create(model, sessionOptions(opts));
}

/** Runs a session on the given feeds and returns every output (or those named in `fetch`). */
export async function runSession(session: ort.InferenceSession, feeds: Record<string, Feed>, fetch?: readonly string[]): Promise<Record<string, Fetched>> {
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) {
    inputs[name] = new ort.Tensor(f.type as 'float32', f.data as Float32Array, f.dims as number[]);
  }
  const results = fetch ? await session.run(inputs, fetch as string[]) : await session.run(inputs);
  const out: Record<string, Fetched> = {};
  for (const [name, t] of Object.entries(results)) {
    out[name] = { type: t.type, dims: [...t.dims], data: t.data as Fetched['data'] };
  }
  return out;
}

/** createSession + runSession + release. */
export async function runModel(model: Uint8Array | string, feeds: Record<string, Feed>, opts: RunOptions = {}): Promise<Record<string, Fetched>> {
  const session = await createSession(model, opts);
  try {
    return await runSession(session, feeds);
  } finally {
    await session.release();
  }
}

/** Input names, types and dims as the session reports them (for feeding exporter models). */
export function sessionInputs(session: ort.InferenceSession): { name: string; type: string; dims: readonly (number | string)[] }[] {
  return session.inputNames.map((name, i) => {
    const meta = session.inputMetadata[i] as { isTensor: boolean; type?: string; shape?: readonly (number | string)[] };
    return { name, type: meta.isTensor ? (meta.type ?? '?') : '?', dims: meta.shape ?? [] };
  });
}
