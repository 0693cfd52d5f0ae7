/**
 * Seeded randomness for the data pipeline: a mulberry32 generator plus the few
 * helpers augmentation and splitting need (integers, picks, shuffles), and a
 * way to derive independent seeds from strings so that "the same example with
 * the same seed" always gives the same result, whatever order examples come in.
 */
import { mulberry32Stream } from '../util/random';

/** A deterministic source of uniform numbers in [0, 1). */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy of `items` (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
}

/**
 * Creates a mulberry32 generator. Same seed, same sequence, on every machine.
 *
 * @example
 * const rng = mulberry32(42);
 * [rng.next(), rng.int(10), rng.pick(['a', 'b'])];
 */
export function mulberry32(seed: number): Random {
  const next = mulberry32Stream(seed).next;
  const int = (maxExclusive: number): number => {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`Random.int: expected a positive integer bound, got ${maxExclusive}`);
    }
    return Math.floor(next() * maxExclusive);
  };
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('Random.pick: expected a non-empty array');
      return items[int(items.length)];
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
      }
      return out;
    },
  };
}

/**
 * 32-bit FNV-1a hash of a string's UTF-16 code units: a stable number for ids,
 * shingles and seed derivation.
 *
 * @example
 * fnv1a32('en-ankle-sprain-001'); // same number on every run
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Derives a seed from a base seed and any number of string/number parts, so
 * that each (seed, example id, operator) triple gets its own stream.
 *
 * @example
 * const rng = mulberry32(deriveSeed(7, 'en-ankle-sprain-001', 'eda.swap'));
 */
export function deriveSeed(seed: number, ...parts: Array<string | number>): number {
  return fnv1a32(`${seed >>> 0}\u0000${parts.join('\u0000')}`);
}
