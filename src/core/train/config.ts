// The one typed training config. Defaults live in one block; a run's config is the defaults, then a
// JSON config file, then VS Code settings or CLI flags — each layer only overrides what it sets. Every
// field is validated with a message that names the field, where it came from, and what to write.
import { JsonSyntaxError, locatePath, parseJson } from '../data/json';

export type TrainableSetting = 'head' | 'all' | `top-${number}`;
export type ProviderSetting = 'auto' | 'cuda' | 'webgpu' | 'cpu';

export interface TrainConfig {
  /** 'builtin' (the GPT-style decoder the project generates), or a path to the user's exported backbone .onnx. */
  backbone: string;
  /** Imported backbones: the tensor that holds the hidden state, when it cannot be found automatically. */
  hiddenState: string | null;
  /** Built-in backbone shape (the vocabulary is the tokenizer's; the longest sequence is maxLength). */
  builtin: { dModel: number; nHeads: number; nLayers: number };
  /** A tokenizer.json (or a folder holding one, with tokenizer_config.json). null: train one on the training data (built-in backbone only). */
  tokenizer: string | null;
  /** Vocabulary of the tokenizer trained when `tokenizer` is null. */
  tokenizerVocabSize: number;
  /** How a plain {prompt, response} record becomes text; conversations use the tokenizer's chat template. */
  template: string;
  /** Which tokens survive when a pair is longer than maxLength. */
  truncation: 'keep-end-of-prompt' | 'keep-start';
  maxLength: number;
  /**
   * Built-in backbone: epochs of causal language-model pretraining on the training texts before the
   * reward head trains (0: none). No pretrained weights exist here; this is the self-supervised stand-in.
   */
  pretrainEpochs: number;
  /** 'head': only the reward head (the backbone is frozen; features are cached); 'top-N': the top N blocks and the head; 'all'. */
  trainable: TrainableSetting;
  epochs: number;
  /** Stop after this many optimizer steps (0: no limit; epochs decide). */
  maxSteps: number;
  /** Pairs per step. */
  batchSize: number;
  /** Peak learning rate; 'auto' picks by what trains (see resolveLearningRate). */
  learningRate: number | 'auto';
  /** Warmup as a fraction of the total steps (ignored when warmupSteps > 0). */
  warmupRatio: number;
  warmupSteps: number;
  schedule: 'constant' | 'linear' | 'cosine';
  weightDecay: number;
  /** Global gradient-norm clipping (0: off). */
  maxGradNorm: number;
  /** Subtract each record's `margin` inside the sigmoid (Llama 2). */
  useMargin: boolean;
  /** TRL's center_rewards_coefficient (0: off). */
  centerRewardsCoefficient: number;
  /** Share of prompts held out for evaluation (prompt-grouped split), when no evalFile is given. */
  evalFraction: number;
  /** A separate evaluation file (then evalFraction is not used). */
  evalFile: string | null;
  /** Evaluate every this many steps as well as at each epoch's end (0: epochs only). */
  evalSteps: number;
  /** Write a resumable checkpoint every this many steps (0: at evaluations and the end only). */
  checkpointSteps: number;
  /** Emit a step event every this many steps. */
  logSteps: number;
  seed: number;
  provider: ProviderSetting;
  /** Stop when eval loss has not improved by minDelta for `patience` evaluations (0: off). */
  earlyStopping: { patience: number; minDelta: number };
  /** Which parameters reward-model.onnx holds: the best by eval loss, or the last. */
  exportModel: 'best' | 'last';
}

export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  backbone: 'builtin',
  hiddenState: null,
  builtin: Object.freeze({ dModel: 256, nHeads: 4, nLayers: 4 }),
  tokenizer: null,
  tokenizerVocabSize: 8000,
  template: '{prompt}\n\n{response}',
  truncation: 'keep-end-of-prompt',
  maxLength: 512,
  pretrainEpochs: 0,
  trainable: 'all',
  epochs: 1,
  maxSteps: 0,
  batchSize: 8,
  learningRate: 'auto',
  warmupRatio: 0.03,
  warmupSteps: 0,
  schedule: 'linear',
  weightDecay: 0.01,
  maxGradNorm: 1.0,
  useMargin: false,
  centerRewardsCoefficient: 0,
  evalFraction: 0.1,
  evalFile: null,
  evalSteps: 0,
  checkpointSteps: 0,
  logSteps: 1,
  seed: 42,
  provider: 'auto',
  earlyStopping: Object.freeze({ patience: 0, minDelta: 0 }),
  exportModel: 'best',
}) as Readonly<TrainConfig>;

/** Fields a user may set: anything of the config, nested objects partly. */
export type TrainConfigInput = Partial<Omit<TrainConfig, 'builtin' | 'earlyStopping'>> & {
  builtin?: Partial<TrainConfig['builtin']>;
  earlyStopping?: Partial<TrainConfig['earlyStopping']>;
};

export class TrainConfigError extends Error {
  constructor(
    message: string,
    /** `file:line` or 'setting rewardStudio.train.x' or '--flag'. */
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'TrainConfigError';
  }
}

/** Where a layer came from, for messages: a file, 'settings', 'flags'. */
export interface ConfigLayer {
  values: Record<string, unknown>;
  /** e.g. 'train.json', 'VS Code settings', 'command line'. */
  source: string;
  /** For file layers: the file's text, so errors can say which line. */
  text?: string;
  /** How a field is spelled in this layer (e.g. '--batch-size', 'rewardStudio.train.batchSize'). */
  spell?: (field: string) => string;
}

const KEYS = Object.keys(DEFAULT_TRAIN_CONFIG) as (keyof TrainConfig)[];

/** The config for a run: defaults, then each layer in order. Throws TrainConfigError naming the field and its source. */
export function resolveTrainConfig(...layers: ConfigLayer[]): TrainConfig {
  const c: TrainConfig = structuredClone({ ...DEFAULT_TRAIN_CONFIG }) as TrainConfig;
  for (const layer of layers) {
    const where = (field: string): string => {
      if (layer.text !== undefined) {
        const at = locatePath(layer.text, field);
        return at === undefined ? layer.source : `${layer.source}:${lineOf(layer.text, at)}`;
      }
      return layer.spell ? `${layer.source} (${layer.spell(field)})` : layer.source;
    };
    for (const [key, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      if (!(KEYS as string[]).includes(key)) {
        const near = KEYS.find((k) => k.toLowerCase() === key.toLowerCase().replace(/[-_]/g, ''));
        throw new TrainConfigError(`unknown setting '${key}'${near ? ` — did you mean '${near}'?` : ''}; the settings are: ${KEYS.join(', ')}`, where(key));
      }
      if (key === 'builtin' || key === 'earlyStopping') {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TrainConfigError(`'${key}' must be an object like ${JSON.stringify(DEFAULT_TRAIN_CONFIG[key])}`, where(key));
        const target = c[key] as unknown as Record<string, unknown>;
        for (const [k, v] of Object.entries(value)) {
          if (v === undefined) continue;
          if (!(k in target)) throw new TrainConfigError(`unknown field '${key}.${k}'; '${key}' has ${Object.keys(target).join(', ')}`, where(`${key}.${k}`));
          target[k] = v;
        }
      } else {
        (c as unknown as Record<string, unknown>)[key] = value;
      }
      checkField(c, key as keyof TrainConfig, where(key));
    }
  }
  for (const key of KEYS) checkField(c, key, 'training config');
  if (c.backbone !== 'builtin' && c.tokenizer === null) {
    throw new TrainConfigError(`an imported backbone (${c.backbone}) needs its own tokenizer: set tokenizer to its tokenizer.json or folder`, 'training config');
  }
  if (c.backbone !== 'builtin' && c.pretrainEpochs > 0) {
    throw new TrainConfigError(`pretrainEpochs applies to the built-in backbone only (an imported backbone is already pretrained); set it to 0`, 'training config');
  }
  if (c.builtin.dModel % c.builtin.nHeads !== 0) throw new TrainConfigError(`builtin.dModel (${c.builtin.dModel}) must be divisible by builtin.nHeads (${c.builtin.nHeads})`, 'training config');
  return c;
}

function checkField(c: TrainConfig, key: keyof TrainConfig, where: string): void {
  const v = c[key] as unknown;
  const fail = (what: string): never => {
    throw new TrainConfigError(`${key} ${what} (got ${JSON.stringify(v)})`, where);
  };
  const int = (min: number): void => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) fail(`must be an integer ≥ ${min}`);
  };
  const num = (min: number, max = Infinity): void => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max)) fail(`must be a number in [${min}, ${max === Infinity ? '∞' : max}]`);
  };
  const oneOf = (...options: unknown[]): void => {
    if (!options.includes(v)) fail(`must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
  };
  const str = (nullable: boolean): void => {
    if (!((typeof v === 'string' && v.length > 0) || (nullable && v === null))) fail(nullable ? 'must be a non-empty string or null' : 'must be a non-empty string');
  };
  switch (key) {
    case 'backbone':
      str(false);
      return;
    case 'hiddenState':
    case 'tokenizer':
    case 'evalFile':
      str(true);
      return;
    case 'builtin': {
      const b = c.builtin;
      for (const k of ['dModel', 'nHeads', 'nLayers'] as const) {
        if (!(Number.isInteger(b[k]) && b[k] > 0)) throw new TrainConfigError(`builtin.${k} must be a positive integer (got ${JSON.stringify(b[k])})`, where);
      }
      return;
    }
    case 'tokenizerVocabSize':
      int(300);
      return;
    case 'template':
      str(false);
      if (!(v as string).includes('{response}')) fail("must contain {response} (and usually {prompt}), e.g. '{prompt}\\n\\n{response}'");
      return;
    case 'truncation':
      oneOf('keep-end-of-prompt', 'keep-start');
      return;
    case 'maxLength':
      int(8);
      return;
    case 'trainable':
      if (!(v === 'head' || v === 'all' || (typeof v === 'string' && /^top-[1-9][0-9]*$/.test(v)))) fail("must be 'head', 'all' or 'top-N' (e.g. 'top-2': the top 2 blocks and the head)");
      return;
    case 'pretrainEpochs':
      num(0);
      return;
    case 'epochs':
      num(0);
      if ((v as number) <= 0) fail('must be > 0 (fractions allowed: 0.5 is half an epoch)');
      return;
    case 'maxSteps':
    case 'warmupSteps':
    case 'evalSteps':
    case 'checkpointSteps':
      int(0);
      return;
    case 'batchSize':
    case 'logSteps':
      int(1);
      return;
    case 'learningRate':
      if (v !== 'auto') num(0, 1);
      return;
    case 'warmupRatio':
    case 'evalFraction':
      num(0, 1);
      if (key === 'evalFraction' && (v as number) >= 1) fail('must be below 1 (something has to train)');
      return;
    case 'schedule':
      oneOf('constant', 'linear', 'cosine');
      return;
    case 'weightDecay':
    case 'maxGradNorm':
    case 'centerRewardsCoefficient':
      num(0);
      return;
    case 'useMargin':
      if (typeof v !== 'boolean') fail('must be true or false');
      return;
    case 'seed':
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 32)) fail('must be an integer in [0, 2^32)');
      return;
    case 'provider':
      oneOf('auto', 'cuda', 'webgpu', 'cpu');
      return;
    case 'earlyStopping': {
      const e = c.earlyStopping;
      if (!(Number.isInteger(e.patience) && e.patience >= 0)) throw new TrainConfigError(`earlyStopping.patience must be an integer ≥ 0 (got ${JSON.stringify(e.patience)}); 0 turns it off`, where);
      if (!(typeof e.minDelta === 'number' && e.minDelta >= 0)) throw new TrainConfigError(`earlyStopping.minDelta must be a number ≥ 0 (got ${JSON.stringify(e.minDelta)})`, where);
      return;
    }
    case 'exportModel':
      oneOf('best', 'last');
      return;
  }
}

/** A JSON config file as a layer: its text is kept so errors point at lines. */
export function configFileLayer(text: string, file: string): ConfigLayer {
  let values: unknown;
  try {
    values = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new TrainConfigError(`not valid JSON: ${e.message}`, `${file}:${lineOf(text, e.offset)}`);
    throw e;
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new TrainConfigError('must hold one JSON object of settings, e.g. {"epochs": 2, "batchSize": 16}', file);
  return { values: values as Record<string, unknown>, source: file, text };
}

/** 'top-N' → N; 'head' → 0; 'all' → Infinity. */
export function topBlocks(t: TrainableSetting): number {
  if (t === 'head') return 0;
  if (t === 'all') return Infinity;
  return Number(t.slice(4));
}

/**
 * The learning rate a run uses. 'auto': 1e-3 for the built-in backbone (trained from its random
 * init, a small model wants a large rate) and for the head alone (a linear model on fixed features);
 * 1e-5 when a pretrained import trains beyond its head (TRL's and OpenRLHF's reward-model default
 * range: larger rates wreck pretrained features).
 */
export function resolveLearningRate(c: Pick<TrainConfig, 'learningRate' | 'backbone' | 'trainable'>): number {
  if (c.learningRate !== 'auto') return c.learningRate;
  if (c.trainable === 'head' || c.backbone === 'builtin') return 1e-3;
  return 1e-5;
}

/** 1-based line of a UTF-16 offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
