import * as tf from '@tensorflow/tfjs';
import { sliceRows, transpose2d } from '../model/primitives';
import { LARGE_MATRIX_ELEMENTS, rowsPerBlock } from './large-matrix';
import { orthonormalizeColumns } from './cholesky-qr';
import { SymmetricEigen, jacobiEigen } from './jacobi-eigen';
import { symmetricEigen } from './symmetric-eigen';
import { Matrix64, gram64 } from './matrix64';
import { gaussianMatrix } from './random-matrix';
import { SingularSide, TruncatedSvd } from './svd-types';

export interface RandomizedSvdOptions {
  /** Extra sketch columns beyond the rank; default `rank` (sketch of 2 x rank), capped by min(m, n). */
  oversample?: number;
  /** Subspace (power) iterations; default 1. Each costs two more products with g. */
  powerIterations?: number;
  /** Seed of the Gaussian test matrix; default 0. */
  seed?: number;
  /** Which singular vectors to return; default 'both'. */
  want?: SingularSide;
  /**
   * Solver for the small l x l eigenproblem: 'tridiagonal-ql' (default,
   * Householder + implicit QL, ~3x faster at l = 128) or 'jacobi' (cyclic
   * Jacobi, the simplest correct one). Both are float64 and agree to ~1e-15.
   */
  eigenSolver?: 'tridiagonal-ql' | 'jacobi';
}

/**
 * Top-`rank` singular triplets of a 2-D float32 tensor by randomized subspace
 * iteration (Halko, Martinsson & Tropp 2011, algorithms 4.4 + 5.1):
 *
 *   Q = orth(A Ω)                          Ω: n x l Gaussian, l = rank + oversample
 *   repeat q times: Q = orth(A orth(A^T Q))
 *   W = A^T Q;  W^T W = E diag(λ) E^T      (l x l, float64 Gram + eigen-solve)
 *   U = Q E_r,  V = W E_r diag(1/sqrt(λ_r)),  S = sqrt(λ_r)
 *
 * `orth` is CholeskyQR with a float64 Gram (see `orthonormalizeColumns`): one
 * pass for intermediate bases, CholeskyQR2 with a check for the last one.
 * The big products run on the backend as plain 2-D matmuls; everything
 * l x l runs in float64 JavaScript. V comes from one more product with the
 * matrix than U and is the more accurate side, so when only U is wanted the
 * method runs on A^T. Deterministic for a given seed.
 *
 * @example
 * const g = tf.randomNormal([1024, 1024]) as tf.Tensor2D;
 * const { U, S } = randomizedSvd(g, 64, { want: 'left', powerIterations: 1 });
 * // U: 1024 x 64 orthonormal columns, S: 64 singular values
 */
export function randomizedSvd(g: tf.Tensor2D, rank: number, options: RandomizedSvdOptions = {}): TruncatedSvd {
  const [m, n] = g.shape;
  const r = Math.min(rank, m, n);
  if (!(r >= 1)) throw new Error(`randomizedSvd: rank must be >= 1, got ${rank} for a ${m}x${n} matrix`);
  const want = options.want ?? 'both';
  const oversample = options.oversample ?? r;
  const q = options.powerIterations ?? 1;
  const eigen = options.eigenSolver === 'jacobi' ? jacobiEigen : symmetricEigen;
  if (options.eigenSolver && !['jacobi', 'tridiagonal-ql'].includes(options.eigenSolver)) {
    throw new Error(`randomizedSvd: eigenSolver must be "tridiagonal-ql" or "jacobi", got "${options.eigenSolver}"`);
  }
  const seed = options.seed ?? 0;
  if (!(oversample >= 0) || !(q >= 0)) {
    throw new Error(`randomizedSvd: oversample and powerIterations must be >= 0, got ${oversample}, ${q}`);
  }
  const op = matrixOperator(g);
  if (want === 'left') {
    // left singular vectors of g = right singular vectors of g^T
    const core = subspaceIteration(transposeOperator(op), r, oversample, q, seed, false, eigen);
    return { U: core.V, Vt: null, S: core.S };
  }
  const core = subspaceIteration(op, r, oversample, q, seed, want === 'both', eigen);
  const Vt = tf.transpose(core.V) as tf.Tensor2D;
  core.V.dispose();
  return { U: core.U, Vt, S: core.S };
}

/** A matrix seen only through products with tall thin matrices (x: cols x l or rows x l). */
interface LinearOperator {
  rows: number;
  cols: number;
  /** A x */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  /** A^T x, without transposing A (a transpose flag or a full transpose is slow on wasm). */
  applyTransposed(x: tf.Tensor2D): tf.Tensor2D;
}


function matrixOperator(a: tf.Tensor2D): LinearOperator {
  const [rows, cols] = a.shape;
  return {
    rows,
    cols,
    apply: (x) => tf.matMul(a, x) as tf.Tensor2D,
    // A^T x = (x^T A)^T: only the thin matrices are transposed
    applyTransposed: (x) => (a.size >= LARGE_MATRIX_ELEMENTS
      ? blockedTransposedProduct(a, x)
      : tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(x), a))) as tf.Tensor2D),
  };
}

/** A^T x as the sum over row blocks b of (x_b^T A_b)^T, each block a small copy (a large A never becomes a right operand: large-matrix.ts). */
export function blockedTransposedProduct(a: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = a.shape;
  const step = rowsPerBlock(cols);
  let acc: tf.Tensor2D | null = null;
  for (let r = 0; r < rows; r += step) {
    const n = Math.min(step, rows - r);
    const next: tf.Tensor2D = tf.tidy(() => {
      const part = tf.matMul(transpose2d(sliceRows(x, r, n)), sliceRows(a, r, n)) as tf.Tensor2D; // [l, cols]
      return acc ? tf.add(acc, part) as tf.Tensor2D : part;
    });
    acc?.dispose();
    acc = next;
  }
  const out = tf.transpose(acc!) as tf.Tensor2D;
  acc!.dispose();
  return out;
}

function transposeOperator(op: LinearOperator): LinearOperator {
  return { rows: op.cols, cols: op.rows, apply: op.applyTransposed, applyTransposed: op.apply };
}

interface CoreResult { U: tf.Tensor2D | null; V: tf.Tensor2D; S: Float64Array }

function subspaceIteration(
  a: LinearOperator, r: number, oversample: number, q: number, seed: number, wantU: boolean,
  eigen: (g: Matrix64) => SymmetricEigen,
): CoreResult {
  const { rows, cols } = a;
  const l = Math.min(r + oversample, rows, cols);
  const omega = tf.tensor2d(gaussianMatrix(cols, l, seed), [cols, l]);
  // intermediate bases need to be well conditioned, not exactly orthonormal: one CholeskyQR pass;
  // the last one feeds Rayleigh-Ritz and is made orthonormal to float32 precision
  const orth = (p: tf.Tensor2D, last: boolean): tf.Tensor2D => {
    const o = orthonormalizeColumns(p, { refine: last });
    if (o !== p) p.dispose();
    return o;
  };
  let basis = orth(a.apply(omega), q === 0);
  omega.dispose();
  for (let i = 0; i < q; i++) {
    const z = orth(a.applyTransposed(basis), false);
    basis.dispose();
    basis = orth(a.apply(z), i === q - 1);
    z.dispose();
  }
  const w = a.applyTransposed(basis); // cols x l
  const eig = eigen(gram64(w.dataSync() as Float32Array, cols, l));
  const er = new Float32Array(l * r);
  for (let i = 0; i < l; i++) for (let j = 0; j < r; j++) er[i * r + j] = eig.vectors.data[i * l + j];
  const S = Float64Array.from({ length: r }, (_, j) => Math.sqrt(Math.max(eig.values[j], 0)));
  const erT = tf.tensor2d(er, [l, r]);
  let V: tf.Tensor2D;
  if (S[r - 1] > 1e-6 * S[0]) {
    const inv = tf.tensor1d(Float32Array.from(S, (s) => 1 / s));
    V = tf.tidy(() => tf.mul(tf.matMul(w, erT), inv)) as tf.Tensor2D;
    inv.dispose();
  } else {
    // (numerically) rank-deficient: orthonormalize instead of dividing by ~0
    const we = tf.matMul(w, erT) as tf.Tensor2D;
    V = orthonormalizeColumns(we);
    if (V !== we) we.dispose();
  }
  const U = wantU ? tf.matMul(basis, erT) as tf.Tensor2D : null;
  erT.dispose();
  w.dispose();
  basis.dispose();
  return { U, V, S };
}
