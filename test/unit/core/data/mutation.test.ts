/**
 * Mutation fuzzing of the line → text → JSON path: valid preference lines are broken in thousands of
 * seeded ways, and decodeLine / parseJson must never fail with anything but a located JsonSyntaxError.
 * Set MUTATION_SEED to replay a reported failure, MUTATION_CASES to run longer.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonSyntaxError, locatePath, parseJson, stringifyJson } from '../../../../src/core/data/json';
import { decodeLine, isBlank, readLines } from '../../../../src/core/data/lines';
import { JsonlStore } from '../../../../src/core/data/store';
import { mulberry32 } from '../../../../src/core/random';

const SEED = Number(process.env.MUTATION_SEED ?? 0x2eed5);
const CASES = Number(process.env.MUTATION_CASES ?? 6000);


const VALID_LINES = [
  '{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}',
  '{"prompt":[{"role":"user","content":"Bonjour, ça va ?"}],"chosen":[{"role":"assistant","content":"Très bien 😀"}],"rejected":[{"role":"assistant","content":"Non."}]}',
  '{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: hello \\"friend\\"", "rejected": "\\n\\nHuman: hi\\n\\nAssistant: go away\\u0021"}',
  '{"prompt": "中文提示", "completions": [{"text": "a", "rank": 1, "score": 0.5e-3}, {"text": "b", "rank": 2, "score": -1.25E+2}], "id": 12345678901234567890}',
  '{"post_id": "x1", "history": "tl;dr", "human_ref_A": "yes", "human_ref_B": "no", "labels": 1, "score_ratio": 2.5, "meta": {"annotator": "ann-7", "ok": true, "note": null}}',
  '[{"not": "an object"}, 1, true, null, "s", []]',
];

const INTERESTING = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '\u001f',
  '0',
  '-',
  '.',
  'e',
  'E',
  '+',
  't',
  'n',
  'f',
  "'",
  '\\u',
  '\\x',
  'é',
  '😀',
  '\u2028',
  '\ufeff',
];

/** One seeded random mutation of `bytes`; the name says what was done, for the failure message. */
function mutate(rand: () => number, bytes: Buffer): { name: string; bytes: Buffer } {
  const pos = Math.floor(rand() * (bytes.length + 1));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  switch (Math.floor(rand() * 9)) {
    case 0: {
      const b = Buffer.from(bytes);
      const at = Math.min(pos, b.length - 1);
      b[at] ^= 1 << Math.floor(rand() * 8);
      return { name: `flip a bit at byte ${at}`, bytes: b };
    }
    case 1: {
      const b = Buffer.from(bytes);
      const at = Math.min(pos, b.length - 1);
      b[at] = Math.floor(rand() * 256);
      return { name: `replace byte ${at}`, bytes: b };
    }
    case 2: {
      const ins = Buffer.from(pick(INTERESTING));
      return {
        name: `insert ${JSON.stringify(ins.toString())} at ${pos}`,
        bytes: Buffer.concat([bytes.subarray(0, pos), ins, bytes.subarray(pos)]),
      };
    }
    case 3: {
      const ins = Buffer.from([Math.floor(rand() * 256), Math.floor(rand() * 256)]);
      return {
        name: `insert bytes ${ins.toString('hex')} at ${pos}`,
        bytes: Buffer.concat([bytes.subarray(0, pos), ins, bytes.subarray(pos)]),
      };
    }
    case 4: {
      const n = 1 + Math.floor(rand() * 8);
      return {
        name: `delete ${n} bytes at ${pos}`,
        bytes: Buffer.concat([bytes.subarray(0, pos), bytes.subarray(pos + n)]),
      };
    }
    case 5: {
      // Copy a random slice of the line to another place (duplicated keys, braces, quotes...).
      const from = Math.floor(rand() * bytes.length);
      const slice = bytes.subarray(from, from + 1 + Math.floor(rand() * 20));
      return {
        name: `copy ${slice.length} bytes from ${from} to ${pos}`,
        bytes: Buffer.concat([bytes.subarray(0, pos), slice, bytes.subarray(pos)]),
      };
    }
    case 6: {
      // Something huge: a long string, a long number, or deep nesting.
      const kind = Math.floor(rand() * 4);
      const ins =
        kind === 0
          ? `"${'x'.repeat(200_000)}`
          : kind === 1
            ? '9'.repeat(100_000)
            : kind === 2
              ? '['.repeat(5_000)
              : '{"a":'.repeat(3_000);
      return {
        name: `insert a huge run (${ins.slice(0, 6)}… × ${ins.length}) at ${pos}`,
        bytes: Buffer.concat([bytes.subarray(0, pos), Buffer.from(ins), bytes.subarray(pos)]),
      };
    }
    case 7: {
      const at = Math.floor(rand() * bytes.length);
      return { name: `truncate at ${at}`, bytes: bytes.subarray(0, at) };
    }
    default: {
      // Wrong types: still valid JSON, but a field holds something else.
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch {
        return { name: 'unchanged (not JSON to retype)', bytes };
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return { name: 'unchanged', bytes };
      const rec = value as Record<string, unknown>;
      const key = pick(Object.keys(rec));
      const replacement = pick<unknown>([
        null,
        0,
        -1.5e300,
        true,
        'x'.repeat(1 + Math.floor(rand() * 50_000)),
        [],
        {},
        [[[]]],
        { chosen: 1 },
      ]);
      rec[key] = replacement;
      return {
        name: `set ${key} to a ${Array.isArray(replacement) ? 'array' : typeof replacement}`,
        bytes: Buffer.from(stringifyJson(rec)),
      };
    }
  }
}

function describeCase(seed: number, index: number, name: string, bytes: Buffer): string {
  const shown =
    bytes.length > 300
      ? `${bytes.subarray(0, 300).toString('hex')}… (${bytes.length} bytes)`
      : bytes.toString('hex');
  return `MUTATION_SEED=${seed} case ${index}: ${name}; bytes ${shown}`;
}

/** The properties every input must have, valid or not. */
function checkLine(bytes: Buffer, where: string): void {
  const decoded = decodeLine(bytes);
  if (!decoded.ok) {
    assert.ok(
      decoded.byteOffset >= 0 && decoded.byteOffset < bytes.length,
      `${where}: byteOffset ${decoded.byteOffset}`,
    );
    assert.ok(
      decoded.column >= 1 && decoded.column <= decoded.byteOffset + 1,
      `${where}: column ${decoded.column}`,
    );
    assert.match(decoded.message, /UTF-8 .* at byte \d+ — the file is not UTF-8/, where);
    return;
  }
  const text = decoded.text;
  let builtin: { ok: true; value: unknown } | { ok: false };
  try {
    builtin = { ok: true, value: JSON.parse(text) };
  } catch {
    builtin = { ok: false };
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError))
      assert.fail(`${where}: threw ${String(err)} instead of a JsonSyntaxError`);
    assert.ok(
      Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= text.length,
      `${where}: offset ${err.offset} of ${text.length}`,
    );
    assert.ok(err.message.length > 0, where);
    const deep = /nested more than/.test(err.message);
    assert.ok(!builtin.ok || deep, `${where}: JSON.parse accepts what parseJson refused (${err.message})`);
    return;
  }
  assert.ok(builtin.ok, `${where}: parseJson accepted what JSON.parse refuses`);
  // Same value as JSON.parse except where big integers were kept exactly.
  if (!/\d{16,}/.test(text)) assert.deepEqual(value, builtin.value, where);
  assert.doesNotThrow(() => locatePath(text, 'chosen'), where);
  assert.doesNotThrow(() => stringifyJson(value), where);
}

void describe('mutation fuzzing', () => {
  void test('the valid lines are valid', () => {
    for (const line of VALID_LINES) assert.doesNotThrow(() => parseJson(line));
  });

  void test('every truncation of every line is a located syntax error (or a cut UTF-8 sequence)', () => {
    for (const [n, line] of VALID_LINES.entries()) {
      const bytes = Buffer.from(line);
      for (let at = 0; at < bytes.length; at++) {
        const cut = bytes.subarray(0, at);
        const where = `line ${n} truncated at byte ${at}`;
        checkLine(cut, where);
        const d = decodeLine(cut);
        if (d.ok) assert.throws(() => parseJson(d.text), JsonSyntaxError, where);
      }
    }
  });

  void test(`${CASES} seeded random mutations never crash the decoder or the parser`, () => {
    const rand = mulberry32(SEED);
    let invalid = 0;
    for (let i = 0; i < CASES; i++) {
      let { name, bytes } = mutate(rand, Buffer.from(VALID_LINES[i % VALID_LINES.length]));
      // Stack a second mutation now and then.
      if (rand() < 0.3 && bytes.length > 0) {
        const second = mutate(rand, bytes);
        name = `${name}, then ${second.name}`;
        bytes = second.bytes;
      }
      const where = describeCase(SEED, i, name, bytes);
      try {
        checkLine(bytes, where);
      } catch (err) {
        console.error(`mutation test failed — replay with ${where.split(' case')[0]}`);
        throw err;
      }
      const d = decodeLine(bytes);
      if (!d.ok) invalid++;
      else {
        try {
          parseJson(d.text);
        } catch {
          invalid++;
        }
      }
    }
    // The mutations must actually break most lines, or this test proves little.
    assert.ok(invalid > CASES / 3, `only ${invalid} of ${CASES} mutations were invalid`);
  });

  void test('mutated lines written to a file: readLines and JsonlStore see the same records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-mutation-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const rand = mulberry32(SEED ^ 0x51ce);
    const lines: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const m = mutate(rand, Buffer.from(VALID_LINES[i % VALID_LINES.length]));
      lines.push(m.bytes.length > 10_000 ? m.bytes.subarray(0, 10_000) : m.bytes);
    }
    const file = join(dir, 'mutated.jsonl');
    writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from(rand() < 0.2 ? '\r\n' : '\n')])));
    const fromLines: Array<{ line: number; hex: string }> = [];
    for await (const l of readLines(file, { chunkBytes: 333 })) {
      if (!isBlank(l.bytes)) fromLines.push({ line: l.line, hex: l.bytes.toString('hex') });
    }
    const store = await JsonlStore.open(file, { chunkBytes: 333 });
    try {
      assert.equal(store.count, fromLines.length, `MUTATION_SEED=${SEED}`);
      for (let i = 0; i < store.count; i++) {
        assert.equal(store.lineOf(i), fromLines[i].line, `MUTATION_SEED=${SEED} record ${i}`);
        assert.equal(
          (await store.readBytes(i)).toString('hex'),
          fromLines[i].hex,
          `MUTATION_SEED=${SEED} record ${i}`,
        );
      }
    } finally {
      await store.close();
    }
  });
});
