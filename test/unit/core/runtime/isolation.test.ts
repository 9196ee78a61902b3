import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// The reference: onnxruntime-node used directly, on this thread, without any of the runtime's code.
import * as ort from 'onnxruntime-node';
import { Runtime, RuntimeDisposedError, RunCancelledError, tensor, type Isolation, type Tensor } from '../../../../src/core/runtime';
import { DISTILBERT, GPT2_ONE_LAYER, heavyModel, matmulModel, randomFloats, sharedModel } from './models';

const ISOLATIONS: readonly Isolation[] = ['none', 'thread', 'process'];
const THREADS = 2;

const runtimes = new Map<Isolation, Promise<Runtime>>();
function runtimeFor(isolation: Isolation): Promise<Runtime> {
  let rt = runtimes.get(isolation);
  if (!rt) {
    rt = Runtime.start({ provider: 'cpu', isolation, threads: THREADS });
    runtimes.set(isolation, rt);
  }
  return rt;
}
after(async () => {
  for (const rt of runtimes.values()) await (await rt).dispose();
});

async function reference(model: string | Uint8Array, feeds: Record<string, Tensor>): Promise<{ names: [string[], string[]]; out: Record<string, Tensor> }> {
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: THREADS };
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(t.dtype, t.data, t.dims as number[]);
  const res = await s.run(ortFeeds);
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(res)) out[k] = { dtype: v.type, dims: [...v.dims], data: v.data } as Tensor;
  const names: [string[], string[]] = [[...s.inputNames], [...s.outputNames]];
  await s.release();
  return { names, out };
}

function ids(dims: number[], seed: number, vocab: number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return tensor('int64', dims, Array.from({ length: n }, (_, i) => BigInt((i * 7 + seed) % vocab)));
}

const cases: Array<{ name: string; model: () => string | Uint8Array; feeds: () => Record<string, Tensor> }> = [
  {
    name: 'tiny DistilBERT (optimum export, by path)',
    model: () => sharedModel(DISTILBERT),
    feeds: () => ({
      input_ids: ids([2, 6], 3, 1000),
      attention_mask: tensor('int64', [2, 6], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]),
    }),
  },
  {
    name: 'one-layer GPT-2 with past and float mask (torch export, as bytes)',
    model: () => readFileSync(sharedModel(GPT2_ONE_LAYER)),
    feeds: () => ({
      input_ids: ids([2, 5], 1, 20),
      past_0: tensor('float32', [2, 2, 2, 3, 2], randomFloats(2 * 2 * 2 * 3 * 2, 5)),
      attention_mask: tensor('float32', [2, 8], new Float32Array(16).fill(1)),
      position_ids: tensor('int64', [2, 5], [3, 4, 5, 6, 7, 3, 4, 5, 6, 7]),
    }),
  },
  {
    name: 'hand-encoded MatMul + int64 pass-through',
    model: () => matmulModel(16, 8).bytes,
    feeds: () => ({
      x: tensor('float32', [3, 16], randomFloats(48, 9)),
      ids: tensor('int64', [3], [-1n, 2n ** 62n + 7n, -(2n ** 63n)]),
    }),
  },
];

for (const c of cases) {
  void test(`${c.name}: none, thread and process isolation give exactly the reference outputs`, async () => {
    const ref = await reference(c.model(), c.feeds());
    for (const isolation of ISOLATIONS) {
      const rt = await runtimeFor(isolation);
      const s = await rt.createSession(c.model());
      assert.deepEqual([s.inputNames, s.outputNames], ref.names, `${isolation}: input/output names`);
      const out = await s.run(c.feeds());
      assert.deepEqual(Object.keys(out).sort(), Object.keys(ref.out).sort(), `${isolation}: output names`);
      for (const [k, v] of Object.entries(ref.out)) {
        assert.equal(out[k].dtype, v.dtype, `${isolation}: ${k} dtype`);
        assert.deepEqual(out[k].dims, v.dims, `${isolation}: ${k} dims`);
        assert.deepEqual(out[k].data, v.data, `${isolation}: ${k} data, bit for bit`);
      }
      await s.release();
    }
  });
}

void test('session metadata: input/output types and symbolic dims cross the boundary', async () => {
  const rt = await runtimeFor('process');
  const s = await rt.createSession(sharedModel(DISTILBERT));
  assert.deepEqual(s.inputs, [
    { name: 'input_ids', dtype: 'int64', dims: ['batch', 'sequence'], isTensor: true },
    { name: 'attention_mask', dtype: 'int64', dims: ['batch', 'sequence'], isTensor: true },
  ]);
  assert.deepEqual(s.outputs, [{ name: 'logits', dtype: 'float32', dims: ['batch', 2], isTensor: true }]);
  assert.equal(s.provider, 'cpu');
  assert.equal(s.label, DISTILBERT);
  assert.ok(s.info.createMs >= 0);
  await s.release();
});

void test('many concurrent runs on two sessions return the right result to the right caller', async () => {
  const k = 16;
  const m = 4;
  const a = matmulModel(k, m, 1);
  const b = matmulModel(k, m, 2);
  const expect = (w: Float32Array, x: Float32Array): Float32Array => {
    const out = new Float32Array(m);
    for (let j = 0; j < m; j++) for (let i = 0; i < k; i++) out[j] += x[i] * w[i * m + j];
    return out;
  };
  for (const isolation of ISOLATIONS) {
    const rt = await runtimeFor(isolation);
    const [sa, sb] = await Promise.all([rt.createSession(a.bytes, { label: 'A' }), rt.createSession(b.bytes, { label: 'B' })]);
    const calls = Array.from({ length: 60 }, (_, i) => {
      const x = randomFloats(k, 100 + i);
      const session = i % 2 ? sb : sa;
      const tag = 2n ** 60n + BigInt(i);
      return { x, tag, w: i % 2 ? b.weights : a.weights, done: session.run({ x: tensor('float32', [1, k], x), ids: tensor('int64', [1], [tag]) }) };
    });
    for (const c of calls) {
      const out = await c.done;
      assert.deepEqual(out.ids_out.data, BigInt64Array.from([c.tag]), `${isolation}: the reply belongs to this call`);
      const want = expect(c.w, c.x);
      const got = out.out.data as Float32Array;
      for (let j = 0; j < m; j++) assert.ok(Math.abs(got[j] - want[j]) < 1e-5, `${isolation}: out[${j}] ${got[j]} vs ${want[j]}`);
    }
    await Promise.all([sa.release(), sb.release()]);
  }
});

void test('thread isolation: feeds are copied by default, moved with {transfer: true}', async () => {
  const rt = await runtimeFor('thread');
  const s = await rt.createSession(matmulModel(8, 2).bytes);
  const x = randomFloats(8, 1);
  const copied = await s.run({ x: tensor('float32', [1, 8], x), ids: tensor('int64', [1], [1n]) });
  assert.equal(x.length, 8, 'the caller keeps its array');
  const x2 = x.slice();
  const moved = await s.run({ x: tensor('float32', [1, 8], x2), ids: tensor('int64', [1], [1n]) }, { transfer: true });
  assert.equal(x2.length, 0, 'the buffer was moved to the worker, not copied');
  assert.deepEqual(moved.out.data, copied.out.data);
  await s.release();
});

void test('cancelling a queued run rejects it at once and the host drops it; later runs still work', async () => {
  for (const isolation of ['thread', 'process'] as const) {
    const rt = await runtimeFor(isolation);
    const heavy = await rt.createSession(heavyModel(512, 8), { intraOpThreads: 1, label: 'heavy' });
    const x = tensor('float32', [512, 512], randomFloats(512 * 512, 2));
    const first = heavy.run({ x });
    const ac = new AbortController();
    const second = heavy.run({ x }, { signal: ac.signal });
    ac.abort();
    await assert.rejects(second, (e: unknown) => e instanceof RunCancelledError && /run of session \d+ \('heavy'\)/.test(e.message));
    await first;
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(heavy.run({ x }, { signal: pre.signal }), RunCancelledError);
    assert.equal((await heavy.run({ x })).y.dims.join(','), '512,512');
    await heavy.release();
    await assert.rejects(heavy.run({ x }), (e: unknown) => e instanceof RuntimeDisposedError && /was released/.test(e.message));
  }
});

void test('after dispose, requests reject with RuntimeDisposedError; dispose is idempotent', async () => {
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'thread', threads: 1 });
  const s = await rt.createSession(matmulModel(4, 2).bytes);
  await rt.dispose();
  await rt.dispose();
  assert.equal(rt.running, false);
  assert.equal((await rt.exited).expected, true);
  await assert.rejects(rt.createSession(matmulModel(4, 2).bytes), RuntimeDisposedError);
  await assert.rejects(s.run({ x: tensor('float32', [1, 4], [1, 2, 3, 4]), ids: tensor('int64', [1], [1n]) }), RuntimeDisposedError);
});
