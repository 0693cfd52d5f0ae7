import * as tf from '@tensorflow/tfjs';
import { squaredNorm } from '../model/primitives';

/**
 * What telemetry records about one GaLore weight at one subspace refresh.
 * Plain data: safe to JSON.stringify, send to a notebook or a dashboard.
 */
export interface SubspaceStats {
  /** Hugging Face parameter name. */
  name: string;
  /** The optimizer step (0-based, counted per parameter) whose gradient defined the subspace. */
  step: number;
  /** The weight's shape [out_features, in_features]. */
  shape: [number, number];
  /** Which side was projected: 'left' (U, m x r), 'right' (V, n x r) or 'full' (both). */
  side: 'left' | 'right' | 'full';
  /** The rank used (the requested rank clipped to min(m, n)). */
  rank: number;
  /** The largest singular values of the gradient (up to `statsTopK`), largest first. */
  singularValues: number[];
  /** ||projected gradient||_F^2 / ||gradient||_F^2: the share of gradient energy the subspace keeps. */
  energyCaptured: number;
  /**
   * Overlap with the previous subspace: mean squared cosine of the principal
   * angles, ||P_old^T P_new||_F^2 / r (1 = same subspace, r/m for random
   * subspaces, 0 = orthogonal); for 'full' the mean of both sides. Null at the first refresh.
   */
  overlap: number | null;
  /** How the subspace was computed. */
  svd: 'exact' | 'randomized';
  /** Wall time of the SVD, ms. */
  millis: number;
}

/**
 * Mean squared cosine of the principal angles between two r-dimensional
 * subspaces given the matrix of inner products of their orthonormal bases
 * (R = P_old^T P_new, r x r): ||R||_F^2 / r.
 *
 * @example
 * subspaceOverlap(tf.eye(4)); // 1 (same subspace)
 */
export function subspaceOverlap(innerProducts: tf.Tensor): number {
  const r = Math.min(...innerProducts.shape);
  return tf.tidy(() => tf.sum(tf.square(innerProducts)).dataSync()[0]) / r;
}

/**
 * Share of a gradient's energy kept by its projection: ||low||^2 / ||grad||^2
 * (0 for a zero gradient).
 *
 * @example
 * energyFraction(tf.tensor2d([[3, 4]]), tf.tensor2d([[3]])); // 9 / 25 = 0.36
 */
export function energyFraction(grad: tf.Tensor, low: tf.Tensor): number {
  const g = squaredNorm(grad);
  const l = squaredNorm(low);
  return g > 0 ? l / g : 0;
}
