/**
 * Near-duplicate detection with character n-gram shingles, MinHash signatures
 * and locality-sensitive hashing (LSH), verified by exact Jaccard similarity.
 *
 * Two texts are near-duplicates when the Jaccard similarity of their sets of
 * character n-grams (after lower-casing and dropping punctuation and spaces)
 * is at least the threshold. Small collections are compared exhaustively;
 * large ones use MinHash + LSH to find candidate pairs, then every candidate
 * is checked exactly, so reported similarities are exact (LSH can only miss
 * pairs, with a probability the band settings keep below 0.5%).
 */
import { fnv1a32 } from './random';

/** Default n-gram size: 5 characters for English (about one word), 3 for Chinese. */
export function defaultShingleSize(language: string): number {
  return language === 'zh' ? 3 : 5;
}

/**
 * Lower-cases, applies Unicode NFKC (full-width to half-width) and removes
 * punctuation and white space, so formatting differences do not count.
 *
 * @example
 * normalizeForShingles('Ice it!  Then REST.'); // 'iceitthenrest'
 */
export function normalizeForShingles(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\p{P}\p{S}\s]+/gu, '');
}

/**
 * The set of hashed character n-grams of a text, sorted ascending (ready for
 * `jaccard`). Texts shorter than `n` give one shingle (the whole text).
 *
 * @example
 * shingles('abcd', 3).length; // 2 ('abc', 'bcd')
 */
export function shingles(text: string, n: number): Uint32Array {
  const norm = normalizeForShingles(text);
  const chars = Array.from(norm);
  const set = new Set<number>();
  if (chars.length === 0) return new Uint32Array(0);
  if (chars.length <= n) set.add(fnv1a32(norm));
  for (let i = 0; i + n <= chars.length; i++) set.add(fnv1a32(chars.slice(i, i + n).join('')));
  return Uint32Array.from(set).sort();
}

/**
 * Exact Jaccard similarity of two sorted shingle sets (1 for two empty sets).
 *
 * @example
 * jaccard(shingles('ankle sprain', 3), shingles('ankle sprains', 3)); // about 0.9
 */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      inter++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return inter / (a.length + b.length - inter);
}

function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MinHash signature of a shingle set: for each of `numPerm` hash functions,
 * the minimum hash over the set. The share of equal positions between two
 * signatures estimates their Jaccard similarity.
 *
 * @example
 * const sig = minhashSignature(shingles('shin splints after running', 5), 64);
 */
export function minhashSignature(set: Uint32Array, numPerm = 128, seed = 1): Uint32Array {
  const sig = new Uint32Array(numPerm).fill(0xffffffff);
  const salts = Array.from({ length: numPerm }, (_, i) => mix32(seed * 0x9e3779b1 + i * 0x7f4a7c15));
  for (let k = 0; k < set.length; k++) {
    const x = set[k];
    for (let i = 0; i < numPerm; i++) {
      const h = mix32(x ^ salts[i]);
      if (h < sig[i]) sig[i] = h;
    }
  }
  return sig;
}

/**
 * Estimated Jaccard similarity from two MinHash signatures.
 *
 * @example
 * const sigA = minhashSignature(shingles('rest the sprained ankle for two days', 5));
 * const sigB = minhashSignature(shingles('rest a sprained ankle for two days', 5));
 * estimateJaccard(sigA, sigB); // close to jaccard() of the two shingle sets
 */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * LSH band settings for a threshold: the most rows per band (fewest false
 * candidates) whose chance of catching a pair exactly at the threshold is at
 * least 99.5%.
 *
 * @example
 * lshBands(0.5, 128); // { bands: 42, rows: 3 }
 */
export function lshBands(threshold: number, numPerm: number): { bands: number; rows: number } {
  for (let rows = Math.floor(numPerm / 2); rows >= 1; rows--) {
    const bands = Math.floor(numPerm / rows);
    const recall = 1 - Math.pow(1 - Math.pow(threshold, rows), bands);
    if (recall >= 0.995) return { bands, rows };
  }
  return { bands: numPerm, rows: 1 };
}

/** A pair of near-duplicates (indices into the input, i < j) and their exact Jaccard similarity. */
export interface SimilarPair {
  i: number;
  j: number;
  similarity: number;
}

export interface NearDuplicateOptions {
  /** Jaccard threshold (inclusive). */
  threshold: number;
  /** N-gram size in characters. */
  shingleSize: number;
  /** `exact` compares all pairs; `minhash` uses LSH; `auto` (default) uses exact up to 200,000 pairs. */
  method?: 'exact' | 'minhash' | 'auto';
  numPerm?: number;
}

/**
 * All pairs of texts whose character n-gram Jaccard similarity is at least
 * the threshold.
 *
 * @example
 * nearDuplicatePairs(['How do I treat a sprain?', 'How do I treat a sprain??', 'Warm-up ideas'],
 *   { threshold: 0.8, shingleSize: 5 }); // [{ i: 0, j: 1, similarity: 1 }]
 */
export function nearDuplicatePairs(texts: readonly string[], options: NearDuplicateOptions): SimilarPair[] {
  const sets = texts.map((t) => shingles(t, options.shingleSize));
  return nearDuplicatePairsOfSets(sets, options);
}

/** `nearDuplicatePairs` on precomputed shingle sets. */
export function nearDuplicatePairsOfSets(sets: readonly Uint32Array[], options: NearDuplicateOptions): SimilarPair[] {
  const n = sets.length;
  const method = options.method ?? 'auto';
  const exact = method === 'exact' || (method === 'auto' && (n * (n - 1)) / 2 <= 200_000);
  const out: SimilarPair[] = [];
  const check = (i: number, j: number): void => {
    const similarity = jaccard(sets[i], sets[j]);
    if (similarity >= options.threshold) out.push({ i, j, similarity });
  };
  if (exact) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) check(i, j);
    return out;
  }
  const numPerm = options.numPerm ?? 128;
  const { bands, rows } = lshBands(options.threshold, numPerm);
  const sigs = sets.map((s) => minhashSignature(s, numPerm));
  const candidates = new Set<number>();
  for (let b = 0; b < bands; b++) {
    const buckets = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const key = Array.from(sigs[i].subarray(b * rows, (b + 1) * rows)).join(',');
      const bucket = buckets.get(key);
      if (bucket) bucket.push(i);
      else buckets.set(key, [i]);
    }
    for (const bucket of buckets.values()) {
      for (let x = 0; x < bucket.length; x++) for (let y = x + 1; y < bucket.length; y++) candidates.add(bucket[x] * n + bucket[y]);
    }
  }
  for (const c of [...candidates].sort((a, b) => a - b)) check(Math.floor(c / n), c % n);
  return out;
}

/**
 * Groups items linked by pairs (connected components, union-find). Every item
 * is in exactly one group; groups and their members are sorted by index.
 *
 * @example
 * groupPairs(4, [{ i: 0, j: 2, similarity: 0.9 }]); // [[0, 2], [1], [3]]
 */
export function groupPairs(n: number, pairs: ReadonlyArray<{ i: number; j: number }>): number[][] {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (const { i, j } of pairs) {
    const a = find(i);
    const b = find(j);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = find(i);
    const g = groups.get(root);
    if (g) g.push(i);
    else groups.set(root, [i]);
  }
  return [...groups.values()].sort((a, b) => a[0] - b[0]);
}
