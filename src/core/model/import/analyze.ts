// analyzeBackbone: what a user's exported model is, in the terms the reward model needs — which input
// is what, the hidden-state tensor and H, fixed lengths, the block structure, and what can train.
import { canonicalDomain, getInt, GraphBuilder, shapeToString, type NodeProto, type OnnxModel } from '../../onnx';
import { BackboneImportError } from './errors';
import { GraphView, opLabel } from './graphView';
import { findHiddenState } from './hidden';
import { classifyInputs, findEmbeddingLookup } from './inputs';
import { assignBlocks, findParameters } from './params';
import { analyzeTrainability } from './trainability';
import type { BackboneAnalysis, BackboneHints } from './types';

/** Decode-step exports are unrolled up to this many nodes in all. */
const MAX_UNROLLED_NODES = 200_000;

/** A short description of where a model comes from, for messages. */
export function describeSource(model: OnnxModel): string {
  const producer = [model.producerName, model.producerVersion].filter((s) => s).join(' ');
  const graph = model.graph.name ? `graph '${model.graph.name}'` : 'the model';
  return producer ? `${graph} (${producer})` : graph;
}

/** Loads a model into a builder unless it already is one. */
export function asBuilder(source: GraphBuilder | OnnxModel): GraphBuilder {
  return source instanceof GraphBuilder ? source : GraphBuilder.fromModel(source);
}

/**
 * Analyses an exported backbone. Throws BackboneImportError when the graph is not a backbone, when
 * inputs cannot be classified (the message lists them and says how to name them in hints.inputs), or
 * when no hidden state can be found (hints.hiddenState).
 */
export function analyzeBackbone(source: GraphBuilder | OnnxModel, hints: BackboneHints = {}): BackboneAnalysis {
  const g = asBuilder(source);
  const model = source instanceof GraphBuilder ? undefined : source;
  const where = model ? describeSource(model) : `graph '${g.name}'`;
  const view = new GraphView(g);
  const notes: string[] = [];
  const initializers = new Set(g.initializerNames);

  const { inputs, ids, lookup } = classifyInputs(view, where, hints, initializers);
  const idsShape = ids.shape!;
  const hasPast = inputs.some((i) => i.role === 'past');

  // Fixed lengths. A decode-step export (ids [batch, 1] next to a past cache) is run once per token.
  let fixedSeqLen = typeof idsShape[1] === 'number' ? idsShape[1] : undefined;
  const decodeStep = fixedSeqLen === 1 && hasPast;
  const fixedBatch = typeof idsShape[0] === 'number' ? idsShape[0] : undefined;
  const hiddenSizeHint = hints.hiddenSize;
  const fromIds = view.descendants([ids.name]);
  const { choice: hidden, hiddenSize } = findHiddenState({ view, source: where, fromIds, hiddenSize: hiddenSizeHint ?? lookup.width, hint: hints.hiddenState });
  if (hidden.dtype && hidden.dtype !== 'float32') notes.push(`The hidden states are ${hidden.dtype}: the wrapper casts them to float32 for the reward head.`);

  // Everything the hidden state needs, and the embedding lookups that start the residual stream.
  const backbone = view.ancestorNodes([hidden.name]);
  const needed = view.ancestors([hidden.name]);
  const unused = inputs.filter((i) => !needed.has(i.name));
  for (const i of unused) notes.push(`Input '${i.name}' (${i.role}) does not reach the hidden state; the wrapper leaves it out.`);
  const lookups = [...backbone].filter((n) => isLookup(view, n)).sort((a, b) => view.pos(a) - view.pos(b));
  const sources = lookups.map((n) => n.output[0]).filter((o) => o);

  // Causality: said by the hint, a past cache, a causal mask op or table, a unidirectional Attention.
  let causal = hints.causal;
  let causalWhy = 'hints.causal';
  if (causal === undefined) {
    if (hasPast) [causal, causalWhy] = [true, 'it takes a past key/value cache (a decoder)'];
    else if ([...backbone].some((n) => n.opType === 'Trilu')) [causal, causalWhy] = [true, 'it builds a causal mask with Trilu'];
    else if ([...backbone].some((n) => canonicalDomain(n.domain) === 'com.microsoft' && n.opType === 'Attention' && getInt(n, 'unidirectional') === 1)) [causal, causalWhy] = [true, 'its fused Attention is unidirectional'];
    else if (g.initializerNames.some((n) => /(^|[./])attn[._]bias(_resize)?$/.test(n) && needed.has(n))) [causal, causalWhy] = [true, "it slices a causal table ('attn.bias')"];
    else if (inputs.some((i) => i.role === 'token_type_ids')) [causal, causalWhy] = [false, 'it takes token type ids (a BERT-style encoder)'];
    else [causal, causalWhy] = [false, 'nothing in the graph makes it causal (no past cache, Trilu, causal table or unidirectional attention); say hints.causal if it is'];
  }
  notes.push(`Attention is ${causal ? 'causal' : 'bidirectional'}: ${causalWhy}.`);
  for (const i of inputs) if (i.mask?.kind === '4d') i.mask.causal = causal;
  if (!inputs.some((i) => i.role === 'attention_mask' && needed.has(i.name))) {
    notes.push(
      causal
        ? 'The export takes no attention mask; with causal attention and right padding, padding never changes the hidden states at real positions.'
        : 'The export takes no attention mask: real tokens attend to padding, so hidden states depend on how much padding a batch has.',
    );
  }

  const maxSeqLen = longestSequence(view, inputs, lookups, lookup.table, decodeStep ? undefined : fixedSeqLen);
  let stepwise: BackboneAnalysis['stepwise'];
  if (decodeStep) {
    const steps = hints.decodeSteps ?? maxSeqLen;
    if (steps === undefined || !Number.isInteger(steps) || steps < 1) {
      throw new BackboneImportError('unsupported', `${where} is a decode-step export ('${ids.name}' is ${shapeToString(idsShape)} next to a past cache): give hints.decodeSteps, the number of tokens to unroll it over (no position table says how many it can take)`);
    }
    const stepNodes = view.ancestorNodes([...view.g.outputs.map((o) => o.name)]).size;
    if (steps * stepNodes > MAX_UNROLLED_NODES) {
      throw new BackboneImportError(
        'unsupported',
        `${where} is a decode-step export ('${ids.name}' is ${shapeToString(idsShape)} next to a past cache): running it token by token for ${steps} tokens would unroll ${steps} copies of its ${stepNodes} nodes. ` +
          `Give hints.decodeSteps ≤ ${Math.max(1, Math.floor(MAX_UNROLLED_NODES / stepNodes))}, or re-export the model for whole sequences (without the past cache).`,
      );
    }
    stepwise = { steps, presents: matchPresents(view, inputs, where) };
    fixedSeqLen = steps;
    notes.push(
      `'${ids.name}' is declared ${shapeToString(idsShape)} next to a past cache: a decode-step export${lastTokenOnly(view, ids.name) ? ' that keeps only the last token of its input (Slice [-1:])' : ''}. ` +
        `The wrapper runs it once per token for ${steps} tokens${hints.decodeSteps === undefined ? ' (the longest sequence its position table takes)' : ''}, each step's present cache feeding the next step's past.`,
    );
  }
  if (fixedSeqLen !== undefined) notes.push(`The sequence length is fixed at ${fixedSeqLen}: the trainer pads or truncates to it; the wrapper pads shorter batches with padding tokens (mask 0) and returns the first seq positions.`);
  if (fixedBatch !== undefined) notes.push(`The export fixes the batch size at ${fixedBatch}: the wrapper pads smaller batches with dummy rows; larger batches cannot run.`);

  const { params, skipped } = findParameters(view, hidden.name, inputs.filter((i) => i.role === 'weight'));
  if (skipped.length) notes.push(`Buffers that are not trained: ${skipped.slice(0, 4).join(', ')}${skipped.length > 4 ? ', …' : ''}.`);
  const blocks = assignBlocks(view, hidden.name, sources, params);
  const trainability = analyzeTrainability(view, hidden.name, params, blocks, backbone);

  return {
    source: where,
    opset: g.opset,
    inputs,
    ids: { name: ids.name, dtype: ids.dtype as 'int32' | 'int64' },
    vocabSize: lookup.rows,
    hidden,
    hiddenSize,
    fixedSeqLen,
    fixedBatch,
    maxSeqLen,
    causal,
    stepwise,
    params,
    blocks,
    trainability,
    notes,
  };
}

function isLookup(view: GraphView, n: NodeProto): boolean {
  const d = canonicalDomain(n.domain);
  if (d === 'com.microsoft' && n.opType === 'EmbedLayerNormalization') return true;
  if (d !== '' || n.opType !== 'Gather') return false;
  const s = view.shape(n.input[0]);
  return view.isFloat(n.input[0]) && s?.length === 2 && !view.isFloat(n.input[1]);
}

/** The longest sequence the export can take: position tables, rotary caches, a fixed mask size. */
function longestSequence(view: GraphView, inputs: BackboneAnalysis['inputs'], lookups: readonly NodeProto[], wordTable: string, fixed: number | undefined): number | undefined {
  const limits: number[] = [];
  if (fixed !== undefined) limits.push(fixed);
  for (const i of inputs) {
    if (i.mask?.kind === '4d' && i.mask.size !== undefined) limits.push(i.mask.size);
    if (i.role === 'position_ids') {
      const l = findEmbeddingLookup(view, i.name, new Set([wordTable]));
      if (l?.rows !== undefined) limits.push(l.rows);
    }
  }
  for (const n of lookups) {
    if (n.opType === 'EmbedLayerNormalization') {
      const s = view.shape(n.input[3]);
      if (typeof s?.[0] === 'number') limits.push(s[0]);
      continue;
    }
    const table = n.input[0];
    if (table === wordTable) continue;
    // A position table: indexed by positions the graph counts (Range) or by its name.
    const counted = [...view.ancestors([n.input[1]])].some((v) => view.producer(v)?.opType === 'Range');
    if (!counted && !/pos|wpe/i.test(table)) continue;
    const rows = view.shape(table)?.[0];
    if (typeof rows === 'number') limits.push(rows);
  }
  for (const n of view.order) {
    if (opLabel(n) !== 'com.microsoft::RotaryEmbedding') continue;
    const rows = view.shape(n.input[2])?.[0];
    if (typeof rows === 'number') limits.push(rows);
  }
  return limits.length ? Math.min(...limits) : undefined;
}


/** For each past input, the output that continues it (past_3 → present_3, past_key_values.0.key → present.0.key). */
function matchPresents(view: GraphView, inputs: BackboneAnalysis['inputs'], where: string): Record<string, string> {
  const outputs = view.g.outputs.map((o) => o.name);
  const out: Record<string, string> = {};
  for (const i of inputs) {
    if (i.role !== 'past') continue;
    const candidates = [i.name.replace(/^past_key_values/, 'present'), i.name.replace(/past/, 'present'), i.name.replace(/past/i, 'present')];
    const hit = candidates.find((c) => outputs.includes(c));
    if (!hit) {
      throw new BackboneImportError('unsupported', `${where} is a decode-step export, but no output continues its past input '${i.name}' (looked for ${[...new Set(candidates)].join(', ')}): it cannot be run token by token`, [i.name]);
    }
    out[i.name] = hit;
  }
  return out;
}

/** Whether the ids go through a Slice that keeps the last position only. */
function lastTokenOnly(view: GraphView, ids: string): boolean {
  return view.consumers(ids).some((c) => c.opType === 'Slice' && view.g.knownValue(c.input[1] ?? '')?.[0] === -1);
}
