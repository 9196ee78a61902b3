/**
 * "Show Preference Data Stats": one webview panel per file. The host computes DatasetStats and owns
 * the state; the webview asks for it with `ready` (on first load and after every reload) and renders it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { computeStats } from '../core/data/pipeline';
import {
  parseStatsWebviewMessage,
  type StatsHostMessage,
  type StatsViewState,
  type StatsWebviewMessage,
} from '../protocol/stats';
import { errorMessage, isGzipFileName } from './report';
import { readDataOptions } from './settings';
import { toStatsSnapshot } from './statsSnapshot';
import { loadWebviewApp, webviewAppOptions } from './webviewApp';

const VIEW_TYPE = 'rewardStudio.stats';

/** The open stats panels, one per file. Owns them: disposing this closes them all. */
export class StatsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, StatsPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Opens the panel for `uri`, or reveals it and computes the stats again (the file may have changed). */
  show(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') {
      void vscode.window.showWarningMessage(
        `Reward Studio reads files on disk; ${uri.toString()} is not one.`,
      );
      return;
    }
    const key = uri.toString();
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      existing.compute();
      return;
    }
    const panel = new StatsPanel(this.extensionUri, uri, this.log, () => this.panels.delete(key));
    this.panels.set(key, panel);
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
  }
}

class StatsPanel implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private state: StatsViewState;
  /** Set between the webview's `ready` and its next reload: posting before that would be lost. */
  private webviewReady = false;
  private run: AbortController | undefined;
  private disposed = false;

  constructor(
    extensionUri: vscode.Uri,
    private readonly uri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onDispose: () => void,
  ) {
    const fileName = path.basename(uri.fsPath);
    this.state = { status: 'loading', file: uri.fsPath, fileName };
    const besideItsFile = vscode.window.activeTextEditor?.document.uri.toString() === uri.toString();
    this.panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      `Stats: ${fileName}`,
      besideItsFile ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
      webviewAppOptions(extensionUri),
    );
    const webview = this.panel.webview;
    loadWebviewApp(webview, extensionUri, 'stats', `Stats: ${fileName}`);
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      // A hidden panel's webview is torn down; it says `ready` again when it is shown.
      this.panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.webviewReady = false;
      }),
    );
    this.compute();
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** (Re)computes the stats; a run still in flight is cancelled. */
  compute(): void {
    this.run?.abort();
    const run = new AbortController();
    this.run = run;
    const { file, fileName } = this.state;
    this.setState({ status: 'loading', file, fileName });
    const { from } = readDataOptions(this.uri);
    const work = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Computing stats for ${fileName}` },
      () => computeStats(file, { from, signal: run.signal }),
    );
    work.then(
      (stats) => {
        if (run.signal.aborted) return;
        this.setState({ status: 'ready', file, fileName, stats: toStatsSnapshot(stats) });
      },
      (error: unknown) => {
        if (run.signal.aborted) return;
        const message = errorMessage(error);
        this.log.error(`stats ${file}: ${message}`);
        this.setState({ status: 'error', file, fileName, message });
      },
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.run?.abort();
    this.onDispose();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }

  private setState(state: StatsViewState): void {
    this.state = state;
    if (this.webviewReady) this.post({ type: 'state', state });
  }

  private post(message: StatsHostMessage): void {
    if (this.disposed) return;
    void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const message = parseStatsWebviewMessage(raw);
    if (!message) {
      this.log.warn(`stats webview: ignored a malformed message`);
      return;
    }
    this.handle(message);
  }

  private handle(message: StatsWebviewMessage): void {
    switch (message.type) {
      case 'ready':
        this.webviewReady = true;
        this.post({ type: 'state', state: this.state });
        return;
      case 'refresh':
        this.compute();
        return;
      case 'openLocation':
        // The webview may only open the file this panel is about, never a path of its choosing.
        if (path.resolve(message.file) !== path.resolve(this.uri.fsPath)) {
          this.log.warn(`stats webview: refused to open ${message.file}`);
          return;
        }
        void this.openAt(message.line);
        return;
    }
  }

  private async openAt(line: number): Promise<void> {
    try {
      if (isGzipFileName(this.uri.fsPath)) {
        await vscode.commands.executeCommand('vscode.open', this.uri);
        return;
      }
      const position = new vscode.Position(line - 1, 0);
      // Where the file is already shown, else beside the stats rather than over them.
      const shown = vscode.window.visibleTextEditors.find(
        (e) => e.document.uri.toString() === this.uri.toString(),
      );
      await vscode.window.showTextDocument(this.uri, {
        selection: new vscode.Range(position, position),
        viewColumn: shown?.viewColumn ?? vscode.ViewColumn.Beside,
      });
    } catch (error) {
      void vscode.window.showErrorMessage(`Could not open ${this.state.fileName}: ${errorMessage(error)}`);
    }
  }
}
