/**
 * Loads one of the webview apps (webview/<app>/main.ts → dist/webview/<app>.js, media/base.css then
 * media/<app>.css) into a webview panel or view: the options every Reward Studio webview uses and the
 * nonce'd page of webviewHtml.ts. One place, so every app gets the same resource roots and CSP.
 */
import * as vscode from 'vscode';
import { createNonce, renderWebviewHtml } from './webviewHtml';

export type WebviewAppName = 'stats' | 'train' | 'eval' | 'annotate';

/** Scripts on; local resources only from the app bundles and media/. */
export function webviewAppOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** The icon every Reward Studio panel shows on its tab. */
export function panelIcon(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'media', 'reward-studio.svg');
}

/** Sets `webview.html` to the app's page (the webview's options must allow it: webviewAppOptions). */
export function loadWebviewApp(webview: vscode.Webview, extensionUri: vscode.Uri, app: WebviewAppName, title: string): void {
  const uri = (...parts: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  webview.html = renderWebviewHtml({
    title,
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: uri('dist', 'webview', `${app}.js`),
    styleUris: [uri('media', 'base.css'), uri('media', `${app}.css`)],
  });
}

/**
 * A new editor panel showing one app, with the icon every Reward Studio panel has. Not retained when
 * hidden: each owner keeps the state and posts it again when the app says `ready`.
 */
export function openAppPanel(
  extensionUri: vscode.Uri,
  o: { viewType: string; title: string; app: WebviewAppName; column?: vscode.ViewColumn; preserveFocus?: boolean },
): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(
    o.viewType,
    o.title,
    { viewColumn: o.column ?? vscode.ViewColumn.Active, preserveFocus: o.preserveFocus ?? false },
    { ...webviewAppOptions(extensionUri), retainContextWhenHidden: false },
  );
  panel.iconPath = panelIcon(extensionUri);
  loadWebviewApp(panel.webview, extensionUri, o.app, o.title);
  return panel;
}
