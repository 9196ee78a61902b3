/**
 * "Validate Preference File": runs the data layer's validateFile and shows every problem in the
 * Problems panel on its line and column. A validated file stays checked: saving it validates it again,
 * deleting or renaming it clears its diagnostics.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ValidationResult } from '../core/data/api';
import { validateFile } from '../core/data/pipeline';
import { DataError, type DataProblem } from '../core/data/problems';
import { errorMessage, problemMessage, problemStart, summarizeValidation } from './report';
import { readDataOptions } from './settings';

export const DIAGNOSTIC_SOURCE = 'Reward Studio';

/**
 * Diagnostics end at the end of the line. When the file is not open its line lengths are unknown, so the
 * range runs to a column past any real line; the editor clamps it to the line.
 */
const END_OF_LINE = 2 ** 31 - 1;

/** Who started a run: the user (notification, cancellable, summary) or a save (status bar, quiet). */
export type ValidationTrigger = 'command' | 'save';

export class ValidationDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('rewardStudio');
  /** Files validated in this session, by URI string: they are re-validated on save. */
  private readonly validated = new Map<string, vscode.Uri>();
  /** The run in flight per file; a newer run for the same file aborts the older one. */
  private readonly running = new Map<string, AbortController>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    // Deletions only, of anything: a deleted folder takes the validated files inside it along.
    const deletions = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    this.disposables.push(
      this.collection,
      deletions,
      deletions.onDidDelete((uri) => this.forget(uri)),
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((uri) => this.forget(uri))),
      vscode.workspace.onDidRenameFiles((e) => e.files.forEach((f) => this.forget(f.oldUri))),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (this.validated.has(doc.uri.toString())) void this.validate(doc.uri, 'save');
      }),
    );
  }

  /** Validates one file and replaces its diagnostics. Never throws: failures are shown to the user. */
  async validate(uri: vscode.Uri, trigger: ValidationTrigger): Promise<void> {
    const fileName = path.basename(uri.fsPath);
    if (uri.scheme !== 'file') {
      void vscode.window.showWarningMessage(
        `Reward Studio validates files on disk; ${fileName} is not one (${uri.scheme}:).`,
      );
      return;
    }
    const key = uri.toString();
    this.running.get(key)?.abort();
    const controller = new AbortController();
    this.running.set(key, controller);
    const interactive = trigger === 'command';
    const options = { ...readDataOptions(uri), signal: controller.signal };

    try {
      const result = await vscode.window.withProgress(
        {
          location: interactive ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
          title: `Validating ${fileName}`,
          cancellable: interactive,
        },
        async (_progress, token) => {
          const cancel = token.onCancellationRequested(() => controller.abort());
          try {
            return await validateFile(uri.fsPath, options);
          } finally {
            cancel.dispose();
          }
        },
      );
      if (controller.signal.aborted) return; // superseded by a newer run, or the file went away
      this.show(uri, result.problems);
      this.report(uri, result, interactive);
    } catch (error) {
      if (controller.signal.aborted) {
        if (interactive && this.running.get(key) === controller) {
          vscode.window.setStatusBarMessage(`Validation of ${fileName} cancelled`, 3000);
        }
        return;
      }
      const message = errorMessage(error);
      this.log.error(`validate ${uri.fsPath}: ${message}`);
      // A whole-file failure (unknown format, unreadable file): its located problems, if any, still show.
      if (error instanceof DataError) this.show(uri, error.problems);
      void vscode.window.showErrorMessage(`Could not validate ${fileName}: ${message}`);
    } finally {
      if (this.running.get(key) === controller) this.running.delete(key);
    }
  }

  dispose(): void {
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }

  private show(uri: vscode.Uri, problems: readonly DataProblem[]): void {
    const key = uri.toString();
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    this.collection.set(
      uri,
      problems.map((p) => toDiagnostic(p, document)),
    );
    this.validated.set(key, uri);
  }

  private report(uri: vscode.Uri, result: ValidationResult, interactive: boolean): void {
    const fileName = path.basename(uri.fsPath);
    const dirty = vscode.workspace.textDocuments.some(
      (d) => d.uri.toString() === uri.toString() && d.isDirty,
    );
    const summary = summarizeValidation(result, fileName, dirty);
    this.log.info(`${summary.text} Format: ${result.formatReason}`);
    if (!interactive) return;
    if (summary.problems === 0) {
      void vscode.window.showInformationMessage(summary.text);
      return;
    }
    void vscode.window.showWarningMessage(summary.text, 'Show Problems').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  }

  /** Drops the diagnostics of a deleted file, or of every validated file under a deleted folder. */
  private forget(deleted: vscode.Uri): void {
    const key = deleted.toString();
    const folderPrefix = key.endsWith('/') ? key : `${key}/`;
    for (const [k, uri] of this.validated) {
      if (k !== key && !k.startsWith(folderPrefix)) continue;
      this.running.get(k)?.abort();
      this.collection.delete(uri);
      this.validated.delete(k);
    }
  }
}

function toDiagnostic(p: DataProblem, document: vscode.TextDocument | undefined): vscode.Diagnostic {
  const { line, character } = problemStart(p);
  const end = document && line < document.lineCount ? document.lineAt(line).range.end.character : END_OF_LINE;
  const range = new vscode.Range(line, character, line, Math.max(end, character));
  const severity =
    p.severity === 'error' ? vscode.DiagnosticSeverity.Error : p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Hint;
  const diagnostic = new vscode.Diagnostic(range, problemMessage(p), severity);
  diagnostic.code = p.code;
  diagnostic.source = DIAGNOSTIC_SOURCE;
  return diagnostic;
}
