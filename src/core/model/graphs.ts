// Whole graphs over the built-in backbone: the training forward (rewards + Bradley–Terry loss, with
// the trainable parameters as inputs for the autodiff and optimizer to extend), the forward-only
// scoring graph, and the self-contained reward model export.
import { GraphBuilder, type OnnxModel, type StringStringEntry, type Value } from '../onnx';
import { buildBuiltinBackboneLast, type LayerNormImpl } from './backbone';
import { validateBuiltinConfig, type BuiltinBackboneConfig } from './config';
import { addRewardHeadOnFeatures } from './head';
import { addBradleyTerryLoss, type BradleyTerryOutputs } from './loss';
import { bindParams, castParams, checkParams, HEAD_WEIGHT, trainableParams, type ModelParams, type TrainableSpec } from './params';

/** Graph input and output names shared by every graph here (and the exported model). */
export const IO = Object.freeze({
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  margin: 'margin',
  rewards: 'rewards',
  loss: 'loss',
  rewardsChosen: 'rewards_chosen',
  rewardsRejected: 'rewards_rejected',
  accuracy: 'accuracy',
  rewardMargin: 'reward_margin',
});

/** Opset of the graphs built here (LayerNormalization is in 17; ORT 1.30 runs it everywhere). */
export const MODEL_OPSET = 17;

export interface RewardGraphOptions {
  config: BuiltinBackboneConfig;
  /** Values of every parameter (float32 or float64: the graph computes in that type). */
  params: ModelParams;
  /**
   * Which parameters are graph inputs (a spec, or the names themselves); the rest are initializers.
   * Default 'none' for scoring, 'head' for the loss.
   */
  trainable?: TrainableSpec | readonly string[];
  layerNorm?: LayerNormImpl;
  /** See BuiltinBackboneInputs.gelu; the export always uses the plain-ONNX form. */
  gelu?: 'fused' | 'decomposed';
  name?: string;
}

export interface RewardForward {
  g: GraphBuilder;
  inputIds: Value;
  attentionMask: Value;
  /** [rows] */
  rewards: Value;
  /** Trainable parameter inputs by name, canonical order. */
  trainable: Map<string, Value>;
}

/** input_ids, attention_mask (int64 [rows, seq]) → rewards [rows], built into a new builder. No outputs marked. */
export function buildRewardForward(opts: RewardGraphOptions): RewardForward {
  validateBuiltinConfig(opts.config);
  const g = new GraphBuilder({ opset: MODEL_OPSET, name: opts.name ?? 'reward_model' });
  const inputIds = g.input(IO.inputIds, 'int64', ['batch', 'seq']);
  const attentionMask = g.input(IO.attentionMask, 'int64', ['batch', 'seq']);
  const spec = opts.trainable ?? 'none';
  const bound = bindParams(g, opts.config, opts.params, typeof spec === 'string' ? trainableParams(opts.config, spec) : spec);
  const { last } = g.scope('backbone', () =>
    buildBuiltinBackboneLast(g, opts.config, bound.get, { inputIds, attentionMask, layerNorm: opts.layerNorm, gelu: opts.gelu, training: bound.trainable.size > 0 }),
  );
  const { rewards } = addRewardHeadOnFeatures(g, last, bound.get(HEAD_WEIGHT));
  return { g, inputIds, attentionMask, rewards, trainable: bound.trainable };
}

/** The forward-only scoring graph: input_ids, attention_mask → rewards. */
export function buildScoringGraph(opts: RewardGraphOptions): OnnxModel {
  const f = buildRewardForward(opts);
  f.g.output(f.rewards, IO.rewards);
  return f.g.build();
}

export interface LossGraphOptions extends RewardGraphOptions {
  /** Add a `margin` input [pairs] subtracted inside the sigmoid (default false). */
  useMargin?: boolean;
  /** TRL center_rewards_coefficient (default 0: off). */
  centerCoef?: number;
}

export interface LossForward extends RewardForward, BradleyTerryOutputs {
  margin: Value | undefined;
}

/**
 * The training forward: rows [chosen_0..chosen_{B−1}, rejected_0..rejected_{B−1}] (both sides padded
 * to one length) → loss, rewards_chosen, rewards_rejected, accuracy, reward_margin, all marked as
 * outputs. Trainable parameters (default 'head') are graph inputs named as the parameters; the caller
 * adds gradients (autodiff) and the optimizer update to `g`, then builds.
 */
export function buildLossForward(opts: LossGraphOptions): LossForward {
  const f = buildRewardForward({ ...opts, trainable: opts.trainable ?? 'head', name: opts.name ?? 'reward_loss' });
  const { g } = f;
  const margin = opts.useMargin ? g.input(IO.margin, f.rewards.dtype!, ['pairs']) : undefined;
  const out = addBradleyTerryLoss(g, f.rewards, { margin, centerCoef: opts.centerCoef });
  const marked: BradleyTerryOutputs = {
    loss: g.output(out.loss, IO.loss),
    rewardsChosen: g.output(out.rewardsChosen, IO.rewardsChosen),
    rewardsRejected: g.output(out.rewardsRejected, IO.rewardsRejected),
    accuracy: g.output(out.accuracy, IO.accuracy),
    rewardMargin: g.output(out.rewardMargin, IO.rewardMargin),
  };
  return { ...f, ...marked, margin };
}

/** buildLossForward, built: a forward-only loss model (gradients and the update come with the training step). */
export function buildLossGraph(opts: LossGraphOptions): OnnxModel {
  return buildLossForward(opts).g.build();
}

/** What identifies the tokenizer a reward model expects (placeholders until tokenizer loading lands). */
export interface TokenizerIdentity {
  /** e.g. a Hugging Face repo id or a file name. */
  name?: string;
  /** sha256 of tokenizer.json. */
  sha256?: string;
  padTokenId?: number;
}

export interface ExportOptions {
  config: BuiltinBackboneConfig;
  params: ModelParams;
  tokenizer?: TokenizerIdentity;
  /** Extra metadata_props (keys sorted into the file after the standard ones). */
  metadata?: Readonly<Record<string, string>>;
  /** Default 'op' (LayerNormalization): what any ONNX Runtime runs fastest. */
  layerNorm?: LayerNormImpl;
}

/** metadata_props keys the export writes. */
export const EXPORT_METADATA = Object.freeze({
  format: 'reward_studio.format',
  backbone: 'reward_studio.backbone',
  config: 'reward_studio.config',
  padding: 'reward_studio.padding',
  tokenizerName: 'tokenizer.name',
  tokenizerSha256: 'tokenizer.sha256',
  tokenizerPadTokenId: 'tokenizer.pad_token_id',
});

export const EXPORT_FORMAT = 'reward-model/1';

/** The metadata_props of an exported reward model: the standard keys in order, then `extra` sorted by key. */
export function exportMetadata(
  backbone: string,
  config: unknown,
  tokenizer: TokenizerIdentity = {},
  extra: Readonly<Record<string, string>> = {},
): StringStringEntry[] {
  const props: StringStringEntry[] = [
    { key: EXPORT_METADATA.format, value: EXPORT_FORMAT },
    { key: EXPORT_METADATA.backbone, value: backbone },
    { key: EXPORT_METADATA.config, value: JSON.stringify(config) },
    { key: EXPORT_METADATA.padding, value: 'right' },
    { key: EXPORT_METADATA.tokenizerName, value: tokenizer.name ?? '' },
    { key: EXPORT_METADATA.tokenizerSha256, value: tokenizer.sha256 ?? '' },
    { key: EXPORT_METADATA.tokenizerPadTokenId, value: tokenizer.padTokenId === undefined ? '' : String(tokenizer.padTokenId) },
  ];
  const standard = new Set(props.map((p) => p.key));
  for (const key of Object.keys(extra).sort()) {
    if (standard.has(key)) throw new Error(`export metadata: '${key}' is written by the exporter itself`);
    props.push({ key, value: extra[key] });
  }
  return props;
}

/**
 * A self-contained reward model: input_ids, attention_mask (int64 [batch, seq], right padding) →
 * rewards (float32 [batch]), every weight an initializer, the config and tokenizer identity in
 * metadata_props. Deterministic: the same parameters give the same bytes.
 */
export function exportRewardModel(opts: ExportOptions): OnnxModel {
  const params = checkParams(opts.config, opts.params) === 'float32' ? opts.params : castParams(opts.params, 'float32');
  const f = buildRewardForward({ config: opts.config, params, trainable: 'none', layerNorm: opts.layerNorm ?? 'op', gelu: 'decomposed', name: 'reward_model' }); // plain ONNX: loads in any ONNX Runtime
  f.g.output(f.rewards, IO.rewards);
  const model = f.g.build();
  const c = opts.config;
  model.metadataProps = exportMetadata(
    'builtin-gpt',
    { vocab: c.vocab, dModel: c.dModel, nHeads: c.nHeads, nLayers: c.nLayers, maxLen: c.maxLen, eps: c.eps },
    opts.tokenizer,
    opts.metadata,
  );
  model.docString =
    'Reward Studio reward model. Inputs: input_ids, attention_mask (int64 [batch, seq], right padding). ' +
    'Output: rewards (float32 [batch]), read at each row\'s last token with attention_mask 1.';
  return model;
}
