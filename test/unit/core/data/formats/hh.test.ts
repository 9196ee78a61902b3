import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { hhReader } from '../../../../../src/core/data/formats/hh';
import { trlReader } from '../../../../../src/core/data/formats/trl';
import { parseJson } from '../../../../../src/core/data/json';
import { isEmptySide } from '../../../../../src/core/data/record';
import { sharedData } from '../../../../helpers/paths';

const read = (record: Record<string, unknown>) => hhReader.read(record);
const H = '\n\nHuman: ';
const A = '\n\nAssistant: ';

void test('a single-turn transcript splits after the last "\\n\\nAssistant:"', () => {
  const r = read({ chosen: `${H}Hi there${A}Hello!`, rejected: `${H}Hi there${A}Go away.` });
  assert.deepEqual(r, {
    pairs: [{ prompt: '\n\nHuman: Hi there\n\nAssistant:', chosen: 'Hello!', rejected: 'Go away.' }],
    problems: [],
  });
});

void test('a multi-turn transcript keeps all earlier turns in the prompt', () => {
  const shared = `${H}Hi${A}Hello, how can I help?${H}Sky colour?`;
  const r = read({ chosen: `${shared}${A}Blue.`, rejected: `${shared}${A}Green.` });
  assert.deepEqual(r.pairs, [{ prompt: `${shared}\n\nAssistant:`, chosen: 'Blue.', rejected: 'Green.' }]);
});

void test('exactly one leading space is removed; everything else is kept', () => {
  const r = read({ chosen: `${H}q${A} two spaces ahead \n`, rejected: `${H}q\n\nAssistant:no space` });
  assert.deepEqual(r.pairs[0], {
    prompt: '\n\nHuman: q\n\nAssistant:',
    chosen: ' two spaces ahead \n',
    rejected: 'no space',
  });
});

void test('an empty response gives a pair with an empty side (the data checks report it)', () => {
  const r = read({ chosen: `${H}q${A}answer`, rejected: `${H}q${A}` });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.pairs, [{ prompt: '\n\nHuman: q\n\nAssistant:', chosen: 'answer', rejected: '' }]);
});

void test('a transcript that starts with "Human:" (no blank line) is read too', () => {
  const r = read({ chosen: 'Human: q\n\nAssistant: a', rejected: 'Human: q\n\nAssistant: b' });
  assert.deepEqual(r.pairs, [{ prompt: 'Human: q\n\nAssistant:', chosen: 'a', rejected: 'b' }]);
});

void test('different prompts are ambiguous: no pair, and the message names the turn', () => {
  const r = read({
    chosen: `${H}Hi${A}Hello${H}Cats?${A}Yes.`,
    rejected: `${H}Hi${A}Hello${H}Dogs?${A}Yes.`,
  });
  assert.deepEqual(r.pairs, []);
  assert.deepEqual(
    r.problems.map((p) => [p.path, p.code, p.severity]),
    [['rejected', 'ambiguous', 'error']],
  );
  assert.match(r.problems[0].message, /differ from turn 3, a Human turn/);
});

void test('a response containing its own "\\n\\nAssistant:" is explained as such', () => {
  const r = read({ chosen: `${H}List?${A}One.`, rejected: `${H}List?${A}One.${A}Two.` });
  assert.equal(r.problems[0].code, 'ambiguous');
  assert.match(r.problems[0].message, /the rejected response itself contains "\\n\\nAssistant:"/);
  const s = read({ chosen: `${H}List?${A}One.${A}Two.`, rejected: `${H}List?${A}Three.` });
  assert.match(s.problems[0].message, /the chosen response itself contains/);
});

void test('a transcript without an assistant turn, or not a string, is an error at that side', () => {
  const r = read({ chosen: 'just text', rejected: `${H}q${A}a` });
  assert.deepEqual(
    r.problems.map((p) => [p.path, p.code, p.severity]),
    [['chosen', 'invalid-value', 'error']],
  );
  assert.match(r.problems[0].message, /--from trl/);
  const s = read({ chosen: `${H}q${A}a`, rejected: ['x'] });
  assert.deepEqual(
    s.problems.map((p) => [p.path, p.code]),
    [['rejected', 'wrong-type']],
  );
  assert.deepEqual(
    read({ chosen: `${H}q${A}a` }).problems.map((p) => [p.path, p.code]),
    [['rejected', 'missing-field']],
  );
});

void test('unknown fields are kept in extra; a stray prompt is dropped with a warning', () => {
  const r = read({ source: 'hh', chosen: `${H}q${A}a`, rejected: `${H}q${A}b`, n: 3 });
  assert.deepEqual(r.pairs[0].extra, { source: 'hh', n: 3 });
  const s = read({ prompt: 'x', chosen: `${H}q${A}a`, rejected: `${H}q${A}b` });
  assert.equal(s.pairs.length, 1);
  assert.deepEqual(
    s.problems.map((p) => [p.path, p.code, p.severity]),
    [['prompt', 'invalid-value', 'warning']],
  );
});

void test('match: HH transcripts score above TRL; anything with a prompt is not HH', () => {
  const rec = { chosen: `${H}q${A}a`, rejected: `${H}q${A}b` };
  assert.ok(hhReader.match(rec) > trlReader.match(rec));
  assert.equal(hhReader.match({ ...rec, prompt: 'p' }), 0);
  assert.equal(hhReader.match({ chosen: 'a', rejected: 'b' }), 0);
});

// ---------------------------------------------------------------------------------------------------------
// Real data: the raw helpful-base test split against the conversion someone else published.

const rawFile = sharedData('hh-rlhf', 'helpful-base-test.jsonl.gz');
const cleanFile = sharedData('hh-rlhf', 'helpful-base-test.clean.pcr.jsonl');
// Real data from ../shared/data: CI has it beside the checkout, so these tests fail (not skip) without it.

function jsonl(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => parseJson(l) as Record<string, unknown>);
}

void test(
  'HH reader reproduces every pair of the published clean conversion (helpful-base test)',
  () => {
    const raw = jsonl(gunzipSync(readFileSync(rawFile)).toString('utf8'));
    const clean = jsonl(readFileSync(cleanFile, 'utf8'));
    assert.equal(raw.length, 2354);
    assert.equal(clean.length, 2339);

    // The clean file is the raw file minus dropped records, in order: walk both.
    const dropped: Record<'promptsDiffer' | 'empty' | 'identical', number[]> = {
      promptsDiffer: [],
      empty: [],
      identical: [],
    };
    let j = 0;
    raw.forEach((record, i) => {
      const r = hhReader.read(record);
      const pair = r.pairs[0];
      const c = clean[j];
      if (pair && c && pair.prompt === c.prompt && pair.chosen === c.chosen && pair.rejected === c.rejected) {
        assert.deepEqual(r.problems, [], `raw record ${i} is clean yet has problems`);
        j++;
        return;
      }
      // No counterpart in the clean file: it must be one of the three documented reasons.
      if (!pair) {
        assert.deepEqual(
          r.problems.map((p) => p.code),
          ['ambiguous'],
          `raw record ${i}: unexplained failure`,
        );
        dropped.promptsDiffer.push(i);
      } else if (isEmptySide(pair.chosen) || isEmptySide(pair.rejected)) {
        dropped.empty.push(i);
      } else if (pair.chosen === pair.rejected) {
        dropped.identical.push(i);
      } else {
        assert.fail(
          `raw record ${i} gives a pair that is neither in the clean file nor droppable: ${JSON.stringify(pair).slice(0, 200)}`,
        );
      }
    });
    assert.equal(j, clean.length, `every clean record is matched, in order (stopped at clean[${j}])`);
    assert.deepEqual(dropped, {
      promptsDiffer: [168, 354, 567, 743, 960, 1011, 1166, 1307, 1450],
      empty: [120, 740, 1214, 2063],
      identical: [721, 2168],
    });
    // Every "prompts differ" record is a response that holds its own "\n\nAssistant:" turn.
    for (const i of dropped.promptsDiffer) {
      assert.match(hhReader.read(raw[i]).problems[0].message, /response itself contains/, `raw record ${i}`);
    }
  },
);

void test(
  'whitespace convention on the real data: every raw response starts with one space after the marker',
  () => {
    const raw = jsonl(gunzipSync(readFileSync(rawFile)).toString('utf8'));
    let doubleSpace = 0;
    for (const record of raw) {
      for (const side of [record.chosen, record.rejected] as string[]) {
        const rest = side.slice(side.lastIndexOf('\n\nAssistant:') + '\n\nAssistant:'.length);
        assert.ok(rest.startsWith(' '), 'a response without the separating space');
        if (rest.startsWith('  ')) doubleSpace++;
      }
    }
    // Responses starting with two spaces exist (only in records whose prompts differ): removing ALL leading
    // whitespace would differ from removing the one separator only there, so the clean file cannot tell.
    assert.equal(doubleSpace, 4);
  },
);
