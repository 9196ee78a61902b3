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
import { readFile, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AnnotationSession } from '../../core/annotate/session';
import type { MarginScale } from '../../core/annotate/record';
import {
  parseAnnotateWebviewMessage,
  type AnnotateHostMessage,
  type AnnotateLayout,
  type AnnotatePanelState,
  type AnnotateState,
  type AnnotateStrength,
  type AnnotateUiAction,
  type AnnotateVerdict,
  type AnnotateWebviewMessage,
} from '../../protocol/annotate';
import { errorMessage } from '../report';
import { loadWebviewApp, panelIcon, webviewAppOptions } from '../webviewApp';
import { AnnotationFlow } from './annotationFlow';
import { judgementsPath } from './annotateView';

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

/** One queue's session (through its AnnotationFlow), its editor panel (when open) and the judgements file's watcher. */
class AnnotationController implements vscode.Disposable {
  panel: vscode.WebviewPanel | undefined;
  panelView: AnnotateWebview | undefined;
  readonly flow: AnnotationFlow;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(
    readonly queue: vscode.Uri,
    readonly output: string,
    readonly session: AnnotationSession,
    names: { queue: string; output: string },
    guidelines: { file: string; read: () => Promise<Guidelines | undefined>; loaded: Guidelines | undefined } | undefined,
    views: { changed(c: AnnotationController): void; send(c: AnnotationController, message: AnnotateHostMessage): void },
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.flow = new AnnotationFlow(session, { queueName: names.queue, queueUri: queue.toString(), outputName: names.output, guidelines: guidelines?.loaded }, {
      changed: () => views.changed(this),
      advance: (message) => views.send(this, message),
      log: (level, message) => (level === 'error' ? log.error : log.warn).call(log, `annotation of ${names.queue}: ${message}`),
    });
    void this.flow.prepare();
    this.watch(output, () => this.schedule('refresh', () => this.flow.refresh()));
    if (guidelines) {
      // An edited guidelines file is shown, and recorded in the judgements made from then on.
      let sha256 = guidelines.loaded?.sha256;
      this.watch(guidelines.file, () =>
        this.schedule('guidelines', async () => {
          const now = await guidelines.read();
          if (now?.sha256 === sha256) return;
          sha256 = now?.sha256;
          await this.flow.setGuidelines(now);
        }),
      );
    }
  }

  private watch(file: string, onChange: () => void): void {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
    this.disposables.push(watcher, watcher.onDidChange(onChange), watcher.onDidCreate(onChange), watcher.onDidDelete(onChange));
  }

  state(): AnnotateState {
    return this.flow.state();
  }

  /** Outside edits come in bursts (a save, a checkout): one run of `task` per burst. */
  private schedule(name: string, task: () => Promise<void>): void {
    clearTimeout(this.timers.get(name));
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        if (!this.closed) task().catch((error: unknown) => this.log.error(`annotation: ${errorMessage(error)}`));
      }, REFRESH_DEBOUNCE_MS),
    );
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
    this.panelView?.dispose();
    this.panel?.dispose();
    void this.flow
      .close()
      .then(() => this.session.close())
      .catch((error: unknown) => this.log.error(`closing the annotation session: ${errorMessage(error)}`));
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
    this.disposables.push(
      vscode.window.registerWebviewViewProvider(ANNOTATE_VIEW_ID, this),
      // A panel left open when the window reloaded comes back on its queue (the webview kept the queue's URI).
      vscode.window.registerWebviewPanelSerializer(ANNOTATE_PANEL_TYPE, {
        deserializeWebviewPanel: (panel, state) => this.restorePanel(panel, state as AnnotatePanelState | undefined),
      }),
    );
  }

  private async restorePanel(panel: vscode.WebviewPanel, state: AnnotatePanelState | undefined): Promise<void> {
    const queue = typeof state?.queue === 'string' ? vscode.Uri.parse(state.queue) : undefined;
    if (!queue || queue.scheme !== 'file' || !(await exists(queue)) || this.controllers.has(queue.fsPath)) {
      if (queue) this.log.info(`annotation: not restoring the panel of ${queue.fsPath} (${this.controllers.has(queue.fsPath) ? 'already open' : 'the queue is gone'})`);
      panel.dispose();
      return;
    }
    try {
      const controller = await this.createController(queue);
      if (!controller) {
        panel.dispose();
        return;
      }
      this.showPanel(controller, panel);
      this.setActive(controller);
      this.log.info(`annotation: restored the panel of ${queue.fsPath}`);
    } catch (e) {
      this.log.error(`annotation: could not restore the panel of ${queue.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
      panel.dispose();
    }
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
    await this.active?.flow.judge(verdict);
  }

  async undo(): Promise<void> {
    await this.active?.flow.undo();
  }

  async move(direction: 'next' | 'previous'): Promise<void> {
    await this.active?.flow.move(direction);
  }

  /** Shows line `line` (1-based) of the active session's queue; false when it holds no pair. */
  async goToLine(line: number): Promise<AnnotationStatus | undefined> {
    const c = this.active;
    if (!c) return undefined;
    await c.flow.goToLine(line);
    return this.statusOf(c);
  }

  strength(strength: AnnotateStrength): void {
    this.active?.flow.setStrength(strength);
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
    const guidelinesSetting = (config.get<string>('guidelinesFile') ?? '').trim();
    const guidelinesFile = guidelinesSetting ? path.resolve(folder?.uri.fsPath ?? '.', guidelinesSetting) : undefined;
    const readGuidelinesNow = (file: string) => (): Promise<Guidelines | undefined> => readGuidelines(file, guidelinesSetting, this.log);
    const guidelines = guidelinesFile ? await readGuidelinesNow(guidelinesFile)() : undefined;
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
      guidelinesFile ? { file: guidelinesFile, read: readGuidelinesNow(guidelinesFile), loaded: guidelines } : undefined,
      { changed: (c) => this.post(c), send: (c, message) => this.send(c, message) },
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

  private showPanel(c: AnnotationController, restored?: vscode.WebviewPanel): void {
    if (c.panel) {
      c.panel.reveal();
      return;
    }
    const panel =
      restored ??
      vscode.window.createWebviewPanel(
        ANNOTATE_PANEL_TYPE,
        `Annotate: ${path.basename(c.queue.fsPath)}`,
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
        { ...webviewAppOptions(this.extensionUri), retainContextWhenHidden: false },
      );
    if (restored) {
      restored.title = `Annotate: ${path.basename(c.queue.fsPath)}`;
      restored.webview.options = webviewAppOptions(this.extensionUri);
    }
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

  /** A message for every view of `c` (the panel; the side bar while it shows `c`). */
  private send(c: AnnotationController, message: AnnotateHostMessage): void {
    c.panelView?.post(message);
    if (c === this.active) this.sidebar?.post(message);
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
        void c.flow.judge(message.verdict, message.itemKey);
        return;
      case 'undo':
        void c.flow.undo();
        return;
      case 'next':
      case 'previous':
        void c.flow.move(message.type);
        return;
      case 'shown':
        c.flow.viewShows(message.itemKey);
        return;
      case 'draft':
        c.flow.setDraft(message.itemKey, message.strength, message.note);
        // The other view shows the same draft; the sender already does.
        if (from.layout === 'panel') this.postSidebar();
        else c.panelView?.post({ type: 'state', state: c.state(), layout: 'panel' });
        return;
      case 'restore':
        void c.flow.restore();
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

interface Guidelines {
  name: string;
  markdown: string;
  sha256: string;
}

/** The guidelines file (`setting` as the user wrote it, for the message); undefined when it cannot be read. */
async function readGuidelines(file: string, setting: string, log: vscode.LogOutputChannel): Promise<Guidelines | undefined> {
  try {
    const bytes = await readFile(file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const markdown = bytes.length <= MAX_GUIDELINES_BYTES ? bytes.toString('utf8') : `(${path.basename(file)} is larger than 1 MiB: open it in an editor.)`;
    return { name: path.basename(file), markdown, sha256 };
  } catch (error) {
    log.warn(`annotation guidelines ${file}: ${errorMessage(error)}`);
    void vscode.window.showWarningMessage(`Reward Studio: the guidelines file ${setting} could not be read (${errorMessage(error)}).`);
    return undefined;
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    return (await stat(uri.fsPath)).isFile();
  } catch {
    return false;
  }
}
