/**
 * In-editor reward inspection: the active reward model's view of every record of the preference JSONL
 * files open in editors. Scoring happens in the score server (src/core/inspect, a child process with a
 * content-keyed cache): this side only reads line texts from the documents, sends them in small chunks —
 * the lines waiting on a CodeLens first, then lines just edited, then what is on screen, then the rest of
 * the file — and turns the answers into CodeLens, hovers, diagnostics and the status-bar item. Nothing
 * here tokenizes or runs a session, so typing never waits on the model.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FormatId } from '../../core/data/formats/types';
import { compareResults, type Comparison } from '../../core/inspect/compare';
import { DocScores } from '../../core/inspect/docScores';
import { detectLinesFormat, parseRecordLine } from '../../core/inspect/lines';
import { disagreementMessage, disagreements, fmtReward } from '../../core/inspect/present';
import type { LineResult, LoadedModel } from '../../core/inspect/protocol';
import { recordSideSpans } from '../../core/inspect/recordEdit';
import { ScoreClient } from '../../core/inspect/scoreClient';
import type { ProviderChoice } from '../../core/runtime';
import { findModelFolders } from '../modelFolders';
import { errorMessage } from '../report';
import { readDataOptions } from '../settings';

export const INSPECT_DIAGNOSTIC_CODE = 'reward-disagreement';
/** P(chosen) of each disagreement diagnostic, to order them. */
const pOf = new WeakMap<vscode.Diagnostic, number>();
/** VS Code's large-file limits (editor.largeFileOptimizations): over them a model gets no CodeLens. */
const LARGE_FILE_CHARS = 20 * 1024 * 1024;
const LARGE_FILE_LINES = 300_000;
export const INSPECT_SOURCE = 'Reward Studio (reward model)';
const STATE_MODEL = 'rewardStudio.inspect.model';
const STATE_REVIEWED = 'rewardStudio.inspect.reviewed';
/** Lines per request: small, so a CodeLens waiting on screen never queues behind much background work. */
const CHUNK_VISIBLE = 48;
const CHUNK_BACKGROUND = 32;
/** Lines around the visible ranges that get CodeLens (VS Code asks for every lens of a document on each change). */
const LENS_MARGIN = 100;

export const INSPECT_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.{jsonl,ndjson}' },
  { scheme: 'untitled', language: 'jsonl' },
];

interface Waiter {
  resolve: (r: LineResult | undefined) => void;
}

/** One open document's inspection state. */
export class DocState {
  readonly scores = new DocScores();
  format: FormatId | undefined;
  formatError: string | undefined;
  /** Lines (0-based) someone awaits: a CodeLens being resolved, a hover. */
  readonly waiters = new Map<number, Waiter[]>();
  /** Next line the background pass looks at; `sweeps` counts passes that found work. */
  cursor = 0;
  backgroundDone = false;
  pumping = false;
  /** Dirty lines are re-scored once the user pauses (rewardStudio.inspect.rescoreDelay). */
  dirtyReady = true;
  dirtyTimer: NodeJS.Timeout | undefined;
  /** performance.now() when the state was made and when its first line was scored (bench, status). */
  readonly createdAt = performance.now();
  firstScoredAt: number | undefined;
  doneAt: number | undefined;
  flagged = 0;
  /** Over VS Code's large-file limits: the editor shows no CodeLens for it (said once). */
  tooLargeForLens = false;
  largeNoticeShown = false;
  /** The diagnostics last handed to VS Code. */
  published: vscode.Diagnostic[] = [];
  constructor(readonly doc: vscode.TextDocument) {}
}

export interface InspectStatus {
  model: LoadedModel | null;
  modelError: string | null;
  documents: Array<{
    file: string;
    format: string | null;
    formatError: string | null;
    lines: number;
    scoredLines: number;
    backgroundDone: boolean;
    flagged: number;
    firstScoredMs: number | null;
    doneMs: number | null;
  }>;
  server: { pid: number | null; starts: number };
}

export class InspectionManager implements vscode.Disposable {
  private client: ScoreClient | undefined;
  private modelInfo: LoadedModel | undefined;
  private modelError: string | undefined;
  private loading: Promise<LoadedModel | undefined> | undefined;
  /** The remembered model, not loaded yet: no JSONL file has been on screen since activation. */
  private deferred: string | undefined;
  /** Counts setModel calls: only the latest one's load becomes the active model. */
  private loadSeq = 0;
  /** Watches the active model's card: a training run that finishes into the same folder replaces the model. */
  private modelWatcher: vscode.FileSystemWatcher | undefined;
  private readonly docs = new Map<string, DocState>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('rewardStudio.inspect');
  private readonly statusItem = vscode.window.createStatusBarItem('rewardStudio.inspect.model', vscode.StatusBarAlignment.Right, 90);
  private readonly lensChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensChanged.event;
  private readonly disposables: vscode.Disposable[] = [];
  private reviewed: Set<string>;
  private lensTimer: NodeJS.Timeout | undefined;
  private diagTimer: NodeJS.Timeout | undefined;
  private diagDue = 0;
  private disposed = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.reviewed = new Set(context.workspaceState.get<string[]>(STATE_REVIEWED, []));
    this.statusItem.name = 'Reward Studio: Active Reward Model';
    this.statusItem.command = 'rewardStudio.inspect.selectModel';
    this.disposables.push(
      this.diagnostics,
      this.statusItem,
      this.lensChanged,
      vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.kickVisible()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        if (this.docs.has(e.textEditor.document.uri.toString())) {
          this.scheduleLensRefresh(150);
          this.pumpDoc(e.textEditor.document);
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('rewardStudio.inspect.diagnostics')) this.scheduleDiagnostics(0);
        if (e.affectsConfiguration('rewardStudio.inspect.codeLens')) this.lensChanged.fire();
        if (e.affectsConfiguration('rewardStudio.inspect.provider') && this.modelInfo) void this.setModel(this.modelInfo.dir, false);
        if (e.affectsConfiguration('rewardStudio.inspect.enabled')) {
          if (this.enabled) void this.restore();
          else {
            this.resetScores();
            this.modelInfo = undefined;
            this.renderStatus();
            this.lensChanged.fire();
          }
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.restore()),
    );
    this.renderStatus();
    void this.restore();
  }

  // ---------------------------------------------------------------------------------------------- model

  get model(): LoadedModel | undefined {
    return this.modelInfo;
  }

  private get enabled(): boolean {
    return vscode.workspace.isTrusted && vscode.workspace.getConfiguration('rewardStudio.inspect').get<boolean>('enabled', true);
  }

  private provider(): ProviderChoice {
    return vscode.workspace.getConfiguration('rewardStudio.inspect').get<ProviderChoice>('provider', 'auto');
  }

  private scoreClient(): ScoreClient {
    if (!this.client) {
      const script = path.join(this.context.extensionUri.fsPath, 'dist', 'scoreServer.js');
      this.client = new ScoreClient({
        script,
        onExit: (how) => {
          this.log.warn(`score server ended (${how}); it restarts on the next request`);
          this.renderStatus(`score server ended (${how})`);
        },
      });
    }
    return this.client;
  }

  /** The model of the last session, or of rewardStudio.inspect.model. */
  private async restore(): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    const configured = vscode.workspace.getConfiguration('rewardStudio.inspect').get<string>('model', '');
    const remembered = this.context.workspaceState.get<string>(STATE_MODEL);
    const dir = remembered ?? (configured ? this.resolveConfigured(configured) : undefined);
    if (!dir || !fs.existsSync(path.join(dir, 'reward-model.json'))) {
      this.renderStatus();
      return;
    }
    // Activation does not start the score server: the model loads once a JSONL file is on screen (or a
    // command needs it).
    this.deferred = dir;
    this.renderStatus();
    this.kickVisible();
  }

  private resolveConfigured(p: string): string {
    if (path.isAbsolute(p)) return p;
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? path.join(folder.uri.fsPath, p) : p;
  }

  /** Makes `dir` the active model (undefined: none). Returns the loaded model, or undefined with the error shown. */
  async setModel(dir: string | undefined, remember = true): Promise<LoadedModel | undefined> {
    if (remember) await this.context.workspaceState.update(STATE_MODEL, dir);
    // No model while the next one loads: a chunk of the old model still out is dropped when it returns.
    const seq = ++this.loadSeq;
    this.deferred = undefined;
    this.modelInfo = undefined;
    this.resetScores();
    if (!dir) {
      this.watchModel(undefined);
      this.modelInfo = undefined;
      this.modelError = undefined;
      this.renderStatus();
      this.lensChanged.fire();
      return undefined;
    }
    if (!this.enabled) {
      this.renderStatus();
      return undefined;
    }
    this.renderStatus(`loading ${path.basename(dir)}…`);
    const loading = (async (): Promise<LoadedModel | undefined> => {
      try {
        const m = await this.scoreClient().load(dir, this.provider());
        // A later choice made while this one loaded wins.
        if (this.loadSeq !== seq) return m;
        this.modelInfo = m;
        this.modelError = undefined;
        this.log.info(`inspection: model ${m.dir} on ${m.provider}`);
        return m;
      } catch (e) {
        if (this.loadSeq !== seq) return undefined;
        this.modelInfo = undefined;
        this.modelError = errorMessage(e);
        this.log.error(`inspection: could not load ${dir}: ${this.modelError}`);
        void vscode.window.showErrorMessage(`Reward Studio could not load the reward model ${dir}: ${this.modelError}`);
        return undefined;
      }
    })();
    this.loading = loading;
    this.watchModel(dir);
    const m = await loading;
    if (this.loading === loading) this.loading = undefined;
    this.renderStatus();
    this.lensChanged.fire();
    this.kickVisible();
    return m;
  }

  private watchedDir: string | undefined;

  private watchModel(dir: string | undefined): void {
    if (dir === this.watchedDir && this.modelWatcher) return;
    this.watchedDir = dir;
    this.modelWatcher?.dispose();
    this.modelWatcher = undefined;
    if (!dir) return;
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '{reward-model.json,reward-model.onnx}'));
    let timer: NodeJS.Timeout | undefined;
    const reload = (): void => {
      clearTimeout(timer);
      // The trainer writes the .onnx, then the card: reload once both settled.
      timer = setTimeout(() => {
        this.log.info(`inspection: ${dir} changed on disk; loading it again`);
        void this.setModel(dir, false);
      }, 500);
    };
    w.onDidChange(reload);
    w.onDidCreate(reload);
    this.modelWatcher = w;
  }

  private loadDeferred(): Promise<LoadedModel | undefined> {
    const dir = this.deferred;
    this.deferred = undefined;
    return dir ? this.setModel(dir, false) : Promise.resolve(undefined);
  }

  private async ready(): Promise<LoadedModel | undefined> {
    if (this.deferred) await this.loadDeferred();
    if (this.loading) await this.loading;
    return this.enabled ? this.modelInfo : undefined;
  }

  private resetScores(): void {
    for (const s of this.docs.values()) {
      s.scores.clear();
      s.cursor = 0;
      s.backgroundDone = false;
      s.firstScoredAt = undefined;
      s.doneAt = undefined;
      for (const ws of s.waiters.values()) ws.forEach((w) => w.resolve(undefined));
      s.waiters.clear();
      s.published = [];
    }
    this.diagnostics.clear();
  }

  // ----------------------------------------------------------------------------------------- documents

  isInspectable(doc: vscode.TextDocument): boolean {
    return vscode.languages.match(INSPECT_SELECTOR, doc) > 0;
  }

  /** The state of a document, made on first use (format detected from its first lines). */
  state(doc: vscode.TextDocument): DocState | undefined {
    if (!this.isInspectable(doc)) return undefined;
    const key = doc.uri.toString();
    let s = this.docs.get(key);
    if (!s) {
      s = new DocState(doc);
      this.detect(s);
      if (vscode.workspace.getConfiguration('editor', doc).get<boolean>('largeFileOptimizations', true)) {
        const chars = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
        s.tooLargeForLens = chars > LARGE_FILE_CHARS || doc.lineCount > LARGE_FILE_LINES;
      }
      this.docs.set(key, s);
    }
    return s;
  }

  private detect(s: DocState): void {
    const head: string[] = [];
    for (let i = 0; i < Math.min(s.doc.lineCount, 400) && head.length < 64; i++) {
      const t = s.doc.lineAt(i).text;
      if (t.trim()) head.push(t);
    }
    const preferred = readDataOptions(s.doc.uri).from;
    const d = detectLinesFormat(head, preferred);
    if ('format' in d) {
      s.format = d.format;
      s.formatError = undefined;
    } else {
      s.format = undefined;
      s.formatError = d.error;
    }
  }

  private forget(doc: vscode.TextDocument): void {
    const s = this.docs.get(doc.uri.toString());
    if (!s) return;
    this.docs.delete(doc.uri.toString());
    clearTimeout(s.dirtyTimer);
    for (const ws of s.waiters.values()) ws.forEach((w) => w.resolve(undefined));
    this.diagnostics.delete(doc.uri);
  }

  private onChange(e: vscode.TextDocumentChangeEvent): void {
    const s = this.docs.get(e.document.uri.toString());
    if (!s || e.contentChanges.length === 0) return;
    // Changes of one event do not overlap and are applied bottom-up so line numbers stay valid.
    const changes = [...e.contentChanges].sort((a, b) => b.range.start.line - a.range.start.line);
    for (const c of changes) {
      const inserted = (c.text.match(/\n/g) ?? []).length;
      s.scores.apply({ startLine: c.range.start.line, endLine: c.range.end.line, insertedLines: inserted });
    }
    s.backgroundDone = false;
    s.dirtyReady = false;
    clearTimeout(s.dirtyTimer);
    const delay = vscode.workspace.getConfiguration('rewardStudio.inspect').get<number>('rescoreDelay', 400);
    s.dirtyTimer = setTimeout(() => {
      s.dirtyReady = true;
      // A file that was no preference file yet may be one now (detection reads its first lines).
      if (!s.format) this.detect(s);
      this.pumpDoc(s.doc);
    }, delay);
    this.scheduleDiagnostics(delay + 100);
  }

  /** Starts scoring every visible inspectable document. */
  private kickVisible(): void {
    if (this.deferred && vscode.window.visibleTextEditors.some((ed) => this.isInspectable(ed.document))) void this.loadDeferred();
    if (!this.modelInfo) return;
    for (const ed of vscode.window.visibleTextEditors) this.pumpDoc(ed.document);
  }

  pumpDoc(doc: vscode.TextDocument): void {
    if (!this.modelInfo || !this.enabled) return;
    const s = this.state(doc);
    if (!s || !s.format || s.pumping) return;
    if (s.tooLargeForLens && !s.largeNoticeShown) {
      s.largeNoticeShown = true;
      void this.largeFileNotice(doc);
    }
    void this.pump(s);
  }

  private async largeFileNotice(doc: vscode.TextDocument): Promise<void> {
    const name = path.basename(doc.uri.fsPath);
    const turnOff = 'Show CodeLens on Large Files';
    const pick = await vscode.window.showInformationMessage(
      `${name} is over VS Code's large-file limit (20 MB or 300k lines), so the editor shows no CodeLens on it. ` +
        'Its records are still scored: rewards are in the hover and disagreements in the Problems panel.',
      turnOff,
    );
    if (pick !== turnOff) return;
    await vscode.workspace.getConfiguration('editor').update('largeFileOptimizations', false, vscode.ConfigurationTarget.Workspace);
    void vscode.window.showInformationMessage(`editor.largeFileOptimizations is off in this workspace: close and reopen ${name} to see its CodeLens.`);
  }

  /** Resolves when `line` (0-based) of `doc` has a result (undefined: no model, or the document went away). */
  async lineResult(doc: vscode.TextDocument, line: number): Promise<LineResult | undefined> {
    const model = await this.ready();
    const s = this.state(doc);
    if (!model || !s || !s.format) return undefined;
    const have = s.scores.get(line);
    if (have && !s.scores.isDirty(line)) return have;
    return new Promise((resolve) => {
      const ws = s.waiters.get(line) ?? [];
      ws.push({ resolve });
      s.waiters.set(line, ws);
      this.pumpDoc(doc);
    });
  }

  private visibleLines(doc: vscode.TextDocument): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document !== doc) continue;
      for (const r of ed.visibleRanges) ranges.push([r.start.line, r.end.line]);
    }
    return ranges;
  }

  /** Lines around what is on screen, for CodeLens. */
  lensWindow(doc: vscode.TextDocument): Array<[number, number]> {
    const vis = this.visibleLines(doc);
    if (!vis.length) return [[0, Math.min(doc.lineCount - 1, 2 * LENS_MARGIN)]];
    return vis.map(([a, b]) => [Math.max(0, a - LENS_MARGIN), Math.min(doc.lineCount - 1, b + LENS_MARGIN)]);
  }

  /** The next lines to send: awaited ones, then edited ones (after the pause), then on screen, then the rest. */
  private nextLines(s: DocState): { lines: number[]; background: boolean } {
    const doc = s.doc;
    const n = doc.lineCount;
    const out: number[] = [];
    const take = (l: number, max: number): boolean => {
      if (l >= n || out.includes(l)) return out.length < max;
      if (s.scores.has(l) && !s.scores.isDirty(l)) return out.length < max;
      out.push(l);
      return out.length < max;
    };
    for (const l of s.waiters.keys()) if (!take(l, CHUNK_VISIBLE)) break;
    if (out.length < CHUNK_VISIBLE && s.dirtyReady) for (const l of s.scores.dirtyLines()) if (!take(l, CHUNK_VISIBLE)) break;
    if (out.length < CHUNK_VISIBLE) {
      for (const [a, b] of this.visibleLines(doc)) {
        let full = false;
        for (let l = a; l <= b; l++) {
          if (s.scores.isDirty(l) && !s.dirtyReady) continue;
          if (!take(l, CHUNK_VISIBLE)) {
            full = true;
            break;
          }
        }
        if (full) break;
      }
    }
    if (out.length) return { lines: out, background: false };
    if (s.backgroundDone) return { lines: [], background: true };
    // The background pass: from the cursor to the end, then once more from the top for lines edits skipped.
    let wrapped = false;
    while (out.length < CHUNK_BACKGROUND) {
      if (s.cursor >= n) {
        if (wrapped || out.length) break;
        wrapped = true;
        s.cursor = 0;
        if (!this.hasUnscored(s)) break;
        continue;
      }
      const l = s.cursor++;
      if (s.scores.isDirty(l) && !s.dirtyReady) continue;
      take(l, CHUNK_BACKGROUND);
    }
    if (!out.length) {
      s.backgroundDone = true;
      s.doneAt ??= performance.now();
    }
    return { lines: out, background: true };
  }

  private hasUnscored(s: DocState): boolean {
    for (let l = 0; l < s.doc.lineCount; l++) if (!s.scores.has(l)) return true;
    return false;
  }

  private async pump(s: DocState): Promise<void> {
    s.pumping = true;
    /** The model changed while a chunk was out: start again for the new one once this loop is gone. */
    let restart = false;
    try {
      while (!this.disposed && this.modelInfo && this.docs.get(s.doc.uri.toString()) === s && s.format) {
        const model = this.modelInfo;
        const { lines, background } = this.nextLines(s);
        if (!lines.length) break;
        const doc = s.doc;
        const sent: Array<{ line: number; text: string }> = [];
        for (const l of lines) {
          const text = doc.lineAt(l).text;
          if (!text.trim()) s.scores.set({ line: l, skip: 'blank line' });
          else sent.push({ line: l + 1, text });
        }
        this.settleWaiters(s);
        if (!sent.length) continue;
        let results: LineResult[];
        try {
          results = await this.scoreClient().scoreLines(model.key, s.format, doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString(), sent);
        } catch (e) {
          // The model changed on disk, or a restarted server holds it under a new identity: load it again
          // (that starts scoring over) rather than fail every request.
          if (e instanceof Error && e.name === 'ModelChangedError' && this.modelInfo === model && !this.loading) {
            this.log.info(`inspection: ${e.message}; loading it again`);
            void this.setModel(model.dir, false);
            break;
          }
          this.log.warn(`inspection: scoring ${path.basename(doc.uri.fsPath)} failed: ${errorMessage(e)}`);
          this.renderStatus(errorMessage(e));
          for (const ws of s.waiters.values()) ws.forEach((w) => w.resolve(undefined));
          s.waiters.clear();
          break;
        }
        if (this.modelInfo !== model || this.docs.get(doc.uri.toString()) !== s) {
          restart = this.modelInfo !== undefined && this.docs.get(doc.uri.toString()) === s;
          break;
        }
        results.forEach((r, i) => {
          const l = r.line - 1;
          // Only if the line still reads as it did when sent: an edit in flight makes the result stale.
          if (l < doc.lineCount && doc.lineAt(l).text === sent[i].text) s.scores.set({ ...r, line: l });
        });
        s.firstScoredAt ??= performance.now();
        this.settleWaiters(s);
        // CodeLens are asked for again only when a result landed near the screen (VS Code re-renders
        // every lens of the window on each refresh); diagnostics at most every few seconds in the background.
        const near = this.lensWindow(doc);
        if (results.some((r) => near.some(([a, b]) => r.line - 1 >= a && r.line - 1 <= b))) this.scheduleLensRefresh(background ? 300 : 30);
        this.scheduleDiagnostics(background ? 2500 : 100);
        this.renderStatusThrottled();
      }
    } finally {
      s.pumping = false;
      this.renderStatus();
      this.scheduleDiagnostics(50);
      if (restart) this.pumpDoc(s.doc);
    }
  }

  private settleWaiters(s: DocState): void {
    for (const [line, ws] of s.waiters) {
      const r = s.scores.get(line);
      if (r && !s.scores.isDirty(line)) {
        s.waiters.delete(line);
        ws.forEach((w) => w.resolve(r));
      } else if (line >= s.doc.lineCount) {
        s.waiters.delete(line);
        ws.forEach((w) => w.resolve(undefined));
      }
    }
  }

  private statusAt = 0;

  /** The progress in the status bar, at most once a second (each update re-renders the item). */
  private renderStatusThrottled(): void {
    const now = performance.now();
    if (now - this.statusAt < 1000) return;
    this.statusAt = now;
    this.renderStatus();
  }

  private scheduleLensRefresh(ms: number): void {
    if (this.lensTimer) return;
    this.lensTimer = setTimeout(() => {
      this.lensTimer = undefined;
      this.lensChanged.fire();
    }, ms);
  }

  // --------------------------------------------------------------------------------------- diagnostics

  /** At most one refresh pending; a sooner request moves it earlier, a later one never pushes it back. */
  private scheduleDiagnostics(ms: number): void {
    const due = performance.now() + ms;
    if (this.diagTimer && this.diagDue <= due) return;
    clearTimeout(this.diagTimer);
    this.diagDue = due;
    this.diagTimer = setTimeout(() => {
      this.diagTimer = undefined;
      for (const s of this.docs.values()) this.publishDiagnostics(s);
    }, ms);
  }

  reviewKey(doc: vscode.TextDocument, text: string): string {
    return `${vscode.workspace.asRelativePath(doc.uri, false)}#${createHash('sha1').update(text).digest('base64')}`;
  }

  isReviewed(doc: vscode.TextDocument, text: string): boolean {
    if (this.reviewed.has(this.reviewKey(doc, text))) return true;
    if (!/"reviewed"\s*:/.test(text)) return false;
    try {
      const v = JSON.parse(text) as { reviewed?: unknown };
      return v.reviewed !== undefined && v.reviewed !== null && v.reviewed !== false;
    } catch {
      return false;
    }
  }

  async markReviewed(uri: vscode.Uri, line: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (line >= doc.lineCount) return;
    this.reviewed.add(this.reviewKey(doc, doc.lineAt(line).text));
    await this.context.workspaceState.update(STATE_REVIEWED, [...this.reviewed]);
    const s = this.docs.get(uri.toString());
    const r = s?.scores.get(line);
    if (r) this.diagCache.delete(r);
    if (s) this.publishDiagnostics(s);
  }

  private severity(): vscode.DiagnosticSeverity | undefined {
    const v = vscode.workspace.getConfiguration('rewardStudio.inspect.diagnostics').get<string>('severity', 'warning');
    return { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, information: vscode.DiagnosticSeverity.Information, hint: vscode.DiagnosticSeverity.Hint }[v];
  }

  /** Diagnostics of a line, kept while its result object and line number stay the same. */
  private readonly diagCache = new WeakMap<LineResult, { line: number; threshold: number; severity: vscode.DiagnosticSeverity; diags: vscode.Diagnostic[] }>();

  private publishDiagnostics(s: DocState): void {
    const model = this.modelInfo;
    const severity = this.severity();
    if (!model || severity === undefined || !this.enabled) {
      this.diagnostics.delete(s.doc.uri);
      s.flagged = 0;
      s.published = [];
      return;
    }
    const threshold = vscode.workspace.getConfiguration('rewardStudio.inspect.diagnostics').get<number>('threshold', 0.25);
    const out: vscode.Diagnostic[] = [];
    for (const [line, r] of s.scores.entries()) {
      if ('skip' in r) continue;
      if (line >= s.doc.lineCount || s.scores.isDirty(line)) continue;
      const cached = this.diagCache.get(r);
      if (cached && cached.line === line && cached.threshold === threshold && cached.severity === severity) {
        out.push(...cached.diags);
        continue;
      }
      const found = disagreements(r, { threshold });
      const diags: vscode.Diagnostic[] = [];
      if (found.length) {
        const text = s.doc.lineAt(line).text;
        if (!this.isReviewed(s.doc, text)) {
          const spans = s.format ? recordSideSpans(text, s.format) : {};
          const span = spans.chosen ?? { start: s.doc.lineAt(line).firstNonWhitespaceCharacterIndex, end: text.length };
          for (const d of found) {
            const diag = new vscode.Diagnostic(new vscode.Range(line, span.start, line, span.end), disagreementMessage(d, r.pairs.length, model), severity);
            diag.source = INSPECT_SOURCE;
            diag.code = INSPECT_DIAGNOSTIC_CODE;
            pOf.set(diag, d.p);
            diags.push(diag);
          }
        }
      }
      this.diagCache.set(r, { line, threshold, severity, diags });
      out.push(...diags);
    }
    s.flagged = out.length;
    // VS Code keeps the first 1,000 diagnostics of a file: the most confident disagreements first.
    out.sort((a, b) => (pOf.get(a) ?? 0) - (pOf.get(b) ?? 0) || a.range.start.line - b.range.start.line);
    // Unchanged (the same diagnostic objects in the same order): nothing to send to the workbench.
    if (out.length === s.published.length && out.every((d, i) => d === s.published[i])) return;
    s.published = out;
    this.diagnostics.set(s.doc.uri, out);
  }

  // -------------------------------------------------------------------------------------- status bar

  private renderStatus(transient?: string): void {
    const item = this.statusItem;
    if (!vscode.workspace.isTrusted) {
      item.hide();
      return;
    }
    const m = this.modelInfo;
    const active = vscode.window.activeTextEditor?.document;
    const s = active ? this.docs.get(active.uri.toString()) : undefined;
    if (!m && this.deferred) {
      item.text = `$(beaker) ${path.basename(this.deferred)} · not loaded`;
      item.tooltip = `Reward model ${this.deferred}: it loads when a JSONL file is shown. Click to switch models.`;
      item.show();
      return;
    }
    if (!m) {
      item.text = this.loading ? `$(sync~spin) ${transient ?? 'loading model…'}` : '$(beaker) No reward model';
      item.tooltip = this.modelError ? `The last model did not load: ${this.modelError}\nClick to choose one.` : 'Reward Studio: click to choose the reward model that scores JSONL records in the editor.';
      item.show();
      return;
    }
    let progress = '';
    if (s && !s.backgroundDone && s.pumping) {
      const scored = s.scores.size;
      progress = ` · scoring ${scored.toLocaleString('en-US')}/${s.doc.lineCount.toLocaleString('en-US')}`;
    }
    item.text = `$(beaker) ${m.name} · ${m.provider.toUpperCase()}${progress}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Reward model:** \`${m.dir}\`\n\n**Execution provider:** ${m.provider.toUpperCase()}\n\n`);
    md.appendText(m.providerSummary + '\n');
    if (s?.formatError) md.appendMarkdown(`\n\nThis file is not scored: ${s.formatError}`);
    if (s?.tooLargeForLens) md.appendMarkdown('\n\nThis file is over VS Code\'s large-file limit: no CodeLens (rewards are in the hover and the Problems panel).');
    if (transient) md.appendMarkdown(`\n\n${transient}`);
    md.appendMarkdown('\n\nClick to switch models.');
    item.tooltip = md;
    item.show();
  }

  // ---------------------------------------------------------------------------------------- commands

  /** "Select Reward Model": the models of the workspace, another folder, or none. */
  async pickModel(): Promise<LoadedModel | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Reward Studio loads no models in Restricted Mode; trust the workspace to score records.');
      return undefined;
    }
    const found = findModelFolders().map((m) => m.dir);
    type Item = vscode.QuickPickItem & { dir?: string; action?: 'browse' | 'none' };
    const items: Item[] = found.map((dir) => ({
      label: path.basename(dir),
      description: vscode.workspace.asRelativePath(dir, false),
      detail: modelDetail(dir),
      dir,
      picked: dir === this.modelInfo?.dir,
    }));
    items.push({ label: '$(folder-opened) Choose a model folder…', action: 'browse' });
    if (this.modelInfo) items.push({ label: '$(circle-slash) No model (stop scoring)', action: 'none' });
    const pick = await vscode.window.showQuickPick(items, {
      title: 'Reward Studio: Active Reward Model',
      placeHolder: found.length ? 'The model that scores JSONL records in the editor' : 'No trained model in this workspace yet — choose a folder, or train one first',
    });
    if (!pick) return undefined;
    if (pick.action === 'none') return this.setModel(undefined);
    let dir = pick.dir;
    if (pick.action === 'browse') {
      const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this reward model', title: 'A training run\'s output folder (reward-model.json, reward-model.onnx)' });
      dir = chosen?.[0]?.fsPath;
    }
    return dir ? this.setModel(dir) : undefined;
  }

  /** Scores every line of `doc` with the model in `dir` (loaded beside the active one), for Compare Models. */
  private async scoreAll(doc: vscode.TextDocument, key: string, format: FormatId, progress: (done: number) => void, token: vscode.CancellationToken): Promise<LineResult[]> {
    const out: LineResult[] = [];
    const file = doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString();
    for (let a = 0; a < doc.lineCount; a += 256) {
      if (token.isCancellationRequested) throw new vscode.CancellationError();
      const lines: Array<{ line: number; text: string }> = [];
      for (let l = a; l < Math.min(doc.lineCount, a + 256); l++) {
        const text = doc.lineAt(l).text;
        if (text.trim()) lines.push({ line: l + 1, text });
      }
      if (lines.length) out.push(...(await this.scoreClient().scoreLines(key, format, file, lines)));
      progress(Math.min(doc.lineCount, a + 256));
    }
    return out;
  }

  /** "Compare Models": the pairs of the active file whose order flips between two models. */
  async compareModels(args: { a?: string; b?: string; uri?: vscode.Uri; show?: boolean } = {}): Promise<(Comparison & { modelA: string; modelB: string; file: string }) | undefined> {
    if (!vscode.workspace.isTrusted) return undefined;
    const uri = args.uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri) {
      void vscode.window.showWarningMessage('Open a preference JSONL file first: Compare Models scores the file in the active editor.');
      return undefined;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const s = this.state(doc);
    if (!s?.format) {
      void vscode.window.showWarningMessage(`${path.basename(uri.fsPath)} is not a preference file Reward Studio can score${s?.formatError ? `: ${s.formatError}` : ''}.`);
      return undefined;
    }
    const models = findModelFolders().map((m) => m.dir);
    const pickOne = async (title: string, exclude?: string): Promise<string | undefined> => {
      const items = models.filter((d) => d !== exclude).map((d) => ({ label: path.basename(d), description: vscode.workspace.asRelativePath(d, false), detail: modelDetail(d), dir: d }));
      if (!items.length) {
        void vscode.window.showWarningMessage('Compare Models needs two trained models in the workspace.');
        return undefined;
      }
      return (await vscode.window.showQuickPick(items, { title }))?.dir;
    };
    const dirA = args.a ?? this.modelInfo?.dir ?? (await pickOne('Compare Models: first model'));
    if (!dirA) return undefined;
    const dirB = args.b ?? (await pickOne(`Compare Models: compare ${path.basename(dirA)} with…`, dirA));
    if (!dirB) return undefined;
    const format = s.format;
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Comparing ${path.basename(dirA)} and ${path.basename(dirB)}`, cancellable: true },
        async (progress, token) => {
          const client = this.scoreClient();
          const [ma, mb] = [await client.load(dirA, this.provider()), await client.load(dirB, this.provider())];
          let last = 0;
          const report = (phase: number) => (done: number) => {
            const pct = ((phase + done / doc.lineCount) / 2) * 100;
            progress.report({ increment: pct - last, message: `${ma.name}: ${phase ? 'done' : `${done}/${doc.lineCount}`}, ${mb.name}: ${phase ? `${done}/${doc.lineCount}` : 'waiting'}` });
            last = pct;
          };
          const ra = await this.scoreAll(doc, ma.key, format, report(0), token);
          const rb = await this.scoreAll(doc, mb.key, format, report(1), token);
          const cmp = { ...compareResults(ra, rb), modelA: ma.dir, modelB: mb.dir, file: doc.uri.fsPath };
          if (args.show !== false) void this.showComparison(doc, ma, mb, cmp);
          return cmp;
        },
      );
    } catch (e) {
      if (e instanceof vscode.CancellationError) return undefined;
      void vscode.window.showErrorMessage(`Compare Models failed: ${errorMessage(e)}`);
      return undefined;
    }
  }

  private async showComparison(doc: vscode.TextDocument, a: LoadedModel, b: LoadedModel, c: Comparison): Promise<void> {
    const pct = (x: number): string => (c.compared ? `${((100 * x) / c.compared).toFixed(1)}%` : '—');
    const summary = `${c.flips.length} of ${c.compared} pairs flip between ${a.name} (agrees with the labels on ${pct(c.agreeA)}) and ${b.name} (${pct(c.agreeB)}).`;
    this.log.info(`compare: ${doc.uri.fsPath}: ${summary}`);
    if (!c.flips.length) {
      void vscode.window.showInformationMessage(summary);
      return;
    }
    const items = c.flips.map((f) => ({
      label: `Line ${f.line}${f.index ? ` (pair ${f.index + 1})` : ''}`,
      description: `${a.name} Δ ${fmtReward(f.deltaA)} → ${b.name} Δ ${fmtReward(f.deltaB)}`,
      detail: previewOf(doc.lineAt(f.line - 1).text),
      flip: f,
    }));
    const pick = await vscode.window.showQuickPick(items, { title: summary, placeHolder: 'Pairs whose order flips, the largest disagreement first — pick one to go to it', matchOnDetail: true });
    if (pick) await revealLine(doc, pick.flip.line - 1);
  }

  /** "Score Selection": the selected text as a response to the enclosing record's prompt (or one asked for). */
  async scoreSelection(): Promise<{ reward: number; tokens: number; truncatedTokens: number; prompt: 'record' | 'asked' | 'none'; line?: number } | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showWarningMessage('Select the text of a response first: Score Selection scores it as a response to a prompt.');
      return undefined;
    }
    const model = (await this.ready()) ?? (await this.pickModel());
    if (!model) return undefined;
    const doc = editor.document;
    const raw = doc.getText(editor.selection);
    const response = unescapeJsonString(raw);
    let prompt: string | import('../../core/data/record').Conversation = '';
    let from: 'record' | 'asked' | 'none' = 'none';
    const line = editor.selection.start.line;
    const s = this.state(doc);
    if (s?.format) {
      const parsed = parseRecordLine(doc.lineAt(line).text, s.format);
      if ('pairs' in parsed) {
        prompt = parsed.pairs[0].prompt;
        from = 'record';
      }
    }
    if (from === 'none') {
      const asked = await vscode.window.showInputBox({ title: 'Score Selection', prompt: 'The prompt the selected text answers (empty: none)', ignoreFocusOut: true });
      if (asked === undefined) return undefined;
      prompt = asked;
      from = asked ? 'asked' : 'none';
    }
    try {
      const r = await this.scoreClient().scoreResponse(model.key, prompt, response);
      const cut = r.truncatedTokens > 0 ? `, ${r.truncatedTokens} tokens cut to fit ${model.maxLength}` : '';
      const where = from === 'record' ? `to the prompt of line ${line + 1}` : from === 'asked' ? 'to the prompt you gave' : 'with no prompt';
      void vscode.window.showInformationMessage(`Reward of the selection ${where}: ${fmtReward(r.reward)} (${model.name}; ${r.tokens} tokens${cut}).`);
      return { ...r, prompt: from, line: from === 'record' ? line + 1 : undefined };
    } catch (e) {
      void vscode.window.showErrorMessage(`Score Selection failed: ${errorMessage(e)}`);
      return undefined;
    }
  }

  status(): InspectStatus {
    return {
      model: this.modelInfo ?? null,
      modelError: this.modelError ?? null,
      documents: [...this.docs.values()].map((s) => ({
        file: s.doc.uri.fsPath,
        format: s.format ?? null,
        formatError: s.formatError ?? null,
        lines: s.doc.lineCount,
        scoredLines: s.scores.size,
        backgroundDone: s.backgroundDone,
        flagged: s.flagged,
        firstScoredMs: s.firstScoredAt === undefined ? null : s.firstScoredAt - s.createdAt,
        doneMs: s.doneAt === undefined ? null : s.doneAt - s.createdAt,
      })),
      server: { pid: this.client?.pid ?? null, starts: this.client?.starts ?? 0 },
    };
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.lensTimer);
    clearTimeout(this.diagTimer);
    for (const d of [...this.docs.values()]) this.forget(d.doc);
    this.client?.dispose();
    this.modelWatcher?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function modelDetail(dir: string): string | undefined {
  try {
    const card = JSON.parse(fs.readFileSync(path.join(dir, 'reward-model.json'), 'utf8')) as {
      model?: { backbone?: string };
      training?: { dataFile?: string };
      evaluation?: { accuracy?: number };
    };
    const parts = [card.model?.backbone ? `backbone ${card.model.backbone}` : undefined, card.training?.dataFile ? `trained on ${path.basename(card.training.dataFile)}` : undefined];
    return parts.filter(Boolean).join(' · ') || undefined;
  } catch {
    return undefined;
  }
}

function previewOf(text: string): string {
  const t = text.trim();
  return t.length > 140 ? t.slice(0, 140) + '…' : t;
}

export async function revealLine(doc: vscode.TextDocument, line: number): Promise<void> {
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  const pos = new vscode.Position(line, 0);
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/** Text selected inside a JSON string is escaped (\n, \"): read it as the string it stands for when it parses. */
export function unescapeJsonString(raw: string): string {
  if (!/\\/.test(raw)) return raw;
  try {
    const v = JSON.parse(`"${raw}"`) as unknown;
    return typeof v === 'string' ? v : raw;
  } catch {
    return raw;
  }
}
