/**
 * Figures over the judgements that count (`effectiveJudgements`): agreement between annotators,
 * each annotator's self-consistency on order-swap audits, and position and length bias.
 *
 * - Labels: 'first' | 'second' | 'tie' (see JudgementEntry.label) — independent of the order shown, so
 *   two annotators who saw the sides in opposite orders agree when their labels are equal. Skips carry no
 *   label and take no part in agreement.
 * - Percent agreement: pooled over every pair of annotators and every item both labelled — agreeing
 *   comparisons / comparisons. An item judged by k annotators contributes k(k−1)/2 comparisons.
 * - κ: Cohen's κ for each pair of annotators over the items both labelled, then the unweighted mean over
 *   the pairs where κ is defined (Light's κ). κ is undefined (null) when chance agreement is 1 (both
 *   annotators gave one and the same label to everything).
 * - Self-consistency: an audit agrees with the original when the labels are equal. `sameSide` counts
 *   the disagreements where the annotator picked the same screen side both times — a position habit.
 * - Bias: left-wins = share of preferences whose chosen response was on the left (0.5 is unbiased);
 *   longer-wins = share, among preferences whose responses differ in length, where the longer one won.
 *   Audits are left out of bias and agreement (they repeat an item), and counted only for self-consistency.
 */
import type { JudgementEntry } from './record';

type Label = NonNullable<JudgementEntry['label']>;

export interface KappaResult {
  n: number;
  /** Observed agreement (0…1); null without items. */
  observed: number | null;
  /** Chance agreement from the two annotators' label shares. */
  chance: number | null;
  kappa: number | null;
}

/** Cohen's κ of two equally long label lists (the i-th labels belong to the same item). */
export function cohensKappa(x: readonly string[], y: readonly string[]): KappaResult {
  if (x.length !== y.length) throw new RangeError(`label lists differ in length: ${x.length} and ${y.length}`);
  const n = x.length;
  if (n === 0) return { n, observed: null, chance: null, kappa: null };
  const cx = new Map<string, number>();
  const cy = new Map<string, number>();
  let agree = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] === y[i]) agree++;
    cx.set(x[i], (cx.get(x[i]) ?? 0) + 1);
    cy.set(y[i], (cy.get(y[i]) ?? 0) + 1);
  }
  const observed = agree / n;
  let chance = 0;
  for (const [label, k] of cx) chance += (k / n) * ((cy.get(label) ?? 0) / n);
  const kappa = chance >= 1 ? null : (observed - chance) / (1 - chance);
  return { n, observed, chance, kappa };
}

export interface PairAgreement extends KappaResult {
  annotators: [string, string];
}

export interface AnnotatorFigures {
  annotator: string;
  preferences: number;
  ties: number;
  skips: number;
  /** Share of preferences with the chosen response on the left; null without preferences. */
  leftWinsRate: number | null;
  /** Preferences whose two responses differ in length (the base of longerWinsRate). */
  lengthDecided: number;
  longerWinsRate: number | null;
  audits: { n: number; consistent: number; rate: number | null; sameSide: number };
}

export interface AnnotationReport {
  annotators: AnnotatorFigures[];
  agreement: {
    /** Items labelled by two or more annotators. */
    items: number;
    comparisons: number;
    percent: number | null;
    /** Mean pairwise Cohen's κ (Light's κ); null when no pair has a defined κ. */
    kappa: number | null;
    pairs: PairAgreement[];
  };
}

/** The report over effective judgements (see the module comment for every definition). */
export function annotationReport(effective: readonly JudgementEntry[]): AnnotationReport {
  const labels = new Map<string, Map<string, Label>>(); // item → annotator → label
  const originals = new Map<string, JudgementEntry>(); // annotator+item → non-audit judgement
  const figures = new Map<string, AnnotatorFigures & { left: number; longer: number }>();
  const fig = (a: string): AnnotatorFigures & { left: number; longer: number } => {
    let f = figures.get(a);
    if (!f) {
      f = {
        annotator: a,
        preferences: 0,
        ties: 0,
        skips: 0,
        leftWinsRate: null,
        lengthDecided: 0,
        longerWinsRate: null,
        audits: { n: 0, consistent: 0, rate: null, sameSide: 0 },
        left: 0,
        longer: 0,
      };
      figures.set(a, f);
    }
    return f;
  };
  for (const e of effective) {
    if (e.audit || e.judgement === 'retract') continue;
    const f = fig(e.annotator);
    originals.set(`${e.annotator}\u0000${e.itemId}`, e);
    if (e.judgement === 'skip') {
      f.skips++;
      continue;
    }
    if (e.label) {
      let m = labels.get(e.itemId);
      if (!m) labels.set(e.itemId, (m = new Map()));
      m.set(e.annotator, e.label);
    }
    if (e.judgement === 'tie') {
      f.ties++;
      continue;
    }
    f.preferences++;
    if (e.shownOrder === 'chosen-left') f.left++;
    if (e.chosenLonger !== 0) {
      f.lengthDecided++;
      if (e.chosenLonger > 0) f.longer++;
    }
  }
  for (const e of effective) {
    if (!e.audit || !e.label) continue;
    const original = originals.get(`${e.annotator}\u0000${e.itemId}`);
    if (!original?.label) continue;
    const a = fig(e.annotator).audits;
    a.n++;
    if (original.label === e.label) a.consistent++;
    else if (e.label !== 'tie' && original.label !== 'tie' && e.shownOrder === original.shownOrder) a.sameSide++;
  }
  const annotators: AnnotatorFigures[] = [...figures.values()].map(({ left, longer, ...f }) => ({
    ...f,
    leftWinsRate: f.preferences ? left / f.preferences : null,
    longerWinsRate: f.lengthDecided ? longer / f.lengthDecided : null,
    audits: { ...f.audits, rate: f.audits.n ? f.audits.consistent / f.audits.n : null },
  }));
  annotators.sort((x, y) => (x.annotator < y.annotator ? -1 : x.annotator > y.annotator ? 1 : 0));

  // Pairwise: for each pair of annotators, the items both labelled.
  const byPair = new Map<string, { a: string; b: string; x: string[]; y: string[] }>();
  let items = 0;
  for (const m of labels.values()) {
    if (m.size < 2) continue;
    items++;
    const names = [...m.keys()].sort();
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const key = `${names[i]}\u0000${names[j]}`;
        let p = byPair.get(key);
        if (!p) byPair.set(key, (p = { a: names[i], b: names[j], x: [], y: [] }));
        p.x.push(m.get(names[i])!);
        p.y.push(m.get(names[j])!);
      }
    }
  }
  const pairs: PairAgreement[] = [...byPair.values()].map((p) => ({ annotators: [p.a, p.b], ...cohensKappa(p.x, p.y) }));
  let comparisons = 0;
  let agreeing = 0;
  const kappas: number[] = [];
  for (const p of pairs) {
    comparisons += p.n;
    agreeing += (p.observed ?? 0) * p.n;
    if (p.kappa !== null) kappas.push(p.kappa);
  }
  return {
    annotators,
    agreement: {
      items,
      comparisons,
      percent: comparisons ? Math.round(agreeing) / comparisons : null,
      kappa: kappas.length ? kappas.reduce((s, k) => s + k, 0) / kappas.length : null,
      pairs,
    },
  };
}
