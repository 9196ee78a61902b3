// AdamW and global-norm clipping as graphs, run by onnxruntime in float64, against the reference's
// PyTorch-semantics adamwStep (test/helpers/reference/tinyGpt.ts): several steps, decay on and off
// per parameter, clipping active and inactive, the learning rate changing every step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../../src/core/random';
import { GraphBuilder, encodeModel, type DType, type Value } from '../../../../src/core/onnx';
import { adamStateNames, addAdamW, addGlobalNormClip, globalGradNorm, type AdamWParam } from '../../../../src/core/optim';
import { createSession, runSession, type Feed } from '../../../helpers/ort';
import { adamwInit, adamwStep, scheduledLr, type Params } from '../../../helpers/reference/tinyGpt';

const SHAPES = new Map<string, number[]>([
  ['w', [3, 4]],
  ['b', [4]],
  ['e', [5, 2]],
  ['s', []],
]);
const DECAY = new Set(['w', 'e']);

interface Hyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number | null;
}

/**
 * params, grads, moments, step, lr in; new params, moments, step and the gradient norm out. `folded`:
 * the training step's way — the clipping factor and the norm's g² handed to AdamW (gradScale,
 * gradSquared) instead of clipped gradients.
 */
function stepGraph(dtype: 'float32' | 'float64', hp: Hyper, stepType: DType = 'int64', folded = false): Uint8Array {
  const g = new GraphBuilder({ opset: 17, name: 'adamw_step' });
  const step = g.input('step', stepType, []);
  const lr = g.input('lr', dtype, []);
  const values = new Map<string, Value>();
  const grads = new Map<string, Value>();
  for (const [name, shape] of SHAPES) values.set(name, g.input(name, dtype, shape));
  for (const [name, shape] of SHAPES) grads.set(name, g.input(`grad.${name}`, dtype, shape));
  let params: AdamWParam[];
  let norm: Value;
  let gradScale: Value | undefined;
  if (folded) {
    const n = globalGradNorm(g, grads, hp.maxGradNorm);
    params = [...SHAPES.keys()].map((name) => ({ name, value: values.get(name)!, grad: grads.get(name)!, gradSquared: n.squares.get(name), decay: DECAY.has(name) }));
    norm = n.norm;
    gradScale = n.coef;
  } else {
    const clip = addGlobalNormClip(g, grads, hp.maxGradNorm);
    params = [...SHAPES.keys()].map((name) => ({ name, value: values.get(name)!, grad: clip.clipped.get(name)!, decay: DECAY.has(name) }));
    norm = clip.norm;
  }
  const out = addAdamW(g, { params, step, lr, beta1: hp.beta1, beta2: hp.beta2, eps: hp.eps, weightDecay: hp.weightDecay, gradScale });
  for (const name of SHAPES.keys()) {
    g.output(out.newParams.get(name)!, `new.${name}`);
    g.output(out.newM.get(name)!, `new.m.${name}`);
    g.output(out.newV.get(name)!, `new.v.${name}`);
  }
  g.output(out.newStep, 'new.step');
  g.output(norm, 'grad_norm');
  return encodeModel(g.build());
}

/** Relative error, absolute below `floor` (float32 parameters near 0 carry absolute, not relative, rounding). */
function maxRel(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), floor));
  return worst;
}

async function compare(hp: Hyper, opts: { dtype?: 'float32' | 'float64'; stepType?: DType; steps?: number; tol?: number; folded?: boolean; gradScale: (step: number) => number }): Promise<{ norms: number[] }> {
  const dtype = opts.dtype ?? 'float64';
  const arr = (a: ArrayLike<number>): Float32Array | Float64Array => (dtype === 'float64' ? Float64Array.from(a) : Float32Array.from(a));
  const session = await createSession(stepGraph(dtype, hp, opts.stepType, opts.folded));
  const rand = mulberry32(17);
  const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  // Values exactly representable in float32, so the float32 run starts from the same numbers.
  const r32 = (x: number): number => Math.fround(x);
  const params: Params = new Map([...SHAPES].map(([n, s]) => [n, Float64Array.from({ length: size(s) }, () => r32(rand() * 2 - 1))]));
  const state = adamwInit(params);
  // The engine's copy of params and moments, carried from run to run.
  const mine = new Map<string, ArrayLike<number>>([...params].map(([n, p]) => [n, Float64Array.from(p)]));
  const ms = new Map<string, ArrayLike<number>>([...params].map(([n, p]) => [n, new Float64Array(p.length)]));
  const vs = new Map<string, ArrayLike<number>>([...params].map(([n, p]) => [n, new Float64Array(p.length)]));
  let step: number | bigint = opts.stepType === 'int64' || opts.stepType === undefined ? 0n : 0;
  const norms: number[] = [];
  const tol = opts.tol ?? 1e-12;
  for (let k = 0; k < (opts.steps ?? 6); k++) {
    const scale = opts.gradScale(k);
    const grads: Params = new Map([...SHAPES].map(([n, s]) => [n, Float64Array.from({ length: size(s) }, () => r32((rand() * 2 - 1) * scale))]));
    const lr = r32(scheduledLr(0.05, k, 2, 6, 'cosine') + 1e-3); // changes every step, never 0
    const feeds: Record<string, Feed> = {
      step: typeof step === 'bigint' ? { type: 'int64', data: BigInt64Array.of(step), dims: [] } : { type: opts.stepType!, data: opts.stepType === 'float32' ? Float32Array.of(step) : Float64Array.of(step), dims: [] },
      lr: { type: dtype, data: arr([lr]), dims: [] },
    };
    for (const [n, s] of SHAPES) {
      feeds[n] = { type: dtype, data: arr(mine.get(n)!), dims: s };
      feeds[`grad.${n}`] = { type: dtype, data: arr(grads.get(n)!), dims: s };
      feeds[adamStateNames(n).m] = { type: dtype, data: arr(ms.get(n)!), dims: s };
      feeds[adamStateNames(n).v] = { type: dtype, data: arr(vs.get(n)!), dims: s };
    }
    const out = await runSession(session, feeds);
    const ref = adamwStep(params, grads, state, { lr, beta1: hp.beta1, beta2: hp.beta2, eps: hp.eps, weightDecay: hp.weightDecay, decay: (n) => DECAY.has(n), maxGradNorm: hp.maxGradNorm ?? undefined });
    norms.push(ref.gradNorm);
    const normErr = maxRel([Number(out.grad_norm.data[0])], [ref.gradNorm]);
    assert.ok(normErr <= tol, `step ${k}: grad norm ${out.grad_norm.data[0]} vs ${ref.gradNorm}`);
    for (const n of SHAPES.keys()) {
      for (const [what, got, want] of [
        ['param', out[`new.${n}`], params.get(n)!],
        ['m', out[`new.m.${n}`], state.m.get(n)!],
        ['v', out[`new.v.${n}`], state.v.get(n)!],
      ] as const) {
        // Moments are compared relative to their own scale (v is ~g², far below 1).
        const e = maxRel(got.data as ArrayLike<number>, want, dtype === 'float64' ? 1e-3 : what === 'param' ? 1 : Math.max(...want.map(Math.abs)));
        assert.ok(e <= tol, `step ${k} ${what} ${n}: relative error ${e.toExponential(2)} > ${tol}`);
      }
      mine.set(n, out[`new.${n}`].data as ArrayLike<number>);
      ms.set(n, out[`new.m.${n}`].data as ArrayLike<number>);
      vs.set(n, out[`new.v.${n}`].data as ArrayLike<number>);
    }
    const next = out['new.step'].data[0];
    assert.equal(Number(next), k + 1);
    step = typeof step === 'bigint' ? (next as bigint) : Number(next);
  }
  await session.release();
  return { norms };
}

const HP: Hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1.0 };

test('AdamW + clipping graph equals torch semantics for 6 steps: clipping on some steps, off on others, lr per step', async () => {
  // Gradient norms straddle maxNorm 1: big (clipped) and small (untouched) steps alternate.
  const { norms } = await compare(HP, { gradScale: (k) => (k % 2 === 0 ? 3 : 0.05) });
  assert.ok(norms.some((n) => n > 1) && norms.some((n) => n < 1), `norms ${norms}`);
});

test('AdamW with the clipping factor and g² folded in (gradScale, gradSquared: as the training step does) equals the same torch semantics', async () => {
  const { norms } = await compare(HP, { folded: true, gradScale: (k) => (k % 2 === 0 ? 3 : 0.05) });
  assert.ok(norms.some((n) => n > 1) && norms.some((n) => n < 1), `norms ${norms}`);
  await compare({ ...HP, maxGradNorm: null }, { folded: true, steps: 3, gradScale: () => 2 });
  await compare(HP, { folded: true, dtype: 'float32', stepType: 'float32', steps: 4, tol: 2e-5, gradScale: (k) => (k % 2 ? 4 : 0.1) });
});

test('AdamW without clipping, with other betas/eps/decay, and a float step input', async () => {
  await compare({ beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.5, maxGradNorm: null }, { stepType: 'float64', gradScale: () => 2 });
});

test('AdamW with weight decay 0 leaves decay-flagged parameters undecayed (same as decay off)', async () => {
  await compare({ ...HP, weightDecay: 0 }, { steps: 3, gradScale: () => 0.5 });
});

test('float32 AdamW graph runs and follows the float64 reference to float32 precision', async () => {
  await compare(HP, { dtype: 'float32', stepType: 'float32', steps: 4, tol: 2e-5, gradScale: (k) => (k % 2 ? 4 : 0.1) });
});

test('addAdamW: given moments are used (no inputs created); mismatched types and duplicate names are refused', () => {
  const g = new GraphBuilder({ opset: 17 });
  const p = g.input('p', 'float64', [2]);
  const grad = g.input('gp', 'float64', [2]);
  const m = g.input('my.m', 'float64', [2]);
  const v = g.input('my.v', 'float64', [2]);
  const step = g.input('step', 'int64', []);
  const out = addAdamW(g, { params: [{ name: 'p', value: p, grad, decay: false, m, v }], step, lr: 0.1 });
  assert.equal(out.m.get('p'), m);
  assert.deepEqual(g.inputs.map((i) => i.name), ['p', 'gp', 'my.m', 'my.v', 'step']);
  assert.deepEqual(out.newParams.get('p')!.shape, [2]);
  const g32 = g.input('g32', 'float32', [2]);
  assert.throws(() => addAdamW(g, { params: [{ name: 'q', value: p, grad: g32, decay: false }], step, lr: 0.1 }), /gradient of 'q'/);
  assert.throws(() => addAdamW(g, { params: [{ name: 'p', value: p, grad, decay: false, m, v }, { name: 'p', value: p, grad, decay: false, m, v }], step, lr: 0.1 }), /twice/);
  assert.throws(() => addGlobalNormClip(g, new Map([['p', grad]]), 0), /maxNorm/);
});
