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
  'rewardStudio.showBiasReport',
  /** Internal (hidden from the palette): versions and native binaries of the model runtime. */
  'rewardStudio.internal.runtimeInfo',
  /** Internal (hidden from the palette): the current training run's status, for tests and support. */
  'rewardStudio.internal.trainingStatus',
  // Annotation (src/extension/annotate): open a queue, then the judging commands the keybindings run.
  'rewardStudio.annotate',
  'rewardStudio.annotate.preferLeft',
  'rewardStudio.annotate.preferRight',
  'rewardStudio.annotate.tie',
  'rewardStudio.annotate.skip',
  'rewardStudio.annotate.undo',
  'rewardStudio.annotate.next',
  'rewardStudio.annotate.previous',
  'rewardStudio.annotate.strength1',
  'rewardStudio.annotate.strength2',
  'rewardStudio.annotate.strength3',
  'rewardStudio.annotate.strength4',
  'rewardStudio.annotate.note',
  'rewardStudio.annotate.toggleDiff',
  /** Internal (hidden from the palette): the focused annotation session's state, for tests and support. */
  'rewardStudio.internal.annotationStatus',
  // In-editor inspection (src/extension/inspect): the active model's rewards on JSONL records.
  'rewardStudio.inspect.selectModel',
  'rewardStudio.inspect.scoreSelection',
  'rewardStudio.inspect.compareModels',
  /** Quick fixes and the CodeLens click (hidden from the palette: they take a file and a line). */
  'rewardStudio.inspect.markReviewed',
  'rewardStudio.inspect.judgeAgain',
  'rewardStudio.inspect.lineDetails',
  /** Internal (hidden from the palette): the inspection state, for tests and the benchmark. */
  'rewardStudio.internal.inspectStatus',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** Views the extension contributes (package.json `contributes.views`). */
export const VIEW_IDS = ['rewardStudio.datasets', 'rewardStudio.annotation'] as const;

export type ViewId = (typeof VIEW_IDS)[number];
