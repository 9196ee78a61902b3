// Record → text: the text template for plain records, a Jinja chat template for conversational ones,
// EOS exactly once, the prompt shared by both sides.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PreferencePair } from '../../../../src/core/data/record';
import { TemplateError, formatPair } from '../../../../src/core/tokenize';

/** ChatML, as Qwen/others ship it; it closes every turn with <|im_end|> but never writes the EOS token. */
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
/** A Llama-2-like template that writes BOS and EOS itself. */
const WITH_EOS = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{% if m.role == 'assistant' %}{{ eos_token }}{% endif %}{% endfor %}";
const specialTokens = { eos_token: '</s>', bos_token: '<s>' };

const chat: PreferencePair = {
  prompt: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Capital of France?' },
  ],
  chosen: [{ role: 'assistant', content: 'Paris.' }],
  rejected: [{ role: 'assistant', content: 'Lyon.' }],
};

void test('plain records: default "{prompt}\\n\\n{response}", EOS appended once', () => {
  const f = formatPair({ prompt: 'Q?', chosen: 'yes', rejected: 'no' }, { specialTokens });
  assert.deepEqual(f, { prompt: 'Q?\n\n', chosen: 'yes</s>', rejected: 'no</s>', conversational: false });
  // A response that already ends with EOS does not get a second one.
  assert.equal(formatPair({ prompt: 'Q?', chosen: 'yes</s>', rejected: 'no' }, { specialTokens }).chosen, 'yes</s>');
  assert.equal(formatPair({ prompt: 'Q?', chosen: 'yes', rejected: 'no' }, { specialTokens, appendEos: false }).chosen, 'yes');
});

void test('plain records: a custom text template, text after {response} kept with the response', () => {
  const f = formatPair({ prompt: 'Q?', chosen: 'yes', rejected: 'no' }, { textTemplate: 'User: {prompt}\nBot: {response}\n', specialTokens });
  assert.deepEqual([f.prompt, f.chosen, f.rejected], ['User: Q?\nBot: ', 'yes\n</s>', 'no\n</s>']);
  assert.throws(() => formatPair({ prompt: 'a', chosen: 'b', rejected: 'c' }, { textTemplate: '{prompt}' }), TemplateError);
  assert.throws(() => formatPair({ prompt: 'a', chosen: 'b', rejected: 'c' }, { textTemplate: '{response} {prompt}' }), TemplateError);
});

void test('conversational records through a ChatML template: prompt + assistant header shared, EOS appended once', () => {
  const f = formatPair(chat, { chatTemplate: CHATML, specialTokens });
  assert.equal(f.conversational, true);
  assert.equal(f.prompt, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(f.chosen, 'Paris.<|im_end|>\n</s>');
  assert.equal(f.rejected, 'Lyon.<|im_end|>\n</s>');
});

void test('EOS = <|im_end|> (Qwen-style ChatML): the turn already ends with it, none appended', () => {
  const f = formatPair(chat, { chatTemplate: CHATML, specialTokens: { eos_token: '<|im_end|>' } });
  assert.deepEqual([f.chosen, f.rejected], ['Paris.<|im_end|>\n', 'Lyon.<|im_end|>\n']);
});

void test('a template that writes BOS/EOS itself: bos_token/eos_token in its context, no second EOS', () => {
  const f = formatPair(chat, { chatTemplate: WITH_EOS, specialTokens });
  assert.equal(f.prompt, '<s>[system] Be brief.[user] Capital of France?');
  assert.equal(f.chosen, '[assistant] Paris.</s>');
  assert.equal((f.prompt + f.chosen).split('</s>').length - 1, 1);
  assert.equal((f.prompt + f.rejected).split('<s>').length - 1, 1);
});

void test('string prompt with conversational responses becomes a user turn', () => {
  const f = formatPair({ prompt: 'Hi', chosen: [{ role: 'assistant', content: 'Hello' }], rejected: [{ role: 'assistant', content: 'Go away' }] }, { chatTemplate: CHATML, specialTokens });
  assert.equal(f.prompt, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(f.chosen, 'Hello<|im_end|>\n</s>');
});

void test('a conversational record without a chat template: a clear error that suggests a template setting', () => {
  assert.throws(
    () => formatPair(chat, { specialTokens }),
    (e: unknown) => e instanceof TemplateError && /no chat_template/.test((e as Error).message) && /chat template setting/.test((e as Error).message),
  );
  assert.throws(() => formatPair(chat, { chatTemplate: '{% for m in messages %}' }), TemplateError);
});
