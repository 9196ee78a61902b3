// A byte-level BPE tokenizer for the built-in backbone, trained on the user's own texts.
//
// The `tokenizers` binding trains, but exposes no trainer options (vocabulary size, minimum frequency,
// special tokens), so the merges are learned here — the classic algorithm over word counts with
// incremental pair counts — and the result is written as a standard tokenizer.json (ByteLevel
// pre-tokenizer and decoder, BPE model) that `tokenizers` loads and encodes with. Deterministic: ties go
// to the pair first seen, and every map is iterated in insertion order.
import { RewardTokenizer, loadTokenizersModule } from './tokenizer';

export const DEFAULT_SPECIAL_TOKENS = ['<|pad|>', '<|eos|>', '<|bos|>'] as const;

export interface TrainTokenizerOptions {
  /** Total vocabulary, special tokens and the 256 byte symbols included. Default 8000. */
  vocabSize?: number;
  /** A pair is merged only when it occurs at least this often. Default 2. */
  minFrequency?: number;
  /** Get ids 0, 1, …; named pad/eos/bos in tokenizer_config.json when called so. Default <|pad|>, <|eos|>, <|bos|>. */
  specialTokens?: readonly string[];
  /** Recorded in the identity and tokenizer_config.json. */
  name?: string;
  /** Stored as the tokenizer's chat_template. Default: a plain role-prefixed one (see README). */
  chatTemplate?: string;
}

/** role: content turns separated by blank lines; what conversational records look like to the built-in model. */
export const DEFAULT_TRAINED_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n\n{% endfor %}" +
  "{% if add_generation_prompt %}assistant: {% endif %}";

/** Max-heap of pair keys by count; ties to the smaller rank (first seen). Entries are checked when popped. */
class PairHeap {
  private readonly items: { key: number; count: number; rank: number }[] = [];
  push(key: number, count: number, rank: number): void {
    const a = this.items;
    a.push({ key, count, rank });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): { key: number; count: number; rank: number } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
  private before(x: { count: number; rank: number }, y: { count: number; rank: number }): boolean {
    return x.count > y.count || (x.count === y.count && x.rank < y.rank);
  }
}

/** Learns merges; returns the tokenizer.json text. */
export async function trainByteLevelBpe(texts: Iterable<string>, opts: TrainTokenizerOptions = {}): Promise<string> {
  const vocabSize = opts.vocabSize ?? 8000;
  const minFrequency = Math.max(1, opts.minFrequency ?? 2);
  const specials = [...(opts.specialTokens ?? DEFAULT_SPECIAL_TOKENS)];
  if (new Set(specials).size !== specials.length) throw new Error('trainTokenizer: special tokens must be distinct');
  const tk = await loadTokenizersModule();
  const alphabet = [...tk.byteLevelAlphabet()].sort();
  if (vocabSize < specials.length + alphabet.length) {
    throw new Error(`trainTokenizer: vocabSize ${vocabSize} is below the ${specials.length} special tokens + ${alphabet.length} byte symbols`);
  }

  // Word counts over the byte-level pre-tokenization GPT-2 uses (split on the GPT-2 regex, bytes → symbols).
  const pre = tk.byteLevelPreTokenizer(false, true);
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const [w] of pre.preTokenizeString(text)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }

  const symbols: string[] = [...specials, ...alphabet];
  const symbolId = new Map<string, number>(symbols.map((s, i) => [s, i]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push([...w].map((ch) => symbolId.get(ch)!));
    counts.push(c);
  }

  const K = 1 << 20; // pair key = a * K + b (ids stay far below 2^20)
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const pairRank = new Map<number, number>();
  const bump = (key: number, delta: number, w: number): void => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    if (delta > 0) {
      let s = pairWords.get(key);
      if (!s) pairWords.set(key, (s = new Set()));
      s.add(w);
      if (!pairRank.has(key)) pairRank.set(key, pairRank.size);
    }
  };
  words.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) bump(word[i] * K + word[i + 1], counts[w], w);
  });
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(key, c, pairRank.get(key)!);

  const merges: string[] = [];
  while (symbols.length < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) {
      if (current > 0) heap.push(top.key, current, top.rank); // stale entry: requeue with the true count
      continue;
    }
    if (current < minFrequency) break;
    const a = Math.floor(top.key / K);
    const b = top.key % K;
    const merged = symbols.length;
    symbols.push(symbols[a] + symbols[b]);
    merges.push(`${symbols[a]} ${symbols[b]}`);
    const touched = new Set<number>();
    for (const w of pairWords.get(top.key) ?? []) {
      const word = words[w];
      const c = counts[w];
      const out: number[] = [];
      let changed = false;
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          out.push(merged);
          i++;
          changed = true;
        } else out.push(word[i]);
      }
      if (!changed) continue;
      for (let i = 0; i + 1 < word.length; i++) {
        bump(word[i] * K + word[i + 1], -c, w);
        touched.add(word[i] * K + word[i + 1]);
      }
      for (let i = 0; i + 1 < out.length; i++) {
        bump(out[i] * K + out[i + 1], c, w);
        touched.add(out[i] * K + out[i + 1]);
      }
      words[w] = out;
    }
    pairCount.delete(top.key);
    pairWords.delete(top.key);
    for (const key of touched) {
      const c = pairCount.get(key) ?? 0;
      if (c > 0) heap.push(key, c, pairRank.get(key)!);
    }
  }

  const vocab: Record<string, number> = {};
  symbols.forEach((s, i) => {
    vocab[s] = i;
  });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  return JSON.stringify(json);
}

/** Trains a byte-level BPE tokenizer on `texts`; save it with the model via `saveTokenizer`. */
export async function trainTokenizer(texts: Iterable<string>, opts: TrainTokenizerOptions = {}): Promise<RewardTokenizer> {
  const json = await trainByteLevelBpe(texts, opts);
  const { Tokenizer } = await loadTokenizersModule();
  const specials = [...(opts.specialTokens ?? DEFAULT_SPECIAL_TOKENS)];
  const config: Record<string, unknown> = { tokenizer_class: 'PreTrainedTokenizerFast', clean_up_tokenization_spaces: false };
  for (const [key, name] of [
    ['pad_token', '<|pad|>'],
    ['eos_token', '<|eos|>'],
    ['bos_token', '<|bos|>'],
  ] as const) {
    if (specials.includes(name)) config[key] = name;
  }
  const chatTemplate = opts.chatTemplate ?? DEFAULT_TRAINED_CHAT_TEMPLATE;
  config.chat_template = chatTemplate;
  const name = opts.name ?? `reward-studio-bpe-${opts.vocabSize ?? 8000}`;
  config.name_or_path = name;
  return new RewardTokenizer({ native: Tokenizer.fromString(json), json, name, config, chatTemplate }).init();
}
