import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promptGroupKey, splitFile, splitHash, splitSideOf } from '../../../../src/core/data/split';
import { DataError } from '../../../../src/core/data/problems';
import { tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

function records(n: number, promptsEvery = 3): string[] {
  // Several pairs per prompt, so grouping matters; odd spacing and key order to check byte-exact copies.
  return Array.from({ length: n }, (_, i) => `{"rejected": "r${i}",  "prompt": "prompt ${Math.floor(i / promptsEvery)}", "chosen": "c${i}", "x": ${i}}`);
}

test('splitHash is uniform enough and deterministic', () => {
  let below = 0;
  for (let i = 0; i < 20000; i++) if (splitHash(`k${i}`, 's') < 0.2) below++;
  assert.ok(Math.abs(below / 20000 - 0.2) < 0.015, `share ${below / 20000}`);
  assert.equal(splitHash('abc', 1), splitHash('abc', '1'));
  assert.notEqual(splitHash('abc', 1), splitHash('abc', 2));
});

test('no prompt on both sides; lines copied byte for byte; manifest written', async () => {
  const src = join(tmp.dir, 'data.jsonl');
  const lines = records(300);
  writeFileSync(src, lines.join('\n') + '\n');
  const out = join(tmp.dir, 'split1');
  const s = await splitFile(src, out, { evalFraction: 0.25, seed: 'abc' });
  const train = readFileSync(join(out, 'train.jsonl'), 'utf8').split('\n').filter(Boolean);
  const evalLines = readFileSync(join(out, 'eval.jsonl'), 'utf8').split('\n').filter(Boolean);
  assert.equal(train.length + evalLines.length, 300);
  assert.deepEqual([...train, ...evalLines].sort(), [...lines].sort(), 'every line copied exactly once, unchanged');
  const promptsOf = (ls: string[]): Set<string> => new Set(ls.map((l) => (JSON.parse(l) as { prompt: string }).prompt));
  const both = [...promptsOf(train)].filter((p) => promptsOf(evalLines).has(p));
  assert.deepEqual(both, []);
  assert.ok(evalLines.length > 30 && evalLines.length < 130, `eval share plausible: ${evalLines.length}`);
  assert.equal(s.eval.lines, evalLines.length);
  const manifest = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { seed: string; evalFraction: number };
  assert.equal(manifest.seed, 'abc');
  assert.equal(manifest.evalFraction, 0.25);
});

test('adding records does not move old ones', async () => {
  const lines = records(200);
  const more = [...lines, ...records(500).slice(200)];
  const a = join(tmp.dir, 'a.jsonl');
  const b = join(tmp.dir, 'b.jsonl');
  writeFileSync(a, lines.join('\n') + '\n');
  writeFileSync(b, more.join('\n') + '\n');
  await splitFile(a, join(tmp.dir, 'sa'), { evalFraction: 0.3 });
  await splitFile(b, join(tmp.dir, 'sb'), { evalFraction: 0.3 });
  const evalA = readFileSync(join(tmp.dir, 'sa', 'eval.jsonl'), 'utf8').split('\n').filter(Boolean);
  const evalB = new Set(readFileSync(join(tmp.dir, 'sb', 'eval.jsonl'), 'utf8').split('\n').filter(Boolean));
  for (const l of evalA) assert.ok(evalB.has(l), `moved: ${l}`);
  const trainA = readFileSync(join(tmp.dir, 'sa', 'train.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const l of trainA) assert.ok(!evalB.has(l), `moved to eval: ${l}`);
});

test('refuses to overwrite outputs without force; rejects a bad fraction', async () => {
  const src = join(tmp.dir, 'c.jsonl');
  writeFileSync(src, records(10).join('\n'));
  const out = join(tmp.dir, 'sc');
  await splitFile(src, out, { evalFraction: 0.5 });
  await assert.rejects(splitFile(src, out, { evalFraction: 0.5 }), (e: unknown) => e instanceof DataError && /--force/.test(e.message));
  await splitFile(src, out, { evalFraction: 0.5 }, { force: true });
  assert.ok(!existsSync(join(out, `train.jsonl.tmp-${process.pid}`)));
  await assert.rejects(splitFile(src, join(tmp.dir, 'sd'), { evalFraction: 1.5 }), /between 0 and 1/);
});

test('grouping key: prompt text; conversations by role and content; promptless pairs by their responses', () => {
  const conv = { prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'assistant', content: 'a' }], rejected: [{ role: 'assistant', content: 'b' }] };
  assert.equal(promptGroupKey(conv), promptGroupKey({ ...conv, chosen: 'x', rejected: 'y' }));
  assert.notEqual(promptGroupKey(conv), promptGroupKey({ ...conv, prompt: [{ role: 'system', content: 'hi' }] }));
  const np = { prompt: '', chosen: 'a', rejected: 'b' };
  assert.equal(promptGroupKey(np), promptGroupKey({ prompt: '', chosen: 'b', rejected: 'a' }));
  assert.equal(splitSideOf(np, { evalFraction: 0 }), 'train');
  assert.equal(splitSideOf(np, { evalFraction: 1 }), 'eval');
});
