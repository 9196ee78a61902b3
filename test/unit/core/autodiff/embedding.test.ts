// The embedding gradient with repeated indices (token ids always repeat): ScatterElements with
// reduction 'add' must give the exact sum on every intra-op thread count, run after run. (ScatterND
// 'add' does not in onnxruntime 1.30 CPU: issues 23396 and 18048, measured in the shared notes.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradients } from '../../../../src/core/autodiff';
import { encodeModel, GraphBuilder } from '../../../../src/core/onnx';
import { mulberry32 } from '../../../../src/core/random';
import { createSession, runSession, type Feed } from '../../../helpers/ort';

const V = 512;
const D = 64;
const N = 4096;
const RUNS = 20;

// Opset 17: ScatterElements 'add'. Opset 13 (older exports; no scatter-add before 16): OneHotᵀ · dY.
for (const [dtype, opset] of [['float32', 17], ['float64', 17], ['float32', 13], ['float64', 13]] as const) {
  void test(`Gather gradient (${dtype}, opset ${opset}): ${N} skewed repeated ids into [${V}, ${D}] is exact on 1, 2 and 4 threads over ${RUNS} runs each`, async () => {
    const g = new GraphBuilder({ opset });
    const table = g.input('table', dtype, [V, D]);
    const ids = g.input('ids', 'int64', [8, N / 8]);
    const w = g.input('w', dtype, [8, N / 8, D]);
    const y = g.gather(table, ids);
    const loss = g.reduceSum(g.mul(y, w), undefined, { keepdims: false });
    g.output(buildGradients(g, { loss, wrt: ['table'] }).get('table')!, 'grad');
    assert.ok(!g.nodes.some((n) => n.opType === 'ScatterND'), 'the embedding gradient must not use ScatterND');
    assert.ok(g.nodes.some((n) => n.opType === (opset >= 16 ? 'ScatterElements' : 'OneHot')), `opset ${opset} uses its exact form`);
    const model = encodeModel(g.build());

    const rnd = mulberry32(7);
    // Skewed like token frequencies: low ids far more often (id 0 about 1/8 of the time).
    const idv = Array.from({ length: N }, () => Math.floor(V * rnd() ** 3));
    // Multiples of 1/8 in [−1, 1]: every partial sum is exact in float32 and float64, in any order.
    const wv = Array.from({ length: N * D }, () => (Math.floor(rnd() * 17) - 8) / 8);
    const want = new Float64Array(V * D);
    for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) want[idv[i] * D + d] += wv[i * D + d];
    const Arr = dtype === 'float32' ? Float32Array : Float64Array;
    const feeds: Record<string, Feed> = {
      table: { type: dtype, data: new Arr(V * D), dims: [V, D] },
      ids: { type: 'int64', data: BigInt64Array.from(idv, BigInt), dims: [8, N / 8] },
      w: { type: dtype, data: Arr.from(wv), dims: [8, N / 8, D] },
    };
    for (const threads of [1, 2, 4]) {
      const session = await createSession(model, { threads });
      try {
        for (let run = 0; run < RUNS; run++) {
          const got = (await runSession(session, feeds)).grad.data as ArrayLike<number>;
          let bad = 0;
          let worst = 0;
          for (let i = 0; i < want.length; i++) {
            if (got[i] !== want[i]) {
              bad++;
              worst = Math.max(worst, Math.abs(got[i] - want[i]));
            }
          }
          assert.equal(bad, 0, `${threads} threads, run ${run}: ${bad} elements differ from the exact sum (max error ${worst})`);
        }
      } finally {
        await session.release();
      }
    }
  });
}
