/** Learning-rate schedules, as Hugging Face's `get_scheduler` defines them. */
export type SchedulerName = 'constant' | 'linear' | 'cosine';

export interface LrScheduleOptions {
  name: SchedulerName;
  lr: number;
  totalSteps: number;
  warmupSteps?: number;
}

/**
 * The learning rate for optimizer step `step` (0-based), as transformers'
 * LambdaLR schedules give it: linear warm-up from 0 over `warmupSteps`, then
 * constant, linear decay to 0 at `totalSteps`, or half-cosine decay to 0.
 *
 * @example
 * learningRate({ name: 'cosine', lr: 1e-4, totalSteps: 100, warmupSteps: 10 }, 55); // 5e-5
 */
export function learningRate(o: LrScheduleOptions, step: number): number {
  const warm = o.warmupSteps ?? 0;
  if (step < warm) return (o.lr * step) / Math.max(1, warm);
  if (o.name === 'constant') return o.lr;
  const progress = (step - warm) / Math.max(1, o.totalSteps - warm);
  if (o.name === 'linear') return o.lr * Math.max(0, 1 - progress);
  if (o.name === 'cosine') return o.lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
  throw new Error(`Unknown learning-rate scheduler "${o.name as string}": expected constant, linear or cosine`);
}
