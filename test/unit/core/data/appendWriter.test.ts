import { strict as assert } from 'node:assert';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { AppendError, AppendWriter, type AppendResult } from '../../../../src/core/data/appendWriter';
import { DataError } from '../../../../src/core/data/problems';

const root = mkdtempSync(path.join(tmpdir(), 'append-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'data.jsonl'): string => {
  const dir = path.join(root, `t${n++}`);
  mkdirSync(dir);
  return path.join(dir, name);
};

/** The file's lines, the trailing '' after the last '\n' dropped. */
function lines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a newline');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/** The record's line is at `offset`, complete, at the start of a line. */
function assertAt(file: string, r: { offset: number; bytes: number }, record: unknown): void {
  const data = readFileSync(file);
  if (r.offset > 0) assert.equal(data[r.offset - 1], 0x0a, 'a newline precedes the record');
  assert.equal(data.subarray(r.offset, r.offset + r.bytes).toString('utf8'), `${JSON.stringify(record)}\n`);
}

void describe('AppendWriter', () => {
  void it('creates the file and appends records in order, one line each, with their offsets', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    const recs = [{ a: 1 }, { b: 'two' }, { c: [3] }];
    const results: AppendResult[] = [];
    for (const r of recs) results.push(await w.append(r));
    await w.close();
    assert.deepEqual(
      lines(file).map((l) => JSON.parse(l) as unknown),
      recs,
    );
    assert.deepEqual(
      results.map((r) => [r.offset, r.bytes, r.repairedUnterminated]),
      [
        [0, 8, false],
        [8, 12, false],
        [20, 10, false],
      ],
    );
    recs.forEach((rec, i) => assertAt(file, results[i], rec));
  });

  void it('appends after what an existing file holds, from a new writer', async () => {
    const file = fresh();
    writeFileSync(file, '{"old":1}\n');
    const w = await AppendWriter.open(file);
    const r = await w.append({ new: 2 });
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"old":1}\n{"new":2}\n');
    assert.deepEqual(r, { offset: 10, bytes: 10, repairedUnterminated: false });
  });

  void it('writes into an empty file without a leading newline', async () => {
    const file = fresh();
    writeFileSync(file, '');
    const w = await AppendWriter.open(file);
    const r = await w.append({ x: 1 });
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"x":1}\n');
    assert.equal(r.offset, 0);
    assert.equal(r.repairedUnterminated, false);
  });

  void it('ends an unterminated last line with a newline and keeps every byte of it', async () => {
    const file = fresh();
    const before = Buffer.from('{"a":1}\n{"partial":', 'utf8');
    writeFileSync(file, before);
    const w = await AppendWriter.open(file);
    const r1 = await w.append({ b: 2 });
    const r2 = await w.append({ c: 3 });
    await w.close();
    const after = readFileSync(file);
    assert.ok(after.subarray(0, before.length).equals(before), 'the partial line is byte-identical');
    assert.equal(after.subarray(before.length).toString('utf8'), '\n{"b":2}\n{"c":3}\n');
    assert.deepEqual(r1, { offset: before.length + 1, bytes: 8, repairedUnterminated: true });
    assert.deepEqual(r2, { offset: before.length + 9, bytes: 8, repairedUnterminated: false });
  });

  void it('keeps an unterminated line that is complete JSON (a crash before the newline) as its own line', async () => {
    const file = fresh();
    writeFileSync(file, '{"a":1}');
    const w = await AppendWriter.open(file);
    await w.append({ b: 2 });
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"a":1}\n{"b":2}\n');
  });

  void it('treats CRLF line ends as terminated', async () => {
    const file = fresh();
    writeFileSync(file, '{"a":1}\r\n');
    const w = await AppendWriter.open(file);
    const r = await w.append({ b: 2 });
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"a":1}\r\n{"b":2}\n');
    assert.equal(r.repairedUnterminated, false);
  });

  void it('follows the path when the file is replaced by a rename while open', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    await w.append({ first: 1 });
    // What git checkout or a save-by-rename does: a new file takes the name, the old one goes away.
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, '{"replaced":true}\n');
    const moved = `${file}.old`;
    renameSync(file, moved);
    renameSync(tmp, file);
    const r = await w.append({ second: 2 });
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"replaced":true}\n{"second":2}\n');
    assert.equal(readFileSync(moved, 'utf8'), '{"first":1}\n', 'nothing more went into the old file');
    assertAt(file, r, { second: 2 });
  });

  void it('recreates the file when it was deleted while open', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    await w.append({ first: 1 });
    unlinkSync(file);
    const r = await w.append({ second: 2 });
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"second":2}\n');
    assert.equal(r.offset, 0);
  });

  void it('appendLine writes a pre-serialised line and rejects line breaks without writing anything', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    await w.appendLine('{"ok":1}');
    for (const bad of ['{"a":1}\n{"b":2}', '{"a":1}\r', '{"a":\r\n1}', '\n', '']) {
      await assert.rejects(w.appendLine(bad), TypeError, JSON.stringify(bad));
    }
    await assert.rejects(w.appendLine('{"a":"\ud800"}'), /surrogate/);
    await w.appendLine('{"ok":2}');
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"ok":1}\n{"ok":2}\n');
  });

  void it('append escapes newlines inside strings, so a record is always one line', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    const rec = { text: 'line one\nline two\r\nthree\u2028four' };
    await w.append(rec);
    await w.close();
    const ls = lines(file);
    assert.equal(ls.length, 1);
    assert.deepEqual(JSON.parse(ls[0]), rec);
  });

  void it('rejects values that are not JSON, and keeps going', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    await assert.rejects(w.append(undefined), TypeError);
    await assert.rejects(w.append({ n: 1n }), TypeError);
    await w.append({ ok: true });
    await w.close();
    assert.equal(readFileSync(file, 'utf8'), '{"ok":true}\n');
  });

  void it('serialises a record when append() is called, not when it is written', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    const rec = { label: 'chosen-left' };
    const pending = [w.append({ before: 1 }), w.append(rec)];
    rec.label = 'changed after the call';
    await Promise.all(pending);
    await w.close();
    assert.deepEqual(lines(file)[1], '{"label":"chosen-left"}');
  });

  void it('keeps call order for 200 concurrent append() calls', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => w.append({ i, pad: 'x'.repeat(i * 37) })),
    );
    await w.close();
    assert.deepEqual(
      lines(file).map((l) => (JSON.parse(l) as { i: number }).i),
      Array.from({ length: 200 }, (_, i) => i),
    );
    for (let i = 1; i < results.length; i++) assert.ok(results[i].offset > results[i - 1].offset);
    results.forEach((r, i) => assertAt(file, r, { i, pad: 'x'.repeat(i * 37) }));
  });

  void it('keeps every line whole with two writers on one file in one process, and reports true offsets', async () => {
    const file = fresh();
    const [a, b] = await Promise.all([AppendWriter.open(file), AppendWriter.open(file)]);
    const rec = (w: string, i: number) => ({ w, i, pad: w.repeat(1 + ((i * 7919) % 5000)) });
    const calls: Array<Promise<{ offset: number; bytes: number }>> = [];
    for (let i = 0; i < 100; i++) calls.push(a.append(rec('a', i)), b.append(rec('b', i)));
    const results = await Promise.all(calls);
    await Promise.all([a.close(), b.close()]);
    const parsed = lines(file).map((l) => JSON.parse(l) as { w: string; i: number });
    assert.equal(parsed.length, 200);
    for (const w of ['a', 'b']) {
      assert.deepEqual(
        parsed.filter((p) => p.w === w).map((p) => p.i),
        Array.from({ length: 100 }, (_, i) => i),
      );
    }
    results.forEach((r, k) => assertAt(file, r, rec(k % 2 === 0 ? 'a' : 'b', Math.floor(k / 2))));
  });

  void it('writes non-ASCII text and a 5 MB string intact, counting bytes, not characters', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file, { fsync: false });
    const small = { prompt: 'Résumé — 日本語 — 🙂 — مرحبا', chosen: 'e\u0301', rejected: '\u0000\t"\\' };
    const big = { prompt: 'big', chosen: 'ж🙂'.repeat(Math.floor((5 * 1024 * 1024) / 6)) + 'x'.repeat(5) };
    const r1 = await w.append(small);
    const r2 = await w.append(big);
    await w.close();
    assert.equal(r1.bytes, Buffer.byteLength(JSON.stringify(small)) + 1);
    assert.equal(r2.offset, r1.bytes);
    assert.ok(r2.bytes > 5 * 1024 * 1024);
    const ls = lines(file);
    assert.deepEqual(JSON.parse(ls[0]), small);
    assert.deepEqual(JSON.parse(ls[1]), big);
    assertAt(file, r2, big);
  });

  // Races that real processes hit only by bad luck, staged inside the writer's own write() calls (the
  // FileHandle prototype is shared, so the patch is undone after each test).
  type Write = (buf: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number }>;
  async function withWriteHook(
    file: string,
    hook: (
      call: number,
      buf: Buffer,
      offset: number,
      length: number,
      write: Write,
    ) => Promise<{ bytesWritten: number }>,
    body: () => Promise<void>,
  ): Promise<void> {
    const probe = await open(file, 'r');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = proto.write;
    let call = 0;
    proto.write = function (this: unknown, ...args: unknown[]) {
      const [buf, offset, length] = args as [Buffer, number, number];
      if (!Buffer.isBuffer(buf)) return original.apply(this, args);
      const write: Write = (b, o, l) =>
        original.call(this, b, o, l, null) as Promise<{ bytesWritten: number }>;
      return hook(call++, buf, offset, length, write);
    };
    try {
      await body();
    } finally {
      proto.write = original;
    }
  }

  void it('writes a record again when another writer’s partial line landed just before it', async () => {
    const file = fresh();
    writeFileSync(file, '{"a":1}\n');
    const w = await AppendWriter.open(file);
    let r: AppendResult | undefined;
    // Between the writer's check of the file's end and its write, another process dies mid-write.
    await withWriteHook(
      file,
      async (call, buf, offset, length, write) => {
        if (call === 0) appendFileSync(file, '{"torn":');
        return write(buf, offset, length);
      },
      async () => {
        r = await w.append({ b: 2 });
      },
    );
    await w.close();
    // The glued copy is not acknowledged; the record is written again on a line of its own.
    assert.equal(readFileSync(file, 'utf8'), '{"a":1}\n{"torn":{"b":2}\n{"b":2}\n');
    assert.ok(r);
    assert.equal(r.offset, 24);
    assertAt(file, r, { b: 2 });
  });

  void it('writes a record again when another writer got between the two parts of a short write', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    let r: AppendResult | undefined;
    await withWriteHook(
      file,
      async (call, buf, offset, length, write) => {
        // The kernel takes only part of the record (a nearly full disk) ...
        if (call === 0) return write(buf, offset, 11);
        // ... and another process appends before the writer's write of the rest.
        if (call === 1) appendFileSync(file, '{"other":1}\n');
        return write(buf, offset, length);
      },
      async () => {
        r = await w.append({ long: 'abcdef' });
      },
    );
    await w.close();
    assert.equal(
      readFileSync(file, 'utf8'),
      '{"long":"ab{"other":1}\ncdef"}\n{"long":"abcdef"}\n',
      'the split pieces stay as bad lines; the record follows, whole',
    );
    assert.ok(r);
    assertAt(file, r, { long: 'abcdef' });
  });

  void it('refuses appends after close and finishes those called before it', async () => {
    const file = fresh();
    const w = await AppendWriter.open(file);
    const pending = w.append({ a: 1 });
    const closed = w.close();
    await assert.rejects(
      w.append({ b: 2 }),
      (err: unknown) => err instanceof AppendError && /closed/.test(err.message),
    );
    await pending;
    await closed;
    await w.close(); // idempotent
    assert.equal(readFileSync(file, 'utf8'), '{"a":1}\n');
  });

  void it('says which folder is missing instead of creating it', async () => {
    const file = path.join(root, 'no-such-folder', 'data.jsonl');
    await assert.rejects(AppendWriter.open(file), (err: unknown) => {
      assert.ok(err instanceof AppendError && err instanceof DataError);
      assert.equal(err.code, 'ENOENT');
      assert.match(err.message, /the folder .*no-such-folder does not exist/);
      return true;
    });
    assert.equal(existsSync(path.dirname(file)), false);
  });

  void it('says when the path is a folder', async () => {
    const dir = path.dirname(fresh());
    await assert.rejects(AppendWriter.open(dir), (err: unknown) => {
      assert.ok(err instanceof AppendError);
      assert.equal(err.code, 'EISDIR');
      assert.match(err.message, /it is a folder/);
      return true;
    });
  });

  void it(
    'says the disk is full and that the record was not saved (ENOSPC from /dev/full)',
    { skip: !existsSync('/dev/full') },
    async () => {
      const w = await AppendWriter.open('/dev/full');
      await assert.rejects(w.append({ a: 1 }), (err: unknown) => {
        assert.ok(err instanceof AppendError);
        assert.equal(err.code, 'ENOSPC');
        assert.match(err.message, /\/dev\/full is full/);
        assert.match(err.message, /not saved/);
        return true;
      });
      await w.close();
    },
  );

  void it(
    'says permission is denied for a read-only file',
    { skip: process.platform === 'win32' || process.getuid?.() === 0 ? 'root ignores file modes' : false },
    async () => {
      const file = fresh();
      writeFileSync(file, '', { mode: 0o444 });
      await assert.rejects(AppendWriter.open(file), (err: unknown) => {
        assert.ok(err instanceof AppendError);
        assert.equal(err.code, 'EACCES');
        assert.match(err.message, /Permission denied for .*data\.jsonl/);
        return true;
      });
    },
  );
});
