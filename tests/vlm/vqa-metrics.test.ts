import { describe, expect, it } from 'vitest';
import { answerRecall, normalizeAnswer, vqaScores } from '../../kernel-lib/src/vlm/vqa-metrics';

describe('VQA metrics', () => {
  it('normalises case, punctuation and spaces', () => {
    expect(normalizeAnswer('  Left Lung. ')).toBe('left lung');
    expect(normalizeAnswer('T2-weighted')).toBe('t2 weighted');
    expect(normalizeAnswer('肺，')).toBe('肺');
  });

  it('open recall is the share of the answer words found in the prediction, repeated words counted once each', () => {
    expect(answerRecall('left lung', 'the left lobe')).toBe(0.5);
    expect(answerRecall('left lung', 'Lung, left')).toBe(1);
    expect(answerRecall('very very small', 'very small')).toBeCloseTo(2 / 3, 12);
    expect(answerRecall('3', '')).toBe(0);
  });

  it('scores closed accuracy, open recall and exact match on a hand-computed set', () => {
    const s = vqaScores([
      { answer: 'yes', prediction: 'Yes', answerType: 'CLOSED' },
      { answer: 'left', prediction: 'right', answerType: 'CLOSED' },
      { answer: 'no', prediction: 'no', answerType: 'CLOSED' },
      { answer: 'left lung', prediction: 'left', answerType: 'OPEN' },
      { answer: '3', prediction: '3', answerType: 'OPEN' },
    ]);
    expect(s.closedAccuracy).toBeCloseTo(2 / 3, 12);
    expect(s.openRecall).toBeCloseTo((0.5 + 1) / 2, 12);
    expect(s.openExactMatch).toBe(0.5);
    expect(s.overallAccuracy).toBe(3 / 5);
    expect([s.closedCount, s.openCount]).toEqual([3, 2]);
    expect(Number.isNaN(vqaScores([{ answer: 'a', prediction: 'a', answerType: 'CLOSED' }]).openRecall)).toBe(true);
  });
});
