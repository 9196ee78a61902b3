/**
 * The training dashboard: one webview panel showing one run (the live one, or a finished one). The panel
 * does not retain its context when hidden — the run holds the state: on every `ready` from the webview
 * (first load, and each time it is shown again) the panel sends a snapshot of the run, then the run's
 * patches as they come, batched so a fast run does not flood the webview.
 */
import * as vscode from 'vscode';
import {
  mergeTrainPatches,
  parseTrainWebviewMessage,
  type OpenTarget,
  type TrainDashboardPatch,
  type TrainHostMessage,
  type TrainWebviewMessage,
} from '../../protocol/train';
import { openAppPanel } from '../webviewApp';
import type { TrainRun } from './trainRun';

const VIEW_TYPE = 'rewardStudio.trainingDashboard';
const TITLE = 'Training Dashboard';
/** Patches are sent at most this often. */
const FLUSH_MS = 150;

/** What the dashboard's buttons do; the run manager implements them. */
export interface DashboardActions {
  cancel(run: TrainRun): void;
  resume(run: TrainRun): void;
  open(run: TrainRun, target: OpenTarget): void;
}

export class TrainDashboard implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private run: TrainRun | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Set between the webview's `ready` and its next reload: posting before that would be lost. */
  private webviewReady = false;
  private pending: TrainDashboardPatch | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: DashboardActions,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** The run the dashboard shows (also while it is closed: reopening shows it). */
  get shownRun(): TrainRun | undefined {
    return this.run;
  }

  /** Opens (or reveals) the dashboard on `run`. */
  show(run: TrainRun | undefined, options: { preserveFocus?: boolean; beside?: boolean } = {}): void {
    if (run) this.setRun(run);
    if (this.panel) {
      this.panel.reveal(undefined, options.preserveFocus);
      return;
    }
    this.createPanel(options);
  }

  /** Switches the dashboard to `run` (a new run started); an open panel gets its snapshot. */
  setRun(run: TrainRun): void {
    if (this.run === run) return;
    this.unsubscribe?.();
    this.run = run;
    this.pending = undefined;
    this.unsubscribe = run.onPatch((patch, from) => {
      if (from === this.run) this.queue(patch);
    });
    this.sendSnapshot();
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.disposePanel();
  }

  private createPanel(options: { preserveFocus?: boolean; beside?: boolean }): void {
    // The state is in the run, and a hidden dashboard costs nothing.
    const panel = openAppPanel(this.extensionUri, {
      viewType: VIEW_TYPE,
      title: TITLE,
      app: 'train',
      column: options.beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
      preserveFocus: options.preserveFocus,
    });
    const webview = panel.webview;
    this.panel = panel;
    this.webviewReady = false;
    this.panelDisposables = [
      panel.onDidDispose(() => this.disposePanel()),
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      // A hidden panel's webview is torn down; it says `ready` again when it is shown.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.webviewReady = false;
      }),
    ];
  }

  private disposePanel(): void {
    const panel = this.panel;
    this.panel = undefined;
    this.webviewReady = false;
    this.pending = undefined;
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const d of this.panelDisposables) d.dispose();
    this.panelDisposables = [];
    panel?.dispose();
  }

  private queue(patch: TrainDashboardPatch): void {
    if (!this.panel || !this.webviewReady) return; // the next `ready` gets a snapshot with this in it
    this.pending = mergeTrainPatches(this.pending ?? {}, patch);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const patch = this.pending;
    this.pending = undefined;
    if (patch && this.run && this.webviewReady) this.post({ type: 'patch', runId: this.run.id, patch });
  }

  private sendSnapshot(): void {
    if (!this.panel || !this.webviewReady) return;
    // The snapshot holds every patch so far: drop the queued ones.
    this.pending = undefined;
    this.post({ type: 'snapshot', state: this.run ? this.run.state : null });
  }

  private post(message: TrainHostMessage): void {
    void this.panel?.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const message = parseTrainWebviewMessage(raw);
    if (!message) {
      this.log.warn('training dashboard: ignored a malformed message');
      return;
    }
    this.handle(message);
  }

  private handle(message: TrainWebviewMessage): void {
    if (message.type === 'ready') {
      this.webviewReady = true;
      this.sendSnapshot();
      return;
    }
    const run = this.run;
    if (!run || message.runId !== run.id) {
      this.log.warn(`training dashboard: ignored '${message.type}' for a run it does not show`);
      return;
    }
    switch (message.type) {
      case 'cancel':
        this.actions.cancel(run);
        return;
      case 'resume':
        this.actions.resume(run);
        return;
      case 'open':
        this.actions.open(run, message.target);
        return;
    }
  }
}
