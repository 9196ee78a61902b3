// A Hugging Face tokenizer.json (+ tokenizer_config.json / special_tokens_map.json beside it) as the
// reward model sees it: the ids it needs (pad/eos/bos), the chat template, an identity for the model's
// metadata, and batched encoding with the file's own padding/truncation switched off.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Tokenizer } from 'tokenizers';

type TokenizersModule = typeof import('tokenizers');
let tokenizersModule: TokenizersModule | undefined;

/** The native `tokenizers` binding, loaded on first use (activation stays light). */
export async function loadTokenizersModule(): Promise<TokenizersModule> {
  tokenizersModule ??= await import('tokenizers');
  return tokenizersModule;
}

/** What a trained model records about its tokenizer; compared when the model is loaded again. */
export interface TokenizerIdentity {
  name: string;
  /** sha256 (hex) of the tokenizer.json bytes. */
  sha256: string;
  vocabSize: number;
}

/** Where a special-token id came from: the config files, a well-known token name, or a fallback. */
export type TokenSource = 'config' | 'known-name' | 'eos' | 'fallback';

export interface SpecialTokenInfo {
  token: string;
  id: number;
  source: TokenSource;
}

export class TokenizerMismatchError extends Error {
  constructor(
    readonly expected: TokenizerIdentity,
    readonly actual: TokenizerIdentity,
  ) {
    super(
      `Tokenizer mismatch: the model was trained with tokenizer "${expected.name}" ` +
        `(vocab ${expected.vocabSize}, sha256 ${expected.sha256.slice(0, 12)}…) but the tokenizer given is ` +
        `"${actual.name}" (vocab ${actual.vocabSize}, sha256 ${actual.sha256.slice(0, 12)}…). ` +
        'Use the tokenizer saved with the model.',
    );
    this.name = 'TokenizerMismatchError';
  }
}

export class TokenizerLoadError extends Error {
  override name = 'TokenizerLoadError';
}

const EOS_NAMES = ['<|endoftext|>', '</s>', '<|eos|>', '<eos>', '<|end_of_text|>', '<|im_end|>'];
const BOS_NAMES = ['<s>', '<|bos|>', '<bos>', '<|begin_of_text|>', '<|startoftext|>'];
const PAD_NAMES = ['<pad>', '[PAD]', '<|pad|>', '<|padding|>'];

/** Config files' special tokens are strings or serialized AddedTokens (`{content: …}`). */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

function readJsonIfExists(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch (e) {
    throw new TokenizerLoadError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** `chat_template` is a string, or (newer configs) a list of named templates of which `default` is used. */
function chatTemplateOf(config: Record<string, unknown> | undefined, dir: string): string | undefined {
  const t = config?.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: unknown; template?: unknown }[];
    const pick = named.find((x) => x.name === 'default') ?? named[0];
    if (pick && typeof pick.template === 'string') return pick.template;
  }
  const jinjaFile = join(dir, 'chat_template.jinja');
  return existsSync(jinjaFile) ? readFileSync(jinjaFile, 'utf8') : undefined;
}

export interface RewardTokenizerParts {
  native: Tokenizer;
  /** The exact tokenizer.json text (hashed for the identity, written back by save). */
  json: string;
  name: string;
  config?: Record<string, unknown>;
  specialTokensMap?: Record<string, unknown>;
  chatTemplate?: string;
}

/** A loaded (or trained) tokenizer, ready for the reward model. Create with `loadTokenizer`/`trainTokenizer`. */
export class RewardTokenizer {
  readonly native: Tokenizer;
  readonly json: string;
  readonly identity: TokenizerIdentity;
  readonly vocabSize: number;
  readonly pad: SpecialTokenInfo;
  readonly eos?: SpecialTokenInfo;
  readonly bos?: SpecialTokenInfo;
  readonly chatTemplate?: string;
  /** Special tokens by config name (bos_token, eos_token, pad_token, …), given to chat templates. */
  readonly specialTokens: Record<string, string>;
  /** Ids of every added special token: pinned at the ends of a sequence when truncating. */
  readonly specialIds: ReadonlySet<number>;
  /** Things a user should know about how this tokenizer was read (a guessed EOS, a fallback pad…). */
  readonly notes: string[] = [];
  readonly config: Record<string, unknown>;
  /** What the file's post-processor adds around one sequence (e.g. BERT's [CLS] … [SEP]); set by `init`. */
  prefixIds: number[] = [];
  suffixIds: number[] = [];

  constructor(parts: RewardTokenizerParts) {
    const { native } = parts;
    // The file's own settings would silently cut (MiniLM truncates at 128) or pad: we do both ourselves.
    native.disableTruncation();
    native.disablePadding();
    this.native = native;
    this.json = parts.json;
    this.config = parts.config ?? {};
    this.chatTemplate = parts.chatTemplate;
    this.vocabSize = native.getVocabSize(true);
    this.identity = { name: parts.name, sha256: createHash('sha256').update(parts.json).digest('hex'), vocabSize: this.vocabSize };

    const added = parseAddedTokens(parts.json);
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    const specialContents = added.filter((t) => t.special).map((t) => t.content);

    const fromConfig = (key: string): SpecialTokenInfo | undefined => {
      const text = tokenText(parts.config?.[key]) ?? tokenText(parts.specialTokensMap?.[key]);
      if (text === undefined) return undefined;
      const id = native.tokenToId(text);
      if (id === null || id === undefined) {
        this.notes.push(`${key} "${text}" from the config is not in the vocabulary; ignored`);
        return undefined;
      }
      return { token: text, id, source: 'config' };
    };
    const fromNames = (names: string[]): SpecialTokenInfo | undefined => {
      for (const n of names) {
        if (!specialContents.includes(n)) continue;
        const id = native.tokenToId(n);
        if (id !== null && id !== undefined) return { token: n, id, source: 'known-name' };
      }
      return undefined;
    };

    this.eos = fromConfig('eos_token') ?? fromNames(EOS_NAMES);
    // GPT-2's only special token is both BOS and EOS (as in its HF config); other files name their own.
    this.bos = fromConfig('bos_token') ?? fromNames(BOS_NAMES) ?? (this.eos?.token === '<|endoftext|>' ? { ...this.eos } : undefined);
    if (this.eos?.source === 'known-name') this.notes.push(`EOS "${this.eos.token}" (id ${this.eos.id}) recognised by name; no config names one`);
    let pad = fromConfig('pad_token') ?? fromNames(PAD_NAMES);
    if (!pad && this.eos) {
      pad = { ...this.eos, source: 'eos' };
      this.notes.push(`no pad token: padding with EOS "${this.eos.token}" (id ${this.eos.id}); padded positions are masked out`);
    }
    if (!pad) {
      pad = { token: native.idToToken(0) ?? '', id: 0, source: 'fallback' };
      this.notes.push(`no pad or EOS token: padding with id 0 ("${pad.token}"); padded positions are masked out, so any id works`);
    }
    this.pad = pad;

    const st: Record<string, string> = {};
    for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
      const t = tokenText(parts.config?.[key]) ?? tokenText(parts.specialTokensMap?.[key]);
      if (t !== undefined) st[key] = t;
    }
    if (st.eos_token === undefined && this.eos) st.eos_token = this.eos.token;
    if (st.bos_token === undefined && this.bos) st.bos_token = this.bos.token;
    if (st.pad_token === undefined) st.pad_token = this.pad.token;
    this.specialTokens = st;
  }

  /** Works out what the post-processor adds around a single sequence (BERT: [CLS] … [SEP]; GPT-2: nothing). */
  async init(): Promise<this> {
    const probe = 'a';
    const plain = (await this.native.encode(probe, null, { addSpecialTokens: false })).getIds();
    const full = (await this.native.encode(probe, null, { addSpecialTokens: true })).getIds();
    const at = indexOfRun(full, plain);
    if (at < 0) throw new TokenizerLoadError(`${this.identity.name}: cannot locate the text among the post-processor's special tokens`);
    this.prefixIds = full.slice(0, at);
    this.suffixIds = full.slice(at + plain.length);
    return this;
  }

  /** Ids of each text, no special tokens added (those in the text itself are still recognised). */
  async encodeBatch(texts: readonly string[], chunk = 1024): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += chunk) {
      const encs = await this.native.encodeBatch(texts.slice(i, i + chunk), { addSpecialTokens: false });
      for (const e of encs) out.push(e.getIds());
    }
    return out;
  }

  async decode(ids: readonly number[], skipSpecialTokens = false): Promise<string> {
    return this.native.decode([...ids], skipSpecialTokens);
  }

  /** Throws `TokenizerMismatchError` (naming both) unless `expected` is this tokenizer. */
  checkCompatible(expected: TokenizerIdentity): void {
    if (expected.sha256 !== this.identity.sha256 || expected.vocabSize !== this.identity.vocabSize) {
      throw new TokenizerMismatchError(expected, this.identity);
    }
  }

  /** Writes tokenizer.json (the exact bytes read or trained) and tokenizer_config.json into `dir`. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tokenizer.json'), this.json);
    const config: Record<string, unknown> = { ...this.config };
    for (const [k, v] of Object.entries(this.specialTokens)) if (config[k] === undefined) config[k] = v;
    if (this.chatTemplate !== undefined && config.chat_template === undefined) config.chat_template = this.chatTemplate;
    config.name_or_path ??= this.identity.name;
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
  }
}

export function saveTokenizer(tokenizer: RewardTokenizer, dir: string): void {
  tokenizer.save(dir);
}

interface AddedTokenEntry {
  id: number;
  content: string;
  special: boolean;
}

function parseAddedTokens(json: string): AddedTokenEntry[] {
  const parsed = JSON.parse(json) as { added_tokens?: AddedTokenEntry[] };
  return Array.isArray(parsed.added_tokens) ? parsed.added_tokens : [];
}

function indexOfRun(hay: number[], needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Loads `tokenizer.json` (a file, or a folder holding one) with the `tokenizer_config.json`,
 * `special_tokens_map.json` and `chat_template.jinja` beside it when present.
 */
export async function loadTokenizer(dirOrFile: string): Promise<RewardTokenizer> {
  if (!existsSync(dirOrFile)) throw new TokenizerLoadError(`${dirOrFile}: no such file or folder`);
  const file = statSync(dirOrFile).isDirectory() ? join(dirOrFile, 'tokenizer.json') : dirOrFile;
  if (!existsSync(file)) throw new TokenizerLoadError(`${dirOrFile}: no tokenizer.json there`);
  const dir = dirname(file);
  const json = readFileSync(file, 'utf8');
  const { Tokenizer } = await loadTokenizersModule();
  let native: Tokenizer;
  try {
    native = Tokenizer.fromString(json);
  } catch (e) {
    throw new TokenizerLoadError(`${file}: not a tokenizer.json the tokenizers library can read (${(e as Error).message})`);
  }
  const config = readJsonIfExists(join(dir, 'tokenizer_config.json'));
  const specialTokensMap = readJsonIfExists(join(dir, 'special_tokens_map.json'));
  const modelConfig = readJsonIfExists(join(dir, 'config.json'));
  const nameFromConfig = [config?.name_or_path, config?._name_or_path, modelConfig?._name_or_path].find(
    (x): x is string => typeof x === 'string' && x.length > 0,
  );
  const name = nameFromConfig ?? basename(dir);
  return new RewardTokenizer({ native, json, name, config, specialTokensMap, chatTemplate: chatTemplateOf(config, dir) }).init();
}
