import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { fromTensor64, orthogonalityError64, transpose64 } from '../../kernel-lib/src/linalg/matrix64';
import { randomizedSvd } from '../../kernel-lib/src/linalg/randomized-svd';
import { exactTruncatedSvd, truncatedSvd } from '../../kernel-lib/src/linalg/truncated-svd';
import { matrixWithSpectrum, maxAbsDiff, projector } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

// clear spectral gap after 6 values: 10..5, then a floor of 0.01
const spectrum = [10, 9, 8, 7, 6, 5, ...Array.from({ length: 34 }, () => 0.01)];
const toTensor = (a: ReturnType<typeof matrixWithSpectrum>) => tf.tensor2d(Float32Array.from(a.data), [a.rows, a.cols]);

describe.each([[80, 40], [40, 80]])('randomized vs exact top-6 subspace of a %ix%i matrix with a spectral gap', (m, n) => {
  const g = () => toTensor(matrixWithSpectrum(m, n, spectrum.slice(0, Math.min(m, n)), 11));

  it('agrees on both sides and the singular values', () => {
    const a = g();
    const exact = exactTruncatedSvd(a, 6, 'both');
    for (const powerIterations of [0, 1]) {
      const approx = randomizedSvd(a, 6, { want: 'both', powerIterations, seed: 3 });
      const uE = fromTensor64(exact.U!); const uR = fromTensor64(approx.U!);
      const vE = transpose64(fromTensor64(exact.Vt!)); const vR = transpose64(fromTensor64(approx.Vt!));
      expect(orthogonalityError64(uR)).toBeLessThan(1e-5);
      expect(orthogonalityError64(vR)).toBeLessThan(1e-5);
      // compare projectors, not vectors: invariant to signs and rotations. Without power
      // iterations U is accurate to about floor / sigma_6 = 2e-3; V, one product later, and
      // everything after one power iteration, to about (floor / sigma_6)^2
      const uTol = powerIterations === 0 ? 5e-3 : 1e-4;
      expect(maxAbsDiff(projector(uR).data, projector(uE).data)).toBeLessThan(uTol);
      expect(maxAbsDiff(projector(vR).data, projector(vE).data)).toBeLessThan(1e-4);
      expect(maxAbsDiff(approx.S, exact.S) / exact.S[0]).toBeLessThan(5e-5); // float32 products
      expect(maxAbsDiff(exact.S, spectrum.slice(0, 6))).toBeLessThan(1e-5);
    }
  });

  it('returns only the side asked for, and the same left side as "both"', () => {
    const a = g();
    const left = randomizedSvd(a, 6, { want: 'left' });
    const right = randomizedSvd(a, 6, { want: 'right' });
    expect(left.Vt).toBeNull();
    expect(right.U).toBeNull();
    expect(left.U!.shape).toEqual([m, 6]);
    expect(right.Vt!.shape).toEqual([6, n]);
    const exact = exactTruncatedSvd(a, 6, 'both');
    expect(maxAbsDiff(projector(fromTensor64(left.U!)).data, projector(fromTensor64(exact.U!)).data)).toBeLessThan(1e-4);
  });
});

describe('randomizedSvd details', () => {
  it('is deterministic for a seed and differs across seeds only within the noise floor', () => {
    const a = toTensor(matrixWithSpectrum(60, 30, spectrum.slice(0, 30), 2));
    const x = randomizedSvd(a, 4, { seed: 1 });
    const y = randomizedSvd(a, 4, { seed: 1 });
    expect(Array.from(x.U!.dataSync())).toEqual(Array.from(y.U!.dataSync()));
    const z = randomizedSvd(a, 4, { seed: 2 });
    expect(maxAbsDiff(projector(fromTensor64(z.U!)).data, projector(fromTensor64(x.U!)).data)).toBeLessThan(1e-4);
  });

  it('clips rank to min(m, n) and still returns orthonormal factors for a rank-deficient matrix', () => {
    const a = toTensor(matrixWithSpectrum(12, 8, [5, 3], 8)); // rank 2
    const svd = randomizedSvd(a, 20, { want: 'both' });
    expect(svd.S.length).toBe(8);
    expect(orthogonalityError64(fromTensor64(svd.U!))).toBeLessThan(1e-4);
    expect(orthogonalityError64(transpose64(fromTensor64(svd.Vt!)))).toBeLessThan(1e-4);
    expect(svd.S[0]).toBeCloseTo(5, 4);
    expect(svd.S[1]).toBeCloseTo(3, 4);
  });

  it('the two eigen-solvers give the same subspace', () => {
    const a = toTensor(matrixWithSpectrum(50, 50, spectrum.slice(0, 40), 12));
    const q = randomizedSvd(a, 6, { want: 'left', eigenSolver: 'tridiagonal-ql' });
    const j = randomizedSvd(a, 6, { want: 'left', eigenSolver: 'jacobi' });
    expect(maxAbsDiff(projector(fromTensor64(q.U!)).data, projector(fromTensor64(j.U!)).data)).toBeLessThan(1e-5);
  });

  it('rejects bad options with messages that say what was expected', () => {
    const a = tf.zeros([4, 4]) as tf.Tensor2D;
    expect(() => truncatedSvd(a, 2, { method: 'qr' as never })).toThrow(/"exact" or "randomized"/);
    expect(() => randomizedSvd(a, 0)).toThrow(/rank must be >= 1/);
    expect(() => randomizedSvd(a, 2, { eigenSolver: 'lanczos' as never })).toThrow(/eigenSolver/);
  });
});

describe('A^T x over row blocks (large gradients never become a packed matmul operand)', () => {
  it('equals the direct product', async () => {
    const { blockedTransposedProduct } = await import('../../kernel-lib/src/linalg/randomized-svd');
    const a = tf.randomNormal([5000, 300], 0, 1, 'float32', 1) as tf.Tensor2D; // 2 blocks of 2^20 / 300 rows
    const x = tf.randomNormal([5000, 16], 0, 1, 'float32', 2) as tf.Tensor2D;
    const direct = tf.matMul(x, a, true, false).dataSync();
    const blocked = blockedTransposedProduct(a, x);
    expect(blocked.shape).toEqual([300, 16]);
    const b = tf.transpose(blocked).dataSync();
    let worst = 0; let scale = 0;
    for (let i = 0; i < direct.length; i++) { worst = Math.max(worst, Math.abs(b[i] - direct[i])); scale = Math.max(scale, Math.abs(direct[i])); }
    expect(worst / scale).toBeLessThan(1e-5);
    tf.dispose([a, x, blocked]);
  });
});
