// From a preference record to text: plain records through a text template, conversational ones through
// the tokenizer's chat_template (rendered by @huggingface/jinja, as transformers' apply_chat_template).
// Both sides share one prompt string, so the prompt is tokenized identically for chosen and rejected.
import { Template } from '@huggingface/jinja';
import { isConversation, type ChatMessage, type PreferencePair, type TextOrConversation } from '../data/record';

export const DEFAULT_TEXT_TEMPLATE = '{prompt}\n\n{response}';

export interface FormatOptions {
  /** For plain records: `{prompt}` and `{response}` placeholders, `{response}` exactly once, after `{prompt}`. */
  textTemplate?: string;
  /** A Jinja chat template; overrides the tokenizer's. */
  chatTemplate?: string;
  /** Special tokens by name (`bos_token`, `eos_token`, …), in the template context as HF passes them. */
  specialTokens?: Record<string, string>;
  /** Append the EOS token to each side when its text does not already end with it. Default true. */
  appendEos?: boolean;
}

/** Full chosen text = prompt + chosen; full rejected text = prompt + rejected. */
export interface FormattedPair {
  prompt: string;
  chosen: string;
  rejected: string;
  conversational: boolean;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const templateCache = new Map<string, Template>();

function compiled(source: string): Template {
  let t = templateCache.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new TemplateError(`the chat template does not parse: ${(e as Error).message}`);
    }
    templateCache.set(source, t);
  }
  return t;
}

function isPlain(pair: PreferencePair): boolean {
  return typeof pair.prompt === 'string' && typeof pair.chosen === 'string' && typeof pair.rejected === 'string';
}

function asMessages(value: TextOrConversation, role: string): ChatMessage[] {
  if (isConversation(value)) return value;
  return typeof value === 'string' && value.length > 0 ? [{ role, content: value }] : [];
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return a.slice(0, i);
}

/**
 * Appends EOS unless the text already ends with it — trailing whitespace aside, so a ChatML template whose
 * EOS is <|im_end|> (rendered as "…<|im_end|>\n") does not get a second one.
 */
function withEos(prompt: string, response: string, eos: string | undefined, append: boolean): string {
  if (!append || eos === undefined || eos === '') return response;
  return (prompt + response).trimEnd().endsWith(eos) ? response : response + eos;
}

/** Splits a text template at `{response}`: what comes before (with the prompt) and after. */
function splitTextTemplate(template: string): { before: string; after: string } {
  const parts = template.split('{response}');
  if (parts.length !== 2) throw new TemplateError(`the text template must contain {response} exactly once: ${JSON.stringify(template)}`);
  if (parts[1].includes('{prompt}')) throw new TemplateError(`the text template must put {prompt} before {response}: ${JSON.stringify(template)}`);
  return { before: parts[0], after: parts[1] };
}

export function formatPair(pair: PreferencePair, opts: FormatOptions = {}): FormattedPair {
  const eos = opts.specialTokens?.eos_token;
  const append = opts.appendEos ?? true;
  if (isPlain(pair)) {
    const { before, after } = splitTextTemplate(opts.textTemplate ?? DEFAULT_TEXT_TEMPLATE);
    const prompt = before.split('{prompt}').join(pair.prompt as string);
    const side = (r: string): string => withEos(prompt, r + after, eos, append);
    return { prompt, chosen: side(pair.chosen as string), rejected: side(pair.rejected as string), conversational: false };
  }

  const source = opts.chatTemplate;
  if (source === undefined) {
    throw new TemplateError(
      'this record is conversational (chat messages) but the tokenizer has no chat_template: set one ' +
        '(the chat template setting, or chat_template in tokenizer_config.json), or convert the data to plain text',
    );
  }
  const template = compiled(source);
  const promptTurns = asMessages(pair.prompt, 'user');
  const render = (messages: ChatMessage[], addGenerationPrompt: boolean): string => {
    try {
      return template.render({ ...opts.specialTokens, messages, add_generation_prompt: addGenerationPrompt });
    } catch (e) {
      throw new TemplateError(`the chat template failed to render: ${(e as Error).message}`);
    }
  };
  const fullChosen = render([...promptTurns, ...asMessages(pair.chosen, 'assistant')], false);
  const fullRejected = render([...promptTurns, ...asMessages(pair.rejected, 'assistant')], false);
  // The shared prompt text: the prompt rendered on its own (with the assistant header when the template
  // has one) when both conversations start with it; otherwise the longest common prefix of the two.
  let prompt: string | undefined;
  if (promptTurns.length > 0) {
    for (const gen of [true, false]) {
      const p = render(promptTurns, gen);
      if (fullChosen.startsWith(p) && fullRejected.startsWith(p)) {
        prompt = p;
        break;
      }
    }
  }
  prompt ??= commonPrefix(fullChosen, fullRejected);
  return {
    prompt,
    chosen: withEos(prompt, fullChosen.slice(prompt.length), eos, append),
    rejected: withEos(prompt, fullRejected.slice(prompt.length), eos, append),
    conversational: true,
  };
}
