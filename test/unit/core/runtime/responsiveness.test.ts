import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runtime, tensor, type Isolation } from '../../../../src/core/runtime';
import { heavyModel, randomFloats } from './models';

/** Runs `work` while a 5 ms interval measures how late the caller's event loop gets to it; returns the worst lag. */
async function maxLagDuring(work: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return worst;
}

void test("the caller's event loop stays responsive while a worker runs a heavy model; in-thread it stalls", async (t) => {
  const N = 1024;
  const model = heavyModel(N, 32); // 32 chained 1024² MatMuls: ~300 ms per run on one thread here
  const x = tensor('float32', [N, N], randomFloats(N * N, 11));
  const lag: Partial<Record<Isolation, number>> = {};
  const runMs: Partial<Record<Isolation, number>> = {};
  for (const isolation of ['none', 'thread', 'process'] as const) {
    // One intra-op thread, so on a 2-core machine the caller keeps a core and the comparison is fair.
    const rt = await Runtime.start({ provider: 'cpu', isolation, threads: 1 });
    try {
      const s = await rt.createSession(model);
      await s.run({ x }); // warm-up
      const t0 = performance.now();
      lag[isolation] = await maxLagDuring(async () => {
        for (let i = 0; i < 2; i++) await s.run({ x });
      });
      runMs[isolation] = (performance.now() - t0) / 2;
    } finally {
      await rt.dispose();
    }
  }
  t.diagnostic(
    `max event-loop lag: in-thread ${lag.none?.toFixed(0)} ms, thread ${lag.thread?.toFixed(0)} ms, process ${lag.process?.toFixed(0)} ms ` +
      `(per run: ${runMs.none?.toFixed(0)} / ${runMs.thread?.toFixed(0)} / ${runMs.process?.toFixed(0)} ms)`,
  );
  const inThread = lag.none ?? 0;
  assert.ok(inThread > 100, `the model is heavy enough to stall the loop in-thread (lag ${inThread.toFixed(0)} ms)`);
  for (const isolation of ['thread', 'process'] as const) {
    const l = lag[isolation] ?? Infinity;
    assert.ok(l < inThread / 3, `${isolation}: lag ${l.toFixed(0)} ms is well below in-thread ${inThread.toFixed(0)} ms`);
  }
});
