/**
 * A child process for the append writer's crash tests: appends records to one file in a loop and prints
 * `<id> <offset> <bytes>` on stdout only after append() resolved — the acknowledgement the parent holds
 * it to after killing it. Records are a pure function of (seed, tag, seq), so the parent can rebuild the
 * exact bytes of any record, the one in flight at a kill included.
 *
 *   node appendChild.js '{"file":"/tmp/x.jsonl","seed":1,"tag":"r0"}'
 *
 * On an append error it prints `error <code> <message>` and exits 0; after `limit` records it prints `done`.
 */
import { createHash } from 'node:crypto';
import { AppendWriter } from '../../src/core/data/appendWriter';
import { mulberry32 } from '../../src/core/random';
export { mulberry32 };

export interface ChildOptions {
  file: string;
  seed: number;
  /** Distinguishes this writer's records from every other writer's (a round, a window). */
  tag: string;
  fsync?: boolean;
  /** Stop after this many records (default: run until killed). */
  limit?: number;
  /** Payload length range in characters, drawn log-uniformly (default 50 … 200 000). */
  minChars?: number;
  maxChars?: number;
}

export interface CrashRecord {
  id: string;
  tag: string;
  seq: number;
  /** First 16 hex digits of the SHA-256 of the payload's UTF-8. */
  sum: string;
  payload: string;
}


function hashSeed(...parts: Array<string | number>): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

// Multi-byte UTF-8, characters JSON escapes (quote, backslash, newline, tab). No '{': a record's text
// never contains one after its first byte, so a torn record is told apart from a record that follows it.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;:!?-é ßжд日本語→"\\\n\t';
const BASE_CHARS = 1 << 18;
let base: string | undefined;

function baseText(): string {
  if (base === undefined) {
    const rand = mulberry32(0x5eed);
    const parts: string[] = [];
    for (let i = 0; i < BASE_CHARS; i++) parts.push(ALPHABET[Math.floor(rand() * ALPHABET.length)]);
    base = parts.join('');
  }
  return base;
}

export function checksum(payload: string): string {
  return createHash('sha256').update(payload, 'utf8').digest('hex').slice(0, 16);
}

export function recordFor(
  seed: number,
  tag: string,
  seq: number,
  minChars = 50,
  maxChars = 200_000,
): CrashRecord {
  const rand = mulberry32(hashSeed(seed, tag, seq));
  const chars = Math.round(Math.exp(Math.log(minChars) + rand() * (Math.log(maxChars) - Math.log(minChars))));
  const text = baseText();
  let payload = '';
  while (payload.length < chars) {
    const start = Math.floor(rand() * text.length);
    payload += text.slice(start, start + chars - payload.length);
  }
  // The id comes first so that even a short torn prefix says whose record it was.
  return { id: `${tag}-${seq}`, tag, seq, sum: checksum(payload), payload };
}

/** The exact line (with its '\n') the writer puts in the file for `rec`. */
export function recordLineBytes(rec: CrashRecord): Buffer {
  return Buffer.from(`${JSON.stringify(rec)}\n`, 'utf8');
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2]) as ChildOptions;
  const writer = await AppendWriter.open(opts.file, { fsync: opts.fsync ?? true });
  process.stdout.write('ready\n');
  const limit = opts.limit ?? Infinity;
  for (let seq = 0; seq < limit; seq++) {
    const rec = recordFor(opts.seed, opts.tag, seq, opts.minChars, opts.maxChars);
    try {
      const r = await writer.append(rec);
      // Pipes are written synchronously on Linux: once this returns, the parent will read it.
      process.stdout.write(`${rec.id} ${r.offset} ${r.bytes}\n`);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'none';
      process.stdout.write(`error ${code} ${(err as Error).message.replace(/\n/g, ' ')}\n`);
      return;
    }
  }
  await writer.close();
  process.stdout.write('done\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
