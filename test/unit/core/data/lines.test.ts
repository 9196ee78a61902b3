import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_MAX_LINE_BYTES,
  decodeLine,
  isBlank,
  isJsonArrayFile,
  readJsonArrayElements,
  readLines,
  type LineReadOptions,
} from '../../../../src/core/data/lines';
import { DataError } from '../../../../src/core/data/problems';
import { mulberry32 } from '../../../../src/core/random';
import { scratchDir } from '../../../helpers/scratch';

const scratch = scratchDir('rs-lines-');

function write(content: Buffer | string, name?: string): string {
  const file = name === undefined ? scratch.file('f') : join(scratch.dir, name);
  writeFileSync(file, content);
  return file;
}

interface Seen {
  line: number;
  offset: number;
  /** The bytes as latin1, so any byte sequence compares exactly. */
  content: string;
  terminated: boolean;
  tooLong?: number;
}

async function collect(file: string, opts?: LineReadOptions): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const l of readLines(file, opts)) {
    const seen: Seen = {
      line: l.line,
      offset: l.offset,
      content: l.bytes.toString('latin1'),
      terminated: l.terminated,
    };
    if (l.tooLong !== undefined) seen.tooLong = l.tooLong;
    out.push(seen);
  }
  return out;
}

/** The obvious, slow way: split the whole file's bytes (as latin1) on '\n'. */
function naiveLines(raw: Buffer, max = Infinity): Seen[] {
  const bom = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
  const parts = raw
    .subarray(bom ? 3 : 0)
    .toString('latin1')
    .split('\n');
  const out: Seen[] = [];
  let offset = bom ? 3 : 0;
  parts.forEach((part, k) => {
    const last = k === parts.length - 1;
    if (last && part === '') return;
    const content = part.endsWith('\r') ? part.slice(0, -1) : part;
    const seen: Seen = { line: k + 1, offset, content, terminated: !last };
    if (content.length > max) {
      seen.content = '';
      seen.tooLong = content.length;
    }
    out.push(seen);
    offset += part.length + 1;
  });
  return out;
}


/** Random bytes rich in the characters that matter: LF, CR, blanks, BOM bytes, multi-byte UTF-8. */
function randomFile(rand: () => number): Buffer {
  const pieces: Buffer[] = [];
  if (rand() < 0.3) pieces.push(Buffer.from([0xef, 0xbb, 0xbf]));
  const alphabet = [
    Buffer.from('\n'),
    Buffer.from('\r\n'),
    Buffer.from('\r'),
    Buffer.from(' '),
    Buffer.from('\t'),
    Buffer.from('{"a":1}'),
    Buffer.from('é'),
    Buffer.from('😀'),
    Buffer.from([0xff]),
    Buffer.from([0xef, 0xbb]),
  ];
  const n = Math.floor(rand() * 80);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.05) pieces.push(Buffer.alloc(Math.floor(rand() * 200), 'x'));
    else if (r < 0.45) pieces.push(Buffer.from('abcdefgh'.slice(0, 1 + Math.floor(rand() * 8))));
    else pieces.push(alphabet[Math.floor(rand() * alphabet.length)]);
  }
  return Buffer.concat(pieces);
}

void describe('readLines', () => {
  void test('plain lines: numbers, offsets, terminated', async () => {
    const lines = await collect(write('{"a":1}\n{"b":2}\n'));
    assert.deepEqual(lines, [
      { line: 1, offset: 0, content: '{"a":1}', terminated: true },
      { line: 2, offset: 8, content: '{"b":2}', terminated: true },
    ]);
  });

  void test('a BOM is skipped and line 1 starts after it', async () => {
    const lines = await collect(
      write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\nx\n')])),
    );
    assert.deepEqual(
      lines.map((l) => [l.line, l.offset, l.content]),
      [
        [1, 3, '{"a":1}'],
        [2, 11, 'x'],
      ],
    );
  });

  void test('a BOM split across tiny chunks is still skipped; a BOM-only file has no lines', async () => {
    const file = write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('ab\n')]));
    for (const chunkBytes of [1, 2, 3, 4]) {
      assert.deepEqual(await collect(file, { chunkBytes }), [
        { line: 1, offset: 3, content: 'ab', terminated: true },
      ]);
    }
    assert.deepEqual(await collect(write(Buffer.from([0xef, 0xbb, 0xbf]))), []);
    // Two bytes of a BOM and nothing else are content, not a BOM.
    assert.deepEqual(await collect(write(Buffer.from([0xef, 0xbb])), { chunkBytes: 1 }), [
      { line: 1, offset: 0, content: '\xef\xbb', terminated: false },
    ]);
    // A BOM later in the file is content.
    assert.equal((await collect(write(Buffer.from('a\n\ufeffb\n'))))[1].content, '\xef\xbb\xbfb');
  });

  void test('CRLF: one trailing CR is removed, inner CRs are kept', async () => {
    const lines = await collect(write('a\r\nb\r\r\nc\rd\r\n\r\n'));
    assert.deepEqual(
      lines.map((l) => l.content),
      ['a', 'b\r', 'c\rd', ''],
    );
    assert.deepEqual(
      lines.map((l) => l.offset),
      [0, 3, 7, 12],
    );
  });

  void test('blank and whitespace-only lines are yielded; isBlank recognises them', async () => {
    const lines = await collect(write('\n  \n\t \r\n{"a":1}\n\n'));
    assert.deepEqual(
      lines.map((l) => [l.line, l.content]),
      [
        [1, ''],
        [2, '  '],
        [3, '\t '],
        [4, '{"a":1}'],
        [5, ''],
      ],
    );
    assert.deepEqual(
      lines.map((l) => isBlank(Buffer.from(l.content, 'latin1'))),
      [true, true, true, false, true],
    );
    assert.equal(isBlank(Buffer.from('\v\f\r\n')), true);
    assert.equal(isBlank(Buffer.from('\u00a0')), false, 'NBSP is not ASCII whitespace');
    assert.equal(isBlank(Buffer.from('  x  ')), false);
  });

  void test('a last line without a newline is yielded with terminated: false', async () => {
    assert.deepEqual(await collect(write('{"a":1}\n{"b":')), [
      { line: 1, offset: 0, content: '{"a":1}', terminated: true },
      { line: 2, offset: 8, content: '{"b":', terminated: false },
    ]);
    assert.deepEqual(await collect(write('x\r')), [{ line: 1, offset: 0, content: 'x', terminated: false }]);
    assert.deepEqual(await collect(write('')), []);
    assert.deepEqual(await collect(write('\n')), [{ line: 1, offset: 0, content: '', terminated: true }]);
  });

  void test('invalid UTF-8 passes through byte for byte (decoding is decodeLine’s job)', async () => {
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]);
    const [line] = await collect(write(raw));
    assert.equal(line.content, '\x7b\xff\xfe\x7d');
  });

  void test('a 12 MB line is yielded intact, with any chunk size', async () => {
    const big = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 0x61 + (i % 26);
    const file = write(Buffer.concat([Buffer.from('{"a":1}\n'), big, Buffer.from('\r\n{"b":2}')]));
    for (const chunkBytes of [undefined, 1 << 20, 65_537]) {
      const got: Array<{ line: number; offset: number; length: number; same: boolean }> = [];
      for await (const l of readLines(file, { chunkBytes })) {
        got.push({
          line: l.line,
          offset: l.offset,
          length: l.bytes.length,
          same: l.bytes.length === big.length && l.bytes.equals(big),
        });
      }
      assert.deepEqual(got, [
        { line: 1, offset: 0, length: 7, same: false },
        { line: 2, offset: 8, length: big.length, same: true },
        { line: 3, offset: 8 + big.length + 2, length: 7, same: false },
      ]);
    }
  });

  void test('a line over maxLineBytes is skipped and reported with its length', async () => {
    const long = 'y'.repeat(100);
    const file = write(`ok\n${long}\r\nafter\n${'z'.repeat(11)}`);
    for (const chunkBytes of [3, 7, 64, 4096]) {
      assert.deepEqual(await collect(file, { maxLineBytes: 10, chunkBytes }), [
        { line: 1, offset: 0, content: 'ok', terminated: true },
        { line: 2, offset: 3, content: '', terminated: true, tooLong: 100 },
        { line: 3, offset: 105, content: 'after', terminated: true },
        { line: 4, offset: 111, content: '', terminated: false, tooLong: 11 },
      ]);
    }
    // Exactly at the limit is fine, and its CR does not count.
    const exact = write('0123456789\r\n0123456789\n');
    for (const chunkBytes of [1, 5, 11, 12, 100]) {
      assert.deepEqual(
        (await collect(exact, { maxLineBytes: 10, chunkBytes })).map((l) => [l.content, l.tooLong]),
        [
          ['0123456789', undefined],
          ['0123456789', undefined],
        ],
      );
    }
    assert.equal(DEFAULT_MAX_LINE_BYTES, 256 * 1024 * 1024);
  });

  void test('bad options are refused', async () => {
    const file = write('a\n');
    await assert.rejects(collect(file, { chunkBytes: 0 }), RangeError);
    await assert.rejects(collect(file, { maxLineBytes: -1 }), RangeError);
  });

  void test('gzip input is recognised by its magic bytes, not its name', async () => {
    const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}\r\n\n{"b":2}')]);
    const expected = naiveLines(text);
    assert.deepEqual(await collect(write(gzipSync(text), 'data.jsonl')), expected);
    assert.deepEqual(await collect(write(gzipSync(text), 'data.jsonl.gz'), { chunkBytes: 7 }), expected);
    // A plain file called .gz is read as it is.
    assert.deepEqual(await collect(write('x\n', 'plain.gz')), [
      { line: 1, offset: 0, content: 'x', terminated: true },
    ]);
    // Two gzip members back to back (e.g. `cat a.gz b.gz`) read as one file.
    const two = Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]);
    assert.deepEqual(
      (await collect(write(two))).map((l) => [l.line, l.offset, l.content]),
      [
        [1, 0, 'a'],
        [2, 2, 'b'],
      ],
    );
  });

  void test('damaged gzip data throws a DataError', async () => {
    const gz = gzipSync(Buffer.from('{"a":1}\n'.repeat(1000)));
    const truncated = Buffer.from(gz.subarray(0, gz.length - 12)); // a copy: the fill below must not touch it
    gz.fill(0x55, 20, 40);
    for (const bad of [gz, truncated]) {
      await assert.rejects(collect(write(bad)), (err: unknown) => {
        assert.ok(err instanceof DataError, String(err));
        assert.match(err.message, /gzip data is damaged/);
        return true;
      });
    }
  });

  void test('stopping early is fine (the file is closed, nothing dangles)', async () => {
    const file = write('a\nb\nc\n');
    for await (const l of readLines(file, { chunkBytes: 1 })) {
      assert.equal(l.line, 1);
      break;
    }
    const gz = write(gzipSync('a\nb\nc\n'));
    for await (const l of readLines(gz)) {
      assert.equal(l.line, 1);
      break;
    }
  });

  void test('chunk boundaries: random files read with tiny chunks match a naive split', async () => {
    const seed = 0x5eed1;
    const rand = mulberry32(seed);
    for (let k = 0; k < 100; k++) {
      const raw = randomFile(rand);
      const file = write(raw, `random${k}.jsonl`);
      const max = rand() < 0.5 ? Infinity : Math.floor(rand() * 40);
      const expected = naiveLines(raw, max);
      // One-byte reads are one syscall a byte: only for the smaller files, to keep this test quick.
      for (const chunkBytes of raw.length < 300 ? [1, 2, 3, 7, 13, 4096] : [2, 3, 7, 13, 4096]) {
        const opts = { chunkBytes, ...(max === Infinity ? {} : { maxLineBytes: max }) };
        const got = await collect(file, opts);
        assert.deepEqual(
          got,
          expected,
          `seed ${seed}, file ${k} (${raw.toString('hex')}), chunkBytes ${chunkBytes}, max ${max}`,
        );
      }
    }
  });
});

void describe('decodeLine', () => {
  void test('valid UTF-8, multi-byte included', () => {
    assert.deepEqual(decodeLine(Buffer.from('{"a":"é 😀 中"}')), { ok: true, text: '{"a":"é 😀 中"}' });
    assert.deepEqual(decodeLine(Buffer.alloc(0)), { ok: true, text: '' });
  });

  void test('an invalid byte: exact byte offset, UTF-16 column and message', () => {
    const bytes = Buffer.concat([Buffer.from('{"text":"ab'), Buffer.from([0xff]), Buffer.from('"}')]);
    const d = decodeLine(bytes);
    assert.deepEqual(d, {
      ok: false,
      byteOffset: 11,
      column: 12,
      message: 'invalid UTF-8 byte 0xFF at byte 11 — the file is not UTF-8 (re-save it as UTF-8)',
    });
  });

  void test('the column counts UTF-16 units of the valid text before the bad byte', () => {
    // 'é' is 2 bytes / 1 unit; '😀' is 4 bytes / 2 units; Latin-1 'é' (0xE9) then breaks the line.
    const bytes = Buffer.concat([Buffer.from('é😀'), Buffer.from([0xe9, 0x74])]);
    const d = decodeLine(bytes);
    assert.equal(d.ok, false);
    if (d.ok) return;
    assert.equal(d.byteOffset, 6);
    assert.equal(d.column, 4);
    assert.match(d.message, /^incomplete UTF-8 sequence starting with byte 0xE9 at byte 6 /);
  });

  void test('overlong forms, surrogates, code points past U+10FFFF and cut-short sequences', () => {
    const cases: Array<[number[], number]> = [
      [[0x61, 0xc0, 0xaf], 1], // overlong '/'
      [[0x61, 0xe0, 0x80, 0xaf], 1], // overlong
      [[0x61, 0x62, 0xed, 0xa0, 0x80], 2], // UTF-16 surrogate D800
      [[0xf4, 0x90, 0x80, 0x80], 0], // U+110000
      [[0x61, 0xe2, 0x82], 1], // cut short at the end
      [[0xe2, 0x82, 0xac, 0x80], 3], // a stray continuation byte after '€'
      [[0xf8, 0x88, 0x80, 0x80, 0x80], 0], // 5-byte form
    ];
    for (const [bytes, at] of cases) {
      const d = decodeLine(Buffer.from(bytes));
      assert.equal(d.ok, false, Buffer.from(bytes).toString('hex'));
      if (!d.ok) assert.equal(d.byteOffset, at, Buffer.from(bytes).toString('hex'));
    }
  });

  void test('agrees with TextDecoder on where the first bad sequence is (random bytes)', () => {
    const seed = 0xdec0de;
    const rand = mulberry32(seed);
    const loose = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
    for (let k = 0; k < 3000; k++) {
      const bytes = Buffer.alloc(1 + Math.floor(rand() * 12));
      for (let i = 0; i < bytes.length; i++) {
        const r = rand();
        bytes[i] =
          r < 0.4
            ? 0x41 + Math.floor(rand() * 26)
            : r < 0.7
              ? 0x80 + Math.floor(rand() * 64)
              : Math.floor(rand() * 256);
      }
      if (bytes.includes(Buffer.from([0xef, 0xbf, 0xbd]))) continue; // a real U+FFFD would confuse the oracle
      const text = loose.decode(bytes);
      const first = text.indexOf('\ufffd');
      const d = decodeLine(bytes);
      const where = `seed ${seed}, case ${k}, bytes ${bytes.toString('hex')}`;
      if (first < 0) {
        assert.deepEqual(d, { ok: true, text }, where);
      } else {
        assert.equal(d.ok, false, where);
        if (!d.ok) {
          assert.equal(d.column, first + 1, where);
          assert.equal(Buffer.from(text.slice(0, first)).length, d.byteOffset, where);
        }
      }
    }
  });
});

void describe('JSON array files', () => {
  const exportText = [
    '[',
    '  {',
    '    "id": 1,',
    '    "data": {"prompt": "a ] tricky \\" [ prompt {"},',
    '    "annotations": [{"result": []}]',
    '  },',
    '  {"id": 2, "data": {"prompt": "é"}},   {"id": 3},',
    '  "not an object",',
    '  42,',
    '  null',
    ']',
    '',
  ].join('\n');

  async function elements(file: string, opts?: LineReadOptions) {
    const out: Array<{ line: number; offset: number; text: string; tooLong?: number }> = [];
    for await (const e of readJsonArrayElements(file, opts)) {
      out.push({
        line: e.line,
        offset: e.offset,
        text: e.bytes.toString('utf8'),
        ...(e.tooLong === undefined ? {} : { tooLong: e.tooLong }),
      });
    }
    return out;
  }

  void test('one RawLine per top-level element, with its start line and byte offset', async () => {
    const raw = Buffer.from(exportText);
    const got = await elements(write(raw, 'export.json'));
    assert.deepEqual(
      got.map((e) => [e.line, e.text.split('\n')[0]]),
      [
        [2, '{'],
        [7, '{"id": 2, "data": {"prompt": "é"}}'],
        [7, '{"id": 3}'],
        [8, '"not an object"'],
        [9, '42'],
        [10, 'null'],
      ],
    );
    for (const e of got) {
      const at = raw.subarray(e.offset, e.offset + Buffer.byteLength(e.text)).toString('utf8');
      assert.equal(at, e.text, 'offset points at the element');
      JSON.parse(e.text); // every element is a complete JSON value
    }
    assert.deepEqual(JSON.parse(got[0].text).data, { prompt: 'a ] tricky " [ prompt {' });
  });

  void test('BOM, gzip, empty array, and element size limit', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1},\n{"b":2}]')]);
    assert.deepEqual(await elements(write(withBom, 'bom.json')), [
      { line: 1, offset: 4, text: '{"a":1}' },
      { line: 2, offset: 13, text: '{"b":2}' },
    ]);
    assert.deepEqual(
      await elements(write(gzipSync(withBom), 'bom.json.gz')),
      await elements(write(withBom, 'bom2.json')),
    );
    assert.deepEqual(await elements(write(' [ ] ', 'empty.json')), []);
    assert.deepEqual(
      await elements(write('[{"a":1},{"long":"xxxxxxxxxxxxxxxxxxxxx"}]', 'long.json'), { maxLineBytes: 10 }),
      [
        { line: 1, offset: 1, text: '{"a":1}' },
        { line: 1, offset: 9, text: '', tooLong: 32 },
      ],
    );
  });

  async function arrayError(
    content: string | Buffer,
  ): Promise<{ line: number; column: number; message: string; code: string }> {
    const file = write(content, 'bad.json');
    try {
      await elements(file);
    } catch (err) {
      assert.ok(err instanceof DataError, String(err));
      assert.equal(err.problems.length, 1);
      const p = err.problems[0];
      assert.equal(p.file, file);
      assert.ok(err.message.startsWith(`${file}:${p.line}:${p.column}: `), err.message);
      return { line: p.line, column: p.column, message: p.message, code: p.code };
    }
    throw new Error('no error');
  }

  void test('a syntax error is located at file:line:column', async () => {
    // Missing comma between two elements: points at the second '{'.
    const missingComma = await arrayError('[\n  {"a": 1}\n  {"b": 2}\n]\n');
    assert.deepEqual([missingComma.line, missingComma.column, missingComma.code], [3, 3, 'invalid-json']);
    assert.match(missingComma.message, /expected ',' or ']'/);
    // Inside an element, after multi-byte text on the same line.
    const inner = await arrayError('[\n  {"a": "é😀", "b": tru}\n]');
    assert.deepEqual([inner.line, inner.column], [2, 21]);
    assert.match(inner.message, /unknown word 'tru'/);
    // Trailing comma, and an array that is never closed.
    const trailing = await arrayError('[{"a":1},\n]');
    assert.deepEqual([trailing.line, trailing.column], [2, 1]);
    assert.match(trailing.message, /trailing comma/);
    const unclosed = await arrayError('[{"a":1},\n{"b":2}\n');
    assert.match(unclosed.message, /cut short/);
    assert.equal(unclosed.line, 1);
    // Not an array at all.
    const object = await arrayError('\n  {"a": 1}');
    assert.deepEqual([object.line, object.column], [2, 3]);
    assert.match(object.message, /expected a JSON array/);
  });

  void test('invalid UTF-8 in an array file is located too', async () => {
    const bad = await arrayError(
      Buffer.concat([Buffer.from('[\n {"a": "é'), Buffer.from([0xff]), Buffer.from('"}]')]),
    );
    assert.deepEqual([bad.line, bad.column, bad.code], [2, 10, 'invalid-utf8']);
    assert.match(bad.message, /invalid UTF-8 byte 0xFF/);
  });

  void test('isJsonArrayFile looks at the first non-whitespace byte after a BOM', async () => {
    assert.equal(
      await isJsonArrayFile(
        write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' \r\n\t[{}]')])),
      ),
      true,
    );
    assert.equal(await isJsonArrayFile(write('[')), true);
    assert.equal(await isJsonArrayFile(write('{"a":1}\n')), false);
    assert.equal(await isJsonArrayFile(write('')), false);
    assert.equal(await isJsonArrayFile(write(' '.repeat(200_000) + '[]')), true);
    assert.equal(await isJsonArrayFile(write(gzipSync('\n[1]'))), true);
    assert.equal(await isJsonArrayFile(write(gzipSync('{"a":1}'))), false);
  });
});
