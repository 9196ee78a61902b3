// What analyzeBackbone finds in a user's exported model, and what the caller can tell it.
import type { DType, Shape } from '../../onnx';

/**
 * What a model input is fed with by the wrapper.
 * - input_ids: the token ids (int32 or int64, [batch, seq]).
 * - attention_mask: 1 for real tokens, 0 for padding; [batch, seq] of any type, or a float
 *   [batch, 1, n, n] square (Megatron's), built from the 2-D mask.
 * - position_ids: cumsum(mask) − 1, clipped at 0 (Hugging Face's convention; right padding).
 * - token_type_ids: zeros (segment A everywhere).
 * - past: an empty past key/value cache (the past-length axis is 0).
 * - zeros: zeros of the declared shape, batch and sequence axes following the ids.
 * - weight: a parameter the export takes as an input (torch.compile/AOT exports); becomes an
 *   initializer when a value is given, else stays a graph input the caller feeds.
 */
export type InputRole = 'input_ids' | 'attention_mask' | 'position_ids' | 'token_type_ids' | 'past' | 'zeros' | 'weight';

export interface BackboneHints {
  /** Roles for inputs the analysis cannot classify (or classifies wrongly), by input name. */
  inputs?: Readonly<Record<string, InputRole>>;
  /** The value that holds the hidden states [batch, seq, H] (a graph output or an internal value). */
  hiddenState?: string;
  /** Hidden size H, when the embedding table does not say it. */
  hiddenSize?: number;
  /** Whether attention is causal (decoder); default: detected (past inputs, Trilu, a causal buffer). */
  causal?: boolean;
  /** Tokens a decode-step export is unrolled over (default: the longest sequence it can take). */
  decodeSteps?: number;
}

/** How a model's attention-mask input is built from the 2-D int64 mask. */
export type MaskForm =
  /** [batch, seq] (or [batch, past+seq]): the mask itself, cast to the input's type. */
  | { kind: '2d' }
  /**
   * [batch, 1, n, n]: n is `size` when the export fixes it (Megatron: 64, sliced inside) or the
   * sequence length. 'keep': 1 where query i may see key j; 'additive': 0 there and a large negative
   * number elsewhere. causal: key j ≤ query i is required too.
   */
  | { kind: '4d'; size: number | undefined; convention: 'keep' | 'additive'; causal: boolean };

export interface ImportedInput {
  name: string;
  dtype: DType | undefined;
  shape: Shape;
  role: InputRole;
  /** Why this role: the name convention, the structure, or the hint. */
  reason: string;
  mask?: MaskForm;
  /** For 'past': the axes of the batch and of the past length in the declared shape. */
  past?: { batchAxis: number; pastAxis: number };
}

export type HiddenRule = 'hint' | 'named-output' | 'output' | 'lm-head-input' | 'trunk';

export interface HiddenStateChoice {
  /** The value (graph output or internal) taken as the hidden states. */
  name: string;
  dtype: DType | undefined;
  shape: Shape;
  rule: HiddenRule;
  /** Which tensor was chosen and why, in words. */
  reason: string;
}

export type ParamPart = 'embedding' | 'block' | 'final-norm' | 'unassigned';

export interface BackboneParam {
  /** Name in the original model (an initializer, or a weight input). */
  name: string;
  dtype: DType;
  shape: readonly number[];
  source: 'initializer' | 'input';
  part: ParamPart;
  /** Transformer block index (0 = nearest the embeddings), for part 'block'. */
  block?: number;
}

export interface BlockStructure {
  /** Number of transformer blocks found (0 when none could be). */
  count: number;
  /** 'names': from parameter names (h.N, layers.N, ...); 'structure': from the attention ops along the graph. */
  method: 'names' | 'structure' | 'names+structure' | 'none';
  embeddings: string[];
  /** Parameter names per block, block 0 first. */
  blocks: string[][];
  finalNorm: string[];
  unassigned: string[];
  /** How the blocks were found, or why they could not be. */
  reason: string;
}

export interface OpGroup {
  /** 'Op' (ai.onnx) or 'domain::Op'. */
  op: string;
  /** Nodes of that op (first few). */
  nodes: string[];
  count: number;
}

export interface Trainability {
  /** Non-standard (contrib/fused) ops anywhere between the inputs and the hidden state. */
  fusedOps: OpGroup[];
  /** Ops on the path from the backbone's parameters to the hidden state that have no gradient rule. */
  untrainableOps: OpGroup[];
  /** Whether trainable: 'all' can work. */
  canTrainAll: boolean;
  /** The most top blocks that can be trained (0 when none). */
  maxTopBlocks: number;
  /** In words: what can train and what cannot, and why. */
  message: string;
}

export interface BackboneAnalysis {
  /** producer_name/version and graph name of the export, for messages. */
  source: string;
  opset: number;
  inputs: ImportedInput[];
  /** The token-id input. */
  ids: { name: string; dtype: 'int32' | 'int64' };
  /** Rows of the token embedding table (token ids must be below it). */
  vocabSize: number | undefined;
  hidden: HiddenStateChoice;
  hiddenSize: number;
  /** Static sequence length of the export: the trainer pads/truncates to it (the wrapper pads). */
  fixedSeqLen: number | undefined;
  /** Static batch size of the export: the wrapper pads the batch up to it; larger batches cannot run. */
  fixedBatch: number | undefined;
  /** Longest sequence the export can take (position table rows, fixed mask size), when known. */
  maxSeqLen: number | undefined;
  /** Whether attention is causal (decoder): the hint, else what the graph shows (see notes for why). */
  causal: boolean;
  /**
   * Decode-step exports (token ids declared [batch, 1] next to a past cache, e.g. ONNX Runtime's GPT-2
   * benchmark export, which keeps only the last token): the wrapper runs the step once per token,
   * each step's present cache feeding the next step's past. `steps` is the unrolled length (also
   * fixedSeqLen); `presents` maps each past input to the output that continues it.
   */
  stepwise: { steps: number; presents: Record<string, string> } | undefined;
  params: BackboneParam[];
  blocks: BlockStructure;
  trainability: Trainability;
  /** Everything else worth telling the user (relaxed dims, casts, fp16 hidden states, ...). */
  notes: string[];
}
