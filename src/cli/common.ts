// What every CLI command shares: the command shape, the output sink, usage errors.
import { existsSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  details: string;
  options: Options;
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Set when stderr is a terminal: rewrites the current line in place (a progress bar); '' clears it. */
  progress?(text: string): void;
  /** A cancellation request from outside (Ctrl-C, the extension's IPC message). */
  signal?: AbortSignal;
}

/** An integer option ≥ `min`; `fallback` when it is not given (a usage error when neither is). */
export function intOption(values: Values, name: string, min: number, fallback?: number): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min} (got '${String(raw)}')`);
  return v;
}

export type ProviderOption = 'auto' | 'cuda' | 'webgpu' | 'cpu';

/** --provider: auto (default), cuda, webgpu or cpu. */
export function providerOption(values: Values): ProviderOption {
  const provider = (values.provider as string | undefined) ?? 'auto';
  if (!['auto', 'cuda', 'webgpu', 'cpu'].includes(provider)) throw new UsageError(`--provider must be auto, cuda, webgpu or cpu (got '${provider}')`);
  return provider as ProviderOption;
}

/**
 * The message for an output option whose file exists and --force is not given (checked before any long
 * work, and again by the 'wx' write itself); undefined when it may be written.
 */
export function existingOutput(values: Values, option: string): string | undefined {
  const file = values[option] as string | undefined;
  return file && !values.force && existsSync(file) ? `${file} already exists — choose another --${option}, or pass --force to replace it` : undefined;
}
