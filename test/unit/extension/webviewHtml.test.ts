import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  contentSecurityPolicy,
  createNonce,
  escapeHtml,
  renderWebviewHtml,
} from '../../../src/extension/webviewHtml';

// What VS Code passes as webview.cspSource and asWebviewUri(...) today.
const cspSource = "'self' https://*.vscode-cdn.net";
const page = {
  title: 'Stats: train.jsonl',
  cspSource,
  nonce: createNonce(),
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/stats.js',
  styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/stats.css'],
};

function cspOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(match, 'the page has a CSP meta tag');
  return match[1].replace(/&amp;/g, '&');
}

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name, values]),
  );
}

test('the CSP allows scripts only with this page’s nonce', () => {
  const html = renderWebviewHtml(page);
  const d = directives(cspOf(html));
  assert.deepEqual(d.get('default-src'), ["'none'"]);
  assert.deepEqual(d.get('script-src'), [`'nonce-${page.nonce}'`]);
  assert.deepEqual(d.get('style-src'), cspSource.split(' '));
  assert.deepEqual(d.get('img-src'), [...cspSource.split(' '), 'data:']);
  assert.match(html, new RegExp(`<script nonce="${page.nonce.replace(/[+/=]/g, '\\$&')}" src=`));
});

test('the CSP has no unsafe-inline, no unsafe-eval', () => {
  const csp = cspOf(renderWebviewHtml(page));
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.doesNotMatch(csp, /unsafe-eval/);
});

test('the page names no http(s) URL of its own: only the webview origin and the resource URIs it is given', () => {
  const html = renderWebviewHtml(page);
  let rest = html.split(cspSource).join('');
  for (const uri of [page.scriptUri, ...page.styleUris]) rest = rest.split(uri).join('');
  assert.doesNotMatch(rest, /https?:/i);
  // And with a non-http origin, nothing http at all.
  const local = renderWebviewHtml({
    ...page,
    cspSource: 'vscode-webview:',
    scriptUri: 'vscode-resource:/s.js',
    styleUris: ['vscode-resource:/s.css'],
  });
  assert.doesNotMatch(local, /https?:/i);
});

test('no inline styles or inline scripts (the CSP would block them)', () => {
  const html = renderWebviewHtml(page);
  assert.doesNotMatch(html, /<style/i);
  assert.doesNotMatch(html, /\sstyle=/i);
  for (const [, attrs, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(attrs, /\ssrc="/, 'every script is loaded from a file');
    assert.equal(body.trim(), '', 'no inline script bodies');
  }
});

test('nonces are fresh and long enough', () => {
  const a = createNonce();
  const b = createNonce();
  assert.notEqual(a, b);
  assert.ok(Buffer.from(a, 'base64').length >= 16);
  assert.match(a, /^[A-Za-z0-9+/]+=*$/);
});

test('the title and URIs are escaped', () => {
  const html = renderWebviewHtml({
    ...page,
    title: 'Stats: <img src=x onerror=alert(1)>.jsonl',
    scriptUri: 'x" onload="alert(1)',
  });
  assert.doesNotMatch(html, /<img/);
  assert.doesNotMatch(html, /" onload="/);
  assert.equal(escapeHtml(`a&b<c>"d'`), `a&amp;b&lt;c&gt;&quot;d'`);
});

test('contentSecurityPolicy is the documented policy', () => {
  assert.equal(
    contentSecurityPolicy('SRC', 'N'),
    "default-src 'none'; style-src SRC; script-src 'nonce-N'; img-src SRC data:",
  );
});
