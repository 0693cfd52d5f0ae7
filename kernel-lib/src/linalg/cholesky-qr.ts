import * as tf from '@tensorflow/tfjs';
import { Matrix64, gram64, matrix64 } from './matrix64';
import { householderQ64 } from './householder-qr';

/** Result of a Cholesky factorisation g = r^T r (r upper triangular). */
export interface Cholesky64 {
  /** Upper-triangular factor, or null when g is not (numerically) positive definite. */
  r: Matrix64 | null;
  /** max |r_ii| / min |r_ii|: a cheap lower bound on cond(r) (Infinity on failure). */
  conditionEstimate: number;
}

/**
 * Cholesky factorisation of a symmetric positive definite matrix, in float64.
 * Returns `r: null` instead of throwing when a pivot is not positive, so the
 * caller can fall back to Householder QR.
 *
 * @example
 * cholesky64(matrix64(2, 2, [4, 2, 2, 5])).r!.data; // [2, 1, 0, 2]
 */
export function cholesky64(g: Matrix64): Cholesky64 {
  const n = g.rows;
  const r = matrix64(n, n);
  const R = r.data;
  let maxPivot = 0;
  let minPivot = Infinity;
  for (let j = 0; j < n; j++) {
    let d = g.data[j * n + j];
    for (let k = 0; k < j; k++) d -= R[k * n + j] * R[k * n + j];
    if (!(d > 0)) return { r: null, conditionEstimate: Infinity };
    const rjj = Math.sqrt(d);
    R[j * n + j] = rjj;
    maxPivot = Math.max(maxPivot, rjj);
    minPivot = Math.min(minPivot, rjj);
    for (let i = j + 1; i < n; i++) {
      let s = g.data[j * n + i];
      for (let k = 0; k < j; k++) s -= R[k * n + j] * R[k * n + i];
      R[j * n + i] = s / rjj;
    }
  }
  return { r, conditionEstimate: n === 0 ? 1 : maxPivot / minPivot };
}

/**
 * Inverse of an upper-triangular matrix (back substitution, float64).
 *
 * @example
 * invertUpper64(matrix64(2, 2, [2, 1, 0, 4])).data; // [0.5, -0.125, 0, 0.25]
 */
export function invertUpper64(r: Matrix64): Matrix64 {
  const n = r.rows;
  const inv = matrix64(n, n);
  const R = r.data; const X = inv.data;
  for (let j = 0; j < n; j++) {
    X[j * n + j] = 1 / R[j * n + j];
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R[i * n + k] * X[k * n + j];
      X[i * n + j] = -s / R[i * n + i];
    }
  }
  return inv;
}

export interface OrthonormalizeOptions {
  /** Stop once every entry of Q^T Q - I is below this; default 1e-4 (float32 products). */
  tolerance?: number;
  /** CholeskyQR passes before falling back to Householder; default 4. */
  maxPasses?: number;
  /**
   * false: one CholeskyQR pass only (float64 Gram, no check), orthonormal to
   * about 1e-7 x cond(input): enough for the intermediate bases of subspace
   * iteration, and 2-3x cheaper. Default true.
   */
  refine?: boolean;
}

/** How `orthonormalizeColumns` got its answer (for tests and benchmarks). */
export interface OrthonormalizeReport {
  passes: number;
  fallback: boolean;
}

/**
 * Orthonormal basis of the column space of a tall m x l tensor (m >= l),
 * by CholeskyQR2: the first Gram matrix is accumulated in float64 in
 * JavaScript (float32 CholeskyQR breaks down above cond ~1e3; float64 holds up
 * to ~1e7, the float32 noise level of the input), later passes on nearly
 * orthonormal columns use a float32 Gram on the backend, and it repeats until
 * Q^T Q is the identity to `tolerance`. Rank-deficient input (a pivot that is
 * not positive, or columns that stay dependent) falls back to Householder QR
 * in float64, which always returns orthonormal columns. Products with R^-1
 * run on the backend as plain 2-D matmuls. Returns a new tensor.
 *
 * @example
 * const q = orthonormalizeColumns(tf.randomNormal([1024, 128]) as tf.Tensor2D);
 * // q^T q ≈ I (128 x 128), span(q) = span(input)
 */
export function orthonormalizeColumns(
  y: tf.Tensor2D, options: OrthonormalizeOptions = {}, report?: OrthonormalizeReport,
): tf.Tensor2D {
  const [m, l] = y.shape;
  if (m < l) throw new Error(`orthonormalizeColumns: need rows >= columns, got ${m}x${l}`);
  const tolerance = options.tolerance ?? 1e-4;
  const maxPasses = options.maxPasses ?? 4;
  const fallback = (): tf.Tensor2D => {
    if (report) report.fallback = true;
    const a: Matrix64 = { rows: m, cols: l, data: Float64Array.from(y.dataSync() as Float32Array) };
    const q = householderQ64(a);
    return tf.tensor2d(Float32Array.from(q.data), [m, l]);
  };
  let q = y;
  let owned = false;
  for (let pass = 0; pass < maxPasses; pass++) {
    let gram: Matrix64;
    if (pass === 0) {
      gram = gram64(q.dataSync() as Float32Array, m, l);
    } else {
      const g32 = tf.tidy(() => tf.matMul(tf.transpose(q), q));
      gram = { rows: l, cols: l, data: Float64Array.from(g32.dataSync() as Float32Array) };
      g32.dispose();
      if (maxOffIdentity(gram) < tolerance) {
        if (report) report.passes = pass;
        return q;
      }
    }
    const { r, conditionEstimate } = cholesky64(gram);
    if (!r || conditionEstimate > 1e7) {
      if (owned) q.dispose();
      return fallback();
    }
    const rinv = invertUpper64(r);
    const next = tf.tidy(() => tf.matMul(q, tf.tensor2d(Float32Array.from(rinv.data), [l, l]))) as tf.Tensor2D;
    if (owned) q.dispose();
    q = next;
    owned = true;
    if (options.refine === false) {
      if (report) report.passes = 1;
      return q;
    }
  }
  if (owned) q.dispose();
  return fallback();
}

function maxOffIdentity(g: Matrix64): number {
  const n = g.rows;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(g.data[i * n + j] - (i === j ? 1 : 0)));
  }
  return worst;
}
