/**
 * "Show Bias Report": evaluates a trained model folder with the CLI (`dist/cli.js eval --model DIR
 * --report DIR/eval-report.json`) in a child process — never on the extension host's thread — behind a
 * progress notification with Cancel, then shows the report in the bias-report panel; or shows an
 * existing eval-report.json. The panel's Export buttons write the self-contained HTML page
 * (src/core/eval/html.ts, the same page `eval --html` writes) or the JSON report.
 *
 * One evaluation at a time per window (they are CPU-bound). The process is the same runner training uses
 * (TrainProcess: fork, line-split stderr, IPC cancel with a grace period before a kill).
 */
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { renderReportHtml } from '../../core/eval/html';
import type { EvalReport } from '../../core/eval/report';
import type { BiasReportState, ExportFormat } from '../../protocol/eval';
import { errorMessage } from '../report';
import { TrainProcess } from '../train/trainProcess';
import { findModelFolders } from '../modelFolders';
import { TRAIN_SECTION } from '../train/trainSettings';
import { BiasReportPanel } from './biasReportPanel';
import { isReportExample, readEvalReport, toBiasReportView } from './reportView';

const MODEL_CARD = 'reward-model.json';
export const REPORT_FILE_NAME = 'eval-report.json';
const OUTPUT_NAME = 'Reward Studio Evaluation';
/** Model folders the picker lists at most. */

/** What the command resolves to (tests read it): the report shown, or why there is none. */
export interface BiasReportResult {
  status: 'shown' | 'failed' | 'cancelled';
  reportFile: string | null;
  modelDir: string | null;
  message?: string;
}

export class BiasReports implements vscode.Disposable {
  private readonly panel: BiasReportPanel;
  private report: { data: EvalReport; file: string } | undefined;
  private running: TrainProcess | undefined;
  private output: vscode.OutputChannel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.panel = new BiasReportPanel(extensionUri, log, {
      openExample: (file, line) => void this.openExample(file, line),
      export: (format) => void this.export(format),
    });
  }

  /**
   * The command: a model folder, its reward-model.json, or an eval-report.json (Explorer, or a path
   * string from tests); else one picked from the workspace's model folders and reports.
   */
  async show(target?: unknown): Promise<BiasReportResult | undefined> {
    const given = target instanceof vscode.Uri ? target.fsPath : typeof target === 'string' && target.length > 0 ? target : undefined;
    const picked = given ? classify(given) : await this.pick();
    if (!picked) return undefined;
    if (picked.kind === 'report') return this.showReportFile(picked.path);
    return this.evaluate(picked.path);
  }

  dispose(): void {
    this.running?.kill();
    this.panel.dispose();
    this.output?.dispose();
  }

  // ── evaluating ───────────────────────────────────────────────────────────────────────────────

  private async evaluate(modelDir: string): Promise<BiasReportResult | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Reward Studio does not run models in Restricted Mode. Trust the workspace to evaluate a model.');
      return undefined;
    }
    if (!existsSync(path.join(modelDir, MODEL_CARD))) {
      void vscode.window.showErrorMessage(`Reward Studio: ${modelDir} is not a trained model folder (no ${MODEL_CARD}).`);
      return undefined;
    }
    if (this.running?.running) {
      void vscode.window.showInformationMessage('Reward Studio evaluates one model at a time, and an evaluation is in progress.');
      return undefined;
    }
    const reportFile = path.join(modelDir, REPORT_FILE_NAME);
    const name = path.basename(modelDir);
    const provider = vscode.workspace.getConfiguration(TRAIN_SECTION, vscode.Uri.file(modelDir)).get<string>('provider', 'auto');
    // The model folder's own report: replaced by each evaluation of that model.
    const args = ['eval', '--model', modelDir, '--report', reportFile, '--force', '--provider', provider];
    const output = this.outputChannel();
    output.appendLine(`[${new Date().toLocaleTimeString()}] reward-studio ${args.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`);
    const title = `Evaluating ${name}`;
    let lastLine = 'Loading the model and scoring the held-out pairs and probes…';
    this.panel.show({ status: 'running', title, message: lastLine }, { preserveFocus: true });
    const proc = TrainProcess.start({
      cliPath: vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath,
      args,
      cwd: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(modelDir))?.uri.fsPath ?? modelDir,
      onEvent: () => undefined,
      onLog: (line) => {
        output.appendLine(line);
        if (line.trim()) lastLine = line.trim();
      },
    });
    this.running = proc;
    this.log.info(`evaluation: started pid ${proc.pid ?? '—'} on ${modelDir}`);
    let cancelled = false;
    const exit = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Reward Studio: evaluating ${name}`, cancellable: true },
      (progress, token) => {
        progress.report({ message: 'scoring the held-out pairs and the bias probes…' });
        token.onCancellationRequested(() => {
          cancelled = true;
          proc.cancel();
        });
        return proc.exited;
      },
    );
    if (this.running === proc) this.running = undefined;
    const how = exit.startError ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code ?? '—'}`);
    this.log.info(`evaluation: ${how} → ${reportFile}`);
    if (cancelled || exit.code === 130) {
      this.panel.show({ status: 'error', title: `Evaluation of ${name} cancelled`, message: 'Run "Reward Studio: Show Bias Report" again to evaluate it.' });
      return { status: 'cancelled', reportFile: null, modelDir };
    }
    if (exit.code !== 0 || !existsSync(reportFile)) {
      const message = `${how}. ${exit.startError ? '' : lastLine}`.trim();
      this.panel.show({ status: 'error', title: `Evaluation of ${name} failed`, message });
      void vscode.window.showErrorMessage(`Reward Studio: evaluating ${name} failed: ${message}`, 'Show Log').then((choice) => {
        if (choice) output.show(true);
      });
      return { status: 'failed', reportFile: null, modelDir, message };
    }
    return this.showReportFile(reportFile, modelDir);
  }

  private showReportFile(file: string, modelDir: string | null = null): BiasReportResult {
    let data: EvalReport;
    try {
      data = readEvalReport(file);
    } catch (error) {
      const message = errorMessage(error);
      this.panel.show({ status: 'error', title: 'Not an evaluation report', message });
      return { status: 'failed', reportFile: file, modelDir, message };
    }
    this.report = { data, file };
    const state: BiasReportState = { status: 'ready', view: toBiasReportView(data, file) };
    this.panel.show(state);
    return { status: 'shown', reportFile: file, modelDir: modelDir ?? data.model?.dir ?? null };
  }

  // ── the panel's links and buttons ────────────────────────────────────────────────────────────

  private async openExample(file: string, line: number): Promise<void> {
    const report = this.report?.data;
    if (!report || !isReportExample(report, file, line)) {
      this.log.warn(`bias report: ignored a request to open ${file}:${line}, which the report does not list`);
      return;
    }
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const at = Math.min(line - 1, Math.max(0, document.lineCount - 1));
      const range = document.lineAt(at).range;
      await vscode.window.showTextDocument(document, { selection: range, preview: true, viewColumn: vscode.ViewColumn.Beside });
    } catch (error) {
      void vscode.window.showErrorMessage(`Reward Studio: could not open ${file}:${line}: ${errorMessage(error)}`);
    }
  }

  private async export(format: ExportFormat): Promise<void> {
    const report = this.report;
    if (!report) return;
    const dir = path.dirname(report.file);
    const stem = path.basename(report.file).replace(/\.json$/i, '');
    const target = await vscode.window.showSaveDialog({
      title: format === 'html' ? 'Export the bias report as HTML' : 'Export the bias report as JSON',
      defaultUri: vscode.Uri.file(path.join(dir, `${stem}.${format}`)),
      filters: format === 'html' ? { 'HTML page': ['html'] } : { 'Evaluation report (JSON)': ['json'] },
    });
    if (!target) return;
    try {
      const text = format === 'html' ? renderReportHtml(report.data) : JSON.stringify(report.data, null, 2) + '\n';
      writeFileSync(target.fsPath, text);
      this.log.info(`bias report: exported ${format} → ${target.fsPath}`);
      void vscode.window.showInformationMessage(`Reward Studio: bias report exported to ${target.fsPath}`);
    } catch (error) {
      void vscode.window.showErrorMessage(`Reward Studio: could not write ${target.fsPath}: ${errorMessage(error)}`);
    }
  }

  // ── picking a model or a report ──────────────────────────────────────────────────────────────

  private async pick(): Promise<Target | undefined> {
    interface Item extends vscode.QuickPickItem {
      target?: Target;
      browse?: boolean;
    }
    const models = findModelFolders();
    const items: Item[] = [
      ...models.map((m): Item => ({ label: `$(beaker) ${path.basename(m.dir)}`, description: vscode.workspace.asRelativePath(path.dirname(m.dir)), detail: `evaluate · trained ${new Date(m.mtime).toLocaleString()}`, target: { kind: 'model', path: m.dir } })),
      ...models
        .filter((m) => existsSync(path.join(m.dir, REPORT_FILE_NAME)))
        .map((m): Item => ({ label: `$(file) ${path.basename(m.dir)}/${REPORT_FILE_NAME}`, description: 'open the last report', target: { kind: 'report', path: path.join(m.dir, REPORT_FILE_NAME) } })),
      { label: '$(folder-opened) Browse…', description: 'a model folder or an eval-report.json anywhere on disk', alwaysShow: true, browse: true },
    ];
    const choice = await vscode.window.showQuickPick(items, { title: 'Show Bias Report', placeHolder: models.length ? 'Pick a trained model to evaluate, or a report to open' : 'No trained model in this workspace yet: browse for one', matchOnDescription: true });
    if (!choice) return undefined;
    if (choice.target) return choice.target;
    const opened = await vscode.window.showOpenDialog({ title: 'Show Bias Report: a model folder or an eval-report.json', canSelectFiles: true, canSelectFolders: true, canSelectMany: false, filters: { 'Evaluation report': ['json'] } });
    return opened?.[0] ? classify(opened[0].fsPath) : undefined;
  }

  private outputChannel(): vscode.OutputChannel {
    this.output ??= vscode.window.createOutputChannel(OUTPUT_NAME);
    return this.output;
  }
}

type Target = { kind: 'model' | 'report'; path: string };

/** A path the command was given: a report (a .json other than reward-model.json), else a model folder. */
function classify(p: string): Target {
  if (/\.json$/i.test(p) && path.basename(p) !== MODEL_CARD) return { kind: 'report', path: p };
  return { kind: 'model', path: path.basename(p) === MODEL_CARD ? path.dirname(p) : p };
}
