// An imported backbone as a whole reward model: the training step, the scoring graph and the
// self-contained export, built the same way as the built-in backbone's (trainStep.ts, graphs.ts) on
// the wrapper of wrap.ts, so TrainStepper and the evaluators run them unchanged.
//
//   training step: the wrapper (trainable parameters as graph inputs) + the zero reward head 'head.w'
//                  (always trainable) + the Bradley–Terry loss + gradients, clipping, AdamW
//                  (finishTrainStep); the I/O names are the built-in step's (IO, STEP_IO).
//   scoring graph: input_ids, attention_mask (+ parameters the caller keeps as inputs) → rewards.
//   export:        the scoring graph with every trained value baked in, and the metadata_props of
//                  exportRewardModel.
//
// Parameters are named as in the wrapper ('backbone/<name in the export>', and 'head.w'); their values
// are float32 (ModelParams).
import { elementCount, makeTensor, tensorToArray, type OnnxModel, type TensorArray, type TensorProto, type Value } from '../../onnx';
import type { OptimizerConfig } from '../../optim';
import { exportMetadata, IO, type TokenizerIdentity } from '../graphs';
import { addRewardHead } from '../head';
import { addBradleyTerryLoss } from '../loss';
import { HEAD_WEIGHT, type ModelParams } from '../params';
import { finishTrainStep, type TrainStepGraph } from '../trainStep';
import { describeSource } from './analyze';
import { BackboneImportError } from './errors';
import type { BackboneAnalysis } from './types';
import { buildImportedBackbone, importedName, type ImportedBackbone, type TrainableChoice } from './wrap';

/** Values of weights the export takes as graph inputs, by their name in the export (ImportOptions.weights). */
export type ImportedWeights = Readonly<Record<string, TensorProto | TensorArray>>;

export interface ImportedTrainStepOptions {
  /** What trains besides the head: 'head' (nothing else), {top: N}, 'all' (see buildImportedBackbone). */
  trainable: TrainableChoice;
  optimizer: OptimizerConfig;
  /** Add a `margin` input [pairs] subtracted inside the sigmoid (default false). */
  useMargin?: boolean;
  /** TRL center_rewards_coefficient (default 0: off). */
  centerCoef?: number;
  /** Values of weights the export takes as graph inputs (required when it has any). */
  weights?: ImportedWeights;
}

export interface ImportedTrainStep {
  graph: TrainStepGraph;
  /** Initial float32 values of every trainable parameter by graph name, 'head.w' (zeros) included. */
  params: ModelParams;
  /** Shapes of the trainable parameters. */
  shapes: Map<string, number[]>;
}

/**
 * The training step over an imported backbone, with the built-in step's inputs and outputs: feed it
 * through `TrainStepper.create(runtime, step.graph, step.params, step.shapes)`. Frozen parameters stay
 * initializers. Throws BackboneImportError('untrainable') when the choice crosses ops without a
 * gradient rule (fused exports: use 'head'), and when the export needs weights that were not given.
 */
export function buildImportedTrainStep(source: OnnxModel, analysis: BackboneAnalysis, opts: ImportedTrainStepOptions): ImportedTrainStep {
  const w = buildImportedBackbone(source, analysis, { trainable: opts.trainable, weights: opts.weights, name: 'reward_train_step' });
  requireWeights(w, analysis, [], 'training');
  const g = w.builder;
  const params: ModelParams = new Map();
  const shapes = new Map<string, number[]>();
  const trainable = new Map<string, Value>();
  for (const name of w.trainableParams) {
    const t = w.initialValues.get(name)!;
    params.set(name, float32Values(name, t));
    shapes.set(name, [...t.dims]);
    trainable.set(name, g.value(name));
  }
  const H = analysis.hiddenSize;
  const head = g.input(HEAD_WEIGHT, 'float32', [H]);
  params.set(HEAD_WEIGHT, new Float32Array(H)); // zero: every reward starts at 0, as the built-in head
  shapes.set(HEAD_WEIGHT, [H]);
  trainable.set(HEAD_WEIGHT, head);

  const { rewards } = addRewardHead(g, w.hidden, w.attentionMask, head);
  const margin = opts.useMargin ? g.input(IO.margin, 'float32', ['pairs']) : undefined;
  const out = addBradleyTerryLoss(g, rewards, { margin, centerCoef: opts.centerCoef });
  g.output(out.loss, IO.loss);
  g.output(out.rewardsChosen, IO.rewardsChosen);
  g.output(out.rewardsRejected, IO.rewardsRejected);
  g.output(out.accuracy, IO.accuracy);
  g.output(out.rewardMargin, IO.rewardMargin);
  const graph = finishTrainStep(g, { loss: out.loss, trainable }, { optimizer: opts.optimizer, shapes });
  return { graph, params, shapes };
}

export interface ImportedScoringOptions {
  /**
   * Parameter values by graph name ('backbone/<name>', 'head.w'): trained values replace the
   * export's. Absent ones keep the export's value; an absent head is zero.
   */
  params?: ModelParams;
  /**
   * Parameters to keep as graph inputs instead of initializers (graph names, 'head.w' included), so
   * one session can be fed the current values as training goes on.
   */
  inputs?: readonly string[];
  /** Values of weights the export takes as graph inputs (or give them in `params` by graph name). */
  weights?: ImportedWeights;
}

/**
 * input_ids, attention_mask (int64 [batch, seq], right padding) and the parameters listed in
 * `inputs` → rewards (float32 [batch]).
 */
export function buildImportedScoringGraph(source: OnnxModel, analysis: BackboneAnalysis, opts: ImportedScoringOptions = {}): OnnxModel {
  const params = opts.params ?? new Map<string, Float32Array | Float64Array>();
  const asInputs = new Set(opts.inputs ?? []);
  const known = new Set([HEAD_WEIGHT, ...analysis.params.map((p) => importedName(p.name)), ...analysis.inputs.filter((i) => i.role === 'weight').map((i) => importedName(i.name))]);
  for (const name of [...params.keys(), ...asInputs]) {
    if (!known.has(name)) {
      throw new BackboneImportError('bad-hint', `'${name}' is not a parameter of the reward model over ${analysis.source} (parameters are '${HEAD_WEIGHT}' and 'backbone/<name in the export>')`, [name]);
    }
  }
  // Weights the export takes as inputs: trained values from `params`, else the given `weights`.
  const weights: Record<string, TensorProto | TensorArray> = { ...opts.weights };
  const fromParams = new Set<string>();
  for (const input of analysis.inputs) {
    const name = importedName(input.name);
    const value = params.get(name);
    if (input.role !== 'weight' || !value || asInputs.has(name)) continue;
    weights[input.name] = input.dtype === 'float32' && !(value instanceof Float32Array) ? Float32Array.from(value) : value;
    fromParams.add(name);
  }
  const w = buildImportedBackbone(source, analysis, { trainable: 'head', weights, name: 'reward_model' });
  requireWeights(w, analysis, [...asInputs], 'scoring');
  const g = w.builder;
  const H = analysis.hiddenSize;
  const headValue = params.get(HEAD_WEIGHT);
  if (headValue && headValue.length !== H) throw new Error(`'${HEAD_WEIGHT}' has ${headValue.length} values; the hidden size is ${H}`);
  const head = asInputs.has(HEAD_WEIGHT) ? g.input(HEAD_WEIGHT, 'float32', [H]) : g.initializer(HEAD_WEIGHT, headValue ? Float32Array.from(headValue) : new Float32Array(H), [H]);

  // Trained values of the export's own parameters replace its initializers; listed ones become inputs.
  const replaced = new Map<string, Float32Array | Float64Array>();
  for (const [name, value] of params) {
    if (name !== HEAD_WEIGHT && !fromParams.has(name) && !asInputs.has(name)) replaced.set(name, value);
  }
  for (const name of asInputs) {
    if (name === HEAD_WEIGHT || w.weightInputs.includes(name)) continue;
    if (!g.getInitializer(name)) throw new BackboneImportError('bad-hint', `'${name}' does not reach the hidden state of ${analysis.source}: it cannot be an input of the scoring graph`, [name]);
    g.initializerToInput(name);
  }
  for (const name of replaced.keys()) {
    if (!g.getInitializer(name)) throw new BackboneImportError('bad-hint', `'${name}' does not reach the hidden state of ${analysis.source}: its value is not used`, [name]);
  }

  const { rewards } = addRewardHead(g, w.hidden, w.attentionMask, head);
  g.output(rewards, IO.rewards);
  const model = g.build();
  if (replaced.size) model.graph.initializer = model.graph.initializer.map((t) => (replaced.has(t.name ?? '') ? withValues(t, replaced.get(t.name ?? '')!) : t));
  return model;
}

export interface ImportedExportOptions {
  tokenizer?: TokenizerIdentity;
  /** Extra metadata_props (keys sorted into the file after the standard ones). */
  metadata?: Readonly<Record<string, string>>;
  /** Values of weights the export takes as graph inputs (or give them in `params`). */
  weights?: ImportedWeights;
}

/**
 * A self-contained reward model over the imported backbone: input_ids, attention_mask (int64
 * [batch, seq], right padding) → rewards (float32 [batch]); the trained values (`params`, by graph
 * name, 'head.w' required) and every frozen weight baked in as initializers; metadata_props as
 * exportRewardModel writes them, the backbone recorded as 'imported:<source>'. Deterministic: the
 * same inputs give the same bytes.
 */
export function exportImportedRewardModel(source: OnnxModel, analysis: BackboneAnalysis, params: ModelParams, opts: ImportedExportOptions = {}): OnnxModel {
  if (!params.has(HEAD_WEIGHT)) throw new Error(`exportImportedRewardModel: params has no '${HEAD_WEIGHT}' (the trained reward head)`);
  const model = buildImportedScoringGraph(source, analysis, { params, weights: opts.weights });
  model.metadataProps = exportMetadata(
    `imported:${describeSource(source)}`,
    {
      hiddenSize: analysis.hiddenSize,
      vocabSize: analysis.vocabSize ?? null,
      maxSeqLen: analysis.maxSeqLen ?? null,
      fixedSeqLen: analysis.fixedSeqLen ?? null,
      fixedBatch: analysis.fixedBatch ?? null,
      causal: analysis.causal,
    },
    opts.tokenizer,
    opts.metadata,
  );
  model.docString =
    `Reward Studio reward model over a backbone imported from ${analysis.source}. Inputs: input_ids, attention_mask (int64 [batch, seq], right padding). ` +
    "Output: rewards (float32 [batch]), read at each row's last token with attention_mask 1.";
  // What an export may not do: leave anything for the caller to feed.
  const extra = model.graph.input.map((i) => i.name).filter((n) => n !== IO.inputIds && n !== IO.attentionMask);
  if (extra.length) throw new Error(`exportImportedRewardModel: the model would still take ${extra.join(', ')} as inputs`);
  return model;
}

/** Weight inputs without values are only allowed where the caller said it feeds them. */
function requireWeights(w: ImportedBackbone, analysis: BackboneAnalysis, fed: readonly string[], what: string): void {
  const missing = w.weightInputs.filter((n) => !fed.includes(n));
  if (!missing.length) return;
  throw new BackboneImportError(
    'unsupported',
    `${analysis.source} takes its weights as graph inputs, and ${what} needs their values: give weights (by input name: ` +
      `${missing.map((n) => `'${n.slice(importedName('').length)}'`).join(', ')})` +
      (what === 'training' ? '' : ' or params (by graph name), or list them in inputs to feed them'),
    missing,
  );
}

function float32Values(name: string, t: TensorProto): Float32Array {
  const a = tensorToArray(t);
  if (!(a instanceof Float32Array)) {
    throw new BackboneImportError('unsupported', `parameter '${name}' is not float32 (data type ${t.dataType}): only float32 parameters can train; train fewer blocks or 'head'`, [name]);
  }
  return a.slice(); // the tensor may be a view of the model file
}

/** The initializer `t` holding `values` (same name, dims and element type). */
function withValues(t: TensorProto, values: Float32Array | Float64Array): TensorProto {
  const name = t.name ?? '';
  const n = elementCount(t.dims);
  if (values.length !== n) throw new Error(`parameter '${name}' has ${values.length} values; [${t.dims.join(', ')}] needs ${n}`);
  const current = tensorToArray(t);
  if (current instanceof Float32Array) return makeTensor(name, values instanceof Float32Array ? values : Float32Array.from(values), t.dims);
  if (current instanceof Float64Array) return makeTensor(name, values instanceof Float64Array ? values : Float64Array.from(values), t.dims);
  throw new Error(`parameter '${name}' is not float32 or float64 in the export (data type ${t.dataType}): a value cannot be given for it`);
}
