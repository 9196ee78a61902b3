// What the annotation views show, from the session (src/extension/annotate/annotateView.ts: no vscode).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import type { AnnotationReport } from '../../../src/core/annotate/agreement';
import { itemIdOf, type QueueItem } from '../../../src/core/annotate/queue';
import { judgementEntryOf, judgementRecord } from '../../../src/core/annotate/record';
import type { ShownItem } from '../../../src/core/annotate/session';
import { annotatorsView, biasView, itemKey, itemView, judgedOnScreen, judgementsPath, problemViews, queueStem, reconcileNotice } from '../../../src/extension/annotate/annotateView';

test('the judgements file: beside the queue by default, or the setting with ${queueStem}', () => {
  const q = path.join('/ws', 'data', 'queue.jsonl');
  assert.equal(queueStem(q), 'queue');
  assert.equal(judgementsPath(q, ''), path.join('/ws', 'data', 'queue.judged.jsonl'));
  assert.equal(judgementsPath(q, undefined), path.join('/ws', 'data', 'queue.judged.jsonl'));
  assert.equal(judgementsPath(q, 'labels/${queueStem}-ana.jsonl', '/ws'), path.join('/ws', 'labels', 'queue-ana.jsonl'));
  assert.equal(judgementsPath(q, '/abs/out.jsonl', '/ws'), path.resolve('/abs/out.jsonl'));
  assert.equal(judgementsPath(q, 'out.jsonl'), path.join('/ws', 'data', 'out.jsonl'));
});

function shown(flipped: boolean): ShownItem {
  const item: QueueItem = { id: itemIdOf('p', 'short', 'a longer one'), prompt: 'p', a: 'short', b: 'a longer one', shape: 'ab', line: 3, pairIndex: 0 };
  return { item, left: flipped ? item.b : item.a, right: flipped ? item.a : item.b, flipped };
}

test('an item view: texts, key, line; messages reduced to role and content', () => {
  const s = shown(false);
  const v = itemView(s, false);
  assert.deepEqual(v, { key: s.item.id, itemId: s.item.id, line: 3, prompt: 'p', left: 'short', right: 'a longer one', audit: false });
  assert.equal(itemKey({ ...s, audit: { of: s.item.id } }), `${s.item.id}:audit`);
  const conv = itemView({ ...s, left: [{ role: 'assistant', content: 'hi', tool_calls: [] }] }, true);
  assert.deepEqual(conv.left, [{ role: 'assistant', content: 'hi' }]);
  assert.equal(conv.pairIndex, 0);
});

test('a judgement reads on the screen by content, whatever the order it was made in', () => {
  const s = shown(false);
  const record = judgementRecord({ annotator: 'ana', verdict: 'left', prompt: 'p', left: 'short', right: 'a longer one', itemId: s.item.id, source: 'q', sourceLine: 3, time: new Date(0), timeOnItemMs: 1, strength: 2 });
  const entry = judgementEntryOf(record, 1)!;
  assert.deepEqual(judgedOnScreen(entry, 'short', 'a longer one'), { verdict: 'left', strength: 2 });
  assert.deepEqual(judgedOnScreen(entry, 'a longer one', 'short'), { verdict: 'right', strength: 2 });
  const tie = judgementEntryOf(judgementRecord({ annotator: 'ana', verdict: 'tie', prompt: 'p', left: 'short', right: 'a longer one', itemId: s.item.id, source: 'q', sourceLine: 3, time: new Date(0), timeOnItemMs: 1 }), 2)!;
  assert.deepEqual(judgedOnScreen(tie, 'a longer one', 'short'), { verdict: 'tie' });
  assert.equal(itemView({ ...s, judged: entry }, false).judged?.verdict, 'left');
});

test('problems: line and message, capped', () => {
  const p = Array.from({ length: 60 }, (_, i) => ({ file: 'q', line: i + 1, column: 1, path: i === 0 ? 'responses' : '', message: 'bad', severity: 'error' as const, code: 'wrong-type' as const }));
  const v = problemViews(p);
  assert.equal(v.length, 50);
  assert.deepEqual(v[0], { line: 1, message: 'bad (at responses)' });
});

test('bias figures of this annotator only', () => {
  const report = {
    annotators: [{ annotator: 'ana', preferences: 10, ties: 1, skips: 2, leftWinsRate: 0.7, lengthDecided: 9, longerWinsRate: 0.8, audits: { n: 0, consistent: 0, rate: null, sameSide: 0 } }],
    agreement: { items: 0, comparisons: 0, percent: null, kappa: null, pairs: [] },
  } as AnnotationReport;
  assert.deepEqual(biasView(report, 'ana'), { preferences: 10, ties: 1, skips: 2, leftWinsRate: 0.7, lengthDecided: 9, longerWinsRate: 0.8 });
  assert.equal(biasView(report, 'bo'), null);
});

test('outside-change notices', () => {
  const e = (annotator: string) => ({ annotator }) as never;
  assert.equal(reconcileNotice({ reindexed: false, added: [], removed: [], lost: [] }, 'ana'), undefined);
  assert.equal(reconcileNotice({ reindexed: false, added: [e('ana'), e('bo'), e('cy')], removed: [], lost: [] }, 'ana'), '1 line of yours from another window; 2 lines from other annotators.');
  assert.equal(reconcileNotice({ reindexed: true, added: [], removed: ['x'], lost: ['x'] }, 'ana'), 'The judgements file was rewritten and read again; 1 judgement of this session missing from the file.');
});

test('the Annotators section: agreement, κ and each annotator\'s row, sorted by name', () => {
  const fig = (annotator: string, p: number, t: number, k: number, left: number | null, longer: number | null, audits: { n: number; consistent: number; rate: number | null; sameSide: number }) =>
    ({ annotator, preferences: p, ties: t, skips: k, leftWinsRate: left, lengthDecided: p, longerWinsRate: longer, audits });
  const report: AnnotationReport = {
    annotators: [fig('bo', 4, 1, 0, 0.25, 0.5, { n: 0, consistent: 0, rate: null, sameSide: 0 }), fig('ana', 10, 1, 2, 0.7, 0.8, { n: 4, consistent: 3, rate: 0.75, sameSide: 1 })],
    agreement: { items: 5, comparisons: 5, percent: 0.8, kappa: 0.6, pairs: [] },
  };
  assert.deepEqual(annotatorsView(report), {
    items: 5,
    comparisons: 5,
    percent: 0.8,
    kappa: 0.6,
    annotators: [
      { annotator: 'ana', judged: 13, preferences: 10, leftWinsRate: 0.7, lengthDecided: 10, longerWinsRate: 0.8, audits: 4, selfConsistency: 0.75 },
      { annotator: 'bo', judged: 5, preferences: 4, leftWinsRate: 0.25, lengthDecided: 4, longerWinsRate: 0.5, audits: 0, selfConsistency: null },
    ],
  });
  const empty = annotatorsView({ annotators: [], agreement: { items: 0, comparisons: 0, percent: null, kappa: null, pairs: [] } });
  assert.deepEqual(empty, { items: 0, comparisons: 0, percent: null, kappa: null, annotators: [] });
});
