/**
 * Crash safety with real processes: children append to one file and are killed with SIGKILL at random
 * moments; after each kill the file must hold every acknowledged record intact, exactly once, and
 * nothing written before the kill may have changed. Seeded: set APPEND_CRASH_SEED to replay a run.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { AppendWriter } from '../../../../src/core/data/appendWriter';
import {
  checksum,
  mulberry32,
  recordFor,
  recordLineBytes,
  type ChildOptions,
  type CrashRecord,
} from '../../../helpers/appendChild';

const CHILD = path.join(__dirname, '..', '..', '..', 'helpers', 'appendChild.js');
const NL = 0x0a;
const SEED = process.env.APPEND_CRASH_SEED
  ? Number(process.env.APPEND_CRASH_SEED)
  : Math.floor(Math.random() * 2 ** 31);
const ROUNDS = 40;

const root = mkdtempSync(path.join(tmpdir(), 'append-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Ack {
  id: string;
  offset: number;
  bytes: number;
}

interface Child {
  tag: string;
  /** Resolves once the child has opened the file. */
  ready: Promise<void>;
  /** Everything the child acknowledged, and how it ended. */
  finished: Promise<{
    acks: Ack[];
    error?: string;
    done: boolean;
    signal: NodeJS.Signals | null;
    code: number | null;
    stderr: string;
  }>;
  kill(): void;
}

function startChild(opts: ChildOptions, shellPrefix?: string): Child {
  const args = [CHILD, JSON.stringify(opts)];
  const proc = shellPrefix
    ? spawn('/bin/sh', ['-c', `${shellPrefix} && exec "$0" "$@"`, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Ack[] = [];
  let error: string | undefined;
  let done = false;
  let stderr = '';
  let pending = '';
  let onReady: () => void = () => undefined;
  let onNotReady: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onNotReady = rej;
  });
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line === 'ready') onReady();
      else if (line === 'done') done = true;
      else if (line.startsWith('error ')) error = line.slice(6);
      else {
        const [id, offset, bytes] = line.split(' ');
        acks.push({ id, offset: Number(offset), bytes: Number(bytes) });
      }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => (stderr += chunk));
  const finished = new Promise<Awaited<Child['finished']>>((resolve) => {
    proc.on('close', (code, signal) => {
      onNotReady(
        new Error(`child ${opts.tag} ended before it was ready (code ${code}, signal ${signal}): ${stderr}`),
      );
      resolve({ acks, error, done, signal, code, stderr });
    });
  });
  return { tag: opts.tag, ready, finished, kill: () => proc.kill('SIGKILL') };
}

/** The file's complete lines (with their start offsets) and the unterminated tail after the last '\n'. */
function splitLines(
  data: Buffer,
  from = 0,
): { lines: Array<{ at: number; bytes: Buffer }>; tail: Buffer; tailAt: number } {
  const lines: Array<{ at: number; bytes: Buffer }> = [];
  let start = from;
  for (let nl = data.indexOf(NL, start); nl >= 0; nl = data.indexOf(NL, start)) {
    lines.push({ at: start, bytes: data.subarray(start, nl) });
    start = nl + 1;
  }
  return { lines, tail: data.subarray(start), tailAt: start };
}

/** A complete, parseable record line with a valid checksum — or undefined. */
function validRecord(line: Buffer): CrashRecord | undefined {
  try {
    const rec = JSON.parse(line.toString('utf8')) as CrashRecord;
    if (
      typeof rec.payload !== 'string' ||
      checksum(rec.payload) !== rec.sum ||
      rec.id !== `${rec.tag}-${rec.seq}`
    ) {
      return undefined;
    }
    return rec;
  } catch {
    return undefined;
  }
}

const isPrefixOf = (part: Buffer, whole: Buffer) =>
  part.length <= whole.length && whole.subarray(0, part.length).equals(part);

/** Payload size range a child was started with. */
interface Sizes {
  minChars?: number;
  maxChars?: number;
}

const lineOf = (tag: string, seq: number, sizes: Sizes = {}) =>
  recordLineBytes(recordFor(SEED, tag, seq, sizes.minChars, sizes.maxChars));

/** Every acknowledgement points at its record's exact line, preceded by a newline. */
function assertAcksIntact(data: Buffer, tag: string, acks: Ack[], sizes: Sizes = {}): void {
  const seed = SEED;
  acks.forEach((ack, seq) => {
    assert.equal(ack.id, `${tag}-${seq}`, `acknowledgements of ${tag} come in order (seed ${seed})`);
    const expected = lineOf(tag, seq, sizes);
    assert.equal(ack.bytes, expected.length, `acknowledged size of ${ack.id}`);
    assert.ok(ack.offset === 0 || data[ack.offset - 1] === NL, `${ack.id} starts a line (seed ${seed})`);
    assert.ok(
      data.subarray(ack.offset, ack.offset + ack.bytes).equals(expected),
      `${ack.id} is intact at its offset (seed ${seed})`,
    );
  });
}

void describe('AppendWriter under SIGKILL', () => {
  void it(`keeps every acknowledged record through ${ROUNDS} kills of a writer appending to one file`, async (t) => {
    t.diagnostic(`seed ${SEED} (set APPEND_CRASH_SEED=${SEED} to replay)`);
    const file = path.join(root, 'single.jsonl');
    const rand = mulberry32(SEED);
    const count = new Map<string, number>(); // id -> complete valid lines holding it
    let prev = Buffer.alloc(0);
    let stableEnd = 0; // the file up to here is complete lines already checked
    let acked = 0;
    let partialTails = 0; // kills that left part of a record in flight
    let tornLines = 0; // of those, lines that stay unparseable once the next round ended them
    let unackedComplete = 0; // records written whole but killed before the acknowledgement
    let injected = 0; // partial lines the test wrote itself (see below)
    let tailInjected = false;
    const allAcks: Array<[string, Ack[]]> = [];

    for (let round = 0; round < ROUNDS; round++) {
      const tag = `r${round}`;
      const child = startChild({ file, seed: SEED, tag, fsync: round % 2 === 0 });
      await child.ready;
      // Kill at a random moment: some as the first append starts, most within 120 ms (a few dozen records).
      await sleep(rand() < 0.15 ? rand() * 5 : rand() * 120);
      child.kill();
      const run = await child.finished;
      assert.equal(run.signal, 'SIGKILL', `the child died only by our kill: ${run.error ?? run.stderr}`);

      const data = readFileSync(file);
      const where = `round ${round}, seed ${SEED}`;
      assert.ok(
        data.subarray(0, prev.length).equals(prev),
        `nothing written before the kill changed (${where})`,
      );
      const { lines, tail, tailAt } = splitLines(data, stableEnd);
      const hadTail = prev.length > stableEnd;
      // After a partial line, anything new starts with the newline that ends it.
      const tailIsOld = hadTail && tailAt === stableEnd;
      if (tailIsOld) {
        assert.equal(data.length, prev.length, `nothing was glued to the partial line (${where})`);
      }

      let seq = 0;
      lines.forEach((line, i) => {
        const rec = validRecord(line.bytes);
        if (i === 0 && hadTail) {
          // The previous round's partial line, ended now: kept as it was (the prefix check proved it).
          if (rec) count.set(rec.id, (count.get(rec.id) ?? 0) + 1);
          else if (!tailInjected) tornLines++;
          return;
        }
        assert.ok(
          rec,
          `line at byte ${line.at} is a complete valid record (${where}): ${line.bytes.subarray(0, 80).toString()}`,
        );
        assert.equal(
          rec.id,
          `${tag}-${seq}`,
          `records of one writer are in order, none lost or repeated (${where})`,
        );
        count.set(rec.id, (count.get(rec.id) ?? 0) + 1);
        seq++;
      });
      const k = run.acks.length;
      assert.ok(
        seq === k || seq === k + 1,
        `${seq} records written, ${k} acknowledged: at most the one in flight is unacknowledged (${where})`,
      );
      if (seq === k + 1) unackedComplete++;
      assertAcksIntact(data, tag, run.acks);
      allAcks.push([tag, run.acks]);

      const newTail = tailIsOld ? Buffer.alloc(0) : tail;
      if (newTail.length > 0) {
        // Only the record in flight may be cut short, and only as a prefix of its own bytes.
        assert.equal(
          seq,
          k,
          `a partial line only when the record in flight was not written whole (${where})`,
        );
        assert.ok(
          isPrefixOf(newTail, lineOf(tag, k)),
          `the partial line is the start of ${tag}-${k} (${where})`,
        );
        partialTails++;
      }
      for (const [id, c] of count) assert.equal(c, 1, `${id} is in the file once (${where})`);
      acked += k;
      tailInjected &&= tailIsOld;
      prev = data;
      stableEnd = data.lastIndexOf(NL) + 1;

      // A kill lands inside a write only now and then (the copy takes microseconds), so some rounds also
      // leave the start of a record the way another program killed mid-write would: the next round must
      // end it without changing a byte, as it must a partial line its predecessor left.
      if (prev.length === stableEnd && rand() < 0.2) {
        const line = lineOf(`x${round}`, 0);
        appendFileSync(file, line.subarray(0, 1 + Math.floor(rand() * (line.length - 2))));
        prev = readFileSync(file);
        injected++;
        tailInjected = true;
      }
    }

    // Every acknowledged record of every round is still there, at its offset.
    const final = readFileSync(file);
    for (const [tag, acks] of allAcks) assertAcksIntact(final, tag, acks);
    assert.ok(tornLines <= partialTails && partialTails <= ROUNDS);
    assert.ok(acked > ROUNDS, `the children got to append (${acked} acknowledged)`);
    t.diagnostic(
      `${ROUNDS} kills, ${acked} acknowledged records, ${(final.length / 1e6).toFixed(1)} MB; ` +
        `${partialTails} kills left a partial line (${tornLines} stayed unparseable), ` +
        `${unackedComplete} records written whole but not acknowledged; ${injected} partial lines written by the test itself`,
    );
  });

  void it('keeps two concurrent writers out of each other’s lines, killed at random moments', async (t) => {
    t.diagnostic(`seed ${SEED}`);
    const rand = mulberry32(SEED ^ 0x2c0ffee);
    const file = path.join(root, 'two-killed.jsonl');
    const children = ['A', 'B'].map((tag) => startChild({ file, seed: SEED, tag, fsync: tag === 'A' }));
    await Promise.all(children.map((c) => c.ready));
    const killAt = children.map(() => 150 + rand() * 600);
    await Promise.all(
      children.map(async (c, i) => {
        await sleep(killAt[i]);
        c.kill();
      }),
    );
    const runs = await Promise.all(children.map((c) => c.finished));
    runs.forEach((r) => assert.equal(r.signal, 'SIGKILL', r.error ?? r.stderr));
    const report = checkTwoWriters(
      readFileSync(file),
      children.map((c, i) => ({ tag: c.tag, acks: runs[i].acks, killed: true })),
    );
    assert.ok(report.acked >= 4, `both children got to append (${report.acked} acknowledged)`);
    t.diagnostic(
      `${report.acked} acknowledged, ${report.lines} lines; ${report.torn} partial lines, ` +
        `${report.glued} of them followed on their line by a record another writer then wrote again; ${report.blank} blank lines`,
    );
  });

  void it('keeps two concurrent writers of records up to 200 KB out of each other’s lines', async (t) => {
    const file = path.join(root, 'two.jsonl');
    const limit = 60;
    const children = ['A', 'B'].map((tag) =>
      startChild({ file, seed: SEED, tag, fsync: false, limit, minChars: 20_000, maxChars: 200_000 }),
    );
    const runs = await Promise.all(children.map((c) => c.finished));
    runs.forEach((r) => assert.ok(r.done && r.code === 0, r.error ?? r.stderr));
    const data = readFileSync(file);
    const report = checkTwoWriters(
      data,
      children.map((c, i) => ({
        tag: c.tag,
        acks: runs[i].acks,
        killed: false,
        sizes: { minChars: 20_000 },
      })),
    );
    assert.equal(report.acked, 2 * limit);
    assert.equal(report.lines, 2 * limit, 'every line is one whole record');
    t.diagnostic(
      `${report.acked} records, ${(data.length / 1e6).toFixed(1)} MB, no line shared; ${report.blank} blank lines`,
    );
  });

  void it(
    'leaves a short write (file size limit) as a partial line, unacknowledged, that the next append ends',
    { skip: process.platform === 'win32' || !existsSync('/bin/sh') },
    async () => {
      const file = path.join(root, 'fsize.jsonl');
      // ulimit -f: 64 blocks (512 or 1024 bytes, per shell); each record is 20 000 characters (~24 KB).
      const child = startChild(
        { file, seed: SEED, tag: 'L', fsync: false, limit: 100, minChars: 20_000, maxChars: 20_000 },
        'ulimit -f 64',
      );
      const run = await child.finished;
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.error, 'the append that hit the limit failed');
      assert.match(run.error, /^EFBIG .*fsize\.jsonl.*not saved/);
      const before = readFileSync(file);
      const sizes = { minChars: 20_000, maxChars: 20_000 };
      assertAcksIntact(before, 'L', run.acks, sizes);
      const { lines, tail } = splitLines(before);
      assert.equal(lines.length, run.acks.length, 'only acknowledged records are whole');
      assert.ok(tail.length > 0, 'the short write left part of the record');
      assert.ok(isPrefixOf(tail, lineOf('L', run.acks.length, sizes)));

      const w = await AppendWriter.open(file);
      const r = await w.append({ after: 'the limit' });
      await w.close();
      const afterData = readFileSync(file);
      assert.ok(afterData.subarray(0, before.length).equals(before), 'the partial line keeps every byte');
      assert.equal(afterData.subarray(before.length).toString(), '\n{"after":"the limit"}\n');
      assert.equal(r.repairedUnterminated, true);
    },
  );
});

/**
 * The file two writers shared: every line is blank, a whole valid record, or the start of the record a
 * killed writer had in flight — possibly followed, on the same line, by a whole record of the other
 * writer that checked the file's end just before that partial write landed (unavoidable without a lock;
 * the writer notices, does not acknowledge that copy and writes the record again). Every acknowledged
 * record is whole, once, at its offset.
 */
function checkTwoWriters(
  data: Buffer,
  writers: Array<{ tag: string; acks: Ack[]; killed: boolean; sizes?: Sizes }>,
): { acked: number; lines: number; torn: number; glued: number; blank: number } {
  const { lines, tail } = splitLines(data);
  const seqs = new Map<string, number[]>(writers.map((w) => [w.tag, []]));
  const tornBy = new Map<string, number>();
  let torn = 0;
  let glued = 0;
  let blank = 0;
  let valid = 0;
  const inFlight = (w: (typeof writers)[number]) => lineOf(w.tag, w.acks.length, w.sizes);

  const partial = (bytes: Buffer, where: string): void => {
    // A record's bytes hold no '{' after the first: the next '{' starts another writer's record.
    const next = bytes.indexOf('{', 1);
    const part = next > 0 ? bytes.subarray(0, next) : bytes;
    const owner = writers.find((w) => w.killed && isPrefixOf(part, inFlight(w)));
    assert.ok(
      owner,
      `${where} is the start of a record in flight at a kill (seed ${SEED}): ${bytes.subarray(0, 80).toString()}`,
    );
    tornBy.set(owner.tag, (tornBy.get(owner.tag) ?? 0) + 1);
    assert.equal(tornBy.get(owner.tag), 1, `one partial line per killed writer (seed ${SEED})`);
    torn++;
    if (next > 0) {
      // The other writer's record, whole (it then wrote it again), or itself cut short by its own kill.
      const rest = bytes.subarray(next);
      const rec = validRecord(rest);
      if (rec)
        assert.notEqual(
          rec.tag,
          owner.tag,
          `a partial record is followed only by another writer's (seed ${SEED})`,
        );
      else partial(rest, `${where}, after a partial record,`);
      glued++;
    }
  };

  for (const line of lines) {
    if (line.bytes.length === 0) {
      blank++; // Both writers saw an unterminated end and each wrote a newline before its record.
      continue;
    }
    const rec = validRecord(line.bytes);
    if (rec) {
      valid++;
      const list = seqs.get(rec.tag);
      assert.ok(list, `unknown writer ${rec.tag}`);
      list.push(rec.seq);
    } else {
      partial(line.bytes, `line at byte ${line.at}`);
    }
  }
  if (tail.length > 0) partial(tail, 'the unterminated last line');

  let acked = 0;
  for (const w of writers) {
    const list = seqs.get(w.tag) ?? [];
    const k = w.acks.length;
    assert.deepEqual(
      list,
      Array.from({ length: list.length }, (_, i) => i),
      `${w.tag}'s records in order, each once (seed ${SEED})`,
    );
    assert.ok(
      list.length === k || (w.killed && list.length === k + 1),
      `${w.tag}: ${list.length} written, ${k} acknowledged`,
    );
    if (list.length === k + 1)
      assert.ok(!tornBy.has(w.tag), `${w.tag}'s record in flight is either whole or cut short, not both`);
    if (!w.killed) assert.equal(torn, 0, 'no partial lines without a kill');
    assertAcksIntact(data, w.tag, w.acks, w.sizes);
    acked += k;
  }
  return { acked, lines: valid, torn, glued, blank };
}
