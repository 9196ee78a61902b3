// The shape of a gradient rule and what it is given. A rule sees one forward node, the gradients that
// reach its outputs, and which inputs need a gradient; it emits ONNX nodes through the GraphBuilder and
// returns one gradient per input (undefined where none is needed), each of the input's exact shape.
import type { GraphBuilder, NodeProto, Value } from '../onnx';

/** What a rule may inspect before anything is emitted (GraphBuilder inference, attributes, opset). */
export interface RuleInfo {
  readonly g: GraphBuilder;
  readonly node: NodeProto;
  /** Version of the node's domain in the graph's opset imports. */
  readonly opset: number;
}

export interface GradContext extends RuleInfo {
  /** Per input: whether a gradient is needed (the input depends on a trained value and reaches the loss). */
  readonly needs: readonly boolean[];
  /** Forward input i (throws when the optional input is absent). */
  input(i: number): Value;
  /** Whether optional input i is present. */
  hasInput(i: number): boolean;
  /** Forward output i. */
  output(i: number): Value;
  /** The gradient reaching output i, or undefined when none does (e.g. an unused optional output). */
  dy(i?: number): Value | undefined;
  /** The gradient reaching output i (throws when none does). */
  grad(i?: number): Value;
  /** The gradient reaching output i, or zeros of that output's shape. */
  gradOrZeros(i: number): Value;
  attrInt(name: string, fallback: number): number;
  attrFloat(name: string, fallback: number): number;
  attrInts(name: string): number[] | undefined;
  attrString(name: string, fallback: string): string;
  /** The numeric content of input i when it is known as the graph is built (Constant, initializer, shape arithmetic). */
  constValues(i: number): number[] | undefined;
  /** Rejects this node with a reason (throws UnsupportedGradientError naming the op and node). */
  fail(reason: string): never;
}

/** One entry of the gradient table. */
export type GradientRule =
  | {
      readonly kind: 'gradient';
      /** The formula, one line, for the README table and error messages. */
      readonly doc: string;
      /** Inputs that can carry a gradient (default: all); the others (indices, shapes, conditions) never do. */
      readonly differentiable?: readonly number[];
      /** Why this node cannot be differentiated (opset or attributes the rule does not handle); checked before anything is emitted. */
      readonly refuse?: (info: RuleInfo) => string | undefined;
      readonly backward: (ctx: GradContext) => readonly (Value | undefined)[];
    }
  | {
      /** Explicitly no gradient: outputs are integer/boolean/shape values, or piecewise constant (zero gradient). */
      readonly kind: 'none';
      readonly doc: string;
    };
