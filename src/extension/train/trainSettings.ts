/**
 * `rewardStudio.train.*` settings → a layer of the training config. Pure: the caller passes a reader
 * that returns what the user set (VS Code's `inspect()`: folder, workspace or user value — never the
 * default), so a setting left alone never reaches the run's train-config.json and the CLI's defaults
 * stay the one source of truth.
 *
 * Nested config fields are flat settings: `builtin.dModel` is `rewardStudio.train.builtin.dModel`.
 */
import * as path from 'node:path';
import {
  DEFAULT_TRAIN_CONFIG,
  resolveTrainConfig,
  type ConfigLayer,
  type TrainConfig,
} from '../../core/train/config';

export const TRAIN_SECTION = 'rewardStudio.train';

/** Where runs go unless `rewardStudio.train.outputDirectory` says otherwise (relative to the workspace folder). */
export const DEFAULT_OUTPUT_DIRECTORY = '.reward-studio/models';

const NESTED = ['builtin', 'earlyStopping'] as const;

/** Every config field as a setting key below `rewardStudio.train`: 'epochs', 'builtin.dModel', …. */
export const TRAIN_SETTING_KEYS: readonly string[] = (Object.keys(DEFAULT_TRAIN_CONFIG) as (keyof TrainConfig)[]).flatMap(
  (key) =>
    (NESTED as readonly string[]).includes(key)
      ? Object.keys(DEFAULT_TRAIN_CONFIG[key] as object).map((sub) => `${key}.${sub}`)
      : [key],
);

/** Fields that hold paths: a relative one is taken from the workspace folder, as settings paths usually are. */
const PATH_FIELDS = new Set(['backbone', 'tokenizer', 'evalFile']);

/** The default a setting documents in package.json: DEFAULT_TRAIN_CONFIG's value at that key. */
export function defaultForSetting(key: string): unknown {
  const [head, sub] = key.split('.');
  const value = (DEFAULT_TRAIN_CONFIG as unknown as Record<string, unknown>)[head];
  return sub === undefined ? value : (value as Record<string, unknown>)[sub];
}

/**
 * The settings the user set, as a config layer: nested fields regrouped, relative paths made absolute
 * against `baseDir`. `read(key)` returns the set value or undefined.
 */
export function settingsLayer(read: (key: string) => unknown, baseDir: string): ConfigLayer {
  const values: Record<string, unknown> = {};
  for (const key of TRAIN_SETTING_KEYS) {
    let value = read(key);
    if (value === undefined) continue;
    if (PATH_FIELDS.has(key) && typeof value === 'string' && value.length > 0 && !(key === 'backbone' && value === 'builtin')) {
      value = path.resolve(baseDir, expandHome(value));
    }
    const [head, sub] = key.split('.');
    if (sub === undefined) values[head] = value;
    else values[head] = { ...(values[head] as Record<string, unknown> | undefined), [sub]: value };
  }
  return {
    values,
    source: 'VS Code settings',
    spell: (field) => `${TRAIN_SECTION}.${field}`,
  };
}

/**
 * Checks the settings the way the CLI will: resolveTrainConfig over the defaults. Throws
 * TrainConfigError naming the setting ("VS Code settings (rewardStudio.train.batchSize): …").
 */
export function checkSettingsLayer(layer: ConfigLayer): TrainConfig {
  return resolveTrainConfig(layer);
}

/**
 * The folder runs go in: the setting when set (absolute, `~/…`, or relative to the workspace folder),
 * else DEFAULT_OUTPUT_DIRECTORY in the workspace folder — or beside the data file when no folder is open.
 */
export function outputRoot(setting: unknown, workspaceFolder: string | undefined, dataFile: string): string {
  const base = workspaceFolder ?? path.dirname(dataFile);
  const value = typeof setting === 'string' && setting.trim().length > 0 ? setting.trim() : DEFAULT_OUTPUT_DIRECTORY;
  return path.resolve(base, expandHome(value));
}

function expandHome(p: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (home && (p === '~' || p.startsWith('~/') || p.startsWith('~\\'))) return path.join(home, p.slice(1));
  return p;
}
