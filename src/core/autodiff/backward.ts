// Reverse-mode autodiff over a GraphBuilder graph: find the nodes on a path from the trained values to
// the loss, walk them in reverse topological order, and let each op's rule (table.ts) emit the
// backward nodes into the same graph. Gradients of a value used several times are summed; nodes off
// the path get nothing.
import {
  canonicalDomain,
  getFloat,
  getInt,
  getInts,
  getString,
  GraphBuilder,
  isFloatDType,
  topologicalOrder,
  type DType,
  type NodeProto,
  type OnnxModel,
  type Value,
} from '../onnx';
import { NO_RULE, UnsupportedGradientError, type UntrainableOp } from './errors';
import { BroadcastError, onesLike, zerosLike } from './helpers';
import { opKey, ruleFor } from './table';
import type { GradContext, GradientRule } from './types';

export interface GradientOptions {
  /** The value to differentiate: a float scalar (or any shape with `seed`). */
  loss: Value | string;
  /** Names of the values (initializers, graph inputs, or intermediate values) to differentiate with respect to. */
  wrt: readonly string[];
  /** d(objective)/d(loss), of the loss's shape; default 1. */
  seed?: Value;
}

/** wrt name -> gradient Value, plus which wrt values the loss does not depend on (their gradient is zeros). */
export class GradientMap extends Map<string, Value> {
  /** wrt names with no differentiable path to the loss: their gradient is a zeros tensor. */
  readonly disconnected: string[] = [];
}

// -------------------------------------------------------------------------------------------------
// the path

export interface GradientPath {
  /** Nodes on a path from a wrt value to a target, in forward topological order. */
  nodes: NodeProto[];
  /** Values on such a path (they get a gradient). */
  values: Set<string>;
  /** Nodes on the path that cannot be differentiated, grouped by op, closest to the targets first. */
  untrainable: UntrainableOp[];
}

function isDifferentiableType(d: DType | undefined): boolean {
  return d === undefined || isFloatDType(d);
}

function differentiableInput(rule: GradientRule | undefined, i: number): boolean {
  if (!rule) return true; // unknown op: assume any input may matter
  if (rule.kind === 'none') return false;
  return rule.differentiable ? rule.differentiable.includes(i) : true;
}

/**
 * The nodes and values on a differentiable path from any of `wrt` to any of `targets`: forward from
 * `wrt` through float values (integer/boolean values and 'none' ops stop it, as do inputs a rule marks
 * non-differentiable), backward from the targets.
 */
export function gradientPath(g: GraphBuilder, targets: readonly string[], wrt: readonly string[]): GradientPath {
  const order = topologicalOrder(g.nodes);
  const forward = new Set<string>();
  for (const w of wrt) if (isDifferentiableType(g.value(w).dtype)) forward.add(w);
  for (const node of order) {
    const rule = ruleFor(node);
    if (rule?.kind === 'none') continue;
    if (!node.input.some((n, i) => n !== '' && forward.has(n) && differentiableInput(rule, i))) continue;
    for (const o of node.output) if (o !== '' && g.has(o) && isDifferentiableType(g.value(o).dtype)) forward.add(o);
  }
  const values = new Set(targets.filter((t) => forward.has(t)));
  const onPath: NodeProto[] = [];
  const problems = new Map<string, UntrainableOp>();
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    if (!node.output.some((o) => values.has(o))) continue;
    const rule = ruleFor(node);
    const inputs = node.input.filter((n, i) => n !== '' && forward.has(n) && differentiableInput(rule, i));
    if (!inputs.length) continue;
    onPath.push(node);
    for (const n of inputs) values.add(n);
    let reason: string | undefined;
    if (!rule) reason = NO_RULE;
    else if (rule.kind === 'gradient' && rule.refuse) {
      try {
        reason = rule.refuse({ g, node, opset: g.opsetFor(node.domain ?? '') ?? 1 });
      } catch (e) {
        reason = (e as Error).message;
      }
    }
    if (reason !== undefined) {
      const op = opKey(node);
      const key = `${op}\u0000${reason}`;
      const entry = problems.get(key) ?? { op, nodes: [], reason };
      entry.nodes.push(nodeName(node));
      problems.set(key, entry);
    }
  }
  return { nodes: onPath.reverse(), values, untrainable: [...problems.values()] };
}

function nodeName(node: NodeProto): string {
  return node.name || node.output[0] || node.opType;
}

/**
 * Which ops on the path from `wrt` to the loss (or, without one, to any graph output) have no gradient
 * rule, or a rule that refuses the node — why an imported backbone can only be used frozen below them.
 */
export function listUntrainableOps(source: GraphBuilder | OnnxModel, wrt: readonly string[], opts: { loss?: string | readonly string[] } = {}): UntrainableOp[] {
  const g = source instanceof GraphBuilder ? source : GraphBuilder.fromModel(source);
  const targets = opts.loss === undefined ? g.outputs.map((o) => o.name) : typeof opts.loss === 'string' ? [opts.loss] : [...opts.loss];
  return gradientPath(g, targets, wrt).untrainable;
}

// -------------------------------------------------------------------------------------------------
// building

/**
 * Adds the backward pass of `loss` to `g` and returns the gradient of each `wrt` value. Throws
 * UnsupportedGradientError (before adding anything) when a node on the path has no rule.
 */
export function buildGradients(g: GraphBuilder, opts: GradientOptions): GradientMap {
  const loss = typeof opts.loss === 'string' ? g.value(opts.loss) : opts.loss;
  if (g.opset < 9) throw new Error(`autodiff: opset ${g.opset} graphs are not supported (the backward pass needs Expand and ConstantOfShape, opsets 8 and 9): re-export at opset >= 9`);
  if (!isFloatDType(loss.dtype)) throw new Error(`autodiff: the loss '${loss.name}' must be a float tensor (it is ${loss.dtype ?? 'of unknown type'})`);
  for (const w of opts.wrt) {
    if (!g.has(w)) throw new Error(`autodiff: no value named '${w}' to differentiate with respect to`);
    const d = g.value(w).dtype;
    if (!isDifferentiableType(d)) throw new Error(`autodiff: '${w}' is ${d}: only float values have gradients`);
  }
  if (!opts.seed && loss.shape !== undefined && !loss.shape.every((d) => d === 1)) {
    throw new Error(`autodiff: the loss '${loss.name}' has shape [${loss.shape.join(', ')}], not a scalar: reduce it, or pass a seed of that shape`);
  }
  const path = gradientPath(g, [loss.name], opts.wrt);
  if (path.untrainable.length) {
    const first = path.untrainable[0];
    throw new UnsupportedGradientError(first.op, first.nodes[0], first.reason, path.untrainable);
  }

  const contributions = new Map<string, Value[]>();
  const add = (name: string, v: Value): void => {
    const list = contributions.get(name);
    if (list) list.push(v);
    else contributions.set(name, [v]);
  };
  /** The summed gradient of a value (one Sum node when it has several consumers on the path). */
  const total = (name: string): Value | undefined => {
    const list = contributions.get(name);
    if (!list) return undefined;
    if (list.length > 1) {
      const sum = inScope(g, `${name}_grad`, () => (list.length === 2 ? g.add(list[0], list[1]) : g.sum(...list)));
      contributions.set(name, [sum]);
      return sum;
    }
    return list[0];
  };

  if (path.values.has(loss.name)) add(loss.name, opts.seed ?? inScope(g, `${loss.name}_grad`, () => onesLike(g, loss)));
  for (let k = path.nodes.length - 1; k >= 0; k--) {
    const node = path.nodes[k];
    const rule = ruleFor(node) as Extract<GradientRule, { kind: 'gradient' }>;
    const dys = node.output.map((o) => (o !== '' && path.values.has(o) ? total(o) : undefined));
    const needs = node.input.map((n, i) => n !== '' && path.values.has(n) && differentiableInput(rule, i));
    const ctx = new NodeContext(g, node, dys, needs);
    let grads: readonly (Value | undefined)[];
    try {
      grads = inScope(g, `${nodeName(node)}_grad`, () => rule.backward(ctx));
    } catch (e) {
      if (e instanceof UnsupportedGradientError) throw e;
      if (e instanceof BroadcastError) throw new UnsupportedGradientError(opKey(node), nodeName(node), e.message);
      throw new Error(`autodiff: building the gradient of ${opKey(node)} node '${nodeName(node)}' failed: ${(e as Error).message}`, { cause: e });
    }
    needs.forEach((need, i) => {
      if (!need) return;
      const v = grads[i];
      const x = g.value(node.input[i]);
      if (!v) throw new Error(`autodiff: the ${opKey(node)} rule gave no gradient for input ${i} of node '${nodeName(node)}'`);
      if (v.dtype && x.dtype && v.dtype !== x.dtype) throw new Error(`autodiff: the ${opKey(node)} rule gave a ${v.dtype} gradient for ${x.dtype} input ${i} of node '${nodeName(node)}'`);
      if (x.shape && v.shape && (x.shape.length !== v.shape.length || x.shape.some((d, k) => typeof d === 'number' && typeof v.shape![k] === 'number' && d !== v.shape![k]))) {
        throw new Error(`autodiff: the ${opKey(node)} rule gave a gradient of shape [${v.shape.join(', ')}] for input ${i} (shape [${x.shape.join(', ')}]) of node '${nodeName(node)}'`);
      }
      add(node.input[i], v);
    });
  }

  const result = new GradientMap();
  for (const w of opts.wrt) {
    const grad = total(w);
    if (grad) {
      result.set(w, grad);
      continue;
    }
    result.disconnected.push(w);
    result.set(w, inScope(g, `${w}_grad`, () => zerosLike(g, g.value(w))));
  }
  return result;
}

/** Runs fn in the builder scope `path` ('a/b/c' becomes nested scopes a, b, c; empty segments dropped). */
function inScope<T>(g: GraphBuilder, path: string, fn: () => T): T {
  const segments = path.split('/').filter((s) => s !== '');
  const run = (i: number): T => (i === segments.length ? fn() : g.scope(segments[i], () => run(i + 1)));
  return run(0);
}

class NodeContext implements GradContext {
  readonly opset: number;
  constructor(
    readonly g: GraphBuilder,
    readonly node: NodeProto,
    private readonly dys: readonly (Value | undefined)[],
    readonly needs: readonly boolean[],
  ) {
    this.opset = g.opsetFor(canonicalDomain(node.domain)) ?? 1;
  }

  hasInput(i: number): boolean {
    return i < this.node.input.length && this.node.input[i] !== '';
  }
  input(i: number): Value {
    if (!this.hasInput(i)) throw new Error(`input ${i} is absent`);
    return this.g.value(this.node.input[i]);
  }
  output(i: number): Value {
    const o = this.node.output[i];
    if (!o) throw new Error(`output ${i} is absent`);
    return this.g.value(o);
  }
  dy(i = 0): Value | undefined {
    return this.dys[i];
  }
  grad(i = 0): Value {
    const d = this.dys[i];
    if (!d) throw new Error(`no gradient reaches output ${i}`);
    return d;
  }
  gradOrZeros(i: number): Value {
    return this.dys[i] ?? zerosLike(this.g, this.output(i));
  }
  attrInt(name: string, fallback: number): number {
    return getInt(this.node, name, fallback);
  }
  attrFloat(name: string, fallback: number): number {
    return getFloat(this.node, name, fallback);
  }
  attrInts(name: string): number[] | undefined {
    return getInts(this.node, name);
  }
  attrString(name: string, fallback: string): string {
    return getString(this.node, name, fallback);
  }
  constValues(i: number): number[] | undefined {
    if (!this.hasInput(i)) return undefined;
    const v = this.g.knownValue(this.node.input[i]);
    return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
  }
  fail(reason: string): never {
    throw new UnsupportedGradientError(opKey(this.node), nodeName(this.node), reason);
  }
}

