// A trained reward model folder (reward-model.onnx + reward-model.json + tokenizer.json), loaded for
// scoring: the tokenizer is checked against the one the model was trained with, pairs are tokenized the
// way training did (same template, max length, truncation) and scored in length-bucketed batches.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RuntimeSession, Runtime } from '../runtime';
import { bucketBatches, loadTokenizer, tokenizePairs, TokenizerMismatchError, type LocatedPair, type RewardTokenizer, type TruncationEntry } from '../tokenize';
import { collatePairs } from '../train/batch';
import type { SourceLocation, TextOrConversation } from '../data/record';

export const MODEL_CARD_FILE = 'reward-model.json';
export const MODEL_FILE = 'reward-model.onnx';

/** The parts of reward-model.json scoring needs (the trainer writes more). */
export interface ModelCard {
  format: string;
  model: { file: string; backbone: string };
  tokenizer: { file: string; name: string; sha256: string; vocabSize: number; padTokenId: number };
  template: { text: string; chat: string | null };
  maxLength: number;
  truncation: 'keep-end-of-prompt' | 'keep-start';
  rewards: { mean: number; std: number } | null;
  training?: { dataFile?: string; evalFile?: string | null; split?: { method: string; evalFraction: number | null; seed: number } };
  [key: string]: unknown;
}

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export interface PairScore {
  rewardChosen: number;
  rewardRejected: number;
  /** Tokens removed to fit maxLength (0 when the pair fit). */
  truncatedTokens: number;
  chosenTokens: number;
  rejectedTokens: number;
}

export interface ResponseScore {
  reward: number;
  /** Tokens removed to fit maxLength (prompt and response), -1 when it could not be scored. */
  truncatedTokens: number;
  /** The scored sequence's length in tokens. */
  tokens: number;
}

export interface ScoreOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

function totalRemoved(c: TruncationEntry | undefined): number {
  return c ? c.promptTokensRemoved + c.chosenTokensRemoved + c.rejectedTokensRemoved : 0;
}

export function readModelCard(dir: string): ModelCard {
  const d = resolve(dir);
  if (!existsSync(d)) throw new ModelLoadError(`${d}: no such folder — give the output folder of a training run (it holds ${MODEL_FILE} and ${MODEL_CARD_FILE})`);
  if (!statSync(d).isDirectory()) throw new ModelLoadError(`${d} is a file; give the model's folder (the one holding ${MODEL_FILE} and ${MODEL_CARD_FILE})`);
  const cardFile = join(d, MODEL_CARD_FILE);
  if (!existsSync(cardFile)) {
    const hint = existsSync(join(d, 'checkpoints', 'last', 'state.json')) ? ' It holds a checkpoint: the run was cancelled or is still going; resume it to finish.' : '';
    throw new ModelLoadError(`${d}: no ${MODEL_CARD_FILE}, so this is not a finished reward model.${hint}`);
  }
  let card: ModelCard;
  try {
    card = JSON.parse(readFileSync(cardFile, 'utf8')) as ModelCard;
  } catch (e) {
    throw new ModelLoadError(`${cardFile}: not readable JSON (${(e as Error).message})`);
  }
  if (typeof card.format !== 'string' || !card.format.startsWith('reward-studio/reward-model@')) {
    throw new ModelLoadError(`${cardFile}: not a Reward Studio model card (format ${JSON.stringify(card.format)})`);
  }
  return card;
}

export class RewardModel {
  private constructor(
    readonly dir: string,
    readonly card: ModelCard,
    readonly tokenizer: RewardTokenizer,
    private readonly session: RuntimeSession,
  ) {}

  /**
   * Loads a model folder. `tokenizer` (a path) replaces the folder's own tokenizer.json — and must be
   * the same tokenizer: a mismatch throws TokenizerMismatchError naming both.
   */
  static async load(dir: string, runtime: Runtime, opts: { tokenizer?: string } = {}): Promise<RewardModel> {
    const d = resolve(dir);
    const card = readModelCard(d);
    const tokFile = opts.tokenizer ?? join(d, card.tokenizer.file);
    const tokenizer = await loadTokenizer(tokFile);
    try {
      tokenizer.checkCompatible({ name: card.tokenizer.name, sha256: card.tokenizer.sha256, vocabSize: card.tokenizer.vocabSize });
    } catch (e) {
      if (e instanceof TokenizerMismatchError) e.message = `${tokFile}: ${e.message}`;
      throw e;
    }
    const modelFile = join(d, card.model.file);
    if (!existsSync(modelFile)) throw new ModelLoadError(`${modelFile} is missing; the folder's ${MODEL_CARD_FILE} names it`);
    const session = await runtime.createSession(modelFile, { label: MODEL_FILE });
    return new RewardModel(d, card, tokenizer, session);
  }

  /**
   * Rewards of both sides of each pair, in input order. Pairs longer than maxLength are cut the way
   * training cut them (a response too long to fit is cut too, never dropped, so every pair gets a score).
   */
  async scorePairs(items: readonly LocatedPair[], opts: ScoreOptions = {}): Promise<PairScore[]> {
    return (await this.score(items, false, opts)).scores;
  }

  /**
   * The reward of each response to its prompt (a response scored on its own, e.g. a selection in the
   * editor): tokenized and cut exactly as the chosen side of a pair would be.
   */
  async scoreResponses(
    items: ReadonlyArray<{ prompt: TextOrConversation; response: TextOrConversation; source: SourceLocation }>,
    opts: ScoreOptions = {},
  ): Promise<ResponseScore[]> {
    const { scores, cut } = await this.score(
      items.map((it) => ({ pair: { prompt: it.prompt, chosen: it.response, rejected: it.response }, source: it.source })),
      true,
      opts,
    );
    return scores.map((s, i) => {
      const c = cut.get(i);
      return { reward: s.rewardChosen, truncatedTokens: s.truncatedTokens < 0 ? -1 : c ? c.promptTokensRemoved + c.chosenTokensRemoved : 0, tokens: s.chosenTokens };
    });
  }

  private async score(items: readonly LocatedPair[], keepIdentical: boolean, opts: ScoreOptions): Promise<{ scores: PairScore[]; cut: Map<number, TruncationEntry> }> {
    const tok = await tokenizePairs(items, this.tokenizer, {
      maxLength: this.card.maxLength,
      truncation: this.card.truncation,
      textTemplate: this.card.template.text,
      onLongResponse: 'truncate',
      minResponseTokens: 1,
      keepIdentical,
    });
    const cut = new Map(tok.report.cut.map((c) => [c.index, c]));
    const out: (PairScore | undefined)[] = new Array(items.length);
    const { batches } = bucketBatches(tok.pairs, { batchSize: opts.batchSize ?? 32, seed: 0 });
    let done = 0;
    for (const b of batches) {
      if (opts.signal?.aborted) throw new Error('scoring cancelled');
      const batch = collatePairs(b, this.tokenizer.pad.id);
      const rows = 2 * batch.pairs;
      const res = await this.session.run(
        {
          input_ids: { dtype: 'int64', dims: [rows, batch.seqLen], data: batch.inputIds },
          attention_mask: { dtype: 'int64', dims: [rows, batch.seqLen], data: batch.attentionMask },
        },
        { signal: opts.signal },
      );
      const r = res.rewards.data as Float32Array;
      b.forEach((p, i) => {
        out[p.index] = {
          rewardChosen: r[i],
          rewardRejected: r[batch.pairs + i],
          truncatedTokens: totalRemoved(cut.get(p.index)),
          chosenTokens: p.chosen.length,
          rejectedTokens: p.rejected.length,
        };
      });
      done += b.length;
      opts.onProgress?.(done, tok.pairs.length);
    }
    // A pair still dropped (a side with no response tokens left) has no score: NaN, which JSON writes as null.
    const scores = Array.from(out, (s) => s ?? { rewardChosen: NaN, rewardRejected: NaN, truncatedTokens: -1, chosenTokens: 0, rejectedTokens: 0 });
    return { scores, cut };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
