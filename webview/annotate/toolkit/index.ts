/**
 * The only place the annotation app touches @vscode/webview-ui-toolkit: registration of the components it
 * uses and small builders that return plain HTMLElements. The toolkit is archived upstream; moving to
 * @vscode-elements means rewriting this folder only (main.ts sees elements, clicks and values).
 */
import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDivider,
  vsCodeProgressRing,
  vsCodeTextArea,
} from '@vscode/webview-ui-toolkit';

let registered = false;

/** Defines the custom elements once per page (they follow the VS Code theme through its CSS variables). */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeBadge(),
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDivider(),
    vsCodeProgressRing(),
    vsCodeTextArea(),
  );
}

type Attributes = Record<string, string | undefined>;

function element(tag: string, attributes: Attributes, text?: string): HTMLElement {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) e.setAttribute(name, value);
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface ButtonOptions {
  appearance?: 'primary' | 'secondary';
  /** Shown as a toggle: aria-pressed. */
  pressed?: boolean;
  disabled?: boolean;
  title?: string;
  id?: string;
  /** data-action, for tests and styling. */
  action?: string;
}

export function button(label: string, onClick: () => void, options: ButtonOptions = {}): HTMLElement {
  const b = element('vscode-button', {
    appearance: options.appearance ?? 'secondary',
    'aria-pressed': options.pressed === undefined ? undefined : String(options.pressed),
    title: options.title,
    id: options.id,
    'data-action': options.action,
  }, label);
  if (options.disabled) b.setAttribute('disabled', '');
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, id?: string): HTMLElement {
  const c = element('vscode-checkbox', { id }, label) as HTMLElement & { checked: boolean };
  c.checked = checked;
  c.addEventListener('change', () => onChange(c.checked));
  return c;
}

/** Sets a checkbox made by `checkbox` without firing its change handler's side effects twice. */
export function setChecked(c: HTMLElement, checked: boolean): void {
  const box = c as HTMLElement & { checked: boolean };
  if (box.checked !== checked) box.checked = checked;
}

export interface TextArea {
  element: HTMLElement;
  get value(): string;
  set value(text: string);
  focus(): void;
}

export function textArea(placeholder: string, onInput: (value: string) => void, attributes: Attributes = {}): TextArea {
  const t = element('vscode-text-area', { placeholder, resize: 'vertical', rows: '2', ...attributes }) as HTMLElement & { value: string };
  t.addEventListener('input', () => onInput(t.value));
  return {
    element: t,
    get value() {
      return t.value ?? '';
    },
    set value(text: string) {
      if (t.value !== text) t.value = text;
    },
    // The inner <textarea> (FAST's `control`): focusing the host element alone does not always reach it.
    focus: () => ((t as HTMLElement & { control?: HTMLElement }).control ?? t).focus(),
  };
}

export function badge(text: string, attributes: Attributes = {}): HTMLElement {
  return element('vscode-badge', attributes, text);
}

export function divider(): HTMLElement {
  return element('vscode-divider', { role: 'separator' });
}

export function progressRing(): HTMLElement {
  return element('vscode-progress-ring', {});
}
