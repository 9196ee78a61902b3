import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTensor, elementCount, tensor } from '../../../../src/core/runtime';
import { tensorProblem } from '../../../../src/core/runtime/tensor';
import { toWire, fromWire, FeedError, SessionRunError, ProviderUnavailableError } from '../../../../src/core/runtime/errors';

void test('tensor() converts plain arrays to the dtype\'s typed array and keeps typed arrays as they are', () => {
  const f = new Float32Array([1, 2]);
  assert.equal(tensor('float32', [2], f).data, f, 'no copy');
  assert.deepEqual(tensor('int64', [2], [1, -2]).data, BigInt64Array.from([1n, -2n]));
  assert.deepEqual(tensor('uint64', [1], [2n ** 64n - 1n]).data, BigUint64Array.from([2n ** 64n - 1n]));
  assert.deepEqual(tensor('bool', [3], [1, 0, 1]).data, Uint8Array.from([1, 0, 1]));
  assert.deepEqual(tensor('float16', [1], [0x3c00]).data, Uint16Array.from([0x3c00]), 'float16 is raw half bits');
  assert.deepEqual(tensor('float64', [], [3.5]).dims, []);
  assert.throws(() => tensor('float32', [2, 2], [1, 2, 3]), /dims \[2,2\] hold 4 elements but data has 3/);
});

void test('tensorProblem names what is wrong', () => {
  assert.match(tensorProblem(null) ?? '', /got null/);
  assert.match(tensorProblem({ dtype: 'string', dims: [], data: [] }) ?? '', /dtype 'string' is not supported/);
  assert.match(tensorProblem({ dtype: 'int32', dims: [-1], data: new Int32Array(0) }) ?? '', /non-negative integers/);
  assert.match(tensorProblem({ dtype: 'int32', dims: [2], data: [1, 2] }) ?? '', /needs its data in a Int32Array, got a plain array/);
  assert.equal(tensorProblem({ dtype: 'int32', dims: [2], data: new Int32Array(2) }), undefined);
  assert.equal(elementCount([2, 3, 0]), 0);
  assert.equal(describeTensor({ dtype: 'int64', dims: ['batch', 5] }), 'int64[batch,5]');
});

void test('errors survive the wire as the same classes with their context', () => {
  const feed = fromWire(structuredClone(toWire(new FeedError('bad', 'input_ids'))));
  assert.ok(feed instanceof FeedError);
  assert.equal(feed.inputName, 'input_ids');
  const run = fromWire(structuredClone(toWire(new SessionRunError('m', 3, 'model.onnx', 'ort says'))));
  assert.ok(run instanceof SessionRunError);
  assert.deepEqual([run.sessionId, run.label, run.ortMessage], [3, 'model.onnx', 'ort says']);
  const report = { requested: 'cuda' as const, selected: undefined, attempts: [], summary: 's', platform: 'linux/x64', threads: 1 };
  const pu = fromWire(structuredClone(toWire(new ProviderUnavailableError('p', report))));
  assert.ok(pu instanceof ProviderUnavailableError);
  assert.deepEqual(pu.report, report);
  const internal = fromWire(structuredClone(toWire(new TypeError('boom'))));
  assert.match(internal.message, /^runtime host: boom$/);
  assert.match(internal.stack ?? '', /in the runtime host/);
});
