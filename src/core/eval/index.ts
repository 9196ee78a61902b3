// src/core/eval: what a reward model's numbers are set beside — the length-only and bag-of-words
// baselines on the same pairs.
export * from './baselines';
