// src/core/eval: what a reward model's numbers are set beside — the length-only and bag-of-words
// baselines on the same pairs — and the evaluation report: accuracy with intervals, length, calibration,
// sycophancy, formatting, label noise and annotator figures (README.md documents the report and probes).
export * from './baselines';
export * from './stats';
export * from './probes';
export * from './report';
export * from './evaluate';
export * from './plots';
export * from './findings';
export * from './html';
