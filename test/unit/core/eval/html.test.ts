// The self-contained HTML report: a real report from evaluate() with a planted length-loving scorer,
// rendered; the page is one well-formed document with every finding (n and interval), every plot, the
// label-noise lines, no script and no remote resource. Also a JSON round trip (NaN as null) still renders.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { charLength, textOf } from '../../../../src/core/data/record';
import { evaluate, formatInterval, renderReportHtml, reportFindings, reportPlots, svgMarkup, type EvalReport, type PairScorer } from '../../../../src/core/eval';
import { mulberry32 } from '../../../../src/core/random';
import type { LocatedPair } from '../../../../src/core/tokenize';

const lengthScorer: PairScorer = {
  scorePairs: (items) => Promise.resolve(items.map((it) => ({ rewardChosen: charLength(it.pair.chosen) / 50 + (textOf(it.pair.chosen).includes('correct') ? 1 : 0), rewardRejected: charLength(it.pair.rejected) / 50 }))),
};

const WORDS = 'apple river stone cloud maple orbit candle harbor violet meadow'.split(' ');
function fixture(n: number, seed = 3): LocatedPair[] {
  const rand = mulberry32(seed);
  const words = (k: number): string => Array.from({ length: k }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const body = (k: number): string => Array.from({ length: k }, () => `${words(4)}.`).join(' ');
  return Array.from({ length: n }, (_, i) => ({
    pair: { id: `pair-${i}`, prompt: `Question ${i}: which ${WORDS[i % 10]}?`, chosen: `The correct one is ${WORDS[i % 10]}. ${body(1 + Math.floor(rand() * 6))}`, rejected: `It is ${words(2)} <b>&amp;</b>. ${body(1 + Math.floor(rand() * 6))}`, extra: { subset: i % 3 ? 'odd <x>' : 'even' }, meta: { annotator: i % 2 ? 'ann-a' : 'ann-b', shownOrder: i % 4 ? 'chosen-left' : 'chosen-right' } },
    source: { file: '/data/fix "ture".jsonl', line: i + 1 },
  }));
}

let cached: EvalReport | undefined;
async function report(): Promise<EvalReport> {
  cached ??= await evaluate(lengthScorer, { pairs: fixture(240), dataset: { file: '/data/fix "ture".jsonl', selection: 'every pair of --data' }, model: { dir: '/models/<run>', backbone: 'builtin' } }, { resamples: 100 });
  return cached;
}

void test('the report carries a capped sample of (Δlength, Δreward) points for the scatter plot', async () => {
  const r = await report();
  assert.equal(r.length.scatter?.n, r.data.scored);
  assert.equal(r.length.scatter?.points.length, Math.min(1000, r.data.scored));
  for (const [dl, dr] of r.length.scatter!.points) assert.ok(Number.isFinite(dl) && Number.isFinite(dr));
});

void test('renderReportHtml: one document with every finding (n and CI), every plot, no script, no remote URL', async () => {
  const r = await report();
  const html = renderReportHtml(r);
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.ok(html.trimEnd().endsWith('</html>'));
  for (const tag of ['html', 'head', 'body', 'main', 'style', 'table', 'svg', 'figure']) {
    const open = (html.match(new RegExp(`<${tag}[\\s>]`, 'g')) ?? []).length;
    const close = (html.match(new RegExp(`</${tag}>`, 'g')) ?? []).length;
    assert.equal(open, close, `<${tag}> opened ${open} times, closed ${close}`);
  }
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /\b(src|href)=/, 'no external resource of any kind');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.match(html, /prefers-color-scheme: dark/);
  // Escaped: the path with quotes, the group with <x>, the model dir with <run>.
  assert.doesNotMatch(html, /<x>|<run>/);
  assert.ok(html.includes('fix &quot;ture&quot;.jsonl'));

  const findings = reportFindings(r);
  assert.ok(findings.length >= 20, `${findings.length} findings`);
  for (const f of findings) {
    const row = new RegExp(`<tr data-finding="${f.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/</g, '&lt;').replace(/>/g, '&gt;')}">(.*?)</tr>`).exec(html);
    assert.ok(row, `finding ${f.id} is missing`);
    assert.ok(row[1].includes(`n=${f.finding.n}`), `${f.id}: no n`);
    assert.ok(row[1].includes(formatInterval(f.unit, f.finding).replace(/&/g, '&amp;')), `${f.id}: no interval ${formatInterval(f.unit, f.finding)}`);
    if (f.verdict) assert.ok(row[1].includes(`badge ${f.verdict.level}`) && row[1].includes('thresholds:'), `${f.id}: no verdict`);
  }
  for (const id of ['accuracy', 'length.gap', 'length.briefVsLong', 'length.filler.effect', 'calibration.ece', 'sycophancy.generated.effect', 'formatting.effect', 'labelNoise.confidentDisagreement']) {
    assert.ok(findings.some((f) => f.id === id), id);
  }
  const plots = reportPlots(r).map((p) => p.id);
  assert.deepEqual(plots, ['hist', 'reliability', 'groups', 'scatter']);
  for (const id of plots) assert.ok(html.includes(`<figure id="plot-${id}">`), id);
  assert.equal((html.match(/<circle /g) ?? []).length >= r.length.scatter!.points.length, true);
  // Every summary verdict, and the label-noise lines.
  for (const s of r.summary) assert.ok(html.includes(`<strong>${s.section}</strong>`), s.section);
  for (const e of r.labelNoise.examples) assert.ok(html.includes(`:${e.line}</code>`), `line ${e.line}`);
});

void test('a report read back from JSON (NaN written as null, no scatter) still renders', async () => {
  const r = JSON.parse(JSON.stringify(await report())) as EvalReport;
  delete r.length.scatter;
  r.length.trim.effect = { n: 0, value: null as unknown as number, ci: [null, null] as unknown as [number, number] };
  const html = renderReportHtml(r);
  assert.match(html, /<tr data-finding="length\.trim\.effect">.*?n\/a.*?n=0/);
  assert.doesNotMatch(html, /NaN|undefined|null/);
  assert.ok(!reportPlots(r).some((p) => p.id === 'scatter'));
});

void test('svgMarkup escapes text and attributes', () => {
  assert.equal(svgMarkup({ tag: 'g', attrs: { 'aria-label': 'a"<b>' }, children: [{ tag: 'text', text: 'x & <y>' }, { tag: 'circle', attrs: { r: 2 } }] }), '<g aria-label="a&quot;&lt;b&gt;"><text>x &amp; &lt;y&gt;</text><circle r="2"/></g>');
});
