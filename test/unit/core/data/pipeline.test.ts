import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { PreferenceFileReader, computeStats, readAllPairs, validateFile } from '../../../../src/core/data/pipeline';
import { DataError } from '../../../../src/core/data/problems';
import { tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

function write(name: string, content: string | Buffer): string {
  const f = join(tmp.dir, name);
  writeFileSync(f, content);
  return f;
}

const good = (i: number): string => JSON.stringify({ prompt: `question ${i}?`, chosen: `a good answer ${i}`, rejected: `bad ${i}` });

test('bad lines are reported at file:line:column with the field path, and skipped', async () => {
  const lines = [
    good(1),
    '',
    '{"prompt": "q", "chosen": "a", "rejected": ', // cut short
    good(2),
    '{"prompt": "q3", "chosen": "a3", "rejected": 42}', // wrong type
    '   ',
    '[1, 2]', // not an object
    good(3),
  ];
  const f = write('mixed.jsonl', lines.join('\n') + '\n');
  const r = await validateFile(f);
  assert.equal(r.format, 'trl');
  assert.equal(r.records, 3);
  const byLine = new Map(r.problems.map((p) => [p.line, p]));
  const cut = byLine.get(3)!;
  assert.equal(cut.code, 'invalid-json');
  assert.equal(cut.column, lines[2].length + 1, 'error at the end of the cut-short line');
  assert.match(cut.message, /cut short/);
  const wrong = byLine.get(5)!;
  assert.equal(wrong.code, 'wrong-type');
  assert.equal(wrong.path, 'rejected');
  assert.equal(wrong.column, lines[4].indexOf('42') + 1, 'column points at the offending value');
  assert.equal(byLine.get(7)!.code, 'not-an-object');
  assert.equal(r.problems.length, 3);
});

test('BOM, CRLF, blank lines and a last line with no newline are read', async () => {
  const body = '\ufeff' + [good(1), '', good(2), good(3)].join('\r\n');
  const f = write('crlf.jsonl', body);
  const reader = await PreferenceFileReader.open(f);
  const lines: number[] = [];
  for await (const item of reader.items()) if (item.kind === 'pair') lines.push(item.line);
  assert.deepEqual(lines, [1, 3, 4]);
  assert.equal(reader.counters.blankLines, 1);
  assert.equal(reader.counters.lines, 4);
});

test('an unterminated, cut-off last line is reported as such', async () => {
  const f = write('cut.jsonl', good(1) + '\n' + good(2).slice(0, 20));
  const r = await validateFile(f);
  assert.equal(r.records, 1);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].line, 2);
  assert.match(r.problems[0].message, /no newline/);
});

test('invalid UTF-8 is located, and the rest of the file still opens', async () => {
  const bad = Buffer.concat([Buffer.from('{"prompt": "caf'), Buffer.from([0xff]), Buffer.from('", "chosen": "a", "rejected": "b"}')]);
  const f = write('utf8.jsonl', Buffer.concat([Buffer.from(good(1) + '\n'), bad, Buffer.from('\n' + good(2) + '\n')]));
  const r = await validateFile(f);
  assert.equal(r.records, 2);
  assert.equal(r.problems[0].code, 'invalid-utf8');
  assert.equal(r.problems[0].line, 2);
  assert.equal(r.problems[0].column, 16); // the bad byte follows 15 characters
});

test('quality warnings: empty side, identical sides, duplicate, contradiction', async () => {
  const recs = [
    { prompt: 'p', chosen: 'a', rejected: 'b' },
    { prompt: 'p', chosen: '', rejected: 'b' },
    { prompt: 'p', chosen: 'same', rejected: 'same' },
    { prompt: 'p', chosen: 'a', rejected: 'b' },
    { prompt: 'p', chosen: 'b', rejected: 'a' },
  ];
  const f = write('quality.jsonl', recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = await validateFile(f);
  const codes = r.problems.map((p) => `${p.line}:${p.code}`);
  assert.deepEqual(codes, ['2:empty-side', '3:identical-sides', '4:duplicate', '5:contradiction']);
  assert.match(r.problems[2].message, /line 1/);
  assert.ok(r.problems.every((p) => p.severity === 'warning'));
  const s = await computeStats(f);
  assert.equal(s.duplicates, 1);
  assert.equal(s.identical, 1);
  assert.equal(s.emptySides, 1);
  assert.equal(s.contradictions, 1);
});

test('stats: lengths, chosen-longer rate and the length baseline', async () => {
  const recs = [
    { prompt: 'p1', chosen: 'aaaa', rejected: 'b' }, // longer
    { prompt: 'p2', chosen: 'a', rejected: 'bbbb' }, // shorter
    { prompt: 'p3', chosen: 'aa', rejected: 'bb' }, // equal
    { prompt: 'p1', chosen: 'ccccc', rejected: 'dd', meta: { annotator: 'ann' } }, // longer
  ];
  const f = write('stats.jsonl', recs.map((r) => JSON.stringify(r)).join('\n'));
  const s = await computeStats(f);
  assert.equal(s.records, 4);
  assert.equal(s.prompts, 3);
  assert.equal(s.chosenLongerRate, 0.5);
  assert.equal(s.equalLengthRate, 0.25);
  assert.equal(s.lengthBaselineAccuracy, 0.625);
  assert.equal(s.lengths.chosen.max, 5);
  assert.equal(s.lengths.chosen.min, 1);
  assert.equal(s.lengths.chosen.p50, 2);
  assert.deepEqual(s.annotators, [{ annotator: 'ann', records: 1, chosenLongerRate: 1 }]);
  assert.equal(s.lengths.chosen.histogram.counts.reduce((a, b) => a + b, 0), 4);
  assert.deepEqual(s.lengths.chosen.histogram.edges, s.lengths.rejected.histogram.edges);
});

test('gzip input is read transparently', async () => {
  const f = write('data.jsonl.gz', gzipSync(Buffer.from([good(1), good(2)].join('\n') + '\n')));
  const { pairs } = await readAllPairs(f);
  assert.equal(pairs.length, 2);
  assert.equal(pairs[1].pair.chosen, 'a good answer 2');
});

test('a JSON array export is read element by element with line numbers', async () => {
  const f = write('export.json', '[\n  ' + good(1) + ',\n  ' + good(2) + '\n]\n');
  const { pairs } = await readAllPairs(f);
  assert.deepEqual(pairs.map((p) => p.line), [2, 3]);
  // A field problem inside an indented element points at the field's own column.
  const bad = '{"prompt": "q", "chosen": 7, "rejected": "r"}';
  const g = write('export-bad.json', '[\n  ' + good(1) + ',\n    ' + bad + '\n]\n');
  const v = await validateFile(g);
  assert.equal(v.problems.length, 1);
  assert.equal(v.problems[0].line, 3);
  assert.equal(v.problems[0].column, 5 + bad.indexOf('7'));
});

test('a file with no readable record fails with a clear error', async () => {
  const f = write('garbage.jsonl', 'not json at all\n');
  await assert.rejects(PreferenceFileReader.open(f), (e: unknown) => e instanceof DataError && /format cannot be detected/.test(e.message) && e.problems[0].line === 1);
  await assert.rejects(PreferenceFileReader.open(join(tmp.dir, 'missing.jsonl')), /no such file/);
  const empty = write('empty.jsonl', '\n\n');
  await assert.rejects(PreferenceFileReader.open(empty), /holds no records/);
});

test('forcing a format reports records of another shape precisely', async () => {
  const f = write('forced.jsonl', good(1) + '\n');
  const r = await validateFile(f, { from: 'nemo-aligner' });
  assert.equal(r.format, 'nemo-aligner');
  assert.equal(r.records, 0);
  assert.ok(r.problems.length >= 1);
  assert.ok(r.problems.every((p) => p.line === 1 && p.severity === 'error'));
});
