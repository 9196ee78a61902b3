/**
 * The one output format: a TRL preference line. Canonical fields first (prompt, chosen, rejected, margin,
 * id, meta), then the source's unknown fields (`extra`) in their original order, so a file read and
 * written back keeps every field it had. Values are written with `stringifyJson`, which puts
 * LosslessNumber integers (beyond 2^53) back digit for digit.
 */
import { stringifyJson } from '../json';
import type { PreferencePair } from '../record';
import { hasOwn, setOwn } from './common';

export function toTrlObject(pair: PreferencePair): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  setOwn(out, 'prompt', pair.prompt);
  setOwn(out, 'chosen', pair.chosen);
  setOwn(out, 'rejected', pair.rejected);
  if (pair.margin !== undefined) setOwn(out, 'margin', pair.margin);
  if (pair.id !== undefined) setOwn(out, 'id', pair.id);
  if (pair.meta !== undefined) setOwn(out, 'meta', pair.meta);
  if (pair.extra) {
    for (const key of Object.keys(pair.extra)) {
      const value = pair.extra[key];
      // A canonical value already written wins; readers never put canonical names in extra, but a pair
      // built by hand might, and the line must not hold the same key twice.
      if (value === undefined || hasOwn(out, key)) continue;
      setOwn(out, key, value);
    }
  }
  return out;
}

/** One JSON line without the trailing newline. */
export function serializeTrlLine(pair: PreferencePair): string {
  return stringifyJson(toTrlObject(pair));
}
