/**
 * The command table: every contributed command id mapped to its handler, in one place (as
 * rust-analyzer's createCommands). `Record<CommandId, …>` makes a missing or unknown id a compile error;
 * test/unit/extension/commandIds.test.ts checks the ids against package.json.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnnotationManager } from './annotate/annotationManager';
import type { CommandId } from './commandIds';
import type { DatasetsView } from './datasetsView';
import type { BiasReports } from './eval/biasReports';
import { isPreferenceFileNode } from './datasetsView';
import type { ValidationDiagnostics } from './diagnostics';
import { EXCLUDE_GLOB, PICKABLE_FILES_GLOB, errorMessage, isPreferenceFileName } from './report';
import { describeRuntime, runtimeInfo } from './runtimeInfo';
import type { StatsPanels } from './statsPanel';
import type { TrainingManager } from './train/trainingManager';
import { revealLine, type InspectionManager } from './inspect/inspectionManager';

export interface CommandContext {
  diagnostics: ValidationDiagnostics;
  datasets: DatasetsView;
  stats: StatsPanels;
  training: TrainingManager;
  biasReports: BiasReports;
  annotation: AnnotationManager;
  inspection: InspectionManager;
  log: vscode.LogOutputChannel;
}

/** What a handler returns is what `vscode.commands.executeCommand` resolves to (most return nothing). */
export type CommandHandler = (...args: unknown[]) => unknown;

export function createCommands(ctx: CommandContext): Record<CommandId, CommandHandler> {
  return {
    'rewardStudio.validateFile': async (...args) => {
      for (const uri of await targetFiles(args, 'Validate Preference File')) {
        await ctx.diagnostics.validate(uri, 'command');
      }
    },
    'rewardStudio.showStats': async (...args) => {
      for (const uri of await targetFiles(args, 'Show Preference Data Stats')) ctx.stats.show(uri);
    },
    'rewardStudio.refreshDatasets': () => ctx.datasets.refresh(),
    'rewardStudio.trainRewardModel': async (...args) => {
      // One run at a time: the clicked file when several are selected.
      const [uri] = args[0] instanceof vscode.Uri ? [args[0]] : await targetFiles(args, 'Train Reward Model');
      return uri ? ctx.training.train(uri) : undefined;
    },
    'rewardStudio.showTrainingDashboard': (...args) => ctx.training.showDashboard(args[0]),
    'rewardStudio.resumeTraining': (...args) => ctx.training.resume(args[0]),
    'rewardStudio.cancelTraining': () => ctx.training.cancel(),
    'rewardStudio.showBiasReport': (...args) => ctx.biasReports.show(args[0]),
    'rewardStudio.internal.runtimeInfo': async () => {
      const info = await runtimeInfo();
      ctx.log.info(`runtime: ${describeRuntime(info)}`);
      return info;
    },
    'rewardStudio.internal.trainingStatus': () => ctx.training.status(),
    'rewardStudio.annotate': async (...args) => {
      // One queue per panel: the clicked file when several are selected.
      const [uri] = args[0] instanceof vscode.Uri ? [args[0]] : await targetFiles(args, 'Annotate with Reward Studio');
      return uri ? ctx.annotation.open(uri) : undefined;
    },
    'rewardStudio.annotate.preferLeft': () => ctx.annotation.judge('left'),
    'rewardStudio.annotate.preferRight': () => ctx.annotation.judge('right'),
    'rewardStudio.annotate.tie': () => ctx.annotation.judge('tie'),
    'rewardStudio.annotate.skip': () => ctx.annotation.judge('skip'),
    'rewardStudio.annotate.undo': () => ctx.annotation.undo(),
    'rewardStudio.annotate.next': () => ctx.annotation.move('next'),
    'rewardStudio.annotate.previous': () => ctx.annotation.move('previous'),
    'rewardStudio.annotate.strength1': () => ctx.annotation.strength(1),
    'rewardStudio.annotate.strength2': () => ctx.annotation.strength(2),
    'rewardStudio.annotate.strength3': () => ctx.annotation.strength(3),
    'rewardStudio.annotate.strength4': () => ctx.annotation.strength(4),
    'rewardStudio.annotate.note': () => ctx.annotation.ui('focusNote'),
    'rewardStudio.annotate.toggleDiff': () => ctx.annotation.ui('toggleDiff'),
    'rewardStudio.internal.annotationStatus': () => ctx.annotation.status(),
    'rewardStudio.inspect.selectModel': async (...args) => {
      // With a folder (tests, a link): make it the active model without asking.
      if (args[0] instanceof vscode.Uri) return ctx.inspection.setModel(args[0].fsPath);
      if (args[0] === null) return ctx.inspection.setModel(undefined);
      return ctx.inspection.pickModel();
    },
    'rewardStudio.inspect.scoreSelection': () => ctx.inspection.scoreSelection(),
    'rewardStudio.inspect.compareModels': (...args) => {
      const o = (args[0] ?? {}) as { a?: vscode.Uri; b?: vscode.Uri; file?: vscode.Uri; show?: boolean };
      return ctx.inspection.compareModels({ a: o.a?.fsPath, b: o.b?.fsPath, uri: o.file ?? (args[0] instanceof vscode.Uri ? args[0] : undefined), show: o.show });
    },
    'rewardStudio.inspect.markReviewed': (...args) => ctx.inspection.markReviewed(args[0] as vscode.Uri, args[1] as number),
    'rewardStudio.inspect.judgeAgain': async (...args) => {
      const [uri, line] = args as [vscode.Uri, number];
      const doc = await vscode.workspace.openTextDocument(uri);
      if (doc.isDirty && !(await doc.save())) {
        void vscode.window.showWarningMessage(`Save ${path.basename(uri.fsPath)} first: the annotator reads the file on disk.`);
        return undefined;
      }
      const status = await ctx.annotation.open(uri);
      if (!status) return undefined;
      return ctx.annotation.goToLine(line + 1);
    },
    'rewardStudio.inspect.lineDetails': async (...args) => {
      const [uri, line] = args as [vscode.Uri, number];
      const doc = await vscode.workspace.openTextDocument(uri);
      await revealLine(doc, line);
      await vscode.commands.executeCommand('editor.action.showHover');
    },
    'rewardStudio.internal.inspectStatus': () => ctx.inspection.status(),
  };
}

/** Registers the table. A handler that throws gets a notification and a log line, not a silent failure. */
export function registerCommands(
  commands: Record<CommandId, CommandHandler>,
  log: vscode.LogOutputChannel,
): vscode.Disposable[] {
  return (Object.keys(commands) as CommandId[]).map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await commands[id](...args);
      } catch (error) {
        log.error(`${id}: ${errorMessage(error)}`);
        void vscode.window.showErrorMessage(`Reward Studio: ${errorMessage(error)}`);
        return undefined;
      }
    }),
  );
}

/**
 * The files a file command acts on, from how it was invoked:
 * - explorer context menu: `(clicked, selected[])` — every selected preference file, or the clicked one;
 * - a Preference Data item: its node;
 * - the command palette: the active editor's preference file, else one picked from the workspace.
 */
async function targetFiles(args: readonly unknown[], title: string): Promise<vscode.Uri[]> {
  const [first, second] = args;
  if (first instanceof vscode.Uri) {
    const selected = Array.isArray(second)
      ? second.filter((u): u is vscode.Uri => u instanceof vscode.Uri && isPreferenceFileName(u.path))
      : [];
    return selected.some((u) => u.toString() === first.toString()) ? selected : [first];
  }
  if (isPreferenceFileNode(first)) return [first.uri];
  const active = activePreferenceFile();
  if (active) return [active];
  const picked = await pickPreferenceFile(title);
  return picked ? [picked] : [];
}

function activePreferenceFile(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const candidates = [
    vscode.window.activeTextEditor?.document.uri,
    // A .jsonl.gz shows in a binary or custom editor, not a text editor.
    input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined,
  ];
  return candidates.find((uri) => uri?.scheme === 'file' && isPreferenceFileName(uri.path));
}

interface FileItem extends vscode.QuickPickItem {
  uri?: vscode.Uri;
}

async function pickPreferenceFile(title: string): Promise<vscode.Uri | undefined> {
  const browse: FileItem = {
    label: '$(folder-opened) Browse…',
    description: 'a file anywhere on disk',
    alwaysShow: true,
  };
  const items = findPickableFiles().then((files) => [browse, ...files]);
  const choice = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'Pick a preference data file (.jsonl, .jsonl.gz, .json)',
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  if (choice.uri) return choice.uri;
  const opened = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    filters: { 'Preference data': ['jsonl', 'gz', 'json'] },
  });
  return opened?.[0];
}

async function findPickableFiles(): Promise<FileItem[]> {
  const uris = await vscode.workspace.findFiles(PICKABLE_FILES_GLOB, EXCLUDE_GLOB, 5000);
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  const items = uris.map((uri) => {
    const relativePath = vscode.workspace.asRelativePath(uri, multiRoot);
    const folder = path.posix.dirname(relativePath);
    return { label: path.basename(uri.fsPath), description: folder === '.' ? '' : folder, uri, relativePath };
  });
  // JSONL first (the usual preference data); plain .json (often configs) after.
  const rank = (p: string): number => (/\.json$/i.test(p) ? 1 : 0);
  items.sort(
    (a, b) => rank(a.relativePath) - rank(b.relativePath) || a.relativePath.localeCompare(b.relativePath),
  );
  return items.map(({ label, description, uri }) => ({ label, description, uri }));
}
