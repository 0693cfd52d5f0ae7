import { Matrix64, identity64, matrix64 } from './matrix64';

/** Eigen-decomposition of a symmetric matrix: a = vectors diag(values) vectors^T. */
export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns, in the order of `values`. */
  vectors: Matrix64;
  /** Jacobi sweeps used. */
  sweeps: number;
}

export interface JacobiEigenOptions {
  /** Stop when the off-diagonal norm falls below tol x the Frobenius norm; default 1e-14. */
  tol?: number;
  /** Give up after this many sweeps; default 60 (cyclic Jacobi converges quadratically, ~6-10 are typical). */
  maxSweeps?: number;
}

/**
 * Cyclic Jacobi eigen-solver for a small symmetric matrix, in float64. Slow
 * (about 5 n^3 flops a sweep) but simple and accurate to working precision
 * even for tiny eigenvalues: used on the l x l Gram matrices of randomized
 * SVD (l = rank + oversampling) and in tests. Only the upper triangle is read.
 *
 * @example
 * const { values, vectors } = jacobiEigen(matrix64(2, 2, [2, 1, 1, 2]));
 * // values = [3, 1]; vectors' first column is ±[1, 1] / sqrt(2)
 */
export function jacobiEigen(a: Matrix64, options: JacobiEigenOptions = {}): SymmetricEigen {
  const n = a.rows;
  if (a.cols !== n) throw new Error(`jacobiEigen: expected a square matrix, got ${a.rows}x${a.cols}`);
  const tol = options.tol ?? 1e-14;
  const maxSweeps = options.maxSweeps ?? 60;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) { const x = a.data[i * n + j]; A[i * n + j] = x; A[j * n + i] = x; }
  }
  const V = identity64(n).data;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += A[i] * A[i];
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * A[p * n + q] * A[p * n + q];
    if (!(off > tol * tol * total)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const app = A[p * n + p];
        const aqq = A[q * n + q];
        // skip rotations below rounding level of both diagonal entries
        if (Math.abs(apq) < 1e-18 * (Math.abs(app) + Math.abs(aqq)) && sweeps > 3) { A[p * n + q] = 0; A[q * n + p] = 0; continue; }
        const theta = (aqq - app) / (2 * apq);
        let t = 1 / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        if (theta < 0) t = -t;
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        A[p * n + p] = app - t * apq;
        A[q * n + q] = aqq + t * apq;
        A[p * n + q] = 0;
        A[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          const np = c * akp - s * akq;
          const nq = s * akp + c * akq;
          A[k * n + p] = np; A[p * n + k] = np;
          A[k * n + q] = nq; A[q * n + k] = nq;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j] - A[i * n + i]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const vectors = matrix64(n, n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) vectors.data[k * n + j] = V[k * n + order[j]];
  }
  return { values, vectors, sweeps };
}
