// The built-in backbone's architecture: a small GPT-2-style decoder the project generates itself.
// The vocabulary is the tokenizer's (its size is a parameter, not a constant of the model).

export interface BuiltinBackboneConfig {
  /** Vocabulary size: the tokenizer's. */
  vocab: number;
  dModel: number;
  nHeads: number;
  nLayers: number;
  /** Longest sequence (learned positions). */
  maxLen: number;
  /** LayerNorm epsilon. */
  eps: number;
}

/** Defaults for what a caller leaves out (vocab must always be given: it is the tokenizer's). */
export const DEFAULT_BUILTIN_CONFIG: Readonly<Omit<BuiltinBackboneConfig, 'vocab'>> = Object.freeze({
  dModel: 256,
  nHeads: 4,
  nLayers: 4,
  maxLen: 512,
  eps: 1e-5,
});

/** A complete, validated config (throws naming the bad field). */
export function builtinConfig(c: Partial<BuiltinBackboneConfig> & Pick<BuiltinBackboneConfig, 'vocab'>): BuiltinBackboneConfig {
  const full: BuiltinBackboneConfig = { ...DEFAULT_BUILTIN_CONFIG, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) } as BuiltinBackboneConfig;
  validateBuiltinConfig(full);
  return full;
}

export function validateBuiltinConfig(c: BuiltinBackboneConfig): void {
  const positiveInt = (k: keyof BuiltinBackboneConfig): void => {
    if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new Error(`backbone config: ${k} must be a positive integer (got ${c[k]})`);
  };
  positiveInt('vocab');
  positiveInt('dModel');
  positiveInt('nHeads');
  positiveInt('nLayers');
  positiveInt('maxLen');
  if (c.dModel % c.nHeads !== 0) throw new Error(`backbone config: dModel ${c.dModel} is not divisible by nHeads ${c.nHeads}`);
  if (!(c.eps > 0 && Number.isFinite(c.eps))) throw new Error(`backbone config: eps must be > 0 (got ${c.eps})`);
}
