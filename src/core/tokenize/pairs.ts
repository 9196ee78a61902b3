// Preference pairs → token ids for the Bradley–Terry batches, with truncation that is always reported.
//
// Each side is [head specials] + prompt + response + [tail specials]. The prompt ids are computed once per
// pair and shared by both sides. Special tokens at the very start (BOS, [CLS]) and very end (EOS, [SEP])
// are pinned: truncation never removes them, so the token the reward is read from stays the last one.
import type { PreferencePair, SourceLocation } from '../data/record';
import type { TokenizedPair } from '../train/batch';
import { formatPair, type FormatOptions, type FormattedPair } from './format';
import type { RewardTokenizer } from './tokenizer';

/** A record and where it was read from (file:line for the report). */
export interface LocatedPair {
  pair: PreferencePair;
  source: SourceLocation;
}

export interface RewardTokenizedPair extends TokenizedPair {
  chosen: Int32Array;
  rejected: Int32Array;
  /** Tokens both sides share at their start (head specials + prompt). */
  promptLength: number;
  source: SourceLocation;
  /** Position of the record in the input of tokenizePairs (dropped records leave gaps). */
  index: number;
}

/**
 * - `keep-end-of-prompt` (default): drop tokens from the prompt's start first (the turn being answered is
 *   at its end); responses keep their start. A pair whose longer response does not fit beside
 *   `minPromptTokens` prompt tokens is dropped (or, with `onLongResponse: 'truncate'`, its responses cut).
 * - `keep-start`: keep the first tokens of prompt + response (right truncation), tail specials kept.
 */
export type TruncationStrategy = 'keep-end-of-prompt' | 'keep-start';

export interface TokenizeOptions extends FormatOptions {
  maxLength: number;
  truncation?: TruncationStrategy;
  /** keep-end-of-prompt: the prompt keeps at least this many tokens (all of it when shorter). Default 16. */
  minPromptTokens?: number;
  /** keep-end-of-prompt: what to do when a response alone does not fit. Default 'drop'. */
  onLongResponse?: 'drop' | 'truncate';
  /** Each side keeps at least this many response tokens, or the pair is dropped. Default 1. */
  minResponseTokens?: number;
  /** Texts per encodeBatch call. */
  batchSize?: number;
  /** Keep a pair whose sides are identical once tokenized (scoring one response as both sides); default false: dropped, as training must. */
  keepIdentical?: boolean;
}

export interface TruncationEntry {
  /** `file:line`. */
  where: string;
  source: SourceLocation;
  /** Position of the record in the input of tokenizePairs. */
  index: number;
  promptTokensRemoved: number;
  chosenTokensRemoved: number;
  rejectedTokensRemoved: number;
  /** Why a pair was dropped; absent for cut pairs. */
  reason?: string;
}

export interface TruncationReport {
  maxLength: number;
  strategy: TruncationStrategy;
  total: number;
  kept: number;
  cut: TruncationEntry[];
  dropped: TruncationEntry[];
  /** Longest side before truncation, in tokens (for choosing maxLength). */
  longest: number;
}

export interface TokenizeResult {
  pairs: RewardTokenizedPair[];
  report: TruncationReport;
}

function where(s: SourceLocation): string {
  return `${s.file}:${s.line}`;
}

/** Leading run of special ids (BOS-like) in a prompt; trailing run (EOS-like) in a response. */
function leadingSpecials(ids: number[], special: ReadonlySet<number>): number {
  let i = 0;
  while (i < ids.length && special.has(ids[i])) i++;
  return i;
}

function trailingSpecials(ids: number[], special: ReadonlySet<number>): number {
  let i = 0;
  while (i < ids.length && special.has(ids[ids.length - 1 - i])) i++;
  return i;
}

function startsWith(ids: number[], run: number[]): boolean {
  return run.length <= ids.length && run.every((v, i) => ids[i] === v);
}

function endsWith(ids: number[], run: number[]): boolean {
  const off = ids.length - run.length;
  return off >= 0 && run.every((v, i) => ids[off + i] === v);
}

function sameIds(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export async function tokenizePairs(items: readonly LocatedPair[], tokenizer: RewardTokenizer, opts: TokenizeOptions): Promise<TokenizeResult> {
  const { maxLength } = opts;
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new Error(`tokenizePairs: maxLength must be an integer ≥ 2, got ${maxLength}`);
  const strategy = opts.truncation ?? 'keep-end-of-prompt';
  const minPrompt = opts.minPromptTokens ?? 16;
  const minResponse = Math.max(1, opts.minResponseTokens ?? 1);
  const onLong = opts.onLongResponse ?? 'drop';
  const formatOpts: FormatOptions = {
    ...opts,
    chatTemplate: opts.chatTemplate ?? tokenizer.chatTemplate,
    specialTokens: { ...tokenizer.specialTokens, ...opts.specialTokens },
  };

  const formatted: FormattedPair[] = items.map((it) => {
    try {
      return formatPair(it.pair, formatOpts);
    } catch (e) {
      (e as Error).message = `${where(it.source)}: ${(e as Error).message}`;
      throw e;
    }
  });
  const texts: string[] = [];
  for (const f of formatted) texts.push(f.prompt, f.chosen, f.rejected);
  const ids = await tokenizer.encodeBatch(texts, opts.batchSize);

  const special = tokenizer.specialIds;
  const report: TruncationReport = { maxLength, strategy, total: items.length, kept: 0, cut: [], dropped: [], longest: 0 };
  const pairs: RewardTokenizedPair[] = [];

  items.forEach((item, i) => {
    const promptIds = ids[3 * i];
    const nLead = leadingSpecials(promptIds, special);
    let head = promptIds.slice(0, nLead);
    if (!startsWith(head, tokenizer.prefixIds)) head = [...tokenizer.prefixIds, ...head];
    const prompt = promptIds.slice(nLead);

    const sides = [ids[3 * i + 1], ids[3 * i + 2]].map((r) => {
      const nTrail = trailingSpecials(r, special);
      let tail = r.slice(r.length - nTrail);
      if (!endsWith(tail, tokenizer.suffixIds)) tail = [...tail, ...tokenizer.suffixIds];
      return { body: r.slice(0, r.length - nTrail), tail };
    });
    const tailLen = Math.max(sides[0].tail.length, sides[1].tail.length);
    const budget = maxLength - head.length - tailLen;
    const longestBody = Math.max(sides[0].body.length, sides[1].body.length);
    report.longest = Math.max(report.longest, head.length + prompt.length + longestBody + tailLen);

    const entry = (removedPrompt: number, keepBody: number[], reason?: string): TruncationEntry => ({
      where: where(item.source),
      source: item.source,
      index: i,
      promptTokensRemoved: removedPrompt,
      chosenTokensRemoved: Math.max(0, sides[0].body.length - keepBody[0]),
      rejectedTokensRemoved: Math.max(0, sides[1].body.length - keepBody[1]),
      ...(reason === undefined ? {} : { reason }),
    });
    const drop = (reason: string): void => {
      report.dropped.push(entry(prompt.length, [0, 0], reason));
    };

    let keepPrompt = prompt.length;
    let keepBody = sides.map((s) => s.body.length);
    if (budget < minResponse) {
      drop(`maxLength ${maxLength} leaves no room for text beside ${head.length + tailLen} special tokens`);
      return;
    }
    if (prompt.length + longestBody > budget) {
      if (strategy === 'keep-end-of-prompt') {
        const floor = Math.min(prompt.length, minPrompt);
        keepPrompt = Math.max(floor, budget - longestBody);
        if (longestBody > budget - keepPrompt) {
          if (onLong === 'drop') {
            drop(`a response of ${longestBody} tokens does not fit maxLength ${maxLength} beside ${floor} prompt tokens`);
            return;
          }
          keepBody = keepBody.map((n) => Math.min(n, budget - keepPrompt));
        }
      } else {
        if (prompt.length >= budget) {
          drop(`the prompt alone (${prompt.length} tokens) fills maxLength ${maxLength}`);
          return;
        }
        keepBody = keepBody.map((n) => Math.min(n, budget - prompt.length));
      }
    }
    if (keepBody.some((n, s) => n < Math.min(minResponse, sides[s].body.length) || n === 0)) {
      drop(`a response keeps fewer than ${minResponse} tokens`);
      return;
    }
    const promptPart = prompt.slice(prompt.length - keepPrompt);
    const [chosen, rejected] = sides.map((s, k) => Int32Array.from([...head, ...promptPart, ...s.body.slice(0, keepBody[k]), ...s.tail]));
    if (!opts.keepIdentical && sameIds(chosen, rejected)) {
      drop('chosen and rejected are identical after tokenization/truncation');
      return;
    }
    if (keepPrompt < prompt.length || keepBody.some((n, k) => n < sides[k].body.length)) {
      report.cut.push(entry(prompt.length - keepPrompt, keepBody));
    }
    pairs.push({ chosen, rejected, margin: item.pair.margin, promptLength: head.length + keepPrompt, source: item.source, index: i });
  });
  report.kept = pairs.length;
  return { pairs, report };
}

/** A few lines for a log or the CLI: counts, then every cut and dropped pair by file:line. */
export function describeTruncation(report: TruncationReport, limit = Infinity): string {
  const lines = [
    `${report.total} pairs, maxLength ${report.maxLength} (${report.strategy}): ${report.kept} kept, ` +
      `${report.cut.length} cut, ${report.dropped.length} dropped; longest ${report.longest} tokens`,
  ];
  const list = (label: string, es: TruncationEntry[]): void => {
    es.slice(0, limit).forEach((e) => {
      const removed = `prompt −${e.promptTokensRemoved}, chosen −${e.chosenTokensRemoved}, rejected −${e.rejectedTokensRemoved}`;
      lines.push(`  ${label} ${e.where}: ${e.reason ?? removed}`);
    });
    if (es.length > limit) lines.push(`  … and ${es.length - limit} more ${label}`);
  };
  list('cut', report.cut);
  list('dropped', report.dropped);
  return lines.join('\n');
}
