/**
 * Seeded, stratified sampling by class label: fixed train / validation / test
 * splits, and the training subsets of a data-fraction sweep. Every class is
 * shuffled on its own with a generator seeded from `seed` and the class's
 * rank, so the result depends only on the items, their labels and the seed.
 */
import { seededPermutation } from '../util/random';

/** Indices of each label's items, in the order labels first appear. */
function groupByLabel<T, L>(items: readonly T[], labelOf: (item: T) => L): Array<{ label: L; indices: number[] }> {
  const groups = new Map<L, number[]>();
  items.forEach((item, i) => {
    const label = labelOf(item);
    const list = groups.get(label);
    if (list) list.push(i); else groups.set(label, [i]);
  });
  return [...groups].map(([label, indices]) => ({ label, indices }));
}

/** A group's indices in a seeded order (different for each group rank). */
function shuffledGroup(indices: number[], seed: number, rank: number): number[] {
  return seededPermutation(indices.length, seed + 7919 * (rank + 1)).map((j) => indices[j]);
}

/** Shares of the three splits (they must sum to 1). */
export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

/**
 * Splits items into train / validation / test with the same class proportions
 * in each (per class: round(n * test) to test, round(n * validation) to
 * validation, the rest to train). Each split keeps the input order.
 *
 * @example
 * const s = stratifiedSplit(notes, (n) => n.category, { train: 0.6, validation: 0.2, test: 0.2 }, 20241117);
 * s.train.length + s.validation.length + s.test.length === notes.length; // true
 */
export function stratifiedSplit<T, L>(items: readonly T[], labelOf: (item: T) => L, ratios: SplitRatios, seed: number):
  { train: T[]; validation: T[]; test: T[] } {
  const { train, validation, test } = ratios;
  if (![train, validation, test].every((r) => r >= 0 && r <= 1) || Math.abs(train + validation + test - 1) > 1e-9) {
    throw new Error(`stratifiedSplit: ratios must be in [0, 1] and sum to 1, got train ${train}, validation ${validation}, test ${test}`);
  }
  const where = new Array<'train' | 'validation' | 'test'>(items.length);
  groupByLabel(items, labelOf).forEach(({ indices }, rank) => {
    const order = shuffledGroup(indices, seed, rank);
    const nTest = Math.round(indices.length * test);
    const nValidation = Math.min(indices.length - nTest, Math.round(indices.length * validation));
    order.forEach((idx, k) => { where[idx] = k < nTest ? 'test' : k < nTest + nValidation ? 'validation' : 'train'; });
  });
  const out = { train: [] as T[], validation: [] as T[], test: [] as T[] };
  items.forEach((item, i) => out[where[i]].push(item));
  return out;
}

/**
 * A seeded stratified subsample with `fraction` of each class (at least one
 * item per class), in input order. With the same seed the subsets are nested:
 * the 10% subset lies inside the 25% one, which lies inside the 50% one.
 *
 * @example
 * const tenth = stratifiedSubsample(train, (n) => n.category, 0.1, 7);
 * const quarter = stratifiedSubsample(train, (n) => n.category, 0.25, 7); // contains every note of `tenth`
 */
export function stratifiedSubsample<T, L>(items: readonly T[], labelOf: (item: T) => L, fraction: number, seed: number): T[] {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`stratifiedSubsample: fraction must lie in (0, 1], got ${fraction}`);
  const keep = new Array<boolean>(items.length).fill(false);
  groupByLabel(items, labelOf).forEach(({ indices }, rank) => {
    const k = Math.max(1, Math.round(indices.length * fraction));
    for (const idx of shuffledGroup(indices, seed, rank).slice(0, k)) keep[idx] = true;
  });
  return items.filter((_, i) => keep[i]);
}
