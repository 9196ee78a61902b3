/** DOM builders the webview apps share: elements from attributes and children, never from HTML strings. */

export type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) element.setAttribute(name, value);
  for (const child of children) if (child !== undefined && child !== false) element.append(child);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attributes: Record<string, string | number> = {}, ...children: Child[]): SVGElement {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, typeof value === 'number' ? String(Math.round(value * 100) / 100) : value);
  }
  for (const child of children) if (child !== undefined && child !== false) element.append(child);
  return element;
}

/** A button that runs `onClick`; `id` lets focus survive a re-render of its section. */
export function button(
  label: string,
  onClick: () => void,
  attributes: Record<string, string | undefined> = {},
): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attributes }, label);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * Replaces a section's content only when its key changed, and gives focus back to the element with the
 * same id afterwards (a keyboard user's place survives the live updates).
 */
export function updateSection(section: HTMLElement, key: string, build: () => Child[]): void {
  if (section.dataset.key === key) return;
  section.dataset.key = key;
  const active = document.activeElement;
  const focusedId = active instanceof HTMLElement && section.contains(active) ? active.id : '';
  section.replaceChildren(...build().filter((c): c is Node | string => c !== undefined && c !== false));
  if (focusedId) document.getElementById(focusedId)?.focus();
}
