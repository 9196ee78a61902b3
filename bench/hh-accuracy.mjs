#!/usr/bin/env node
// HH-RLHF held-out accuracy of the built-in backbone trained from scratch, beside the length-only and
// bag-of-words baselines computed on exactly the same eval pairs.
//
//   node bench/hh-accuracy.mjs [--d 64] [--heads 4] [--layers 2] [--vocab 4000] [--max-length 256]
//                              [--lr 1e-3] [--epochs 2] [--batch 16] [--schedule cosine] [--warmup 0.05]
//                              [--weight-decay 0.01] [--seed 1] [--split-seed 0] [--eval-fraction 0.15]
//                              [--on-long truncate|drop] [--min-prompt 16] [--template '{prompt}\n\n{response}']
//                              [--decay-embeddings] [--pretrain-epochs 0] [--threads 2] [--bow-only] [--label text]
//                              [--log .bench/hh-experiments.md]
//
// Data: ../shared/data/hh-rlhf/{helpful,harmless}-base-test.clean.pcr.jsonl (the only HH files there),
// split by prompt with splitSideOf(evalFraction, split seed). Pipeline: trainTokenizer on the train
// texts → tokenizePairs (keep-end-of-prompt) → bucketBatches per epoch → buildTrainStep(trainable 'all')
// → TrainStepper (after --pretrain-epochs of causal-LM pretraining, as the trainer's pretrainEpochs);
// held-out rewards through buildScoringGraph. Eval pairs are those that survive
// tokenization (with --on-long truncate, all of them); both baselines are computed on that same list.
// Prints a summary and appends one row to the --log table. The engine is bundled from src/ with esbuild
// into .bench/hh-accuracy/ on every run, so it is never stale.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleSources, root } from './lib.mjs';
const { values: args } = parseArgs({
  options: {
    d: { type: 'string', default: '64' },
    heads: { type: 'string', default: '4' },
    layers: { type: 'string', default: '2' },
    vocab: { type: 'string', default: '4000' },
    'max-length': { type: 'string', default: '256' },
    lr: { type: 'string', default: '1e-3' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '16' },
    schedule: { type: 'string', default: 'cosine' },
    warmup: { type: 'string', default: '0.05' },
    'weight-decay': { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '1' },
    'split-seed': { type: 'string', default: '0' },
    'eval-fraction': { type: 'string', default: '0.15' },
    'on-long': { type: 'string', default: 'truncate' },
    'min-prompt': { type: 'string', default: '16' },
    template: { type: 'string', default: '{prompt}\n\n{response}' },
    threads: { type: 'string', default: '2' },
    'bow-only': { type: 'boolean', default: false },
    'decay-embeddings': { type: 'boolean', default: false },
    'pretrain-epochs': { type: 'string', default: '0' },
    label: { type: 'string', default: '' },
    log: { type: 'string', default: '.bench/hh-experiments.md' },
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'hh-rlhf') },
  },
});
const num = (k) => Number(args[k]);

// ---- bundle the engine
const E = await bundleSources(
  'hh-accuracy',
  `export * from '../../src/core/model';
export * from '../../src/core/optim';
export { encodeModel } from '../../src/core/onnx';
export { Runtime } from '../../src/core/runtime';
export { readAllPairs } from '../../src/core/data/pipeline';
export { splitSideOf, promptGroupKey } from '../../src/core/data/split';
export { charLength, textOf } from '../../src/core/data/record';
export { trainTokenizer, tokenizePairs, bucketBatches } from '../../src/core/tokenize';
export { collatePairs } from '../../src/core/train/batch';
export { TrainStepper } from '../../src/core/train/stepper';
export { pretrainBackbone } from '../../src/core/train/pretrain';
export { lengthBaseline, trainBagOfWords, accuracy } from '../../src/core/eval/baselines';
`,
);

const t0 = performance.now();
const secs = (from) => (performance.now() - from) / 1000;
const pct = (x) => `${(100 * x).toFixed(1)}%`;

// ---- data and split
const files = ['helpful-base-test.clean.pcr.jsonl', 'harmless-base-test.clean.pcr.jsonl'].map((f) => join(args.data, f));
const located = [];
for (const file of files) {
  const { pairs } = await E.readAllPairs(file);
  for (const it of pairs) located.push({ pair: it.pair, source: { file, line: it.line } });
}
const spec = { evalFraction: num('eval-fraction'), seed: args['split-seed'] };
const train = located.filter((it) => E.splitSideOf(it.pair, spec) === 'train');
const evalAll = located.filter((it) => E.splitSideOf(it.pair, spec) === 'eval');
const text = (it) => ({ chosen: E.textOf(it.pair.chosen), rejected: E.textOf(it.pair.rejected) });

// ---- bag of words (train split only; λ tuned on a prompt-grouped slice of it)
let tb = performance.now();
const bow = E.trainBagOfWords(
  train.map((it) => ({ ...text(it), group: E.promptGroupKey(it.pair) })),
  {},
);
const bowSeconds = secs(tb);
const bowAll = E.accuracy(bow, evalAll.map(text));
const lenAll = E.lengthBaseline(evalAll.map(text), E.charLength).accuracy;
console.log(`data: ${located.length} pairs; train ${train.length}, eval ${evalAll.length} (evalFraction ${spec.evalFraction}, split seed ${spec.seed})`);
console.log(`bag of words: λ ${bow.l2} (tuned on ${bow.tunePairs} train pairs: ${bow.tuning.map((c) => `${c.l2}→${c.validationLoss.toFixed(4)}/${pct(c.validationAccuracy)}`).join(', ')}), ${bow.vocabulary.length} words, length weight ${bow.lengthWeight.toFixed(3)}, ${bow.iterations} iterations, ${bowSeconds.toFixed(1)} s`);
const top = bow.topWords(12);
console.log(`  + ${top.positive.map(([w, x]) => `${w} ${x.toFixed(2)}`).join(', ')}`);
console.log(`  − ${top.negative.map(([w, x]) => `${w} ${x.toFixed(2)}`).join(', ')}`);
console.log(`all eval pairs: length-only ${pct(lenAll)}, bag of words ${pct(bowAll)}`);

const logRow = (row) => {
  const file = resolve(root, args.log);
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) {
    appendFileSync(
      file,
      '# HH-RLHF: built-in backbone vs baselines (bench/hh-accuracy.mjs)\n\n' +
        '| when | label | config | seed | split seed / eval frac | train / eval pairs | held-out acc (per epoch) | length-only (chars / tokens) | BoW | wall: train s (total s) | load |\n' +
        '|---|---|---|---|---|---|---|---|---|---|---|\n',
    );
  }
  appendFileSync(file, `| ${row.join(' | ')} |\n`);
};

if (args['bow-only']) {
  logRow([new Date().toISOString().slice(0, 16), args.label || 'bow-only', '—', '—', `${spec.seed} / ${spec.evalFraction}`, `${train.length} / ${evalAll.length}`, '—', `${pct(lenAll)} / —`, pct(bowAll), `— (${secs(t0).toFixed(0)})`, loadavg()[0].toFixed(1)]);
  process.exit(0);
}

// ---- tokenizer and tokenization
tb = performance.now();
const texts = [];
for (const it of train) texts.push(E.textOf(it.pair.prompt), E.textOf(it.pair.chosen), E.textOf(it.pair.rejected));
const tokenizer = await E.trainTokenizer(texts, { vocabSize: num('vocab') });
const tokOpts = {
  maxLength: num('max-length'),
  truncation: 'keep-end-of-prompt',
  onLongResponse: args['on-long'],
  minPromptTokens: num('min-prompt'),
  textTemplate: args.template,
};
const trainTok = await E.tokenizePairs(train, tokenizer, tokOpts);
const evalTok = await E.tokenizePairs(evalAll, tokenizer, tokOpts);
const tokSeconds = secs(tb);
const bySource = new Map(evalAll.map((it) => [`${it.source.file}:${it.source.line}`, it]));
const evalKept = evalTok.pairs.map((p) => bySource.get(`${p.source.file}:${p.source.line}`));
const lenChars = E.lengthBaseline(evalKept.map(text), E.charLength).accuracy;
const lenTokens = E.lengthBaseline(evalTok.pairs, (ids) => ids.length).accuracy;
const bowKept = E.accuracy(bow, evalKept.map(text));
const r = (rep) => `${rep.kept}/${rep.total} kept, ${rep.cut.length} cut, ${rep.dropped.length} dropped, longest ${rep.longest}`;
console.log(`tokenizer: vocab ${tokenizer.vocabSize}, ${tokSeconds.toFixed(1)} s with tokenization; train ${r(trainTok.report)}; eval ${r(evalTok.report)}`);
console.log(`kept eval pairs (${evalKept.length}): length-only ${pct(lenChars)} chars / ${pct(lenTokens)} tokens, bag of words ${pct(bowKept)}`);

// ---- model
const config = { vocab: tokenizer.vocabSize, dModel: num('d'), nHeads: num('heads'), nLayers: num('layers'), maxLen: num('max-length'), eps: 1e-5 };
const seed = num('seed');
const params = E.initBuiltinParams(config, seed, 'float32');
const epochs = num('epochs');
const batchSize = num('batch');
const stepsPerEpoch = Math.ceil(trainTok.pairs.length / batchSize);
const totalSteps = Math.ceil(stepsPerEpoch * epochs);
const optimizer = E.optimizerConfig({
  lr: num('lr'),
  weightDecay: num('weight-decay'),
  schedule: args.schedule,
  warmupRatio: num('warmup'),
  // The default exempts embeddings from weight decay; --decay-embeddings decays them like any matrix.
  ...(args['decay-embeddings'] ? { noDecay: [] } : {}),
});
const schedule = E.scheduleFor(optimizer, totalSteps);
const rt = await E.Runtime.start({ provider: 'cpu', isolation: 'none', threads: num('threads') });
const padId = tokenizer.pad.id;

async function evaluate(p) {
  const scoring = await rt.createSession(E.encodeModel(E.buildScoringGraph({ config, params: p })), { graphOptimization: 'all' });
  let right = 0;
  let loss = 0;
  try {
    const { batches } = E.bucketBatches(evalTok.pairs, { batchSize: 32, seed: 0 });
    for (const b of batches) {
      const c = E.collatePairs(b, padId);
      const out = await scoring.run({
        input_ids: { dtype: 'int64', dims: [2 * c.pairs, c.seqLen], data: c.inputIds },
        attention_mask: { dtype: 'int64', dims: [2 * c.pairs, c.seqLen], data: c.attentionMask },
      });
      const rw = out.rewards.data;
      for (let i = 0; i < c.pairs; i++) {
        const m = rw[i] - rw[c.pairs + i];
        right += m > 0 ? 1 : m === 0 ? 0.5 : 0;
        loss += m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
      }
    }
  } finally {
    await scoring.release();
  }
  return { accuracy: right / evalTok.pairs.length, loss: loss / evalTok.pairs.length };
}

// Causal-LM pretraining on the training sequences first (as the trainer's pretrainEpochs does: the same
// optimizer settings, rows = 2 × batch); it updates `params` in place, so the reward step starts from it.
let trainSeconds = 0;
const pretrainEpochs = num('pretrain-epochs');
if (pretrainEpochs > 0) {
  const tp = performance.now();
  const sequences = trainTok.pairs.flatMap((p) => [p.chosen, p.rejected]);
  const pr = await E.pretrainBackbone(rt, { config, params, sequences, epochs: pretrainEpochs, batchRows: 2 * batchSize, optimizer, seed, padId, reportEvery: 50 });
  trainSeconds += secs(tp);
  console.log(`pretrained ${pretrainEpochs} epoch(s): next-token loss ${pr.firstLoss.toFixed(3)} → ${pr.lastLoss.toFixed(3)} over ${pr.steps} steps, ${secs(tp).toFixed(0)} s`);
}
const graph = E.buildTrainStep({ config, params, trainable: 'all', optimizer });
const stepper = await E.TrainStepper.create(rt, graph, params, E.builtinParamShapes(config));
const perEpoch = [];
let step = 0;
for (let e = 0; e < Math.ceil(epochs) && step < totalSteps; e++) {
  const { batches } = E.bucketBatches(trainTok.pairs, { batchSize, seed: seed * 1000 + e });
  const te = performance.now();
  let lossSum = 0;
  let accSum = 0;
  let n = 0;
  for (const b of batches) {
    if (step >= totalSteps) break;
    const m = await stepper.step(E.collatePairs(b, padId), E.scheduledLr(schedule, step));
    if (!Number.isFinite(m.loss)) throw new Error(`step ${step}: loss ${m.loss}`);
    lossSum += m.loss;
    accSum += m.accuracy;
    n++;
    step++;
  }
  trainSeconds += secs(te);
  const ev = await evaluate(stepper.params());
  perEpoch.push(ev.accuracy);
  console.log(`epoch ${e + 1}: train loss ${(lossSum / n).toFixed(4)} acc ${pct(accSum / n)}; eval loss ${ev.loss.toFixed(4)} acc ${pct(ev.accuracy)}; train ${trainSeconds.toFixed(0)} s (${step} steps)`);
}
await stepper.release();
await rt.dispose();

const final = perEpoch[perEpoch.length - 1];
const verdict = final > bowKept && final > lenChars ? 'beats both' : final > lenChars ? 'beats length only' : 'beats neither';
console.log(`held-out ${pct(final)} vs length-only ${pct(lenChars)} and bag of words ${pct(bowKept)}: ${verdict}; training ${trainSeconds.toFixed(0)} s, total ${secs(t0).toFixed(0)} s`);
const cfg = `d${config.dModel} h${config.nHeads} L${config.nLayers} V${num('vocab')} T${config.maxLen} lr${args.lr} ${args.schedule} wu${args.warmup} wd${args['weight-decay']} ep${epochs} B${batchSize} ${args['on-long']}${args.template === '{prompt}\n\n{response}' ? '' : ` template ${JSON.stringify(args.template)}`}${args['min-prompt'] === '16' ? '' : ` minPrompt ${args['min-prompt']}`}${args['decay-embeddings'] ? ' decay-embeddings' : ''}${pretrainEpochs > 0 ? ` pretrain${pretrainEpochs}` : ''}`;
logRow([
  new Date().toISOString().slice(0, 16),
  args.label,
  cfg,
  String(seed),
  `${spec.seed} / ${spec.evalFraction}`,
  `${trainTok.pairs.length} / ${evalTok.pairs.length}`,
  perEpoch.map(pct).join(' → '),
  `${pct(lenChars)} / ${pct(lenTokens)}`,
  pct(bowKept),
  `${trainSeconds.toFixed(0)} (${secs(t0).toFixed(0)})`,
  loadavg()[0].toFixed(1),
]);
