// What the editor knows of one open document's rewards, by line: the latest result of each line, and —
// for lines the user is editing — the score they had before the edit began, so a re-score can show how
// far the reward moved. Edits shift the lines below them, as the editor does; a line an edit touches
// loses its result until it is scored again. Pure: driven by the extension's change events and tests.
import type { LineResult, ScoredPair } from './protocol';

/** One edit in line terms: lines startLine..endLine (0-based, inclusive) were replaced by `insertedLines` + 1 lines. */
export interface LineChange {
  startLine: number;
  endLine: number;
  /** Newlines in the inserted text. */
  insertedLines: number;
}

export class DocScores {
  private results = new Map<number, LineResult>();
  /** Score of a line before the user started editing it (first pair). */
  private baselines = new Map<number, ScoredPair>();
  /** Lines edited since they were last scored. */
  private dirty = new Set<number>();

  get size(): number {
    return this.results.size;
  }

  get(line: number): LineResult | undefined {
    return this.results.get(line);
  }

  has(line: number): boolean {
    return this.results.has(line);
  }

  set(result: LineResult): void {
    this.results.set(result.line, result);
    this.dirty.delete(result.line);
  }

  /** The score a line had before its current edit, when it has been edited since it was first scored. */
  baseline(line: number): ScoredPair | undefined {
    return this.baselines.get(line);
  }

  isDirty(line: number): boolean {
    return this.dirty.has(line);
  }

  dirtyLines(): number[] {
    return [...this.dirty].sort((a, b) => a - b);
  }

  /** Forget the "before the edit" score of a line (the user saved, or asked to reset). */
  clearBaselines(): void {
    this.baselines.clear();
  }

  clear(): void {
    this.results.clear();
    this.baselines.clear();
    this.dirty.clear();
  }

  entries(): IterableIterator<[number, LineResult]> {
    return this.results.entries();
  }

  /**
   * Applies one content change. A change inside one line keeps that line's pre-edit score as its
   * baseline (the line is being edited); lines the change removes lose everything; lines below move.
   */
  apply(change: LineChange): void {
    const { startLine, endLine, insertedLines } = change;
    const delta = insertedLines - (endLine - startLine);
    const singleLine = startLine === endLine && insertedLines === 0;
    const shift = <T>(m: Map<number, T>, keepStart: boolean): Map<number, T> => {
      const out = new Map<number, T>();
      for (const [line, v] of m) {
        if (line < startLine) out.set(line, v);
        else if (line > endLine) out.set(line + delta, v);
        else if (line === startLine && keepStart) out.set(line, v);
      }
      return out;
    };
    if (singleLine) {
      const before = this.results.get(startLine);
      if (before && 'pairs' in before && before.pairs.length && !this.baselines.has(startLine)) this.baselines.set(startLine, before.pairs[0]);
      // A keystroke: nothing moves, only this line changes (no pass over a 100k-line map per key).
      this.results.delete(startLine);
      this.dirty.add(startLine);
      return;
    }
    this.results = shift(this.results, false);
    this.baselines = shift(this.baselines, singleLine);
    const dirty = new Set<number>();
    for (const line of this.dirty) {
      if (line < startLine) dirty.add(line);
      else if (line > endLine) dirty.add(line + delta);
    }
    for (let l = startLine; l <= startLine + insertedLines; l++) dirty.add(l);
    this.dirty = dirty;
  }
}
