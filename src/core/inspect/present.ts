// How a line's rewards read in the editor — the CodeLens title, the hover, the disagreement message —
// and when a record counts as ranked against its label. Pure, so the extension and tests agree.
import type { LineResult, LoadedModel, ScoredPair } from './protocol';

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** P(chosen ≻ rejected) under Bradley–Terry: σ(r_chosen − r_rejected). */
export function pChosen(p: ScoredPair): number {
  return sigmoid(p.rewardChosen - p.rewardRejected);
}

export function fmtReward(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const s = x.toFixed(3);
  return s === '-0.000' ? '0.000' : s;
}

function signed(x: number): string {
  const s = fmtReward(x);
  return x > 0 && s !== '0.000' ? `+${s}` : s;
}

/** The CodeLens line: `r(chosen) 1.234 · r(rejected) -0.210 · Δ +1.444 · P(chosen) 0.81`. */
export function lensTitle(p: ScoredPair, baseline?: ScoredPair): string {
  const d = p.rewardChosen - p.rewardRejected;
  let title = `r(chosen) ${fmtReward(p.rewardChosen)} · r(rejected) ${fmtReward(p.rewardRejected)} · Δ ${signed(d)} · P(chosen) ${pChosen(p).toFixed(2)}`;
  if (baseline) {
    const moves: string[] = [];
    const dc = p.rewardChosen - baseline.rewardChosen;
    const dr = p.rewardRejected - baseline.rewardRejected;
    if (Math.abs(dc) >= 5e-4) moves.push(`chosen ${signed(dc)}`);
    if (Math.abs(dr) >= 5e-4) moves.push(`rejected ${signed(dr)}`);
    title += moves.length ? ` (since edit: ${moves.join(', ')})` : ' (since edit: unchanged)';
  }
  if (p.truncatedTokens > 0) title += ' · cut';
  return title;
}

/** Lens titles of a line (a ranked record yields one per pair). */
export function lensTitles(r: LineResult, baseline?: ScoredPair): string[] {
  if ('skip' in r) return [];
  if (r.unscored) return [`not scored: ${r.unscored}`];
  if (r.pairs.length === 1) return [lensTitle(r.pairs[0], baseline)];
  return r.pairs.map((p, i) => `pair ${i + 1}/${r.pairs.length}: ${lensTitle(p, i === 0 ? baseline : undefined)}`);
}

/** The hover's Markdown: every figure, the normalisation, and the lengths in tokens. */
export function hoverMarkdown(r: LineResult, model: LoadedModel): string {
  if ('skip' in r) return '';
  const rows: string[] = [];
  rows.push(`**Reward Studio** — model \`${model.name}\` on ${model.provider.toUpperCase()}`);
  rows.push('');
  r.pairs.forEach((p, i) => {
    if (r.pairs.length > 1) rows.push(`Pair ${i + 1} of ${r.pairs.length}`, '');
    rows.push('| | chosen | rejected |', '|---|---:|---:|');
    rows.push(`| reward | ${fmtReward(p.rewardChosen)} | ${fmtReward(p.rewardRejected)} |`);
    if (model.rewards && model.rewards.std > 0) {
      const z = (x: number): string => fmtReward((x - model.rewards!.mean) / model.rewards!.std);
      rows.push(`| normalised (z) | ${z(p.rewardChosen)} | ${z(p.rewardRejected)} |`);
    }
    rows.push(`| tokens | ${p.chosenTokens} | ${p.rejectedTokens} |`);
    rows.push('');
    const d = p.rewardChosen - p.rewardRejected;
    rows.push(`Δ = ${signed(d)}, P(chosen ≻ rejected) = σ(Δ) = ${pChosen(p).toFixed(3)}`);
    rows.push('');
    rows.push(
      p.truncatedTokens > 0
        ? `⚠ ${p.truncatedTokens} token${p.truncatedTokens === 1 ? '' : 's'} cut to fit the model's max length of ${model.maxLength} (as in training).`
        : `Fits the model's max length of ${model.maxLength} tokens.`,
    );
    rows.push('');
  });
  if (model.rewards) rows.push(`Normalised with the training rewards' mean ${fmtReward(model.rewards.mean)} and std ${fmtReward(model.rewards.std)}.`);
  return rows.join('\n');
}

export interface DisagreementPolicy {
  /** A record is flagged when P(chosen) is below this (0.5: every pair ranked the other way). */
  threshold: number;
}

/** The pairs of a line the model ranks against the label, with their P(chosen). */
export function disagreements(r: LineResult, policy: DisagreementPolicy): Array<{ index: number; pair: ScoredPair; p: number }> {
  if ('skip' in r || r.unscored) return [];
  const out: Array<{ index: number; pair: ScoredPair; p: number }> = [];
  r.pairs.forEach((pair, index) => {
    const p = pChosen(pair);
    if (p < policy.threshold) out.push({ index, pair, p });
  });
  return out;
}

export function disagreementMessage(d: { pair: ScoredPair; p: number; index: number }, pairs: number, model: LoadedModel): string {
  const which = pairs > 1 ? ` (pair ${d.index + 1} of ${pairs})` : '';
  return (
    `${model.name} prefers the rejected response${which}: P(chosen) = ${d.p.toFixed(2)} ` +
    `(r chosen ${fmtReward(d.pair.rewardChosen)}, r rejected ${fmtReward(d.pair.rewardRejected)}). ` +
    `Check the label: swap it, judge it again, or mark it reviewed.`
  );
}
