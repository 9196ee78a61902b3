// The score server's work on a tiny model trained here: every line gets the rewards `reward-studio
// score` writes for it (same tokenization, cut and batching by length); lines that are not records say
// why; a line seen before comes from the cache; a response scored on its own equals the chosen side of a
// pair; the server as a child process answers the same, survives a kill, and restarts with its models.
import assert from 'node:assert/strict';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../../../src/cli/main';
import { serializeTrlLine } from '../../../../src/core/data/formats/trlWriter';
import { generateSyntheticPreferences } from '../../../../src/core/data/synthetic';
import { ScoreClient, ScoreServerError } from '../../../../src/core/inspect/scoreClient';
import { ScoreService, modelKey } from '../../../../src/core/inspect/scoreService';
import type { LineResult } from '../../../../src/core/inspect/protocol';
import { tempDir } from '../../../helpers/paths';

const tmp = tempDir();
const data = join(tmp.dir, 'pairs.jsonl');
const model = join(tmp.dir, 'model');
const scored = join(tmp.dir, 'scored.jsonl');
let lines: string[];
const service = new ScoreService({ threads: 1 });

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await runCli(argv, { out: () => undefined, err: (t) => err.push(t) });
  return { code, err: err.join('\n') };
}

before(async () => {
  const pairs = generateSyntheticPreferences({ n: 120, seed: 11 }).pairs.map((p) => serializeTrlLine(p));
  // Not records: a blank line, a bad line, a tie-like line (identical sides), and a very long pair (cut).
  pairs.splice(3, 0, '');
  pairs.splice(7, 0, '{"prompt": "x", "chosen": "a"');
  pairs.splice(9, 0, JSON.stringify({ prompt: 'same?', chosen: 'the same answer', rejected: 'the same answer' }));
  pairs.splice(12, 0, JSON.stringify({ prompt: 'long '.repeat(200), chosen: 'yes '.repeat(120), rejected: 'no' }));
  lines = pairs;
  writeFileSync(data, lines.join('\n') + '\n');
  const r = await cli('train', '--data', data, '--out', model, '--d-model', '16', '--n-heads', '2', '--n-layers', '1', '--tokenizer-vocab-size', '300', '--max-length', '64', '--epochs', '1', '--batch-size', '16', '--provider', 'cpu', '--log-steps', '100');
  assert.equal(r.code, 0, r.err);
  const s = await cli('score', '--model', model, '--data', data, '--out', scored, '--provider', 'cpu');
  assert.equal(s.code, 0, s.err);
});

after(async () => {
  await service.dispose();
  tmp.cleanup();
});

function cliScores(): Array<{ reward_chosen: number | null; reward_rejected: number | null; reward_truncated_tokens?: number }> {
  return readFileSync(scored, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function recordLines(): Array<{ line: number; text: string }> {
  return lines.map((text, i) => ({ line: i + 1, text }));
}

void test('every record line gets the rewards `reward-studio score` writes; other lines say why they have none', async () => {
  const m = await service.load(model, 'cpu');
  assert.equal(m.provider, 'cpu');
  assert.equal(m.key, modelKey(model));
  // Score in the editor's way: small chunks, in another order than the file.
  const all = recordLines();
  const chunks = [all.slice(60), all.slice(20, 60), all.slice(0, 20)];
  const results = new Map<number, LineResult>();
  for (const c of chunks) for (const r of await service.scoreLines(m.key, 'trl', data, c)) results.set(r.line, r);
  const expected = cliScores();
  const unscoredLines: number[] = [];
  let k = 0;
  for (let i = 0; i < lines.length; i++) {
    const r = results.get(i + 1)!;
    if (i === 3) {
      assert.deepEqual(r, { line: 4, skip: 'blank line' });
      continue;
    }
    if (i === 7) {
      assert.ok('skip' in r && /not valid JSON/.test(r.skip), JSON.stringify(r));
      continue;
    }
    const e = expected[k++];
    assert.ok('pairs' in r, `line ${i + 1}: ${JSON.stringify(r)}`);
    assert.equal(r.pairs.length, 1);
    const p = r.pairs[0];
    if (e.reward_chosen === null) {
      // The pair made identical here, and any pair whose sides are identical once cut to 64 tokens.
      assert.match(r.unscored ?? '', /identical/);
      unscoredLines.push(i + 1);
      continue;
    }
    assert.ok(Math.abs(p.rewardChosen - e.reward_chosen) < 1e-5, `line ${i + 1}: chosen ${p.rewardChosen} vs CLI ${e.reward_chosen}`);
    assert.ok(Math.abs(p.rewardRejected - (e.reward_rejected as number)) < 1e-5, `line ${i + 1}: rejected`);
    assert.equal(p.truncatedTokens, e.reward_truncated_tokens ?? 0, `line ${i + 1}: truncated tokens`);
    if (i === 12) assert.ok(p.truncatedTokens > 0, 'the long pair is cut, as in training');
    assert.ok(p.chosenTokens > 0 && p.chosenTokens <= 64 && p.rejectedTokens > 0);
  }
  assert.equal(k, expected.length);
  assert.ok(unscoredLines.includes(10), `unscored: ${unscoredLines.join(', ')}`);
  assert.ok(unscoredLines.length < 5);
});

void test('a line seen before — anywhere, in any file — comes from the cache', async () => {
  const m = await service.load(model, 'cpu');
  const before = service.getStats();
  const moved = [{ line: 500, text: lines[0] }, { line: 501, text: lines[1] }];
  const [a, b] = await service.scoreLines(m.key, 'trl', join(tmp.dir, 'other.jsonl'), moved);
  const after = service.getStats();
  assert.equal(after.cacheHits - before.cacheHits, 2);
  assert.equal(after.pairsScored, before.pairsScored, 'nothing scored again');
  assert.equal(a.line, 500);
  assert.equal(b.line, 501);
  // An edited line is new content: scored, then cached.
  const edited = lines[0].replace('"chosen":"', '"chosen":"Indeed. ');
  assert.notEqual(edited, lines[0]);
  await service.scoreLines(m.key, 'trl', data, [{ line: 1, text: edited }]);
  assert.equal(service.getStats().pairsScored, after.pairsScored + 1);
});

void test('a response scored on its own gets the reward of the chosen side of a pair', async () => {
  const m = await service.load(model, 'cpu');
  const rec = JSON.parse(lines[0]) as { prompt: string; chosen: string };
  const [line] = await service.scoreLines(m.key, 'trl', data, [{ line: 1, text: lines[0] }]);
  const alone = await service.scoreResponse(m.key, rec.prompt, rec.chosen);
  assert.ok('pairs' in line);
  assert.ok(Math.abs(alone.reward - line.pairs[0].rewardChosen) < 1e-5, `${alone.reward} vs ${line.pairs[0].rewardChosen}`);
  assert.equal(alone.tokens, line.pairs[0].chosenTokens);
});

void test('a model retrained in place gets a new identity; the old key is refused with a reason', async () => {
  const m = await service.load(model, 'cpu');
  const onnx = join(model, 'reward-model.onnx');
  const t = new Date(Date.now() + 5000);
  utimesSync(onnx, t, t);
  // Still loaded, but the file changed: no more scores from the old weights.
  await assert.rejects(service.scoreLines(m.key, 'trl', data, [{ line: 1, text: lines[0] }]), /changed on disk since it was loaded: load it again/);
  const again = await service.load(model, 'cpu');
  assert.notEqual(again.key, m.key);
  await assert.rejects(service.scoreLines(m.key, 'trl', data, [{ line: 1, text: lines[0] }]), /not loaded \(or changed on disk since\)/);
  await assert.rejects(service.load(join(tmp.dir, 'nowhere'), 'cpu'), /no such folder/);
});

void test('the server as a child process: same answers, a kill fails the calls in flight, the next call restarts it with its models', async () => {
  const client = new ScoreClient({ script: join(__dirname, '..', '..', '..', '..', 'src', 'core', 'inspect', 'scoreServerMain.js'), threads: 1 });
  try {
    const m = await client.load(model, 'cpu');
    const direct = await service.load(model, 'cpu');
    const part = recordLines().slice(0, 30);
    const viaProcess = await client.scoreLines(m.key, 'trl', data, part);
    const inProcess = await service.scoreLines(direct.key, 'trl', data, part);
    assert.deepEqual(viaProcess, inProcess);
    const pid = client.pid;
    const inFlight = client.scoreLines(m.key, 'trl', data, recordLines().slice(30));
    client.kill();
    await assert.rejects(inFlight, (e: Error) => e instanceof ScoreServerError && /ended \(killed by SIGKILL\)/.test(e.message));
    const again = await client.scoreLines(m.key, 'trl', data, part.slice(0, 5));
    assert.notEqual(client.pid, pid);
    assert.equal(client.starts, 2);
    assert.deepEqual(again, inProcess.slice(0, 5));
    const stats = await client.stats();
    assert.equal(stats.lines, 5);
  } finally {
    client.dispose();
  }
});
