// The score server's work, independent of how messages arrive (a child process in the editor, direct
// calls in tests): reward models loaded once per folder, JSONL lines parsed and scored in batches, and
// a cache keyed by the model's identity and the line's content, so a line scored once — in any file, at
// any position, after an undo — is never scored again while the model is unchanged.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { FormatId } from '../data/formats/types';
import type { TextOrConversation } from '../data/record';
import type { LocatedPair } from '../tokenize';
import { Runtime, type ProviderChoice } from '../runtime';
import { ModelLoadError, RewardModel, readModelCard } from '../score/rewardModel';
import { parseRecordLine } from './lines';
import type { LineResult, LoadedModel, ScoredPair, ServerStats } from './protocol';

export interface ScoreServiceOptions {
  /** Intra-op threads per session. Default: all cores but one, so the editor keeps one. */
  threads?: number;
  /** Lines kept in the cache per model (least recently used go first). Default 300k (~60 MB). */
  cacheLines?: number;
  batchSize?: number;
}

/** The key names no model the server holds now: the file changed since it was loaded, or the server restarted. Load it again. */
export class ModelChangedError extends Error {
  override name = 'ModelChangedError';
}

type CachedLine = { pairs: ScoredPair[]; unscored?: string } | { skip: string };

/** Identity of a model on disk: its folder and the .onnx file's size and modification time. */
export function modelKey(dir: string): string {
  const d = resolve(dir);
  const card = readModelCard(d);
  const file = join(d, card.model.file);
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new ModelLoadError(`${file} is missing; the folder's reward-model.json names it`);
  }
  return `${d}#${st.size}-${Math.round(st.mtimeMs)}`;
}

export class ScoreService {
  private readonly runtimes = new Map<ProviderChoice, Promise<Runtime>>();
  private readonly models = new Map<string, { model: RewardModel; info: LoadedModel; file: string }>();
  /** Per model key: line results by format + sha1 of the line, in least-recently-used order. */
  private readonly caches = new Map<string, Map<string, CachedLine>>();
  private readonly stats: ServerStats = { lines: 0, cacheHits: 0, pairsScored: 0, scoringMs: 0, cacheEntries: 0 };

  constructor(private readonly opts: ScoreServiceOptions = {}) {}

  private runtime(provider: ProviderChoice): Promise<Runtime> {
    let rt = this.runtimes.get(provider);
    if (!rt) {
      rt = Runtime.start({ provider, isolation: 'none', ortLogLevel: 'fatal', threads: this.opts.threads ?? Math.max(1, availableParallelism() - 1) });
      this.runtimes.set(provider, rt);
      rt.catch(() => this.runtimes.delete(provider));
    }
    return rt;
  }

  async load(dir: string, provider: ProviderChoice = 'auto'): Promise<LoadedModel> {
    const key = modelKey(dir);
    const have = this.models.get(key);
    if (have) return have.info;
    // The same folder under an older identity: the model was retrained in place.
    for (const [k, m] of this.models) {
      if (m.info.dir === resolve(dir)) {
        this.models.delete(k);
        this.caches.delete(k);
        await m.model.release().catch(() => undefined);
      }
    }
    const rt = await this.runtime(provider);
    const model = await RewardModel.load(dir, rt);
    const card = model.card;
    const info: LoadedModel = {
      key,
      dir: resolve(dir),
      name: typeof card.name === 'string' && card.name ? card.name : basename(resolve(dir)),
      provider: rt.providerReport.selected ?? 'cpu',
      providerSummary: rt.providerReport.summary,
      maxLength: card.maxLength,
      rewards: card.rewards,
    };
    this.models.set(key, { model, info, file: join(resolve(dir), card.model.file) });
    return info;
  }

  async unload(key: string): Promise<void> {
    const m = this.models.get(key);
    if (!m) return;
    this.models.delete(key);
    this.caches.delete(key);
    await m.model.release();
  }

  private get(key: string): RewardModel {
    const m = this.models.get(key);
    if (!m) throw new ModelChangedError(`the model ${key.replace(/#.*$/, '')} is not loaded (or changed on disk since): load it again`);
    // A model file rewritten since it was loaded (a run finished into its folder) must not go on scoring
    // with the old weights: one stat per request says so.
    let now: string | undefined;
    try {
      const st = statSync(m.file);
      now = `${m.info.dir}#${st.size}-${Math.round(st.mtimeMs)}`;
    } catch {
      now = undefined;
    }
    if (now !== key) throw new ModelChangedError(`the model ${m.info.dir} changed on disk since it was loaded: load it again`);
    return m.model;
  }

  /** Scores lines of a file of the given format; every line gets a result, in the order given. */
  async scoreLines(key: string, format: FormatId, file: string, lines: ReadonlyArray<{ line: number; text: string }>): Promise<LineResult[]> {
    const model = this.get(key);
    let cache = this.caches.get(key);
    if (!cache) this.caches.set(key, (cache = new Map()));
    const out: LineResult[] = new Array(lines.length);
    const misses: Array<{ at: number; cacheKey: string; pairs: number; first: number }> = [];
    const items: LocatedPair[] = [];
    lines.forEach(({ line, text }, at) => {
      this.stats.lines++;
      const cacheKey = `${format}\n${createHash('sha1').update(text).digest('base64')}`;
      const hit = cache.get(cacheKey);
      if (hit) {
        this.stats.cacheHits++;
        cache.delete(cacheKey);
        cache.set(cacheKey, hit);
        out[at] = { line, ...hit } as LineResult;
        return;
      }
      const parsed = parseRecordLine(text, format);
      if ('skip' in parsed) {
        this.remember(cache, cacheKey, { skip: parsed.skip });
        out[at] = { line, skip: parsed.skip };
        return;
      }
      misses.push({ at, cacheKey, pairs: parsed.pairs.length, first: items.length });
      for (const pair of parsed.pairs) items.push({ pair, source: { file, line } });
    });
    if (items.length) {
      const started = performance.now();
      const scores = await model.scorePairs(items, { batchSize: this.opts.batchSize ?? 32 });
      this.stats.scoringMs += performance.now() - started;
      this.stats.pairsScored += items.length;
      for (const m of misses) {
        const pairs = scores.slice(m.first, m.first + m.pairs).map((s) => ({
          rewardChosen: s.rewardChosen,
          rewardRejected: s.rewardRejected,
          chosenTokens: s.chosenTokens,
          rejectedTokens: s.rejectedTokens,
          truncatedTokens: s.truncatedTokens,
        }));
        const unscored = pairs.some((p) => !Number.isFinite(p.rewardChosen)) ? 'chosen and rejected are identical once tokenized, so there is nothing to compare' : undefined;
        const entry: CachedLine = unscored ? { pairs, unscored } : { pairs };
        this.remember(cache, m.cacheKey, entry);
        out[m.at] = { line: lines[m.at].line, ...entry };
      }
    }
    return out;
  }

  async scoreResponse(key: string, prompt: TextOrConversation, response: TextOrConversation): Promise<{ reward: number; tokens: number; truncatedTokens: number }> {
    const model = this.get(key);
    const [s] = await model.scoreResponses([{ prompt, response, source: { file: '<selection>', line: 1 } }]);
    if (!Number.isFinite(s.reward)) throw new Error('the selection has no tokens left to score once the prompt is fitted to the model\'s max length');
    return s;
  }

  getStats(): ServerStats {
    let entries = 0;
    for (const c of this.caches.values()) entries += c.size;
    return { ...this.stats, cacheEntries: entries };
  }

  private remember(cache: Map<string, CachedLine>, key: string, value: CachedLine): void {
    cache.set(key, value);
    const max = this.opts.cacheLines ?? 300_000;
    while (cache.size > max) cache.delete(cache.keys().next().value as string);
  }

  async dispose(): Promise<void> {
    for (const m of this.models.values()) await m.model.release().catch(() => undefined);
    this.models.clear();
    for (const rt of this.runtimes.values()) await rt.then((r) => r.dispose(), () => undefined).catch(() => undefined);
    this.runtimes.clear();
  }
}
