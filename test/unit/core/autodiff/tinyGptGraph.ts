// The tiny GPT of test/helpers/reference/tinyGpt.ts as a float64 ONNX training forward: pre-LN blocks,
// causal multi-head attention with a key-padding mask, tanh-GELU MLP, learned positions, final LN, a
// bias-free head read at each row's last real token, and the Bradley–Terry loss with margin and
// centering. Rows are [chosen_0..chosen_{B−1}, rejected_0..rejected_{B−1}], right-padded to one length.
// Parameters are initializers named as the reference names them.
import { GraphBuilder, type Value } from '../../../../src/core/onnx';
import { paramShapes, type Params, type TinyGptConfig } from '../../../helpers/reference/tinyGpt';

export interface TinyGptGraphOptions {
  /** LayerNormalization op (opset 17) or the decomposed ReduceMean/Sub/Mul/Sqrt/Div form. */
  layerNorm: 'op' | 'decomposed';
  centerCoef: number;
  useMargin: boolean;
}

export interface TinyGptGraph {
  g: GraphBuilder;
  loss: Value;
  /** Parameter names, in paramShapes order. */
  params: string[];
}

const GELU_C = Math.sqrt(2 / Math.PI);

export function buildTinyGptLoss(c: TinyGptConfig, params: Params, opts: TinyGptGraphOptions): TinyGptGraph {
  const g = new GraphBuilder({ opset: 17, name: 'tiny_gpt_bt' });
  const D = c.dModel;
  const H = c.nHeads;
  const dh = D / H;
  const eps = c.eps ?? 1e-5;
  const ids = g.input('input_ids', 'int64', ['rows', 'seq']);
  const mask = g.input('attention_mask', 'int64', ['rows', 'seq']);
  const margin = opts.useMargin ? g.input('margin', 'float64', ['pairs']) : undefined;
  const p = new Map<string, Value>();
  for (const [name, shape] of paramShapes(c)) p.set(name, g.initializer(name, params.get(name)!, shape));
  const P = (name: string): Value => p.get(name)!;
  const ln = (x: Value, prefix: string): Value => g.layerNorm(x, P(`${prefix}.g`), P(`${prefix}.b`), { epsilon: eps, impl: opts.layerNorm });

  // Embeddings: token + learned position.
  const T = g.gather(g.shape(ids), g.scalar(1, 'int64'));
  const positions = g.range(0, T, 1);
  let x = g.add(g.gather(P('wte'), ids), g.gather(P('wpe'), positions)); // [rows, seq, D]

  // Additive attention bias: causal and key padding (exp(−1e9 − max) is exactly 0 in float64).
  const causal = g.op('GreaterOrEqual', [g.unsqueeze(positions, [1]), g.unsqueeze(positions, [0])]); // [seq, seq]
  const keyReal = g.unsqueeze(g.cast(mask, 'bool'), [1, 2]); // [rows, 1, 1, seq]
  const bias = g.where(g.and(causal, keyReal), 0, g.scalar(-1e9, 'float64')); // [rows, 1, seq, seq]

  for (let l = 0; l < c.nLayers; l++) {
    g.scope(`h${l}`, () => {
      const pre = `h${l}.`;
      const a = ln(x, pre + 'ln1');
      const qkv = g.add(g.matmul(a, P(pre + 'attn.wqkv')), P(pre + 'attn.bqkv'));
      const [q, k, v] = g.split(qkv, { axis: -1, sizes: [D, D, D] }).map((t) => g.reshape(t, [0, 0, H, dh]));
      const qh = g.transpose(q, [0, 2, 1, 3]); // [rows, H, seq, dh]
      const kt = g.transpose(k, [0, 2, 3, 1]); // [rows, H, dh, seq]
      const vh = g.transpose(v, [0, 2, 1, 3]);
      const scores = g.add(g.mul(g.matmul(qh, kt), 1 / Math.sqrt(dh)), bias);
      const heads = g.matmul(g.softmax(scores, -1), vh); // [rows, H, seq, dh]
      const merged = g.reshape(g.transpose(heads, [0, 2, 1, 3]), [0, 0, D]);
      x = g.add(x, g.add(g.matmul(merged, P(pre + 'attn.wo')), P(pre + 'attn.bo')));
      const m = ln(x, pre + 'ln2');
      const hidden = g.add(g.matmul(m, P(pre + 'mlp.w1')), P(pre + 'mlp.b1'));
      const cube = g.mul(g.mul(hidden, hidden), hidden);
      const act = g.mul(g.mul(hidden, 0.5), g.add(g.tanh(g.mul(g.add(hidden, g.mul(cube, 0.044715)), GELU_C)), 1));
      x = g.add(x, g.add(g.matmul(act, P(pre + 'mlp.w2')), P(pre + 'mlp.b2')));
    });
  }
  const final = ln(x, 'lnf');

  // The hidden state at each row's last real token, then the bias-free head.
  const last = g.sub(g.reduceSum(mask, [1], { keepdims: false }), g.scalar(1, 'int64')); // [rows]
  const rowsDim = g.gather(g.shape(ids), g.int64s([0]));
  const at = g.expand(g.reshape(last, [-1, 1, 1]), g.concat([rowsDim, g.int64s([1, D])], 0));
  const picked = g.reshape(g.gatherElements(final, at, 1), [-1, D]); // [rows, D]
  const rewards = g.matmul(picked, P('head.w')); // [rows]

  const sides = g.reshape(rewards, [2, -1]);
  const rc = g.gather(sides, g.scalar(0, 'int64'));
  const rr = g.gather(sides, g.scalar(1, 'int64'));
  let z = g.sub(rc, rr);
  if (margin) z = g.sub(z, margin);
  // −log σ(z) = softplus(−z) = relu(−z) + log(1 + exp(−|z|)): stable, and float64 kernels exist.
  const nll = g.add(g.relu(g.neg(z)), g.log(g.add(g.exp(g.neg(g.abs(z))), 1)));
  let loss = g.reduceMean(nll, undefined, { keepdims: false });
  if (opts.centerCoef) {
    const s = g.add(rc, rr);
    loss = g.add(loss, g.mul(g.reduceMean(g.mul(s, s), undefined, { keepdims: false }), opts.centerCoef));
  }
  return { g, loss, params: [...paramShapes(c).keys()] };
}
