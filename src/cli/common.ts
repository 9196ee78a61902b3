// What every CLI command shares: the command shape, the output sink, usage errors.
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
