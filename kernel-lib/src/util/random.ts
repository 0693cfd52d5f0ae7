/**
 * A small, fast, seedable PRNG (SplitMix32 state advance + Mulberry-style mix),
 * so initialisation and data order are identical on every backend and machine.
 *
 * @example
 * const rng = seededRandom(42);
 * rng.next();        // uniform in [0, 1)
 * rng.normal();      // standard normal (Box-Muller)
 */
export interface SeededRandom {
  next(): number;
  normal(): number;
  int(maxExclusive: number): number;
  /** The current internal state, to save in a checkpoint. */
  state(): number;
}

/**
 * The mulberry32 generator from a 32-bit state: `next()` gives uniform
 * numbers in [0, 1), `state()` the current state. The one implementation of
 * the step; `seededRandom` and the data pipeline's `mulberry32` build on it.
 *
 * @example
 * const g = mulberry32Stream(42);
 * g.next();
 */
export function mulberry32Stream(initialState: number): { next: () => number; state: () => number } {
  let s = initialState >>> 0;
  return {
    next(): number {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => s,
  };
}

export function seededRandom(seed: number, state?: number): SeededRandom {
  const stream = mulberry32Stream(state ?? (Math.floor(seed) ^ 0x9e3779b9));
  let spare: number | null = null;
  const next = stream.next;
  return {
    next,
    normal(): number {
      if (spare !== null) { const v = spare; spare = null; return v; }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(maxExclusive: number): number { return Math.floor(next() * maxExclusive); },
    state: stream.state,
  };
}

/** Fisher-Yates shuffle of [0, n) with a seeded generator. */
export function seededPermutation(n: number, seed: number): number[] {
  const rng = seededRandom(seed);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
