import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionHost } from '../../../../src/core/runtime/host';
import type { HostReply } from '../../../../src/core/runtime/protocol';
import type { SessionInfo } from '../../../../src/core/runtime';
import { tensor } from '../../../../src/core/runtime';
import { addModel } from './models';

/** A host on this thread whose replies are collected; `next(id)` waits for the reply to request `id`. */
function hostUnderTest() {
  const replies: HostReply[] = [];
  const waiters = new Map<number, (r: HostReply) => void>();
  const host = new SessionHost(
    (r) => {
      replies.push(r);
      waiters.get(r.id)?.(r);
    },
    'inline',
  );
  const next = (id: number): Promise<HostReply> =>
    new Promise((resolve) => {
      const done = replies.find((r) => r.id === id);
      if (done) resolve(done);
      else waiters.set(id, resolve);
    });
  return { host, replies, next };
}

void test('the host answers requests in order and drops a queued request that was cancelled', async () => {
  const { host, replies, next } = hostUnderTest();
  host.receive({ kind: 'init', id: 1, provider: 'cpu', threads: 1 });
  host.receive({ kind: 'createSession', id: 2, model: { kind: 'bytes', bytes: addModel() }, label: 'add', options: { graphOptimization: 'all' } });
  const created = await next(2);
  assert.ok(created.ok);
  const sessionId = (created.value as SessionInfo).sessionId;
  const feeds = (v: number) => ({ x: tensor('float32', [1], [v]), y: tensor('float32', [1], [1]) });
  // All queued before the host gets a turn: 11 is cancelled while it waits.
  host.receive({ kind: 'run', id: 10, sessionId, feeds: feeds(1) });
  host.receive({ kind: 'run', id: 11, sessionId, feeds: feeds(2) });
  host.receive({ kind: 'run', id: 12, sessionId, feeds: feeds(3) });
  host.receive({ kind: 'cancel', id: 13, target: 11 });
  host.receive({ kind: 'shutdown', id: 14 });
  await next(14);
  assert.deepEqual(
    replies.map((r) => r.id),
    [1, 2, 10, 12, 14],
    'no reply to the cancelled request: it never ran',
  );
  const z = (id: number) => {
    const r = replies.find((x) => x.id === id);
    assert.ok(r?.ok);
    return Array.from((r.value as Record<string, { data: Float32Array }>).z.data);
  };
  assert.deepEqual([z(10), z(12)], [[2], [4]]);
});

void test('after shutdown the host ignores further requests', async () => {
  const { host, replies, next } = hostUnderTest();
  host.receive({ kind: 'shutdown', id: 1 });
  await next(1);
  host.receive({ kind: 'init', id: 2, provider: 'cpu', threads: 1 });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    replies.map((r) => r.id),
    [1],
  );
});
