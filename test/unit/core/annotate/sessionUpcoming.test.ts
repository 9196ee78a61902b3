// AnnotationSession.upcoming(): the items judgements will show from here, worked out before the judgements
// (the views show them while the lines are written). They must agree with what judge() then shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { AnnotationSession, type AnnotationSessionOptions, type ShownItem } from '../../../../src/core/annotate/session';
import type { Verdict } from '../../../../src/core/annotate/record';
import { scratchDir } from '../../../helpers/scratch';

const scratch = scratchDir('rs-annot-upcoming-');

/** `n` A/B lines, a malformed line after the third, and one line of three responses at the end. */
function queue(n: number): string {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    lines.push(JSON.stringify({ prompt: `question ${i}`, response_a: `a longer answer ${i}`, response_b: `short ${i}` }));
    if (i === 3) lines.push('{"prompt": "broken"');
  }
  lines.push(JSON.stringify({ prompt: 'list', responses: ['one', 'two', 'three'] }));
  const file = scratch.file('queue');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function open(queueFile: string, output: string, extra: Partial<AnnotationSessionOptions> = {}): Promise<AnnotationSession> {
  return AnnotationSession.open({ queue: queueFile, output, annotator: 'ana', seed: 7, fsync: false, ...extra });
}

function key(s: ShownItem | undefined): string | undefined {
  return s && `${s.item.id}${s.audit ? ':audit' : ''}`;
}

/** Judges until the queue is done, checking before every judgement that upcoming() names what judge() shows. */
async function judgeThrough(s: AnnotationSession, verdict: (k: number, shown: ShownItem) => Verdict, limit = 200): Promise<number> {
  let k = 0;
  while (s.current) {
    assert.ok(k < limit, 'the queue does not end');
    const shown = s.current;
    const predicted = (await s.upcoming()).items[0];
    await s.judge(verdict(k, shown));
    assert.equal(key(predicted), key(s.current), `judgement ${k + 1}: upcoming() named another item than judge() showed`);
    if (predicted && s.current) {
      assert.deepEqual([predicted.left, predicted.right, predicted.judged], [s.current.left, s.current.right, s.current.judged]);
    }
    k++;
  }
  return k;
}

void test('upcoming() names what judge() shows next, through the whole queue; it moves nothing', async () => {
  const s = await open(queue(8), scratch.file('out'));
  try {
    const first = key(s.current);
    const [up] = (await s.upcoming()).items;
    assert.equal(key((await s.upcoming()).items[0]), key(up), 'asking twice gives the same item');
    assert.equal(key(s.current), first, 'nothing moved');
    assert.notEqual(key(up), first);
    // 8 A/B items and the 3 pairs of the last line; skips and ties included.
    const verdicts: Verdict[] = ['left', 'right', 'tie', 'skip'];
    assert.equal(await judgeThrough(s, (k) => verdicts[k % 4]), 11);
    assert.deepEqual(await s.upcoming(), { items: [], end: true }, 'nothing is shown: nothing follows');
  } finally {
    await s.close();
  }
});

void test('upcoming() after previous(): the item that was shown after it (the forward stack), judged or not', async () => {
  const s = await open(queue(6), scratch.file('out'));
  try {
    const one = s.current!;
    await s.judge('left');
    const two = s.current!;
    await s.judge('right');
    await s.previous();
    await s.previous();
    assert.equal(key(s.current), key(one));
    const [up] = (await s.upcoming()).items;
    assert.equal(key(up), key(two));
    assert.equal(up?.judged?.judgement, 'preference', 'it carries its judgement, as `current` does');
    await s.judge('tie');
    assert.equal(key(s.current), key(two));
    assert.equal(await judgeThrough(s, () => 'left'), 8);
  } finally {
    await s.close();
  }
});

void test('upcoming() with order-swap audits: due audits and the audits left at the end of the queue', async () => {
  const output = scratch.file('out');
  const s = await open(queue(9), output, { audit: { rate: 1, gap: 2 } });
  try {
    let audits = 0;
    const n = await judgeThrough(s, (_k, shown) => {
      if (shown.audit) audits++;
      return 'left';
    });
    // 12 items, each audited once.
    assert.equal(audits, 12);
    assert.equal(n, 24);
    assert.equal(readFileSync(output, 'utf8').trim().split('\n').length, 24);
  } finally {
    await s.close();
  }
});

void test('upcoming() skips items judged earlier (another session, the same annotator)', async () => {
  const q = queue(6);
  const output = scratch.file('out');
  const other = await open(q, output, { seed: 1 });
  await other.judge('left'); // item 1
  await other.next(); // item 2 passed over
  await other.judge('left'); // item 3
  await other.close();
  const s = await open(q, output);
  try {
    assert.equal(s.current?.item.line, 2);
    assert.equal((await s.upcoming()).items[0]?.item.line, 5, 'item 3 (line 3) is judged; line 4 is malformed');
    assert.equal(await judgeThrough(s, () => 'right'), 7);
  } finally {
    await s.close();
  }
});

/** How many predictions of the last judgeThroughAhead() stopped short at an audit of an item judged on the way. */
const unknownAt: number[] = [];

/** Judges until the queue is done; before each judgement, upcoming(count) must name the items judge() then shows. */
async function judgeThroughAhead(s: AnnotationSession, count: number, verdict: (k: number, shown: ShownItem) => Verdict): Promise<number> {
  const seen: Array<string | undefined> = [];
  const predictions: Array<{ at: number; keys: Array<string | undefined>; end: boolean }> = [];
  let k = 0;
  while (s.current) {
    assert.ok(k < 200, 'the queue does not end');
    const u = await s.upcoming(count);
    predictions.push({ at: k, keys: u.items.map(key), end: u.end });
    const shown = s.current;
    await s.judge(verdict(k, shown));
    seen.push(key(s.current));
    k++;
  }
  let cut = 0;
  for (const p of predictions) {
    const actual = seen.slice(p.at, p.at + p.keys.length + 1);
    assert.deepEqual(p.keys, actual.slice(0, p.keys.length), `the items after judgement ${p.at + 1}`);
    if (p.end) assert.equal(actual[p.keys.length], undefined, `nothing after the items predicted at judgement ${p.at + 1}`);
    else if (p.keys.length < count) cut++;
  }
  unknownAt.push(cut);
  return k;
}

void test('upcoming(count): the next items, each as if the one before it were judged; fewer at the end of the queue', async () => {
  const s = await open(queue(8), scratch.file('out'));
  try {
    assert.equal((await s.upcoming(4)).items.length, 4);
    assert.equal(new Set((await s.upcoming(4)).items.map(key)).size, 4, 'no item twice');
    const verdicts: Verdict[] = ['left', 'skip', 'tie', 'right'];
    assert.equal(await judgeThroughAhead(s, 4, (k) => verdicts[k % 4]), 11);
  } finally {
    await s.close();
  }
});

void test('upcoming(count) after previous() (the forward stack, then new items) and with audits falling due on the way', async () => {
  const s = await open(queue(12), scratch.file('out'), { audit: { rate: 0.5, gap: 4 } });
  try {
    for (let i = 0; i < 3; i++) await s.judge('left');
    await s.previous();
    await s.previous();
    const n = await judgeThroughAhead(s, 3, (k) => (k % 3 ? 'left' : 'tie'));
    assert.ok(n > 13, 'audits were shown');
    assert.ok(unknownAt.at(-1)! > 0, 'some predictions stopped where an audit of an item judged on the way comes');
  } finally {
    await s.close();
  }
});
