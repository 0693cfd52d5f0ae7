/**
 * The top right singular vectors of a large tall matrix from its Gram matrix
 * G^T G [n, n], accumulated over blocks of rows in float64 and diagonalised
 * exactly (`symmetricEigen`). For an embedding's gradient ([151936, 896]) this
 * needs a few MB of blocks where a randomized sketch needs [m, 2r] matrices
 * (0.45 GB), and its result is the exact top-r subspace.
 *
 * The Gram squares the condition number: singular values below about 1e-4 of
 * the largest lose relative accuracy (GaLore keeps the largest ones).
 */
import * as tf from '@tensorflow/tfjs';
import { sliceRows, transpose2d } from '../model/primitives';
import { rowsPerBlock } from './large-matrix';
import { matrix64 } from './matrix64';
import { symmetricEigen } from './symmetric-eigen';
import { TruncatedSvd } from './svd-types';

/**
 * Top-`rank` singular values and right singular vectors (Vt [r, n]) of a tall
 * g [m, n] through G^T G (see the module comment). U is not formed.
 *
 * @example
 * const { Vt, S } = gramRightSvd(grad, 128); // grad: [151936, 896]
 */
export function gramRightSvd(g: tf.Tensor2D, rank: number): TruncatedSvd {
  const [m, n] = g.shape;
  const r = Math.min(rank, m, n);
  if (!(r >= 1)) throw new Error(`gramRightSvd: rank must be >= 1, got ${rank} for a ${m}x${n} matrix`);
  const gram = new Float64Array(n * n);
  const step = rowsPerBlock(n);
  for (let a = 0; a < m; a += step) {
    const rows = Math.min(step, m - a);
    const part = tf.tidy(() => {
      const block = sliceRows(g, a, rows); // a copy: g itself is never a matmul's right operand
      return tf.matMul(transpose2d(block), block);
    });
    const v = part.dataSync();
    for (let i = 0; i < v.length; i++) gram[i] += v[i];
    part.dispose();
  }
  const eig = symmetricEigen(matrix64(n, n, gram)); // largest first; vectors in columns
  const vt = new Float32Array(r * n);
  for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) vt[j * n + i] = eig.vectors.data[i * n + j];
  const S = Float64Array.from({ length: r }, (_, j) => Math.sqrt(Math.max(eig.values[j], 0)));
  return { U: null, Vt: tf.tensor2d(vt, [r, n]), S };
}
