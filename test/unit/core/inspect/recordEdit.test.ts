import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyLineEdits,
  isRecordEditError,
  markReviewedInRecord,
  recordSideSpans,
  swapChosenRejected,
  type LineEdit,
  type RecordEditError,
  type TextSpan,
} from '../../../../src/core/inspect/recordEdit';
import { getReader } from '../../../../src/core/data/formats';
import type { FormatId, ReadResult } from '../../../../src/core/data/formats/types';
import { LosslessNumber, parseJson } from '../../../../src/core/data/json';

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** The edits, asserting they are edits (not an error) and sorted, non-overlapping, inside the line. */
function edits(line: string, result: LineEdit[] | RecordEditError): LineEdit[] {
  if (isRecordEditError(result)) assert.fail(`expected edits, got error: ${result.error}`);
  let at = 0;
  for (const e of result) {
    assert.ok(at <= e.start && e.start <= e.end && e.end <= line.length, `edit [${e.start}, ${e.end}) out of order`);
    at = e.end;
  }
  return result;
}

function swapped(line: string, format: FormatId): string {
  return applyLineEdits(line, edits(line, swapChosenRejected(line, format)));
}

function errorOf(result: LineEdit[] | RecordEditError): string {
  if (!isRecordEditError(result)) assert.fail(`expected an error, got edits ${JSON.stringify(result)}`);
  return result.error;
}

function read(line: string, format: FormatId): ReadResult {
  return getReader(format).read(parseJson(line) as Record<string, unknown>);
}

/** Read `line` and `after`: after must give the same pairs with chosen and rejected exchanged. */
function assertSidesExchanged(line: string, after: string, format: FormatId): void {
  const before = read(line, format);
  const now = read(after, format);
  assert.ok(before.pairs.length > 0, `the test line gives no pair: ${JSON.stringify(before.problems)}`);
  assert.deepEqual(now.problems, before.problems);
  assert.deepEqual(
    now.pairs.map((p) => [p.prompt, p.chosen, p.rejected]),
    before.pairs.map((p) => [p.prompt, p.rejected, p.chosen]),
  );
}

/** Swap, check the read-back, and check that swapping again gives the original line byte for byte. */
function assertSwapRoundTrip(line: string, format: FormatId): string {
  const after = swapped(line, format);
  assert.notEqual(after, line);
  assertSidesExchanged(line, after, format);
  assert.equal(swapped(after, format), line);
  return after;
}

const slice = (line: string, span: TextSpan | undefined) => (span ? line.slice(span.start, span.end) : undefined);

// ---------------------------------------------------------------------------------------------------------
// Sample lines, one or more per format, for the properties every format shares

const SAMPLES: { name: string; format: FormatId; line: string }[] = [
  {
    name: 'trl text',
    format: 'trl',
    line: '{"prompt": "Say \\"hi\\"", "chosen": "hi \\\\ there \\u00e9 😀", "rejected": "go away", "id": 12345678901234567890123}',
  },
  {
    name: 'trl conversations',
    format: 'trl',
    line: '{"prompt":[{"role":"user","content":"Q {]"}],"chosen":[{"role":"assistant","content":"A1 \\"}\\""}],"rejected":[{"role":"assistant","content":"A2"}]}',
  },
  {
    name: 'hh-rlhf',
    format: 'hh-rlhf',
    line: '{"chosen": "\\n\\nHuman: Hi?\\n\\nAssistant: Hello!", "rejected": "\\n\\nHuman: Hi?\\n\\nAssistant: Go away."}',
  },
  {
    name: 'nemo-aligner',
    format: 'nemo-aligner',
    line: '{"prompt": "<s>[INST] 2+2 [/INST]", "chosen_response": "4", "rejected_response": "5", "seed": 98765432109876543210}',
  },
  {
    name: 'ultrafeedback',
    format: 'ultrafeedback',
    line:
      '{"prompt": "Hi", "prompt_id": "p1", "chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], ' +
      '"rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Bye"}], ' +
      '"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "score_chosen": 8.0, "score_rejected": 5.0}',
  },
  {
    name: 'shp',
    format: 'shp',
    line: '{"post_id": "x1", "history": "Which?", "human_ref_A": "this", "human_ref_B": "that", "labels": 1, "score_A": 10, "score_B": 3}',
  },
  {
    name: 'a/b with label',
    format: 'shp',
    line: '{"prompt": "P", "response_a": "ra", "response_b": "rb", "label": 0}',
  },
  {
    name: 'nemo-rl',
    format: 'nemo-rl',
    line: '{"context": [{"role": "user", "content": "Q"}], "completions": [{"rank": 1, "completion": [{"role": "assistant", "content": "worse"}]}, {"rank": 0, "completion": [{"role": "assistant", "content": "better"}]}]}',
  },
  {
    name: 'label-studio JSON-MIN',
    format: 'label-studio',
    line: '{"prompt": "Capital?", "answer1": "Paris", "answer2": "Lyon", "id": 7, "comparison": [{"selected": "left"}], "annotator": 3, "annotation_id": 11, "created_at": "2024-05-01T10:00:00Z"}',
  },
  {
    name: 'label-studio task',
    format: 'label-studio',
    line: '{"id": 7, "annotations": [{"id": 11, "completed_by": 3, "result": [{"type": "pairwise", "from_name": "comparison", "to_name": "comparison", "value": {"selected": "right"}}], "was_cancelled": false}], "data": {"prompt": "Capital?", "answer1": "Paris", "answer2": "Lyon"}}',
  },
];

// ---------------------------------------------------------------------------------------------------------

void describe('applyLineEdits', () => {
  void test('applies replacements and insertions in order', () => {
    assert.equal(
      applyLineEdits('abcdef', [
        { start: 0, end: 0, newText: '>' },
        { start: 1, end: 3, newText: 'XY Z' },
        { start: 6, end: 6, newText: '<' },
      ]),
      '>aXY Zdef<',
    );
    assert.equal(applyLineEdits('abc', []), 'abc');
  });

  void test('refuses edits out of order, overlapping or outside the text', () => {
    assert.throws(() => applyLineEdits('abcdef', [{ start: 3, end: 4, newText: '' }, { start: 1, end: 2, newText: '' }]), RangeError);
    assert.throws(() => applyLineEdits('abcdef', [{ start: 1, end: 4, newText: '' }, { start: 3, end: 5, newText: '' }]), RangeError);
    assert.throws(() => applyLineEdits('abc', [{ start: 2, end: 4, newText: '' }]), RangeError);
    assert.throws(() => applyLineEdits('abc', [{ start: 2, end: 1, newText: '' }]), RangeError);
  });
});

void describe('swapChosenRejected: every supported format', () => {
  for (const { name, format, line } of SAMPLES) {
    void test(`${name}: reads back exchanged, and a second swap restores the line byte for byte`, () => {
      assertSwapRoundTrip(line, format);
    });
  }
});

void describe('swapChosenRejected: trl', () => {
  void test('escaped quotes, backslashes, unicode and big integers: only the two values move', () => {
    const line =
      '{"id": 12345678901234567890123, "chosen": "He said \\"no\\" \\\\ C:\\\\path \\u00e9t\\u00e9 😀 \\ud83d\\ude00", ' +
      '"rejected": "plain \\/ text", "meta": {"seed": -98765432109876543210987, "x": 1e400}}';
    const after = swapped(line, 'trl');
    assert.equal(
      after,
      '{"id": 12345678901234567890123, "chosen": "plain \\/ text", ' +
        '"rejected": "He said \\"no\\" \\\\ C:\\\\path \\u00e9t\\u00e9 😀 \\ud83d\\ude00", "meta": {"seed": -98765432109876543210987, "x": 1e400}}',
    );
    assert.equal(swapped(after, 'trl'), line);
    const record = parseJson(after) as Record<string, unknown>;
    assert.deepEqual((record.meta as Record<string, unknown>).seed, new LosslessNumber('-98765432109876543210987'));
  });

  void test('keys in unusual order and whitespace around colons and commas stay as they are', () => {
    const line = '{ "rejected"  :\t"R"  ,"margin":2.5,  "chosen":   "C has a longer text" ,"prompt" :"P:" }';
    const after = assertSwapRoundTrip(line, 'trl');
    assert.equal(after, '{ "rejected"  :\t"C has a longer text"  ,"margin":2.5,  "chosen":   "R" ,"prompt" :"P:" }');
    // The margin measures the preference and stays.
    assert.equal(read(after, 'trl').pairs[0].margin, 2.5);
  });

  void test('conversations: whole message lists move, brackets and braces inside strings included', () => {
    const line =
      '{"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A {\\"k\\": [1]}", "name": "bot"}], ' +
      '"rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "]}"}]}';
    const after = assertSwapRoundTrip(line, 'trl');
    assert.equal(
      after,
      '{"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "]}"}], ' +
        '"rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A {\\"k\\": [1]}", "name": "bot"}]}',
    );
  });

  void test('implicit prompt: still the common start after the swap', () => {
    const line = '{"chosen": "The cat sat.", "rejected": "The car sat."}';
    assertSwapRoundTrip(line, 'trl');
    assert.deepEqual(read(swapped(line, 'trl'), 'trl').pairs[0], { prompt: 'The ', chosen: 'car sat.', rejected: 'cat sat.' });
  });

  void test('a key written with escapes is still found', () => {
    const line = '{"cho\\u0073en": "a", "rejected": "b"}';
    assert.equal(swapped(line, 'trl'), '{"cho\\u0073en": "b", "rejected": "a"}');
  });

  void test('fields named for a side move with it; a lone score is renamed', () => {
    const line =
      '{"chosen": "a", "rejected": "b", "chosen_model": "gpt", "rejected_model": "llama", "ratingChosen": 5, "ratingRejected": 2, ' +
      '"chosen-len": 1, "rejected-len": 2, "score_chosen": 9, "chosen_by": "ana", "unchosen": 1}';
    const after = assertSwapRoundTrip(line, 'trl');
    assert.equal(
      after,
      '{"chosen": "b", "rejected": "a", "chosen_model": "llama", "rejected_model": "gpt", "ratingChosen": 2, "ratingRejected": 5, ' +
        '"chosen-len": 2, "rejected-len": 1, "score_rejected": 9, "chosen_by": "ana", "unchosen": 1}',
    );
  });

  void test('meta.shownOrder flips: the chosen response stood on the other side', () => {
    const line = '{"prompt": "p", "chosen": "a", "rejected": "b", "meta": {"annotator": "ana", "shownOrder": "chosen-left"}}';
    const after = assertSwapRoundTrip(line, 'trl');
    assert.equal(after, '{"prompt": "p", "chosen": "b", "rejected": "a", "meta": {"annotator": "ana", "shownOrder": "chosen-right"}}');
    // Anything else in shownOrder is not ours to interpret.
    const odd = '{"chosen": "a", "rejected": "b", "meta": {"shownOrder": "constructor"}}';
    assert.equal(swapped(odd, 'trl'), '{"chosen": "b", "rejected": "a", "meta": {"shownOrder": "constructor"}}');
  });

  void test('identical sides: nothing to change, no edits', () => {
    assert.deepEqual(swapChosenRejected('{"chosen": "same", "rejected": "same"}', 'trl'), []);
  });

  void test('a line ending in a carriage return keeps it', () => {
    assert.equal(swapped('{"chosen": "a", "rejected": "b"}\r', 'trl'), '{"chosen": "b", "rejected": "a"}\r');
  });
});

void describe('swapChosenRejected: the other formats', () => {
  void test('hh-rlhf: the transcripts move whole', () => {
    const line = SAMPLES.find((s) => s.format === 'hh-rlhf')!.line;
    assert.equal(
      swapped(line, 'hh-rlhf'),
      '{"chosen": "\\n\\nHuman: Hi?\\n\\nAssistant: Go away.", "rejected": "\\n\\nHuman: Hi?\\n\\nAssistant: Hello!"}',
    );
  });

  void test('nemo-aligner: chosen_response and rejected_response, the prompt and a big seed untouched', () => {
    const line = SAMPLES.find((s) => s.format === 'nemo-aligner')!.line;
    assert.equal(
      swapped(line, 'nemo-aligner'),
      '{"prompt": "<s>[INST] 2+2 [/INST]", "chosen_response": "5", "rejected_response": "4", "seed": 98765432109876543210}',
    );
  });

  void test('ultrafeedback: scores swap and the messages copy follows chosen', () => {
    const line = SAMPLES.find((s) => s.format === 'ultrafeedback')!.line;
    const after = swapped(line, 'ultrafeedback');
    const r = parseJson(after) as Record<string, unknown>;
    assert.deepEqual(r.messages, r.chosen);
    assert.deepEqual([r.score_chosen, r.score_rejected], [5, 8]);
    assert.ok(after.includes('"score_chosen": 5.0, "score_rejected": 8.0'));
    // No `messages` in extra: it is still the plain copy of chosen.
    assert.deepEqual(read(after, 'ultrafeedback').pairs[0].extra, { score_chosen: 5, score_rejected: 8 });
  });

  void test('ultrafeedback: `messages` that is not a copy of chosen stays where it is', () => {
    const line =
      '{"prompt_id": "p", "chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "A"}], ' +
      '"rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "B"}], "messages": [{"role": "system", "content": "S"}]}';
    const after = assertSwapRoundTrip(line, 'ultrafeedback');
    assert.ok(after.endsWith('"messages": [{"role": "system", "content": "S"}]}'));
  });

  void test('ultrafeedback: a lone score_rejected is renamed', () => {
    const line =
      '{"prompt_id": "p", "chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "A"}], ' +
      '"rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "B"}], "score_rejected": 3}';
    const after = assertSwapRoundTrip(line, 'ultrafeedback');
    assert.ok(after.endsWith('"score_chosen": 3}'));
  });

  void test('shp: SHP labels flip, number or boolean', () => {
    const line = SAMPLES.find((s) => s.name === 'shp')!.line;
    assert.equal(swapped(line, 'shp'), line.replace('"labels": 1', '"labels": 0'));
    const bool = line.replace('"labels": 1', '"labels": true');
    assert.equal(assertSwapRoundTrip(bool, 'shp'), line.replace('"labels": 1', '"labels": false'));
  });

  void test('shp: A/B label and winner flip, case and type kept', () => {
    const base = '{"prompt": "P", "response_a": "ra", "response_b": "rb", ';
    assert.equal(swapped(`${base}"label": 1}`, 'shp'), `${base}"label": 0}`);
    assert.equal(assertSwapRoundTrip(`${base}"label": "A"}`, 'shp'), `${base}"label": "B"}`);
    assert.equal(assertSwapRoundTrip(`${base}"label": "b"}`, 'shp'), `${base}"label": "a"}`);
    assert.equal(assertSwapRoundTrip(`${base}"winner": "model_a"}`, 'shp'), `${base}"winner": "model_b"}`);
    assert.equal(assertSwapRoundTrip(`${base}"label": 1, "winner": "model_b"}`, 'shp'), `${base}"label": 0, "winner": "model_a"}`);
  });

  void test('nemo-rl: two completions of different rank exchange their ranks', () => {
    const line = SAMPLES.find((s) => s.format === 'nemo-rl')!.line;
    assert.equal(swapped(line, 'nemo-rl'), line.replace('"rank": 1', '"rank": @').replace('"rank": 0', '"rank": 1').replace('@', '0'));
  });

  void test('label-studio: the pairwise choice flips (JSON-MIN and a task with one usable annotation)', () => {
    const min = SAMPLES.find((s) => s.name === 'label-studio JSON-MIN')!.line;
    assert.equal(swapped(min, 'label-studio'), min.replace('"selected": "left"', '"selected": "right"'));
    const cancelled = '{"id": 12, "completed_by": 4, "result": [{"type": "pairwise", "value": {"selected": "left"}}], "was_cancelled": true}';
    const task = SAMPLES.find((s) => s.name === 'label-studio task')!.line.replace('"annotations": [', `"annotations": [${cancelled}, `);
    assert.equal(assertSwapRoundTrip(task, 'label-studio'), task.replace('"selected": "right"', '"selected": "left"'));
  });
});

void describe('swapChosenRejected: refusals', () => {
  void test('invalid JSON says where and why', () => {
    assert.match(errorOf(swapChosenRejected('{"chosen": "a", "rejected": "b"', 'trl')), /^the line is not valid JSON \(column 1\): .*not closed/);
    assert.match(errorOf(swapChosenRejected('{"chosen": True, "rejected": "b"}', 'trl')), /column 12.*'True' is not JSON/);
    assert.match(errorOf(swapChosenRejected('', 'trl')), /not valid JSON.*empty/);
  });

  void test('a line that is not an object', () => {
    assert.match(errorOf(swapChosenRejected('["a", "b"]', 'trl')), /holds a list, not a record/);
    assert.match(errorOf(swapChosenRejected('42', 'trl')), /holds a single value/);
  });

  void test('missing fields name what is missing', () => {
    assert.match(errorOf(swapChosenRejected('{"chosen": "a"}', 'trl')), /no `rejected`.*nothing to swap/);
    assert.match(errorOf(swapChosenRejected('{"prompt": "p"}', 'nemo-aligner')), /no `chosen_response` and `rejected_response`/);
    assert.match(errorOf(swapChosenRejected('{"prompt": "p", "chosen_response": "a", "rejected_response": "b"}', 'trl')), /right format/);
    assert.match(errorOf(swapChosenRejected('{"history": "h", "human_ref_A": "a", "human_ref_B": "b"}', 'shp')), /no `labels`/);
    assert.match(errorOf(swapChosenRejected('{"prompt": "p", "response_a": "a", "response_b": "b"}', 'shp')), /no `label` or `winner`/);
    assert.match(errorOf(swapChosenRejected('{"prompt": "p"}', 'shp')), /nothing to swap/);
    assert.match(errorOf(swapChosenRejected('{"context": "c"}', 'nemo-rl')), /no `completions`/);
    assert.match(errorOf(swapChosenRejected('{"prompt": "p", "answer1": "a", "answer2": "b"}', 'label-studio')), /no pairwise choice/);
  });

  void test('duplicate keys are ambiguous', () => {
    assert.match(errorOf(swapChosenRejected('{"chosen": "a", "rejected": "b", "chosen": "c"}', 'trl')), /key "chosen" twice.*readers keep the last one/);
    assert.match(errorOf(swapChosenRejected('{"chosen": "a", "rejected": "b", "x": 1, "x": 2}', 'trl')), /key "x" twice/);
    assert.match(
      errorOf(swapChosenRejected('{"chosen": "a", "rejected": "b", "meta": {"shownOrder": "chosen-left", "shownOrder": "chosen-right"}}', 'trl')),
      /key "shownOrder" twice/,
    );
    // Inside a value that moves whole, a duplicate is carried along unchanged.
    const inside = '{"chosen": [{"role": "assistant", "content": "a", "content": "b"}], "rejected": [{"role": "assistant", "content": "c"}]}';
    assert.equal(swapped(swapped(inside, 'trl'), 'trl'), inside);
  });

  void test('ties and labels that name no winner', () => {
    const ab = '{"prompt": "P", "response_a": "ra", "response_b": "rb", ';
    assert.match(errorOf(swapChosenRejected(`${ab}"label": "tie"}`, 'shp')), /tie: it states no preference/);
    assert.match(errorOf(swapChosenRejected(`${ab}"winner": "tie (bothbad)"}`, 'shp')), /tie/);
    assert.match(errorOf(swapChosenRejected(`${ab}"label": 2}`, 'shp')), /`label` is 2, which names no winner/);
    assert.match(errorOf(swapChosenRejected('{"history": "h", "human_ref_A": "a", "human_ref_B": "b", "labels": "yes"}', 'shp')), /not 1 or 0/);
    assert.match(
      errorOf(swapChosenRejected('{"context": "c", "completions": [{"rank": 0, "completion": "a"}, {"rank": 0, "completion": "b"}]}', 'nemo-rl')),
      /equal ranks state no preference/,
    );
  });

  void test('several preferences in one record cannot be swapped as one', () => {
    const three =
      '{"context": "c", "completions": [{"rank": 0, "completion": "a"}, {"rank": 1, "completion": "b"}, {"rank": 2, "completion": "c"}]}';
    assert.match(errorOf(swapChosenRejected(three, 'nemo-rl')), /ranks 3 completions.*Change the `rank` values by hand/);
    const ann = (id: number, selected: string) =>
      `{"id": ${id}, "result": [{"type": "pairwise", "value": {"selected": "${selected}"}}], "was_cancelled": false}`;
    const task = `{"id": 7, "annotations": [${ann(1, 'left')}, ${ann(2, 'right')}], "data": {"prompt": "P", "answer1": "a", "answer2": "b"}}`;
    assert.match(errorOf(swapChosenRejected(task, 'label-studio')), /2 annotations with a pairwise choice/);
  });

  void test('an unknown format', () => {
    assert.match(errorOf(swapChosenRejected('{"chosen": "a", "rejected": "b"}', 'csv' as FormatId)), /unknown format 'csv'/);
  });
});

void describe('markReviewedInRecord', () => {
  const stamp = { at: '2024-06-01T12:00:00Z', by: 'ana' };

  void test('adds the field after the last one, spaced like the line', () => {
    const line = '{"prompt": "p", "chosen": "a", "rejected": "b"}';
    assert.equal(
      applyLineEdits(line, edits(line, markReviewedInRecord(line, stamp))),
      '{"prompt": "p", "chosen": "a", "rejected": "b", "reviewed": {"at": "2024-06-01T12:00:00Z", "by": "ana"}}',
    );
    const compact = '{"chosen":"a","rejected":"b"}';
    assert.equal(
      applyLineEdits(compact, edits(compact, markReviewedInRecord(compact, stamp))),
      '{"chosen":"a","rejected":"b","reviewed":{"at":"2024-06-01T12:00:00Z","by":"ana"}}',
    );
  });

  void test('space before the closing brace, an empty record, no reviewer, a carriage return', () => {
    const mark = (line: string, s: { at: string; by?: string } = stamp) =>
      applyLineEdits(line, edits(line, markReviewedInRecord(line, s)));
    assert.equal(mark('{ "chosen": "a" }'), '{ "chosen": "a", "reviewed": {"at": "2024-06-01T12:00:00Z", "by": "ana"} }');
    assert.equal(mark('{}'), '{"reviewed": {"at": "2024-06-01T12:00:00Z", "by": "ana"}}');
    assert.equal(mark('{"chosen": "a"}', { at: 'T' }), '{"chosen": "a", "reviewed": {"at": "T"}}');
    assert.equal(mark('{"chosen": "a"}\r'), '{"chosen": "a", "reviewed": {"at": "2024-06-01T12:00:00Z", "by": "ana"}}\r');
  });

  void test('a reviewer name with quotes and unicode is escaped', () => {
    const line = '{"chosen": "a", "rejected": "b"}';
    const after = applyLineEdits(line, edits(line, markReviewedInRecord(line, { at: 'T', by: 'Zoë "Z" \\ 😀' })));
    assert.deepEqual((parseJson(after) as Record<string, unknown>).reviewed, { at: 'T', by: 'Zoë "Z" \\ 😀' });
  });

  void test('marking again replaces the stamp; the same stamp changes nothing', () => {
    const line = '{"chosen": "a", "reviewed" : {"by": "old", "at": "then"}, "rejected": "b", "n": 12345678901234567890}';
    const once = applyLineEdits(line, edits(line, markReviewedInRecord(line, stamp)));
    assert.equal(
      once,
      '{"chosen": "a", "reviewed" : {"at": "2024-06-01T12:00:00Z", "by": "ana"}, "rejected": "b", "n": 12345678901234567890}',
    );
    assert.deepEqual(markReviewedInRecord(once, stamp), []);
    const again = applyLineEdits(once, edits(once, markReviewedInRecord(once, { at: 'later' })));
    assert.equal(again, '{"chosen": "a", "reviewed" : {"at": "later"}, "rejected": "b", "n": 12345678901234567890}');
  });

  for (const { name, format, line } of SAMPLES) {
    void test(`${name}: reads as the same pairs with no new problem; reviewed kept among the extra fields`, () => {
      const after = applyLineEdits(line, edits(line, markReviewedInRecord(line, stamp)));
      const before = read(line, format);
      const now = read(after, format);
      assert.deepEqual(now.problems, before.problems);
      assert.equal(now.pairs.length, before.pairs.length);
      now.pairs.forEach((p, i) => {
        const { extra, ...rest } = p;
        const { extra: oldExtra, ...oldRest } = before.pairs[i];
        assert.deepEqual(rest, oldRest);
        assert.deepEqual(extra, { ...oldExtra, reviewed: stamp });
      });
      // Everything before the insertion point is unchanged; a swap still works on the marked line.
      assert.ok(after.startsWith(line.slice(0, -1)));
      assertSwapRoundTrip(after, format);
    });
  }

  void test('refusals: invalid JSON, not an object, duplicate keys, no time', () => {
    assert.match(errorOf(markReviewedInRecord('{"chosen": ', stamp)), /not valid JSON/);
    assert.match(errorOf(markReviewedInRecord('[1]', stamp)), /not a record/);
    assert.match(errorOf(markReviewedInRecord('{"reviewed": {}, "reviewed": {}}', stamp)), /key "reviewed" twice/);
    assert.match(errorOf(markReviewedInRecord('{"a": 1, "a": 2}', stamp)), /key "a" twice/);
    assert.match(errorOf(markReviewedInRecord('{"a": 1}', { at: '' })), /no time/);
  });
});

void describe('recordSideSpans', () => {
  void test('trl: prompt, chosen and rejected values, exactly', () => {
    const line = '{"rejected" : "R \\"q\\"", "prompt":[{"role":"user","content":"Q"}], "chosen":  "C 😀"}';
    const s = recordSideSpans(line, 'trl');
    assert.deepEqual(
      [slice(line, s.prompt), slice(line, s.chosen), slice(line, s.rejected)],
      ['[{"role":"user","content":"Q"}]', '"C 😀"', '"R \\"q\\""'],
    );
  });

  void test('absent parts are absent keys: implicit prompt, hh-rlhf, a missing side', () => {
    const noPrompt = recordSideSpans('{"chosen": "a", "rejected": "b"}', 'trl');
    assert.deepEqual(Object.keys(noPrompt), ['chosen', 'rejected']);
    const hh = SAMPLES.find((x) => x.format === 'hh-rlhf')!.line;
    assert.deepEqual(Object.keys(recordSideSpans(hh, 'hh-rlhf')), ['chosen', 'rejected']);
    assert.deepEqual(Object.keys(recordSideSpans('{"chosen": "a"}', 'trl')), ['chosen']);
  });

  void test('the spans of every sample hold the values its pair is made of', () => {
    const expected: Record<string, [string | undefined, string, string]> = {
      'trl text': ['"Say \\"hi\\""', '"hi \\\\ there \\u00e9 😀"', '"go away"'],
      'hh-rlhf': [undefined, '"\\n\\nHuman: Hi?\\n\\nAssistant: Hello!"', '"\\n\\nHuman: Hi?\\n\\nAssistant: Go away."'],
      'nemo-aligner': ['"<s>[INST] 2+2 [/INST]"', '"4"', '"5"'],
      ultrafeedback: [
        '"Hi"',
        '[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]',
        '[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Bye"}]',
      ],
      shp: ['"Which?"', '"this"', '"that"'],
      'a/b with label': ['"P"', '"ra"', '"rb"'],
      'nemo-rl': [
        '[{"role": "user", "content": "Q"}]',
        '[{"role": "assistant", "content": "better"}]',
        '[{"role": "assistant", "content": "worse"}]',
      ],
      'label-studio JSON-MIN': ['"Capital?"', '"Paris"', '"Lyon"'],
      'label-studio task': ['"Capital?"', '"Lyon"', '"Paris"'],
    };
    for (const { name, format, line } of SAMPLES) {
      if (!(name in expected)) continue;
      const s = recordSideSpans(line, format);
      assert.deepEqual([slice(line, s.prompt), slice(line, s.chosen), slice(line, s.rejected)], expected[name], name);
      // After a swap the chosen span holds what was rejected.
      const after = swapped(line, format);
      const t = recordSideSpans(after, format);
      assert.deepEqual([slice(after, t.chosen), slice(after, t.rejected)], expected[name].slice(1).reverse(), `${name} swapped`);
    }
  });

  void test('shp and A/B follow the label; a tie or a bad label has no sides', () => {
    const shp = '{"history": "H", "human_ref_A": "A", "human_ref_B": "B", "labels": 0}';
    const s = recordSideSpans(shp, 'shp');
    assert.deepEqual([slice(shp, s.prompt), slice(shp, s.chosen), slice(shp, s.rejected)], ['"H"', '"B"', '"A"']);
    const winner = '{"prompt": "P", "response_a": "ra", "response_b": "rb", "winner": "model_b"}';
    const w = recordSideSpans(winner, 'shp');
    assert.deepEqual([slice(winner, w.chosen), slice(winner, w.rejected)], ['"rb"', '"ra"']);
    assert.deepEqual(recordSideSpans('{"prompt": "P", "response_a": "ra", "response_b": "rb", "label": "tie"}', 'shp'), {
      prompt: { start: 11, end: 14 },
    });
  });

  void test('nemo-rl with more than two completions: only the prompt', () => {
    const line = '{"context": "c", "completions": [{"rank": 0, "completion": "a"}, {"rank": 1, "completion": "b"}, {"rank": 2, "completion": "c"}]}';
    assert.deepEqual(Object.keys(recordSideSpans(line, 'nemo-rl')), ['prompt']);
  });

  void test('invalid JSON or not an object: no spans', () => {
    assert.deepEqual(recordSideSpans('{"chosen": "a", ', 'trl'), {});
    assert.deepEqual(recordSideSpans('["a"]', 'trl'), {});
  });

  void test('duplicate keys: the last one, which readers use', () => {
    const line = '{"chosen": "a", "rejected": "b", "chosen": "c"}';
    assert.equal(slice(line, recordSideSpans(line, 'trl').chosen), '"c"');
  });

  void test('values nested deeper than the scanner builds are still one exact span', () => {
    const deep = `${'['.repeat(50)}"x]}"${']'.repeat(50)}`;
    const line = `{"chosen": [{"role": "assistant", "content": "a", "extra": ${deep}}], "rejected": [{"role": "assistant", "content": "b"}]}`;
    const s = recordSideSpans(line, 'trl');
    assert.equal(slice(line, s.rejected), '[{"role": "assistant", "content": "b"}]');
    assert.equal(swapped(swapped(line, 'trl'), 'trl'), line);
  });
});
