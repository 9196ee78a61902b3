/**
 * The next item ahead of the write, on the webview's side (see src/protocol/annotate.ts): pure functions
 * over protocol states, no DOM, so plain Node tests them.
 *
 * The host posts `advance` when a judgement starts and `state` after it is written; its states already show
 * the item announced. So the view shows an advance only from the item it starts from, and reconciling is
 * taking the host's state: the item is rebuilt only when the host's item is not the one on screen.
 */
import type { AnnotateAdvance, AnnotateState } from '../../src/protocol/annotate';

/**
 * What the view shows once the host announces the next item: that item, an empty draft, undo available
 * (the judgement can be taken back), no message of the last operation; progress and figures stay until
 * the host's state after the write. Undefined when the view does not show the judged item (it went
 * elsewhere meanwhile): the host's next state sets it right.
 */
export function stateAfterAdvance(shown: AnnotateState | null | undefined, advance: AnnotateAdvance): AnnotateState | undefined {
  if (!shown?.item || shown.item.key !== advance.from) return undefined;
  const next: AnnotateState = { ...shown, draft: { note: '' }, canUndo: true };
  delete next.error;
  delete next.notice;
  if (advance.item) next.item = advance.item;
  else delete next.item;
  return next;
}

export interface Reconciled {
  /** The host's item is another than the one on screen: rebuild it (scroll and note start afresh). */
  itemChanged: boolean;
  /**
   * The state carries an error: tell the host which item the view now shows (`shown`), so judging keys,
   * held back after a failed write the view was ahead of, are taken again.
   */
  acknowledge?: { itemKey: string | null };
}

/** How a state from the host meets what the view shows (the host's state is the truth). */
export function reconcile(shown: AnnotateState | null | undefined, incoming: AnnotateState | null): Reconciled {
  const before = shown === undefined ? undefined : (shown?.item?.key ?? null);
  const after = incoming?.item?.key ?? null;
  const result: Reconciled = { itemChanged: before !== after };
  if (incoming?.error) result.acknowledge = { itemKey: after };
  return result;
}
