import assert from 'node:assert/strict';
import { test } from 'node:test';
import { charLength } from '../../../../src/core/data/record';
import { generateSyntheticPreferences, PLANTED_WEIGHTS } from '../../../../src/core/data/synthetic';

test('synthetic preferences are deterministic per seed', () => {
  const a = generateSyntheticPreferences({ n: 200, seed: 5 });
  const b = generateSyntheticPreferences({ n: 200, seed: 5 });
  const c = generateSyntheticPreferences({ n: 200, seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.pairs, c.pairs);
});

test('labels follow the planted reward; length alone stays near chance', () => {
  const { pairs, attainableAccuracy } = generateSyntheticPreferences({ n: 4000, seed: 1 });
  let agree = 0;
  let longer = 0;
  for (const p of pairs) {
    const rc = p.extra!.planted_reward_chosen as number;
    const rr = p.extra!.planted_reward_rejected as number;
    if (rc > rr) agree++;
    else if (rc === rr) agree += 0.5;
    if (charLength(p.chosen) > charLength(p.rejected)) longer++;
  }
  const planted = agree / pairs.length;
  // The planted reward's empirical accuracy matches the expected attainable accuracy.
  assert.ok(Math.abs(planted - attainableAccuracy) < 0.03, `planted ${planted} vs attainable ${attainableAccuracy}`);
  assert.ok(attainableAccuracy > 0.75 && attainableAccuracy < 0.95, `attainable ${attainableAccuracy}`);
  const lengthRate = longer / pairs.length;
  assert.ok(Math.abs(lengthRate - 0.5) < 0.1, `length-only scorer ${lengthRate}`);
  assert.ok(PLANTED_WEIGHTS.correct > 0 && PLANTED_WEIGHTS.filler < 0);
});
