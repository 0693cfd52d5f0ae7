import { describe, expect, it } from 'vitest';
import { stratifiedSplit, stratifiedSubsample } from '../../kernel-lib/src/classify/stratify';

// 3 classes with 50, 30 and 20 items, interleaved
const items = Array.from({ length: 100 }, (_, i) => ({ id: i, label: i % 10 < 5 ? 'a' : i % 10 < 8 ? 'b' : 'c' }));
const countBy = (xs: { label: string }[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x.label]: (m[x.label] ?? 0) + 1 }), {});

describe('stratifiedSplit', () => {
  it('puts every item in exactly one split with the same class proportions', () => {
    const s = stratifiedSplit(items, (x) => x.label, { train: 0.6, validation: 0.2, test: 0.2 }, 5);
    const ids = [...s.train, ...s.validation, ...s.test].map((x) => x.id).sort((a, b) => a - b);
    expect(ids).toEqual(items.map((x) => x.id));
    expect(countBy(s.test)).toEqual({ a: 10, b: 6, c: 4 });
    expect(countBy(s.validation)).toEqual({ a: 10, b: 6, c: 4 });
    expect(countBy(s.train)).toEqual({ a: 30, b: 18, c: 12 });
    // each split keeps the input order
    expect(s.train.map((x) => x.id)).toEqual([...s.train.map((x) => x.id)].sort((a, b) => a - b));
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const split = (seed: number) => stratifiedSplit(items, (x) => x.label, { train: 0.6, validation: 0.2, test: 0.2 }, seed).test.map((x) => x.id);
    expect(split(5)).toEqual(split(5));
    expect(split(5)).not.toEqual(split(6));
  });

  it('rejects ratios that do not sum to 1', () => {
    expect(() => stratifiedSplit(items, (x) => x.label, { train: 0.7, validation: 0.2, test: 0.2 }, 1)).toThrow(/sum to 1/);
  });
});

describe('stratifiedSubsample', () => {
  it('keeps class proportions (at least one per class) and the input order', () => {
    const tenth = stratifiedSubsample(items, (x) => x.label, 0.1, 3);
    expect(countBy(tenth)).toEqual({ a: 5, b: 3, c: 2 });
    expect(tenth.map((x) => x.id)).toEqual([...tenth.map((x) => x.id)].sort((a, b) => a - b));
    expect(countBy(stratifiedSubsample(items, (x) => x.label, 0.01, 3))).toEqual({ a: 1, b: 1, c: 1 });
    expect(stratifiedSubsample(items, (x) => x.label, 1, 3)).toEqual(items);
  });

  it('is deterministic, and subsets of one seed are nested', () => {
    const ids = (f: number, seed = 3) => stratifiedSubsample(items, (x) => x.label, f, seed).map((x) => x.id);
    expect(ids(0.25)).toEqual(ids(0.25));
    expect(ids(0.25, 4)).not.toEqual(ids(0.25));
    const quarter = new Set(ids(0.25));
    const half = new Set(ids(0.5));
    expect(ids(0.1).every((id) => quarter.has(id))).toBe(true);
    expect([...quarter].every((id) => half.has(id))).toBe(true);
  });

  it('rejects fractions outside (0, 1]', () => {
    expect(() => stratifiedSubsample(items, (x) => x.label, 0, 1)).toThrow(/fraction must lie in \(0, 1\], got 0/);
    expect(() => stratifiedSubsample(items, (x) => x.label, 1.5, 1)).toThrow(/got 1.5/);
  });
});
