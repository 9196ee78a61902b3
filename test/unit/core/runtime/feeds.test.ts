import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  FeedError,
  Runtime,
  SessionCreateError,
  SessionRunError,
  tensor,
  type Isolation,
  type RuntimeSession,
  type Tensor,
} from '../../../../src/core/runtime';
import { DISTILBERT, GPT2_ONE_LAYER, matmulModel, randomFloats, sharedModel } from './models';

// Errors are checked through 'none' (no boundary) and 'process' (rebuilt from the wire).
const ISOLATIONS: readonly Isolation[] = ['none', 'process'];
const runtimes: Runtime[] = [];
async function start(isolation: Isolation): Promise<Runtime> {
  const rt = await Runtime.start({ provider: 'cpu', isolation, threads: 1, onLog: () => undefined });
  runtimes.push(rt);
  return rt;
}
after(async () => {
  for (const rt of runtimes) await rt.dispose();
});

const ids = (dims: number[]): Tensor => tensor('int64', dims, new BigInt64Array(dims.reduce((a, b) => a * b, 1)).fill(1n));

function feedError(inputName: string, ...patterns: RegExp[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof FeedError, `expected a FeedError, got ${String(e)}`);
    assert.equal(e.inputName, inputName);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

for (const isolation of ISOLATIONS) {
  void test(`${isolation}: bad feeds are refused before the run, with errors that name the input`, async () => {
    const rt = await start(isolation);
    const bert: RuntimeSession = await rt.createSession(sharedModel(DISTILBERT));
    const where = new RegExp(`session ${bert.id} \\('${DISTILBERT.replace(/\./g, '\\.')}'\\)`);

    await assert.rejects(
      bert.run({ input_ids: ids([1, 4]) }),
      feedError('attention_mask', /^Input 'attention_mask' \(int64\[batch,sequence\]\) is missing/, where, /its inputs are input_ids: int64\[batch,sequence\], attention_mask: int64\[batch,sequence\]/),
    );
    await assert.rejects(
      bert.run({ input_id: ids([1, 4]), attention_mask: ids([1, 4]) }),
      feedError('input_id', /Input 'input_id' fed to .* is not an input of the model \(did you mean 'input_ids'\?\)/),
    );
    await assert.rejects(
      bert.run({ input_ids: tensor('int32', [1, 4], [1, 2, 3, 4]), attention_mask: ids([1, 4]) }),
      feedError('input_ids', /Input 'input_ids' of .* is int32 but the model expects int64 \(int64\[batch,sequence\]\); int64 data goes in a BigInt64Array/),
    );
    await assert.rejects(
      bert.run({ input_ids: { dtype: 'int64', dims: [1, 4], data: new Float64Array(4) } as unknown as Tensor, attention_mask: ids([1, 4]) }),
      feedError('input_ids', /dtype int64 needs its data in a BigInt64Array, got Float64Array/),
    );
    await assert.rejects(
      bert.run({ input_ids: ids([4]), attention_mask: ids([1, 4]) }),
      feedError('input_ids', /has shape \[4\] \(rank 1\) but the model expects rank 2/),
    );
    await assert.rejects(
      bert.run({ input_ids: { dtype: 'int64', dims: [1, 5], data: new BigInt64Array(4) }, attention_mask: ids([1, 4]) }),
      feedError('input_ids', /dims \[1,5\] hold 5 elements but data has 4/),
    );
    await assert.rejects(
      bert.run({ input_ids: ids([1, 4]), attention_mask: ids([1, 4]) }, { fetches: ['logit'] }),
      feedError('logit', /Output 'logit' .* is not an output of the model; its outputs are logits/),
    );

    const mm = await rt.createSession(matmulModel(6, 2).bytes, { label: 'matmul' });
    await assert.rejects(
      mm.run({ x: tensor('float32', [2, 5], new Float32Array(10)), ids: ids([2]) }),
      feedError('x', /has size 5 in dimension 1 but the model fixes it at 6: got \[2,5\], expected float32\[batch,6\]/),
    );
  });

  void test(`${isolation}: an onnxruntime failure during a run names the session, the model and the feed shapes`, async () => {
    const rt = await start(isolation);
    const gpt2 = await rt.createSession(readFileSync(sharedModel(GPT2_ONE_LAYER)), { label: 'gpt2-1L' });
    // attention_mask must cover past (3) + sequence (5) = 8 positions; 7 is a shape error only the graph knows.
    const feeds = {
      input_ids: ids([2, 5]),
      past_0: tensor('float32', [2, 2, 2, 3, 2], randomFloats(48, 1)),
      attention_mask: tensor('float32', [2, 7], new Float32Array(14).fill(1)),
      position_ids: ids([2, 5]),
    };
    await assert.rejects(gpt2.run(feeds), (e: unknown) => {
      assert.ok(e instanceof SessionRunError, `got ${String(e)}`);
      assert.equal(e.sessionId, gpt2.id);
      assert.equal(e.label, 'gpt2-1L');
      assert.match(e.message, new RegExp(`^Session ${gpt2.id} \\('gpt2-1L', CPU\\) failed to run with input_ids: int64\\[2,5\\], past_0: float32\\[2,2,2,3,2\\], attention_mask: float32\\[2,7\\], position_ids: int64\\[2,5\\]: `));
      assert.ok(e.ortMessage && e.message.includes(e.ortMessage.trim()), 'onnxruntime\'s message is kept verbatim');
      assert.match(e.ortMessage, /Non-zero status code returned while running/);
      return true;
    });
    // The session is still usable afterwards.
    const ok = await gpt2.run({ ...feeds, attention_mask: tensor('float32', [2, 8], new Float32Array(16).fill(1)) });
    assert.deepEqual(ok['505'].dims, [2, 5, 4]);
  });

  void test(`${isolation}: a model onnxruntime cannot load is a SessionCreateError with its label and onnxruntime's message`, async () => {
    const rt = await start(isolation);
    await assert.rejects(rt.createSession(Uint8Array.from([8, 1, 0xff, 0xff, 3]), { label: 'garbage' }), (e: unknown) => {
      assert.ok(e instanceof SessionCreateError, `got ${String(e)}`);
      assert.equal(e.label, 'garbage');
      assert.match(e.message, /^Could not load model 'garbage' on CPU: /);
      assert.ok(e.ortMessage);
      return true;
    });
    await assert.rejects(rt.createSession('/nonexistent/model.onnx'), (e: unknown) => {
      assert.ok(e instanceof SessionCreateError);
      assert.match(e.message, /^Could not load model 'model\.onnx' from \/nonexistent\/model\.onnx on CPU: /);
      return true;
    });
    assert.ok(rt.running, 'a bad model does not hurt the runtime');
  });
}
