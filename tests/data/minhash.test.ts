import { describe, expect, it } from 'vitest';
import {
  estimateJaccard,
  groupPairs,
  jaccard,
  lshBands,
  minhashSignature,
  nearDuplicatePairs,
  normalizeForShingles,
  shingles,
} from '../../kernel-lib/src/data/minhash';
import { mulberry32 } from '../../kernel-lib/src/data/random';

describe('shingles and Jaccard', () => {
  it('normalises case, punctuation and spaces', () => {
    expect(normalizeForShingles('Ice it!  Then REST.')).toBe('iceitthenrest');
    expect(normalizeForShingles('冰敷，休息。')).toBe('冰敷休息');
  });

  it('computes exact Jaccard of character n-grams (hand-computed)', () => {
    // 'abcd' -> {abc, bcd}; 'abce' -> {abc, bce}: intersection 1, union 3.
    expect(jaccard(shingles('abcd', 3), shingles('abce', 3))).toBeCloseTo(1 / 3, 12);
    expect(jaccard(shingles('abcd', 3), shingles('ABCD!', 3))).toBe(1);
    expect(jaccard(shingles('abcd', 3), shingles('wxyz', 3))).toBe(0);
    // Repeated n-grams count once: 'aaaa' -> {aaa}.
    expect(shingles('aaaa', 3)).toHaveLength(1);
  });

  it('MinHash estimates Jaccard within sampling error', () => {
    const a = shingles('the quick brown fox jumps over the lazy dog near the river bank', 4);
    const b = shingles('the quick brown fox jumped over a lazy dog near the river bank', 4);
    const exact = jaccard(a, b);
    const est = estimateJaccard(minhashSignature(a, 256), minhashSignature(b, 256));
    expect(Math.abs(est - exact)).toBeLessThan(0.1);
  });

  it('chooses LSH bands that catch pairs at the threshold', () => {
    const { bands, rows } = lshBands(0.5, 128);
    expect(bands * rows).toBeLessThanOrEqual(128);
    expect(1 - Math.pow(1 - Math.pow(0.5, rows), bands)).toBeGreaterThanOrEqual(0.995);
    // One more row per band would fall below 99.5%.
    const fewer = Math.floor(128 / (rows + 1));
    expect(1 - Math.pow(1 - Math.pow(0.5, rows + 1), fewer)).toBeLessThan(0.995);
  });
});

describe('nearDuplicatePairs', () => {
  const rng = mulberry32(3);
  const vocab = 'ankle knee rest ice load pain swelling strength run jump tendon week heal calf sprain strain'.split(' ');
  const doc = (): string => Array.from({ length: 40 }, () => rng.pick(vocab)).join(' ');
  const base = Array.from({ length: 60 }, doc);
  // Make near-copies of some documents by changing one word.
  const texts = [...base];
  for (const k of [3, 17, 42]) texts.push(base[k].replace(/^\w+/, 'zzz'));

  it('exact and MinHash+LSH find the same pairs with exact similarities', () => {
    const exact = nearDuplicatePairs(texts, { threshold: 0.8, shingleSize: 5, method: 'exact' });
    const lsh = nearDuplicatePairs(texts, { threshold: 0.8, shingleSize: 5, method: 'minhash' });
    expect(exact.map((p) => [p.i, p.j])).toEqual([[3, 60], [17, 61], [42, 62]]);
    expect(lsh).toEqual(exact);
    for (const p of exact) expect(p.similarity).toBe(jaccard(shingles(texts[p.i], 5), shingles(texts[p.j], 5)));
  });

  it('groups linked items with union-find', () => {
    expect(groupPairs(6, [{ i: 0, j: 3 }, { i: 3, j: 5 }, { i: 1, j: 2 }])).toEqual([[0, 3, 5], [1, 2], [4]]);
  });
});
