import * as tf from '@tensorflow/tfjs';

/** Which singular vectors a caller needs: U (left), V (right) or both. */
export type SingularSide = 'left' | 'right' | 'both';

/** How a truncated SVD is computed. */
export type SvdMethod = 'exact' | 'randomized';

/**
 * The top-r part of an SVD g ≈ U diag(S) Vt, as float32 tensors the caller
 * owns (dispose them). Only the sides that were asked for are present.
 */
export interface TruncatedSvd {
  /** m x r, orthonormal columns (null unless the left side was asked for). */
  U: tf.Tensor2D | null;
  /** r x n, orthonormal rows (null unless the right side was asked for). */
  Vt: tf.Tensor2D | null;
  /** The r largest singular values (Ritz estimates for the randomized method), largest first. */
  S: Float64Array;
}

/**
 * Dispose the tensors of a truncated SVD.
 *
 * @example
 * const svd = truncatedSvd(g, 8);
 * console.log(svd.S);
 * disposeSvd(svd);
 */
export function disposeSvd(svd: TruncatedSvd): void {
  svd.U?.dispose();
  svd.Vt?.dispose();
}
