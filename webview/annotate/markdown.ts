/**
 * Markdown → DOM for prompts, responses and guidelines. markdown-it with raw HTML off (any `<tag>` in a
 * response is shown as text), then an allowlist pass over the parsed nodes: only the elements markdown-it
 * makes, no attributes but a checked `href` and a `language-*` class, no images (the CSP would block remote
 * ones anyway). Nothing is executed: the page's CSP allows only its own nonce'd script. Fenced code is kept
 * as <pre><code class="language-x">, unhighlighted (no highlighter is bundled).
 */
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: false, breaks: false, typographer: false });

const ALLOWED = new Set([
  'p', 'br', 'hr', 'em', 'strong', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
]);
const SAFE_HREF = /^(https?:|mailto:)/i;

/** Rendered Markdown as a fragment of sanitised nodes. */
export function renderMarkdown(source: string): DocumentFragment {
  const parsed = new DOMParser().parseFromString(md.render(source), 'text/html');
  const out = document.createDocumentFragment();
  for (const node of [...parsed.body.childNodes]) {
    const clean = sanitise(node);
    if (clean) out.append(clean);
  }
  return out;
}

function sanitise(node: Node): Node | undefined {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent ?? '');
  if (node.nodeType !== Node.ELEMENT_NODE) return undefined;
  const source = node as Element;
  const tag = source.tagName.toLowerCase();
  if (tag === 'img') return document.createTextNode(source.getAttribute('alt') ?? '');
  const children = [...source.childNodes].map(sanitise).filter((c): c is Node => c !== undefined);
  if (!ALLOWED.has(tag)) {
    // Unknown element: keep its text, drop the element.
    const f = document.createDocumentFragment();
    f.append(...children);
    return f;
  }
  const e = document.createElement(tag);
  if (tag === 'a') {
    const href = source.getAttribute('href') ?? '';
    if (SAFE_HREF.test(href)) {
      e.setAttribute('href', href);
      e.setAttribute('title', href);
    }
  }
  if (tag === 'code') {
    const lang = /(?:^|\s)(language-[\w+-]{1,40})(?:\s|$)/.exec(source.getAttribute('class') ?? '')?.[1];
    if (lang) e.setAttribute('class', lang);
  }
  if (tag === 'ol') {
    const start = source.getAttribute('start');
    if (start && /^\d{1,9}$/.test(start)) e.setAttribute('start', start);
  }
  e.append(...children);
  return e;
}
