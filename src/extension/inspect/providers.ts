/**
 * The editor surfaces of inspection: CodeLens above each record (r(chosen), r(rejected), Δ, P(chosen)),
 * a hover with the details, and quick fixes on disagreement diagnostics (swap chosen and rejected as an
 * edit of that line only, judge it again in the annotator, mark it reviewed — remembered, or written
 * into the record when asked).
 */
import * as vscode from 'vscode';
import { hoverMarkdown, lensTitles } from '../../core/inspect/present';
import { isRecordEditError, markReviewedInRecord, swapChosenRejected } from '../../core/inspect/recordEdit';
import { INSPECT_DIAGNOSTIC_CODE, INSPECT_SELECTOR, INSPECT_SOURCE, type InspectionManager } from './inspectionManager';

class RecordLens extends vscode.CodeLens {
  constructor(
    readonly doc: vscode.TextDocument,
    readonly line: number,
    readonly pairIndex: number,
    range: vscode.Range,
    command?: vscode.Command,
  ) {
    super(range, command);
  }
}

function detailsCommand(doc: vscode.TextDocument, line: number, title: string): vscode.Command {
  return { title, command: 'rewardStudio.inspect.lineDetails', arguments: [doc.uri, line], tooltip: 'Reward Studio: show the details of this record\'s rewards' };
}

export class RewardCodeLensProvider implements vscode.CodeLensProvider<RecordLens> {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly inspection: InspectionManager) {
    this.onDidChangeCodeLenses = inspection.onDidChangeCodeLenses;
  }

  provideCodeLenses(doc: vscode.TextDocument): RecordLens[] {
    if (!this.inspection.model || !vscode.workspace.getConfiguration('rewardStudio.inspect').get<boolean>('codeLens', true)) return [];
    const s = this.inspection.state(doc);
    if (!s?.format) return [];
    const lenses: RecordLens[] = [];
    // Only around what is on screen: VS Code asks for every lens of the document again after each edit.
    for (const [a, b] of this.inspection.lensWindow(doc)) {
      for (let l = a; l <= b; l++) {
        const line = doc.lineAt(l);
        if (line.isEmptyOrWhitespace) continue;
        const range = new vscode.Range(l, 0, l, 0);
        const r = s.scores.get(l);
        if (r && !s.scores.isDirty(l)) {
          const titles = lensTitles(r, s.scores.baseline(l));
          titles.forEach((t, i) => lenses.push(new RecordLens(doc, l, i, range, detailsCommand(doc, l, t))));
        } else if (!r || !('skip' in r)) {
          // Unscored yet (or being edited): resolved when the score arrives; an edited line keeps its last score meanwhile.
          lenses.push(new RecordLens(doc, l, 0, range));
        }
      }
    }
    return lenses;
  }

  async resolveCodeLens(lens: RecordLens, token: vscode.CancellationToken): Promise<RecordLens> {
    if (lens.command) return lens;
    const r = await this.inspection.lineResult(lens.doc, lens.line);
    if (token.isCancellationRequested) return lens;
    const s = this.inspection.state(lens.doc);
    const titles = r ? lensTitles(r, s?.scores.baseline(lens.line)) : [];
    // A line that is no record gets an empty title (VS Code then shows nothing for it).
    lens.command = titles.length
      ? detailsCommand(lens.doc, lens.line, titles.length > 1 ? `${titles[0]} (+${titles.length - 1} more pairs)` : titles[0])
      : { title: '', command: '' };
    return lens;
  }
}

export class RewardHoverProvider implements vscode.HoverProvider {
  constructor(private readonly inspection: InspectionManager) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const model = this.inspection.model;
    if (!model) return undefined;
    const s = this.inspection.state(doc);
    if (!s?.format) return undefined;
    const r = await this.inspection.lineResult(doc, pos.line);
    if (!r || token.isCancellationRequested || 'skip' in r) return undefined;
    const md = new vscode.MarkdownString(hoverMarkdown(r, model));
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }
}

export class RewardCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly inspection: InspectionManager) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const seen = new Set<number>();
    for (const diag of ctx.diagnostics) {
      if (diag.source !== INSPECT_SOURCE || diag.code !== INSPECT_DIAGNOSTIC_CODE) continue;
      const line = diag.range.start.line;
      if (seen.has(line)) continue;
      seen.add(line);
      const text = doc.lineAt(line).text;
      const format = this.inspection.state(doc)?.format;
      if (format) {
        const swap = swapChosenRejected(text, format);
        const action = new vscode.CodeAction('Swap chosen and rejected', vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diag];
        if (isRecordEditError(swap)) {
          action.disabled = { reason: swap.error };
        } else {
          action.edit = new vscode.WorkspaceEdit();
          for (const e of swap) action.edit.replace(doc.uri, new vscode.Range(line, e.start, line, e.end), e.newText);
          action.isPreferred = true;
        }
        actions.push(action);
      }
      const judge = new vscode.CodeAction('Judge this pair again in the annotator', vscode.CodeActionKind.QuickFix);
      judge.diagnostics = [diag];
      judge.command = { title: judge.title, command: 'rewardStudio.inspect.judgeAgain', arguments: [doc.uri, line] };
      actions.push(judge);
      const reviewed = new vscode.CodeAction('Mark as reviewed (remembered in this workspace)', vscode.CodeActionKind.QuickFix);
      reviewed.diagnostics = [diag];
      reviewed.command = { title: reviewed.title, command: 'rewardStudio.inspect.markReviewed', arguments: [doc.uri, line] };
      actions.push(reviewed);
      const written = markReviewedInRecord(text, { at: new Date().toISOString() });
      const inRecord = new vscode.CodeAction('Mark as reviewed in the record (adds a "reviewed" field)', vscode.CodeActionKind.QuickFix);
      inRecord.diagnostics = [diag];
      if (isRecordEditError(written)) inRecord.disabled = { reason: written.error };
      else {
        inRecord.edit = new vscode.WorkspaceEdit();
        for (const e of written) inRecord.edit.replace(doc.uri, new vscode.Range(line, e.start, line, e.end), e.newText);
      }
      actions.push(inRecord);
    }
    return actions;
  }
}

export function registerInspectionProviders(inspection: InspectionManager): vscode.Disposable[] {
  return [
    vscode.languages.registerCodeLensProvider(INSPECT_SELECTOR, new RewardCodeLensProvider(inspection)),
    vscode.languages.registerHoverProvider(INSPECT_SELECTOR, new RewardHoverProvider(inspection)),
    vscode.languages.registerCodeActionsProvider(INSPECT_SELECTOR, new RewardCodeActions(inspection), { providedCodeActionKinds: RewardCodeActions.kinds }),
  ];
}
