// Small constructors for table entries.
import { sameDim, type Shape, type Value } from '../../onnx';
import { sumToShape } from '../helpers';
import type { GradContext, GradientRule, RuleInfo } from '../types';

export function gradient(
  doc: string,
  backward: (ctx: GradContext) => readonly (Value | undefined)[],
  opts: { differentiable?: readonly number[]; refuse?: (info: RuleInfo) => string | undefined } = {},
): GradientRule {
  return { kind: 'gradient', doc, backward, ...opts };
}

export function noGradient(doc: string): GradientRule {
  return { kind: 'none', doc };
}

/** One gradient per input that needs one. */
export function each(c: GradContext, f: (i: number) => Value): (Value | undefined)[] {
  return c.needs.map((n, i) => (n ? f(i) : undefined));
}

/** v (shaped like the node's broadcast output) summed back to the shape of input i. */
export function toInput(c: GradContext, v: Value, i: number): Value {
  return sumToShape(c.g, v, c.input(i));
}

/**
 * toInput for ops that broadcast all their inputs together (Add, Mul, Where, ...): when every other
 * input is known to broadcast into input i (dims 1 or the same), the output has input i's shape and
 * nothing is summed — even where the dims themselves are unknown.
 */
export function toOperand(c: GradContext, v: Value, i: number): Value {
  const own = c.input(i).shape;
  const dominated = (s: Shape): boolean =>
    s !== undefined && own !== undefined && s.length <= own.length && s.every((d, k) => d === 1 || sameDim(d, own[k + own.length - s.length]));
  if (c.node.input.every((n, j) => j === i || n === '' || dominated(c.g.value(n).shape))) return v;
  return toInput(c, v, i);
}
