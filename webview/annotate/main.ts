/**
 * The annotation app: one item of the host's AnnotationSession — the prompt, the two responses side by
 * side (each scrolls on its own; stacked in the side bar), the judging buttons, strength 1–4, a rationale
 * note, progress n/N, the annotator's live bias figures, malformed queue lines and the guidelines.
 *
 * The host sends the whole state on `ready` and after every change, and `advance` when a judgement starts:
 * the next item, shown at once while the line is written (ahead.ts). The keys are VS Code keybindings
 * (contributed, rebindable; see package.json): this page only tells the host when it and its note field
 * have focus, so the keys are off while a note is typed. Builds DOM nodes, never HTML strings (Markdown
 * goes through markdown.ts's sanitiser); no inline styles (the CSP forbids them: media/annotate.css).
 */
import {
  ANNOTATE_STRENGTH_LABELS,
  type AnnotateHostMessage,
  type AnnotateLayout,
  type AnnotateState,
  type AnnotateStrength,
  type AnnotateText,
  type AnnotateVerdict,
  type AnnotateWebviewMessage,
  type AnnotatePanelState,
} from '../../src/protocol/annotate';
import { createBridge } from '../shared/bridge';
import { percent } from '../shared/format';
import { reconcile, stateAfterAdvance } from './ahead';
import { renderMarkdown } from './markdown';
import { badge, button, checkbox, registerToolkit, setChecked, textArea } from './toolkit';
import { diffWords } from './wordDiff';

registerToolkit();
// Kept across reloads of the webview: the diff toggle, and the queue (the panel serializer reopens it).
const bridge = createBridge<AnnotateHostMessage, AnnotateWebviewMessage, AnnotatePanelState>();
const ui: AnnotatePanelState = { diff: bridge.getState()?.diff === true, queue: bridge.getState()?.queue };
let state: AnnotateState | null | undefined;
let layout: AnnotateLayout = 'panel';
let noteFocused = false;

const root = document.getElementById('app');
if (!root) throw new Error('annotation view: #app is missing from the page');
const app: HTMLElement = root;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string | undefined> = {}, ...children: Array<Node | string | undefined | false>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) e.setAttribute(name, value);
  for (const c of children) if (c !== undefined && c !== false) e.append(c);
  return e;
}

const parts = {
  header: h('header', { class: 'annotate-header' }),
  messages: h('section', { class: 'messages', 'aria-live': 'polite' }),
  item: h('section', { class: 'item', 'aria-label': 'Item' }),
  controls: h('section', { class: 'controls', 'aria-label': 'Judgement' }),
  figures: h('section', { class: 'figures', 'aria-label': 'Your figures' }),
  annotators: h('section', { class: 'annotators', 'aria-label': 'Annotators' }),
  guidelines: h('section', { class: 'guidelines' }),
};

const controlRows = {
  verdicts: h('div', { class: 'verdicts' }),
  strength: h('div', { class: 'strength', role: 'group', 'aria-label': 'Strength' }),
  navigation: h('div', { class: 'navigation' }),
};

const note = textArea('Rationale note (n) — optional; Esc leaves the field', (value) => postDraft(state?.draft.strength, value), {
  id: 'note',
  'aria-label': 'Rationale note',
});
note.element.addEventListener('focusin', () => setNoteFocus(true));
note.element.addEventListener('focusout', () => setNoteFocus(false));
note.element.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    (document.activeElement as HTMLElement | null)?.blur();
    app.focus();
  }
});
const diffToggle = checkbox('Highlight differences (d)', ui.diff, (checked) => setDiff(checked), 'diff-toggle');

app.setAttribute('tabindex', '-1');
app.replaceChildren(h('p', { class: 'muted' }, 'Opening the annotation session…'));

window.addEventListener('focus', reportFocus);
window.addEventListener('blur', reportFocus);

bridge.onMessage((message) => {
  switch (message.type) {
    case 'state': {
      const r = reconcile(state, message.state);
      state = message.state;
      if (message.layout === 'panel' && state?.queueUri && state.queueUri !== ui.queue) {
        ui.queue = state.queueUri;
        bridge.setState(ui);
      }
      layout = message.layout;
      render(r.itemChanged);
      if (r.acknowledge) bridge.post({ type: 'shown', itemKey: r.acknowledge.itemKey });
      break;
    }
    case 'advance': {
      const next = stateAfterAdvance(state, message);
      if (next) {
        state = next;
        render(true);
      }
      break;
    }
    case 'ui':
      if (message.action === 'focusNote') note.focus();
      else setDiff(!ui.diff);
      break;
  }
});
bridge.post({ type: 'ready' });
reportFocus();

function reportFocus(): void {
  bridge.post({ type: 'focus', webview: document.hasFocus(), note: noteFocused });
}

function setNoteFocus(focused: boolean): void {
  noteFocused = focused;
  reportFocus();
}

function setDiff(on: boolean): void {
  ui.diff = on;
  bridge.setState(ui);
  setChecked(diffToggle, on);
  if (state) renderItem(true);
}

function postDraft(strength: AnnotateStrength | undefined, text: string): void {
  if (state) state.draft = strength === undefined ? { note: text } : { strength, note: text };
  const itemKey = state?.item?.key;
  const message: AnnotateWebviewMessage = { type: 'draft', note: text };
  if (itemKey !== undefined) message.itemKey = itemKey;
  if (strength !== undefined) message.strength = strength;
  bridge.post(message);
}

function judge(verdict: AnnotateVerdict): void {
  const key = state?.item?.key;
  if (key) bridge.post({ type: 'judge', itemKey: key, verdict });
}

// ── rendering ───────────────────────────────────────────────────────────────────────────────────────

function render(itemChanged: boolean): void {
  document.body.dataset.layout = layout;
  if (state === null) {
    app.replaceChildren(
      h('p', { class: 'muted' }, 'No annotation session is open.'),
      h('p', { class: 'muted' }, 'Right-click a queue (.jsonl) in the Explorer and choose “Annotate with Reward Studio”, or run it from the Command Palette.'),
    );
    return;
  }
  if (!state) return;
  if (!app.contains(parts.header)) app.replaceChildren(parts.header, parts.messages, parts.item, parts.controls, parts.figures, parts.annotators, parts.guidelines);
  renderHeader(state);
  renderMessages(state);
  renderItem(itemChanged);
  renderControls(state, itemChanged);
  renderFigures(state);
  renderAnnotators(state);
  renderGuidelines(state);
}

function renderHeader(s: AnnotateState): void {
  const p = s.progress;
  const total = p.total === undefined ? '…' : String(p.total);
  const auditText = p.audits.done + p.audits.pending > 0 ? ` · audits ${p.audits.done}/${p.audits.done + p.audits.pending}` : '';
  const bar = h('progress', { class: 'progress-bar', max: String(p.total ?? 1), value: String(p.total === undefined ? 0 : p.judged), 'aria-label': 'Judged' });
  parts.header.replaceChildren(
    h('div', { class: 'title' },
      h('h1', {}, s.queueName),
      h('span', { class: 'muted' }, `as ${s.annotator} → ${s.outputName}`),
    ),
    h('div', { class: 'progress' },
      h('span', { class: 'progress-count', 'data-judged': String(p.judged), 'data-total': p.total === undefined ? '' : String(p.total) }, `${p.judged} / ${total}`),
      h('span', { class: 'muted' }, ` judged${auditText}`),
      bar,
    ),
    layout === 'sidebar' && s.item ? button('Open in Editor', () => bridge.post({ type: 'openPanel' }), { action: 'open-panel' }) : '',
  );
}

function renderMessages(s: AnnotateState): void {
  const out: Node[] = [];
  if (s.error) out.push(h('div', { class: 'error', role: 'alert' }, s.error));
  if (s.notice) {
    const missing = /missing from the file/.test(s.notice);
    out.push(h('div', { class: 'note' }, s.notice, missing ? button('Append them again', () => bridge.post({ type: 'restore' }), { action: 'restore' }) : ''));
  }
  if (s.problemCount > 0) {
    const list = h('ul', { class: 'problems' }, ...s.problems.map((p) => h('li', {}, h('span', { class: 'line' }, `line ${p.line}`), ` ${p.message}`)));
    const more = s.problemCount > s.problems.length ? h('p', { class: 'muted' }, `… and ${s.problemCount - s.problems.length} more.`) : '';
    out.push(h('details', { class: 'queue-problems' }, h('summary', {}, `${s.problemCount} malformed queue line${s.problemCount === 1 ? '' : 's'} skipped`), list, more));
  }
  parts.messages.replaceChildren(...out);
}

/** The item: rebuilt when another item is shown or the diff toggle changes (scroll positions reset then). */
function renderItem(changed: boolean): void {
  if (!state) return;
  const item = state.item;
  const key = `${item?.key ?? 'done'}|${ui.diff}|${layout}`;
  if (!changed && parts.item.dataset.key === key) return;
  parts.item.dataset.key = key;
  if (!item) {
    const p = state.progress;
    parts.item.replaceChildren(
      h('div', { class: 'done' },
        h('h2', {}, 'All done'),
        h('p', {}, `Every item of ${state.queueName} has a judgement from ${state.annotator} (${p.judged} judged). Undo or Previous goes back.`),
      ),
    );
    return;
  }
  const where = `line ${item.line}${item.pairIndex !== undefined ? `, pair ${item.pairIndex + 1}` : ''}`;
  const judged = item.judged ? badge(`judged: ${verdictText(item.judged.verdict)}${item.judged.strength ? ` · ${item.judged.strength}` : ''}`, { class: 'judged' }) : '';
  const prompt = h('div', { class: 'prompt' }, h('div', { class: 'side-label' }, 'Prompt ', h('span', { class: 'muted' }, where), item.audit ? badge('audit', { title: 'An item judged earlier, shown again with the sides swapped' }) : '', judged), textBlock(item.prompt));
  let leftBody: Node;
  let rightBody: Node;
  if (ui.diff) {
    const d = diffWords(plainText(item.left), plainText(item.right));
    leftBody = h('pre', { class: 'diff' }, ...d.left.map((p) => (p.kind === 'same' ? p.text : h('del', { class: 'diff-removed' }, p.text))));
    rightBody = h('pre', { class: 'diff' }, ...d.right.map((p) => (p.kind === 'same' ? p.text : h('ins', { class: 'diff-added' }, p.text))));
  } else {
    leftBody = textBlock(item.left);
    rightBody = textBlock(item.right);
  }
  const chosen = item.judged?.verdict;
  parts.item.replaceChildren(
    prompt,
    h('div', { class: 'responses' },
      h('article', { class: `response left${chosen === 'left' ? ' chosen' : ''}`, 'aria-label': 'Response A (left)', 'data-side': 'left' },
        h('div', { class: 'side-label' }, 'A', h('span', { class: 'muted' }, ` · ${plainText(item.left).length} chars`)),
        h('div', { class: 'response-body', tabindex: '0' }, leftBody)),
      h('article', { class: `response right${chosen === 'right' ? ' chosen' : ''}`, 'aria-label': 'Response B (right)', 'data-side': 'right' },
        h('div', { class: 'side-label' }, 'B', h('span', { class: 'muted' }, ` · ${plainText(item.right).length} chars`)),
        h('div', { class: 'response-body', tabindex: '0' }, rightBody)),
    ),
  );
}

/** The judging and strength buttons are built once and only updated: a state arrives with every key. */
const verdictButtons = [
  button('A is better (a)', () => judge('left'), { appearance: 'primary', action: 'left' }),
  button('B is better (b)', () => judge('right'), { appearance: 'primary', action: 'right' }),
  button('Tie (t)', () => judge('tie'), { action: 'tie' }),
  button('Skip (s)', () => judge('skip'), { action: 'skip' }),
];
const strengthButtons = ([1, 2, 3, 4] as AnnotateStrength[]).map((n) =>
  button(String(n), () => postDraftAndRender(state?.draft.strength === n ? undefined : n), {
    pressed: false,
    title: `${ANNOTATE_STRENGTH_LABELS[n]} (${n})`,
    action: `strength-${n}`,
  }),
);
const strengthLabel = h('span', { class: 'muted strength-label' });

function renderControls(s: AnnotateState, itemChanged: boolean): void {
  const has = s.item !== undefined;
  const strength = s.draft.strength;
  if (itemChanged || !noteFocused) note.value = s.draft.note;
  // The note field stays in the page (never detached): a state that arrives while it is typed in keeps its focus.
  if (!parts.controls.contains(note.element)) {
    parts.controls.replaceChildren(controlRows.verdicts, controlRows.strength, note.element, controlRows.navigation);
    controlRows.verdicts.replaceChildren(...verdictButtons);
    controlRows.strength.replaceChildren(h('span', { class: 'muted' }, 'Strength: '), ...strengthButtons, strengthLabel);
  }
  for (const b of verdictButtons) setDisabled(b, !has);
  strengthButtons.forEach((b, i) => {
    b.setAttribute('aria-pressed', String(strength === i + 1));
    setDisabled(b, !has);
  });
  strengthLabel.textContent = strength ? ANNOTATE_STRENGTH_LABELS[strength] : 'none (no margin)';
  if (!controlRows.navigation.contains(diffToggle)) {
    controlRows.navigation.replaceChildren(
      button('Undo (u)', () => bridge.post({ type: 'undo' }), { action: 'undo' }),
      button('Previous ([)', () => bridge.post({ type: 'previous' }), { action: 'previous' }),
      button('Next (])', () => bridge.post({ type: 'next' }), { action: 'next' }),
      diffToggle,
    );
  }
  setDisabled(controlRows.navigation.querySelector('[data-action="undo"]'), !s.canUndo);
  setDisabled(controlRows.navigation.querySelector('[data-action="next"]'), !has);
}

function setDisabled(e: Element | null, disabled: boolean): void {
  if (disabled) e?.setAttribute('disabled', '');
  else e?.removeAttribute('disabled');
}

function postDraftAndRender(strength: AnnotateStrength | undefined): void {
  postDraft(strength, note.value);
  if (state) renderControls(state, false);
}

function renderFigures(s: AnnotateState): void {
  const b = s.bias;
  if (!b) {
    parts.figures.replaceChildren();
    return;
  }
  const flag = (rate: number | null, n: number): string => (rate !== null && n >= 10 && Math.abs(rate - 0.5) > 0.15 ? ' figure-warn' : '');
  const rate = (r: number | null): string => (r === null ? '—' : percent(r));
  parts.figures.replaceChildren(
    h('span', { class: `figure${flag(b.leftWinsRate, b.preferences)}`, 'data-figure': 'left-wins', title: 'Share of your preferences that chose the left response (0.5 is unbiased)' }, `Left wins ${rate(b.leftWinsRate)} of ${b.preferences}`),
    h('span', { class: `figure${flag(b.longerWinsRate, b.lengthDecided)}`, 'data-figure': 'longer-wins', title: 'Share of your preferences (responses of different length) that chose the longer one' }, `Longer wins ${rate(b.longerWinsRate)} of ${b.lengthDecided}`),
    h('span', { class: 'figure muted' }, `${b.ties} tie${b.ties === 1 ? '' : 's'}, ${b.skips} skip${b.skips === 1 ? '' : 's'}`),
  );
}

/**
 * Every annotator of the judgements file: agreement between them (percent, Cohen's κ), and per annotator
 * the judged count, self-consistency on order-swap audits, left-wins and longer-wins. Open in the panel,
 * folded in the side bar; rebuilt only when a figure changes (the open/closed state is kept).
 */
function renderAnnotators(s: AnnotateState): void {
  const v = s.annotators;
  const key = `${layout}|${JSON.stringify(v)}`;
  if (parts.annotators.dataset.key === key) return;
  const previous = parts.annotators.querySelector('details');
  const open = previous ? previous.open : layout === 'panel';
  parts.annotators.dataset.key = key;
  if (v.annotators.length === 0) {
    parts.annotators.replaceChildren();
    return;
  }
  const rate = (r: number | null, n: number): string => (r === null || n === 0 ? '—' : `${percent(r)} of ${n}`);
  const agreement =
    v.comparisons === 0
      ? 'Agreement: — (no item judged by two annotators yet)'
      : `Agreement ${v.percent === null ? '—' : percent(v.percent)} · κ ${v.kappa === null ? '—' : v.kappa.toFixed(2)} over ${v.items} item${v.items === 1 ? '' : 's'} (${v.comparisons} comparison${v.comparisons === 1 ? '' : 's'})`;
  const head = h('tr', {}, ...['Annotator', 'Judged', 'Self-consistency', 'Left wins', 'Longer wins'].map((t) => h('th', { scope: 'col' }, t)));
  const rows = v.annotators.map((a) =>
    h('tr', { 'data-annotator': a.annotator, class: a.annotator === s.annotator ? 'me' : undefined },
      h('th', { scope: 'row' }, a.annotator),
      h('td', {}, String(a.judged)),
      h('td', { title: 'Order-swap audits that agreed with the original judgement' }, rate(a.selfConsistency, a.audits)),
      h('td', { title: 'Share of preferences that chose the left response (0.5 is unbiased)' }, rate(a.leftWinsRate, a.preferences)),
      h('td', { title: 'Share of preferences (responses of different length) that chose the longer one' }, rate(a.longerWinsRate, a.lengthDecided)),
    ),
  );
  const details = h('details', {},
    h('summary', {}, `Annotators (${v.annotators.length})`),
    h('p', { class: 'agreement', 'data-figure': 'agreement' }, agreement),
    h('table', { class: 'annotator-table' }, h('thead', {}, head), h('tbody', {}, ...rows)),
  );
  details.open = open;
  parts.annotators.replaceChildren(details);
}

function renderGuidelines(s: AnnotateState): void {
  const g = s.guidelines;
  const key = g ? `${g.name}:${g.sha256}` : '';
  if (parts.guidelines.dataset.key === key) return;
  parts.guidelines.dataset.key = key;
  if (!g) {
    parts.guidelines.replaceChildren();
    return;
  }
  parts.guidelines.replaceChildren(h('details', {}, h('summary', {}, `Guidelines — ${g.name}`), h('div', { class: 'markdown' }, renderMarkdown(g.markdown))));
}

/** Text as Markdown; a conversation as turns, each with its role. */
function textBlock(value: AnnotateText): Node {
  if (typeof value === 'string') return h('div', { class: 'markdown' }, renderMarkdown(value));
  return h('div', { class: 'turns' }, ...value.map((m) => h('div', { class: `turn role-${/^[\w-]{1,20}$/.test(m.role) ? m.role : 'other'}` }, h('div', { class: 'role' }, m.role), h('div', { class: 'markdown' }, renderMarkdown(m.content)))));
}

function plainText(value: AnnotateText): string {
  return typeof value === 'string' ? value : value.map((m) => `${m.role}: ${m.content}`).join('\n\n');
}

function verdictText(v: AnnotateVerdict): string {
  return v === 'left' ? 'A better' : v === 'right' ? 'B better' : v;
}

// Links in rendered Markdown are not followed inside the webview.
app.addEventListener('click', (e) => {
  if (e.target instanceof Element && e.target.closest('a')) e.preventDefault();
});
