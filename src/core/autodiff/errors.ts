// Why a gradient cannot be built: which op, which node, and what the user can do about it.

/** One op on the path from the trained values to the loss that autodiff cannot differentiate. */
export interface UntrainableOp {
  /** 'OpType' (ai.onnx) or 'domain::OpType'. */
  op: string;
  /** Nodes of that op on the path, closest to the loss first. */
  nodes: string[];
  /** 'no gradient rule', or why the rule refuses these nodes (an attribute or opset it does not handle). */
  reason: string;
}

/** Ops ONNX Runtime's transformer optimizer fuses: the remedy is a plain export, or freezing below. */
const FUSED_MICROSOFT_OPS = new Set([
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'PackedAttention',
  'DecoderMaskedMultiHeadAttention',
  'EmbedLayerNormalization',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'RotaryEmbedding',
  'BiasSoftmax',
  'BiasAdd',
  'BiasSplitGelu',
  'MatMulNBits',
  'QAttention',
  'QOrderedAttention',
]);

const FREEZE_BELOW = 'freeze the parameters that only reach the loss through this node (train the layers after it)';

/** What the user can do when `op` blocks the gradient. */
export function remedyFor(op: string): string {
  const [domain, type] = op.includes('::') ? op.split('::') : ['', op];
  if (domain === 'com.microsoft' && FUSED_MICROSOFT_OPS.has(type)) {
    return 'it is a fused ONNX Runtime op: train only parameters that come after it (freeze the layers below), or export the model without fused ops (plain torch.onnx.export / optimum without the ONNX Runtime transformer optimizer)';
  }
  if (domain !== '' && domain !== 'com.microsoft') {
    return `ops of domain '${domain}' (local functions or custom ops) have no gradient rules: inline or re-export the model with standard ONNX ops, or freeze the parameters below this node`;
  }
  return `${FREEZE_BELOW}, or re-export the model with standard ops the gradient table knows`;
}

/** Thrown by buildGradients when a node on the path from a trained value to the loss cannot be differentiated. */
export class UnsupportedGradientError extends Error {
  override name = 'UnsupportedGradientError';
  /** 'OpType' or 'domain::OpType' of the first blocking node (the one closest to the loss). */
  readonly op: string;
  /** Name of that node. */
  readonly node: string;
  /** Every blocking op on the path, with its nodes. */
  readonly untrainable: readonly UntrainableOp[];

  constructor(op: string, node: string, reason: string, untrainable: readonly UntrainableOp[] = [{ op, nodes: [node], reason }]) {
    const total = untrainable.reduce((n, u) => n + u.nodes.length, 0);
    const others =
      total > 1
        ? ` (${total} nodes on the path in all: ${untrainable.map((u) => `${u.op} x${u.nodes.length}`).join(', ')})`
        : '';
    // A refusal's reason says what the rule cannot handle (and, where it knows, what to do instead).
    const message =
      reason === NO_RULE
        ? `no gradient rule for ${op} (node '${node}')${others} — ${remedyFor(op)}`
        : `cannot differentiate ${op} (node '${node}'): ${reason}${reason.includes(' — ') ? '' : ` — ${FREEZE_BELOW}`}${others}`;
    super(message);
    this.op = op;
    this.node = node;
    this.untrainable = untrainable;
  }
}

export const NO_RULE = 'no gradient rule';
