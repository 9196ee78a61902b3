// Which value holds the hidden states [batch, seq, H]. In order: the hint; an output with a
// conventional name (last_hidden_state, last_state, hidden_states, output_0); another [batch, seq, H]
// output; the input of the final LM-head MatMul/Gemm that makes logits [batch, seq, V]; for
// classifier/QA/pretraining exports, the last [batch, seq, H] value every head output is computed from
// (the encoder's output before pooling). Every choice comes with the reason in words.
import { shapeToString, type Shape } from '../../onnx';
import { BackboneImportError } from './errors';
import { isFloatType, nodeLabel, opLabel, type GraphView } from './graphView';
import type { HiddenStateChoice } from './types';

const NAMED_OUTPUT = /^(last_hidden_state|last_state|hidden_states?|output_0|encoder_last_hidden_state|sequence_output|last_hidden|hidden)$/i;
/** Outputs that are caches, not results. */
const CACHE_OUTPUT = /(^|[._/])(present|past|key_values|cache)/i;
/** Ops the hidden state passes through on its way into an LM head without changing meaning. */
const RESHAPING = new Set(['Reshape', 'Identity', 'Flatten', 'Cast', 'Squeeze', 'Unsqueeze']);

export interface HiddenSearch {
  view: GraphView;
  source: string;
  /** Values computed from the token ids (anything else cannot be a hidden state). */
  fromIds: ReadonlySet<string>;
  /** H from the embedding table or the hint. */
  hiddenSize: number | undefined;
  hint?: string;
}

const fmt = (s: Shape): string => shapeToString(s);

function rank3WithH(shape: Shape, h: number | undefined): boolean {
  if (!shape || shape.length !== 3) return false;
  return h === undefined || shape[2] === null || shape[2] === h;
}

/** The hidden-state value and H. */
export function findHiddenState(s: HiddenSearch): { choice: HiddenStateChoice; hiddenSize: number } {
  const { view, fromIds } = s;
  const g = view.g;
  const choose = (name: string, rule: HiddenStateChoice['rule'], reason: string, h?: number): { choice: HiddenStateChoice; hiddenSize: number } => {
    const v = g.value(name);
    const last = v.shape?.[2];
    const hiddenSize = h ?? s.hiddenSize ?? (typeof last === 'number' ? last : undefined);
    if (hiddenSize === undefined) {
      throw new BackboneImportError('no-hidden-state', `The hidden state '${name}' has no known size H (${fmt(v.shape)}) and the embedding table does not say it: give hints.hiddenSize`, [name]);
    }
    return { choice: { name, dtype: v.dtype, shape: v.shape, rule, reason }, hiddenSize };
  };

  if (s.hint !== undefined) {
    if (!g.has(s.hint)) {
      const close = g.outputs.map((o) => o.name).slice(0, 8);
      throw new BackboneImportError('bad-hint', `hints.hiddenState names '${s.hint}', which is no value of ${s.source} (its outputs: ${close.join(', ')})`, [s.hint]);
    }
    const v = g.value(s.hint);
    if (!fromIds.has(s.hint)) throw new BackboneImportError('bad-hint', `hints.hiddenState '${s.hint}' is not computed from the token ids`, [s.hint]);
    if ((v.dtype && !isFloatType(v.dtype)) || (v.shape && v.shape.length !== 3)) {
      throw new BackboneImportError('bad-hint', `hints.hiddenState '${s.hint}' is ${v.dtype ?? '?'}${fmt(v.shape)}: the hidden state must be float [batch, seq, H]`, [s.hint]);
    }
    return choose(s.hint, 'hint', `named by hints.hiddenState (${v.dtype ?? '?'}${fmt(v.shape)})`);
  }

  const outputs = g.outputs.filter((o) => fromIds.has(o.name) && (o.dtype === undefined || isFloatType(o.dtype)));
  const named = outputs.find((o) => NAMED_OUTPUT.test(o.name) && rank3WithH(o.shape, s.hiddenSize));
  if (named) {
    return choose(named.name, 'named-output', `the graph output '${named.name}' ${named.dtype}${fmt(named.shape)}: its name says it holds the hidden states`);
  }
  const heads = outputs.filter((o) => !CACHE_OUTPUT.test(o.name));
  const plain = heads.filter((o) => s.hiddenSize !== undefined && o.shape?.length === 3 && o.shape[2] === s.hiddenSize);
  if (plain.length === 1) {
    const o = plain[0];
    return choose(o.name, 'output', `the graph output '${o.name}' ${o.dtype}${fmt(o.shape)} is [batch, seq, H] with H = ${s.hiddenSize}, the embedding width (the only such output besides the caches)`);
  }

  // One logits output [batch, seq, V]: the LM head's input.
  if (heads.length === 1 && heads[0].shape?.length === 3) {
    const lm = lmHeadInput(view, heads[0].name, s.hiddenSize);
    if (lm) {
      return choose(
        lm.hidden,
        'lm-head-input',
        `the input of the final LM-head ${lm.op} '${lm.node}' (weight '${lm.weight}' [${lm.h}, ${lm.v}]) that makes the logits '${heads[0].name}' ${heads[0].dtype}${fmt(heads[0].shape)}`,
        lm.h,
      );
    }
  }

  // Classifier / QA / pretraining heads: the last [batch, seq, H] value every head output comes from.
  const trunk = trunkValue(view, heads.map((o) => o.name), fromIds, s.hiddenSize);
  if (trunk) {
    const v = g.value(trunk);
    const names = heads.map((o) => `'${o.name}' ${o.dtype}${fmt(o.shape)}`).join(', ');
    return choose(
      trunk,
      'trunk',
      `the last [batch, seq, H=${s.hiddenSize}] value (${v.dtype}${fmt(v.shape)}, made by ${describeProducer(view, trunk)}) that every head output (${names}) is computed from: the hidden states before the task heads (pooling, classifier, QA/MLM projections)`,
    );
  }
  for (const o of heads) {
    const lm = lmHeadInput(view, o.name, s.hiddenSize);
    if (lm) return choose(lm.hidden, 'lm-head-input', `the input of the LM-head ${lm.op} '${lm.node}' that makes '${o.name}'`, lm.h);
  }
  const listed = g.outputs.map((o) => `${o.name} ${o.dtype ?? '?'}${fmt(o.shape)}`).join(', ');
  throw new BackboneImportError(
    'no-hidden-state',
    `Cannot find the hidden states [batch, seq, H] in ${s.source}: no output is named like last_hidden_state/last_state/hidden_states/output_0, ` +
      `no LM head makes [batch, seq, vocab] logits, and no [batch, seq, H${s.hiddenSize !== undefined ? '=' + s.hiddenSize : ''}] value feeds all outputs (${listed}). ` +
      `Name the value with hints.hiddenState (and H with hints.hiddenSize).`,
  );
}

function describeProducer(view: GraphView, name: string): string {
  const p = view.producer(name);
  return p ? `${opLabel(p)} '${nodeLabel(p)}'` : 'an input';
}

interface LmHead {
  hidden: string;
  node: string;
  op: string;
  weight: string;
  h: number;
  v: number;
}

/** logits ← [Add bias] ← [Reshape] ← MatMul/Gemm(x, W[H, V]) ← [Reshape] ← hidden [batch, seq, H]. */
function lmHeadInput(view: GraphView, logits: string, hiddenSize: number | undefined): LmHead | undefined {
  let v = logits;
  for (let steps = 0; steps < 6; steps++) {
    const p = view.producer(v);
    if (!p) return undefined;
    if (RESHAPING.has(p.opType)) {
      v = p.input[0];
      continue;
    }
    if (p.opType === 'Add') {
      // A bias: one operand is constant (no producer computed from data).
      const data = p.input.find((i) => view.producer(i) && view.producer(i)!.opType !== 'Constant');
      if (!data || p.input.filter((i) => view.producer(i) && view.producer(i)!.opType !== 'Constant').length !== 1) return undefined;
      v = data;
      continue;
    }
    if (p.opType !== 'MatMul' && p.opType !== 'Gemm') return undefined;
    const w = view.back(p.input[1], new Set(['Transpose', 'Cast', 'Identity']));
    const ws = view.shape(p.input[1]);
    if (!ws || ws.length !== 2) return undefined;
    const transB = p.opType === 'Gemm' && p.attribute.some((a) => a.name === 'transB' && a.i === 1n);
    const [h, vocab] = transB ? [ws[1], ws[0]] : [ws[0], ws[1]];
    if (typeof h !== 'number' || typeof vocab !== 'number') return undefined;
    if (hiddenSize !== undefined && h !== hiddenSize) return undefined;
    let x = p.input[0];
    // Back through the flattening to the [batch, seq, H] value.
    for (let i = 0; i < 4 && view.shape(x)?.length !== 3; i++) {
      const q = view.producer(x);
      if (!q || !RESHAPING.has(q.opType)) break;
      x = q.input[0];
    }
    const xs = view.shape(x);
    if (xs && xs.length !== 3) return undefined;
    return { hidden: x, node: nodeLabel(p), op: p.opType, weight: w, h, v: vocab };
  }
  return undefined;
}

/** The topologically last float [batch, seq, H] value that is a (float-path) ancestor of every head output. */
function trunkValue(view: GraphView, heads: readonly string[], fromIds: ReadonlySet<string>, h: number | undefined): string | undefined {
  if (!heads.length || h === undefined) return undefined;
  let common: Set<string> | undefined;
  for (const o of heads) {
    const a = view.ancestors([o], { floatOnly: true });
    common = common ? new Set([...common].filter((x) => a.has(x))) : a;
  }
  let best: string | undefined;
  let bestPos = -2;
  for (const v of common ?? []) {
    if (!fromIds.has(v) || !view.isFloat(v)) continue;
    const shape = view.shape(v);
    if (!shape || shape.length !== 3 || shape[2] !== h) continue;
    const p = view.valuePos(v);
    if (p > bestPos) {
      best = v;
      bestPos = p;
    }
  }
  return best;
}
