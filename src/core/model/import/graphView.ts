// Read-only queries over a loaded model for the importer: topological positions, ancestors and
// descendants of values, and the "float data flow" (edges between floating-point values only), which
// is where activations and gradients travel. Shape computations (Shape -> Gather -> Concat -> Reshape)
// run on integers, so they never join two float values and never create false data paths.
import { canonicalDomain, topologicalOrder, type DType, type GraphBuilder, type NodeProto, type Shape, type Value } from '../../onnx';

const FLOAT_TYPES: ReadonlySet<DType> = new Set<DType>(['float16', 'bfloat16', 'float32', 'float64']);

export function isFloatType(d: DType | undefined): boolean {
  return d !== undefined && FLOAT_TYPES.has(d);
}

/** "domain::Op" for non-standard domains, "Op" for ai.onnx. */
export function opLabel(node: NodeProto): string {
  const d = canonicalDomain(node.domain);
  return d === '' ? node.opType : `${d}::${node.opType}`;
}

/** A readable name for a node (exporters leave some unnamed). */
export function nodeLabel(node: NodeProto): string {
  return node.name || node.output.find((o) => o !== '') || node.opType;
}

export class GraphView {
  /** Nodes in dependency order (stable: the file's order where it allows). */
  readonly order: readonly NodeProto[];
  private readonly position = new Map<NodeProto, number>();
  private readonly producers = new Map<string, NodeProto>();
  private readonly consumerMap = new Map<string, NodeProto[]>();

  constructor(readonly g: GraphBuilder) {
    this.order = topologicalOrder(g.nodes);
    this.order.forEach((n, i) => {
      this.position.set(n, i);
      for (const o of n.output) if (o) this.producers.set(o, n);
      for (const i2 of new Set(n.input)) {
        if (!i2) continue;
        const list = this.consumerMap.get(i2);
        if (list) list.push(n);
        else this.consumerMap.set(i2, [n]);
      }
    });
  }

  has(name: string): boolean {
    return this.g.has(name);
  }

  value(name: string): Value {
    return this.g.value(name);
  }

  dtype(name: string): DType | undefined {
    return this.g.has(name) ? this.g.value(name).dtype : undefined;
  }

  shape(name: string): Shape {
    return this.g.has(name) ? this.g.value(name).shape : undefined;
  }

  isFloat(name: string): boolean {
    return isFloatType(this.dtype(name));
  }

  /** Float, or of unknown type (outputs of ops shape inference has no rule for, e.g. fused attention). */
  maybeFloat(name: string): boolean {
    const d = this.dtype(name);
    return d === undefined || isFloatType(d);
  }

  producer(name: string): NodeProto | undefined {
    return this.producers.get(name);
  }

  consumers(name: string): readonly NodeProto[] {
    return this.consumerMap.get(name) ?? [];
  }

  /** Topological index of a node (-1 when unknown). */
  pos(node: NodeProto): number {
    return this.position.get(node) ?? -1;
  }

  /** Topological index of the node producing a value (-1 for inputs and initializers). */
  valuePos(name: string): number {
    const p = this.producers.get(name);
    return p ? this.pos(p) : -1;
  }

  /** Every value the given ones are computed from, the given ones included. */
  ancestors(names: Iterable<string>, opts: { floatOnly?: boolean } = {}): Set<string> {
    const seen = new Set<string>();
    const stack = [...names];
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      const p = this.producers.get(v);
      if (!p) continue;
      for (const i of p.input) if (i && !seen.has(i) && (!opts.floatOnly || this.maybeFloat(i))) stack.push(i);
    }
    return seen;
  }

  /** Nodes needed to compute the given values. */
  ancestorNodes(names: Iterable<string>): Set<NodeProto> {
    const out = new Set<NodeProto>();
    for (const v of this.ancestors(names)) {
      const p = this.producers.get(v);
      if (p) out.add(p);
    }
    return out;
  }

  /**
   * Every value computed from the given ones, the given ones included. floatOnly follows float values
   * only (the data flow gradients take); `stopAt` values are entered but not left.
   */
  descendants(names: Iterable<string>, opts: { floatOnly?: boolean; stopAt?: ReadonlySet<string>; within?: ReadonlySet<string> } = {}): Set<string> {
    const seen = new Set<string>();
    const stack = [...names];
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      if (opts.stopAt?.has(v)) continue;
      for (const c of this.consumers(v)) {
        for (const o of c.output) {
          if (!o || seen.has(o)) continue;
          if (opts.floatOnly && !this.maybeFloat(o)) continue;
          if (opts.within && !opts.within.has(o)) continue;
          stack.push(o);
        }
      }
    }
    return seen;
  }

  /** Follows a value backward through producers of the given types (their first input); returns the first value. */
  back(name: string, ops: ReadonlySet<string>): string {
    let v = name;
    for (;;) {
      const p = this.producers.get(v);
      if (!p || !ops.has(p.opType) || canonicalDomain(p.domain) !== '' || !p.input[0]) return v;
      v = p.input[0];
    }
  }
}
