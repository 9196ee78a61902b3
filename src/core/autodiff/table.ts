// The gradient table: one entry per op, keyed 'OpType' (ai.onnx) or 'domain::OpType'. An op that is not
// here has no gradient: if it lies on the path from a trained value to the loss, buildGradients throws
// UnsupportedGradientError naming it. 'none' entries say explicitly that an op's outputs carry no
// gradient (integer, boolean and shape values, or piecewise-constant functions).
import type { NodeProto } from '../onnx';
import { canonicalDomain } from '../onnx';
import * as E from './rules/elementwise';
import * as L from './rules/linalg';
import * as N from './rules/nn';
import * as R from './rules/reduce';
import * as S from './rules/shape';
import { noGradient } from './rules/define';
import type { GradientRule } from './types';

const SHAPE = noGradient('integer/shape value');
const COMPARE = noGradient('boolean result');
const STEP = noGradient('piecewise constant: zero gradient almost everywhere');
const RANDOM = noGradient('random values that depend only on a shape');

const ENTRIES: [string, GradientRule][] = [
  // arithmetic
  ['Add', E.add],
  ['Sub', E.sub],
  ['Mul', E.mul],
  ['Div', E.div],
  ['Pow', E.pow],
  ['Sum', E.sum],
  ['Mean', E.mean],
  ['Max', E.maxMin],
  ['Min', E.maxMin],
  ['Where', E.where],
  // unary
  ['Identity', E.identity],
  ['Neg', E.neg],
  ['Abs', E.abs],
  ['Sqrt', E.sqrt],
  ['Reciprocal', E.reciprocal],
  ['Exp', E.exp],
  ['Log', E.log],
  ['Tanh', E.tanh],
  ['Sigmoid', E.sigmoid],
  ['Softplus', E.softplus],
  ['Erf', E.erf],
  ['Sin', E.sin],
  ['Cos', E.cos],
  ['Relu', E.relu],
  ['LeakyRelu', E.leakyRelu],
  ['PRelu', E.prelu],
  ['Clip', E.clip],
  ['Cast', E.cast],
  ['Dropout', E.dropout],
  ['Trilu', E.trilu],
  ['CumSum', E.cumSum],
  // activations and normalization
  ['Gelu', N.gelu],
  ['com.microsoft::Gelu', N.msGelu],
  ['com.microsoft::BiasGelu', N.biasGelu],
  ['com.microsoft::FastGelu', N.fastGelu],
  ['com.microsoft::QuickGelu', N.quickGelu],
  ['Softmax', R.softmax],
  ['LogSoftmax', R.logSoftmax],
  ['LayerNormalization', N.layerNormalization],
  ['SimplifiedLayerNormalization', N.simplifiedLayerNormalization],
  // linear algebra
  ['MatMul', L.matmul],
  ['Gemm', L.gemm],
  ['com.microsoft::FusedMatMul', L.fusedMatmul],
  // reductions
  ['ReduceSum', R.reduceSum],
  ['ReduceMean', R.reduceMean],
  ['ReduceMax', R.reduceMaxMin],
  ['ReduceMin', R.reduceMaxMin],
  ['ReduceSumSquare', R.reduceSumSquare],
  ['ReduceL1', R.reduceL1],
  ['ReduceL2', R.reduceL2],
  ['ReduceLogSumExp', R.reduceLogSumExp],
  // data movement
  ['Reshape', S.reshapeLike],
  ['Flatten', S.reshapeLike],
  ['Squeeze', S.reshapeLike],
  ['Unsqueeze', S.reshapeLike],
  ['Transpose', S.transpose],
  ['Expand', S.expand],
  ['Tile', S.tile],
  ['Concat', S.concat],
  ['Split', S.split],
  ['Slice', S.slice],
  ['Pad', S.pad],
  ['Gather', S.gather],
  ['GatherElements', S.gatherElements],
  // explicitly no gradient
  ['Shape', SHAPE],
  ['Size', SHAPE],
  ['Constant', noGradient('no inputs')],
  ['ConstantOfShape', SHAPE],
  ['Range', SHAPE],
  ['NonZero', SHAPE],
  ['ArgMax', SHAPE],
  ['ArgMin', SHAPE],
  ['OneHot', SHAPE],
  ['EyeLike', SHAPE],
  ['Equal', COMPARE],
  ['Less', COMPARE],
  ['LessOrEqual', COMPARE],
  ['Greater', COMPARE],
  ['GreaterOrEqual', COMPARE],
  ['And', COMPARE],
  ['Or', COMPARE],
  ['Xor', COMPARE],
  ['Not', COMPARE],
  ['IsNaN', COMPARE],
  ['IsInf', COMPARE],
  ['Floor', STEP],
  ['Ceil', STEP],
  ['Round', STEP],
  ['Sign', STEP],
  ['Hardmax', STEP],
  ['RandomNormalLike', RANDOM],
  ['RandomUniformLike', RANDOM],
  ['Bernoulli', RANDOM],
];

/** Every gradient rule, keyed 'OpType' (ai.onnx) or 'domain::OpType'. */
export const GRADIENT_RULES: ReadonlyMap<string, GradientRule> = new Map(ENTRIES);

/** 'OpType' for ai.onnx, 'domain::OpType' otherwise. */
export function opKey(node: Pick<NodeProto, 'opType' | 'domain'>): string {
  const d = canonicalDomain(node.domain);
  return d === '' ? node.opType : `${d}::${node.opType}`;
}

export function ruleFor(node: Pick<NodeProto, 'opType' | 'domain'>): GradientRule | undefined {
  return GRADIENT_RULES.get(opKey(node));
}
