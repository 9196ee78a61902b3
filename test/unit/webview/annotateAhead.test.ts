// The webview's side of showing the next item ahead of the write (webview/annotate/ahead.ts): an advance
// is shown only from the item it starts from; the host's state is the truth, the item rebuilt only when
// the host's item is not the one on screen.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { AnnotateItemView, AnnotateState } from '../../../src/protocol/annotate';
import { reconcile, stateAfterAdvance } from '../../../webview/annotate/ahead';

function item(key: string): AnnotateItemView {
  return { key, itemId: key, line: 1, prompt: `prompt ${key}`, left: 'l', right: 'r', audit: false };
}

function state(key: string | undefined, extra: Partial<AnnotateState> = {}): AnnotateState {
  const s: AnnotateState = {
    queueName: 'q.jsonl',
    outputName: 'q.judged.jsonl',
    annotator: 'ana',
    progress: { judged: 4, total: 10, audits: { done: 0, pending: 0 } },
    problems: [],
    problemCount: 0,
    bias: null,
    annotators: { items: 0, comparisons: 0, percent: null, kappa: null, annotators: [] },
    draft: { strength: 2, note: 'a note' },
    canUndo: false,
    ...extra,
  };
  if (key !== undefined) s.item = item(key);
  return s;
}

test('an advance from the item on screen shows the next item, with an empty draft, undo on and no old message; progress waits for the host', () => {
  const shown = state('x', { error: 'old error', notice: 'old notice' });
  const next = stateAfterAdvance(shown, { type: 'advance', from: 'x', item: item('y') });
  assert.ok(next);
  assert.equal(next.item?.key, 'y');
  assert.deepEqual(next.draft, { note: '' });
  assert.equal(next.canUndo, true);
  assert.equal(next.error, undefined);
  assert.equal(next.notice, undefined);
  assert.equal(next.progress.judged, 4);
  assert.equal(shown.item?.key, 'x', 'the state shown before is not changed');
  // The last item judged: the advance has no item, the view shows "All done".
  assert.equal(stateAfterAdvance(shown, { type: 'advance', from: 'x' })?.item, undefined);
});

test('an advance from another item than the one on screen (or before any state) is not shown', () => {
  assert.equal(stateAfterAdvance(state('z'), { type: 'advance', from: 'x', item: item('y') }), undefined);
  assert.equal(stateAfterAdvance(state(undefined), { type: 'advance', from: 'x', item: item('y') }), undefined);
  assert.equal(stateAfterAdvance(undefined, { type: 'advance', from: 'x', item: item('y') }), undefined);
  assert.equal(stateAfterAdvance(null, { type: 'advance', from: 'x', item: item('y') }), undefined);
});

test("the host's state confirming the item shown ahead does not rebuild it; another item does, and an error is acknowledged with the item shown", () => {
  const ahead = stateAfterAdvance(state('x'), { type: 'advance', from: 'x', item: item('y') })!;
  assert.deepEqual(reconcile(ahead, state('y', { progress: { judged: 5, audits: { done: 0, pending: 0 } } })), { itemChanged: false });
  // The write failed: x again, with the error; the view tells the host it shows x.
  assert.deepEqual(reconcile(ahead, state('x', { error: 'ENOSPC' })), { itemChanged: true, acknowledge: { itemKey: 'x' } });
  // The judgements file changed meanwhile: another item is due.
  assert.deepEqual(reconcile(ahead, state('w', { notice: 'changed' })), { itemChanged: true });
  assert.deepEqual(reconcile(ahead, state(undefined)), { itemChanged: true });
  assert.deepEqual(reconcile(state(undefined), state(undefined)), { itemChanged: false });
  // The first state, and no session at all.
  assert.deepEqual(reconcile(undefined, state('x')), { itemChanged: true });
  assert.deepEqual(reconcile(undefined, null), { itemChanged: true });
  assert.deepEqual(reconcile(null, null), { itemChanged: false });
});
