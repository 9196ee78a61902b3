/**
 * The HTML shell every Reward Studio webview loads: a strict CSP, one nonce'd script, stylesheets from
 * the extension, and an empty #app the script fills. Pure (URIs and the CSP source come in as strings),
 * so a plain-Node test pins the policy.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  title: string;
  /** `webview.cspSource`: the origin VS Code serves local resources from. */
  cspSource: string;
  nonce: string;
  /** `webview.asWebviewUri(...)` of the app bundle, as a string. */
  scriptUri: string;
  styleUris: readonly string[];
}

/** 128 random bits: a fresh nonce per page load, so no injected script can guess it. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Nothing by default; styles and images only from the extension (images also as data: URIs); scripts
 * only with this page's nonce. No 'unsafe-inline', no 'unsafe-eval', no remote origins.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

export function renderWebviewHtml(page: WebviewPage): string {
  const csp = contentSecurityPolicy(page.cspSource, page.nonce);
  const styles = page.styleUris
    .map((uri) => `  <link rel="stylesheet" href="${escapeHtml(uri)}">`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
  <title>${escapeHtml(page.title)}</title>
</head>
<body>
  <main id="app" aria-live="polite"></main>
  <script nonce="${escapeHtml(page.nonce)}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>
`;
}

/** Escapes text for element content and double-quoted attributes (the only kind this page uses). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};
