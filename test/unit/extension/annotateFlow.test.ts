// The annotation views' flow over a real session (src/extension/annotate/annotationFlow.ts: no vscode):
// the next item shown ahead of the write, confirmed by the state after it; what a failed write or an
// outside change does to it; judgements only ever of the item on screen, each written once.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { test } from 'node:test';
import type { JudgeOptions } from '../../../src/core/annotate/session';
import { AnnotationSession } from '../../../src/core/annotate/session';
import type { Verdict } from '../../../src/core/annotate/record';
import { AnnotationFlow, MAX_AHEAD, NEXT_ITEM_CHANGED, REFUSE_KEYS_MS, type FlowSession } from '../../../src/extension/annotate/annotationFlow';
import type { AnnotateAdvance, AnnotateState } from '../../../src/protocol/annotate';
import { scratchDir } from '../../helpers/scratch';

const scratch = scratchDir('rs-annot-flow-');

function queueFile(n = 6): string {
  const file = scratch.file('queue');
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `question ${i + 1}`, response_a: `a longer answer ${i + 1}`, response_b: `short ${i + 1}` }));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function openSession(queue: string, output: string): Promise<AnnotationSession> {
  return AnnotationSession.open({ queue, output, annotator: 'ana', seed: 3, fsync: false, scan: false });
}

/** The real session, with judge() held back (a slow disk) or failing once (a full one) on request. */
class ControlledSession implements FlowSession {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  failNext: Error | undefined;

  constructor(readonly real: AnnotationSession) {}

  get annotator(): string {
    return this.real.annotator;
  }
  get current(): AnnotationSession['current'] {
    return this.real.current;
  }
  get queueProblems(): AnnotationSession['queueProblems'] {
    return this.real.queueProblems;
  }

  /** Holds every judge() from now until release(). */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async judge(verdict: Verdict, opts?: JudgeOptions): ReturnType<AnnotationSession['judge']> {
    if (this.gate) await this.gate;
    const failure = this.failNext;
    if (failure) {
      this.failNext = undefined;
      throw failure;
    }
    return this.real.judge(verdict, opts);
  }

  upcoming: AnnotationSession['upcoming'] = (count) => this.real.upcoming(count);
  undo: AnnotationSession['undo'] = () => this.real.undo();
  next: AnnotationSession['next'] = () => this.real.next();
  previous: AnnotationSession['previous'] = () => this.real.previous();
  goToLine: AnnotationSession['goToLine'] = (line, pair) => this.real.goToLine(line, pair);
  refresh: AnnotationSession['refresh'] = () => this.real.refresh();
  restore: AnnotationSession['restore'] = (ids) => this.real.restore(ids);
  progress: AnnotationSession['progress'] = () => this.real.progress();
  report: AnnotationSession['report'] = () => this.real.report();
  setGuidelineSha256: AnnotationSession['setGuidelineSha256'] = (sha) => this.real.setGuidelineSha256(sha);
}

type Event = { advance: AnnotateAdvance } | { state: AnnotateState };

interface Setup {
  flow: AnnotationFlow;
  session: ControlledSession;
  output: string;
  queue: string;
  events: Event[];
  clock: { t: number };
  close(): Promise<void>;
}

async function setup(): Promise<Setup> {
  const queue = queueFile();
  const output = scratch.file('judged');
  const session = new ControlledSession(await openSession(queue, output));
  const events: Event[] = [];
  const clock = { t: 1_000_000 };
  const flow: AnnotationFlow = new AnnotationFlow(session, { queueName: 'queue.jsonl', outputName: 'judged.jsonl', now: () => clock.t }, {
    changed: () => events.push({ state: flow.state() }),
    advance: (message) => events.push({ advance: message }),
    log: () => undefined,
  });
  await flow.prepare();
  return { flow, session, output, queue, events, clock, close: async () => (await flow.close(), await session.real.close()) };
}

function written(output: string): Array<{ meta: { judgement: string; strength?: number; note?: string; itemId: string; retracts?: string } }> {
  if (!existsSync(output)) return [];
  return readFileSync(output, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as never);
}

function advances(events: Event[]): Array<{ from: string; to: string | undefined }> {
  return events.flatMap((e) => ('advance' in e ? [{ from: e.advance.from, to: e.advance.item?.key }] : []));
}

function lastState(events: Event[]): AnnotateState {
  const states = events.flatMap((e) => ('state' in e ? [e.state] : []));
  assert.ok(states.length > 0, 'no state was posted');
  return states[states.length - 1];
}

test('a judgement shows the next item before its line is written; states meanwhile show it; the state after the write confirms it', async () => {
  const t = await setup();
  try {
    const x = t.flow.shownKey()!;
    t.session.hold();
    const done = t.flow.judge('left');
    // At once, before the write: the views are told the next item.
    const [a] = advances(t.events);
    assert.equal(a.from, x);
    assert.ok(a.to && a.to !== x);
    const meanwhile = t.flow.state();
    assert.equal(meanwhile.item?.key, a.to, 'a state posted during the write (a draft echo, a reload) shows the item ahead');
    assert.equal(meanwhile.progress.judged, 0, 'progress counts written judgements only');
    assert.equal(meanwhile.canUndo, true);
    assert.equal(written(t.output).length, 0);
    t.session.release();
    await done;
    const confirmed = lastState(t.events);
    assert.equal(confirmed.item?.key, a.to);
    assert.equal(confirmed.progress.judged, 1);
    assert.equal(confirmed.error, undefined);
    assert.equal(written(t.output).length, 1);
    assert.equal(written(t.output)[0].meta.itemId, x.replace(/:audit$/, ''));
    assert.equal(advances(t.events).length, 1);
  } finally {
    await t.close();
  }
});

test('keys faster than the writes: each judgement is of the item on screen, with its own draft; the next is shown as soon as the write before it is done', async () => {
  const t = await setup();
  try {
    const x = t.flow.shownKey()!;
    t.flow.setStrength(3);
    t.flow.setDraft(x, 3, 'why x');
    t.session.hold();
    const first = t.flow.judge('left');
    const y = t.flow.shownKey()!;
    assert.notEqual(y, x);
    // On the item shown ahead, before x's line is written: a strength and a note. x's write keeps them.
    t.flow.setStrength(2);
    t.flow.setDraft(undefined, 2, 'why y');
    t.session.release();
    await first;
    assert.deepEqual(t.flow.state().draft, { strength: 2, note: 'why y' });
    // Two keys while y's line is being written: z, then the item after it, are shown at once.
    t.session.hold();
    const second = t.flow.judge('right');
    const z = t.flow.shownKey()!;
    const third = t.flow.judge('left');
    assert.deepEqual(advances(t.events).map((a) => a.from), [x, y, z]);
    assert.equal(t.flow.state().progress.judged, 1);
    t.session.release();
    await Promise.all([second, third]);
    const shown = advances(t.events);
    assert.deepEqual(shown.map((a) => a.from), [x, y, z]);
    const lines = written(t.output);
    assert.deepEqual(lines.map((l) => [l.meta.itemId, l.meta.judgement, l.meta.strength, l.meta.note]), [
      [x, 'preference', 3, 'why x'],
      [y, 'preference', 2, 'why y'],
      [z, 'preference', undefined, undefined],
    ]);
    const s = lastState(t.events);
    assert.equal(s.item?.key, shown[2].to);
    assert.equal(s.progress.judged, 3);
    assert.deepEqual(s.draft, { note: '' });
  } finally {
    await t.close();
  }
});

test(`at most ${MAX_AHEAD} judgements ahead of the file: a key beyond waits for a write, then shows its item`, async () => {
  const t = await setup();
  try {
    t.session.hold();
    const keys: Array<Promise<void>> = [];
    const on: string[] = [];
    for (let i = 0; i <= MAX_AHEAD; i++) {
      on.push(t.flow.shownKey()!);
      keys.push(t.flow.judge(i % 2 ? 'left' : 'right'));
    }
    assert.equal(advances(t.events).length, MAX_AHEAD, 'the last key is not shown ahead yet');
    assert.equal(t.flow.shownKey(), on[MAX_AHEAD]);
    t.session.release();
    await Promise.all(keys);
    assert.deepEqual(advances(t.events).map((a) => a.from), on);
    assert.deepEqual(written(t.output).map((l) => l.meta.itemId), on);
    assert.equal(lastState(t.events).progress.judged, MAX_AHEAD + 1);
    // The judgements queued behind one another leave their state to the last of them.
    const states = t.events.filter((e) => 'state' in e);
    assert.ok(states.length < MAX_AHEAD + 1, `${states.length} states for ${MAX_AHEAD + 1} judgements written in a burst`);
  } finally {
    await t.close();
  }
});

test('a failed write: the judged item again with the error and its draft; the key pressed on the item ahead is dropped; keys wait until a view shows the item', async () => {
  const t = await setup();
  try {
    const x = t.flow.shownKey()!;
    t.flow.setDraft(x, 4, 'keep me');
    t.session.failNext = new Error('ENOSPC: no space left on device');
    t.session.hold();
    const first = t.flow.judge('left');
    const y = t.flow.shownKey();
    assert.notEqual(y, x);
    const second = t.flow.judge('right'); // pressed on y, before the failure was known
    assert.equal(advances(t.events).length, 2, 'y and the item after it were shown ahead');
    t.session.release();
    await Promise.all([first, second]);
    let s = lastState(t.events);
    assert.equal(s.item?.key, x, 'the item of the failed write is shown again');
    assert.match(s.error ?? '', /ENOSPC/);
    assert.deepEqual(s.draft, { strength: 4, note: 'keep me' });
    assert.equal(s.progress.judged, 0);
    assert.equal(written(t.output).length, 0, 'the judgement meant for y was not made of x');
    // A key now may have been pressed while y was still on screen: not taken until a view shows x.
    await t.flow.judge('tie');
    t.flow.viewShows(y ?? null);
    await t.flow.judge('tie');
    assert.equal(written(t.output).length, 0);
    assert.match(t.flow.state().error ?? '', /ENOSPC/, 'the error stays on screen');
    t.flow.viewShows(x);
    await t.flow.judge('tie');
    assert.deepEqual(written(t.output).map((l) => [l.meta.itemId, l.meta.judgement, l.meta.strength, l.meta.note]), [[x, 'tie', undefined, 'keep me']]);
    s = lastState(t.events);
    assert.equal(s.error, undefined);
    assert.equal(s.progress.judged, 1);
  } finally {
    await t.close();
  }
});

test('after a failed write, keys are taken again after a while without any view', async () => {
  const t = await setup();
  try {
    const x = t.flow.shownKey()!;
    t.session.failNext = new Error('EIO');
    await t.flow.judge('left');
    await t.flow.judge('left');
    assert.equal(written(t.output).length, 0);
    t.clock.t += REFUSE_KEYS_MS;
    await t.flow.judge('left');
    assert.deepEqual(written(t.output).map((l) => l.meta.itemId), [x]);
  } finally {
    await t.close();
  }
});

test('the judgements file changed during the write (another window judged the item ahead): the item now due is shown, with a notice', async () => {
  const t = await setup();
  try {
    t.session.hold();
    const done = t.flow.judge('left');
    const y = t.flow.shownKey()!;
    const other = await openSession(t.queue, t.output);
    await other.next();
    assert.equal(other.current?.item.id, y);
    await other.judge('right');
    await other.close();
    t.session.release();
    await done;
    const s = lastState(t.events);
    assert.ok(s.item && s.item.key !== y, 'y is judged (in the other window): the next item is shown');
    assert.equal(s.notice, NEXT_ITEM_CHANGED);
    assert.equal(written(t.output).length, 2);
  } finally {
    await t.close();
  }
});

test('a click naming an item no longer current judges nothing (a double click); undo during a write takes that judgement back', async () => {
  const t = await setup();
  try {
    const x = t.flow.shownKey()!;
    await Promise.all([t.flow.judge('left', x), t.flow.judge('left', x)]);
    assert.equal(written(t.output).length, 1);
    const y = t.flow.shownKey()!;
    t.session.hold();
    const judged = t.flow.judge('right');
    const undone = t.flow.undo();
    t.session.release();
    await Promise.all([judged, undone]);
    const lines = written(t.output);
    assert.deepEqual(lines.map((l) => l.meta.judgement), ['preference', 'preference', 'retract']);
    assert.equal(lines[1].meta.itemId, y);
    const s = lastState(t.events);
    assert.equal(s.item?.key, y, 'undo shows the item again');
    assert.equal(s.progress.judged, 1);
  } finally {
    await t.close();
  }
});

test('previous and next are not shown ahead; a judgement after them is', async () => {
  const t = await setup();
  try {
    const x = t.flow.shownKey()!;
    await t.flow.judge('left');
    const y = t.flow.shownKey()!;
    await t.flow.move('previous');
    assert.equal(t.flow.shownKey(), x);
    await t.flow.move('next');
    assert.equal(t.flow.shownKey(), y);
    await t.flow.move('previous');
    const before = advances(t.events).length;
    await t.flow.judge('tie');
    const a = advances(t.events);
    assert.equal(a.length, before + 1);
    assert.deepEqual(a[a.length - 1], { from: x, to: y }, 'judged again, x leads back to y');
    assert.equal(t.flow.shownKey(), y);
    assert.deepEqual(written(t.output).map((l) => [l.meta.itemId, l.meta.judgement]), [[x, 'preference'], [x, 'tie']]);
  } finally {
    await t.close();
  }
});

test('edited guidelines: the views show the new text; judgements from then on record its sha256, the ones asked for before keep the old', async () => {
  const t = await setup();
  try {
    t.session.hold();
    const before = t.flow.judge('left');
    const changed = t.flow.setGuidelines({ name: 'guide.md', markdown: '# New', sha256: 'b'.repeat(64) });
    t.session.release();
    await Promise.all([before, changed]);
    const s = lastState(t.events);
    assert.deepEqual(s.guidelines, { name: 'guide.md', markdown: '# New', sha256: 'b'.repeat(64) });
    assert.match(s.notice ?? '', /guidelines \(guide\.md\) changed/);
    await t.flow.judge('right');
    await t.flow.setGuidelines(undefined);
    assert.equal(t.flow.state().guidelines, undefined);
    await t.flow.judge('tie');
    const sha = (l: unknown): unknown => (l as { meta: { guidelineSha256?: string } }).meta.guidelineSha256;
    assert.deepEqual(written(t.output).map(sha), [undefined, 'b'.repeat(64), undefined]);
  } finally {
    await t.close();
  }
});

test("a refresh queued between keys (the watcher seeing this session's own lines) does not hold the next item back", async () => {
  const t = await setup();
  try {
    t.session.hold();
    const first = t.flow.judge('left');
    const refreshed = t.flow.refresh();
    const second = t.flow.judge('left');
    assert.equal(advances(t.events).length, 2);
    t.session.release();
    await Promise.all([first, refreshed, second]);
    assert.equal(written(t.output).length, 2);
    assert.equal(lastState(t.events).notice, undefined);
  } finally {
    await t.close();
  }
});
