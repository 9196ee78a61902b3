// tokenizePairs: the prompt's end and the response's start survive truncation, special tokens appear
// exactly once, both sides share the prompt tokens, and every cut or dropped pair is reported by file:line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PreferencePair } from '../../../../src/core/data/record';
import { collatePairs } from '../../../../src/core/train/batch';
import { describeTruncation, loadTokenizer, tokenizePairs, type LocatedPair, type RewardTokenizer } from '../../../../src/core/tokenize';
import { sharedData } from '../../../helpers/paths';

let gpt2: Promise<RewardTokenizer> | undefined;
const GPT2 = (): Promise<RewardTokenizer> => (gpt2 ??= loadTokenizer(sharedData('tokenizers', 'gpt2')));
const EOS = 50256;

const words = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');
const located = (pairs: PreferencePair[], file = 'data.jsonl'): LocatedPair[] => pairs.map((pair, i) => ({ pair, source: { file, line: i + 1 } }));
const count = (ids: ArrayLike<number>, id: number): number => Array.from(ids).filter((x) => x === id).length;

async function ids(tok: RewardTokenizer, text: string): Promise<number[]> {
  return (await tok.encodeBatch([text]))[0];
}

void test('keep-end-of-prompt: the prompt loses its start, the response and EOS stay; cut and dropped pairs listed by file:line', async () => {
  const tok = await GPT2();
  const data = located([
    { prompt: 'Short question?', chosen: 'Yes.', rejected: 'No.', margin: 0.5 },
    { prompt: words('p', 60), chosen: 'good answer', rejected: 'bad answer' },
    { prompt: 'Tell me everything.', chosen: words('c', 80), rejected: 'no' },
    { prompt: 'Another?', chosen: 'Sure.', rejected: 'Nope.' },
  ]);
  const { pairs, report } = await tokenizePairs(data, tok, { maxLength: 64, minPromptTokens: 8 });
  assert.equal(pairs.length, 3);
  assert.deepEqual([report.total, report.kept], [4, 3]);
  assert.deepEqual(report.cut.map((e) => e.where), ['data.jsonl:2']);
  assert.deepEqual(report.dropped.map((e) => e.where), ['data.jsonl:3']);
  assert.match(report.dropped[0].reason ?? '', /does not fit maxLength 64/);

  // Pair 2, derived independently: the last tokens of the formatted prompt, then the response, then EOS.
  const prompt = await ids(tok, words('p', 60) + '\n\n');
  const good = await ids(tok, 'good answer');
  const bad = await ids(tok, 'bad answer');
  const keep = 64 - 1 - Math.max(good.length, bad.length);
  const cut = pairs[1];
  assert.deepEqual(Array.from(cut.chosen), [...prompt.slice(prompt.length - keep), ...good, EOS]);
  assert.deepEqual(Array.from(cut.rejected), [...prompt.slice(prompt.length - keep), ...bad, EOS]);
  assert.equal(cut.promptLength, keep);
  assert.equal(report.cut[0].promptTokensRemoved, prompt.length - keep);
  assert.deepEqual([report.cut[0].chosenTokensRemoved, report.cut[0].rejectedTokensRemoved], [0, 0]);
  assert.deepEqual(cut.source, { file: 'data.jsonl', line: 2 });

  for (const p of pairs) {
    assert.ok(p.chosen.length <= 64 && p.rejected.length <= 64);
    assert.deepEqual(Array.from(p.chosen.subarray(0, p.promptLength)), Array.from(p.rejected.subarray(0, p.promptLength)), 'shared prompt tokens');
    assert.equal(count(p.chosen, EOS), 1);
    assert.equal(count(p.rejected, EOS), 1);
    assert.equal(p.chosen[p.chosen.length - 1], EOS);
  }
  assert.equal(pairs[0].margin, 0.5);
  const text = describeTruncation(report);
  assert.match(text, /1 cut, 1 dropped/);
  assert.match(text, /cut data\.jsonl:2: prompt −\d+/);
  assert.match(text, /dropped data\.jsonl:3: /);
  // Feeds collatePairs: one padded length for both sides.
  const batch = collatePairs(pairs, tok.pad.id);
  assert.equal(batch.inputIds.length, 2 * 3 * batch.seqLen);
});

void test("onLongResponse 'truncate': the response keeps its start, the prompt its last minPromptTokens, EOS stays last", async () => {
  const tok = await GPT2();
  const data = located([{ prompt: words('q', 30), chosen: words('c', 80), rejected: 'no' }], 'long.jsonl');
  const { pairs, report } = await tokenizePairs(data, tok, { maxLength: 48, minPromptTokens: 8, onLongResponse: 'truncate' });
  assert.equal(pairs.length, 1);
  const prompt = await ids(tok, words('q', 30) + '\n\n');
  const chosen = await ids(tok, words('c', 80));
  const p = pairs[0];
  assert.equal(p.chosen.length, 48);
  assert.deepEqual(Array.from(p.chosen), [...prompt.slice(-8), ...chosen.slice(0, 48 - 8 - 1), EOS]);
  assert.equal(p.promptLength, 8);
  assert.deepEqual(report.cut.map((e) => [e.where, e.promptTokensRemoved, e.chosenTokensRemoved, e.rejectedTokensRemoved]), [['long.jsonl:1', prompt.length - 8, chosen.length - 39, 0]]);
});

void test('keep-start: right truncation of prompt + response with EOS kept; a prompt that fills maxLength drops the pair', async () => {
  const tok = await GPT2();
  const data = located([
    { prompt: words('q', 10), chosen: words('c', 60), rejected: words('r', 60) },
    { prompt: words('q', 80), chosen: 'a', rejected: 'b' },
  ]);
  const { pairs, report } = await tokenizePairs(data, tok, { maxLength: 40, truncation: 'keep-start' });
  assert.equal(pairs.length, 1);
  const prompt = await ids(tok, words('q', 10) + '\n\n');
  const chosen = await ids(tok, words('c', 60));
  assert.deepEqual(Array.from(pairs[0].chosen), [...prompt, ...chosen.slice(0, 39 - prompt.length), EOS]);
  assert.deepEqual(report.cut.map((e) => [e.where, e.promptTokensRemoved]), [['data.jsonl:1', 0]]);
  assert.deepEqual(report.dropped.map((e) => e.where), ['data.jsonl:2']);
  assert.match(report.dropped[0].reason ?? '', /prompt alone/);
});

void test('pairs identical after truncation are dropped and reported', async () => {
  const tok = await GPT2();
  const same = words('c', 50);
  const data = located([{ prompt: 'Q', chosen: same + ' yes', rejected: same + ' no' }]);
  const { pairs, report } = await tokenizePairs(data, tok, { maxLength: 20, onLongResponse: 'truncate', minPromptTokens: 1 });
  assert.equal(pairs.length, 0);
  assert.match(report.dropped[0].reason ?? '', /identical/);
});

void test('BERT-style specials ([CLS] … [SEP]) are added exactly once, and survive truncation', async () => {
  const tok = await loadTokenizer(sharedData('tokenizers', 'all-MiniLM-L6-v2'));
  const [CLS, SEP] = [tok.prefixIds[0], tok.suffixIds[0]];
  const data = located([
    { prompt: 'what is the capital of france?', chosen: 'paris', rejected: 'lyon' },
    { prompt: words('w', 200), chosen: 'paris', rejected: 'lyon' },
  ]);
  const { pairs, report } = await tokenizePairs(data, tok, { maxLength: 32 });
  assert.equal(pairs.length, 2);
  for (const p of pairs) {
    for (const side of [p.chosen, p.rejected]) {
      assert.equal(side[0], CLS);
      assert.equal(side[side.length - 1], SEP);
      assert.deepEqual([count(side, CLS), count(side, SEP)], [1, 1]);
      assert.ok(side.length <= 32);
    }
  }
  assert.equal(pairs[1].chosen.length, 32);
  assert.deepEqual(report.cut.map((e) => e.where), ['data.jsonl:2']);
});

void test('conversational records through a chat template: the rendered prompt is shared, EOS once per side', async () => {
  const tok = await GPT2();
  const chatTemplate = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  const pair: PreferencePair = {
    prompt: [{ role: 'user', content: 'Name a colour.' }],
    chosen: [{ role: 'assistant', content: 'Blue.' }],
    rejected: [{ role: 'assistant', content: 'Seven.' }],
  };
  const { pairs } = await tokenizePairs(located([pair]), tok, { maxLength: 128, chatTemplate });
  const prompt = await ids(tok, '<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n');
  const p = pairs[0];
  assert.equal(p.promptLength, prompt.length);
  assert.deepEqual(Array.from(p.chosen.subarray(0, p.promptLength)), prompt);
  assert.deepEqual(Array.from(p.chosen.subarray(p.promptLength)), [...(await ids(tok, 'Blue.<|im_end|>\n')), EOS]);
  assert.equal(count(p.rejected, EOS), 1);
  await assert.rejects(tokenizePairs(located([pair], 'chat.jsonl'), tok, { maxLength: 128 }), /chat\.jsonl:1: .*no chat_template/);
});
