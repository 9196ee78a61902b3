// buildImportedBackbone: the user's export as a backbone with the standard signature
//   input_ids int64 [batch, seq], attention_mask int64 [batch, seq]  →  hidden float32 [batch, seq, H]
// in a new GraphBuilder the reward head and the training step are then added to.
//
// The graph: an adapter (scope 'adapter/') that makes what the export wants from the two inputs —
// int32 casts, padding to fixed lengths, the mask in the export's form (2-D, or Megatron's float
// [B,1,n,n]), position ids cumsum(mask) − 1 clipped at 0, zero token types, empty past caches — then
// the export's nodes needed for the hidden state, inlined with every value and node name prefixed
// 'backbone/' (the LM head, pooler, classifier and caches are left out), then the hidden state cut
// back to the caller's batch and length and cast to float32 ('backbone/hidden_state').
//
// Parameters keep their values as initializers ('backbone/<name>') unless they train: then they are
// graph inputs of the same name, their initial values in `initialValues`. Weights the export takes as
// graph INPUTS (torch.compile/AOT exports) become initializers when `weights` gives their values;
// otherwise they stay graph inputs the caller feeds every run ('backbone/<name>', listed in
// `weightInputs`), trainable or not.
import { listUntrainableOps } from '../../autodiff';
import {
  canonicalDomain,
  dtypeCode,
  GraphBuilder,
  makeTensor,
  shapeToString,
  type Dim,
  type DType,
  type NodeProto,
  type OnnxModel,
  type OperatorSetId,
  type TensorArray,
  type TensorProto,
  type Value,
  type ValueInfoProto,
} from '../../onnx';
import { asBuilder } from './analyze';
import { BackboneImportError } from './errors';
import { GraphView } from './graphView';
import { describeOps, groupUntrainable, paramsFor } from './trainability';
import type { BackboneAnalysis, ImportedInput } from './types';

export type TrainableChoice = 'head' | { top: number } | 'all';

export interface ImportOptions {
  /** 'head': the backbone is frozen; {top: N}: the top N blocks and the final norm train; 'all': every parameter. */
  trainable: TrainableChoice;
  /** Values of weights the export takes as graph inputs, by their original input name. */
  weights?: Readonly<Record<string, TensorProto | TensorArray>>;
  /** Graph name (default 'imported_backbone'). */
  name?: string;
}

export interface ImportedBackbone {
  builder: GraphBuilder;
  inputIds: Value;
  attentionMask: Value;
  /** float32 [batch, seq, H] ('backbone/hidden_state'). No graph output is marked. */
  hidden: Value;
  /** Names (in the builder) of the parameters that train: graph inputs. */
  trainableParams: string[];
  /** Initial values of the trainable parameters, by builder name (weight inputs without values are absent). */
  initialValues: Map<string, TensorProto>;
  /** Graph inputs that are weights without values: the caller feeds them every run. */
  weightInputs: string[];
  /** Original parameter (or weight-input) name → name in the builder. */
  names: Map<string, string>;
}

/** The prefix of every value and node inlined from the export. */
export const BACKBONE_PREFIX = 'backbone/';
export const HIDDEN_STATE = 'backbone/hidden_state';

export function importedName(original: string): string {
  return BACKBONE_PREFIX + original;
}

/**
 * The export wrapped as a backbone (see the file comment). Frozen ('head') always works; a training
 * choice whose path to the hidden state crosses an op without a gradient rule throws
 * BackboneImportError('untrainable') listing those ops.
 */
export function buildImportedBackbone(source: GraphBuilder | OnnxModel, analysis: BackboneAnalysis, opts: ImportOptions): ImportedBackbone {
  const model = source instanceof GraphBuilder ? source.build() : source;
  const view = new GraphView(asBuilder(source));
  checkChoice(analysis, opts.trainable);
  const stepwise = analysis.stepwise;

  // The export's nodes the hidden state needs (and, run token by token, the next step's past), in the file's order.
  const targets = [analysis.hidden.name, ...(stepwise ? Object.values(stepwise.presents) : [])];
  const hiddenNodes = view.ancestorNodes([analysis.hidden.name]);
  const stepNodes = stepwise ? view.ancestorNodes(targets) : hiddenNodes;
  for (const n of stepNodes) {
    if (n.attribute.some((a) => a.g || a.graphs.length)) {
      throw new BackboneImportError('unsupported', `node '${n.name ?? n.opType}' (${n.opType}) has a control-flow subgraph: the importer does not inline If/Loop/Scan bodies`, [n.name ?? n.opType]);
    }
  }
  const neededValues = view.ancestors(targets);
  for (const name of Object.keys(opts.weights ?? {})) {
    if (!analysis.inputs.some((i) => i.role === 'weight' && i.name === name)) {
      throw new BackboneImportError('bad-hint', `weights['${name}'] is given, but '${name}' is not a weight input of ${analysis.source}`, [name]);
    }
  }

  // The adapter: everything the export's inputs need, from input_ids and attention_mask.
  const domains: Record<string, number> = {};
  for (const o of model.opsetImport) if (canonicalDomain(o.domain) !== '') domains[o.domain ?? ''] = o.version;
  const pre = new GraphBuilder({ opset: analysis.opset, name: opts.name ?? 'imported_backbone', domains });
  const inputIds = pre.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = pre.input('attention_mask', 'int64', ['batch', 'seq']);
  const shared = new Map<string, string>(); // export value -> wrapper value, the same in every step
  const steps: Map<string, string>[] = []; // per step: export input -> wrapper value
  const weightInputs: string[] = [];
  const weightInits: TensorProto[] = [];
  const weightDecls: ValueInfoProto[] = [];
  pre.scope('adapter', () => {
    const a = adapt(pre, analysis, inputIds, attentionMask);
    for (const input of analysis.inputs) {
      if (!neededValues.has(input.name) || input.role !== 'weight') continue;
      const name = importedName(input.name);
      shared.set(input.name, name);
      const given = opts.weights?.[input.name];
      if (given) weightInits.push(weightTensor(name, given, input));
      else {
        weightInputs.push(name);
        weightDecls.push({ name, type: { tensorType: { elemType: dtypeCode(input.dtype!), shape: { dim: input.shape!.map((d) => ({ dimValue: d as number })) } } }, metadataProps: [] });
      }
    }
    const fed = analysis.inputs.filter((i) => neededValues.has(i.name) && i.role !== 'weight');
    const count = stepwise ? stepwise.steps : 1;
    for (let t = 0; t < count; t++) {
      const feeds = new Map<string, string>();
      for (const input of fed) {
        if (stepwise && input.role === 'past' && t > 0) feeds.set(input.name, stepValue(t - 1, stepwise.presents[input.name]));
        else feeds.set(input.name, (stepwise && input.role !== 'past' ? a.feedStep(input, t) : a.feed(input)).name);
      }
      steps.push(feeds);
    }
  });
  const preModel = pre.build();

  // The export's nodes, renamed: 'backbone/<name>' (run token by token: 'backbone/step<t>/<name>');
  // weights keep one copy, shared by every step.
  const inits = new Set(model.graph.initializer.map((t) => t.name ?? ''));
  const nodes: NodeProto[] = [];
  const valueInfo: ValueInfoProto[] = [];
  const declared = [...model.graph.valueInfo, ...model.graph.output];
  const batch = analysis.inputs.find((i) => i.role === 'input_ids')!.shape![0];
  steps.forEach((feeds, t) => {
    const last = t === steps.length - 1;
    const keep = model.graph.node.filter((n) => (last ? hiddenNodes : stepNodes).has(n));
    const local = (v: string): string => (stepwise ? stepValue(t, v) : importedName(v));
    const rename = (v: string): string => (v === '' ? '' : (feeds.get(v) ?? shared.get(v) ?? (inits.has(v) ? importedName(v) : local(v))));
    const names = nodeNamer(keep, local);
    for (const n of keep) nodes.push({ ...n, name: names(n), input: n.input.map(rename), output: n.output.map((o) => (o ? local(o) : '')) });
    // Declared types of kept values: element type and rank only (the export's dims name its own symbols).
    const kept = new Set(keep.flatMap((n) => n.output));
    for (const vi of declared) {
      const tt = vi.type?.tensorType;
      if (!kept.has(vi.name) || !tt) continue;
      const dim = tt.shape?.dim.map((d) => (analysis.fixedBatch === undefined && d.dimParam !== undefined && d.dimParam === batch ? { dimParam: 'batch' } : {}));
      valueInfo.push({ name: local(vi.name), type: { tensorType: { ...(tt.elemType !== undefined ? { elemType: tt.elemType } : {}), ...(dim ? { shape: { dim } } : {}) } }, metadataProps: [] });
    }
  });
  const used = new Set(model.graph.node.filter((n) => stepNodes.has(n)).flatMap((n) => n.input));
  const initializers = model.graph.initializer.filter((t) => used.has(t.name ?? '') && !shared.has(t.name ?? '')).map((t) => ({ ...t, name: importedName(t.name ?? '') }));

  const opsetImport: OperatorSetId[] = [...model.opsetImport];
  for (const o of preModel.opsetImport) if (!opsetImport.some((x) => canonicalDomain(x.domain) === canonicalDomain(o.domain))) opsetImport.push(o);
  const combined: OnnxModel = {
    irVersion: model.irVersion,
    opsetImport,
    producerName: 'reward-studio',
    docString: `Backbone imported from ${analysis.source}`,
    graph: {
      node: [...preModel.graph.node, ...nodes],
      name: opts.name ?? 'imported_backbone',
      initializer: [...preModel.graph.initializer, ...initializers, ...weightInits],
      sparseInitializer: [],
      input: [...preModel.graph.input, ...weightDecls],
      output: [],
      valueInfo,
      quantizationAnnotation: [],
      metadataProps: [],
    },
    metadataProps: [],
    trainingInfo: [],
    functions: [...model.functions],
    ...(model.baseDir !== undefined ? { baseDir: model.baseDir } : {}),
  };

  const g = GraphBuilder.fromModel(combined);
  const raw = stepwise
    ? g.scope('adapter', () => g.concat(steps.map((_, t) => g.value(stepValue(t, analysis.hidden.name))), 1))
    : g.value(importedName(analysis.hidden.name));
  const hidden = finishHidden(g, analysis, raw);

  // Training choice: the parameters as graph inputs, after checking every op on their path has a rule.
  const names = new Map<string, string>();
  for (const p of analysis.params) names.set(p.name, shared.get(p.name) ?? importedName(p.name));
  const chosen = paramsFor(analysis.params, analysis.blocks, opts.trainable).map((p) => names.get(p.name)!);
  if (chosen.length) {
    const blocked = listUntrainableOps(g, chosen, { loss: hidden.name });
    if (blocked.length) {
      const top = analysis.trainability.maxTopBlocks;
      throw new BackboneImportError(
        'untrainable',
        `trainable: ${JSON.stringify(opts.trainable)} cannot train ${analysis.source}: on the path from its parameters to the hidden state, these ops have no gradient: ` +
          `${describeOps(groupUntrainable(blocked))}. Use trainable: 'head' (a frozen backbone: only the reward head trains)` +
          (top > 0 ? ` or {top: ${top}} (the blocks above those ops)` : '') +
          '.',
        [...new Set(blocked.map((u) => u.op))],
      );
    }
  }
  const initialValues = new Map<string, TensorProto>();
  for (const name of chosen) {
    if (g.getInitializer(name)) initialValues.set(name, g.initializerToInput(name));
  }
  return {
    builder: g,
    inputIds: g.value('input_ids'),
    attentionMask: g.value('attention_mask'),
    hidden,
    trainableParams: chosen,
    initialValues,
    weightInputs,
    names,
  };
}

/** The wrapper's name for value `v` of the export in decode step t. */
function stepValue(t: number, v: string): string {
  return `${BACKBONE_PREFIX}step${t}/${v}`;
}

/** Node names: the export's (renamed like values), or '<Op>_<k>' for unnamed and repeated ones. */
function nodeNamer(keep: readonly NodeProto[], local: (v: string) => string): (n: NodeProto) => string {
  const reserved = new Set(keep.filter((n) => n.name).map((n) => local(n.name!)));
  const assigned = new Set<string>();
  const counters = new Map<string, number>();
  return (n) => {
    let name = n.name ? local(n.name) : '';
    while (!name || assigned.has(name)) {
      const k = counters.get(n.opType) ?? 0;
      counters.set(n.opType, k + 1);
      name = local(`${n.opType}_${k}`);
      if (reserved.has(name)) name = '';
    }
    assigned.add(name);
    return name;
  };
}

function checkChoice(analysis: BackboneAnalysis, trainable: TrainableChoice): void {
  if (trainable === 'head' || trainable === 'all') return;
  const n = trainable.top;
  if (!Number.isInteger(n) || n < 0) throw new BackboneImportError('untrainable', `trainable: {top: ${n}}: N must be a whole number ≥ 0`);
  if (n > analysis.blocks.count) {
    throw new BackboneImportError(
      'untrainable',
      analysis.blocks.count
        ? `trainable: {top: ${n}}, but ${analysis.source} has ${analysis.blocks.count} block${analysis.blocks.count === 1 ? '' : 's'} (${analysis.blocks.reason})`
        : `trainable: {top: ${n}} needs the block structure, which could not be found: ${analysis.blocks.reason}. Use 'head' or 'all'.`,
    );
  }
}

function weightTensor(name: string, given: TensorProto | TensorArray, input: ImportedInput): TensorProto {
  const dims = input.shape as number[];
  let t: TensorProto;
  try {
    t = ArrayBuffer.isView(given) ? makeTensor(name, given, dims, { dtype: input.dtype }) : { ...given, name };
  } catch (e) {
    throw new BackboneImportError('bad-hint', `weights['${input.name}'] does not fit the input ${input.dtype}${shapeToString(input.shape)}: ${(e as Error).message}`, [input.name]);
  }
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i]) || t.dataType !== dtypeCode(input.dtype!)) {
    throw new BackboneImportError('bad-hint', `weights['${input.name}'] is ${t.dataType}[${t.dims.join(', ')}], the input is ${input.dtype}${shapeToString(input.shape)}`, [input.name]);
  }
  return t;
}

/** Additive masks use this where attention is not allowed (exp underflows to 0 in float32). */
const ADDITIVE_MASKED: Partial<Record<DType, number>> = { float32: -1e9, float64: -1e9, float16: -65504, bfloat16: -1e30 };

/** The adapter's values: padded ids/mask, and a feed per export input. */
function adapt(g: GraphBuilder, a: BackboneAnalysis, ids: Value, mask: Value): { feed: (input: ImportedInput) => Value; feedStep: (input: ImportedInput, t: number) => Value } {
  if (g.opset < 11 && (a.fixedSeqLen !== undefined || a.fixedBatch !== undefined || a.inputs.some((i) => i.role === 'position_ids'))) {
    throw new BackboneImportError('unsupported', `the export uses opset ${g.opset}: padding to fixed lengths and computing position ids need opset 11 (Pad with dynamic pads, CumSum)`);
  }
  const zero = g.int64s([0]);
  const dim = (v: Value, axis: number): Value => g.shape(v, { start: axis, end: axis + 1 }); // [1]
  const batch = dim(ids, 0);
  const seq = dim(ids, 1);
  let idsP = ids;
  let maskP = mask;
  let rows: Value = batch;
  let cols: Value = seq;
  // Dummy rows (ids 0, mask 1: every key visible, so no row is fully masked) up to a fixed batch.
  if (a.fixedBatch !== undefined) {
    const pads = g.concat([zero, zero, g.sub(g.int64s([a.fixedBatch]), batch), zero], 0);
    idsP = g.pad(idsP, pads, { value: 0 });
    maskP = g.pad(maskP, pads, { value: 1 });
    rows = g.int64s([a.fixedBatch]);
  }
  // Padding tokens (id 0, mask 0) up to a fixed length.
  if (a.fixedSeqLen !== undefined) {
    const pads = g.concat([zero, zero, zero, g.sub(g.int64s([a.fixedSeqLen]), seq)], 0);
    idsP = g.pad(idsP, pads, { value: 0 });
    maskP = g.pad(maskP, pads, { value: 0 });
    cols = g.int64s([a.fixedSeqLen]);
  }
  if (idsP !== ids) {
    // A reshape to the known size, so shape inference sees [batch or B, seq or L] again.
    const shape = g.concat([rows, cols], 0);
    idsP = g.reshape(idsP, shape);
    maskP = g.reshape(maskP, shape);
  }
  const cast = (v: Value, to: DType | undefined): Value => (to && to !== v.dtype ? g.cast(v, to) : v);
  let positions: Value | undefined;

  const feed = (input: ImportedInput): Value => {
    const dtype = input.dtype;
    switch (input.role) {
      case 'input_ids':
        return cast(idsP, dtype);
      case 'attention_mask': {
        const form = input.mask ?? { kind: '2d' };
        if (form.kind === '2d') return cast(maskP, dtype);
        // [B, 1, n, n]: key j visible to query i when j is a real token (and j ≤ i when causal).
        let keys = cast(maskP, dtype);
        let n: Value = cols;
        if (form.size !== undefined) {
          keys = g.pad(keys, g.concat([zero, zero, zero, g.sub(g.int64s([form.size]), cols)], 0), { value: 0 });
          n = g.int64s([form.size]);
        }
        const keys4 = g.unsqueeze(keys, [1, 2]); // [B, 1, 1, n]
        let allowed: Value;
        if (form.causal) {
          const r = g.range(0, g.squeeze(n, [0]), 1, 'int64');
          const lower = g.not(g.greater(g.unsqueeze(r, [0]), g.unsqueeze(r, [1]))); // [i, j]: j <= i
          allowed = g.mul(keys4, g.cast(lower, dtype!));
        } else {
          allowed = g.expand(keys4, g.concat([rows, g.int64s([1]), n, n], 0));
        }
        if (form.convention === 'keep') return allowed;
        return g.mul(g.sub(1, allowed), ADDITIVE_MASKED[dtype!] ?? -1e9);
      }
      case 'position_ids': {
        // Hugging Face's convention for right padding: cumsum(mask) − 1, clipped at 0.
        if (!positions) {
          const p = g.sub(g.cumSum(maskP, 1), g.scalar(1, 'int64'));
          positions = g.where(g.less(p, g.scalar(0, 'int64')), g.scalar(0, 'int64'), p);
        }
        const p = input.shape?.[0] === 1 && a.fixedBatch !== 1 ? g.slice(positions, [0], [1], [0]) : positions;
        return cast(p, dtype);
      }
      case 'token_type_ids':
        return g.constantOfShape(g.shape(idsP), 0, dtype!);
      case 'past':
      case 'zeros':
        return g.constantOfShape(declaredShape(g, input, a, rows, cols), 0, dtype!);
      case 'weight':
        throw new Error('weights are not fed by the adapter');
    }
  };
  /** One token's feed for a decode-step export: ids[:, t], the mask up to t, position t. */
  const feedStep = (input: ImportedInput, t: number): Value => {
    const at = (v: Value): Value => g.slice(v, [t], [t + 1], [1]);
    switch (input.role) {
      case 'input_ids':
        return cast(at(idsP), input.dtype);
      case 'attention_mask':
        if (input.mask?.kind === '4d') throw new BackboneImportError('unsupported', `a decode-step export with a 4-D mask ('${input.name}') cannot be run token by token`, [input.name]);
        return cast(g.slice(maskP, [0], [t + 1], [1]), input.dtype);
      case 'position_ids':
        return cast(at(feed(input)), input.dtype);
      case 'token_type_ids':
        return g.constantOfShape(g.concat([rows, g.int64s([1])], 0), 0, input.dtype!);
      case 'zeros':
        return g.constantOfShape(declaredShape(g, input, a, rows, g.int64s([1])), 0, input.dtype!);
      default:
        return feed(input);
    }
  };
  return { feed, feedStep };
}

/** The shape of an empty past or a zeros input: batch and sequence axes follow the ids, the past axis is 0. */
function declaredShape(g: GraphBuilder, input: ImportedInput, a: BackboneAnalysis, rows: Value, cols: Value): Value {
  const ids = a.inputs.find((i) => i.role === 'input_ids')!.shape!;
  const parts: Value[] = [];
  input.shape!.forEach((d: Dim, axis) => {
    if (input.past && axis === input.past.pastAxis) parts.push(g.int64s([0]));
    else if (input.past ? axis === input.past.batchAxis : d === ids[0]) parts.push(rows);
    else if (!input.past && d === ids[1]) parts.push(cols);
    else if (typeof d === 'number') parts.push(g.int64s([d]));
    else {
      throw new BackboneImportError(
        'unsupported',
        `input '${input.name}' ${input.dtype}${shapeToString(input.shape)}: cannot tell the size of its axis ${axis} ('${String(d)}') to build ${input.role === 'past' ? 'an empty past' : 'zeros'}`,
        [input.name],
      );
    }
  });
  return g.concat(parts, 0);
}

/** The hidden state cut back to the caller's batch and length, as float32 [batch, seq, H]. */
function finishHidden(g: GraphBuilder, a: BackboneAnalysis, raw: Value): Value {
  const ids = g.value('input_ids');
  const h = g.scope('adapter', () => {
    let h = raw;
    if (a.fixedSeqLen !== undefined) h = g.slice(h, g.int64s([0]), g.shape(ids, { start: 1, end: 2 }), g.int64s([1]));
    if (a.fixedBatch !== undefined) h = g.slice(h, g.int64s([0]), g.shape(ids, { start: 0, end: 1 }), g.int64s([0]));
    return h.dtype !== 'float32' ? g.cast(h, 'float32') : h;
  });
  return g.op('Identity', [h], {}, { name: HIDDEN_STATE, outputs: [HIDDEN_STATE], outputTypes: [{ dtype: 'float32', shape: ['batch', 'seq', a.hiddenSize] }] });
}
