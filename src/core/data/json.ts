/**
 * JSON for preference lines: JSON.parse on the fast path; a small exact parser when a line is bad (to
 * say where and why), when a field path must be located (to give its column), or when a line holds an
 * integer beyond 2^53 (kept verbatim so unknown fields are written back untouched).
 */

/** An integer literal too large for a double, kept as its source text. */
export class LosslessNumber {
  constructor(readonly text: string) {}
  valueOf(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    /** 0-based UTF-16 offset in the parsed text. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

// 16+ digits in a row may be an integer beyond Number.MAX_SAFE_INTEGER (9007199254740991, 16 digits).
const MAYBE_UNSAFE_INTEGER = /\d{16,}/;
// The exact parser recurses once per nesting level; past this depth it reports an error instead of
// overflowing the stack (JSON.parse, which is not recursive, still takes deeper records on the fast path).
const MAX_DEPTH = 1000;
// Sticky, so a number is matched in place at any length (no slice, no length cap).
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parse one JSON text. Throws JsonSyntaxError with the offset of the first problem.
 * Integers beyond 2^53 become LosslessNumber.
 */
export function parseJson(text: string): unknown {
  if (!MAYBE_UNSAFE_INTEGER.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Fall through: the exact parser says where and why.
    }
  }
  return new ExactParser(text, false).parseDocument();
}

/** Offset (0-based, UTF-16) where the value at `path` starts, or undefined if it is not there. */
export function locatePath(text: string, path: string): number | undefined {
  if (path === '') return 0;
  try {
    const parser = new ExactParser(text, true);
    parser.parseDocument();
    return parser.spans.get(path) ?? nearestParent(parser.spans, path);
  } catch {
    return undefined;
  }
}

function nearestParent(spans: Map<string, number>, path: string): number | undefined {
  let p = path;
  while (p) {
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
    const at = spans.get(p);
    if (at !== undefined) return at;
  }
  return undefined;
}

/** Append a key or index to a field path: `chosen`, `chosen[2].content`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const safe = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  if (!base) return safe === key ? key : `[${safe}]`;
  return safe === key ? `${base}.${key}` : `${base}[${safe}]`;
}

/** JSON.stringify that writes LosslessNumber values back verbatim. Always one line. */
export function stringifyJson(value: unknown): string {
  let found = false;
  const token = `\u0000LN${Math.random().toString(36).slice(2)}:`;
  const texts: string[] = [];
  const out = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof LosslessNumber) {
      found = true;
      texts.push(v.text);
      return `${token}${texts.length - 1}`;
    }
    return v;
  });
  if (out === undefined) throw new TypeError('value cannot be written as JSON');
  if (!found) return out;
  const escaped = JSON.stringify(token).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return out.replace(new RegExp(`"${escaped}(\\d+)"`, 'g'), (_m, i: string) => texts[Number(i)]);
}

/** Describe a character for an error message. */
function describeChar(ch: string | undefined): string {
  if (ch === undefined) return 'the end of the line';
  if (ch === '\t') return 'a tab';
  if (ch === '\r') return 'a carriage return';
  if (ch < ' ') return `control character U+${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
  return `'${ch}'`;
}

class ExactParser {
  pos = 0;
  private depth = 0;
  readonly spans = new Map<string, number>();

  constructor(
    private readonly text: string,
    private readonly track: boolean,
  ) {}

  parseDocument(): unknown {
    this.skipWs();
    if (this.pos >= this.text.length) throw new JsonSyntaxError('the line is empty where a JSON record was expected', 0);
    const value = this.parseValue('');
    this.skipWs();
    if (this.pos < this.text.length) {
      throw new JsonSyntaxError(
        `unexpected ${describeChar(this.text[this.pos])} after the end of the record — two records on one line, or a stray character?`,
        this.pos,
      );
    }
    return value;
  }

  private fail(message: string, at = this.pos): never {
    throw new JsonSyntaxError(message, at);
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private parseValue(path: string): unknown {
    this.skipWs();
    if (this.track) this.spans.set(path, this.pos);
    const ch = this.text[this.pos];
    switch (ch) {
      case '{':
        return this.parseObject(path);
      case '[':
        return this.parseArray(path);
      case '"':
        return this.parseString();
      case 't':
        return this.parseWord('true', true);
      case 'f':
        return this.parseWord('false', false);
      case 'n':
        return this.parseWord('null', null);
      case undefined:
        return this.fail('the record is cut short: a value is missing at the end of the line (was the file truncated?)');
      case "'":
        return this.fail("strings must use double quotes, not single quotes");
      default:
        if (ch === '-' || (ch >= '0' && ch <= '9')) return this.parseNumber();
        {
          const word = /^(True|False|None|NaN|Infinity|undefined)\b/.exec(this.text.slice(this.pos, this.pos + 10));
          if (word) {
            const fix: Record<string, string> = { True: 'true', False: 'false', None: 'null', NaN: 'null', Infinity: 'a number', undefined: 'null' };
            return this.fail(`'${word[1]}' is not JSON (Python or JavaScript wrote it?); write ${fix[word[1]]} instead`);
          }
        }
        return this.fail(`unexpected ${describeChar(ch)} where a value was expected`);
    }
  }

  private parseWord(word: string, value: unknown): unknown {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    const m = /^[A-Za-z_]+/.exec(this.text.slice(this.pos, this.pos + 32));
    return this.fail(`unknown word '${m ? m[0] : this.text[this.pos]}' (JSON knows true, false and null)`);
  }

  private parseNumber(): number | LosslessNumber {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) return this.fail('malformed number');
    this.pos += m[0].length;
    const literal = m[0];
    const value = Number(literal);
    if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(value)) return new LosslessNumber(literal);
    return value;
  }

  private parseString(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string: the closing quote is missing (was the line cut short?)', start);
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === 0x5c) {
        out += t.slice(chunkStart, this.pos);
        out += this.parseEscape();
        chunkStart = this.pos;
        continue;
      }
      if (c < 0x20) {
        this.fail(`${describeChar(t[this.pos])} inside a string must be escaped (\\n, \\t, \\u00XX)`);
      }
      this.pos++;
    }
  }

  private parseEscape(): string {
    const t = this.text;
    const at = this.pos;
    const e = t[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = t.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('\\u must be followed by four hex digits', at);
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      case undefined:
        return this.fail('unterminated string: the line ends inside an escape', at);
      default:
        return this.fail(`invalid escape '\\${e}' in a string`, at);
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`the record is nested more than ${MAX_DEPTH} levels deep`);
  }

  private parseArray(path: string): unknown[] {
    const open = this.pos;
    this.enter();
    this.pos++;
    const out: unknown[] = [];
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(this.track ? joinPath(path, out.length) : ''));
      this.skipWs();
      const ch = this.text[this.pos];
      if (ch === ',') {
        this.pos++;
        this.skipWs();
        if (this.text[this.pos] === ']') this.fail('trailing comma before ]');
        continue;
      }
      if (ch === ']') {
        this.pos++;
        this.depth--;
        return out;
      }
      if (ch === undefined) this.fail('the record is cut short: an array is not closed (missing ])', open);
      this.fail(`expected ',' or ']' after an array element, found ${describeChar(ch)}`);
    }
  }

  private parseObject(path: string): Record<string, unknown> {
    const open = this.pos;
    this.enter();
    this.pos++;
    const out: Record<string, unknown> = {};
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.skipWs();
      const ch = this.text[this.pos];
      if (ch !== '"') {
        if (ch === undefined) this.fail('the record is cut short: an object is not closed (missing })', open);
        if (ch === '}') this.fail('trailing comma before }');
        this.fail(`expected a property name in double quotes, found ${describeChar(ch)}`);
      }
      const key = this.parseString();
      this.skipWs();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after property name "${key}", found ${describeChar(this.text[this.pos])}`);
      this.pos++;
      const value = this.parseValue(this.track ? joinPath(path, key) : '');
      // Same semantics as JSON.parse: the last duplicate key wins; __proto__ stays an own property.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWs();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === '}') {
        this.pos++;
        this.depth--;
        return out;
      }
      if (next === undefined) this.fail('the record is cut short: an object is not closed (missing })', open);
      this.fail(`expected ',' or '}' after the value of "${key}", found ${describeChar(next)}`);
    }
  }
}
