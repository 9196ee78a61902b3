// Every gradient rule against central differences (see fd.ts and cases.ts), and a check that no rule
// in GRADIENT_RULES is without such a case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRADIENT_RULES } from '../../../../src/core/autodiff';
import { CASES } from './cases';
import { buildCase, checkCase } from './fd';

for (const c of CASES) {
  void test(`finite differences: ${c.name}`, async () => {
    const r = await checkCase(c);
    assert.ok(r.checked > 0 || c.name.includes('empty'), `${c.name}: nothing checked`);
  });
}

void test('every op with a gradient rule has a finite-difference case on its gradient path', () => {
  const covered = new Set<string>();
  for (const c of CASES) for (const op of buildCase(c).covered) covered.add(op);
  const missing = [...GRADIENT_RULES].filter(([, r]) => r.kind === 'gradient').map(([op]) => op).filter((op) => !covered.has(op));
  assert.deepEqual(missing, [], `gradient rules without a finite-difference case: ${missing.join(', ')}`);
});
