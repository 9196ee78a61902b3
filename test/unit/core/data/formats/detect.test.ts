import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FORMAT_READERS, detectFormat, getReader } from '../../../../../src/core/data/formats';
import { FORMAT_IDS, type FormatId } from '../../../../../src/core/data/formats/types';
import { parseJson } from '../../../../../src/core/data/json';
import { DataError } from '../../../../../src/core/data/problems';
import { sharedData } from '../../../../helpers/paths';

const user = (content: string) => ({ role: 'user', content });
const bot = (content: string) => ({ role: 'assistant', content });

const SAMPLES: Record<FormatId, Record<string, unknown>[]> = {
  trl: [
    { prompt: 'What is 2+2?', chosen: '4', rejected: '5' },
    { prompt: [user('Hi')], chosen: [bot('Hello')], rejected: [bot('Go away')] },
    { chosen: 'The cat sat.', rejected: 'The car sat.' },
  ],
  'hh-rlhf': [
    { chosen: '\n\nHuman: q\n\nAssistant: a', rejected: '\n\nHuman: q\n\nAssistant: b' },
    {
      chosen: '\n\nHuman: x\n\nAssistant: y\n\nHuman: z\n\nAssistant: 1',
      rejected: '\n\nHuman: x\n\nAssistant: y\n\nHuman: z\n\nAssistant: 2',
    },
  ],
  'nemo-aligner': [
    { prompt: 'q', chosen_response: 'a', rejected_response: 'b' },
    { prompt: 'r', chosen_response: 'c', rejected_response: 'd' },
  ],
  'nemo-rl': [
    {
      context: [user('q')],
      completions: [
        { rank: 0, completion: [bot('a')] },
        { rank: 1, completion: [bot('b')] },
      ],
    },
    {
      context: 'q',
      completions: [
        { rank: 0, completion: 'a' },
        { rank: 1, completion: 'b' },
        { rank: 2, completion: 'c' },
      ],
    },
  ],
  ultrafeedback: [
    {
      prompt: 'q',
      prompt_id: 'x',
      chosen: [user('q'), bot('a')],
      rejected: [user('q'), bot('b')],
      messages: [user('q'), bot('a')],
      score_chosen: 8,
      score_rejected: 4,
    },
    { chosen: [user('q'), bot('a')], rejected: [user('q'), bot('b')], score_chosen: 3, score_rejected: 1 },
  ],
  shp: [
    {
      post_id: 'p',
      domain: 'd',
      history: 'h',
      human_ref_A: 'a',
      human_ref_B: 'b',
      labels: 1,
      score_A: 3,
      score_B: 1,
    },
    { prompt: 'q', response_a: 'a', response_b: 'b', winner: 'model_a' },
  ],
  'label-studio': [
    {
      id: 1,
      data: { prompt: 'q', answer1: 'a', answer2: 'b' },
      annotations: [{ completed_by: 1, result: [{ type: 'pairwise', value: { selected: 'left' } }] }],
    },
    {
      prompt: 'q',
      answer1: 'a',
      answer2: 'b',
      id: 2,
      pw: [{ selected: 'right' }],
      annotator: 1,
      annotation_id: 3,
    },
  ],
};

void test('the registry has one reader per format id, under its own id', () => {
  assert.deepEqual(Object.keys(FORMAT_READERS).sort(), [...FORMAT_IDS].sort());
  for (const id of FORMAT_IDS) {
    assert.equal(FORMAT_READERS[id].id, id);
    assert.equal(getReader(id), FORMAT_READERS[id]);
  }
});

void test('getReader rejects an unknown id with the list of known ones', () => {
  assert.throws(
    () => getReader('jsonl'),
    (e: unknown) =>
      e instanceof DataError && /unknown format 'jsonl'/.test(e.message) && e.message.includes('nemo-rl'),
  );
});

for (const id of FORMAT_IDS) {
  void test(`detectFormat picks ${id} from its samples, and each sample reads without errors`, () => {
    const d = detectFormat(SAMPLES[id]);
    assert.equal(d.format, id);
    assert.match(d.reason, new RegExp(`${SAMPLES[id].length} of ${SAMPLES[id].length} sampled records`));
    for (const record of SAMPLES[id]) {
      const r = FORMAT_READERS[id].read(record);
      assert.deepEqual(
        r.problems.filter((p) => p.severity === 'error'),
        [],
      );
      assert.ok(r.pairs.length > 0);
    }
  });
}

void test('a sample that fits two formats equally well is ambiguous and says --from', () => {
  const sample = [SAMPLES['nemo-aligner'][0], SAMPLES['nemo-rl'][0]];
  assert.throws(
    () => detectFormat(sample),
    (e: unknown) =>
      e instanceof DataError &&
      /ambiguous/.test(e.message) &&
      e.message.includes('--from nemo-aligner') &&
      e.message.includes('--from nemo-rl'),
  );
});

void test('a sample nothing recognises is an error that names its fields and --from', () => {
  assert.throws(
    () => detectFormat([{ question: 'q', good: 'a', bad: 'b' }]),
    (e: unknown) =>
      e instanceof DataError &&
      e.message.includes('"question", "good", "bad"') &&
      e.message.includes('--from <id>'),
  );
  assert.throws(
    () => detectFormat([]),
    (e: unknown) => e instanceof DataError && e.message.includes('--from'),
  );
});

void test('mostly-HH data with a stray plain record is still HH', () => {
  const sample = [...SAMPLES['hh-rlhf'], ...SAMPLES['hh-rlhf'], { chosen: 'x', rejected: 'y' }];
  assert.equal(detectFormat(sample).format, 'hh-rlhf');
});

// ---- Real files (../shared/data)

function firstRecords(text: string, n = 64): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .slice(0, n)
    .map((l) => parseJson(l) as Record<string, unknown>);
}

const files = {
  hhRaw: sharedData('hh-rlhf', 'helpful-base-test.jsonl.gz'),
  hhClean: sharedData('hh-rlhf', 'helpful-base-test.clean.pcr.jsonl'),
  harmlessClean: sharedData('hh-rlhf', 'harmless-base-test.clean.pcr.jsonl'),
  llmbar: sharedData('probes', 'llmbar_pairs.jsonl'),
};
// Real data from ../shared/data: CI has it beside the checkout, so these tests fail (not skip) without it.

void test(
  'real files: raw HH is hh-rlhf; its clean conversions and LLMBar are trl',
  () => {
    assert.equal(
      detectFormat(firstRecords(gunzipSync(readFileSync(files.hhRaw)).toString('utf8'))).format,
      'hh-rlhf',
    );
    assert.equal(detectFormat(firstRecords(readFileSync(files.hhClean, 'utf8'))).format, 'trl');
    assert.equal(detectFormat(firstRecords(readFileSync(files.harmlessClean, 'utf8'))).format, 'trl');
    assert.equal(detectFormat(firstRecords(readFileSync(files.llmbar, 'utf8'))).format, 'trl');
  },
);

void test(
  'real files: every LLMBar record reads as a TRL pair with its id and subset kept',
  () => {
    const records = firstRecords(readFileSync(files.llmbar, 'utf8'), Infinity);
    assert.equal(records.length, 419);
    for (const record of records) {
      const r = FORMAT_READERS.trl.read(record);
      assert.deepEqual(r.problems, []);
      assert.equal(r.pairs[0].id, record.id);
      assert.deepEqual(r.pairs[0].extra, { subset: record.subset });
    }
  },
);
