import { seededRandom } from '../util/random';

/**
 * A rows x cols matrix of standard normal samples from a seeded generator
 * (row-major float32), so a randomized SVD is reproducible run to run and
 * after a resume.
 *
 * @example
 * const omega = gaussianMatrix(1024, 128, 7); // Float32Array(131072)
 */
export function gaussianMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = seededRandom(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/**
 * A 32-bit hash of a string (FNV-1a), to derive per-parameter seeds from names.
 *
 * @example
 * hashString('model.layers.0.mlp.up_proj.weight'); // a stable uint32
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
