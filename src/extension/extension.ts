/**
 * Entry point. Activation is lazy (VS Code infers onCommand/onView from package.json) and light: the
 * data features load nothing heavy; model code (onnxruntime-node, tokenizers) is never imported here.
 */
import * as vscode from 'vscode';
import { AnnotationManager } from './annotate/annotationManager';
import { createCommands, registerCommands } from './commands';
import { DatasetsView } from './datasetsView';
import { ValidationDiagnostics } from './diagnostics';
import { BiasReports } from './eval/biasReports';
import { StatsPanels } from './statsPanel';
import { InspectionManager } from './inspect/inspectionManager';
import { registerInspectionProviders } from './inspect/providers';
import { TrainingManager } from './train/trainingManager';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Reward Studio', { log: true });
  const diagnostics = new ValidationDiagnostics(log);
  const datasets = new DatasetsView();
  const stats = new StatsPanels(context.extensionUri, log);
  // Training runs in a child process (the CLI); nothing of it loads here until a run starts.
  const training = new TrainingManager(context.extensionUri, log);
  // Annotation sessions: file I/O on the extension host (src/core/annotate), nothing heavy.
  const annotation = new AnnotationManager(context.extensionUri, log);
  // Evaluation runs in a child process too (the CLI's eval), and only when asked for.
  const biasReports = new BiasReports(context.extensionUri, log);
  // In-editor inspection: rewards come from the score server, a child process started on first use.
  const inspection = new InspectionManager(context, log);
  context.subscriptions.push(log, diagnostics, datasets, stats, training, annotation, biasReports, inspection);
  context.subscriptions.push(
    ...registerCommands(createCommands({ diagnostics, datasets, stats, training, annotation, biasReports, inspection, log }), log),
    ...registerInspectionProviders(inspection),
  );
}

/** Everything is owned by context.subscriptions, which VS Code disposes. */
export function deactivate(): void {}
