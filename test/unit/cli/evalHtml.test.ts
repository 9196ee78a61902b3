// `reward-studio eval --html OUT.html`: the self-contained page beside the JSON report, from a tiny
// model trained in seconds; an existing --html (or --report) is refused before any scoring, unless --force.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { serializeTrlLine } from '../../../src/core/data/formats/trlWriter';
import { generateSyntheticPreferences } from '../../../src/core/data/synthetic';
import type { EvalReport } from '../../../src/core/eval';
import { tempDir } from '../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const data = join(tmp.dir, 'synth.jsonl');
const model = join(tmp.dir, 'run');

before(async () => {
  writeFileSync(data, generateSyntheticPreferences({ n: 200, seed: 7 }).pairs.map((p) => serializeTrlLine(p) + '\n').join(''));
  const r = await cli('train', '--data', data, '--out', model, '--d-model', '16', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '64', '--epochs', '1', '--batch-size', '16', '--eval-fraction', '0.2', '--provider', 'cpu', '--log-steps', '100');
  assert.equal(r.code, 0, r.err);
});

void test('eval --html writes the self-contained page with the report it shows', async () => {
  const html = join(tmp.dir, 'report.html');
  const json = join(tmp.dir, 'report.json');
  const r = await cli('eval', '--model', model, '--report', json, '--html', html, '--bootstrap', '100', '--probe-limit', '20', '--provider', 'cpu');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /html → .*report\.html/);
  const page = readFileSync(html, 'utf8');
  const rep = JSON.parse(readFileSync(json, 'utf8')) as EvalReport;
  assert.match(page, /^<!DOCTYPE html>/);
  assert.doesNotMatch(page, /<script|https?:\/\//i);
  assert.ok(page.includes(`${rep.data.scored} of ${rep.data.pairs} scored`));
  assert.ok(page.includes('<tr data-finding="accuracy">'));
  assert.ok(rep.length.scatter && rep.length.scatter.points.length === rep.data.scored);
});

void test('an existing --html or --report is refused before scoring; --force replaces it', async () => {
  const html = join(tmp.dir, 'exists.html');
  writeFileSync(html, 'keep me');
  // A model folder that does not exist: the refusal comes first, so the run never gets that far.
  const r = await cli('eval', '--model', join(tmp.dir, 'no-such-model'), '--html', html);
  assert.equal(r.code, 1);
  assert.match(r.err, /exists\.html already exists — choose another --html, or pass --force/);
  assert.equal(readFileSync(html, 'utf8'), 'keep me');
  const forced = await cli('eval', '--model', model, '--html', html, '--force', '--bootstrap', '50', '--probe-limit', '10', '--provider', 'cpu');
  assert.equal(forced.code, 0, forced.err);
  assert.match(readFileSync(html, 'utf8'), /^<!DOCTYPE html>/);
  assert.ok(!existsSync(join(tmp.dir, 'no-such-model')));
});
