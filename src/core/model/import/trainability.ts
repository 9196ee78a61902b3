// Can the imported backbone be trained, and how much of it: the ops on the path from the trainable
// parameters to the hidden state that the gradient table (src/core/autodiff) cannot differentiate,
// and the fused/non-standard ops in the backbone listed by name. Frozen use never needs gradients.
import { listUntrainableOps, remedyFor, type UntrainableOp } from '../../autodiff';
import { NO_RULE } from '../../autodiff/errors';
import { canonicalDomain, type NodeProto } from '../../onnx';
import { nodeLabel, opLabel, type GraphView } from './graphView';
import type { BackboneParam, BlockStructure, OpGroup, Trainability } from './types';

/** Ops in the ai.onnx domain that ONNX itself does not define (ONNX Runtime internals). */
const ORT_INTERNAL = new Set(['SimplifiedLayerNormalization', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization', 'FusedMatMul', 'FastGelu', 'BiasGelu']);

/** Fused or non-standard ops among `nodes`: other domains, ORT-internal ops filed under ai.onnx, LayerNormalization before opset 17. */
export function fusedOps(view: GraphView, nodes: Iterable<NodeProto>): OpGroup[] {
  const groups = new Map<string, OpGroup>();
  const opset = view.g.opset;
  for (const n of nodes) {
    const d = canonicalDomain(n.domain);
    const nonStandard = d !== '' || ORT_INTERNAL.has(n.opType) || (n.opType === 'LayerNormalization' && opset < 17);
    if (!nonStandard) continue;
    const op = d === '' && n.opType === 'LayerNormalization' ? `LayerNormalization (ai.onnx at opset ${opset}; ONNX has it from 17)` : opLabel(n);
    const entry = groups.get(op) ?? { op, nodes: [], count: 0 };
    entry.count++;
    if (entry.nodes.length < 4) entry.nodes.push(nodeLabel(n));
    groups.set(op, entry);
  }
  return [...groups.values()];
}

/** Groups by op and reason (node names dropped from reasons), ops without any rule first. */
export function groupUntrainable(untrainable: readonly UntrainableOp[]): OpGroup[] {
  const groups = new Map<string, OpGroup & { noRule: boolean }>();
  for (const u of untrainable) {
    const noRule = u.reason === NO_RULE;
    const op = noRule ? u.op : `${u.op} (${u.reason.replace(/'[^']*'/g, '…')})`;
    const entry = groups.get(op) ?? { op, nodes: [], count: 0, noRule };
    entry.count += u.nodes.length;
    for (const n of u.nodes) if (entry.nodes.length < 4) entry.nodes.push(n);
    groups.set(op, entry);
  }
  return [...groups.values()].sort((a, b) => Number(b.noRule) - Number(a.noRule)).map(({ op, nodes, count }) => ({ op, nodes, count }));
}

/** Parameters that train for a choice: 'head' none, {top: N} the top N blocks and the final norm, 'all' every one. */
export function paramsFor(params: readonly BackboneParam[], blocks: BlockStructure, trainable: 'head' | { top: number } | 'all'): BackboneParam[] {
  if (trainable === 'head') return [];
  if (trainable === 'all') return [...params];
  const n = trainable.top;
  if (n <= 0) return [];
  const first = blocks.count - n;
  return params.filter((p) => p.part === 'final-norm' || (p.part === 'block' && p.block !== undefined && p.block >= first));
}

export function untrainableFor(view: GraphView, hidden: string, wrt: readonly string[]): OpGroup[] {
  if (!wrt.length) return [];
  return groupUntrainable(listUntrainableOps(view.g, wrt, { loss: hidden }));
}

export function describeOps(groups: readonly OpGroup[]): string {
  return groups.map((u) => `${u.op} x${u.count} (${u.nodes.join(', ')}${u.count > u.nodes.length ? ', …' : ''})`).join('; ');
}

export function analyzeTrainability(view: GraphView, hidden: string, params: readonly BackboneParam[], blocks: BlockStructure, backboneNodes: Iterable<NodeProto>): Trainability {
  const fused = fusedOps(view, backboneNodes);
  const all = untrainableFor(view, hidden, params.map((p) => p.name));
  let maxTopBlocks = 0;
  if (!all.length) maxTopBlocks = blocks.count;
  else {
    for (let n = blocks.count; n >= 1; n--) {
      if (!untrainableFor(view, hidden, paramsFor(params, blocks, { top: n }).map((p) => p.name)).length) {
        maxTopBlocks = n;
        break;
      }
    }
  }
  const fusedText = fused.length ? ` Fused/non-standard ops in the backbone: ${fused.map((f) => `${f.op} x${f.count}`).join(', ')}.` : '';
  let message: string;
  if (!all.length) {
    message = `Every parameter can be trained (trainable: 'all', {top: N} for N ≤ ${blocks.count}, or 'head').${fusedText}${fused.length ? ' The gradient table has rules for them.' : ''}`;
  } else {
    const firstOp = all[0].op.split(' (')[0];
    message =
      `trainable: 'all' cannot work: no gradient through ${describeOps(all)} — ${remedyFor(firstOp)}.` +
      (maxTopBlocks > 0 ? ` The top ${maxTopBlocks} block${maxTopBlocks === 1 ? '' : 's'} can train ({top: ${maxTopBlocks}}).` : ' No block can train.') +
      ` Use trainable: 'head' (frozen backbone: only the reward head trains), which always works.${fusedText}`;
  }
  return { fusedOps: fused, untrainableOps: all, canTrainAll: !all.length, maxTopBlocks, message };
}
