import * as tf from '@tensorflow/tfjs';
import { jacobiSvd } from './exact-svd';
import { fromTensor64 } from './matrix64';
import { RandomizedSvdOptions, randomizedSvd } from './randomized-svd';
import { gramRightSvd } from './gram-svd';
import { usesGramRightSvd } from './large-matrix';
import { SingularSide, SvdMethod, TruncatedSvd } from './svd-types';

export interface TruncatedSvdOptions extends RandomizedSvdOptions {
  /** 'randomized' (default: subspace iteration, fast) or 'exact' (float64 one-sided Jacobi, slow). */
  method?: SvdMethod;
}

/**
 * Top-`rank` singular triplets of a 2-D tensor, by the chosen method. `rank`
 * above min(m, n) is clipped to min(m, n).
 *
 * @example
 * const g = tf.tensor2d([[3, 0], [4, 5]]);
 * const { U, S } = truncatedSvd(g, 1, { method: 'exact', want: 'left' });
 * // S = [6.708..], U ≈ ±[[0.316], [0.949]]
 */
export function truncatedSvd(g: tf.Tensor2D, rank: number, options: TruncatedSvdOptions = {}): TruncatedSvd {
  const method = options.method ?? 'randomized';
  if (method === 'randomized') {
    // a large tall gradient with a small side (an embedding's): its exact right subspace from the Gram matrix
    // over row blocks costs a few MB, where the randomized sketches would be [m, 2r] matrices
    const [m, n] = g.shape;
    if (options.want === 'right' && usesGramRightSvd(m, n)) return gramRightSvd(g, rank);
    return randomizedSvd(g, rank, options);
  }
  if (method !== 'exact') throw new Error(`truncatedSvd: method must be "exact" or "randomized", got "${String(method)}"`);
  return exactTruncatedSvd(g, rank, options.want ?? 'both');
}

/**
 * Top-`rank` part of the exact SVD (float64 one-sided Jacobi), as float32 tensors.
 *
 * @example
 * const { Vt } = exactTruncatedSvd(tf.eye(3) as tf.Tensor2D, 2, 'right'); // 2 x 3
 */
export function exactTruncatedSvd(g: tf.Tensor2D, rank: number, want: SingularSide = 'both'): TruncatedSvd {
  const [m, n] = g.shape;
  const r = Math.min(rank, m, n);
  if (!(r >= 1)) throw new Error(`exactTruncatedSvd: rank must be >= 1, got ${rank} for a ${m}x${n} matrix`);
  const svd = jacobiSvd(fromTensor64(g));
  const k = svd.S.length;
  let U: tf.Tensor2D | null = null;
  let Vt: tf.Tensor2D | null = null;
  if (want !== 'right') {
    const u = new Float32Array(m * r);
    for (let i = 0; i < m; i++) for (let j = 0; j < r; j++) u[i * r + j] = svd.U.data[i * k + j];
    U = tf.tensor2d(u, [m, r]);
  }
  if (want !== 'left') {
    const vt = new Float32Array(r * n);
    for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) vt[j * n + i] = svd.V.data[i * k + j];
    Vt = tf.tensor2d(vt, [r, n]);
  }
  return { U, Vt, S: svd.S.slice(0, r) };
}
