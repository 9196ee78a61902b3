// Records the annotator writes that are not training pairs — ties, skips, undos, order-swap audits, and
// judgements a later line withdraws — are reported by the reader and never reach training.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { readAllPairs, validateFile } from '../../../../src/core/data/pipeline';
import { tempDir } from '../../../helpers/paths';

const tmp = tempDir();
after(tmp.cleanup);

void test('ties, skips, undos, audits and withdrawn judgements are not pairs; preferences are', async () => {
  const rec = (id: string, meta: Record<string, unknown>) => ({ prompt: 'p ' + id, chosen: 'a ' + id, rejected: 'b ' + id, id, meta: { annotator: 'ana', ...meta } });
  const file = join(tmp.dir, 'judged.jsonl');
  const lines = [
    rec('1', { judgement: 'preference' }),
    rec('2', { judgement: 'tie' }),
    rec('3', { judgement: 'skip' }),
    rec('4', { judgement: 'preference' }),
    rec('5', { judgement: 'retract', retracts: '4' }),
    rec('6', { judgement: 'preference', audit: { of: '1', swapped: true } }),
    rec('7', { judgement: 'preference' }),
    rec('8', { judgement: 'preference', retracts: '7' }), // judged again: 8 replaces 7
    rec('9', {}), // an ordinary record with meta but no judgement: a pair
  ];
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const { pairs, problems } = await readAllPairs(file);
  assert.deepEqual(
    pairs.map((p) => p.pair.id),
    ['1', '8', '9'],
  );
  assert.deepEqual(
    problems.map((p) => [p.line, p.code, p.severity]),
    [
      [2, 'tie', 'info'],
      [3, 'not-a-preference', 'info'],
      [5, 'not-a-preference', 'info'],
      [6, 'not-a-preference', 'info'],
    ],
  );
  assert.match(problems[2].message, /withdraws judgement "4"/);
  const v = await validateFile(file);
  assert.deepEqual(v.problems.filter((p) => p.severity !== 'info'), [], 'an annotation file validates clean');
  // The CLI: exit 0, the records that are not pairs mentioned, not listed as problems.
  const out: string[] = [];
  const err: string[] = [];
  assert.equal(await runCli(['validate', file], { out: (t) => out.push(t), err: (t) => err.push(t) }), 0);
  assert.match(err.join('\n'), /3 pairs; 0 errors, 0 warnings; 4 annotation records that are not a pair/);
});
