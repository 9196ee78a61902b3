/**
 * Every command the extension contributes. No `vscode` import, so the plain-Node unit test can check this
 * list against package.json (both directions) and `createCommands` must name each id exactly once.
 */
export const COMMAND_IDS = [
  'rewardStudio.validateFile',
  'rewardStudio.showStats',
  'rewardStudio.refreshDatasets',
  'rewardStudio.trainRewardModel',
  'rewardStudio.showTrainingDashboard',
  'rewardStudio.resumeTraining',
  'rewardStudio.cancelTraining',
  /** Internal (hidden from the palette): versions and native binaries of the model runtime. */
  'rewardStudio.internal.runtimeInfo',
  /** Internal (hidden from the palette): the current training run's status, for tests and support. */
  'rewardStudio.internal.trainingStatus',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** Views the extension contributes (package.json `contributes.views`). */
export const VIEW_IDS = ['rewardStudio.datasets'] as const;

export type ViewId = (typeof VIEW_IDS)[number];
