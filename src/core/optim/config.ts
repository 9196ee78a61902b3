// The optimizer's one typed config: every default in one block (nanoGPT train.py keeps its defaults
// together; checkpoints carry this object as it was used).
import type { DecayPolicy } from './decay';
import type { ScheduleKind } from './schedule';

export interface OptimizerConfig {
  /** Peak learning rate (after warmup). */
  lr: number;
  beta1: number;
  beta2: number;
  /** Added outside the square root, as torch.optim.AdamW. */
  eps: number;
  /** Decoupled weight decay (p ← p·(1 − lr·wd)) for the parameters `decay` selects. */
  weightDecay: number;
  /** Which parameters weight decay applies to. */
  decay: DecayPolicy;
  /**
   * Regular expressions (sources, case-insensitive) naming parameters never decayed, even when
   * `decay` would pick them: embeddings by default (nanoGPT decays them; GPT-2/HF setups do not).
   */
  noDecay: readonly string[];
  /** Global gradient-norm clipping threshold (torch.nn.utils.clip_grad_norm_); null: no clipping. */
  maxGradNorm: number | null;
  /** Learning-rate schedule after warmup (HF get_*_schedule_with_warmup). */
  schedule: ScheduleKind;
  /** Warmup steps; 0 means `warmupRatio` of the total decides (HF TrainingArguments). */
  warmupSteps: number;
  /** Fraction of the total steps used for warmup when `warmupSteps` is 0 (rounded up). */
  warmupRatio: number;
}

/**
 * Every default in one place. lr, betas, eps, clipping and the linear schedule are HF
 * TrainingArguments' defaults; weight decay is torch.optim.AdamW's own default (0.01), applied to
 * weight matrices only (nanoGPT's policy, embeddings excluded).
 */
export const DEFAULT_OPTIMIZER_CONFIG: Readonly<OptimizerConfig> = Object.freeze({
  lr: 5e-5,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  decay: 'matrices',
  noDecay: Object.freeze(['embed', '(^|[./_])(wte|wpe)([./_]|$)']),
  maxGradNorm: 1.0,
  schedule: 'linear',
  warmupSteps: 0,
  warmupRatio: 0,
});

/** The defaults with `overrides` applied, validated (throws naming the bad field). */
export function optimizerConfig(overrides: Partial<OptimizerConfig> = {}): OptimizerConfig {
  const c: OptimizerConfig = { ...DEFAULT_OPTIMIZER_CONFIG, ...stripUndefined(overrides) };
  const bad = (field: keyof OptimizerConfig, why: string): never => {
    throw new Error(`optimizer config: ${field} ${why} (got ${JSON.stringify(c[field])})`);
  };
  if (!(Number.isFinite(c.lr) && c.lr >= 0)) bad('lr', 'must be a finite number >= 0');
  if (!(c.beta1 >= 0 && c.beta1 < 1)) bad('beta1', 'must be in [0, 1)');
  if (!(c.beta2 >= 0 && c.beta2 < 1)) bad('beta2', 'must be in [0, 1)');
  if (!(Number.isFinite(c.eps) && c.eps >= 0)) bad('eps', 'must be a finite number >= 0');
  if (!(Number.isFinite(c.weightDecay) && c.weightDecay >= 0)) bad('weightDecay', 'must be a finite number >= 0');
  if (!['matrices', 'all', 'none'].includes(c.decay)) bad('decay', "must be 'matrices', 'all' or 'none'");
  for (const p of c.noDecay) {
    try {
      new RegExp(p, 'i');
    } catch {
      bad('noDecay', `holds an invalid regular expression '${p}'`);
    }
  }
  if (c.maxGradNorm !== null && !(c.maxGradNorm > 0)) bad('maxGradNorm', 'must be > 0 or null');
  if (!['constant', 'linear', 'cosine'].includes(c.schedule)) bad('schedule', "must be 'constant', 'linear' or 'cosine'");
  if (!(Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0)) bad('warmupSteps', 'must be an integer >= 0');
  if (!(c.warmupRatio >= 0 && c.warmupRatio <= 1)) bad('warmupRatio', 'must be in [0, 1]');
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
