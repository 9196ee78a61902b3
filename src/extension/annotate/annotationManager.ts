/**
 * "Annotate with Reward Studio": one AnnotationSession per queue file, shown in an editor panel and in the
 * compact Annotation view of the Reward Studio side bar. Both views are webviews over the same session
 * (src/core/annotate, on the extension host: file I/O only); every change posts the whole state again.
 *
 * Keys: the judging keys are contributed keybindings (rebindable) on commands that act on the session the
 * user last focused. They are active only while an annotation webview has focus and its note field does
 * not — the webview reports both (`rewardStudio.annotating`, `rewardStudio.annotateNoteFocused`), so typing
 * a note never judges.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AnnotationSession } from '../../core/annotate/session';
import type { MarginScale } from '../../core/annotate/record';
import {
  parseAnnotateWebviewMessage,
  type AnnotateHostMessage,
  type AnnotateLayout,
  type AnnotateState,
  type AnnotateStrength,
  type AnnotateUiAction,
  type AnnotateVerdict,
  type AnnotateWebviewMessage,
} from '../../protocol/annotate';
import { errorMessage } from '../report';
import { loadWebviewApp, panelIcon, webviewAppOptions } from '../webviewApp';
import { annotatorsView, biasView, itemKey, itemView, judgementsPath, problemViews, reconcileNotice } from './annotateView';

export const ANNOTATE_PANEL_TYPE = 'rewardStudio.annotate';
export const ANNOTATE_VIEW_ID = 'rewardStudio.annotation';
const CONTEXT_FOCUSED = 'rewardStudio.annotating';
const CONTEXT_NOTE = 'rewardStudio.annotateNoteFocused';
/** Some session is open: the judging commands show in the palette. */
const CONTEXT_OPEN = 'rewardStudio.annotationOpen';
/** Outside edits come in bursts (a save, a checkout): one refresh per burst. */
const REFRESH_DEBOUNCE_MS = 200;
/** A guidelines file larger than this is not shown (it is still hashed into every judgement). */
const MAX_GUIDELINES_BYTES = 1 << 20;

/** What `rewardStudio.internal.annotationStatus` returns (tests, support). */
export interface AnnotationStatus {
  queue: string;
  output: string;
  state: AnnotateState;
}

/** One webview (panel or side-bar view) showing annotation state, with the ready handshake. */
class AnnotateWebview {
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly webview: vscode.Webview,
    readonly layout: AnnotateLayout,
    extensionUri: vscode.Uri,
    onMessage: (message: AnnotateWebviewMessage, from: AnnotateWebview) => void,
    log: vscode.LogOutputChannel,
  ) {
    webview.options = webviewAppOptions(extensionUri);
    loadWebviewApp(webview, extensionUri, 'annotate', 'Annotate');
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseAnnotateWebviewMessage(raw);
        if (!message) {
          log.warn('annotation view: ignored a malformed message');
          return;
        }
        if (message.type === 'ready') this.ready = true;
        onMessage(message, this);
      }),
    );
  }

  /** The webview reloads when it is shown again (no retained context): it says `ready` again then. */
  hidden(): void {
    this.ready = false;
  }

  post(message: AnnotateHostMessage): void {
    if (this.ready) void this.webview.postMessage(message);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }
}

/** One queue's session, its editor panel (when open) and what the views need that the session does not keep. */
class AnnotationController implements vscode.Disposable {
  panel: vscode.WebviewPanel | undefined;
  panelView: AnnotateWebview | undefined;
  draft: { strength?: AnnotateStrength; note: string } = { note: '' };
  private judgedHere = 0;
  private notice: string | undefined;
  private error: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    readonly queue: vscode.Uri,
    readonly output: string,
    readonly session: AnnotationSession,
    private readonly names: { queue: string; output: string },
    private readonly guidelines: { name: string; markdown: string } | undefined,
    private readonly changed: (c: AnnotationController) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(output)), path.basename(output)),
    );
    const onFile = (): void => this.scheduleRefresh();
    this.disposables.push(watcher, watcher.onDidChange(onFile), watcher.onDidCreate(onFile), watcher.onDidDelete(onFile));
  }

  state(): AnnotateState {
    const s = this.session;
    const shown = s.current;
    const problems = s.queueProblems;
    const report = s.report();
    const state: AnnotateState = {
      queueName: this.names.queue,
      outputName: this.names.output,
      annotator: s.annotator,
      progress: s.progress(),
      problems: problemViews(problems),
      problemCount: problems.length,
      bias: biasView(report, s.annotator),
      annotators: annotatorsView(report),
      draft: { ...this.draft },
      canUndo: this.judgedHere > 0,
    };
    if (shown) state.item = itemView(shown, shown.item.shape === 'responses');
    if (this.guidelines) state.guidelines = this.guidelines;
    if (this.notice) state.notice = this.notice;
    if (this.error) state.error = this.error;
    return state;
  }

  currentKey(): string | undefined {
    const shown = this.session.current;
    return shown ? itemKey(shown) : undefined;
  }

  async judge(verdict: AnnotateVerdict, expectedKey?: string): Promise<void> {
    await this.run(async () => {
      // A click meant for the item on screen must not judge the one after it; a key held down past the
      // last item is not an error.
      if (expectedKey !== undefined && expectedKey !== this.currentKey()) return;
      if (!this.session.current) return;
      const preference = verdict === 'left' || verdict === 'right';
      const note = this.draft.note.trim();
      await this.session.judge(verdict, {
        strength: preference ? this.draft.strength : undefined,
        note: note ? note : undefined,
      });
      this.judgedHere++;
      this.draft = { note: '' };
    });
  }

  async undo(): Promise<void> {
    await this.run(async () => {
      const undone = await this.session.undo();
      if (undone) this.judgedHere = Math.max(0, this.judgedHere - 1);
      else this.judgedHere = 0;
      this.draft = { note: '' };
    });
  }

  async move(direction: 'next' | 'previous'): Promise<void> {
    await this.run(async () => {
      await (direction === 'next' ? this.session.next() : this.session.previous());
      this.draft = { note: '' };
    });
  }

  /** Shows the item of queue line `line` (1-based), e.g. a record sent from the editor to be judged again. */
  async goToLine(line: number): Promise<boolean> {
    let found = false;
    await this.run(async () => {
      found = (await this.session.goToLine(line)) !== undefined;
      this.notice = found ? undefined : `Line ${line} of ${this.names.queue} holds no pair to judge.`;
      this.draft = { note: '' };
    });
    return found;
  }

  async restore(): Promise<void> {
    await this.run(async () => {
      const n = await this.session.restore();
      this.notice = n > 0 ? `Appended ${n} judgement${n === 1 ? '' : 's'} of this session again.` : undefined;
    });
  }

  setStrength(strength: AnnotateStrength): void {
    this.draft = { ...this.draft, strength: this.draft.strength === strength ? undefined : strength };
    this.changed(this);
  }

  /** Reads what another window, annotator or git changed in the judgements file. */
  async refresh(): Promise<void> {
    // The watcher also fires for this session's own appends; then nothing changed and the views are not
    // redrawn (a redraw queued between two quick keypresses would delay the second one).
    let changed = false;
    await this.run(
      async () => {
        const report = await this.session.refresh();
        changed = report.reindexed || report.added.length > 0 || report.removed.length > 0;
        const notice = reconcileNotice(report, this.session.annotator);
        if (notice) this.notice = notice;
      },
      false,
      () => changed,
    );
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (!this.closed) void this.refresh();
    }, REFRESH_DEBOUNCE_MS);
  }

  /**
   * Runs a session operation after the ones before it (keys pressed quickly queue up, and each sees the
   * state the previous one left); an error is shown in the views (and logged) instead of thrown.
   */
  private run(op: () => Promise<void>, clearNotice = true, notify: () => boolean = () => true): Promise<void> {
    const next = this.pendingOps.then(async () => {
      if (this.closed) return;
      if (clearNotice) this.notice = undefined;
      this.error = undefined;
      try {
        await op();
      } catch (error) {
        this.error = errorMessage(error);
        this.log.error(`annotation of ${this.names.queue}: ${this.error}`);
      }
      if (this.error !== undefined || notify()) this.changed(this);
    });
    this.pendingOps = next;
    return next;
  }

  private pendingOps: Promise<void> = Promise.resolve();

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
    this.panelView?.dispose();
    this.panel?.dispose();
    void this.session.close().catch((error: unknown) => this.log.error(`closing the annotation session: ${errorMessage(error)}`));
  }
}

export class AnnotationManager implements vscode.Disposable, vscode.WebviewViewProvider {
  /** Open sessions by queue path. */
  private readonly controllers = new Map<string, AnnotationController>();
  /** The session the keybinding commands and the side bar act on: the one last focused or opened. */
  private active: AnnotationController | undefined;
  private sidebar: AnnotateWebview | undefined;
  private sidebarView: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly opening = new Map<string, Promise<AnnotationController | undefined>>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(vscode.window.registerWebviewViewProvider(ANNOTATE_VIEW_ID, this));
  }

  /** Opens the annotation panel on `queue` (or reveals it when that queue is already open). */
  async open(queue: vscode.Uri): Promise<AnnotationStatus | undefined> {
    if (queue.scheme !== 'file') {
      void vscode.window.showWarningMessage(`Reward Studio annotates files on disk; ${queue.toString()} is not one.`);
      return undefined;
    }
    const key = queue.fsPath;
    let controller = this.controllers.get(key);
    if (!controller) {
      let pending = this.opening.get(key);
      if (!pending) {
        pending = this.createController(queue).finally(() => this.opening.delete(key));
        this.opening.set(key, pending);
      }
      controller = await pending;
      if (!controller) return undefined;
    }
    this.showPanel(controller);
    this.setActive(controller);
    return this.statusOf(controller);
  }

  /** The session the commands act on. */
  get current(): AnnotationController | undefined {
    return this.active;
  }

  status(): AnnotationStatus | undefined {
    return this.active ? this.statusOf(this.active) : undefined;
  }

  async judge(verdict: AnnotateVerdict): Promise<void> {
    await this.active?.judge(verdict);
  }

  async undo(): Promise<void> {
    await this.active?.undo();
  }

  async move(direction: 'next' | 'previous'): Promise<void> {
    await this.active?.move(direction);
  }

  /** Shows line `line` (1-based) of the active session's queue; false when it holds no pair. */
  async goToLine(line: number): Promise<AnnotationStatus | undefined> {
    const c = this.active;
    if (!c) return undefined;
    await c.goToLine(line);
    return this.statusOf(c);
  }

  strength(strength: AnnotateStrength): void {
    this.active?.setStrength(strength);
  }

  /** Focus the note field / toggle the diff highlight in the view the user is in. */
  ui(action: AnnotateUiAction): void {
    const c = this.active;
    if (!c) return;
    const message: AnnotateHostMessage = { type: 'ui', action };
    if (c.panel?.active) c.panelView?.post(message);
    else if (this.sidebar?.webview && this.sidebarVisible) this.sidebar.post(message);
    else c.panelView?.post(message);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const host = new AnnotateWebview(view.webview, 'sidebar', this.extensionUri, (m, from) => this.receive(m, from, undefined), this.log);
    this.sidebar = host;
    this.sidebarView = view;
    view.onDidChangeVisibility(() => {
      if (!view.visible) host.hidden();
    });
    view.onDidDispose(() => {
      host.dispose();
      if (this.sidebar === host) {
        this.sidebar = undefined;
        this.sidebarView = undefined;
      }
    });
  }

  private get sidebarVisible(): boolean {
    return this.sidebarView?.visible ?? false;
  }

  dispose(): void {
    for (const c of this.controllers.values()) c.dispose();
    this.controllers.clear();
    this.sidebar?.dispose();
    for (const d of this.disposables) d.dispose();
    void vscode.commands.executeCommand('setContext', CONTEXT_FOCUSED, false);
  }

  // -------------------------------------------------------------------------------------------------------

  private async createController(queue: vscode.Uri): Promise<AnnotationController | undefined> {
    const folder = vscode.workspace.getWorkspaceFolder(queue);
    const config = vscode.workspace.getConfiguration('rewardStudio.annotate', queue);
    const output = judgementsPath(queue.fsPath, config.get<string>('outputFile'), folder?.uri.fsPath);
    if (path.resolve(output) === path.resolve(queue.fsPath)) {
      throw new Error('rewardStudio.annotate.outputFile names the queue itself; judgements need a file of their own');
    }
    const annotator = await annotatorName(config.get<string>('annotator'), folder?.uri.fsPath ?? path.dirname(queue.fsPath));
    const guidelines = await readGuidelines(config.get<string>('guidelinesFile'), folder?.uri.fsPath, this.log);
    const auditRate = config.get<number>('auditRate') ?? 0;
    const marginScale = config.get<MarginScale>('marginScale') ?? 'small';
    const pairing = config.get<'all' | 'adjacent'>('pairing') ?? 'all';
    const names = {
      queue: vscode.workspace.asRelativePath(queue, false),
      output: vscode.workspace.asRelativePath(vscode.Uri.file(output), false),
    };
    const session = await AnnotationSession.open({
      queue: queue.fsPath,
      output,
      annotator,
      pairing,
      sourceName: names.queue,
      guidelineSha256: guidelines?.sha256,
      marginScale,
      audit: auditRate > 0 ? { rate: auditRate } : undefined,
    });
    const controller = new AnnotationController(
      queue,
      output,
      session,
      names,
      guidelines ? { name: guidelines.name, markdown: guidelines.markdown } : undefined,
      (c) => this.post(c),
      this.log,
    );
    this.controllers.set(queue.fsPath, controller);
    void vscode.commands.executeCommand('setContext', CONTEXT_OPEN, true);
    this.log.info(`annotating ${names.queue} as ${annotator} into ${names.output}`);
    void session.scanned().then(() => {
      this.post(controller);
      const problems = session.queueProblems;
      if (problems.length > 0) {
        const lines = problems.slice(0, 5).map((p) => p.line).join(', ');
        void vscode.window.showWarningMessage(
          `${names.queue}: ${problems.length} malformed line${problems.length === 1 ? '' : 's'} skipped (line${problems.length === 1 ? '' : 's'} ${lines}${problems.length > 5 ? ', …' : ''}). The rest opens; the annotation panel lists them.`,
        );
      }
    });
    return controller;
  }

  private showPanel(c: AnnotationController): void {
    if (c.panel) {
      c.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      ANNOTATE_PANEL_TYPE,
      `Annotate: ${path.basename(c.queue.fsPath)}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      { ...webviewAppOptions(this.extensionUri), retainContextWhenHidden: false },
    );
    panel.iconPath = panelIcon(this.extensionUri);
    const view = new AnnotateWebview(panel.webview, 'panel', this.extensionUri, (m, from) => this.receive(m, from, c), this.log);
    c.panel = panel;
    c.panelView = view;
    panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.visible) view.hidden();
      if (e.webviewPanel.active) this.setActive(c);
    });
    panel.onDidDispose(() => {
      view.dispose();
      c.panel = undefined;
      c.panelView = undefined;
      // Closing the panel ends the session: its lines are all on disk; reopening resumes.
      this.controllers.delete(c.queue.fsPath);
      c.dispose();
      void vscode.commands.executeCommand('setContext', CONTEXT_OPEN, this.controllers.size > 0);
      if (this.active === c) this.setActive([...this.controllers.values()].at(-1));
      void vscode.commands.executeCommand('setContext', CONTEXT_FOCUSED, false);
    });
  }

  private setActive(c: AnnotationController | undefined): void {
    if (this.active === c) return;
    this.active = c;
    this.postSidebar();
  }

  private post(c: AnnotationController): void {
    c.panelView?.post({ type: 'state', state: c.state(), layout: 'panel' });
    if (c === this.active) this.postSidebar();
  }

  private postSidebar(): void {
    this.sidebar?.post({ type: 'state', state: this.active ? this.active.state() : null, layout: 'sidebar' });
  }

  private statusOf(c: AnnotationController): AnnotationStatus {
    return { queue: c.queue.fsPath, output: c.output, state: c.state() };
  }

  private receive(message: AnnotateWebviewMessage, from: AnnotateWebview, panelOf: AnnotationController | undefined): void {
    const c = panelOf ?? this.active;
    switch (message.type) {
      case 'ready':
        if (panelOf) from.post({ type: 'state', state: panelOf.state(), layout: 'panel' });
        else this.postSidebar();
        return;
      case 'focus':
        void vscode.commands.executeCommand('setContext', CONTEXT_FOCUSED, message.webview);
        void vscode.commands.executeCommand('setContext', CONTEXT_NOTE, message.note);
        if (message.webview && panelOf) this.setActive(panelOf);
        return;
      case 'openPanel':
        if (c) this.showPanel(c);
        return;
    }
    if (!c) return;
    if (panelOf) this.setActive(panelOf);
    switch (message.type) {
      case 'judge':
        void c.judge(message.verdict, message.itemKey);
        return;
      case 'undo':
        void c.undo();
        return;
      case 'next':
      case 'previous':
        void c.move(message.type);
        return;
      case 'draft':
        c.draft = message.strength === undefined ? { note: message.note } : { strength: message.strength, note: message.note };
        // The other view shows the same draft; the sender already does.
        if (from.layout === 'panel') this.postSidebar();
        else c.panelView?.post({ type: 'state', state: c.state(), layout: 'panel' });
        return;
      case 'restore':
        void c.restore();
        return;
    }
  }
}

/**
 * Who is annotating: the setting, else git's user.name (as the commits of the same person read), else the
 * operating-system user.
 */
async function annotatorName(setting: string | undefined, cwd: string): Promise<string> {
  const configured = (setting ?? '').trim();
  if (configured) return configured;
  const fromGit = await new Promise<string>((resolve) => {
    execFile('git', ['config', 'user.name'], { cwd, timeout: 3000 }, (error, stdout) => resolve(error ? '' : String(stdout).trim()));
  });
  if (fromGit) return fromGit;
  try {
    return os.userInfo().username || 'annotator';
  } catch {
    return 'annotator';
  }
}

async function readGuidelines(
  setting: string | undefined,
  workspaceFolder: string | undefined,
  log: vscode.LogOutputChannel,
): Promise<{ name: string; markdown: string; sha256: string } | undefined> {
  const configured = (setting ?? '').trim();
  if (!configured) return undefined;
  const file = path.resolve(workspaceFolder ?? '.', configured);
  try {
    const bytes = await readFile(file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const markdown = bytes.length <= MAX_GUIDELINES_BYTES ? bytes.toString('utf8') : `(${path.basename(file)} is larger than 1 MiB: open it in an editor.)`;
    return { name: path.basename(file), markdown, sha256 };
  } catch (error) {
    log.warn(`annotation guidelines ${file}: ${errorMessage(error)}`);
    void vscode.window.showWarningMessage(`Reward Studio: the guidelines file ${configured} could not be read (${errorMessage(error)}).`);
    return undefined;
  }
}
