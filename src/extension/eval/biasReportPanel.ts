/**
 * The bias-report panel: one webview panel showing one evaluation (running, its report, or why it
 * failed). The state lives here, in the host: on every `ready` from the webview (first load, and each
 * time it is shown again — the panel does not retain its context when hidden) it sends the state again.
 */
import * as vscode from 'vscode';
import { parseEvalWebviewMessage, type BiasReportState, type EvalHostMessage, type EvalWebviewMessage, type ExportFormat } from '../../protocol/eval';
import { openAppPanel } from '../webviewApp';

export const BIAS_REPORT_VIEW_TYPE = 'rewardStudio.biasReport';
const TITLE = 'Bias Report';

/** What the panel's links and buttons do; the BiasReports manager implements them. */
export interface BiasReportActions {
  openExample(file: string, line: number): void;
  export(format: ExportFormat): void;
}

export class BiasReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private webviewReady = false;
  private state: BiasReportState | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: BiasReportActions,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Shows `state` (opening or revealing the panel). */
  show(state: BiasReportState, options: { preserveFocus?: boolean } = {}): void {
    this.state = state;
    if (this.panel) {
      this.panel.title = this.title();
      this.panel.reveal(undefined, options.preserveFocus);
      this.send();
      return;
    }
    this.createPanel(options.preserveFocus ?? false);
  }

  dispose(): void {
    this.disposePanel();
  }

  private title(): string {
    return this.state?.status === 'ready' ? `${TITLE}: ${this.state.view.modelName}` : TITLE;
  }

  private createPanel(preserveFocus: boolean): void {
    // The state is here, and a hidden report costs nothing.
    const panel = openAppPanel(this.extensionUri, { viewType: BIAS_REPORT_VIEW_TYPE, title: this.title(), app: 'eval', preserveFocus });
    const webview = panel.webview;
    this.panel = panel;
    this.webviewReady = false;
    this.panelDisposables = [
      panel.onDidDispose(() => this.disposePanel()),
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.webviewReady = false;
      }),
    ];
  }

  private disposePanel(): void {
    const panel = this.panel;
    this.panel = undefined;
    this.webviewReady = false;
    for (const d of this.panelDisposables) d.dispose();
    this.panelDisposables = [];
    panel?.dispose();
  }

  private send(): void {
    if (!this.panel || !this.webviewReady || !this.state) return;
    const message: EvalHostMessage = { type: 'state', state: this.state };
    void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const message = parseEvalWebviewMessage(raw);
    if (!message) {
      this.log.warn('bias report: ignored a malformed message');
      return;
    }
    this.handle(message);
  }

  private handle(message: EvalWebviewMessage): void {
    switch (message.type) {
      case 'ready':
        this.webviewReady = true;
        this.send();
        return;
      case 'openExample':
        this.actions.openExample(message.file, message.line);
        return;
      case 'export':
        this.actions.export(message.format);
        return;
    }
  }
}
