/**
 * What the annotation views show, computed from the session: pure functions (no `vscode`), so plain Node
 * tests them. The manager (annotationManager.ts) calls them after every change and posts the result.
 */
import * as path from 'node:path';
import type { AnnotationReport } from '../../core/annotate/agreement';
import { responseHash, type JudgementEntry } from '../../core/annotate/record';
import type { ReconcileReport, ShownItem } from '../../core/annotate/session';
import type { DataProblem } from '../../core/data/problems';
import type { TextOrConversation } from '../../core/data/record';
import {
  MAX_PROBLEMS_SHOWN,
  type AnnotateAnnotatorsView,
  type AnnotateBiasView,
  type AnnotateItemView,
  type AnnotateProblemView,
  type AnnotateText,
  type AnnotateVerdict,
} from '../../protocol/annotate';

/** The queue's name without `.jsonl`: `data/queue.jsonl` → `queue`. */
export function queueStem(queuePath: string): string {
  return path.basename(queuePath).replace(/\.jsonl$/i, '');
}

/**
 * Where the judgements go. An empty setting: `<queue-stem>.judged.jsonl` beside the queue. Otherwise the
 * setting, with `${queueStem}` replaced (so one setting serves every queue), absolute or relative to the
 * workspace folder (to the queue's folder when the queue is outside any workspace folder).
 */
export function judgementsPath(queuePath: string, setting: string | undefined, workspaceFolder?: string): string {
  const stem = queueStem(queuePath);
  const configured = (setting ?? '').trim();
  if (!configured) return path.join(path.dirname(queuePath), `${stem}.judged.jsonl`);
  const named = configured.split('${queueStem}').join(stem);
  return path.resolve(workspaceFolder ?? path.dirname(queuePath), named);
}

/** Key of a shown item: another item, or the audit of the same one, is another key. */
export function itemKey(shown: ShownItem): string {
  return `${shown.item.id}${shown.audit ? ':audit' : ''}`;
}

export function itemView(shown: ShownItem, hasSiblings: boolean): AnnotateItemView {
  const view: AnnotateItemView = {
    key: itemKey(shown),
    itemId: shown.item.id,
    line: shown.item.line,
    prompt: textView(shown.item.prompt),
    left: textView(shown.left),
    right: textView(shown.right),
    audit: shown.audit !== undefined,
  };
  if (hasSiblings || shown.item.pairIndex > 0) view.pairIndex = shown.item.pairIndex;
  if (shown.judged) view.judged = judgedOnScreen(shown.judged, shown.left, shown.right);
  return view;
}

/**
 * A judgement as it reads on this screen. The A/B order may differ from when it was made (another
 * session's seed), so the side comes from the label (which response, by content hash, was preferred).
 */
export function judgedOnScreen(entry: JudgementEntry, left: TextOrConversation, right: TextOrConversation): { verdict: AnnotateVerdict; strength?: 1 | 2 | 3 | 4 } {
  let verdict: AnnotateVerdict;
  if (entry.judgement === 'tie') verdict = 'tie';
  else if (entry.judgement === 'preference' && entry.label) {
    const leftIsFirst = responseHash(left) <= responseHash(right);
    verdict = (entry.label === 'first') === leftIsFirst ? 'left' : 'right';
  } else verdict = 'skip';
  return entry.strength !== undefined ? { verdict, strength: entry.strength } : { verdict };
}

/** Text as it is; messages reduced to role and content (extra keys such as tool_calls are not shown). */
export function textView(value: TextOrConversation): AnnotateText {
  if (typeof value === 'string') return value;
  return value.map((m) => ({ role: String(m.role), content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content) }));
}

export function problemViews(problems: readonly DataProblem[]): AnnotateProblemView[] {
  return problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => ({
    line: p.line,
    message: p.path ? `${p.message} (at ${p.path})` : p.message,
  }));
}

/** This annotator's figures from the whole-file report; null before their first judgement. */
export function biasView(report: AnnotationReport, annotator: string): AnnotateBiasView | null {
  const f = report.annotators.find((a) => a.annotator === annotator);
  if (!f) return null;
  return {
    preferences: f.preferences,
    ties: f.ties,
    skips: f.skips,
    leftWinsRate: f.leftWinsRate,
    lengthDecided: f.lengthDecided,
    longerWinsRate: f.longerWinsRate,
  };
}

/** The multi-annotator figures of the whole-file report, as the Annotators section shows them. */
export function annotatorsView(report: AnnotationReport): AnnotateAnnotatorsView {
  const a = report.agreement;
  return {
    items: a.items,
    comparisons: a.comparisons,
    percent: a.percent,
    kappa: a.kappa,
    annotators: report.annotators
      .map((f) => ({
        annotator: f.annotator,
        judged: f.preferences + f.ties + f.skips,
        preferences: f.preferences,
        leftWinsRate: f.leftWinsRate,
        lengthDecided: f.lengthDecided,
        longerWinsRate: f.longerWinsRate,
        audits: f.audits.n,
        selfConsistency: f.audits.rate,
      }))
      .sort((x, y) => (x.annotator < y.annotator ? -1 : x.annotator > y.annotator ? 1 : 0)),
  };
}

/** One line about an outside change of the judgements file; undefined when nothing worth saying happened. */
export function reconcileNotice(report: ReconcileReport, annotator: string): string | undefined {
  const parts: string[] = [];
  if (report.added.length > 0) {
    const mine = report.added.filter((e) => e.annotator === annotator).length;
    const others = report.added.length - mine;
    if (mine > 0) parts.push(`${plural(mine, 'line')} of yours from another window`);
    if (others > 0) parts.push(`${plural(others, 'line')} from other annotators`);
  }
  if (report.reindexed) parts.push('the judgements file was rewritten and read again');
  if (report.lost.length > 0) parts.push(`${plural(report.lost.length, 'judgement')} of this session missing from the file`);
  else if (report.removed.length > 0) parts.push(`${plural(report.removed.length, 'line')} removed`);
  if (parts.length === 0) return undefined;
  const text = parts.join('; ');
  return text[0].toUpperCase() + text.slice(1) + '.';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
