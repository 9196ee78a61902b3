// `reward-studio eval` end to end: a tiny built-in model trained in seconds, evaluated on its held-out
// split with LLMBar as a length probe and a slice of the political-typology sycophancy probes; and the
// errors a user meets (missing model folder, a probe file that is neither kind, with file:line).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../../src/cli/main';
import { serializeTrlLine } from '../../../src/core/data/formats/trlWriter';
import { generateSyntheticPreferences } from '../../../src/core/data/synthetic';
import type { EvalReport, Finding } from '../../../src/core/eval';
import { sharedData, tempDir } from '../../helpers/paths';

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
const llmbar = sharedData('probes', 'llmbar_pairs.jsonl');
const sycophancy = join(tmp.dir, 'sycophancy-slice.jsonl');

before(async () => {
  writeFileSync(data, generateSyntheticPreferences({ n: 400, seed: 5 }).pairs.map((p) => serializeTrlLine(p) + '\n').join(''));
  // Every 100th probe: both bio leanings, 102 items.
  const lines = readFileSync(sharedData('probes', 'political_typology_sycophancy_pairs.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  writeFileSync(sycophancy, lines.filter((_, i) => i % 100 === 0).join('\n') + '\n');
  const r = await cli('train', '--data', data, '--out', model, '--d-model', '16', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '64', '--epochs', '1', '--batch-size', '16', '--eval-fraction', '0.2', '--provider', 'cpu', '--log-steps', '100');
  assert.equal(r.code, 0, r.err);
});

void test('eval on the held-out split with LLMBar and sycophancy probes writes a report whose figures carry n and intervals', async () => {
  const report = join(tmp.dir, 'report.json');
  const r = await cli('eval', '--model', model, '--probes', llmbar, '--probes', sycophancy, '--report', report, '--bootstrap', '200', '--probe-limit', '40', '--provider', 'cpu');
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(readFileSync(report, 'utf8')) as EvalReport;
  assert.equal(rep.format, 'reward-studio/eval-report@1');
  assert.match(rep.data.selection, /eval side of the training split \(evalFraction 0\.2, seed 42\)/);
  assert.equal(rep.data.file, data);
  assert.ok(rep.data.pairs > 40 && rep.data.pairs < 130, `${rep.data.pairs} held-out pairs of 400`);
  // A pair whose sides are identical once cut to maxLength 64 has no score (training left it out too).
  assert.ok(rep.data.scored <= rep.data.pairs && rep.data.scored >= rep.data.pairs - 5, `${rep.data.scored} of ${rep.data.pairs} scored`);
  const isFinding = (f: Finding, what: string): void => {
    assert.ok(f.n > 0, `${what}.n = ${f.n}`);
    assert.ok(Number.isFinite(f.value) && f.ci.every(Number.isFinite) && f.ci[0] <= f.value + 1e-12 && f.value <= f.ci[1] + 1e-12, `${what}: ${f.value} [${f.ci.join(', ')}]`);
  };
  isFinding(rep.accuracy, 'accuracy');
  isFinding(rep.length.baseline, 'length.baseline');
  isFinding(rep.length.briefVsLong, 'briefVsLong');
  isFinding(rep.length.filler.effect, 'filler.effect');
  isFinding(rep.calibration.ece, 'ece');
  isFinding(rep.sycophancy.generated.raisedRate, 'sycophancy.generated');
  assert.ok(rep.length.verdict.text.length > 0 && ['ok', 'warn', 'bad'].includes(rep.length.verdict.level));
  // LLMBar as a length probe: 419 pairs, chosen longer in 27% of them, accuracy per subset.
  const lb = rep.probeSets[0];
  assert.equal(lb.file, llmbar);
  assert.equal(lb.pairs, 419);
  assert.ok(Math.abs(lb.lengthBaseline.value - 0.27) < 0.02, `LLMBar length-only ${lb.lengthBaseline.value}`);
  isFinding(lb.accuracy, 'llmbar.accuracy');
  isFinding(lb.chosenShorter, 'llmbar.chosenShorter');
  assert.equal(lb.groups?.field, 'subset');
  assert.ok(lb.groups!.rows.length >= 5);
  // Sycophancy: per bio leaning.
  const s = rep.sycophancy.files[0];
  assert.equal(s.groupField, 'bio_leaning');
  assert.equal(s.agreeRate.n, 102);
  assert.deepEqual(s.groups.map((g) => g.group).sort(), ['conservative', 'liberal']);
  // Label-noise candidates link to the data file's lines.
  for (const e of rep.labelNoise.examples) assert.ok(e.file === data && e.line >= 1 && e.value < 0);
  assert.ok(rep.timings.scoringSeconds > 0);
  // The human summary.
  assert.match(r.err, /accuracy +\d+\.\d% \[\d+\.\d%, \d+\.\d%\] \(n=\d+\)/);
  assert.match(r.err, /verdicts:/);
  // --report refuses to overwrite without --force.
  assert.equal((await cli('eval', '--model', model, '--report', report, '--bootstrap', '10', '--probe-limit', '5', '--provider', 'cpu')).code, 1);
});

void test('eval errors: missing model folder, unusable probe file with file:line, usage', async () => {
  const missing = await cli('eval', '--model', join(tmp.dir, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no such folder/);
  const bad = join(tmp.dir, 'bad-probe.jsonl');
  writeFileSync(bad, '\n{"prompt": "p", "matches_user_view": "a", "contradicts_user_view": 3}\n');
  const r = await cli('eval', '--model', model, '--probes', bad);
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(`${bad}:2: `), r.err);
  const junk = join(tmp.dir, 'junk.jsonl');
  writeFileSync(junk, 'not json\n');
  const j = await cli('eval', '--model', model, '--probes', junk);
  assert.equal(j.code, 1);
  assert.ok(r.err.length > 0 && j.err.includes(junk), j.err);
  assert.equal((await cli('eval')).code, 2);
  assert.equal((await cli('eval', '--model', model, '--bootstrap', '0')).code, 2);
  assert.ok(existsSync(model));
});
