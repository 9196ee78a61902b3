// The one error type of the importer: a code to branch on and a message that says what to do.

export type BackboneImportErrorCode =
  /** The graph is not a token-ids → hidden-states model (a backward graph, a single layer, ...). */
  | 'not-a-backbone'
  /** Inputs whose role the analysis cannot tell: name them with hints.inputs. */
  | 'unknown-inputs'
  /** No value could be taken as the hidden states: name it with hints.hiddenState. */
  | 'no-hidden-state'
  /** A hint names something that does not exist or cannot be what the hint says. */
  | 'bad-hint'
  /** The requested parameters cannot be trained (ops without gradient rules, fused ops). */
  | 'untrainable'
  /** The wrapper cannot express something the export needs (control flow, old opsets, ...). */
  | 'unsupported';

export class BackboneImportError extends Error {
  override name = 'BackboneImportError';
  constructor(
    readonly code: BackboneImportErrorCode,
    message: string,
    /** Names the message is about (inputs, ops, values), for programs. */
    readonly items: readonly string[] = [],
  ) {
    super(message);
  }
}
