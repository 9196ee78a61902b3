// The backbone's parameters and its block structure, so that "train the top N blocks" means something.
//
// Parameters: float initializers (and weight inputs) with a float data path to the hidden state,
// minus buffers (rotary frequencies and caches, causal-mask tables) and exporter constants.
// Blocks, from names first (h.N, layer.N, layers.N, layer_._N, blocks.N, p_model_layers_N_...), and from
// the graph where names are opaque (onnx::MatMul_123, 302, input4): one attention op (Softmax, or a
// fused Attention) per block; the boundary between blocks is the residual-stream value that every
// path into the next attention passes through and that also skips around it (the residual
// connection); parameters are placed by the first value where they meet the activations.
import { elementCount, tensorToArray, type TensorProto } from '../../onnx';
import type { GraphView } from './graphView';
import type { BackboneParam, BlockStructure, ImportedInput } from './types';

/** Buffers by name: rotary tables, GPT-2's causal-mask table, masked_bias. */
const BUFFER_NAME = /(inv_freq|cos_cache|sin_cache|cos_cached|sin_cached|rotary_emb|masked_bias|(^|[./])attn[._]bias(_resize)?$|(^|[._/])(causal_)?mask(_cache)?$)/i;
/** Exporter-generated names that say nothing about the model. */
const OPAQUE_NAME = /^(\d+|onnx::.*|init\d*_.*|_onx_.*|const(ant)?_?\d*.*|.*_output_\d+|[a-z]+\d+)$/i;

const EMBEDDING_NAME = /(embed|(^|[._/])wte([._/]|$)|(^|[._/])wpe([._/]|$)|word_embeddings|position_embeddings|token_type_embeddings|tok_embeddings|embeddings)/i;
const FINAL_NORM_NAME = /((^|[._/])ln_f([._/]|$)|final_layer_?norm|final_norm|(^|[._/])norm_f([._/]|$)|(^|[._/])model[._]norm[._]|^norm[._])/i;
const BLOCK_NAME = /(?:^|[./_])(?:h|layers?|blocks?|block)(?:\.|_|_\._)(\d+)(?=[./_:]|$)/i;

/** What a parameter's name says about its place, when it says anything. */
export function partFromName(name: string): { part: 'embedding' | 'final-norm' | 'block'; block?: number } | undefined {
  if (FINAL_NORM_NAME.test(name)) return { part: 'final-norm' };
  const m = BLOCK_NAME.exec(name);
  if (m) return { part: 'block', block: Number(m[1]) };
  if (EMBEDDING_NAME.test(name)) return { part: 'embedding' };
  return undefined;
}

/** Ops a weight passes through before it meets the activations (fp16 casts, transposes). */
const WEIGHT_PREP = new Set(['Cast', 'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Identity', 'Expand', 'Flatten']);
const LINEAR = new Set(['MatMul', 'Gemm', 'Gather', 'Conv', 'FusedMatMul', 'EmbedLayerNormalization']);

/** Whether a weight reaches a linear op (MatMul, Gemm, Gather table) through preparation ops only. */
function feedsLinear(view: GraphView, name: string): boolean {
  const stack = [name];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const c of view.consumers(v)) {
      if (LINEAR.has(c.opType)) return true;
      if (WEIGHT_PREP.has(c.opType) && c.input[0] === v && c.output[0]) stack.push(c.output[0]);
    }
  }
  return false;
}

/** A lower-triangular table of ones in its last two (square) dims: a causal-mask buffer. */
function isCausalTable(t: TensorProto | undefined): boolean {
  const n = t?.dims[t.dims.length - 1];
  if (!t || n === undefined || t.dims.length < 2 || t.dims[t.dims.length - 2] !== n || elementCount(t.dims) > 1 << 22) return false;
  try {
    const a = tensorToArray(t) as ArrayLike<number>;
    for (let k = 0; k < a.length; k++) {
      const i = Math.floor(k / n) % n;
      if (a[k] !== (k % n <= i ? 1 : 0)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether every float path from `name` to `hidden` passes through Cos or Sin (rotary frequencies). */
function onlyThroughTrig(view: GraphView, name: string, hidden: string, trig: ReadonlySet<string>): boolean {
  if (!trig.size) return false;
  return !view.descendants([name], { floatOnly: true, stopAt: trig }).has(hidden);
}

/** The backbone's parameters (float, on a float path to the hidden state), not yet placed in blocks. */
export function findParameters(view: GraphView, hidden: string, weightInputs: readonly ImportedInput[]): { params: BackboneParam[]; skipped: string[] } {
  const g = view.g;
  const toHidden = view.ancestors([hidden], { floatOnly: true });
  const params: BackboneParam[] = [];
  const skipped: string[] = [];
  const trig = new Set(view.order.filter((n) => n.opType === 'Cos' || n.opType === 'Sin').flatMap((n) => n.output.filter((o) => o)));
  const candidates: { name: string; source: 'initializer' | 'input' }[] = [
    ...g.initializerNames.map((name) => ({ name, source: 'initializer' as const })),
    ...weightInputs.map((i) => ({ name: i.name, source: 'input' as const })),
  ];
  for (const { name, source } of candidates) {
    const v = g.value(name);
    if (!view.isFloat(name) || !v.shape || !toHidden.has(name)) continue;
    const shape = v.shape as number[];
    if (elementCount(shape) <= 1) continue; // scalars: epsilons, scales, exponents
    const opaque = OPAQUE_NAME.test(name);
    const init = g.getInitializer(name);
    if (BUFFER_NAME.test(name) || isCausalTable(init) || onlyThroughTrig(view, name, hidden, trig)) {
      skipped.push(name);
      continue;
    }
    // Exporter constants have opaque names and are not matrices fed to a linear op (weights are).
    if (source === 'initializer' && opaque && (shape.length < 2 || !feedsLinear(view, name))) continue;
    params.push({ name, dtype: v.dtype!, shape, source, part: 'unassigned' });
  }
  return { params, skipped };
}

const ATTENTION = new Set(['Softmax', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention', 'DecoderMaskedMultiHeadAttention', 'PackedMultiHeadAttention']);
const TRANSPARENT = new Set(['Cast', 'Reshape', 'Identity', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten']);

interface Segmentation {
  count: number;
  /** Residual-stream boundaries: x[0] after the embeddings, x[k] the input of block k, x[count] the end of the last block. */
  boundaries: string[];
  reason: string;
}

/**
 * Blocks from the graph: one attention op each; boundaries are residual-stream values.
 * `sources` are the embedding lookups' outputs.
 */
export function segmentBlocks(view: GraphView, hidden: string, sources: readonly string[]): Segmentation | { count: 0; reason: string } {
  const toHidden = view.ancestors([hidden], { floatOnly: true });
  const anchors = view.order.filter((n) => ATTENTION.has(n.opType) && n.output[0] && toHidden.has(n.output[0])).map((n) => n.output[0]);
  if (!anchors.length) return { count: 0, reason: 'no attention op (Softmax or a fused Attention) lies on the path to the hidden state, so there are no blocks to find' };
  const fromSources = view.descendants(sources, { floatOnly: true });
  const boundaries: string[] = [];
  for (let k = 0; k < anchors.length; k++) {
    const from = k === 0 ? sources : [anchors[k - 1]];
    const after = view.descendants([anchors[k]], { floatOnly: true });
    const x = latestDominator(view, from, anchors[k], (d) => skipsAround(view, d, after));
    if (!x) return { count: 0, reason: `could not find the residual stream entering attention ${k + 1} ('${anchors[k]}')` };
    boundaries.push(x);
  }
  // Pre-LN (GPT, LLaMA): the stream entering block 0 is the raw embedding sum, and a final norm
  // follows the last residual add. Post-LN (BERT): the stream is normalized inside the blocks.
  const firstSeg = new Set([...view.ancestors([boundaries[0]], { floatOnly: true })].filter((v) => fromSources.has(v)));
  const postLn = view.order.some((n) => n.opType === 'ReduceMean' && n.output[0] && firstSeg.has(n.output[0]));
  let end = hidden;
  if (!postLn) {
    const last = anchors[anchors.length - 1];
    const afterLast = view.descendants([last], { floatOnly: true });
    const residualAdd = (d: string): boolean => {
      const a = view.back(d, TRANSPARENT);
      const p = view.producer(a);
      return !!p && (p.opType === 'Add' || p.opType === 'Sum') && p.input.filter((i) => afterLast.has(i)).length >= 2;
    };
    end = latestDominator(view, [last], hidden, residualAdd, true) ?? hidden;
  }
  boundaries.push(end);
  const kind = postLn ? 'post-norm (BERT-style: the norms sit inside the blocks)' : 'pre-norm (GPT/LLaMA-style: a final norm after the last residual add)';
  return {
    count: anchors.length,
    boundaries,
    reason: `${anchors.length} attention op${anchors.length === 1 ? '' : 's'} (${view.producer(anchors[0])!.opType}) on the path to the hidden state, one per block; ${kind}; block k starts at the residual-stream value that every path into its attention passes through and that skips around it`,
  };
}

/** Whether d (or what it is reshaped/cast to) meets a value computed after the attention in one node: the residual add. */
function skipsAround(view: GraphView, d: string, afterAttention: ReadonlySet<string>): boolean {
  const stack = [d];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const c of view.consumers(v)) {
      if (c.input.some((i) => i !== v && afterAttention.has(i))) return true;
      if (TRANSPARENT.has(c.opType) && c.output[0]) stack.push(c.output[0]);
    }
  }
  return false;
}

/**
 * The topologically latest value that every float path from `from` to `to` passes through and that
 * satisfies `ok`. With includeTarget, `to` itself is a candidate.
 */
function latestDominator(view: GraphView, from: readonly string[], to: string, ok: (d: string) => boolean, includeTarget = false): string | undefined {
  const down = view.descendants(from, { floatOnly: true });
  const up = view.ancestors([to], { floatOnly: true });
  const seg = new Set([...down].filter((v) => up.has(v)));
  if (!seg.has(to)) return undefined;
  const candidates = [...seg].filter((v) => (includeTarget || v !== to) && (from.length === 1 || !from.includes(v)));
  candidates.sort((a, b) => view.valuePos(b) - view.valuePos(a));
  for (const d of candidates) {
    if (!ok(d)) continue;
    if (d === to || from.includes(d) || !reaches(view, from, to, seg, d)) return d;
  }
  return undefined;
}

/** Whether `to` is reachable from `from` inside `seg` without passing through `avoid`. */
function reaches(view: GraphView, from: readonly string[], to: string, seg: ReadonlySet<string>, avoid: string): boolean {
  const seen = new Set<string>([avoid]);
  const stack = from.filter((f) => f !== avoid);
  while (stack.length) {
    const v = stack.pop()!;
    if (v === to) return true;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const c of view.consumers(v)) for (const o of c.output) if (o && seg.has(o) && !seen.has(o)) stack.push(o);
  }
  return false;
}

/** The first value where a parameter meets the activations (its first consumer that also reads data). */
function meetingPoint(view: GraphView, param: string, activations: ReadonlySet<string>): string | undefined {
  const reach = view.descendants([param], { floatOnly: true });
  let best: string | undefined;
  let bestPos = Infinity;
  for (const v of reach) {
    if (v === param || !activations.has(v)) continue;
    const p = view.valuePos(v);
    if (p < bestPos) {
      best = v;
      bestPos = p;
    }
  }
  return best;
}

/** Places every parameter: names first, the graph's segmentation for opaque names. */
export function assignBlocks(view: GraphView, hidden: string, sources: readonly string[], params: BackboneParam[]): BlockStructure {
  let maxBlock = -1;
  for (const p of params) {
    const n = partFromName(p.name);
    if (!n) continue;
    p.part = n.part;
    if (n.block !== undefined) {
      p.block = n.block;
      maxBlock = Math.max(maxBlock, n.block);
    }
  }
  const needStructure = params.some((p) => p.part === 'unassigned') || maxBlock < 0;
  let seg: ReturnType<typeof segmentBlocks> | undefined;
  let byStructure = 0;
  if (needStructure) {
    seg = segmentBlocks(view, hidden, sources);
    if (seg.count > 0 && 'boundaries' in seg) {
      const activations = view.descendants(sources, { floatOnly: true });
      const boundaries = seg.boundaries;
      const after = boundaries.map((x) => view.descendants([x], { floatOnly: true }));
      for (const p of params) {
        if (p.part !== 'unassigned') continue;
        const meet = meetingPoint(view, p.name, activations);
        if (!meet) continue;
        // The last boundary the meeting point lies strictly after.
        let k = -1;
        after.forEach((set, i) => {
          if (set.has(meet) && meet !== boundaries[i]) k = i;
        });
        if (k < 0) p.part = 'embedding';
        else if (k >= seg.count) p.part = 'final-norm';
        else {
          p.part = 'block';
          p.block = maxBlock >= 0 ? Math.min(k, maxBlock) : k;
        }
        byStructure++;
      }
    }
  }
  const count = maxBlock >= 0 ? maxBlock + 1 : seg && seg.count > 0 ? seg.count : 0;
  const blocks: string[][] = Array.from({ length: count }, () => []);
  const structure: BlockStructure = { count, method: 'none', embeddings: [], blocks, finalNorm: [], unassigned: [], reason: '' };
  for (const p of params) {
    if (p.part === 'block' && p.block !== undefined && p.block < count) blocks[p.block].push(p.name);
    else if (p.part === 'embedding') structure.embeddings.push(p.name);
    else if (p.part === 'final-norm') structure.finalNorm.push(p.name);
    else {
      p.part = 'unassigned';
      delete p.block;
      structure.unassigned.push(p.name);
    }
  }
  if (maxBlock >= 0) {
    structure.method = byStructure ? 'names+structure' : 'names';
    structure.reason =
      `${count} block${count === 1 ? '' : 's'} from parameter names (${sampleBlockName(params)})` +
      (byStructure ? `; ${byStructure} parameter${byStructure === 1 ? '' : 's'} with opaque names placed by the graph (${seg && 'boundaries' in seg ? seg.reason : ''})` : '');
  } else if (seg && seg.count > 0) {
    structure.method = 'structure';
    structure.reason = `parameter names say nothing about blocks; ${seg.reason}`;
  } else {
    structure.reason = `no blocks: parameter names say nothing about blocks and ${seg?.reason ?? 'the graph could not be segmented'}`;
  }
  if (structure.unassigned.length) structure.reason += `; ${structure.unassigned.length} parameter(s) could not be placed (${structure.unassigned.slice(0, 3).join(', ')})`;
  return structure;
}

function sampleBlockName(params: readonly BackboneParam[]): string {
  const p = params.find((x) => x.part === 'block' && BLOCK_NAME.test(x.name));
  return p ? `e.g. '${p.name}' → block ${p.block}` : '';
}
