import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORMAT_READERS } from '../../../../../src/core/data/formats';
import { serializeTrlLine, toTrlObject } from '../../../../../src/core/data/formats/trlWriter';
import { LosslessNumber, parseJson } from '../../../../../src/core/data/json';
import type { PreferencePair } from '../../../../../src/core/data/record';

void test('toTrlObject: canonical fields first, extra after in original order, undefined left out', () => {
  const pair: PreferencePair = {
    extra: { z: 1, a: 2 },
    meta: { annotator: 'ann' },
    id: 'x',
    rejected: 'b',
    margin: undefined,
    chosen: 'a',
    prompt: 'p',
  };
  const o = toTrlObject(pair);
  assert.deepEqual(Object.keys(o), ['prompt', 'chosen', 'rejected', 'id', 'meta', 'z', 'a']);
  assert.equal(
    serializeTrlLine(pair),
    '{"prompt":"p","chosen":"a","rejected":"b","id":"x","meta":{"annotator":"ann"},"z":1,"a":2}',
  );
});

void test('toTrlObject: a canonical key in extra never overrides or duplicates the canonical value', () => {
  const o = toTrlObject({
    prompt: 'p',
    chosen: 'a',
    rejected: 'b',
    id: 'real',
    extra: { id: 'stale', chosen: 'x', q: 1 },
  });
  assert.deepEqual(o, { prompt: 'p', chosen: 'a', rejected: 'b', id: 'real', q: 1 });
  // …but an extra id fills an absent canonical id rather than being lost.
  assert.equal(toTrlObject({ prompt: 'p', chosen: 'a', rejected: 'b', extra: { id: 'kept' } }).id, 'kept');
});

void test('serializeTrlLine is one line with no trailing newline, whatever the text holds', () => {
  const line = serializeTrlLine({ prompt: 'line 1\nline 2\u2028', chosen: 'a\r\n', rejected: 'b' });
  assert.ok(!line.includes('\n') && !line.includes('\r'));
  assert.deepEqual(JSON.parse(line), { prompt: 'line 1\nline 2\u2028', chosen: 'a\r\n', rejected: 'b' });
});

void test('a TRL line with unknown fields and integers beyond 2^53 round-trips byte for byte', () => {
  const line =
    '{"prompt":"p","chosen":"a","rejected":"b","margin":0.25,"id":"x1","meta":{"annotator":"ann"},' +
    '"big":12345678901234567890,"nested":{"n":[98765432109876543210,-1.5e-7]},"flag":null,"__proto__":{"k":"v"}}';
  const record = parseJson(line) as Record<string, unknown>;
  const r = FORMAT_READERS.trl.read(record);
  assert.deepEqual(r.problems, []);
  assert.ok(r.pairs[0].extra!.big instanceof LosslessNumber);
  assert.equal(serializeTrlLine(r.pairs[0]), line);
});

void test('unknown fields of other formats survive conversion to TRL, LosslessNumbers included', () => {
  const shpLine =
    '{"post_id":"p1","history":"Why?","c_root_id_A":12345678901234567890,"human_ref_A":"A.","human_ref_B":"B.","labels":0,"score_B":7}';
  const pair = FORMAT_READERS.shp.read(parseJson(shpLine) as Record<string, unknown>).pairs[0];
  assert.equal(
    serializeTrlLine(pair),
    '{"prompt":"Why?","chosen":"B.","rejected":"A.","post_id":"p1","c_root_id_A":12345678901234567890,"score_B":7}',
  );
});

void test("writing and reading back as TRL gives the same pair (every reader's output is valid TRL)", () => {
  const user = (content: string) => ({ role: 'user', content });
  const bot = (content: string) => ({ role: 'assistant', content });
  const samples: Array<[keyof typeof FORMAT_READERS, Record<string, unknown>]> = [
    ['trl', { prompt: [user('q')], chosen: [bot('a')], rejected: [bot('b')], margin: 1, x: 'y' }],
    ['hh-rlhf', { chosen: '\n\nHuman: q\n\nAssistant: a', rejected: '\n\nHuman: q\n\nAssistant: b', n: 1 }],
    ['nemo-aligner', { prompt: 'q', chosen_response: 'a', rejected_response: 'b', k: [1] }],
    [
      'nemo-rl',
      {
        context: [user('q')],
        completions: [
          { rank: 0, completion: [bot('a')] },
          { rank: 1, completion: [bot('b')] },
        ],
      },
    ],
    [
      'ultrafeedback',
      {
        prompt_id: 'i',
        chosen: [user('q'), bot('a')],
        rejected: [user('q'), bot('b')],
        score_chosen: 2,
        score_rejected: 1,
      },
    ],
    ['shp', { prompt: 'q', response_a: 'a', response_b: 'b', winner: 'model_a', model_a: 'm' }],
    [
      'label-studio',
      {
        id: 1,
        data: { prompt: 'q', answer1: 'a', answer2: 'b' },
        annotations: [{ completed_by: 2, result: [{ type: 'pairwise', value: { selected: 'left' } }] }],
      },
    ],
  ];
  for (const [format, record] of samples) {
    const [pair] = FORMAT_READERS[format].read(record).pairs;
    assert.ok(pair, `${format} gave a pair`);
    const back = FORMAT_READERS.trl.read(parseJson(serializeTrlLine(pair)) as Record<string, unknown>);
    assert.deepEqual(back.problems, [], format);
    assert.deepEqual(back.pairs, [pair], format);
  }
});
