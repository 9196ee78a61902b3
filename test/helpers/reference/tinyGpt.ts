/**
 * An independent float64 reference for the training engine's parity tests: a GPT-2-style decoder
 * (pre-LayerNorm blocks, causal multi-head attention, tanh-GELU MLP, learned positions), a bias-free
 * scalar head read at the last real token, the Bradley–Terry loss with margin and TRL's reward
 * centering, a hand-written backward pass, global-norm clipping and PyTorch-semantics AdamW.
 *
 * Written from the equations, sharing no code with src/: if the ONNX graphs and this file agree, both
 * are very likely right. Each sequence is processed on its real tokens only (0..last): with causal
 * attention nothing after the last real token can reach it, so this also checks the engine's padding.
 */

export interface TinyGptConfig {
  vocab: number;
  dModel: number;
  nHeads: number;
  nLayers: number;
  maxLen: number;
  /** LayerNorm epsilon. */
  eps?: number;
}

/** Parameters by name (row-major float64). Names follow the engine's built-in backbone. */
export type Params = Map<string, Float64Array>;

export function paramShapes(c: TinyGptConfig): Map<string, number[]> {
  const D = c.dModel;
  const s = new Map<string, number[]>();
  s.set('wte', [c.vocab, D]);
  s.set('wpe', [c.maxLen, D]);
  for (let l = 0; l < c.nLayers; l++) {
    const p = `h${l}.`;
    s.set(p + 'ln1.g', [D]);
    s.set(p + 'ln1.b', [D]);
    s.set(p + 'attn.wqkv', [D, 3 * D]);
    s.set(p + 'attn.bqkv', [3 * D]);
    s.set(p + 'attn.wo', [D, D]);
    s.set(p + 'attn.bo', [D]);
    s.set(p + 'ln2.g', [D]);
    s.set(p + 'ln2.b', [D]);
    s.set(p + 'mlp.w1', [D, 4 * D]);
    s.set(p + 'mlp.b1', [4 * D]);
    s.set(p + 'mlp.w2', [4 * D, D]);
    s.set(p + 'mlp.b2', [D]);
  }
  s.set('lnf.g', [D]);
  s.set('lnf.b', [D]);
  s.set('head.w', [D]);
  return s;
}

/** Seeded small random init (norm gains 1, biases 0, head 0 as the design documents require). */
export function initParams(c: TinyGptConfig, rand: () => number, scale = 0.1): Params {
  const params: Params = new Map();
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float64Array(n);
    if (name.endsWith('.g')) a.fill(1);
    else if (name === 'head.w' || /\.b(qkv|o|1|2)?$/.test(name) || name.endsWith('ln1.b') || name.endsWith('ln2.b') || name === 'lnf.b') a.fill(0);
    else for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
    params.set(name, a);
  }
  return params;
}

const GELU_C = Math.sqrt(2 / Math.PI);

function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

function geluGrad(x: number): number {
  const t = Math.tanh(GELU_C * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
}

/** y[T,N] = x[T,K] · w[K,N] + b[N] */
function linear(x: Float64Array, T: number, K: number, w: Float64Array, b: Float64Array | undefined, N: number): Float64Array {
  const y = new Float64Array(T * N);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) y[t * N + n] = b ? b[n] : 0;
    for (let k = 0; k < K; k++) {
      const xv = x[t * K + k];
      if (xv === 0) continue;
      const wo = k * N;
      const yo = t * N;
      for (let n = 0; n < N; n++) y[yo + n] += xv * w[wo + n];
    }
  }
  return y;
}

/** Backward of linear: accumulates dw, db; returns dx. */
function linearBack(dy: Float64Array, x: Float64Array, T: number, K: number, w: Float64Array, N: number, dw: Float64Array, db: Float64Array | undefined): Float64Array {
  const dx = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      const xv = x[t * K + k];
      for (let n = 0; n < N; n++) {
        const g = dy[t * N + n];
        s += g * w[k * N + n];
        dw[k * N + n] += xv * g;
      }
      dx[t * K + k] = s;
    }
    if (db) for (let n = 0; n < N; n++) db[n] += dy[t * N + n];
  }
  return dx;
}

interface LnCache {
  xhat: Float64Array;
  rstd: Float64Array;
}

function layerNorm(x: Float64Array, T: number, D: number, g: Float64Array, b: Float64Array, eps: number): { y: Float64Array; cache: LnCache } {
  const y = new Float64Array(T * D);
  const xhat = new Float64Array(T * D);
  const rstd = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let mu = 0;
    for (let d = 0; d < D; d++) mu += x[t * D + d];
    mu /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[t * D + d] - mu) ** 2;
    v /= D;
    const r = 1 / Math.sqrt(v + eps);
    rstd[t] = r;
    for (let d = 0; d < D; d++) {
      const h = (x[t * D + d] - mu) * r;
      xhat[t * D + d] = h;
      y[t * D + d] = h * g[d] + b[d];
    }
  }
  return { y, cache: { xhat, rstd } };
}

function layerNormBack(dy: Float64Array, cache: LnCache, T: number, D: number, g: Float64Array, dg: Float64Array, db: Float64Array): Float64Array {
  const dx = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let meanDh = 0;
    let meanDhX = 0;
    for (let d = 0; d < D; d++) {
      const i = t * D + d;
      const dh = dy[i] * g[d];
      dg[d] += dy[i] * cache.xhat[i];
      db[d] += dy[i];
      meanDh += dh;
      meanDhX += dh * cache.xhat[i];
    }
    meanDh /= D;
    meanDhX /= D;
    for (let d = 0; d < D; d++) {
      const i = t * D + d;
      dx[i] = cache.rstd[t] * (dy[i] * g[d] - meanDh - cache.xhat[i] * meanDhX);
    }
  }
  return dx;
}

interface BlockCache {
  x: Float64Array;
  ln1: LnCache;
  a1: Float64Array;
  qkv: Float64Array;
  probs: Float64Array[]; // per head [T,T]
  attnOut: Float64Array; // concat heads [T,D]
  h: Float64Array;
  ln2: LnCache;
  a2: Float64Array;
  pre: Float64Array; // [T,4D]
  act: Float64Array;
}

function get(params: Params, name: string): Float64Array {
  const p = params.get(name);
  if (!p) throw new Error(`reference: no parameter ${name}`);
  return p;
}

function block(params: Params, c: TinyGptConfig, l: number, x: Float64Array, T: number): { y: Float64Array; cache: BlockCache } {
  const D = c.dModel;
  const H = c.nHeads;
  const dh = D / H;
  const p = `h${l}.`;
  const eps = c.eps ?? 1e-5;
  const { y: a1, cache: ln1 } = layerNorm(x, T, D, get(params, p + 'ln1.g'), get(params, p + 'ln1.b'), eps);
  const qkv = linear(a1, T, D, get(params, p + 'attn.wqkv'), get(params, p + 'attn.bqkv'), 3 * D);
  const attnOut = new Float64Array(T * D);
  const probs: Float64Array[] = [];
  const scale = 1 / Math.sqrt(dh);
  for (let hd = 0; hd < H; hd++) {
    const P = new Float64Array(T * T);
    for (let i = 0; i < T; i++) {
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let e = 0; e < dh; e++) s += qkv[i * 3 * D + hd * dh + e] * qkv[j * 3 * D + D + hd * dh + e];
        s *= scale;
        P[i * T + j] = s;
        if (s > max) max = s;
      }
      let z = 0;
      for (let j = 0; j <= i; j++) {
        const e = Math.exp(P[i * T + j] - max);
        P[i * T + j] = e;
        z += e;
      }
      for (let j = 0; j <= i; j++) P[i * T + j] /= z;
      for (let e = 0; e < dh; e++) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += P[i * T + j] * qkv[j * 3 * D + 2 * D + hd * dh + e];
        attnOut[i * D + hd * dh + e] = s;
      }
    }
    probs.push(P);
  }
  const proj = linear(attnOut, T, D, get(params, p + 'attn.wo'), get(params, p + 'attn.bo'), D);
  const h = new Float64Array(T * D);
  for (let i = 0; i < T * D; i++) h[i] = x[i] + proj[i];
  const { y: a2, cache: ln2 } = layerNorm(h, T, D, get(params, p + 'ln2.g'), get(params, p + 'ln2.b'), eps);
  const pre = linear(a2, T, D, get(params, p + 'mlp.w1'), get(params, p + 'mlp.b1'), 4 * D);
  const act = pre.map(gelu);
  const out = linear(act, T, 4 * D, get(params, p + 'mlp.w2'), get(params, p + 'mlp.b2'), D);
  const y = new Float64Array(T * D);
  for (let i = 0; i < T * D; i++) y[i] = h[i] + out[i];
  return { y, cache: { x, ln1, a1, qkv, probs, attnOut, h, ln2, a2, pre, act } };
}

function blockBack(params: Params, grads: Params, c: TinyGptConfig, l: number, dy: Float64Array, T: number, k: BlockCache): Float64Array {
  const D = c.dModel;
  const H = c.nHeads;
  const dh = D / H;
  const p = `h${l}.`;
  const g = (n: string): Float64Array => get(grads, p + n);
  // y = h + mlp(ln2(h))
  const dAct = linearBack(dy, k.act, T, 4 * D, get(params, p + 'mlp.w2'), D, g('mlp.w2'), g('mlp.b2'));
  const dPre = dAct.map((v, i) => v * geluGrad(k.pre[i]));
  const dA2 = linearBack(dPre, k.a2, T, D, get(params, p + 'mlp.w1'), 4 * D, g('mlp.w1'), g('mlp.b1'));
  const dH = layerNormBack(dA2, k.ln2, T, D, get(params, p + 'ln2.g'), g('ln2.g'), g('ln2.b'));
  for (let i = 0; i < T * D; i++) dH[i] += dy[i];
  // h = x + attn(ln1(x))
  const dAttnOut = linearBack(dH, k.attnOut, T, D, get(params, p + 'attn.wo'), D, g('attn.wo'), g('attn.bo'));
  const dQkv = new Float64Array(T * 3 * D);
  const scale = 1 / Math.sqrt(dh);
  for (let hd = 0; hd < H; hd++) {
    const P = k.probs[hd];
    for (let i = 0; i < T; i++) {
      // dP[i,j] = dOut[i]·v[j]; dS = P ⊙ (dP − Σ_j P dP)
      const dP = new Float64Array(i + 1);
      let dot = 0;
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let e = 0; e < dh; e++) s += dAttnOut[i * D + hd * dh + e] * k.qkv[j * 3 * D + 2 * D + hd * dh + e];
        dP[j] = s;
        dot += s * P[i * T + j];
      }
      for (let j = 0; j <= i; j++) {
        const pij = P[i * T + j];
        const dS = pij * (dP[j] - dot) * scale;
        for (let e = 0; e < dh; e++) {
          // dv[j] += P[i,j] dOut[i]; dq[i] += dS k[j]; dk[j] += dS q[i]
          dQkv[j * 3 * D + 2 * D + hd * dh + e] += pij * dAttnOut[i * D + hd * dh + e];
          dQkv[i * 3 * D + hd * dh + e] += dS * k.qkv[j * 3 * D + D + hd * dh + e];
          dQkv[j * 3 * D + D + hd * dh + e] += dS * k.qkv[i * 3 * D + hd * dh + e];
        }
      }
    }
  }
  const dA1 = linearBack(dQkv, k.a1, T, D, get(params, p + 'attn.wqkv'), 3 * D, g('attn.wqkv'), g('attn.bqkv'));
  const dX = layerNormBack(dA1, k.ln1, T, D, get(params, p + 'ln1.g'), g('ln1.g'), g('ln1.b'));
  for (let i = 0; i < T * D; i++) dX[i] += dH[i];
  return dX;
}

/** Reward of one sequence (its real tokens only) and, with `dReward`, the gradients it contributes. */
function sequence(params: Params, c: TinyGptConfig, ids: ArrayLike<number>, grads?: Params, dReward?: number): number {
  const T = ids.length;
  const D = c.dModel;
  if (T > c.maxLen) throw new Error(`reference: sequence of ${T} tokens is longer than maxLen ${c.maxLen}`);
  const wte = get(params, 'wte');
  const wpe = get(params, 'wpe');
  let x: Float64Array = new Float64Array(T * D);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) x[t * D + d] = wte[ids[t] * D + d] + wpe[t * D + d];
  const caches: BlockCache[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const r = block(params, c, l, x, T);
    caches.push(r.cache);
    x = r.y;
  }
  const { y: f, cache: lnf } = layerNorm(x, T, D, get(params, 'lnf.g'), get(params, 'lnf.b'), c.eps ?? 1e-5);
  const w = get(params, 'head.w');
  const last = (T - 1) * D;
  let reward = 0;
  for (let d = 0; d < D; d++) reward += w[d] * f[last + d];
  if (grads && dReward !== undefined && dReward !== 0) {
    const dF = new Float64Array(T * D);
    const dw = get(grads, 'head.w');
    for (let d = 0; d < D; d++) {
      dw[d] += dReward * f[last + d];
      dF[last + d] = dReward * w[d];
    }
    let dX = layerNormBack(dF, lnf, T, D, get(params, 'lnf.g'), get(grads, 'lnf.g'), get(grads, 'lnf.b'));
    for (let l = c.nLayers - 1; l >= 0; l--) dX = blockBack(params, grads, c, l, dX, T, caches[l]);
    const dwte = get(grads, 'wte');
    const dwpe = get(grads, 'wpe');
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        dwte[ids[t] * D + d] += dX[t * D + d];
        dwpe[t * D + d] += dX[t * D + d];
      }
    }
  }
  return reward;
}

export function reward(params: Params, c: TinyGptConfig, ids: ArrayLike<number>): number {
  return sequence(params, c, ids);
}

/** One preference pair: token ids of prompt+response for each side (real tokens only, no padding). */
export interface RefPair {
  chosen: number[];
  rejected: number[];
  margin?: number;
}

export interface LossOptions {
  /** TRL's center_rewards_coefficient: adds coef · mean((r_c + r_r)²). */
  centerCoef?: number;
  useMargin?: boolean;
}

export function zeroGrads(params: Params): Params {
  const g: Params = new Map();
  for (const [n, p] of params) g.set(n, new Float64Array(p.length));
  return g;
}

/** Mean Bradley–Terry loss −log σ(r_c − r_r − m) (+ centering) over the batch, with its gradients. */
export function lossAndGrads(params: Params, c: TinyGptConfig, batch: RefPair[], opts: LossOptions = {}): { loss: number; grads: Params; rewardsChosen: number[]; rewardsRejected: number[] } {
  const B = batch.length;
  const rc = batch.map((p) => reward(params, c, p.chosen));
  const rr = batch.map((p) => reward(params, c, p.rejected));
  const coef = opts.centerCoef ?? 0;
  let loss = 0;
  const dc: number[] = [];
  const dr: number[] = [];
  for (let i = 0; i < B; i++) {
    const z = rc[i] - rr[i] - (opts.useMargin ? (batch[i].margin ?? 0) : 0);
    // −log σ(z) = softplus(−z), computed stably.
    loss += z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
    const sig = 1 / (1 + Math.exp(-z));
    const dz = (sig - 1) / B;
    const dCenter = coef ? (2 * coef * (rc[i] + rr[i])) / B : 0;
    dc.push(dz + dCenter);
    dr.push(-dz + dCenter);
    loss += coef * (rc[i] + rr[i]) ** 2; // the mean over the batch is taken below
  }
  loss /= B;
  const grads = zeroGrads(params);
  for (let i = 0; i < B; i++) {
    sequence(params, c, batch[i].chosen, grads, dc[i]);
    sequence(params, c, batch[i].rejected, grads, dr[i]);
  }
  return { loss, grads, rewardsChosen: rc, rewardsRejected: rr };
}

export interface AdamWHyper {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Parameters weight decay applies to (PyTorch param groups); others get none. */
  decay: (name: string) => boolean;
  /** Global-norm clipping threshold (PyTorch clip_grad_norm_); undefined = none. */
  maxGradNorm?: number;
}

export interface AdamWState {
  step: number;
  m: Params;
  v: Params;
}

export function adamwInit(params: Params): AdamWState {
  return { step: 0, m: zeroGrads(params), v: zeroGrads(params) };
}

/** Global L2 norm of the gradients. */
export function gradNorm(grads: Params, names?: Iterable<string>): number {
  let s = 0;
  for (const n of names ?? grads.keys()) for (const g of get(grads, n)) s += g * g;
  return Math.sqrt(s);
}

/**
 * One AdamW step, in place, exactly as torch.optim.AdamW (decoupled decay applied first, bias
 * correction, eps outside the square root), after torch.nn.utils.clip_grad_norm_ (coef =
 * max_norm / (norm + 1e-6), clamped to 1). Only `trainable` parameters move.
 */
export function adamwStep(params: Params, grads: Params, state: AdamWState, hp: AdamWHyper, trainable: Iterable<string> = params.keys()): { gradNorm: number } {
  const names = [...trainable];
  const norm = gradNorm(grads, names);
  const clip = hp.maxGradNorm === undefined ? 1 : Math.min(1, hp.maxGradNorm / (norm + 1e-6));
  const b1 = hp.beta1 ?? 0.9;
  const b2 = hp.beta2 ?? 0.999;
  const eps = hp.eps ?? 1e-8;
  const wd = hp.weightDecay ?? 0;
  state.step++;
  const bc1 = 1 - b1 ** state.step;
  const bc2 = 1 - b2 ** state.step;
  for (const n of names) {
    const p = get(params, n);
    const g = get(grads, n);
    const m = get(state.m, n);
    const v = get(state.v, n);
    const decay = hp.decay(n) ? wd : 0;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] * clip;
      p[i] *= 1 - hp.lr * decay;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] -= (hp.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps));
    }
  }
  return { gradNorm: norm };
}

/** Learning rate at `step` (0-based): linear warmup, then linear or cosine decay to 0 (as HF schedulers). */
export function scheduledLr(base: number, step: number, warmup: number, total: number, kind: 'linear' | 'cosine' | 'constant'): number {
  if (step < warmup) return (base * step) / Math.max(1, warmup);
  if (kind === 'constant') return base;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  if (kind === 'linear') return base * Math.max(0, 1 - progress);
  return base * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
