import { Matrix64, identity64, matrix64 } from './matrix64';
import { SymmetricEigen } from './jacobi-eigen';

/**
 * Eigen-decomposition of a symmetric matrix by Householder reduction to
 * tridiagonal form and the implicit QL iteration with shifts, in float64.
 * About 9 n^3 flops in all, several times faster than cyclic Jacobi
 * (`jacobiEigen`, the reference it is tested against); this is the eigen-solve
 * randomized SVD uses on its l x l Gram matrix. Only the upper triangle is read.
 *
 * @example
 * const { values } = symmetricEigen(matrix64(2, 2, [2, 1, 1, 2]));
 * // values = [3, 1]
 */
export function symmetricEigen(a: Matrix64): SymmetricEigen {
  const n = a.rows;
  if (a.cols !== n) throw new Error(`symmetricEigen: expected a square matrix, got ${a.rows}x${a.cols}`);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) { const x = a.data[i * n + j]; A[i * n + j] = x; A[j * n + i] = x; }
  }
  const Z = identity64(n).data;
  tridiagonalize(A, Z, n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = A[i * n + i];
  for (let i = 0; i < n - 1; i++) e[i] = A[(i + 1) * n + i];
  const sweeps = implicitQl(d, e, Z, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const vectors = matrix64(n, n);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) vectors.data[k * n + j] = Z[k * n + order[j]];
  return { values: Float64Array.from(order, (i) => d[i]), vectors, sweeps };
}

/** A <- H A H column by column (Householder), Z <- Z H; leaves A tridiagonal. */
function tridiagonalize(A: Float64Array, Z: Float64Array, n: number): void {
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let tail = 0;
    for (let i = k + 2; i < n; i++) tail += A[i * n + k] * A[i * n + k];
    if (tail === 0) continue; // column already tridiagonal
    const x0 = A[(k + 1) * n + k];
    const norm = Math.sqrt(x0 * x0 + tail);
    const alpha = x0 >= 0 ? -norm : norm;
    v.fill(0);
    v[k + 1] = x0 - alpha;
    for (let i = k + 2; i < n; i++) v[i] = A[i * n + k];
    let vv = 0;
    for (let i = k + 1; i < n; i++) vv += v[i] * v[i];
    const beta = 2 / vv;
    // p = beta B v on the trailing block B = A[k+1:, k+1:]
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = k + 1; j < n; j++) s += A[row + j] * v[j];
      w[i] = beta * s;
      vp += v[i] * w[i];
    }
    const K = (beta / 2) * vp;
    for (let i = k + 1; i < n; i++) w[i] -= K * v[i];
    for (let i = k + 1; i < n; i++) {
      const row = i * n; const vi = v[i]; const wi = w[i];
      for (let j = k + 1; j < n; j++) A[row + j] -= vi * w[j] + wi * v[j];
    }
    A[(k + 1) * n + k] = alpha; A[k * n + k + 1] = alpha;
    for (let i = k + 2; i < n; i++) { A[i * n + k] = 0; A[k * n + i] = 0; }
    // Z <- Z (I - beta v v^T)
    for (let r = 0; r < n; r++) {
      const row = r * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += Z[row + j] * v[j];
      if (s === 0) continue;
      s *= beta;
      for (let j = k + 1; j < n; j++) Z[row + j] -= s * v[j];
    }
  }
}

/**
 * Diagonalize the symmetric tridiagonal (d, e) in place by implicit QL steps
 * with a shift from the leading 2x2 block, rotating the columns of Z along.
 * e[i] couples d[i] and d[i+1]. Returns the number of QL steps taken.
 */
function implicitQl(d: Float64Array, e: Float64Array, Z: Float64Array, n: number): number {
  let steps = 0;
  // EISPACK tql2's test: a coupling is negligible next to the largest |d| + |e| seen so far, so
  // clusters of (near-)zero eigenvalues of a rank-deficient matrix converge too
  let scale = 0;
  for (let l = 0; l < n; l++) {
    scale = Math.max(scale, Math.abs(d[l]) + Math.abs(e[l]));
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        if (Math.abs(e[m]) <= Number.EPSILON * scale) break;
      }
      if (m === l) break;
      if (iter >= 60) throw new Error(`symmetricEigen: no convergence for eigenvalue ${l} after 60 QL steps`);
      steps++;
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1; let c = 1; let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) { d[i + 1] -= p; e[m] = 0; break; }
        s = f / r; c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (let k = 0; k < n; k++) {
          const row = k * n;
          const zi1 = Z[row + i + 1]; const zi = Z[row + i];
          Z[row + i + 1] = s * zi + c * zi1;
          Z[row + i] = c * zi - s * zi1;
        }
      }
      if (r === 0 && i >= l) continue;
      d[l] -= p; e[l] = g; e[m] = 0;
    }
  }
  return steps;
}
