import { householderQ64 } from '../../kernel-lib/src/linalg/householder-qr';
import { Matrix64, matmul64, matrix64, transpose64 } from '../../kernel-lib/src/linalg/matrix64';
import { seededRandom } from '../../kernel-lib/src/util/random';

/** A rows x cols matrix of seeded standard normals. */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix64 {
  const rng = seededRandom(seed);
  return matrix64(rows, cols, Array.from({ length: rows * cols }, () => rng.normal()));
}

/** U diag(s) V^T with random orthonormal U (m x k), V (n x k), k = s.length. */
export function matrixWithSpectrum(m: number, n: number, s: number[], seed: number): Matrix64 {
  const k = s.length;
  const u = householderQ64(randomMatrix(m, k, seed));
  const v = householderQ64(randomMatrix(n, k, seed + 1));
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) u.data[i * k + j] *= s[j];
  return matmul64(u, transpose64(v));
}

/** max |a - b| entrywise. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The orthogonal projector B B^T onto the span of B's columns (sign- and rotation-invariant). */
export function projector(b: Matrix64): Matrix64 {
  return matmul64(b, transpose64(b));
}
