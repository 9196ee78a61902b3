// Rewrites of a built model that ONNX Runtime does not do itself.
import type { NodeProto, OnnxModel } from './types';

/**
 * Drops the Identity nodes that only give a computed value its graph-output name, renaming the value
 * instead: the producer writes straight into the output and the other consumers read it under the new
 * name. GraphBuilder.output() names outputs through an Identity; ONNX Runtime removes such an Identity
 * only when nothing else reads its input, so in a training step — where the new AdamW moments are
 * outputs and also read by the update — each one stays a full copy of the tensor every step.
 *
 * An Identity is kept when its input is a graph input, an initializer or already an output (an output
 * under two names needs the copy), or when the model has subgraphs (they may read the old name from
 * the outer scope). Same computation, same outputs, in the same order.
 */
export function foldOutputIdentities(model: OnnxModel): OnnxModel {
  const graph = model.graph;
  if (graph.node.some((n) => n.attribute.some((a) => a.g !== undefined || a.graphs.length > 0))) return model;
  const outputs = new Set(graph.output.map((o) => o.name));
  const fixed = new Set<string>([...graph.input.map((i) => i.name), ...graph.initializer.map((t) => t.name ?? ''), ...outputs]);
  const produced = new Set<string>();
  for (const n of graph.node) for (const o of n.output) if (o !== '') produced.add(o);

  const rename = new Map<string, string>();
  const dropped = new Set<NodeProto>();
  for (const n of graph.node) {
    if (n.opType !== 'Identity' || (n.domain ?? '') !== '' || n.input.length !== 1 || n.output.length !== 1) continue;
    const [from] = n.input;
    const [to] = n.output;
    if (!outputs.has(to) || fixed.has(from) || !produced.has(from) || rename.has(from)) continue;
    rename.set(from, to);
    dropped.add(n);
  }
  if (!rename.size) return model;
  const as = (name: string): string => rename.get(name) ?? name;
  const node = graph.node
    .filter((n) => !dropped.has(n))
    .map((n) => ({ ...n, input: n.input.map(as), output: n.output.map(as) }));
  const valueInfo = graph.valueInfo.filter((v) => !rename.has(v.name));
  return { ...model, graph: { ...graph, node, valueInfo } };
}
