/**
 * Classification metrics as scikit-learn computes them with
 * `zero_division=0`: a confusion matrix, accuracy, per-class precision /
 * recall / F1, and their macro average (plain mean over the classes, every
 * class counting the same) and weighted average (mean weighted by each
 * class's support, the number of true examples).
 *
 * Conventions: precision of a class that is never predicted is 0; recall of a
 * class with no true example is 0; F1 is 0 when precision + recall is 0. The
 * macro averages run over all `numClasses` classes, as sklearn does when its
 * `labels` argument lists them all; macro F1 is the mean of the per-class F1
 * scores (not the F1 of macro precision and macro recall).
 */

/** Precision, recall and F1 of one class (or an average). */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** One class's row of a classification report. */
export interface ClassScores extends PrecisionRecallF1 {
  /** The class's name (or its index as text when no names were given). */
  label: string;
  /** True examples of the class. */
  support: number;
  /** Examples predicted as the class. */
  predicted: number;
}

/** Everything `classificationReport` measures. */
export interface ClassificationReport {
  accuracy: number;
  /** Unweighted mean over the classes. */
  macro: PrecisionRecallF1;
  /** Mean weighted by support. */
  weighted: PrecisionRecallF1;
  perClass: ClassScores[];
  /** confusion[t][p]: examples of true class t predicted as p. */
  confusion: number[][];
  /** Number of examples. */
  count: number;
}

function checkLabels(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): void {
  if (truth.length !== predicted.length) throw new Error(`classification metrics: ${truth.length} true labels but ${predicted.length} predictions`);
  if (!(Number.isInteger(numClasses) && numClasses > 0)) throw new Error(`classification metrics: numClasses must be a positive integer, got ${numClasses}`);
  for (let i = 0; i < truth.length; i++) {
    for (const [what, v] of [['true label', truth[i]], ['prediction', predicted[i]]] as const) {
      if (!(Number.isInteger(v) && v >= 0 && v < numClasses)) {
        throw new Error(`classification metrics: ${what} ${v} at position ${i} is not a class index in [0, ${numClasses})`);
      }
    }
  }
}

/**
 * The confusion matrix: entry [t][p] counts examples of true class t
 * predicted as class p.
 *
 * @example
 * confusionMatrix([0, 0, 1, 2], [0, 1, 1, 1], 3); // [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
 */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  checkLabels(truth, predicted, numClasses);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]] += 1;
  return m;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
const f1Of = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/**
 * Accuracy, macro and weighted precision / recall / F1 and the per-class
 * scores of predicted class indices against true ones (see the module comment
 * for the conventions).
 *
 * @example
 * const r = classificationReport([0, 0, 1, 2], [0, 1, 1, 1], ['sprain', 'strain', 'fracture']);
 * r.accuracy;  // 0.5
 * r.macro.f1;  // (2/3 + 2/3 + 0) / 3 = 0.444...
 */
export function classificationReport(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number | readonly string[]): ClassificationReport {
  const names = typeof classes === 'number' ? Array.from({ length: classes }, (_, i) => String(i)) : [...classes];
  const k = names.length;
  const confusion = confusionMatrix(truth, predicted, k);
  const n = truth.length;
  let correct = 0;
  for (let c = 0; c < k; c++) correct += confusion[c][c];
  const perClass: ClassScores[] = names.map((label, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c], 0);
    const precision = ratio(confusion[c][c], predictedCount);
    const recall = ratio(confusion[c][c], support);
    return { label, precision, recall, f1: f1Of(precision, recall), support, predicted: predictedCount };
  });
  const mean = (f: (s: ClassScores) => number): number => perClass.reduce((a, s) => a + f(s), 0) / k;
  const weightedMean = (f: (s: ClassScores) => number): number => ratio(perClass.reduce((a, s) => a + f(s) * s.support, 0), n);
  return {
    accuracy: ratio(correct, n),
    macro: { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) },
    weighted: { precision: weightedMean((s) => s.precision), recall: weightedMean((s) => s.recall), f1: weightedMean((s) => s.f1) },
    perClass,
    confusion,
    count: n,
  };
}
