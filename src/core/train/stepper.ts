// Runs a training-step graph step after step, keeping the trainable parameters and AdamW moments
// between calls. Meant to run inside the training process (a child of VS Code or the CLI), where the
// runtime can use isolation 'none': state then never crosses a process boundary between steps.
import type { ModelParams } from '../model/params';
import { STEP_IO, type TrainStepGraph } from '../model/trainStep';
import { IO } from '../model/graphs';
import { adamStateNames } from '../optim';
import { encodeModel } from '../onnx';
import type { Runtime, RuntimeSession, Tensor } from '../runtime';
import type { PairBatch } from './batch';

export interface StepMetrics {
  step: number;
  loss: number;
  accuracy: number;
  rewardMargin: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  rewardsChosen: Float32Array | Float64Array;
  rewardsRejected: Float32Array | Float64Array;
}

interface SlotState {
  dims: number[];
  p: Float32Array | Float64Array;
  m: Float32Array | Float64Array;
  v: Float32Array | Float64Array;
}

/** The metrics a step graph (full or head-only: the same output names) reports. */
export function stepMetrics(out: Record<string, Tensor>, step: number, lr: number, tokens: number): StepMetrics {
  const scalar = (k: string): number => Number((out[k].data as Float32Array)[0]);
  return {
    step,
    loss: scalar(IO.loss),
    accuracy: scalar(IO.accuracy),
    rewardMargin: scalar(IO.rewardMargin),
    gradNorm: scalar(STEP_IO.gradNorm),
    lr,
    tokens,
    rewardsChosen: out[IO.rewardsChosen].data as Float32Array,
    rewardsRejected: out[IO.rewardsRejected].data as Float32Array,
  };
}

export class TrainStepper {
  private readonly state = new Map<string, SlotState>();
  private stepCount = 0;

  private constructor(
    private readonly session: RuntimeSession,
    private readonly graph: TrainStepGraph,
    private readonly frozen: ModelParams,
    private readonly dtype: 'float32' | 'float64',
    private readonly useMargin: boolean,
  ) {}

  /** `params` holds every parameter's starting value (trainable and frozen), in the graph's float type. */
  static async create(
    runtime: Runtime,
    graph: TrainStepGraph,
    params: ModelParams,
    shapes: ReadonlyMap<string, readonly number[]>,
    opts: { useMargin?: boolean; resume?: { step: number; m: ModelParams; v: ModelParams } } = {},
  ): Promise<TrainStepper> {
    const session = await runtime.createSession(encodeModel(graph.model), { label: 'train-step', graphOptimization: 'all' });
    const first = params.values().next().value;
    const dtype = first instanceof Float64Array ? 'float64' : 'float32';
    const stepper = new TrainStepper(session, graph, params, dtype, opts.useMargin ?? false);
    for (const name of graph.trainable) {
      const p = params.get(name);
      const dims = shapes.get(name);
      if (!p || !dims) throw new Error(`TrainStepper: no value or shape for trainable parameter '${name}'`);
      const zeros = (): Float32Array | Float64Array => (dtype === 'float64' ? new Float64Array(p.length) : new Float32Array(p.length));
      stepper.state.set(name, {
        dims: [...dims],
        p: p.slice(),
        m: opts.resume?.m.get(name)?.slice() ?? zeros(),
        v: opts.resume?.v.get(name)?.slice() ?? zeros(),
      });
    }
    stepper.stepCount = opts.resume?.step ?? 0;
    return stepper;
  }

  get steps(): number {
    return this.stepCount;
  }

  async step(batch: PairBatch, lr: number, signal?: AbortSignal): Promise<StepMetrics> {
    const rows = 2 * batch.pairs;
    const feeds: Record<string, Tensor> = {
      [IO.inputIds]: { dtype: 'int64', dims: [rows, batch.seqLen], data: batch.inputIds },
      [IO.attentionMask]: { dtype: 'int64', dims: [rows, batch.seqLen], data: batch.attentionMask },
    };
    if (this.useMargin) feeds[IO.margin] = this.floats([batch.pairs], batch.margin);
    const out = await this.run(feeds, lr, signal);
    return stepMetrics(out, this.stepCount, lr, batch.tokens);
  }

  /**
   * One step of any step graph with this I/O convention (the reward step, the LM step): `feeds` are the
   * data inputs; the parameters, their moments, step and lr are added here and the state advances.
   */
  async run(feeds: Record<string, Tensor>, lr: number, signal?: AbortSignal): Promise<Record<string, Tensor>> {
    const all: Record<string, Tensor> = {
      ...feeds,
      [STEP_IO.step]: { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(this.stepCount)) },
      [STEP_IO.lr]: this.floats([], [lr]),
    };
    for (const [name, s] of this.state) {
      const { m, v } = adamStateNames(name);
      all[name] = this.tensor(s.dims, s.p);
      all[m] = this.tensor(s.dims, s.m);
      all[v] = this.tensor(s.dims, s.v);
    }
    const out = await this.session.run(all, { signal });
    for (const [name, s] of this.state) {
      s.p = out[STEP_IO.newParam(name)].data as Float32Array | Float64Array;
      s.m = out[STEP_IO.newM(name)].data as Float32Array | Float64Array;
      s.v = out[STEP_IO.newV(name)].data as Float32Array | Float64Array;
    }
    this.stepCount++;
    return out;
  }

  /** Every parameter's current value: trained ones updated, frozen ones as given. */
  params(): ModelParams {
    const out: ModelParams = new Map(this.frozen);
    for (const [name, s] of this.state) out.set(name, s.p);
    return out;
  }

  /** The trainable parameters' current values only. */
  trainableParams(): ModelParams {
    const out: ModelParams = new Map();
    for (const [name, s] of this.state) out.set(name, s.p);
    return out;
  }

  /** Shapes of the trainable parameters. */
  shapes(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [name, s] of this.state) out.set(name, [...s.dims]);
    return out;
  }

  /** AdamW moments, for checkpoints. */
  moments(): { m: ModelParams; v: ModelParams } {
    const m: ModelParams = new Map();
    const v: ModelParams = new Map();
    for (const [name, s] of this.state) {
      m.set(name, s.m);
      v.set(name, s.v);
    }
    return { m, v };
  }

  get trainable(): readonly string[] {
    return this.graph.trainable;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private tensor(dims: number[], data: Float32Array | Float64Array): Tensor {
    return data instanceof Float64Array ? { dtype: 'float64', dims, data } : { dtype: 'float32', dims, data };
  }

  private floats(dims: number[], values: ArrayLike<number>): Tensor {
    return this.dtype === 'float64' ? { dtype: 'float64', dims, data: Float64Array.from(values) } : { dtype: 'float32', dims, data: Float32Array.from(values) };
  }
}
