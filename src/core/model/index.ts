// src/core/model: the built-in backbone, the reward head, the Bradley–Terry loss, and the training,
// scoring and export graphs.
export * from './config';
export * from './params';
export * from './backbone';
export * from './head';
export * from './loss';
export * from './graphs';
export * from './trainStep';
export * from './import';
export * from './lm';
