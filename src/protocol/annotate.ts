/**
 * The annotation views' protocol: what the editor panel and the side-bar view show of one annotation
 * session, and the messages both ways. The host (src/extension/annotate/) and the app
 * (webview/annotate/main.ts) import this one file, so a renamed field is a compile error on both sides.
 *
 * The session lives in the host (src/core/annotate AnnotationSession); the webview holds UI state only
 * (the diff toggle, which sections are open). Handshake: the webview posts `ready` once its listener is
 * installed (again after every reload); the host answers with the whole `state`, and posts it again after
 * every change (a judgement, an undo, an outside edit of the judgements file). States are small: one item.
 *
 * The draft (strength and note of the judgement being made) is kept by the host too, so a judgement made
 * through a keybinding (a contributed command, run on the host) carries the note typed in the webview. It
 * belongs to one item (`itemKey`): a note typed on the next item while the last judgement is still being
 * written is not taken for that judgement, nor cleared by it.
 *
 * Judging ahead of the write: when a judgement starts (a key, a click), the host posts `advance` with the
 * item that judgement leads to before the line is written (the write, fsync included, is most of a
 * keypress's time), and the views show it at once. The host stays the one source of truth: every state it
 * posts while the write is under way already shows that item, and the state after the write confirms it
 * (the item is not rebuilt then) or, when the write failed or the judgements file changed meanwhile, shows
 * what is true — the item again with the error, or the item now due with a notice. A judgement is only ever
 * made of the item on screen: the host drops a key meant for an item that is no longer current.
 */

/** Text, or a conversation shown as turns. */
export type AnnotateText = string | AnnotateMessage[];

export interface AnnotateMessage {
  role: string;
  content: string;
}

export type AnnotateVerdict = 'left' | 'right' | 'tie' | 'skip';

export const ANNOTATE_VERDICTS: readonly AnnotateVerdict[] = ['left', 'right', 'tie', 'skip'];

export type AnnotateStrength = 1 | 2 | 3 | 4;

/** The Llama 2 scale, as src/core/annotate/record.ts STRENGTH_LABELS (repeated: the protocol imports no core). */
export const ANNOTATE_STRENGTH_LABELS: Readonly<Record<AnnotateStrength, string>> = {
  1: 'negligibly better',
  2: 'slightly better',
  3: 'better',
  4: 'significantly better',
};

export interface AnnotateItemView {
  /** Changes whenever another item (or the audit of one) is shown: the webview resets scroll and note on it. */
  key: string;
  itemId: string;
  /** 1-based line of the item in the queue file. */
  line: number;
  /** Which pair of a `responses` line, shown as "pair 2 of 3" when the line has several. */
  pairIndex?: number;
  prompt: AnnotateText;
  left: AnnotateText;
  right: AnnotateText;
  /** An order-swap audit of an item judged earlier. */
  audit: boolean;
  /** This annotator's judgement of this item (revisited with Previous), as it reads on this screen. */
  judged?: { verdict: AnnotateVerdict; strength?: AnnotateStrength };
}

/** A malformed queue line (skipped). */
export interface AnnotateProblemView {
  line: number;
  message: string;
}

/** The annotator's live bias figures (src/core/annotate/agreement.ts AnnotatorFigures). */
export interface AnnotateBiasView {
  preferences: number;
  ties: number;
  skips: number;
  /** Share of preferences with the chosen response on the left; null without preferences. */
  leftWinsRate: number | null;
  /** Preferences whose responses differ in length: the base of longerWinsRate. */
  lengthDecided: number;
  longerWinsRate: number | null;
}

/** One annotator's row of the whole-file report (src/core/annotate/agreement.ts AnnotatorFigures). */
export interface AnnotateAnnotatorRow {
  annotator: string;
  /** Preferences + ties + skips (audits not counted). */
  judged: number;
  preferences: number;
  leftWinsRate: number | null;
  lengthDecided: number;
  longerWinsRate: number | null;
  /** Order-swap audits done, and the share that agreed with the original; null without audits. */
  audits: number;
  selfConsistency: number | null;
}

/** The multi-annotator figures of the judgements file: agreement between annotators, and each one's row. */
export interface AnnotateAnnotatorsView {
  /** Items labelled by two or more annotators, and the pairwise comparisons over them. */
  items: number;
  comparisons: number;
  /** Pooled percent agreement (0…1); null without comparisons. */
  percent: number | null;
  /** Mean pairwise Cohen's κ; null when undefined. */
  kappa: number | null;
  annotators: AnnotateAnnotatorRow[];
}

export interface AnnotateState {
  /** The queue as the workspace names it (relative path). */
  queueName: string;
  /** The queue's URI (a panel keeps it in its webview state, to be opened again after a window reload). */
  queueUri?: string;
  outputName: string;
  annotator: string;
  /** undefined when every item (and audit) has been judged. */
  item?: AnnotateItemView;
  progress: {
    judged: number;
    /** undefined until the background scan has counted the queue. */
    total?: number;
    audits: { done: number; pending: number };
  };
  /** Malformed queue lines found so far (at most MAX_PROBLEMS_SHOWN), and how many in all. */
  problems: AnnotateProblemView[];
  problemCount: number;
  bias: AnnotateBiasView | null;
  /** Every annotator of the judgements file (this one included): agreement, self-consistency, bias. */
  annotators: AnnotateAnnotatorsView;
  /** The guidelines file's Markdown, when one is configured and readable; its sha256 is in every judgement. */
  guidelines?: { name: string; markdown: string; sha256: string };
  draft: { strength?: AnnotateStrength; note: string };
  /** Whether undo has something to take back in this session. */
  canUndo: boolean;
  /** One line about the last outside change (another window's judgements, a rewritten file). */
  notice?: string;
  /** The last operation's error, shown until the next change. */
  error?: string;
}

export const MAX_PROBLEMS_SHOWN = 50;

export type AnnotateHostMessage =
  /** `state: null`: no session is open (the side bar before "Annotate with Reward Studio"). */
  | { type: 'state'; state: AnnotateState | null; layout: AnnotateLayout }
  /** A judgement of item `from` is being written: show `item` now (undefined: the queue is done after it). */
  | AnnotateAdvance
  /** Keybinding commands that act on the webview's UI: focus the note, toggle the diff. */
  | { type: 'ui'; action: AnnotateUiAction };

export interface AnnotateAdvance {
  type: 'advance';
  from: string;
  item?: AnnotateItemView;
}

export type AnnotateLayout = 'panel' | 'sidebar';

export type AnnotateUiAction = 'focusNote' | 'toggleDiff';

export type AnnotateWebviewMessage =
  | { type: 'ready' }
  | { type: 'judge'; itemKey: string; verdict: AnnotateVerdict }
  | { type: 'undo' }
  | { type: 'next' }
  | { type: 'previous' }
  /** The draft of item `itemKey` (the item on screen; absent: whatever the host shows). */
  | { type: 'draft'; itemKey?: string; strength?: AnnotateStrength; note: string }
  /**
   * Where the keyboard is: the webview has focus, and its note field has. The host turns the single-key
   * keybindings on only while the webview has focus and the note field does not.
   */
  | { type: 'focus'; webview: boolean; note: boolean }
  | { type: 'restore' }
  | { type: 'openPanel' }
  /**
   * The view shows a state with an error, on item `itemKey` (null: none). After a failed write of a
   * judgement whose next item was already on screen, the host takes judging keys again only once a view
   * has put the item back in front of the user (a key pressed before was meant for the item after it).
   */
  | { type: 'shown'; itemKey: string | null };

/** Longest note the host accepts (a note is a sentence or two; anything longer is cut). */
export const MAX_NOTE_LENGTH = 4000;
const MAX_KEY_LENGTH = 200;

export function isAnnotateStrength(value: unknown): value is AnnotateStrength {
  return value === 1 || value === 2 || value === 3 || value === 4;
}

function isItemKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_KEY_LENGTH;
}

/**
 * Checks a message from the webview and returns a fresh copy holding only the known fields, or
 * undefined when it is not a well-formed AnnotateWebviewMessage.
 */
export function parseAnnotateWebviewMessage(value: unknown): AnnotateWebviewMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as { [key: string]: unknown };
  switch (m.type) {
    case 'ready':
    case 'undo':
    case 'next':
    case 'previous':
    case 'restore':
    case 'openPanel':
      return { type: m.type };
    case 'judge': {
      if (!isItemKey(m.itemKey)) return undefined;
      if (!(ANNOTATE_VERDICTS as readonly unknown[]).includes(m.verdict)) return undefined;
      return { type: 'judge', itemKey: m.itemKey, verdict: m.verdict as AnnotateVerdict };
    }
    case 'draft': {
      if (typeof m.note !== 'string') return undefined;
      if (m.strength !== undefined && !isAnnotateStrength(m.strength)) return undefined;
      if (m.itemKey !== undefined && !isItemKey(m.itemKey)) return undefined;
      const draft: Extract<AnnotateWebviewMessage, { type: 'draft' }> = { type: 'draft', note: m.note.slice(0, MAX_NOTE_LENGTH) };
      if (m.itemKey !== undefined) draft.itemKey = m.itemKey;
      if (m.strength !== undefined) draft.strength = m.strength;
      return draft;
    }
    case 'shown':
      return m.itemKey === null || isItemKey(m.itemKey) ? { type: 'shown', itemKey: m.itemKey } : undefined;
    case 'focus':
      return typeof m.webview === 'boolean' && typeof m.note === 'boolean' ? { type: 'focus', webview: m.webview, note: m.note } : undefined;
    default:
      return undefined;
  }
}

/** What the annotation panel's webview keeps with vscode.setState: read back by the panel serializer after a reload. */
export interface AnnotatePanelState {
  diff: boolean;
  /** The queue's URI, set once a state arrived. */
  queue?: string;
}
