/**
 * Word-level differences between two responses, for the diff highlight. DOM-free, so plain Node tests it.
 * Tokens are words and the whitespace between them; the common prefix and suffix are cut first (most
 * pairs share a lot), then the longest common subsequence of the middle. Above MAX_CELLS table cells the
 * middle is compared by lines instead, so a pair of very long responses stays fast.
 */

export type DiffKind = 'same' | 'removed' | 'added';

export interface DiffPart {
  kind: DiffKind;
  text: string;
}

/** LCS table size above which lines, not words, are compared. */
export const MAX_CELLS = 4_000_000;

export function tokenize(text: string): string[] {
  return text.match(/\s+|[^\s]+/g) ?? [];
}

function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * The parts of `left` and `right`: `same` in both, `removed` only in left, `added` only in right.
 * Joining the left's same+removed parts gives `left` back; same+added gives `right`.
 */
export function diffWords(left: string, right: string): { left: DiffPart[]; right: DiffPart[] } {
  let a = tokenize(left);
  let b = tokenize(right);
  if (a.length * b.length > MAX_CELLS) {
    a = lines(left);
    b = lines(right);
  }
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const out = { left: [] as DiffPart[], right: [] as DiffPart[] };
  const push = (side: DiffPart[], kind: DiffKind, text: string): void => {
    if (!text) return;
    const last = side[side.length - 1];
    if (last && last.kind === kind) last.text += text;
    else side.push({ kind, text });
  };
  const same = (text: string): void => {
    push(out.left, 'same', text);
    push(out.right, 'same', text);
  };
  same(a.slice(0, pre).join(''));
  if (am.length * bm.length > MAX_CELLS) {
    // Still too large (very many lines): the whole middle differs.
    push(out.left, 'removed', am.join(''));
    push(out.right, 'added', bm.join(''));
  } else {
    const n = am.length;
    const m = bm.length;
    // lcs[i * (m + 1) + j]: LCS length of am[i..] and bm[j..].
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = am[i] === bm[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (am[i] === bm[j]) {
        same(am[i]);
        i++;
        j++;
      } else if (lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
        push(out.left, 'removed', am[i++]);
      } else {
        push(out.right, 'added', bm[j++]);
      }
    }
    while (i < n) push(out.left, 'removed', am[i++]);
    while (j < m) push(out.right, 'added', bm[j++]);
  }
  same(a.slice(a.length - suf).join(''));
  return out;
}
