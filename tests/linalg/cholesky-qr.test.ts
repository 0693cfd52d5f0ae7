import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import {
  OrthonormalizeReport, cholesky64, invertUpper64, orthonormalizeColumns,
} from '../../kernel-lib/src/linalg/cholesky-qr';
import { householderQ64 } from '../../kernel-lib/src/linalg/householder-qr';
import { fromTensor64, gram64, matmul64, matrix64, orthogonalityError64, transpose64 } from '../../kernel-lib/src/linalg/matrix64';
import { matrixWithSpectrum, maxAbsDiff, projector, randomMatrix } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

const toTensor = (a: ReturnType<typeof randomMatrix>) => tf.tensor2d(Float32Array.from(a.data), [a.rows, a.cols]);

describe('Cholesky pieces (float64)', () => {
  it('factors [[4,2],[2,5]] as r^T r with r = [[2,1],[0,2]]', () => {
    const { r, conditionEstimate } = cholesky64(matrix64(2, 2, [4, 2, 2, 5]));
    expect(Array.from(r!.data)).toEqual([2, 1, 0, 2]);
    expect(conditionEstimate).toBe(1);
  });

  it('reports failure on an indefinite matrix instead of throwing', () => {
    expect(cholesky64(matrix64(2, 2, [1, 2, 2, 1])).r).toBeNull();
  });

  it('inverts an upper-triangular matrix', () => {
    expect(Array.from(invertUpper64(matrix64(2, 2, [2, 1, 0, 4])).data)).toEqual([0.5, -0.125, 0, 0.25]);
  });
});

describe('householderQ64', () => {
  it('returns orthonormal columns spanning the input', () => {
    const a = randomMatrix(9, 4, 1);
    const q = householderQ64(a);
    expect(orthogonalityError64(q)).toBeLessThan(1e-14);
    // Q Q^T a = a
    expect(maxAbsDiff(matmul64(projector(q), a).data, a.data)).toBeLessThan(1e-13);
  });

  it('still returns orthonormal columns for zero input', () => {
    expect(orthogonalityError64(householderQ64(matrix64(5, 3)))).toBe(0);
  });
});

describe('orthonormalizeColumns (CholeskyQR2, float64 Gram)', () => {
  it('orthonormalizes a random tall matrix and keeps its span', () => {
    const a = randomMatrix(200, 16, 2);
    const report: OrthonormalizeReport = { passes: 0, fallback: false };
    const q = fromTensor64(orthonormalizeColumns(toTensor(a), {}, report));
    expect(report.fallback).toBe(false);
    expect(orthogonalityError64(q)).toBeLessThan(1e-5);
    expect(maxAbsDiff(projector(q).data, projector(householderQ64(a)).data)).toBeLessThan(1e-5);
  });

  it('copes with condition number 1e5, where float32 CholeskyQR breaks down', () => {
    const s = Array.from({ length: 16 }, (_, i) => 10 ** (-5 * i / 15));
    const a = matrixWithSpectrum(300, 16, s, 4);
    const report: OrthonormalizeReport = { passes: 0, fallback: false };
    const q = fromTensor64(orthonormalizeColumns(toTensor(a), {}, report));
    expect(report.fallback).toBe(false);
    expect(orthogonalityError64(q)).toBeLessThan(1e-4);
    // float32 Gram on the same input fails: its Cholesky is not positive definite or loses orthogonality
    const g32 = tf.tidy(() => { const t = toTensor(a); return tf.matMul(tf.transpose(t), t); });
    const c32 = cholesky64({ rows: 16, cols: 16, data: Float64Array.from(Float32Array.from(g32.dataSync())) });
    expect(c32.r === null || c32.conditionEstimate > 1e3).toBe(true);
  });

  it('falls back to Householder for rank-deficient input and still returns orthonormal columns', () => {
    const a = matrixWithSpectrum(50, 10, [3, 2, 1], 6); // rank 3, 10 columns
    const report: OrthonormalizeReport = { passes: 0, fallback: false };
    const q = fromTensor64(orthonormalizeColumns(toTensor(a), {}, report));
    expect(orthogonalityError64(q)).toBeLessThan(1e-5);
    // its span contains the input's column space
    expect(maxAbsDiff(matmul64(projector(q), a).data, a.data)).toBeLessThan(1e-5);
    expect(report.fallback || report.passes > 1).toBe(true);
  });

  it('handles an all-zero block', () => {
    const q = fromTensor64(orthonormalizeColumns(tf.zeros([20, 4]) as tf.Tensor2D));
    expect(orthogonalityError64(q)).toBeLessThan(1e-6);
  });

  it('rejects wide input with a clear message', () => {
    expect(() => orthonormalizeColumns(tf.zeros([3, 5]) as tf.Tensor2D)).toThrow(/rows >= columns/);
  });
});

it('transpose64 and matmul64 agree with a hand product', () => {
  const a = matrix64(2, 3, [1, 2, 3, 4, 5, 6]);
  expect(Array.from(matmul64(a, transpose64(a)).data)).toEqual([14, 32, 32, 77]);
});

it('gram64 equals a^T a for row counts on and off its 8-row blocking', () => {
  expect(Array.from(gram64(new Float32Array([1, 2, 3, 4]), 2, 2).data)).toEqual([10, 14, 14, 20]);
  for (const rows of [8, 13, 21]) {
    const a = randomMatrix(rows, 5, rows);
    expect(maxAbsDiff(gram64(a.data, rows, 5).data, matmul64(transpose64(a), a).data)).toBeLessThan(1e-12);
  }
});
