import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  JsonSyntaxError,
  LosslessNumber,
  joinPath,
  locatePath,
  parseJson,
  stringifyJson,
} from '../../../../src/core/data/json';

/** The JsonSyntaxError parseJson throws for `text`. */
function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJson(text);
  } catch (err) {
    assert.ok(err instanceof JsonSyntaxError, `expected a JsonSyntaxError, got ${String(err)}`);
    return err;
  }
  assert.fail(`parsed without error: ${text}`);
}

void describe('parseJson errors: where and why', () => {
  void test('a line cut short inside a string points at the string', () => {
    const text = '{"prompt": "hi", "chosen": "a long ans';
    const e = syntaxError(text);
    assert.equal(e.offset, text.indexOf('"a long'));
    assert.match(e.message, /unterminated string.*cut short/);
  });

  void test('a line cut short between values points at the open object', () => {
    const e = syntaxError('{"prompt": "hi", ');
    assert.equal(e.offset, 0);
    assert.match(e.message, /cut short: an object is not closed \(missing \}\)/);
    const arr = syntaxError('{"chosen": [1, 2');
    assert.equal(arr.offset, 11);
    assert.match(arr.message, /array is not closed/);
    const value = syntaxError('{"chosen": ');
    assert.equal(value.offset, 11);
    assert.match(value.message, /value is missing at the end of the line/);
  });

  void test('a missing comma points at the next property', () => {
    const text = '{"chosen": "a" "rejected": "b"}';
    const e = syntaxError(text);
    assert.equal(e.offset, text.indexOf('"rejected"'));
    assert.equal(e.message, `expected ',' or '}' after the value of "chosen", found '"'`);
    const inArray = syntaxError('[1 2]');
    assert.equal(inArray.offset, 3);
    assert.match(inArray.message, /expected ',' or '\]' after an array element/);
  });

  void test('a trailing comma points at the closing bracket', () => {
    const obj = '{"a": 1, }';
    assert.deepEqual(
      [syntaxError(obj).offset, syntaxError(obj).message],
      [obj.indexOf('}'), 'trailing comma before }'],
    );
    const arr = '{"a": [1, 2,]}';
    assert.deepEqual(
      [syntaxError(arr).offset, syntaxError(arr).message],
      [arr.indexOf(']'), 'trailing comma before ]'],
    );
  });

  void test('single quotes are named as such', () => {
    const value = syntaxError(`{"chosen": 'yes'}`);
    assert.equal(value.offset, 11);
    assert.equal(value.message, 'strings must use double quotes, not single quotes');
    const key = syntaxError(`{'chosen': "yes"}`);
    assert.equal(key.offset, 1);
    assert.match(key.message, /expected a property name in double quotes, found '''/);
  });

  void test('an unescaped control character inside a string', () => {
    const tab = '{"chosen": "a\tb"}';
    const e = syntaxError(tab);
    assert.equal(e.offset, tab.indexOf('\t'));
    assert.match(e.message, /^a tab inside a string must be escaped/);
    const nul = syntaxError('{"chosen": "a\u0001"}');
    assert.equal(nul.offset, 13);
    assert.match(nul.message, /control character U\+0001 inside a string must be escaped/);
  });

  void test('two records on one line', () => {
    const text = '{"chosen": "a"}{"chosen": "b"}';
    const e = syntaxError(text);
    assert.equal(e.offset, 15);
    assert.match(e.message, /two records on one line/);
  });

  void test('bad escapes point at the backslash', () => {
    const x = '{"chosen": "a\\x41"}';
    assert.equal(syntaxError(x).offset, x.indexOf('\\'));
    assert.equal(syntaxError(x).message, "invalid escape '\\x' in a string");
    const u = '{"chosen": "\\u12G4"}';
    assert.equal(syntaxError(u).offset, u.indexOf('\\'));
    assert.match(syntaxError(u).message, /\\u must be followed by four hex digits/);
    const end = '{"chosen": "a\\';
    assert.equal(syntaxError(end).offset, end.length - 1);
    assert.match(syntaxError(end).message, /ends inside an escape/);
  });

  void test('other common mistakes', () => {
    assert.deepEqual([syntaxError('').offset, syntaxError('   ').offset], [0, 0]);
    assert.match(syntaxError('   ').message, /the line is empty/);
    assert.match(syntaxError('{"a": tru}').message, /unknown word 'tru' \(JSON knows true, false and null\)/);
    assert.match(syntaxError('{"a": nul}').message, /unknown word 'nul'/);
    assert.equal(syntaxError('{"a": True}').message, "'True' is not JSON (Python or JavaScript wrote it?); write true instead");
    assert.equal(syntaxError('{"a": NaN}').offset, 6);
    assert.equal(syntaxError('{"a": -}').message, 'malformed number');
    assert.equal(syntaxError('{"a": 01}').offset, 7);
    assert.match(syntaxError('\ufeff{"a": 1}').message, /unexpected '\ufeff' where a value was expected/);
  });

  void test('offsets count UTF-16 units (what editors use)', () => {
    const text = '{"prompt": "😀é", "chosen" "x"}';
    assert.equal(syntaxError(text).offset, text.indexOf(' "x"'.slice(1)));
  });

  void test('very long numbers are read whole (regression: they were cut at 400 characters)', () => {
    const big = '1' + '0'.repeat(500);
    const v = parseJson(`{"n": ${big}, "f": 0.${'3'.repeat(450)}}`) as { n: unknown; f: unknown };
    assert.ok(v.n instanceof LosslessNumber);
    assert.equal(v.n.text, big);
    assert.equal(v.f, 1 / 3);
  });

  void test('deep nesting is a syntax error, not a stack overflow (regression)', () => {
    const e = syntaxError('['.repeat(100_000));
    assert.match(e.message, /nested more than 1000 levels deep/);
    assert.equal(e.offset, 1000);
    // Within the limit the exact parser (taken because of the 20-digit number) still reads it.
    const ok = parseJson('['.repeat(999) + '12345678901234567890' + ']'.repeat(999));
    let inner: unknown = ok;
    for (let d = 0; d < 999; d++) inner = (inner as unknown[])[0];
    assert.ok(inner instanceof LosslessNumber);
    assert.equal(locatePath('{"a":' + '['.repeat(2000), 'a'), undefined);
  });
});

void describe('locatePath', () => {
  const text =
    '{"prompt": "p", "chosen": "c", "completions": [{"text": "a", "rank": 1}, {"text": "b", "rank": 2}], "data": {"odd key": 5, "n": 12345678901234567890}}';

  void test('finds the start of a value by field path', () => {
    assert.equal(locatePath(text, 'chosen'), text.indexOf('"c"'));
    assert.equal(locatePath(text, 'completions[1].rank'), text.indexOf('2}'));
    assert.equal(locatePath(text, 'completions[1]'), text.indexOf('{"text": "b"'));
    assert.equal(locatePath(text, 'data["odd key"]'), text.indexOf('5,'));
    assert.equal(locatePath(text, 'data.n'), text.indexOf('12345'));
    assert.equal(locatePath(text, ''), 0);
  });

  void test('falls back to the nearest parent that exists', () => {
    assert.equal(locatePath(text, 'completions[1].score'), text.indexOf('{"text": "b"'));
    assert.equal(locatePath(text, 'completions[7]'), text.indexOf('[{'));
    assert.equal(locatePath(text, 'missing'), undefined);
  });

  void test('works with whitespace and multi-byte text, and gives up on bad JSON', () => {
    const spaced = '{ "prompt" : "😀😀" ,\t"chosen" :   "x" }';
    assert.equal(locatePath(spaced, 'chosen'), spaced.indexOf('"x"'));
    assert.equal(locatePath('{"chosen": ', 'chosen'), undefined);
  });

  void test('joinPath writes the paths locatePath reads', () => {
    assert.equal(joinPath('', 'chosen'), 'chosen');
    assert.equal(joinPath('completions', 1), 'completions[1]');
    assert.equal(joinPath('completions[1]', 'rank'), 'completions[1].rank');
    assert.equal(joinPath('data', 'odd key'), 'data["odd key"]');
    assert.equal(joinPath('', 'odd key'), '["odd key"]');
    const top = '{"odd key": [true]}';
    assert.equal(locatePath(top, joinPath(joinPath('', 'odd key'), 0)), top.indexOf('true'));
  });
});

void describe('LosslessNumber', () => {
  void test('integers beyond 2^53 survive a round trip through stringifyJson', () => {
    const line =
      '{"id":12345678901234567890,"neg":-98765432109876543210,"safe":9007199254740991,"ids":[9007199254740993,1],"s":"12345678901234567890","f":1.5}';
    const v = parseJson(line) as Record<string, unknown>;
    assert.ok(v.id instanceof LosslessNumber);
    assert.equal(String(v.id), '12345678901234567890');
    assert.ok(v.neg instanceof LosslessNumber);
    assert.equal(v.safe, 9007199254740991);
    assert.ok((v.ids as unknown[])[0] instanceof LosslessNumber);
    assert.equal(v.s, '12345678901234567890');
    assert.equal(stringifyJson(v), line);
    assert.equal(Number(v.id), 12345678901234567890);
  });

  void test('stringifyJson without LosslessNumbers is JSON.stringify; a top-level LosslessNumber works too', () => {
    const plain = { a: [1, 'x', null], b: { c: true } };
    assert.equal(stringifyJson(plain), JSON.stringify(plain));
    assert.equal(stringifyJson(new LosslessNumber('123456789012345678901234')), '123456789012345678901234');
    assert.throws(() => stringifyJson(undefined), TypeError);
  });

  void test('__proto__ stays an ordinary key', () => {
    const v = parseJson('{"__proto__": {"x": 1}, "n": 12345678901234567890}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['__proto__', 'n']);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });
});

void test('Python literals get a message that says what to write instead', () => {
  for (const [text, want] of [['{"a": True}', 'true'], ['{"a": None}', 'null'], ['[NaN]', 'null']] as const) {
    assert.throws(
      () => parseJson(text),
      (e: unknown) => e instanceof JsonSyntaxError && e.message.includes(`write ${want} instead`) && e.offset === text.search(/True|None|NaN/),
    );
  }
});
