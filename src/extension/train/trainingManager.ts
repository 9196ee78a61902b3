/**
 * "Train Reward Model" and its companions. One run at a time per window: the run is a child process (the
 * CLI's `train --json`, src/extension/train/trainProcess.ts), followed by a progress notification with
 * Cancel, a status-bar item, the "Reward Studio Training" output channel and the dashboard. Settings are
 * checked here, before anything starts, so a bad one is reported with its name and nothing is spawned.
 *
 * A run has its own lifetime (STYLE.md: extension cleanup vs client cleanup): closing the dashboard or
 * the notification leaves it running; disposing the manager (window closing) asks it to checkpoint.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TrainConfigError } from '../../core/train/config';
import type { OpenTarget } from '../../protocol/train';
import type { CommandId } from '../commandIds';
import { errorMessage } from '../report';
import type { ProcessExit } from './dashboardState';
import { TrainDashboard } from './dashboardPanel';
import {
  DEFAULT_OUTPUT_DIRECTORY,
  TRAIN_SECTION,
  checkSettingsLayer,
  outputRoot,
  settingsLayer,
} from './trainSettings';
import {
  endMessage,
  formatCount,
  progressFraction,
  progressMessage,
  runFolderName,
  statusBarText,
  statusBarTooltip,
} from './trainText';
import { TrainRun, dataFileOf, historyBeforeResume, newRunId, readRunEvents } from './trainRun';

const SHOW_DASHBOARD: CommandId = 'rewardStudio.showTrainingDashboard';
/** Context key for when-clauses: a run is in progress in this window. */
export const TRAINING_CONTEXT_KEY = 'rewardStudio.trainingRunning';
const OUTPUT_NAME = 'Reward Studio Training';
/** The status bar and the notification are updated at most this often. */
const UI_INTERVAL_MS = 250;

/** What `rewardStudio.internal.trainingStatus` returns (tests and support read it). */
export interface TrainingStatus {
  runId: string;
  status: string;
  live: boolean;
  dataFile: string;
  outDir: string;
  step: number;
  totalSteps: number | null;
  pid: number | undefined;
  exit: ProcessExit | undefined;
  result: TrainRun['state']['result'];
  /** Data points per curve, as the dashboard has them. */
  points: Record<string, number>;
}

export class TrainingManager implements vscode.Disposable {
  private active: TrainRun | undefined;
  /** The run the dashboard shows: the active one, or the last one. */
  private current: TrainRun | undefined;
  private output: vscode.OutputChannel | undefined;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly dashboard: TrainDashboard;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.statusBar = vscode.window.createStatusBarItem('rewardStudio.training', vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = 'Reward Studio Training';
    this.statusBar.command = SHOW_DASHBOARD;
    this.dashboard = new TrainDashboard(extensionUri, log, {
      cancel: (run) => {
        if (run === this.active) this.cancel();
      },
      resume: (run) => void this.resume(run.outDir),
      open: (run, target) => void this.open(run, target),
    });
    this.disposables.push(this.statusBar, this.dashboard);
  }

  /** "Train Reward Model" on a data file. Resolves once the process has started (not when it ends). */
  async train(dataUri: vscode.Uri): Promise<{ runId: string; outDir: string } | undefined> {
    if (!this.ensureTrusted()) return undefined;
    if (dataUri.scheme !== 'file') {
      void vscode.window.showWarningMessage(`Reward Studio trains on files on disk; ${dataUri.toString()} is not one.`);
      return undefined;
    }
    if (this.offerRunningOne()) return undefined;
    const dataFile = dataUri.fsPath;
    const folder = vscode.workspace.getWorkspaceFolder(dataUri)?.uri.fsPath;
    const baseDir = folder ?? path.dirname(dataFile);
    const settings = vscode.workspace.getConfiguration(TRAIN_SECTION, dataUri);
    const layer = settingsLayer((key) => userValue(settings.inspect(key)), baseDir);
    try {
      checkSettingsLayer(layer);
    } catch (error) {
      if (error instanceof TrainConfigError) {
        this.reportSettingsError(error);
        return undefined;
      }
      throw error;
    }
    const root = outputRoot(settings.get<unknown>('outputDirectory', DEFAULT_OUTPUT_DIRECTORY), folder, dataFile);
    const outDir = freshFolder(root, runFolderName(dataFile, new Date()));
    mkdirSync(outDir, { recursive: true });
    const configFile = path.join(outDir, 'train-config.json');
    // 'wx': the folder is new, but never write over a file someone else put there.
    writeFileSync(configFile, JSON.stringify(layer.values, null, 2) + '\n', { flag: 'wx' });
    const run = this.launch({
      dataFile,
      outDir,
      cwd: baseDir,
      args: ['train', '--data', dataFile, '--out', outDir, '--config', configFile, '--json'],
    });
    return { runId: run.id, outDir };
  }

  /**
   * "Resume Training…": continues a run folder from its checkpoints/last — the folder given (a URI, a
   * path, or the cancelled run's Resume button), else one picked from the output folders.
   */
  async resume(target?: unknown): Promise<{ runId: string; outDir: string } | undefined> {
    if (!this.ensureTrusted()) return undefined;
    if (this.offerRunningOne()) return undefined;
    let outDir =
      target instanceof vscode.Uri ? target.fsPath : typeof target === 'string' && target.length > 0 ? target : undefined;
    outDir ??= await this.pickRun('Resume Training', 'Pick a run to continue from its last checkpoint', true);
    if (!outDir) return undefined;
    if (!existsSync(path.join(outDir, 'checkpoints', 'last'))) {
      void vscode.window.showErrorMessage(
        `Reward Studio: ${outDir} has no checkpoints/last to resume from. Pick the output folder of a cancelled or interrupted run.`,
      );
      return undefined;
    }
    let events: ReturnType<typeof readRunEvents> = [];
    try {
      events = readRunEvents(outDir);
    } catch (error) {
      this.log.warn(`resume ${outDir}: no metrics to show the earlier curves (${errorMessage(error)})`);
    }
    const dataFile = dataFileOf(events) ?? outDir;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(outDir))?.uri.fsPath;
    const run = this.launch({
      dataFile,
      outDir,
      cwd: folder ?? outDir,
      args: ['train', '--resume', outDir, '--json'],
      history: historyBeforeResume(events),
    });
    return { runId: run.id, outDir };
  }

  /** "Cancel Training". */
  cancel(): void {
    const run = this.active;
    if (!run) {
      void vscode.window.showInformationMessage('Reward Studio: no training run is in progress.');
      return;
    }
    this.outputChannel().appendLine(`[${timestamp()}] Cancel requested: writing a checkpoint to resume from…`);
    run.cancel();
  }

  /**
   * "Show Training Dashboard": the live or last run; a run folder when given one (its metrics.jsonl is
   * replayed); else a finished run picked from the output folders, or an empty dashboard.
   */
  async showDashboard(target?: unknown): Promise<void> {
    const folder = target instanceof vscode.Uri ? target.fsPath : undefined;
    if (folder) {
      this.showFinished(folder);
      return;
    }
    if (this.current) {
      this.dashboard.show(this.current);
      return;
    }
    if (this.listRuns(false).length === 0) {
      this.dashboard.show(undefined); // says how to start one
      return;
    }
    const picked = await this.pickRun('Show Training Dashboard', 'Pick a training run to show', false);
    if (picked) this.showFinished(picked);
  }

  /** What `rewardStudio.internal.trainingStatus` returns: the current run, if any. */
  status(): TrainingStatus | undefined {
    const run = this.current;
    if (!run) return undefined;
    const s = run.state;
    return {
      runId: run.id,
      status: s.status,
      live: s.live,
      dataFile: s.dataFile,
      outDir: s.outDir,
      step: s.step,
      totalSteps: s.totalSteps,
      pid: run.pid,
      exit: run.exit,
      result: s.result,
      points: Object.fromEntries(Object.entries(s.series).map(([name, points]) => [name, points.length])),
    };
  }

  dispose(): void {
    // VS Code is closing this window: the run writes its checkpoint and stops (it can be resumed).
    this.active?.cancel();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
    this.output?.dispose();
  }

  // ── running ──────────────────────────────────────────────────────────────────────────────────

  private launch(spec: {
    dataFile: string;
    outDir: string;
    cwd: string;
    args: string[];
    history?: ReturnType<typeof historyBeforeResume>;
  }): TrainRun {
    const output = this.outputChannel();
    const cliPath = vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath;
    output.appendLine(`[${timestamp()}] reward-studio ${spec.args.map(quoteArg).join(' ')}`);
    const run = TrainRun.launch({
      run: { runId: newRunId(), dataFile: spec.dataFile, outDir: spec.outDir },
      cliPath,
      args: spec.args,
      cwd: spec.cwd,
      onLog: (line) => output.appendLine(line),
      history: spec.history,
    });
    this.log.info(`training: started pid ${run.pid ?? '—'} → ${spec.outDir}`);
    this.active = run;
    this.current = run;
    void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT_KEY, true);
    this.followInStatusBar(run);
    this.followWithProgress(run);
    this.dashboard.setRun(run);
    this.dashboard.show(run, { preserveFocus: true, beside: vscode.window.activeTextEditor !== undefined });
    void run.finished.then((state) => this.finished(run, state));
    return run;
  }

  private followInStatusBar(run: TrainRun): void {
    const update = (): void => {
      if (run !== this.active) return;
      this.statusBar.text = statusBarText(run.state);
      this.statusBar.tooltip = statusBarTooltip(run.state);
    };
    update();
    this.statusBar.show();
    run.onPatch(throttle(update, UI_INTERVAL_MS));
  }

  private followWithProgress(run: TrainRun): void {
    void vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Training a reward model on ${run.state.dataFileName}`,
        cancellable: true,
      },
      (progress, token) => {
        token.onCancellationRequested(() => {
          if (run === this.active) this.cancel();
        });
        let reported = 0;
        const update = (): void => {
          const percent = progressFraction(run.state) * 100;
          const increment = percent - reported;
          reported = Math.max(reported, percent);
          progress.report({ message: progressMessage(run.state), ...(increment > 0 ? { increment } : {}) });
        };
        update();
        const unsubscribe = run.onPatch(throttle(update, UI_INTERVAL_MS));
        return run.finished.finally(unsubscribe);
      },
    );
  }

  private finished(run: TrainRun, state: TrainRun['state']): void {
    if (run === this.active) {
      this.active = undefined;
      this.statusBar.hide();
      void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT_KEY, false);
    }
    const exit = run.exit;
    const how = exit ? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code ?? '—'}`) : '—';
    this.outputChannel().appendLine(`[${timestamp()}] Training ${state.status} (${how}) → ${state.outDir}`);
    this.log.info(`training: ${state.status} (${how}) → ${state.outDir}`);
    const result = state.result;
    const message = `Reward Studio: ${endMessage(state)}`;
    switch (result?.status) {
      case 'completed':
      case 'early-stopped':
        void vscode.window.showInformationMessage(message, 'Open Dashboard', 'Reveal Model').then((choice) => {
          if (choice === 'Open Dashboard') this.dashboard.show(run);
          else if (choice === 'Reveal Model') void this.open(run, 'model');
        });
        return;
      case 'cancelled':
        void vscode.window.showInformationMessage(message, 'Resume', 'Open Dashboard').then((choice) => {
          if (choice === 'Resume') void this.resume(run.outDir);
          else if (choice === 'Open Dashboard') this.dashboard.show(run);
        });
        return;
      default:
        // An error the run reported, or a crash: VS Code is untouched; say so, and where the log is.
        this.log.error(`training: ${result?.message ?? 'ended without a result'}`);
        void vscode.window.showErrorMessage(message, 'Show Log', 'Open Dashboard').then((choice) => {
          if (choice === 'Show Log') void this.open(run, 'log');
          else if (choice === 'Open Dashboard') this.dashboard.show(run);
        });
    }
  }

  /** A run is in progress: say so, offer its dashboard, and return true. */
  private offerRunningOne(): boolean {
    const run = this.active;
    if (!run) return false;
    const s = run.state;
    const where = s.totalSteps !== null ? `, step ${formatCount(s.step)} of ${formatCount(s.totalSteps)}` : '';
    void vscode.window
      .showInformationMessage(
        `Reward Studio trains one model at a time, and a run is in progress (${s.dataFileName}${where}). Open its dashboard?`,
        'Open Dashboard',
      )
      .then((choice) => {
        if (choice === 'Open Dashboard') this.dashboard.show(run);
      });
    return true;
  }

  private ensureTrusted(): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window
      .showWarningMessage(
        'Reward Studio does not train models in Restricted Mode: training runs model code and reads files this workspace names. Trust the workspace to train.',
        'Manage Workspace Trust',
      )
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
    return false;
  }

  private reportSettingsError(error: TrainConfigError): void {
    const setting = /rewardStudio\.train\.[\w.]+/.exec(error.message)?.[0] ?? TRAIN_SECTION;
    this.log.warn(`training not started: ${error.message}`);
    void vscode.window
      .showErrorMessage(`Reward Studio: training not started — ${error.message}`, 'Open Settings')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', setting);
      });
  }

  // ── finished runs ────────────────────────────────────────────────────────────────────────────

  private showFinished(outDir: string): void {
    if (this.current?.outDir === outDir) {
      this.dashboard.show(this.current);
      return;
    }
    let events: ReturnType<typeof readRunEvents>;
    try {
      events = readRunEvents(outDir);
    } catch (error) {
      void vscode.window.showErrorMessage(`Reward Studio: no training metrics in ${outDir} (${errorMessage(error)}).`);
      return;
    }
    const run = TrainRun.replay({ runId: newRunId(), dataFile: dataFileOf(events) ?? outDir, outDir }, events);
    if (!this.active) this.current = run;
    this.dashboard.show(run);
  }

  /** Run folders in every workspace folder's output folder, newest first (resumable: with checkpoints/last). */
  private listRuns(resumable: boolean): Array<{ dir: string; mtime: number }> {
    const roots = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const setting = vscode.workspace.getConfiguration(TRAIN_SECTION, folder.uri).get<unknown>('outputDirectory');
      roots.add(outputRoot(setting, folder.uri.fsPath, path.join(folder.uri.fsPath, 'data.jsonl')));
    }
    const runs: Array<{ dir: string; mtime: number }> = [];
    for (const root of roots) {
      let names: string[] = [];
      try {
        names = readdirSync(root);
      } catch {
        continue;
      }
      for (const name of names) {
        const dir = path.join(root, name);
        const marker = resumable ? path.join(dir, 'checkpoints', 'last') : path.join(dir, 'metrics.jsonl');
        try {
          runs.push({ dir, mtime: statSync(marker).mtimeMs });
        } catch {
          // not a run folder (or not resumable)
        }
      }
    }
    return runs.sort((a, b) => b.mtime - a.mtime);
  }

  /** A run folder picked from listRuns, or browsed for. */
  private async pickRun(title: string, placeHolder: string, resumable: boolean): Promise<string | undefined> {
    interface RunItem extends vscode.QuickPickItem {
      dir?: string;
    }
    const runs = this.listRuns(resumable);
    const browse: RunItem = { label: '$(folder-opened) Browse…', description: 'a run folder anywhere on disk', alwaysShow: true };
    const items: RunItem[] = [
      ...runs.map((r) => ({
        label: path.basename(r.dir),
        description: vscode.workspace.asRelativePath(path.dirname(r.dir)),
        detail: `last written ${new Date(r.mtime).toLocaleString()}`,
        dir: r.dir,
      })),
      browse,
    ];
    const choice = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
    if (!choice) return undefined;
    if (choice.dir) return choice.dir;
    const opened = await vscode.window.showOpenDialog({ title, canSelectFiles: false, canSelectFolders: true, canSelectMany: false });
    return opened?.[0]?.fsPath;
  }

  // ── the dashboard's links ────────────────────────────────────────────────────────────────────

  private async open(run: TrainRun, target: OpenTarget): Promise<void> {
    const s = run.state;
    try {
      switch (target) {
        case 'model': {
          const model = s.result?.modelFile ?? path.join(s.outDir, 'reward-model.onnx');
          await this.reveal(existsSync(model) ? model : s.outDir);
          return;
        }
        case 'outDir':
          await this.reveal(s.outDir);
          return;
        case 'log': {
          const logFile = path.join(s.outDir, 'train.log');
          if (existsSync(logFile)) {
            await vscode.window.showTextDocument(vscode.Uri.file(logFile), { preview: false });
          } else {
            this.outputChannel().show(true);
          }
          return;
        }
        case 'dataFile':
          if (existsSync(s.dataFile)) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(s.dataFile));
          return;
      }
    } catch (error) {
      void vscode.window.showErrorMessage(`Reward Studio: could not open it: ${errorMessage(error)}`);
    }
  }

  /** In the Explorer when it is in the workspace, else in the OS's file manager. */
  private async reveal(file: string): Promise<void> {
    const uri = vscode.Uri.file(file);
    if (vscode.workspace.getWorkspaceFolder(uri)) {
      await vscode.commands.executeCommand('revealInExplorer', uri);
      return;
    }
    try {
      await vscode.commands.executeCommand('revealFileInOS', uri);
    } catch {
      void vscode.window.showInformationMessage(`Reward Studio: ${file}`);
    }
  }

  private outputChannel(): vscode.OutputChannel {
    this.output ??= vscode.window.createOutputChannel(OUTPUT_NAME);
    return this.output;
  }
}

/** What the user set (folder, workspace or user settings), never the default. */
function userValue<T>(inspected: { globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T } | undefined): T | undefined {
  return inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
}

/** `root/name`, or `root/name-2`, … when that exists: a run never writes into another's folder. */
function freshFolder(root: string, name: string): string {
  let dir = path.join(root, name);
  for (let i = 2; existsSync(dir); i++) dir = path.join(root, `${name}-${i}`);
  return dir;
}

function timestamp(): string {
  return new Date().toLocaleTimeString();
}

function quoteArg(arg: string): string {
  return /^[\w./:=@-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

/** Calls `fn` at most once per `ms`, and once more after the last call (so the final state shows). */
function throttle(fn: () => void, ms: number): () => void {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn();
      return;
    }
    timer ??= setTimeout(() => {
      timer = undefined;
      last = Date.now();
      fn();
    }, wait);
  };
}
