// MatMul (numpy semantics: 1-D operands promoted, batch dims broadcast), Gemm and com.microsoft
// FusedMatMul. The weight gradient of [B, T, K] x [K, N] is ONE Gemm over the flattened rows: batched
// MatMul + ReduceSum measured ~4x slower for a whole training step.
import type { GraphBuilder, Value } from '../../onnx';
import { rankOf, sumToShape, swapLast2 } from '../helpers';
import type { GradContext, RuleInfo } from '../types';
import { gradient } from './define';

/** x reshaped to [rows, k] (k: the number of columns, static or Shape-based). */
function rows(g: GraphBuilder, x: Value, k: number | Value): Value {
  if (rankOf(x) === 2) return x;
  return g.reshape(x, typeof k === 'number' ? g.int64s([-1, k]) : g.concat([g.int64s([-1]), k], 0));
}

/** Dim i of a 2-D matrix: a number when static, else a [1] int64 tensor. */
function matrixDim(g: GraphBuilder, m: Value, i: number): number | Value {
  const d = m.shape?.[i];
  return typeof d === 'number' ? d : g.shape(m, { start: i, end: i + 1 });
}

/**
 * Gradients of Y = A @ B given dY, for whichever of A and B are needed (numpy semantics: 1-D operands
 * promoted, batch dims broadcast). A 2-D B (a weight) takes the fast path, whatever A's rank: dA =
 * dY @ Bᵀ as one MatMul, dB = one Gemm over all rows of A and dY.
 */
export function matmulGrads(g: GraphBuilder, a: Value, b: Value, dy: Value, need: readonly [boolean, boolean]): [Value | undefined, Value | undefined] {
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (rb === 2) {
    const da = need[0] ? (ra === 2 && rankOf(dy) === 2 ? g.gemm(dy, b, undefined, { transB: true }) : g.matmul(dy, g.transpose(b, [1, 0]))) : undefined;
    const db = need[1] ? g.gemm(rows(g, a, matrixDim(g, b, 0)), rows(g, dy, matrixDim(g, b, 1)), undefined, { transA: true }) : undefined;
    return [da, db];
  }
  if (ra === undefined || rb === undefined) throw new Error('MatMul operands of unknown rank');
  // Promote to the >= 2-D forms the product was computed in.
  let d = dy;
  if (rb === 1) d = g.unsqueeze(d, [-1]);
  if (ra === 1) d = g.unsqueeze(d, [-2]);
  let da: Value | undefined;
  let db: Value | undefined;
  if (need[0]) {
    // [K] -> [1, K] is already Bᵀ; batched B: swap its last two dims.
    const full = rb === 1 ? g.matmul(d, g.unsqueeze(b, [0])) : g.matmul(d, swapLast2(g, b));
    da = sumToShape(g, full, a); // [..., 1, K] -> [K] for a 1-D A as well
  }
  if (need[1]) {
    const A = ra === 1 ? g.unsqueeze(a, [0]) : a;
    if (rb === 1) {
      // B [K] was [K, 1]: dB = Σ over rows of A·dY.
      db = g.squeeze(g.gemm(rows(g, A, dimOfLast(g, A)), rows(g, d, 1), undefined, { transA: true }), [-1]);
    } else {
      db = sumToShape(g, g.matmul(swapLast2(g, A), d), b);
    }
  }
  return [da, db];
}

function dimOfLast(g: GraphBuilder, x: Value): number | Value {
  const d = x.shape?.[x.shape.length - 1];
  return typeof d === 'number' ? d : g.shape(x, { start: -1 });
}

const refuseUnknownRank = ({ g, node }: RuleInfo): string | undefined => {
  const ra = rankOf(g.value(node.input[0]));
  const rb = rankOf(g.value(node.input[1]));
  if (rb === undefined) return 'a second operand of unknown rank';
  if (rb !== 2 && ra === undefined) return 'a first operand of unknown rank with a batched second operand';
  return undefined;
};

export const matmul = gradient(
  'dA = dY @ Bᵀ, dB = Aᵀ @ dY (one Gemm over flattened rows for a 2-D B), batch dims summed',
  (c) => matmulGrads(c.g, c.input(0), c.input(1), c.grad(), [c.needs[0], c.needs[1]]),
  { refuse: refuseUnknownRank },
);

/** com.microsoft FusedMatMul: Y = alpha · op(A) @ op(B), op transposing the last two dims. */
export const fusedMatmul = gradient(
  'as MatMul on op(A), op(B), scaled by alpha, transposed back',
  (c) => {
    const { g } = c;
    const tA = c.attrInt('transA', 0) !== 0;
    const tB = c.attrInt('transB', 0) !== 0;
    const alpha = c.attrFloat('alpha', 1);
    const a = tA ? swapLast2(g, c.input(0)) : c.input(0);
    const b = tB ? swapLast2(g, c.input(1)) : c.input(1);
    const dy = alpha === 1 ? c.grad() : g.mul(c.grad(), alpha);
    const [da, db] = matmulGrads(g, a, b, dy, [c.needs[0], c.needs[1]]);
    return [da && tA ? swapLast2(g, da) : da, db && tB ? swapLast2(g, db) : db];
  },
  {
    refuse: (info) => {
      for (const k of ['transBatchA', 'transBatchB']) {
        const a = info.node.attribute.find((x) => x.name === k);
        if (a?.i) return `${k} is not supported`;
      }
      for (const i of [0, 1]) if ((rankOf(info.g.value(info.node.input[i])) ?? 0) < 2) return 'inputs of rank < 2 or unknown rank';
      return undefined;
    },
  },
);

/** Gemm: Y = alpha · A' @ B' + beta · C with A' = transA ? Aᵀ : A (B' likewise); C broadcasts to [M, N]. */
export const gemm = gradient("dA' = alpha·dY @ B'ᵀ, dB' = alpha·A'ᵀ @ dY, dC = beta·dY summed to C", (c: GradContext) => {
  const { g } = c;
  const tA = c.attrInt('transA', 0) !== 0;
  const tB = c.attrInt('transB', 0) !== 0;
  const alpha = c.attrFloat('alpha', 1);
  const beta = c.attrFloat('beta', 1);
  const a = c.input(0);
  const b = c.input(1);
  const dy = c.grad();
  const opts = (transA: boolean, transB: boolean) => ({ alpha: alpha === 1 ? undefined : alpha, transA, transB });
  return c.needs.map((need, i) => {
    if (!need) return undefined;
    if (i === 0) return tA ? g.gemm(b, dy, undefined, opts(tB, true)) : g.gemm(dy, b, undefined, opts(false, !tB));
    if (i === 1) return tB ? g.gemm(dy, a, undefined, opts(true, tA)) : g.gemm(a, dy, undefined, opts(!tA, false));
    return sumToShape(g, beta === 1 ? dy : g.mul(dy, beta), c.input(2));
  });
});
