// Learning-rate schedules as plain functions: the training loop evaluates one per step and feeds the
// result to the step graph's `lr` input, so a schedule never needs a rebuilt graph. Same numbers as
// Hugging Face's get_constant/linear/cosine_schedule_with_warmup (cosine with num_cycles 0.5).
import type { OptimizerConfig } from './config';

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface LrSchedule {
  kind: ScheduleKind;
  /** Peak learning rate. */
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * The learning rate of the update with 0-based index `step` (the number of updates already
 * applied, as HF's scheduler counts: with warmup the very first update uses lr 0). Linear warmup from
 * 0, then constant, linear decay to 0 at `totalSteps`, or half a cosine.
 */
export function scheduledLr(s: LrSchedule, step: number): number {
  if (step < s.warmupSteps) return (s.baseLr * step) / Math.max(1, s.warmupSteps);
  if (s.kind === 'constant') return s.baseLr;
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  if (s.kind === 'linear') return s.baseLr * Math.max(0, 1 - progress);
  return s.baseLr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** Warmup steps as HF resolves them: warmupSteps when > 0, else ceil(totalSteps · warmupRatio). */
export function warmupStepsFor(c: Pick<OptimizerConfig, 'warmupSteps' | 'warmupRatio'>, totalSteps: number): number {
  return c.warmupSteps > 0 ? c.warmupSteps : Math.ceil(totalSteps * c.warmupRatio);
}

/** The schedule an optimizer config describes for a run of `totalSteps` updates. */
export function scheduleFor(c: Pick<OptimizerConfig, 'lr' | 'schedule' | 'warmupSteps' | 'warmupRatio'>, totalSteps: number): LrSchedule {
  if (!(Number.isInteger(totalSteps) && totalSteps >= 0)) throw new Error(`totalSteps must be an integer >= 0 (got ${totalSteps})`);
  return { kind: c.schedule, baseLr: c.lr, warmupSteps: warmupStepsFor(c, totalSteps), totalSteps };
}
