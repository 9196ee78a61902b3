// src/core/optim: AdamW and global-norm clipping as graph builders, the decay policy, LR schedules,
// and the one optimizer config.
export * from './config';
export * from './decay';
export * from './schedule';
export * from './clip';
export * from './adamw';
