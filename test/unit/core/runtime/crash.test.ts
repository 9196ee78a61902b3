import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime, RuntimeCrashedError, RuntimeDisposedError, RuntimeError, tensor } from '../../../../src/core/runtime';
import { heavyModel, matmulModel, randomFloats } from './models';

const N = 1024;
/** Runs of ~100+ ms each on one thread, so a kill lands while they run or wait. */
const heavy = (): Uint8Array => heavyModel(N, 16);
const heavyInput = () => ({ x: tensor('float32', [N, N], randomFloats(N * N, 3)) });

async function quickRunWorks(rt: Runtime): Promise<void> {
  const s = await rt.createSession(matmulModel(4, 2).bytes);
  const out = await s.run({ x: tensor('float32', [1, 4], [1, 2, 3, 4]), ids: tensor('int64', [1], [5n]) });
  assert.deepEqual(out.ids_out.data, BigInt64Array.from([5n]));
}

void test('kill -9 of the runtime process mid-run rejects every pending request with a clear error; a new runtime starts', async () => {
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'process', threads: 1 });
  const pid = rt.pid;
  assert.notEqual(pid, process.pid, 'sessions live in a child process');
  const s = await rt.createSession(heavy(), { label: 'heavy' });
  const runs = [s.run(heavyInput()), s.run(heavyInput()), s.run(heavyInput())];
  const settled = Promise.allSettled(runs);
  await sleep(60);
  const t0 = performance.now();
  process.kill(pid, 'SIGKILL');
  const results = await settled;
  assert.ok(performance.now() - t0 < 3000, 'the rejection comes promptly, it does not hang');
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    const e = (r as PromiseRejectedResult).reason as unknown;
    assert.ok(e instanceof RuntimeCrashedError, `got ${String(e)}`);
    assert.equal(e.signal, 'SIGKILL');
    assert.match(e.message, new RegExp(`^The runtime process \\(pid ${pid}\\) was killed by SIGKILL \\(kill -9, the out-of-memory killer, or a forced stop\\) during run of session ${s.id} \\('heavy'\\) with x: float32\\[1024,1024\\]\\. Start a new Runtime to continue\\.`));
  }
  const exit = await rt.exited;
  assert.equal(exit.expected, false);
  assert.ok(exit.error instanceof RuntimeCrashedError);
  assert.equal(rt.running, false);
  // Later calls fail at once with the same explanation instead of hanging.
  await assert.rejects(s.run(heavyInput()), RuntimeCrashedError);
  await assert.rejects(rt.createSession(matmulModel(4, 2).bytes), /was killed by SIGKILL/);
  await rt.dispose(); // harmless after a crash

  const fresh = await Runtime.start({ provider: 'cpu', isolation: 'process', threads: 1 });
  try {
    assert.notEqual(fresh.pid, pid);
    await quickRunWorks(fresh);
  } finally {
    await fresh.dispose();
  }
});

void test('kill() stops the process at once: pending runs reject as killed by their owner, not as a crash', async () => {
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'process', threads: 1 });
  const s = await rt.createSession(heavy());
  const run = s.run(heavyInput());
  await sleep(30);
  rt.kill();
  await assert.rejects(run, (e: unknown) => e instanceof RuntimeDisposedError && /killed during run of session/.test(e.message));
  const exit = await rt.exited;
  assert.deepEqual([exit.expected, exit.signal], [true, 'SIGKILL']);
});

void test('thread isolation: dispose lets sent runs finish; kill() rejects pending runs at once', async () => {
  const rt = await Runtime.start({ provider: 'cpu', isolation: 'thread', threads: 1 });
  const s = await rt.createSession(heavyModel(512, 4));
  const x = { x: tensor('float32', [512, 512], randomFloats(512 * 512, 1)) };
  const sent = [s.run(x), s.run(x)];
  await rt.dispose();
  for (const r of await Promise.allSettled(sent)) assert.equal(r.status, 'fulfilled', 'requests sent before dispose complete');

  const rt2 = await Runtime.start({ provider: 'cpu', isolation: 'thread', threads: 1 });
  const s2 = await rt2.createSession(heavy());
  const run = s2.run(heavyInput());
  await sleep(30);
  const t0 = performance.now();
  rt2.kill();
  await assert.rejects(run, RuntimeDisposedError);
  assert.ok(performance.now() - t0 < 50, 'rejected without waiting for the native run to return');
  assert.equal((await rt2.exited).expected, true);
});

void test('a host that cannot start is a RuntimeError(start) with its stderr, not a hang', async () => {
  await assert.rejects(
    Runtime.start({ isolation: 'process', execArgv: ['--require', '/nonexistent/preload.js'], onLog: () => undefined }),
    (e: unknown) => {
      assert.ok(e instanceof RuntimeError, `got ${String(e)}`);
      assert.equal(e.code, 'start');
      assert.match(e.message, /^Could not start the runtime process: runtime process exited before it started \(exit code 1\); its stderr:/);
      assert.match(e.message, /Cannot find module '\/nonexistent\/preload\.js'/);
      return true;
    },
  );
  await assert.rejects(Runtime.start({ isolation: 'thread', workerScript: '/nonexistent/runtimeWorker.js' }), (e: unknown) => {
    assert.ok(e instanceof RuntimeError);
    assert.match(e.message, /The runtime host script is missing: \/nonexistent\/runtimeWorker\.js\. Build it \(esbuild entry runtimeWorker/);
    return true;
  });
});
