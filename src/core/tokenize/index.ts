// Tokenization for reward models: load or train a tokenizer, format records, tokenize pairs with reported
// truncation, and bucket them into batches for collatePairs. No vscode, no onnxruntime.
export {
  RewardTokenizer,
  TokenizerLoadError,
  TokenizerMismatchError,
  loadTokenizer,
  saveTokenizer,
  type SpecialTokenInfo,
  type TokenSource,
  type TokenizerIdentity,
} from './tokenizer';
export { DEFAULT_TEXT_TEMPLATE, TemplateError, formatPair, type FormatOptions, type FormattedPair } from './format';
export {
  describeTruncation,
  tokenizePairs,
  type LocatedPair,
  type RewardTokenizedPair,
  type TokenizeOptions,
  type TokenizeResult,
  type TruncationEntry,
  type TruncationReport,
  type TruncationStrategy,
} from './pairs';
export { bucketBatches, paddingStats, randomBatches, type BucketOptions, type BucketedBatches, type PaddingStats } from './bucket';
export { DEFAULT_SPECIAL_TOKENS, DEFAULT_TRAINED_CHAT_TEMPLATE, trainTokenizer, type TrainTokenizerOptions } from './train';
