// What the trainer drives: one object per way of training, the same surface for both.
// - FullEngine: the whole training step graph (backbone + head + loss + gradients + AdamW) per step.
// - HeadEngine: head only. The frozen backbone's last-token features are computed once (and cached on
//   disk, keyed by model, tokenizer, template and tokens), then each step is the tiny head-step graph.
import type { ModelParams, TrainStepGraph } from '../model';
import { IO } from '../model/graphs';
import type { OnnxModel } from '../onnx';
import { encodeModel } from '../onnx';
import type { Runtime, RuntimeSession, Tensor } from '../runtime';
import type { RewardTokenizedPair } from '../tokenize';
import { collatePairs } from './batch';
import { collateFeatures, computeFeatures, HeadStepper, type FeatureCache, type FeaturePair, type FeatureProgress, type HeadStepGraph } from './features';
import { TrainStepper, type StepMetrics } from './stepper';

export interface RunEngine {
  readonly steps: number;
  readonly trainable: readonly string[];
  step(pairs: readonly RewardTokenizedPair[], lr: number): Promise<StepMetrics>;
  /** Rewards of each pair's two sides with the current parameters. */
  score(pairs: readonly RewardTokenizedPair[]): Promise<{ chosen: Float32Array; rejected: Float32Array; margin: Float64Array }>;
  trainableParams(): ModelParams;
  shapes(): Map<string, number[]>;
  moments(): { m: ModelParams; v: ModelParams };
  release(): Promise<void>;
}

type Resume = { step: number; m: ModelParams; v: ModelParams } | undefined;

export class FullEngine implements RunEngine {
  private constructor(
    private readonly stepper: TrainStepper,
    private readonly evalSession: RuntimeSession,
    private readonly padId: number,
  ) {}

  static async create(
    rt: Runtime,
    o: { graph: TrainStepGraph; params: ModelParams; shapes: Map<string, number[]>; evalGraph: OnnxModel; useMargin: boolean; padId: number; resume: Resume },
  ): Promise<FullEngine> {
    const stepper = await TrainStepper.create(rt, o.graph, o.params, o.shapes, { useMargin: o.useMargin, resume: o.resume });
    const evalSession = await rt.createSession(encodeModel(o.evalGraph), { label: 'eval' });
    return new FullEngine(stepper, evalSession, o.padId);
  }

  get steps(): number {
    return this.stepper.steps;
  }
  get trainable(): readonly string[] {
    return this.stepper.trainable;
  }
  step(pairs: readonly RewardTokenizedPair[], lr: number): Promise<StepMetrics> {
    return this.stepper.step(collatePairs(pairs, this.padId), lr);
  }
  async score(pairs: readonly RewardTokenizedPair[]): Promise<{ chosen: Float32Array; rejected: Float32Array; margin: Float64Array }> {
    const params = this.stepper.trainableParams();
    const shapes = this.stepper.shapes();
    const feeds: Record<string, Tensor> = {};
    for (const name of this.stepper.trainable) feeds[name] = { dtype: 'float32', dims: shapes.get(name)!, data: params.get(name) as Float32Array };
    const batch = collatePairs(pairs, this.padId);
    const rows = 2 * batch.pairs;
    feeds[IO.inputIds] = { dtype: 'int64', dims: [rows, batch.seqLen], data: batch.inputIds };
    feeds[IO.attentionMask] = { dtype: 'int64', dims: [rows, batch.seqLen], data: batch.attentionMask };
    const r = (await this.evalSession.run(feeds))[IO.rewards].data as Float32Array;
    return { chosen: r.slice(0, batch.pairs), rejected: r.slice(batch.pairs), margin: batch.margin };
  }
  trainableParams(): ModelParams {
    return this.stepper.trainableParams();
  }
  shapes(): Map<string, number[]> {
    return this.stepper.shapes();
  }
  moments(): { m: ModelParams; v: ModelParams } {
    return this.stepper.moments();
  }
  async release(): Promise<void> {
    await this.stepper.release().catch(() => undefined);
    await this.evalSession.release().catch(() => undefined);
  }
}

export class HeadEngine implements RunEngine {
  private constructor(
    private readonly stepper: HeadStepper,
    private readonly features: Map<RewardTokenizedPair, FeaturePair>,
    private readonly dModel: number,
  ) {}

  /** Computes (or reads from `cache`) the features of every pair in `pairs` — training and eval. */
  static async create(
    rt: Runtime,
    o: {
      graph: HeadStepGraph;
      featureGraph: OnnxModel;
      cache: FeatureCache | null;
      pairs: readonly RewardTokenizedPair[];
      head: ModelParams;
      padId: number;
      resume: Resume;
      signal?: AbortSignal;
      onProgress?: (p: FeatureProgress) => void;
    },
  ): Promise<HeadEngine> {
    const session = await rt.createSession(encodeModel(o.featureGraph), { label: 'features' });
    let rows: Float32Array[];
    try {
      const seqs: ArrayLike<number>[] = [];
      for (const p of o.pairs) seqs.push(p.chosen, p.rejected);
      rows = await computeFeatures(session, seqs, o.cache, { padId: o.padId, signal: o.signal, onProgress: o.onProgress });
    } finally {
      await session.release().catch(() => undefined);
    }
    const features = new Map<RewardTokenizedPair, FeaturePair>();
    o.pairs.forEach((p, i) => features.set(p, { chosen: rows[2 * i], rejected: rows[2 * i + 1], margin: p.margin ?? 0 }));
    const stepper = await HeadStepper.create(rt, o.graph, o.head, { resume: o.resume });
    return new HeadEngine(stepper, features, o.graph.dModel);
  }

  get steps(): number {
    return this.stepper.steps;
  }
  get trainable(): readonly string[] {
    return this.stepper.trainable;
  }
  step(pairs: readonly RewardTokenizedPair[], lr: number): Promise<StepMetrics> {
    const tokens = pairs.reduce((s, p) => s + p.chosen.length + p.rejected.length, 0);
    return this.stepper.step(collateFeatures(pairs.map((p) => this.feature(p)), tokens), lr);
  }
  /** r = features · head.w, in float64 (the head is linear: no graph needed). */
  score(pairs: readonly RewardTokenizedPair[]): Promise<{ chosen: Float32Array; rejected: Float32Array; margin: Float64Array }> {
    const w = this.stepper.params().get('head.w')!;
    const dot = (f: Float32Array): number => {
      let s = 0;
      for (let i = 0; i < this.dModel; i++) s += f[i] * w[i];
      return s;
    };
    const chosen = new Float32Array(pairs.length);
    const rejected = new Float32Array(pairs.length);
    const margin = new Float64Array(pairs.length);
    pairs.forEach((p, i) => {
      const f = this.feature(p);
      chosen[i] = dot(f.chosen);
      rejected[i] = dot(f.rejected);
      margin[i] = f.margin ?? 0;
    });
    return Promise.resolve({ chosen, rejected, margin });
  }
  trainableParams(): ModelParams {
    return new Map([['head.w', this.stepper.params().get('head.w')!]]);
  }
  shapes(): Map<string, number[]> {
    return new Map([['head.w', [this.dModel]]]);
  }
  moments(): { m: ModelParams; v: ModelParams } {
    return this.stepper.moments();
  }
  async release(): Promise<void> {
    await this.stepper.release().catch(() => undefined);
  }
  private feature(p: RewardTokenizedPair): FeaturePair {
    const f = this.features.get(p);
    if (!f) throw new Error('HeadEngine: a pair without computed features');
    return f;
  }
}
