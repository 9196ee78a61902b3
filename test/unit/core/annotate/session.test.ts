import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AnnotationSession, type AnnotationSessionOptions, type ShownItem } from '../../../../src/core/annotate/session';
import { isTrainingJudgement, type JudgementMeta, type Verdict } from '../../../../src/core/annotate/record';
import { readAllPairs, validateFile } from '../../../../src/core/data/pipeline';
import type { PreferencePair } from '../../../../src/core/data/record';
import { scratchDir } from '../../../helpers/scratch';

const scratch = scratchDir('rs-annot-session-');

/** 20 items: 12 A/B lines, a malformed line, two lines of 3 responses (3 pairs each), two TRL pairs. */
function queue20(): string {
  const lines: string[] = [];
  for (let i = 1; i <= 12; i++) {
    lines.push(JSON.stringify({ prompt: `question ${i}`, response_a: `a long answer number ${i}`, response_b: `short ${i}` }));
  }
  lines.push('{"prompt": "broken", "responses": [');
  lines.push(JSON.stringify({ prompt: 'list 1', responses: ['one', 'two', 'three'] }));
  lines.push(JSON.stringify({ prompt: 'list 2', responses: [[{ role: 'assistant', content: 'x' }], [{ role: 'assistant', content: 'yy' }], [{ role: 'assistant', content: 'zzz' }]] }));
  lines.push(JSON.stringify({ prompt: 'pair 1', chosen: 'kept', rejected: 'dropped' }));
  lines.push(JSON.stringify({ prompt: 'pair 2', chosen: 'yes', rejected: 'no' }));
  const file = scratch.file('queue');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function outputFile(): string {
  return scratch.file('judgements');
}

function clock(): { now: () => number; tick: (ms: number) => void } {
  let t = Date.UTC(2026, 0, 1);
  return { now: () => t, tick: (ms) => (t += ms) };
}

async function open(queue: string, output: string, annotator: string, extra: Partial<AnnotationSessionOptions> = {}): Promise<AnnotationSession> {
  return AnnotationSession.open({ queue, output, annotator, seed: 42, fsync: false, sourceName: 'queue.jsonl', ...extra });
}

function lines(file: string): Array<PreferencePair & { meta: JudgementMeta }> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as PreferencePair & { meta: JudgementMeta });
}

void test('judge 20 items with ties, skips, undo and re-judging; close; reopen resumes; the file holds exactly the expected records', async () => {
  const queue = queue20();
  const output = outputFile();
  const c = clock();
  let s = await open(queue, output, 'ana', { now: c.now });
  const training = new Set<string>();
  const judge = async (verdict: Verdict, strength?: 1 | 2 | 3 | 4, note?: string): Promise<PreferencePair> => {
    const shown = s.current!;
    c.tick(1500);
    const r = await s.judge(verdict, { strength, note });
    const meta = r.meta as JudgementMeta;
    assert.equal(meta.timeOnItemMs, 1500);
    assert.equal(meta.itemId, shown.item.id);
    assert.equal(meta.sourceLine, shown.item.line);
    if (verdict === 'right') {
      assert.equal(r.chosen, shown.right);
      assert.equal(meta.shownOrder, 'chosen-right');
    } else {
      assert.equal(r.chosen, shown.left);
      assert.equal(meta.shownOrder, 'chosen-left');
    }
    if (verdict === 'left' || verdict === 'right') training.add(r.id!);
    return r;
  };

  try {
    assert.equal(s.current?.item.line, 1);
    assert.equal(s.progress().judged, 0);
    const scan = await s.scanned();
    assert.equal(scan?.items, 20);
    assert.equal(s.progress().total, 20);
    assert.deepEqual(s.queueProblems.map((p) => p.line), [13]);

    const first = await judge('left', 4, 'clearly better');
    assert.equal(first.margin, 1);
    assert.equal((first.meta as JudgementMeta).strengthLabel, 'significantly better');
    assert.equal((first.meta as JudgementMeta).note, 'clearly better');
    assert.equal((first.meta as JudgementMeta).orderSeed, 42);
    await judge('right', 2);
    const tie = await judge('tie');
    assert.equal(tie.margin, undefined);
    assert.equal((tie.meta as JudgementMeta).judgement, 'tie');
    await judge('skip');
    const fifth = await judge('left', 1);
    assert.equal(fifth.margin, 0);
    const sixth = await judge('right');
    assert.equal(sixth.margin, undefined);

    // Undo: a retraction line; item 6 is shown again, unjudged.
    assert.equal(s.current?.item.line, 7);
    assert.equal(await s.undo(), true);
    training.delete(sixth.id!);
    assert.equal(s.current?.item.line, 6);
    assert.equal(s.current?.judged, undefined);
    await judge('left', 3);
    assert.equal(s.current?.item.line, 7, 'back where we were before the undo');

    // previous() twice to item 5 (judged), judge it again: one line that retracts the earlier one.
    await s.previous();
    const back = await s.previous();
    assert.equal(back?.item.line, 5);
    assert.equal(back?.judged?.id, fifth.id);
    const again = await judge('right', 2);
    training.delete(fifth.id!);
    assert.equal((again.meta as JudgementMeta).retracts, fifth.id);
    assert.equal(s.current?.item.line, 6, 'forward again through what was already seen');
    assert.equal((await s.next())?.item.line, 7);

    for (let i = 7; i <= 12; i++) await judge(i % 2 ? 'left' : 'right', 3);
    assert.equal(s.progress().judged, 12);
    assert.equal(s.current?.item.line, 14);
  } finally {
    await s.close();
  }

  // Reopen: resumes at the first item ana has not judged — line 14, pair 0.
  s = await open(queue, output, 'ana', { now: c.now, seed: 7 });
  try {
    assert.equal(s.current?.item.line, 14);
    assert.equal(s.current?.item.pairIndex, 0);
    assert.equal(s.progress().judged, 12);
    assert.equal(s.progress().total === undefined || s.progress().total === 20, true);
    // The undo stack is per session: nothing to undo yet.
    assert.equal(await s.undo(), false);
    for (let i = 0; i < 8; i++) await (i === 3 ? judge('tie') : judge('left', 2));
    assert.equal(s.current, undefined, 'the queue is done');
    assert.equal(s.progress().judged, 20);
    await assert.rejects(s.judge('left'), /queue is done/);
  } finally {
    await s.close();
  }

  // The file validates with the data reader (every line a valid TRL pair) …
  const validation = await validateFile(output);
  assert.equal(validation.format, 'trl');
  assert.deepEqual(validation.problems.filter((p) => p.severity === 'error'), []);
  const all = lines(output);
  assert.equal(all.length, 20 + 1 /* item 6 judged twice */ + 1 /* item 5 again */ + 1 /* the retraction */);
  // … the data reader (what training reads) yields exactly the expected training pairs — ties, the
  // skip, the undo and the withdrawn judgements are reported, not read as pairs …
  const { pairs, problems } = await readAllPairs(output);
  assert.deepEqual(new Set(pairs.map((p) => p.pair.id)), training);
  assert.equal(pairs.length, 20 - 2 /* ties */ - 1 /* skip */);
  assert.equal(problems.filter((p) => p.code === 'tie').length, 2);
  assert.equal(problems.filter((p) => p.code === 'not-a-preference').length, 2 /* the skip, the retraction */);
  // … and the annotator's own rules agree with it.
  const retracted = new Set(all.flatMap((r) => (r.meta.retracts ? [r.meta.retracts] : [])));
  const everyLine = all.map((r) => ({ id: r.id, meta: r.meta }));
  const kept = everyLine.filter((r) => isTrainingJudgement(r as never, retracted)).map((r) => r.id);
  assert.deepEqual(new Set(kept), training);
  // Every item of the queue judged exactly once by the rules (one effective judgement per item).
  const effective = new Set(all.filter((r) => r.meta.judgement !== 'retract' && !retracted.has(r.id!)).map((r) => r.meta.itemId));
  assert.equal(effective.size, 20);
});

void test('the A/B order: drawn per item from the seed, the same when going back, and mixed', async () => {
  const queue = queue20();
  const s = await open(queue, outputFile(), 'ana', { seed: 1234 });
  try {
    const seen: ShownItem[] = [];
    for (let i = 0; i < 12; i++) {
      seen.push(s.current!);
      await s.next();
    }
    const flips = seen.filter((x) => x.flipped).length;
    assert.ok(flips > 0 && flips < 12, `flipped ${flips} of 12`);
    for (const x of seen) assert.equal(x.left, x.flipped ? x.item.b : x.item.a);
    await s.previous();
    assert.equal(s.current?.left, seen[11].left);
  } finally {
    await s.close();
  }
});

void test('order-swap audits: shown later with the sides swapped; self-consistency reported', async () => {
  const queue = queue20();
  const output = outputFile();
  const s = await open(queue, output, 'ana', { audit: { rate: 1, gap: 2 } });
  try {
    const chosenOf = new Map<string, unknown>();
    const originals = new Map<string, ShownItem>();
    let audits = 0;
    let consistent = 0;
    for (let step = 0; step < 40 && s.current; step++) {
      const cur = s.current;
      if (cur.audit) {
        audits++;
        const orig = originals.get(cur.item.id)!;
        assert.deepEqual(cur.left, orig.right, 'sides swapped');
        assert.deepEqual(cur.right, orig.left);
        // Consistent on every other audit: pick the response chosen before; else press left again.
        const want = chosenOf.get(cur.item.id);
        const same = (x: unknown): boolean => JSON.stringify(x) === JSON.stringify(want);
        const verdict: Verdict = audits % 2 ? (same(cur.left) ? 'left' : 'right') : 'left';
        if (same(verdict === 'left' ? cur.left : cur.right)) consistent++;
        const r = await s.judge(verdict);
        assert.deepEqual((r.meta as JudgementMeta).audit, { of: cur.item.id, swapped: true });
      } else {
        assert.ok(!originals.has(cur.item.id));
        originals.set(cur.item.id, cur);
        chosenOf.set(cur.item.id, cur.left);
        await s.judge('left');
      }
    }
    assert.equal(s.current, undefined);
    assert.equal(audits, 20);
    assert.deepEqual(s.progress().audits, { done: 20, pending: 0 });
    const report = s.report().annotators[0];
    assert.equal(report.audits.n, 20);
    assert.equal(report.audits.consistent, consistent);
    assert.equal(report.audits.sameSide, 20 - consistent);
    // Audits are never training pairs.
    const all = lines(output);
    assert.equal(all.filter((r) => isTrainingJudgement(r, new Set())).length, 20);
  } finally {
    await s.close();
  }
});

void test('several annotators: each resumes on their own; agreement across them; undo keeps the other lines', async () => {
  const queue = queue20();
  const output = outputFile();
  const ana = await open(queue, output, 'ana');
  const bo = await open(queue, output, 'bo', { seed: 99 });
  try {
    const picks = new Map<string, unknown>();
    for (let i = 0; i < 4; i++) {
      picks.set(ana.current!.item.id, ana.current!.left);
      await ana.judge('left');
    }
    // bo prefers the same responses as ana on the first three items and the other one on the fourth.
    for (let i = 0; i < 4; i++) {
      const cur = bo.current!;
      const same = i < 3;
      const anaPick = picks.get(cur.item.id);
      await bo.judge((cur.left === anaPick) === same ? 'left' : 'right');
    }
    const bosLine = lines(output).at(-1)!;
    assert.equal(await ana.undo(), true); // appended after bo's lines
    const after = lines(output);
    assert.equal(after.length, 9);
    assert.ok(after.some((r) => r.id === bosLine.id));

    const report = await ana.refresh();
    assert.deepEqual(report.added.map((e) => e.annotator), ['bo', 'bo', 'bo', 'bo']);
    const r = ana.report();
    // ana's 4th was undone: three items in common, all agreeing.
    assert.equal(r.agreement.items, 3);
    assert.equal(r.agreement.percent, 1);
    assert.equal(r.annotators.length, 2);
  } finally {
    await ana.close();
    await bo.close();
  }
});

void test('outside edits: a hand-deleted line is noticed and can be restored; a replaced file is followed', async () => {
  const queue = queue20();
  const output = outputFile();
  const ana = await open(queue, output, 'ana');
  const bo = await open(queue, output, 'bo');
  try {
    const a1 = await ana.judge('left');
    await ana.judge('right');
    await bo.judge('tie');

    // A hand edit: delete ana's first line, in place (same file, rewritten shorter).
    const kept = readFileSync(output, 'utf8').split('\n').filter((l) => l && !l.includes(a1.id!));
    writeFileSync(output, kept.join('\n') + '\n');
    let report = await ana.refresh();
    assert.equal(report.reindexed, true);
    assert.deepEqual(report.removed, [a1.id]);
    assert.deepEqual(report.lost, [a1.id]);
    assert.equal(ana.progress().judged, 1);
    assert.equal(await ana.restore(), 1);
    assert.equal(ana.progress().judged, 2);
    assert.equal(lines(output).length, 3);
    assert.deepEqual((await ana.refresh()).lost, []);

    // Another window's lines, appended while ana looks at an item.
    await bo.judge('left');
    report = await ana.refresh();
    assert.equal(report.reindexed, false);
    assert.equal(report.added.length, 1);
    assert.equal(report.added[0].annotator, 'bo');

    // git checkout / save-by-rename: the file is replaced. Judgements follow the new file; nothing of ours is lost
    // when the new version has them.
    const replacement = output + '.new';
    writeFileSync(replacement, readFileSync(output));
    renameSync(replacement, output);
    await ana.judge('left');
    report = await ana.refresh();
    assert.equal(report.reindexed, true);
    assert.deepEqual(report.lost, []);
    assert.equal(ana.progress().judged, 3);
    assert.equal(lines(output).length, 5);

    // A line in progress (no newline yet) is not reported as bad; a broken complete line is, and stays.
    writeFileSync(output, readFileSync(output, 'utf8') + '{"prompt": "half\n');
    await ana.refresh();
    assert.deepEqual(ana.outputProblems.map((p) => p.code), ['invalid-json']);
    await ana.judge('left');
    assert.equal(ana.progress().judged, 4);
  } finally {
    await ana.close();
    await bo.close();
  }
});

void test('the same annotator in two windows: an item judged in the other window is skipped', async () => {
  const queue = queue20();
  const output = outputFile();
  const w1 = await open(queue, output, 'ana');
  const w2 = await open(queue, output, 'ana');
  try {
    assert.equal(w1.current?.item.line, 1);
    await w2.judge('left'); // item 1
    await w2.judge('left'); // item 2
    await w1.refresh();
    assert.ok(w1.current?.judged, 'the item on screen shows the other window\'s judgement');
    assert.equal((await w1.next())?.item.line, 3);
    assert.equal(w1.progress().judged, 2);
  } finally {
    await w1.close();
    await w2.close();
  }
});

void test('bad arguments', async () => {
  const queue = queue20();
  await assert.rejects(open(queue, outputFile(), '  '), /annotator/);
  await assert.rejects(open(queue, outputFile(), 'ana', { audit: { rate: 2 } }), /audit.rate/);
  const s = await open(queue, outputFile(), 'ana');
  try {
    await assert.rejects(s.judge('tie', { strength: 2 }), /no strength/);
    await assert.rejects(s.judge('left', { strength: 5 as 1 }), /strength/);
    assert.equal(s.progress().judged, 0);
  } finally {
    await s.close();
  }
});

void test('goToLine: a record opened from the editor is shown to be judged again; previous() goes back; a line with no item moves nothing', async () => {
  const queue = queue20();
  const output = outputFile();
  const s = await open(queue, output, 'ana');
  try {
    const first = s.current!;
    assert.equal(first.item.line, 1);
    const shown = await s.goToLine(16);
    assert.equal(shown?.item.line, 16);
    assert.equal(shown?.item.prompt, 'pair 1');
    assert.deepEqual(new Set([shown?.left, shown?.right]), new Set(['kept', 'dropped']));
    // A ranked line: its second pair.
    const second = await s.goToLine(14, 1);
    assert.equal(second?.item.line, 14);
    assert.equal(second?.item.pairIndex, 1);
    // The malformed line and a line past the end have no item: the shown item stays.
    assert.equal(await s.goToLine(13), undefined);
    assert.equal(await s.goToLine(99), undefined);
    assert.equal(s.current?.item.line, 14);
    // Judged there, the record is written like any other judgement.
    await s.judge(second!.flipped ? 'right' : 'left');
    const written = lines(output);
    assert.equal(written.length, 1);
    assert.equal(written[0].prompt, 'list 1');
    assert.equal((await s.previous())?.item.line, 14);
    assert.equal((await s.previous())?.item.line, 16);
    assert.equal((await s.previous())?.item.line, 1);
  } finally {
    await s.close();
  }
});
