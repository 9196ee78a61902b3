// The bias-report panel's view of a report (src/extension/eval/reportView.ts): the same findings and
// plots as the HTML export, formatted; only the report's own examples may be opened; a file that is not
// an evaluation report is refused with a reason.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { charLength } from '../../../src/core/data/record';
import { evaluate, reportFindings, type PairScorer } from '../../../src/core/eval';
import type { LocatedPair } from '../../../src/core/tokenize';
import { isReportExample, readEvalReport, toBiasReportView } from '../../../src/extension/eval/reportView';
import { tempDir } from '../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

const scorer: PairScorer = { scorePairs: (items) => Promise.resolve(items.map((it) => ({ rewardChosen: charLength(it.pair.chosen), rewardRejected: charLength(it.pair.rejected) }))) };
const pairs: LocatedPair[] = Array.from({ length: 60 }, (_, i) => ({
  pair: { prompt: `q${i}`, chosen: 'a'.repeat(5 + (i % 7) * 3) + '. More words here.', rejected: 'b'.repeat(5 + ((i * 3) % 11) * 3) + '. Other words.', extra: { subset: i % 2 ? 'x' : 'y' } },
  source: { file: '/data/pairs.jsonl', line: i + 1 },
}));

void test('toBiasReportView: every finding formatted, the plots, the label-noise examples', async () => {
  const report = await evaluate(scorer, { pairs, model: { dir: '/m/run-1' } }, { resamples: 50 });
  const file = join(tmp.dir, 'eval-report.json');
  writeFileSync(file, JSON.stringify(report));
  const read = readEvalReport(file);
  const v = toBiasReportView(read, file);
  assert.equal(v.modelName, 'run-1');
  assert.equal(v.reportFile, file);
  assert.deepEqual(v.findings.map((f) => f.id), reportFindings(report).map((f) => f.id));
  const acc = v.findings.find((f) => f.id === 'accuracy')!;
  assert.match(acc.value, /^\d+\.\d%$/);
  assert.match(acc.ci, /^\[\d+\.\d%, \d+\.\d%\]$/);
  assert.equal(acc.n, report.accuracy.n);
  assert.match(acc.verdict?.thresholds ?? '', /chance 0\.5/);
  assert.deepEqual(v.plots.map((p) => p.id), ['hist', 'reliability', 'groups', 'scatter']);
  assert.equal(v.labelNoise.examples.length, report.labelNoise.examples.length);
  assert.ok(v.labelNoise.examples.length > 0);
  const e = v.labelNoise.examples[0];
  assert.equal(e.fileName, 'pairs.jsonl');
  assert.ok(isReportExample(read, e.file, e.line));
  assert.ok(!isReportExample(read, '/etc/passwd', 1));
  // The view is plain data: it survives postMessage's structured clone as JSON does.
  assert.deepEqual(JSON.parse(JSON.stringify(v)), v);
});

void test('readEvalReport refuses files that are not evaluation reports', () => {
  const notJson = join(tmp.dir, 'x.json');
  writeFileSync(notJson, '{nope');
  assert.throws(() => readEvalReport(notJson), /not a readable JSON file/);
  const other = join(tmp.dir, 'reward-model.json');
  writeFileSync(other, JSON.stringify({ format: 'reward-studio/model@1' }));
  assert.throws(() => readEvalReport(other), /not an evaluation report/);
});
