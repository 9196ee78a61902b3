// src/core/autodiff: reverse-mode autodiff over ONNX graphs built with GraphBuilder (see README.md).
export { buildGradients, gradientPath, listUntrainableOps, GradientMap } from './backward';
export type { GradientOptions, GradientPath } from './backward';
export { GRADIENT_RULES, opKey, ruleFor } from './table';
export { UnsupportedGradientError, remedyFor, type UntrainableOp } from './errors';
export { sumToShape } from './helpers';
export type { GradContext, GradientRule, RuleInfo } from './types';
