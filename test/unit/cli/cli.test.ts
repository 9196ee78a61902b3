import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { COMMANDS, runCli } from '../../../src/cli/main';
import { tempDir } from '../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function write(name: string, lines: unknown[]): string {
  const f = join(tmp.dir, name);
  writeFileSync(f, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return f;
}

const clean = write('clean.jsonl', [
  { prompt: 'p1', chosen: 'long answer', rejected: 'no', id: 'a' },
  { prompt: 'p2', chosen: 'ok', rejected: 'a much longer reply', custom: { keep: [1, 2] } },
]);
const dirty = write('dirty.jsonl', [{ prompt: 'p1', chosen: 'x', rejected: 'y' }, '{"prompt": "p", "chosen": 3, "rejected": "y"}', '{oops']);

test('validate: exit 0 on a clean file, 1 with problems, 2 on usage errors', async () => {
  assert.equal((await cli('validate', clean)).code, 0);
  const bad = await cli('validate', dirty);
  assert.equal(bad.code, 1);
  assert.match(bad.out, new RegExp(`${dirty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: error: .*\\(at chosen\\)`));
  assert.match(bad.out, /:3:2: error: not valid JSON/);
  assert.equal((await cli('validate')).code, 2);
  assert.equal((await cli('validate', clean, '--bogus')).code, 2);
  assert.equal((await cli('validate', clean, '--from', 'nope')).code, 2);
});

test('validate --json prints [{file, line, column, path, message}] for every file', async () => {
  const r = await cli('validate', '--json', clean, dirty, join(tmp.dir, 'missing.jsonl'));
  assert.equal(r.code, 1);
  const problems = JSON.parse(r.out) as Array<Record<string, unknown>>;
  assert.ok(problems.length >= 3);
  for (const p of problems) {
    for (const k of ['file', 'line', 'column', 'path', 'message']) assert.ok(k in p, `missing ${k}`);
  }
  const chosen = problems.find((p) => p.path === 'chosen')!;
  assert.equal(chosen.line, 2);
  assert.equal(chosen.column, '{"prompt": "p", "chosen": '.length + 1);
  assert.ok(problems.some((p) => p.file === join(tmp.dir, 'missing.jsonl') && /no such file/.test(String(p.message))));
});

test('stats --json has records, invalid, duplicates, chosenLongerRate', async () => {
  const r = await cli('stats', '--json', dirty);
  assert.equal(r.code, 0);
  const s = JSON.parse(r.out) as Record<string, number>;
  assert.equal(s.records, 1);
  assert.equal(s.invalid, 2);
  assert.equal(s.duplicates, 0);
  assert.equal(s.chosenLongerRate, 0);
  const human = await cli('stats', clean);
  assert.match(human.out, /length-only baseline accuracy 50\.0%/);
});

test('convert writes TRL JSONL, keeps unknown fields, never overwrites the input or an existing file', async () => {
  const hh = write('hh.jsonl', [{ chosen: '\n\nHuman: hi\n\nAssistant: hello there', rejected: '\n\nHuman: hi\n\nAssistant: go away', source_id: 12345678901234567890 }]);
  // JSON.stringify cannot write that integer exactly; put the literal in by hand.
  writeFileSync(hh, readFileSync(hh, 'utf8').replace(/"source_id":[0-9e+.]+/, '"source_id":12345678901234567890'));
  const out = join(tmp.dir, 'hh.trl.jsonl');
  const r = await cli('convert', hh, '--out', out);
  assert.equal(r.code, 0, r.err);
  const line = readFileSync(out, 'utf8').trim();
  assert.deepEqual(JSON.parse(line.replace('12345678901234567890', '0')), { prompt: '\n\nHuman: hi\n\nAssistant:', chosen: 'hello there', rejected: 'go away', source_id: 0 });
  assert.ok(line.includes('"source_id":12345678901234567890'), 'big integer kept verbatim: ' + line);
  assert.equal((await cli('convert', hh, '--out', out)).code, 1, 'existing output without --force');
  assert.equal((await cli('convert', hh, '--out', out, '--force')).code, 0);
  const before = readFileSync(hh);
  const inPlace = await cli('convert', hh, '--out', hh, '--force');
  assert.equal(inPlace.code, 1);
  assert.match(inPlace.err, /never rewrites your data in place/);
  assert.deepEqual(readFileSync(hh), before);
  assert.equal((await cli('convert', hh, '--out', out, '--to', 'csv')).code, 2);
  const partial = await cli('convert', dirty, '--out', join(tmp.dir, 'dirty.trl.jsonl'));
  assert.equal(partial.code, 1, 'skipped lines give exit 1');
  assert.match(partial.err, /2 lines skipped/);
});

test('split writes train/eval and a manifest', async () => {
  const d = join(tmp.dir, 'splitout');
  const r = await cli('split', clean, '--eval-fraction', '0.5', '--out-dir', d, '--seed', '3');
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(d, 'train.jsonl')) && existsSync(join(d, 'eval.jsonl')) && existsSync(join(d, 'split.json')));
  assert.equal((await cli('split', clean, '--eval-fraction', '2', '--out-dir', d)).code, 2);
  assert.equal((await cli('split', clean, '--out-dir', d)).code, 2);
});

test('synth writes a planted-reward set and reports the attainable accuracy', async () => {
  const f = join(tmp.dir, 'synth.jsonl');
  const r = await cli('synth', '--out', f, '--n', '50', '--seed', '4');
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(f, 'utf8').trim().split('\n').length, 50);
  assert.match(r.err, /attainable accuracy \(the planted reward itself\) \d+\.\d%/);
  assert.equal((await cli('synth', '--out', f)).code, 1, 'refuses to overwrite');
  assert.equal((await cli('validate', f)).code, 0);
});

test('help on each command, suggestions for typos', async () => {
  for (const c of COMMANDS) {
    const r = await cli(c.name, '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`^Usage: reward-studio ${c.name}`));
  }
  const top = await cli('--help');
  assert.equal(top.code, 0);
  for (const c of COMMANDS) assert.match(top.out, new RegExp(`\\b${c.name}\\b`));
  const typo = await cli('valdiate', clean);
  assert.equal(typo.code, 2);
  assert.match(typo.err, /Did you mean 'validate'/);
  const opt = await cli('split', clean, '--eval-fration', '0.1', '--out-dir', 'x');
  assert.equal(opt.code, 2);
  assert.match(opt.err, /Did you mean --eval-fraction\?/);
});
