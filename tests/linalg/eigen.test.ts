import { describe, expect, it } from 'vitest';
import { jacobiEigen } from '../../kernel-lib/src/linalg/jacobi-eigen';
import { matmul64, matrix64, orthogonalityError64, transpose64 } from '../../kernel-lib/src/linalg/matrix64';
import { symmetricEigen } from '../../kernel-lib/src/linalg/symmetric-eigen';
import { maxAbsDiff, randomMatrix } from './helpers';

const solvers = { jacobiEigen, symmetricEigen };

describe.each(Object.entries(solvers))('%s', (_, eigen) => {
  it('solves a 2x2 by hand: [[2,1],[1,2]] has eigenvalues 3 and 1', () => {
    const { values, vectors } = eigen(matrix64(2, 2, [2, 1, 1, 2]));
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(vectors.data[0])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors.data[0] * vectors.data[2]).toBeGreaterThan(0); // (1, 1) direction for 3
  });

  it('decomposes a random symmetric 30x30 to working precision, largest first', () => {
    const x = randomMatrix(30, 30, 3);
    const a = matmul64(x, transpose64(x));
    const { values, vectors } = eigen(a);
    expect(orthogonalityError64(vectors)).toBeLessThan(1e-12);
    const av = matmul64(a, vectors);
    let worst = 0;
    for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) {
      worst = Math.max(worst, Math.abs(av.data[i * 30 + j] - vectors.data[i * 30 + j] * values[j]));
    }
    expect(worst / values[0]).toBeLessThan(1e-12);
    for (let i = 1; i < 30; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
  });

  it('converges on a rank-deficient Gram (a large cluster of near-zero eigenvalues)', () => {
    // the Gram of 120 columns spanning only 6 directions, as a low-rank gradient's sketch gives
    const x = randomMatrix(120, 6, 21);
    const y = randomMatrix(6, 120, 22);
    const g = matmul64(x, y);
    const a = matmul64(transpose64(g), g);
    const { values, vectors } = eigen(a);
    expect(orthogonalityError64(vectors)).toBeLessThan(1e-10);
    expect(values[5] / values[0]).toBeGreaterThan(1e-6);
    for (let i = 6; i < 120; i++) expect(Math.abs(values[i])).toBeLessThan(1e-10 * values[0]);
    const av = matmul64(a, vectors);
    let worst = 0;
    for (let i = 0; i < 120; i++) for (let j = 0; j < 120; j++) worst = Math.max(worst, Math.abs(av.data[i * 120 + j] - vectors.data[i * 120 + j] * values[j]));
    expect(worst / values[0]).toBeLessThan(1e-10);
  });

  it('handles diagonal and repeated eigenvalues', () => {
    const { values, vectors } = eigen(matrix64(3, 3, [1, 0, 0, 0, 5, 0, 0, 0, 5]));
    expect(Array.from(values)).toEqual([5, 5, 1]);
    expect(orthogonalityError64(vectors)).toBeLessThan(1e-15);
  });
});

it('Jacobi and tridiagonal QL agree on eigenvalues of a graded matrix', () => {
  const x = randomMatrix(40, 40, 9);
  for (let i = 0; i < 40; i++) for (let j = 0; j < 40; j++) x.data[i * 40 + j] *= Math.exp(-j / 4);
  const a = matmul64(transpose64(x), x);
  const j = jacobiEigen(a); const q = symmetricEigen(a);
  expect(maxAbsDiff(j.values, q.values) / j.values[0]).toBeLessThan(1e-13);
});
