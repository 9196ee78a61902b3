// trainTokenizer: a byte-level BPE on ~2,000 real HH records — vocabulary within the requested size,
// deterministic, and identical encodings after save + load.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadTokenizer, saveTokenizer, tokenizePairs, trainTokenizer, TokenizerMismatchError } from '../../../../src/core/tokenize';
import { sharedData, tempDir } from '../../../helpers/paths';

interface HhRecord {
  prompt: string;
  chosen: string;
  rejected: string;
}

const records: HhRecord[] = readFileSync(sharedData('hh-rlhf', 'helpful-base-test.clean.pcr.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .slice(0, 2000)
  .map((l) => JSON.parse(l) as HhRecord);
const texts = records.flatMap((r) => [r.prompt, r.chosen, r.rejected]);
const probe = ['Human: How do I bake bread?\n\nAssistant: Mix flour, water, yeast and salt.', 'naïve café — 東京 🙂', records[5].chosen];

void test('vocabulary within the requested size, special tokens at ids 0..2, any text encodable and decodable', async () => {
  const tok = await trainTokenizer(texts, { vocabSize: 3000, minFrequency: 2 });
  assert.ok(tok.vocabSize <= 3000 && tok.vocabSize > 2000, `vocab ${tok.vocabSize}`);
  assert.deepEqual([tok.pad.id, tok.eos?.id, tok.bos?.id], [0, 1, 2]);
  assert.deepEqual([tok.pad.source, tok.eos?.source], ['config', 'config']);
  const ids = await tok.encodeBatch(probe);
  for (let i = 0; i < probe.length; i++) assert.equal(await tok.decode(ids[i]), probe[i]);
  // Learned merges compress: fewer tokens than UTF-8 bytes on in-domain text.
  assert.ok(ids[2].length < Buffer.byteLength(probe[2]) / 2.5);
  const [withEos] = await tok.encodeBatch(['hi<|eos|>']);
  assert.equal(withEos[withEos.length - 1], 1);
});

void test('deterministic for the same input; round-trips through save/load with identical encodings', async () => {
  const a = await trainTokenizer(texts, { vocabSize: 3000 });
  const b = await trainTokenizer(texts, { vocabSize: 3000 });
  assert.equal(a.json, b.json);
  assert.deepEqual(a.identity, b.identity);
  const { dir, cleanup } = tempDir();
  try {
    saveTokenizer(a, dir);
    const loaded = await loadTokenizer(dir);
    assert.deepEqual(loaded.identity, a.identity);
    loaded.checkCompatible(a.identity);
    assert.deepEqual(await loaded.encodeBatch(probe), await a.encodeBatch(probe));
    assert.deepEqual([loaded.pad.id, loaded.eos?.id, loaded.bos?.id], [0, 1, 2]);
    assert.equal(loaded.chatTemplate, a.chatTemplate);
    // The saved chat template makes conversational records work with the built-in backbone.
    const { pairs } = await tokenizePairs(
      [{ pair: { prompt: [{ role: 'user', content: 'Hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'Go.' }] }, source: { file: 'c.jsonl', line: 1 } }],
      loaded,
      { maxLength: 64 },
    );
    assert.equal(pairs[0].chosen[0], 2, 'starts with <|bos|>');
    assert.equal(pairs[0].chosen[pairs[0].chosen.length - 1], 1, 'ends with <|eos|>');
  } finally {
    cleanup();
  }
});

void test('a model trained with one tokenizer refuses another, naming both', async () => {
  const small = await trainTokenizer(texts.slice(0, 600), { vocabSize: 600, name: 'hh-bpe-600' });
  const gpt2 = await loadTokenizer(sharedData('tokenizers', 'gpt2'));
  assert.throws(
    () => gpt2.checkCompatible(small.identity),
    (e: unknown) => e instanceof TokenizerMismatchError && /"hh-bpe-600"/.test((e as Error).message) && /"gpt2"/.test((e as Error).message),
  );
  await assert.rejects(trainTokenizer(texts.slice(0, 10), { vocabSize: 100 }), /below/);
});
