// The messages between the editor (src/extension/inspect, through ScoreClient) and the score server: a
// child process that holds reward models and scores JSONL lines, so that tokenizing and session.run
// never happen on the extension host's thread and a crash there never reaches VS Code.
import type { FormatId } from '../data/formats/types';
import type { TextOrConversation } from '../data/record';
import type { ProviderChoice, ProviderName } from '../runtime';

/** What a loaded model is, as the editor shows it. */
export interface LoadedModel {
  /** Identity of the model on disk (folder + the .onnx file's size and mtime): scores are cached under it. */
  key: string;
  dir: string;
  /** Folder name, or the card's name. */
  name: string;
  provider: ProviderName;
  /** One line per provider tried (why CUDA or WebGPU was skipped). */
  providerSummary: string;
  maxLength: number;
  /** Mean and std of the rewards on the training data (for normalised rewards), when the card has them. */
  rewards: { mean: number; std: number } | null;
}

/** One pair a line yields, scored. */
export interface ScoredPair {
  rewardChosen: number;
  rewardRejected: number;
  chosenTokens: number;
  rejectedTokens: number;
  /** Tokens removed to fit maxLength (0 when the pair fit). */
  truncatedTokens: number;
}

/** The result for one line: its pairs (a ranked record yields several), or why it has none. */
export type LineResult =
  | { line: number; pairs: ScoredPair[]; unscored?: string }
  | { line: number; skip: string };

export type ServerRequest =
  | { kind: 'load'; id: number; dir: string; provider: ProviderChoice }
  | { kind: 'unload'; id: number; key: string }
  | { kind: 'scoreLines'; id: number; key: string; format: FormatId; file: string; lines: Array<{ line: number; text: string }> }
  | { kind: 'scoreResponse'; id: number; key: string; prompt: TextOrConversation; response: TextOrConversation }
  | { kind: 'stats'; id: number };

export interface ServerReplyValues {
  load: LoadedModel;
  unload: null;
  scoreLines: LineResult[];
  scoreResponse: { reward: number; tokens: number; truncatedTokens: number };
  stats: ServerStats;
}

export interface ServerStats {
  /** Lines answered, and how many of them came from the cache. */
  lines: number;
  cacheHits: number;
  pairsScored: number;
  /** Milliseconds spent scoring (tokenizing + runs). */
  scoringMs: number;
  cacheEntries: number;
}

export type ServerReply =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { name: string; message: string } };
