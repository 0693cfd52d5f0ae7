import * as tf from '@tensorflow/tfjs';
import { householderQ64 } from '../../kernel-lib/src/linalg/householder-qr';
import { Matrix64, matmul64, matrix64, transpose64 } from '../../kernel-lib/src/linalg/matrix64';
import { seededRandom } from '../../kernel-lib/src/util/random';

export function randomMatrix(rows: number, cols: number, seed: number): Matrix64 {
  const rng = seededRandom(seed);
  return matrix64(rows, cols, Array.from({ length: rows * cols }, () => rng.normal()));
}

/** g = U diag(s) V^T with known orthonormal U (m x k), V (n x k). */
export function knownSvd(m: number, n: number, s: number[], seed: number) {
  const k = s.length;
  const u = householderQ64(randomMatrix(m, k, seed));
  const v = householderQ64(randomMatrix(n, k, seed + 1));
  const us = matrix64(m, k, u.data);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) us.data[i * k + j] *= s[j];
  return { g: matmul64(us, transpose64(v)), u, v };
}

export function firstCols(a: Matrix64, r: number): Matrix64 {
  const out = matrix64(a.rows, r);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < r; j++) out.data[i * r + j] = a.data[i * a.cols + j];
  return out;
}

export const toTensor = (a: Matrix64) => tf.tensor2d(Float32Array.from(a.data), [a.rows, a.cols]);

export interface ReferenceConfig {
  lr: number; betas: [number, number]; eps: number; weightDecay: number; scale: number;
}

/**
 * galore-torch's AdamW step for one weight, in float64, written out from its
 * adamw.py: project, moments, eps on raw sqrt(v), step size lr sqrt(bc2)/bc1,
 * project back times scale, then decoupled decay of the updated weight.
 * `left` (m x r) / `right` (n x r) are the bases (either may be null).
 */
export class ReferenceGaLore {
  m: Float64Array | null = null;
  v: Float64Array | null = null;
  t = 0;
  constructor(public w: Matrix64, private c: ReferenceConfig) {}

  step(g: Matrix64, left: Matrix64 | null, right: Matrix64 | null): void {
    let low = g;
    if (left) low = matmul64(transpose64(left), low);
    if (right) low = matmul64(low, right);
    const n = low.data.length;
    if (!this.m) { this.m = new Float64Array(n); this.v = new Float64Array(n); }
    const [b1, b2] = this.c.betas;
    this.t += 1;
    const norm = matrix64(low.rows, low.cols);
    for (let i = 0; i < n; i++) {
      this.m[i] = b1 * this.m[i] + (1 - b1) * low.data[i];
      this.v![i] = b2 * this.v![i] + (1 - b2) * low.data[i] * low.data[i];
      norm.data[i] = this.m[i] / (Math.sqrt(this.v![i]) + this.c.eps);
    }
    let back = norm;
    if (left) back = matmul64(left, back);
    if (right) back = matmul64(back, transpose64(right));
    const stepSize = (this.c.lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (let i = 0; i < this.w.data.length; i++) {
      this.w.data[i] -= stepSize * this.c.scale * back.data[i];
      this.w.data[i] -= this.c.lr * this.c.weightDecay * this.w.data[i];
    }
  }
}
