import { describe, expect, it } from 'vitest';
import { jacobiSvd } from '../../kernel-lib/src/linalg/exact-svd';
import { matmul64, matrix64, orthogonalityError64, transpose64 } from '../../kernel-lib/src/linalg/matrix64';
import { matrixWithSpectrum, maxAbsDiff, randomMatrix } from './helpers';

function reconstruct(svd: ReturnType<typeof jacobiSvd>) {
  const k = svd.S.length;
  const us = matrix64(svd.U.rows, k, svd.U.data);
  for (let i = 0; i < us.rows; i++) for (let j = 0; j < k; j++) us.data[i * k + j] *= svd.S[j];
  return matmul64(us, transpose64(svd.V));
}

describe('jacobiSvd (one-sided Jacobi, float64)', () => {
  it('matches a hand computation: [[3,0],[4,5]] has singular values sqrt(45), sqrt(5)', () => {
    const { S, U } = jacobiSvd(matrix64(2, 2, [3, 0, 4, 5]));
    expect(S[0]).toBeCloseTo(Math.sqrt(45), 13);
    expect(S[1]).toBeCloseTo(Math.sqrt(5), 13);
    // a a^T = [[9, 12], [12, 41]]: top eigenvector ∝ (1, 3)
    expect(Math.abs(U.data[2] / U.data[0])).toBeCloseTo(3, 12);
  });

  it.each([[7, 5], [5, 7], [12, 12]])('reconstructs a random %ix%i matrix with orthonormal factors', (m, n) => {
    const a = randomMatrix(m, n, m * 31 + n);
    const svd = jacobiSvd(a);
    expect(svd.S.length).toBe(Math.min(m, n));
    expect(orthogonalityError64(svd.U)).toBeLessThan(1e-13);
    expect(orthogonalityError64(svd.V)).toBeLessThan(1e-13);
    expect(maxAbsDiff(reconstruct(svd).data, a.data)).toBeLessThan(1e-12);
  });

  it('recovers a prescribed spectrum', () => {
    const s = [10, 4, 2, 1, 0.5, 1e-3];
    const { S } = jacobiSvd(matrixWithSpectrum(20, 9, s, 5));
    expect(maxAbsDiff(S.slice(0, 6), s)).toBeLessThan(1e-12);
    expect(S[6]).toBeLessThan(1e-12);
  });

  it('completes U to orthonormal columns for a rank-deficient matrix', () => {
    const a = matrix64(4, 3, [1, 2, 0, 2, 4, 0, 0, 0, 0, 1, 2, 0]); // rank 1
    const svd = jacobiSvd(a);
    expect(svd.S[1]).toBeLessThan(1e-14);
    expect(orthogonalityError64(svd.U)).toBeLessThan(1e-14);
    expect(maxAbsDiff(reconstruct(svd).data, a.data)).toBeLessThan(1e-14);
  });
});
