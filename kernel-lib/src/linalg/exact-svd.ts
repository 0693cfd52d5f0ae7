import { Matrix64, matrix64, transpose64 } from './matrix64';

/** A thin SVD a = U diag(S) V^T with k = min(m, n) columns, largest singular value first. */
export interface Svd64 {
  /** m x k, orthonormal columns. */
  U: Matrix64;
  /** k singular values, non-increasing. */
  S: Float64Array;
  /** n x k, orthonormal columns. */
  V: Matrix64;
  /** Jacobi sweeps used. */
  sweeps: number;
}

export interface JacobiSvdOptions {
  /** Columns count as orthogonal when |x_p·x_q| <= tol ||x_p|| ||x_q||; default 1e-15. */
  tol?: number;
  /** Default 60. */
  maxSweeps?: number;
}

/**
 * Exact thin SVD by one-sided (Hestenes) Jacobi in float64: rotate pairs of
 * columns until all are mutually orthogonal; their norms are the singular
 * values. Accurate to working precision, also for small singular values, and
 * slow (a 1024 x 1024 matrix takes ~25 s): the reference for tests and small
 * matrices. Left singular vectors of zero singular values are completed to an
 * orthonormal set, so U and V always have orthonormal columns.
 *
 * @example
 * const { S } = jacobiSvd(matrix64(2, 2, [3, 0, 4, 5]));
 * // S = [sqrt(45), sqrt(5)] = [6.708.., 2.236..]
 */
export function jacobiSvd(a: Matrix64, options: JacobiSvdOptions = {}): Svd64 {
  if (a.rows < a.cols) {
    const t = jacobiSvd(transpose64(a), options);
    return { U: t.V, S: t.S, V: t.U, sweeps: t.sweeps };
  }
  const m = a.rows; const n = a.cols;
  const tol = options.tol ?? 1e-15;
  const maxSweeps = options.maxSweeps ?? 60;
  // x[j] = column j of a (contiguous), v[j] = column j of V
  const x = transpose64(a).data;
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const xp = p * m; const xq = q * m;
        let alpha = 0; let beta = 0; let gamma = 0;
        for (let i = 0; i < m; i++) {
          const a1 = x[xp + i]; const b1 = x[xq + i];
          alpha += a1 * a1; beta += b1 * b1; gamma += a1 * b1;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        let t = 1 / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        if (zeta < 0) t = -t;
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const a1 = x[xp + i]; const b1 = x[xq + i];
          x[xp + i] = c * a1 - s * b1;
          x[xq + i] = s * a1 + c * b1;
        }
        const vp = p * n; const vq = q * n;
        for (let i = 0; i < n; i++) {
          const a1 = v[vp + i]; const b1 = v[vq + i];
          v[vp + i] = c * a1 - s * b1;
          v[vq + i] = s * a1 + c * b1;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += x[j * m + i] * x[j * m + i];
    norms[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((i, j) => norms[j] - norms[i]);
  const S = Float64Array.from(order, (j) => norms[j]);
  const U = matrix64(m, n);
  const V = matrix64(n, n);
  const floor = (S[0] ?? 0) * 1e-13;
  const missing: number[] = [];
  order.forEach((j, k) => {
    for (let i = 0; i < n; i++) V.data[i * n + k] = v[j * n + i];
    if (S[k] > floor && S[k] > 0) {
      for (let i = 0; i < m; i++) U.data[i * n + k] = x[j * m + i] / S[k];
    } else {
      missing.push(k);
    }
  });
  completeColumns(U, missing);
  return { U, S, V, sweeps };
}

/**
 * Fill the listed columns of `u` with unit vectors orthogonal to all other
 * columns (modified Gram-Schmidt, twice, over standard basis candidates).
 */
function completeColumns(u: Matrix64, cols: number[]): void {
  if (cols.length === 0) return;
  const m = u.rows; const k = u.cols;
  const filled = new Set(Array.from({ length: k }, (_, j) => j).filter((j) => !cols.includes(j)));
  let candidate = 0;
  for (const target of cols) {
    for (let i = 0; i < m; i++) u.data[i * k + target] = 0;
    while (candidate < m) {
      const w = new Float64Array(m);
      w[candidate++] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (const j of filled) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += u.data[i * k + j] * w[i];
          for (let i = 0; i < m; i++) w[i] -= dot * u.data[i * k + j];
        }
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += w[i] * w[i];
      norm = Math.sqrt(norm);
      if (norm > 0.5) {
        for (let i = 0; i < m; i++) u.data[i * k + target] = w[i] / norm;
        filled.add(target);
        break;
      }
    }
  }
}

/**
 * Frobenius norm squared of a matrix (its "energy": the sum of its squared singular values).
 *
 * @example
 * frobeniusSquared64(matrix64(1, 2, [3, 4])); // 25
 */
export function frobeniusSquared64(a: Matrix64): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * a.data[i];
  return s;
}
