import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { gramRightSvd } from '../../kernel-lib/src/linalg/gram-svd';
import { exactTruncatedSvd, truncatedSvd } from '../../kernel-lib/src/linalg/truncated-svd';
import { matrixWithSpectrum } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

describe('right singular vectors from the Gram matrix over row blocks', () => {
  it('equal the exact SVD\'s top-r subspace and singular values (a tall matrix of several blocks)', () => {
    const spectrum = Array.from({ length: 24 }, (_, i) => 10 * Math.pow(0.7, i));
    const m64 = matrixWithSpectrum(50000, 24, spectrum, 3); // 50000 rows: two blocks of 2^20 / 24
    const g = tf.tensor2d(Float32Array.from(m64.data), [50000, 24]);
    const gram = gramRightSvd(g, 5);
    const exact = exactTruncatedSvd(g, 5, 'right');
    expect(gram.U).toBeNull();
    for (let j = 0; j < 5; j++) expect(gram.S[j]).toBeCloseTo(exact.S[j], 3);
    // same subspace: the projectors Vt^T Vt agree
    const p = (vt: tf.Tensor2D) => tf.matMul(vt, vt, true, false).dataSync();
    const a = p(gram.Vt!); const b = p(exact.Vt!);
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    expect(d).toBeLessThan(1e-4);
    tf.dispose([g, gram.Vt!, exact.Vt!]);
  });

  it('is what truncatedSvd uses for a large tall gradient asking for its right side, and only then', () => {
    const big = tf.randomNormal([2 ** 16, 256], 0, 1, 'float32', 4) as tf.Tensor2D; // 2^24 values
    const r = truncatedSvd(big, 8, { want: 'right' });
    expect(r.U).toBeNull();
    expect(r.Vt!.shape).toEqual([8, 256]);
    const small = tf.randomNormal([512, 64], 0, 1, 'float32', 5) as tf.Tensor2D;
    const s = truncatedSvd(small, 8, { want: 'both' });
    expect(s.U).not.toBeNull();
    tf.dispose([big, small, r.Vt!, s.U!, s.Vt!]);
  });
});
