/**
 * Data-quality checks over a stream of pairs: empty sides, chosen == rejected, exact duplicates, and
 * contradictions (the same pair elsewhere with the label flipped). Each finding is a located warning.
 */
import { createHash } from 'node:crypto';
import type { DataProblem } from './problems';
import { isEmptySide, type PreferencePair, type TextOrConversation } from './record';

/** A stable text key for a prompt or response: the string, or role-tagged message contents. */
export function contentKey(value: TextOrConversation): string {
  if (typeof value === 'string') return `s\u0000${value}`;
  return `c\u0000${value.map((m) => `${m.role}\u0001${m.content}`).join('\u0002')}`;
}

function pairHash(prompt: string, first: string, second: string): string {
  // 96 bits: collisions over 10^9 pairs stay below one in 10^10.
  return createHash('sha1').update(prompt).update('\u0003').update(first).update('\u0003').update(second).digest('base64').slice(0, 16);
}

export interface QualityCounts {
  emptySides: number;
  identical: number;
  duplicates: number;
  contradictions: number;
}

export class QualityChecker {
  readonly counts: QualityCounts = { emptySides: 0, identical: 0, duplicates: 0, contradictions: 0 };
  /** Distinct prompt keys seen (hashed), for the prompt count. */
  private readonly promptKeys = new Set<string>();
  /** pair hash → first line it was seen on. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly file: string) {}

  get distinctPrompts(): number {
    return this.promptKeys.size;
  }

  /** Check one pair read from `line`; returns the warnings it raises (possibly none). */
  check(pair: PreferencePair, line: number): DataProblem[] {
    const problems: DataProblem[] = [];
    const warn = (code: DataProblem['code'], path: string, message: string): void => {
      problems.push({ file: this.file, line, column: 1, path, message, severity: 'warning', code });
    };
    const p = contentKey(pair.prompt);
    const c = contentKey(pair.chosen);
    const r = contentKey(pair.rejected);
    this.promptKeys.add(createHash('sha1').update(p).digest('base64').slice(0, 16));

    const emptyChosen = isEmptySide(pair.chosen);
    const emptyRejected = isEmptySide(pair.rejected);
    if (emptyChosen || emptyRejected) {
      this.counts.emptySides++;
      const side = emptyChosen && emptyRejected ? 'both responses are' : emptyChosen ? 'the chosen response is' : 'the rejected response is';
      warn('empty-side', emptyChosen ? 'chosen' : 'rejected', `${side} empty — the pair teaches the reward model nothing; fill it in or remove the line`);
    }
    if (c === r) {
      this.counts.identical++;
      warn('identical-sides', 'rejected', 'chosen and rejected are identical — the loss cannot prefer one over the other; remove the line or fix one side');
      return problems; // a duplicate/contradiction report would only repeat this
    }
    const key = pairHash(p, c, r);
    const earlier = this.seen.get(key);
    if (earlier !== undefined) {
      this.counts.duplicates++;
      warn('duplicate', '', `the same prompt, chosen and rejected as line ${earlier} — a duplicate counts this judgement twice in training and can leak across a train/eval split; remove one`);
      return problems;
    }
    this.seen.set(key, line);
    const flipped = this.seen.get(pairHash(p, r, c));
    if (flipped !== undefined) {
      this.counts.contradictions++;
      warn('contradiction', '', `line ${flipped} has the same prompt and responses with chosen and rejected swapped — the two labels contradict each other; re-judge one of them`);
    }
    return problems;
  }
}
