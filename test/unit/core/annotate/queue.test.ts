import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnotationQueue, itemIdOf, pairIndices, parseQueueLine, type QueueItem } from '../../../../src/core/annotate/queue';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rs-annot-queue-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function allItems(q: AnnotationQueue): Promise<QueueItem[]> {
  const out: QueueItem[] = [];
  for (let r = 0; r < q.records; r++) out.push(...(await q.itemsAt(r)));
  return out;
}

void test('pairing strategies: all pairs i<j, or neighbours', () => {
  assert.deepEqual(pairIndices(4, 'all'), [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
  assert.deepEqual(pairIndices(4, 'adjacent'), [[0, 1], [1, 2], [2, 3]]);
  assert.deepEqual(pairIndices(2, 'all'), [[0, 1]]);
  assert.deepEqual(pairIndices(2, 'adjacent'), [[0, 1]]);
});

void test('the three shapes, detected per line', () => {
  const list = parseQueueLine({ prompt: 'p', responses: ['x', 'y', 'z'] }, 'adjacent');
  assert.equal(list.shape, 'responses');
  assert.deepEqual(list.pairs.map((p) => [p.a, p.b, p.indices]), [['x', 'y', [0, 1]], ['y', 'z', [1, 2]]]);

  const ab = parseQueueLine({ prompt: [{ role: 'user', content: 'hi' }], response_a: 'x', response_b: [{ role: 'assistant', content: 'y' }] }, 'all');
  assert.equal(ab.shape, 'ab');
  assert.equal(ab.pairs.length, 1);
  // One form per pair, as TRL needs: the text response becomes an assistant message.
  assert.deepEqual(ab.pairs[0].a, [{ role: 'assistant', content: 'x' }]);
  const mixed = parseQueueLine({ prompt: 'hi', responses: [[{ role: 'assistant', content: 'x' }], 'y'] }, 'all');
  assert.deepEqual(mixed.pairs[0].prompt, [{ role: 'user', content: 'hi' }]);
  assert.deepEqual(mixed.pairs[0].b, [{ role: 'assistant', content: 'y' }]);

  // An existing TRL pair, implicit prompt split off as training would.
  const trl = parseQueueLine({ chosen: 'Q: why? A: because', rejected: 'Q: why? A: no' }, 'all');
  assert.equal(trl.shape, 'pair');
  assert.equal(trl.pairs[0].prompt, 'Q: why? A: ');
  assert.equal(trl.pairs[0].a, 'because');
});

void test('malformed lines are problems, with what is wrong', () => {
  const cases: Array<[unknown, string, string]> = [
    [[1, 2], 'not-an-object', ''],
    [{ prompt: 'p', responses: ['only one'] }, 'invalid-value', 'responses'],
    [{ prompt: 'p', responses: 'x' }, 'wrong-type', 'responses'],
    [{ prompt: 'p', responses: ['x', 3] }, 'wrong-type', 'responses[1]'],
    [{ responses: ['x', 'y'] }, 'missing-field', 'prompt'],
    [{ prompt: 'p', response_a: 'x' }, 'missing-field', 'response_b'],
    [{ prompt: 'p', chosen: 'x' }, 'missing-field', 'rejected'],
    [{ text: 'hello' }, 'unknown-format', ''],
  ];
  for (const [value, code, path] of cases) {
    const parsed = parseQueueLine(value, 'all');
    assert.equal(parsed.pairs.length, 0, JSON.stringify(value));
    assert.equal(parsed.problem?.code, code, JSON.stringify(value));
    assert.equal(parsed.problem?.path, path, JSON.stringify(value));
  }
});

void test('item ids: the same pair to the same prompt is the same item, in any order, file or line', () => {
  assert.equal(itemIdOf('p', 'x', 'y'), itemIdOf('p', 'y', 'x'));
  assert.notEqual(itemIdOf('p', 'x', 'y'), itemIdOf('q', 'x', 'y'));
  assert.notEqual(itemIdOf('p', 'x', 'y'), itemIdOf('p', 'x', 'z'));
  assert.match(itemIdOf('p', 'x', 'y'), /^[0-9a-f]{32}$/);
});

void test('a queue file: malformed lines listed with their line numbers and skipped; the rest opens', async () => {
  const file = write('q.jsonl', [
    JSON.stringify({ prompt: 'p1', responses: ['a', 'b', 'c'] }),
    '{"prompt": "p2", "response_a": "x"',
    '',
    JSON.stringify({ prompt: 'p3', response_a: 'x', response_b: 'y' }),
    JSON.stringify({ prompt: 'p4', responses: ['only'] }),
    JSON.stringify({ prompt: 'p5', chosen: 'good', rejected: 'bad' }),
  ]);
  const q = await AnnotationQueue.open(file, { pairing: 'all' });
  try {
    const items = await allItems(q);
    assert.deepEqual(items.map((i) => [i.line, i.pairIndex, i.shape]), [
      [1, 0, 'responses'],
      [1, 1, 'responses'],
      [1, 2, 'responses'],
      [4, 0, 'ab'],
      [6, 0, 'pair'],
    ]);
    assert.deepEqual(items[2].responseIndices, [1, 2]);
    assert.deepEqual(q.problems.map((p) => [p.line, p.code]), [[2, 'invalid-json'], [5, 'invalid-value']]);
    assert.equal(q.problems[0].file, file);

    const scan = await q.scan();
    assert.equal(scan.items, 5);
    assert.equal(scan.lines, 3);
    assert.equal(scan.problems.length, 2);

    // itemFrom with a skip predicate walks over lines and pairs.
    const next = await q.itemFrom({ record: 0, pair: 1 }, (i) => i.line === 1);
    assert.equal(next?.item.line, 4);
    assert.deepEqual(next?.at, { record: 2, pair: 0 });
    assert.equal(await q.itemFrom({ record: 99, pair: 0 }), undefined);
  } finally {
    await q.close();
  }
});

void test('ids do not depend on the line: inserting lines above keeps every id', async () => {
  const a = write('a.jsonl', [JSON.stringify({ prompt: 'p', response_a: 'x', response_b: 'y' })]);
  const b = write('b.jsonl', [JSON.stringify({ prompt: 'other', response_a: '1', response_b: '2' }), JSON.stringify({ prompt: 'p', chosen: 'y', rejected: 'x' })]);
  const qa = await AnnotationQueue.open(a);
  const qb = await AnnotationQueue.open(b);
  try {
    assert.equal((await qa.itemsAt(0))[0].id, (await qb.itemsAt(1))[0].id);
  } finally {
    await qa.close();
    await qb.close();
  }
});

void test('itemFrom: a long walk (past the line-by-line reads) finds the same item by one sequential read', async () => {
  const lines: string[] = [];
  for (let i = 1; i <= 300; i++) {
    lines.push(i === 150 ? 'not json' : JSON.stringify({ prompt: `p${i}`, responses: ['x', 'y', 'z'] }));
    if (i % 50 === 0) lines.push('');
  }
  const file = write('long.jsonl', lines);
  const q = await AnnotationQueue.open(file, { pairing: 'adjacent' });
  try {
    const skipUntil = (line: number, pair: number) => (i: QueueItem) => i.line < line || (i.line === line && i.pairIndex < pair);
    // Blank lines after every 50 items shift physical lines from records; the walk must map them back.
    for (const [line, pair] of [[2, 1], [205, 1], [305, 0]] as const) {
      const found = await q.itemFrom({ record: 0, pair: 0 }, skipUntil(line, pair));
      assert.equal(found?.item.line, line);
      assert.equal(found?.item.pairIndex, pair);
      assert.equal(q.records > found!.at.record, true);
      const again = await q.itemsAt(found!.at.record);
      assert.equal(again[found!.at.pair].id, found!.item.id);
    }
    assert.equal(await q.itemFrom({ record: 0, pair: 0 }, () => true), undefined);
    assert.ok(q.problems.some((p) => p.code === 'invalid-json'));
  } finally {
    await q.close();
  }
});
