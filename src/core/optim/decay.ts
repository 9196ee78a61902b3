// Which parameters get weight decay. Default ('matrices'): weight matrices only — no decay on biases,
// norm gains/shifts (rank 1) or embeddings (named by OptimizerConfig.noDecay), as nanoGPT's
// configure_optimizers and the GPT-2/HF recipes do.

export type DecayPolicy = 'matrices' | 'all' | 'none';

export interface DecayRule {
  decay: DecayPolicy;
  noDecay: readonly string[];
}

/** Whether weight decay applies to a parameter of this name and shape. */
export function shouldDecay(name: string, shape: readonly number[], rule: DecayRule): boolean {
  if (rule.decay === 'none') return false;
  if (rule.noDecay.some((p) => new RegExp(p, 'i').test(name))) return false;
  return rule.decay === 'all' || shape.length >= 2;
}

/** The decayed subset of `params` (name → shape), in the given order. */
export function decayedParams(params: Iterable<readonly [string, readonly number[]]>, rule: DecayRule): string[] {
  const out: string[] = [];
  for (const [name, shape] of params) if (shouldDecay(name, shape, rule)) out.push(name);
  return out;
}
