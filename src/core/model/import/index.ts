// src/core/model/import: a user's exported ONNX backbone as the reward model's backbone — analysis
// (inputs, hidden state, fixed lengths, blocks, trainability) and the wrapper graph.
export { analyzeBackbone, describeSource } from './analyze';
export { buildImportedBackbone, importedName, BACKBONE_PREFIX, HIDDEN_STATE } from './wrap';
export type { ImportOptions, ImportedBackbone, TrainableChoice } from './wrap';
export { BackboneImportError } from './errors';
export type { BackboneImportErrorCode } from './errors';
export { partFromName } from './params';
export { roleFromName } from './inputs';
export type * from './types';
export { buildImportedTrainStep, buildImportedScoringGraph, exportImportedRewardModel } from './reward';
export type { ImportedTrainStep, ImportedTrainStepOptions, ImportedScoringOptions, ImportedExportOptions, ImportedWeights } from './reward';
