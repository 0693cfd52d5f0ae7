/**
 * Bounded histories for telemetry: however many points arrive, at most
 * `capacity` - 1 full buckets are kept, all of the same width (a power of two), plus
 * the bucket being filled. When the buckets run out, neighbours are merged
 * pairwise and the width doubles, so a 100k-step run keeps about as many
 * points as a 1k-step one, each standing for a contiguous run of steps.
 */

/** A point that knows how many raw points it stands for. */
export interface Countable {
  count: number;
}

/**
 * Keeps at most `capacity` equal-width buckets of points (plus one partial bucket).
 *
 * @example
 * const h = new BucketHistory<{ step: number; loss: number; count: number }>(4,
 *   (a, b) => ({ step: b.step, loss: (a.loss * a.count + b.loss * b.count) / (a.count + b.count), count: a.count + b.count }));
 * for (let s = 1; s <= 10; s++) h.push({ step: s, loss: s, count: 1 });
 * h.points().map((p) => p.count); // [4, 4, 2]: two full buckets of 4 steps and the partial one
 */
export class BucketHistory<T extends Countable> {
  private buckets: T[] = [];
  private pending: T | null = null;
  private width = 1;
  private seenCount = 0;

  /**
   * @param capacity when this many full buckets exist they are merged pairwise (at least 2)
   * @param merge combines two neighbouring points (older first) into one whose `count` is the sum
   */
  constructor(readonly capacity: number, private readonly merge: (older: T, newer: T) => T) {
    if (!(capacity >= 2) || !Number.isInteger(capacity)) throw new Error(`BucketHistory: capacity must be an integer >= 2, got ${capacity}`);
  }

  /** Raw points pushed so far. */
  get seen(): number {
    return this.seenCount;
  }

  /** Raw points per full bucket now. */
  get bucketWidth(): number {
    return this.width;
  }

  /** Adds one raw point (its `count` should be 1). */
  push(point: T): void {
    this.seenCount += point.count;
    this.pending = this.pending ? this.merge(this.pending, point) : point;
    if (this.pending.count < this.width) return;
    this.buckets.push(this.pending);
    this.pending = null;
    if (this.buckets.length >= this.capacity) this.halve();
  }

  /** The kept points, oldest first (the last may be a partial bucket). */
  points(): T[] {
    return this.pending ? [...this.buckets, this.pending] : [...this.buckets];
  }

  private halve(): void {
    const merged: T[] = [];
    for (let i = 0; i + 1 < this.buckets.length; i += 2) merged.push(this.merge(this.buckets[i], this.buckets[i + 1]));
    const odd = this.buckets.length % 2 === 1 ? this.buckets[this.buckets.length - 1] : null;
    this.buckets = merged;
    this.width *= 2;
    // An odd bucket left over becomes the start of the next (wider) bucket.
    if (odd) this.pending = this.pending ? this.merge(odd, this.pending) : odd;
  }
}

/**
 * Mean of two values weighted by their counts; null when either is null.
 *
 * @example
 * weightedMean(1, 1, 3, 3); // 2.5
 */
export function weightedMean(a: number | null, countA: number, b: number | null, countB: number): number | null {
  if (a === null || b === null) return a ?? b;
  const total = countA + countB;
  return total > 0 ? (a * countA + b * countB) / total : b;
}

/**
 * Rounds to `digits` significant digits for compact JSON (integers above
 * 2^31 and bytes are left alone by callers); non-finite values become null.
 *
 * @example
 * roundSignificant(3.14159265, 4); // 3.142
 */
export function roundSignificant(value: number, digits = 5): number | null {
  if (!Number.isFinite(value)) return null;
  if (value === 0) return 0;
  return Number(value.toPrecision(digits));
}
