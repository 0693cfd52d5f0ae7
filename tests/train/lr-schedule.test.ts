import { describe, expect, it } from 'vitest';
import { learningRate } from '../../kernel-lib/src/train/lr-schedule';

describe('learning-rate schedules (transformers get_scheduler)', () => {
  it('warms up linearly from zero', () => {
    expect(learningRate({ name: 'constant', lr: 1, totalSteps: 10, warmupSteps: 4 }, 0)).toBe(0);
    expect(learningRate({ name: 'constant', lr: 1, totalSteps: 10, warmupSteps: 4 }, 2)).toBe(0.5);
    expect(learningRate({ name: 'constant', lr: 1, totalSteps: 10, warmupSteps: 4 }, 7)).toBe(1);
  });
  it('decays linearly and by half-cosine to zero', () => {
    expect(learningRate({ name: 'linear', lr: 2, totalSteps: 12, warmupSteps: 2 }, 7)).toBeCloseTo(1, 12);
    expect(learningRate({ name: 'linear', lr: 2, totalSteps: 12, warmupSteps: 2 }, 12)).toBe(0);
    expect(learningRate({ name: 'cosine', lr: 1, totalSteps: 12, warmupSteps: 2 }, 7)).toBeCloseTo(0.5, 12);
    expect(learningRate({ name: 'cosine', lr: 1, totalSteps: 12, warmupSteps: 2 }, 2)).toBe(1);
  });
  it('names unknown schedulers', () => {
    expect(() => learningRate({ name: 'poly' as never, lr: 1, totalSteps: 3 }, 1)).toThrow(/poly/);
  });
});
