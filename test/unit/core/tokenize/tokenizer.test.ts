// Loading real Hugging Face tokenizer.json files: known ids (derived from the vocab in the file itself),
// the file's own truncation/padding switched off, special tokens, identity and the mismatch error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenizerLoadError, TokenizerMismatchError, loadTokenizer } from '../../../../src/core/tokenize';
import { sharedData, tempDir } from '../../../helpers/paths';

const GPT2 = sharedData('tokenizers', 'gpt2');
const MINILM = sharedData('tokenizers', 'all-MiniLM-L6-v2');

function vocabOf(dir: string): Record<string, number> {
  return (JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
}

void test('GPT-2: words encode to their vocabulary ids (Ġ marks a leading space); <|endoftext|> is EOS, BOS and pad', async () => {
  const tok = await loadTokenizer(GPT2);
  const vocab = vocabOf(GPT2);
  const [ids] = await tok.encodeBatch(['Hello world, the reward model']);
  const expected = ['Hello', 'Ġworld', ',', 'Ġthe', 'Ġreward', 'Ġmodel'].map((t) => vocab[t]);
  assert.ok(expected.every((id) => Number.isInteger(id)));
  assert.deepEqual(ids, expected);
  assert.deepEqual(expected, [15496, 995, 11, 262, 6721, 2746]);
  assert.equal(tok.vocabSize, 50257);
  assert.equal(tok.eos?.id, 50256);
  assert.equal(tok.bos?.id, 50256);
  // No pad token in GPT-2: it falls back to EOS, and says so.
  assert.deepEqual([tok.pad.id, tok.pad.source], [50256, 'eos']);
  assert.ok(tok.notes.some((n) => n.includes('no pad token')));
  assert.deepEqual([tok.prefixIds, tok.suffixIds], [[], []]);
  // A special token in the text is one token, not its pieces.
  const [withEos] = await tok.encodeBatch(['Hi<|endoftext|>']);
  assert.deepEqual(withEos, [vocab['Hi'], 50256]);
});

void test('MiniLM: lower-cased WordPiece ids from its vocab, [CLS]/[SEP] from its post-processor, pad from the config', async () => {
  const tok = await loadTokenizer(MINILM);
  const vocab = vocabOf(MINILM);
  const [ids] = await tok.encodeBatch(['Hello World tokenization']);
  assert.ok(vocab['##ization'] !== undefined && vocab['tokenization'] === undefined);
  assert.deepEqual(ids, [vocab['hello'], vocab['world'], vocab['token'], vocab['##ization']]);
  assert.deepEqual([tok.prefixIds, tok.suffixIds], [[vocab['[CLS]']], [vocab['[SEP]']]]);
  assert.deepEqual([tok.pad.token, tok.pad.id, tok.pad.source], ['[PAD]', 0, 'config']);
  assert.equal(tok.eos, undefined);
  assert.equal(tok.identity.name, 'sentence-transformers/all-MiniLM-L6-v2');
});

void test("MiniLM's built-in truncation at 128 and padding are disabled: a 300-token text stays 300", async () => {
  const tok = await loadTokenizer(join(MINILM, 'tokenizer.json'));
  const [ids] = await tok.encodeBatch(['hello '.repeat(300)]);
  assert.equal(ids.length, 300);
  const withSpecials = await tok.native.encode('hello '.repeat(300));
  assert.equal(withSpecials.getLength(), 302);
  const short = await tok.native.encode('hello');
  assert.equal(short.getLength(), 3, 'no padding to 128');
});

void test('identity: sha256 of tokenizer.json; checkCompatible names both tokenizers on a mismatch', async () => {
  const gpt2 = await loadTokenizer(GPT2);
  const minilm = await loadTokenizer(MINILM);
  assert.match(gpt2.identity.sha256, /^[0-9a-f]{64}$/);
  gpt2.checkCompatible({ ...gpt2.identity });
  assert.throws(
    () => minilm.checkCompatible(gpt2.identity),
    (e: unknown) => e instanceof TokenizerMismatchError && e.message.includes('"gpt2"') && e.message.includes('"sentence-transformers/all-MiniLM-L6-v2"'),
  );
  // Same name, different file: still a mismatch.
  assert.throws(() => gpt2.checkCompatible({ ...gpt2.identity, sha256: '0'.repeat(64) }), TokenizerMismatchError);
});

void test('save writes the same tokenizer.json bytes, so a reloaded tokenizer keeps its identity', async () => {
  const tok = await loadTokenizer(MINILM);
  const { dir, cleanup } = tempDir();
  try {
    tok.save(dir);
    const again = await loadTokenizer(dir);
    assert.deepEqual(again.identity, tok.identity);
    again.checkCompatible(tok.identity);
    assert.equal(again.pad.token, '[PAD]');
  } finally {
    cleanup();
  }
});

void test('a folder without tokenizer.json fails clearly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(loadTokenizer(dir), (e: unknown) => e instanceof TokenizerLoadError && /no tokenizer\.json/.test((e as Error).message));
  } finally {
    cleanup();
  }
});
