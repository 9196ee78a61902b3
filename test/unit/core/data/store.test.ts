import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { JsonlStore } from '../../../../src/core/data/store';
import { DataError } from '../../../../src/core/data/problems';
import { mulberry32 } from '../../../../src/core/random';
import { scratchDir } from '../../../helpers/scratch';

const scratch = scratchDir('rs-store-');

function write(content: Buffer | string): string {
  const file = scratch.file('f');
  writeFileSync(file, content);
  return file;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface Expected {
  records: Array<{ line: number; bytes: Buffer }>;
  lineCount: number;
  blankLines: number;
  hasBom: boolean;
  unterminated: boolean;
  /** Where indexing must start again after an append: the start of an unterminated last line, or the end. */
  resumeAt: number;
  recordStarts: number[];
}

/** What the store should hold, computed the obvious way: split the whole file on '\n'. */
function naive(raw: Buffer): Expected {
  const hasBom = raw.length >= 3 && raw.subarray(0, 3).equals(BOM);
  const parts = raw
    .subarray(hasBom ? 3 : 0)
    .toString('latin1')
    .split('\n');
  const records: Expected['records'] = [];
  const recordStarts: number[] = [];
  let offset = hasBom ? 3 : 0;
  let lineCount = 0;
  let blankLines = 0;
  let unterminated = false;
  let resumeAt = raw.length;
  parts.forEach((part, k) => {
    const last = k === parts.length - 1;
    if (last && part === '') return;
    if (last) {
      unterminated = true;
      resumeAt = offset;
    }
    lineCount++;
    const content = part.endsWith('\r') ? part.slice(0, -1) : part;
    if (/^[ \t\n\v\f\r]*$/.test(content)) blankLines++;
    else {
      records.push({ line: k + 1, bytes: Buffer.from(content, 'latin1') });
      recordStarts.push(offset);
    }
    offset += part.length + 1;
  });
  return { records, lineCount, blankLines, hasBom, unterminated, resumeAt, recordStarts };
}

async function assertMatches(store: JsonlStore, raw: Buffer, where: string): Promise<void> {
  const e = naive(raw);
  assert.equal(store.count, e.records.length, `${where}: count`);
  assert.equal(store.lineCount, e.lineCount, `${where}: lineCount`);
  assert.equal(store.blankLines, e.blankLines, `${where}: blankLines`);
  assert.equal(store.hasBom, e.hasBom, `${where}: hasBom`);
  assert.equal(store.unterminatedLastLine, e.unterminated, `${where}: unterminatedLastLine`);
  assert.equal(store.bytes, raw.length, `${where}: bytes`);
  const all = await Promise.all(e.records.map((_r, i) => store.readBytes(i)));
  e.records.forEach((r, i) => {
    assert.equal(store.lineOf(i), r.line, `${where}: lineOf(${i})`);
    assert.equal(all[i].toString('hex'), r.bytes.toString('hex'), `${where}: readBytes(${i})`);
    assert.equal(store.indexOfLine(r.line), i, `${where}: indexOfLine(${r.line})`);
  });
  const recordLines = new Set(e.records.map((r) => r.line));
  for (let line = 0; line <= e.lineCount + 1; line++) {
    if (!recordLines.has(line))
      assert.equal(store.indexOfLine(line), undefined, `${where}: indexOfLine(${line})`);
  }
}


function randomBytes(rand: () => number, pieces: number): Buffer {
  const out: Buffer[] = [];
  const alphabet = ['\n', '\r\n', '\r', ' ', '\t', '{"a":1}', 'é', '😀', '\n\n'].map((s) => Buffer.from(s));
  alphabet.push(Buffer.from([0xff]), Buffer.from([0xef, 0xbb]), BOM);
  for (let i = 0; i < pieces; i++) {
    const r = rand();
    if (r < 0.05) out.push(Buffer.alloc(Math.floor(rand() * 150), 'x'));
    else if (r < 0.45) out.push(Buffer.from('abcdefgh'.slice(0, 1 + Math.floor(rand() * 8))));
    else out.push(alphabet[Math.floor(rand() * alphabet.length)]);
  }
  return Buffer.concat(out);
}

void describe('JsonlStore', () => {
  void test('indexes records, blank lines, BOM, CRLF and an unterminated last line', async () => {
    const raw = Buffer.concat([BOM, Buffer.from('{"a":1}\r\n\n  \t\r\n{"b":"é"}\n{"c":3}')]);
    const store = await JsonlStore.open(write(raw));
    try {
      assert.equal(store.count, 3);
      assert.equal(store.lineCount, 5);
      assert.equal(store.blankLines, 2);
      assert.equal(store.hasBom, true);
      assert.equal(store.unterminatedLastLine, true);
      assert.deepEqual(
        [0, 1, 2].map((i) => store.lineOf(i)),
        [1, 4, 5],
      );
      assert.equal(await store.readText(0), '{"a":1}');
      assert.equal(await store.readText(1), '{"b":"é"}');
      assert.equal(await store.readText(2), '{"c":3}');
      assert.equal(store.indexOfLine(2), undefined);
      assert.equal(store.indexOfLine(4), 1);
      await assertMatches(store, raw, 'fixed');
    } finally {
      await store.close();
    }
  });

  void test('empty and blank-only files', async () => {
    for (const content of ['', '\n\n', ' ', BOM]) {
      const store = await JsonlStore.open(write(content));
      assert.equal(store.count, 0);
      await assertMatches(store, Buffer.from(content), JSON.stringify(content.toString()));
      await store.close();
    }
  });

  void test('random files, read with tiny chunks, match a naive split (random access in random order)', async () => {
    const seed = 0x57073;
    const rand = mulberry32(seed);
    for (let k = 0; k < 60; k++) {
      const raw = Buffer.concat([
        rand() < 0.3 ? BOM : Buffer.alloc(0),
        randomBytes(rand, Math.floor(rand() * 60)),
      ]);
      const file = write(raw);
      for (const chunkBytes of raw.length < 300 ? [1, 2, 7, 4096] : [2, 7, 4096]) {
        const store = await JsonlStore.open(file, { chunkBytes });
        const where = `seed ${seed}, file ${k} (${raw.toString('hex')}), chunkBytes ${chunkBytes}`;
        await assertMatches(store, raw, where);
        const e = naive(raw);
        for (let j = 0; j < 20 && e.records.length > 0; j++) {
          const i = Math.floor(rand() * e.records.length);
          assert.ok(
            (await store.readBytes(i)).equals(e.records[i].bytes),
            `${where}: random readBytes(${i})`,
          );
        }
        await store.close();
      }
    }
  });

  void test('a 12 MB record is read back exactly', async () => {
    const big = Buffer.alloc(12 * 1024 * 1024, 'q');
    const raw = Buffer.concat([Buffer.from('{"a":1}\n'), big, Buffer.from('\n{"b":2}\n')]);
    const store = await JsonlStore.open(write(raw), { chunkBytes: 1 << 20 });
    try {
      assert.equal(store.count, 3);
      assert.ok((await store.readBytes(1)).equals(big));
      assert.equal(await store.readText(2), '{"b":2}');
    } finally {
      await store.close();
    }
  });

  void test('bad indexes are RangeErrors that say what the range is', async () => {
    const store = await JsonlStore.open(write('{"a":1}\n{"b":2}\n'));
    try {
      for (const bad of [-1, 2, 1.5, NaN]) {
        await assert.rejects(store.readBytes(bad), (err: unknown) => {
          assert.ok(err instanceof RangeError);
          assert.match(
            err.message,
            new RegExp(`record index ${bad} is out of range: .* has 2 records \\(0…1\\)`),
          );
          return true;
        });
        assert.throws(() => store.lineOf(bad), RangeError);
      }
    } finally {
      await store.close();
    }
    await assert.rejects(store.readBytes(0), /closed/);
  });

  void test('readText: invalid UTF-8 and an over-long line are located DataErrors', async () => {
    const raw = Buffer.concat([
      Buffer.from('{"a":1}\n\n{"t":"é'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n{"long":"xxxxxxxxxxxxxxxxxxxx"}\n'),
    ]);
    const file = write(raw);
    const store = await JsonlStore.open(file, { maxLineBytes: 20 });
    try {
      assert.equal(store.count, 3);
      await assert.rejects(store.readText(1), (err: unknown) => {
        assert.ok(err instanceof DataError);
        assert.deepEqual(err.problems, [
          {
            file,
            line: 3,
            column: 8,
            path: '',
            message:
              'incomplete UTF-8 sequence starting with byte 0xC3 at byte 8 — the file is not UTF-8 (re-save it as UTF-8)',
            severity: 'error',
            code: 'invalid-utf8',
          },
        ]);
        assert.match(err.message, new RegExp(`^${file.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}:3:8: `));
        return true;
      });
      for (const read of [() => store.readText(2), () => store.readBytes(2)]) {
        await assert.rejects(read(), (err: unknown) => {
          assert.ok(err instanceof DataError);
          assert.equal(err.problems[0].code, 'line-too-long');
          assert.equal(err.problems[0].line, 4);
          assert.match(err.problems[0].message, /\(31 bytes\), over the/);
          return true;
        });
      }
    } finally {
      await store.close();
    }
  });

  void test('gzip files are refused with a clear message', async () => {
    await assert.rejects(JsonlStore.open(write(gzipSync('{"a":1}\n'))), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.match(err.message, /gzip-compressed.*decompress it first/);
      return true;
    });
  });

  void describe('refresh', () => {
    void test('nothing changed', async () => {
      const store = await JsonlStore.open(write('{"a":1}\n'));
      assert.deepEqual(await store.refresh(), { appended: 0, reindexed: false });
      await store.close();
    });

    void test('appended lines are indexed from the old end only', async () => {
      const raw = '{"a":1}\n{"b":2}\n';
      const file = write(raw);
      const store = await JsonlStore.open(file);
      appendFileSync(file, '{"c":3}\n\n{"d":4}\n');
      assert.deepEqual(await store.refresh(), { appended: 2, reindexed: false });
      assert.equal(store.count, 4);
      assert.equal(store.lineCount, 5);
      assert.equal(store.blankLines, 1);
      assert.equal(await store.readText(3), '{"d":4}');
      assert.equal(store.lineOf(3), 5);
      await store.close();
    });

    void test('an unterminated last line that gets completed or extended is read again', async () => {
      const file = write('{"a":1}\n{"b":');
      const store = await JsonlStore.open(file);
      assert.equal(store.count, 2);
      assert.equal(store.unterminatedLastLine, true);
      assert.equal(await store.readText(1), '{"b":');

      appendFileSync(file, '2');
      assert.deepEqual(await store.refresh(), { appended: 1, reindexed: false });
      assert.equal(await store.readText(1), '{"b":2');
      assert.equal(store.unterminatedLastLine, true);

      appendFileSync(file, '}\r\n');
      assert.deepEqual(await store.refresh(), { appended: 1, reindexed: false });
      assert.equal(store.count, 2);
      assert.equal(store.lineCount, 2);
      assert.equal(store.unterminatedLastLine, false);
      assert.equal(await store.readText(1), '{"b":2}');

      appendFileSync(file, '  ');
      assert.deepEqual(await store.refresh(), { appended: 0, reindexed: false });
      assert.deepEqual([store.lineCount, store.blankLines, store.unterminatedLastLine], [3, 1, true]);
      appendFileSync(file, '{"c":3}\n');
      assert.deepEqual(await store.refresh(), { appended: 1, reindexed: false });
      assert.deepEqual([store.count, store.lineCount, store.blankLines], [3, 3, 0]);
      assert.equal(await store.readText(2), '  {"c":3}');
      await store.close();
    });

    void test('a truncated or rewritten file is re-indexed', async () => {
      const file = write('{"a":1}\n{"b":2}\n{"c":3}\n');
      const store = await JsonlStore.open(file);
      writeFileSync(file, '{"z":9}\n'); // same inode, shorter
      assert.deepEqual(await store.refresh(), { appended: 1, reindexed: true });
      assert.equal(store.count, 1);
      assert.equal(await store.readText(0), '{"z":9}');

      writeFileSync(file, '{"y":8}\n{"x":7}\n'); // grew, but the old bytes changed
      assert.deepEqual(await store.refresh(), { appended: 2, reindexed: true });
      assert.equal(await store.readText(1), '{"x":7}');

      // Same size, same last bytes, different start: the changed mtime gives it away.
      writeFileSync(file, '{"w":6}\n{"x":7}\n');
      const later = new Date(statSync(file).mtimeMs + 5000);
      utimesSync(file, later, later);
      assert.deepEqual(await store.refresh(), { appended: 2, reindexed: true });
      assert.equal(await store.readText(0), '{"w":6}');
      await store.close();
    });

    void test('a file replaced by rename (atomic save) is re-indexed through the new file', async () => {
      const file = write('{"a":1}\n');
      const store = await JsonlStore.open(file);
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, '{"a":1}\n{"new":true}\n');
      renameSync(tmp, file);
      assert.deepEqual(await store.refresh(), { appended: 2, reindexed: true });
      assert.equal(await store.readText(1), '{"new":true}');
      await store.close();
    });

    void test('random appends match a naive split of the whole file', async () => {
      const seed = 0xa99e7d;
      const rand = mulberry32(seed);
      for (let k = 0; k < 80; k++) {
        let raw = Buffer.concat([
          rand() < 0.2 ? BOM : Buffer.alloc(0),
          randomBytes(rand, Math.floor(rand() * 30)),
        ]);
        const file = write(raw);
        const store = await JsonlStore.open(file, { chunkBytes: 1 + Math.floor(rand() * 9) });
        for (let step = 0; step < 3; step++) {
          const where = `seed ${seed}, file ${k}, step ${step}, bytes ${raw.toString('hex')}`;
          const before = naive(raw);
          const add = randomBytes(rand, Math.floor(rand() * 10));
          if (add.length > 0) appendFileSync(file, add);
          raw = Buffer.concat([raw, add]);
          const result = await store.refresh();
          const after = naive(raw);
          // Every record that starts where the old unterminated line started, or later, is new or changed.
          const changed = after.recordStarts.filter((s) => s >= before.resumeAt).length;
          if (add.length === 0) assert.deepEqual(result, { appended: 0, reindexed: false }, where);
          else assert.deepEqual(result, { appended: changed, reindexed: false }, where);
          await assertMatches(store, raw, `${where} + ${add.toString('hex')}`);
        }
        await store.close();
      }
    });

    void test('refresh calls run one at a time', async () => {
      const file = write('{"a":1}\n');
      const store = await JsonlStore.open(file);
      appendFileSync(file, '{"b":2}\n');
      const [r1, r2] = await Promise.all([store.refresh(), store.refresh()]);
      assert.deepEqual(r1, { appended: 1, reindexed: false });
      assert.deepEqual(r2, { appended: 0, reindexed: false });
      await store.close();
      await assert.rejects(store.refresh(), /closed/);
    });
  });
});
