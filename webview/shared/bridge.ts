/**
 * The one place a webview talks to VS Code: typed post/onMessage over the protocol's unions, and the
 * webview's persisted UI state. acquireVsCodeApi may be called only once per page, so it is cached here.
 */

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

export interface Bridge<FromHost extends { type: string }, ToHost extends { type: string }, UiState> {
  post(message: ToHost): void;
  /** Calls `handler` for each message from the host; returns the unsubscribe function. */
  onMessage(handler: (message: FromHost) => void): () => void;
  /** UI state kept across reloads of this webview (toggles) — never data, which lives in the host. */
  getState(): UiState | undefined;
  setState(state: UiState): void;
}

/**
 * `FromHost`/`ToHost` are the protocol's message unions. Messages from the host are typed at the source and
 * trusted; the check here only drops events that are not protocol messages at all.
 */
export function createBridge<
  FromHost extends { type: string },
  ToHost extends { type: string },
  UiState,
>(): Bridge<FromHost, ToHost, UiState> {
  const vscode = vscodeApi();
  return {
    post: (message) => vscode.postMessage(message),
    onMessage(handler) {
      const listener = (event: MessageEvent<unknown>): void => {
        const data = event.data;
        if (
          typeof data === 'object' &&
          data !== null &&
          typeof (data as { type?: unknown }).type === 'string'
        ) {
          handler(data as FromHost);
        }
      };
      window.addEventListener('message', listener);
      return () => window.removeEventListener('message', listener);
    },
    getState: () => vscode.getState() as UiState | undefined,
    setState: (state) => {
      vscode.setState(state);
    },
  };
}
