import { describe, expect, it } from 'vitest';
import { classificationReport, confusionMatrix } from '../../kernel-lib/src/classify/classification-metrics';

describe('confusion matrix', () => {
  it('counts true class by predicted class', () => {
    expect(confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)).toEqual([[1, 1, 0], [0, 1, 0], [1, 0, 2]]);
  });

  it('names the bad position when a label is not a class index', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/true label 3 at position 1 is not a class index in \[0, 3\)/);
    expect(() => confusionMatrix([0, 1], [0, 1.5], 3)).toThrow(/prediction 1.5 at position 1/);
    expect(() => confusionMatrix([0, 1], [0], 3)).toThrow(/2 true labels but 1 predictions/);
  });
});

describe('classification report', () => {
  // truth:     a a a a b b c c c c
  // predicted: a a b c b b c c a c
  // confusion (rows true a,b,c; columns predicted a,b,c):
  //   a: 2 1 1 | b: 0 2 0 | c: 1 0 3
  const truth = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 0, 1, 2, 1, 1, 2, 2, 0, 2];

  it('matches hand-computed precision, recall and F1 per class', () => {
    const r = classificationReport(truth, predicted, ['a', 'b', 'c']);
    expect(r.confusion).toEqual([[2, 1, 1], [0, 2, 0], [1, 0, 3]]);
    expect(r.accuracy).toBeCloseTo(7 / 10, 12);
    const [a, b, c] = r.perClass;
    expect([a.precision, a.recall, a.f1]).toEqual([2 / 3, 2 / 4, expect.closeTo((2 * (2 / 3) * 0.5) / (2 / 3 + 0.5), 12)]);
    expect([b.precision, b.recall]).toEqual([2 / 3, 1]);
    expect(b.f1).toBeCloseTo(0.8, 12);
    expect([c.precision, c.recall]).toEqual([3 / 4, 3 / 4]);
    expect([a.support, b.support, c.support]).toEqual([4, 2, 4]);
    expect([a.predicted, b.predicted, c.predicted]).toEqual([3, 3, 4]);
    expect(a.label).toBe('a');
  });

  it('macro averages weigh classes equally; weighted averages weigh them by support', () => {
    const r = classificationReport(truth, predicted, 3);
    const f1 = [4 / 7, 0.8, 0.75];
    expect(r.macro.precision).toBeCloseTo((2 / 3 + 2 / 3 + 3 / 4) / 3, 12);
    expect(r.macro.recall).toBeCloseTo((0.5 + 1 + 0.75) / 3, 12);
    expect(r.macro.f1).toBeCloseTo((f1[0] + f1[1] + f1[2]) / 3, 12);
    expect(r.weighted.recall).toBeCloseTo((4 * 0.5 + 2 * 1 + 4 * 0.75) / 10, 12); // = accuracy
    expect(r.weighted.recall).toBeCloseTo(r.accuracy, 12);
    expect(r.weighted.f1).toBeCloseTo((4 * f1[0] + 2 * f1[1] + 4 * f1[2]) / 10, 12);
    expect(r.macro.f1).not.toBeCloseTo(r.weighted.f1, 3);
    expect(r.perClass.map((s) => s.label)).toEqual(['0', '1', '2']);
  });

  it('a class never predicted has precision 0 (scikit-learn zero_division=0) and pulls the macro average down', () => {
    // class 2 is never predicted; class 1 has one true example
    const r = classificationReport([0, 0, 1, 2, 2], [0, 0, 1, 0, 1], 3);
    const c2 = r.perClass[2];
    expect([c2.precision, c2.recall, c2.f1, c2.predicted, c2.support]).toEqual([0, 0, 0, 0, 2]);
    expect(r.perClass[0].precision).toBeCloseTo(2 / 3, 12);
    expect(r.perClass[1].precision).toBeCloseTo(1 / 2, 12);
    expect(r.macro.precision).toBeCloseTo((2 / 3 + 1 / 2 + 0) / 3, 12);
    expect(r.macro.f1).toBeCloseTo((0.8 + 2 / 3 + 0) / 3, 12);
    expect(r.accuracy).toBeCloseTo(3 / 5, 12);
  });

  it('a class with no true example has recall 0 and counts in the macro average', () => {
    const r = classificationReport([0, 0], [0, 1], 2);
    expect(r.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
    expect(r.macro.recall).toBeCloseTo(0.25, 12);
    expect(r.weighted.recall).toBeCloseTo(0.5, 12);
  });

  it('perfect predictions score 1 everywhere', () => {
    const r = classificationReport([2, 0, 1, 1], [2, 0, 1, 1], 3);
    expect([r.accuracy, r.macro.precision, r.macro.recall, r.macro.f1, r.weighted.f1]).toEqual([1, 1, 1, 1, 1]);
  });
});
