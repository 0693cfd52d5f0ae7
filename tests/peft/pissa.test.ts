import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { jacobiSvd } from '../../kernel-lib/src/linalg/exact-svd';
import { fromTensor64 } from '../../kernel-lib/src/linalg/matrix64';
import { matmul2d } from '../../kernel-lib/src/model/primitives';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { pissaFactors } from '../../kernel-lib/src/peft/lora-init';
import { logits, maxAbs, maxAbsDiff, tinyModel } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

describe('PiSSA initialisation', () => {
  it('splits W into residual + scaling B A, with A, B from the top singular triplets', () => {
    const w = tf.tensor2d([[4, 0, 0, 1], [0, 3, 0, 0], [0, 0, 2, 0]]); // 3 x 4
    const scaling = 2;
    const { A, B, residual } = pissaFactors(w, 2, scaling, null);
    const back = tf.add(residual, tf.mul(matmul2d(B, A), scaling));
    expect(maxAbsDiff(back.dataSync(), w.dataSync())).toBeLessThan(1e-6);
    // A A^T = B^T B = diag(S_r / scaling)
    const svd = jacobiSvd(fromTensor64(w));
    const aat = matmul2d(A, tf.transpose(A)).arraySync();
    const btb = matmul2d(tf.transpose(B), B).arraySync();
    for (let i = 0; i < 2; i++) {
      expect(aat[i][i]).toBeCloseTo(svd.S[i] / scaling, 5);
      expect(btb[i][i]).toBeCloseTo(svd.S[i] / scaling, 5);
      expect(Math.abs(aat[i][1 - i])).toBeLessThan(1e-6);
    }
    // the residual holds what is left: its largest singular value is S_3 = 2
    expect(jacobiSvd(fromTensor64(residual)).S[0]).toBeCloseTo(svd.S[2], 5);
    expect(svd.S[2]).toBeCloseTo(2, 6);
    tf.dispose([w, A, B, residual, back]);
  });

  it('replaces the base weights by the residual and leaves the logits unchanged', () => {
    const model = tinyModel(6);
    const before = logits(model);
    const q0 = model.weights.get('model.layers.0.self_attn.q_proj.weight')!;
    const original = q0.dataSync().slice();
    const adapter = loraAdapter(model, { r: 4, lora_alpha: 8, init_lora_weights: 'pissa', target_modules: 'all-linear' });
    expect(maxAbsDiff(q0.dataSync(), original)).toBeGreaterThan(1e-2); // W was replaced
    const layer = adapter.layers[0];
    const rebuilt = tf.add(q0, layer.deltaWeight());
    expect(maxAbsDiff(rebuilt.dataSync(), original)).toBeLessThan(1e-5);
    expect(maxAbs(layer.B.dataSync())).toBeGreaterThan(0.1);     // unlike LoRA, B starts non-zero
    expect(maxAbsDiff(logits(model), before)).toBeLessThan(1e-4 * Math.max(1, maxAbs(before)));
    // merging gives back the original W
    adapter.merge();
    expect(maxAbsDiff(q0.dataSync(), original)).toBeLessThan(1e-5);
    adapter.unload();
    rebuilt.dispose();
    model.dispose();
  });

  it('pissa_niter_N (randomized SVD) reproduces W too and is close to the exact factors', () => {
    // give v_proj a clear spectral gap after its top 2 singular values (random weights have a flat spectrum)
    const spiked = (seed: number) => {
      const m = tinyModel(seed);
      const v = m.weights.get('model.layers.0.self_attn.v_proj.weight')!;
      const [out, inp] = v.shape;
      v.assign(tf.tidy(() => tf.add(v, tf.add(
        tf.mul(3, matmul2d(tf.randomNormal([out, 1], 0, 1, 'float32', 1) as tf.Tensor2D, tf.randomNormal([1, inp], 0, 1, 'float32', 2) as tf.Tensor2D)),
        tf.mul(2, matmul2d(tf.randomNormal([out, 1], 0, 1, 'float32', 3) as tf.Tensor2D, tf.randomNormal([1, inp], 0, 1, 'float32', 4) as tf.Tensor2D))))));
      return m;
    };
    const model = spiked(7);
    const v0 = model.weights.get('model.layers.0.self_attn.v_proj.weight')!;
    const original = v0.dataSync().slice();
    const exactModel = spiked(7);
    const exact = loraAdapter(exactModel, { r: 2, init_lora_weights: 'pissa' });
    const fast = loraAdapter(model, { r: 2, init_lora_weights: 'pissa_niter_4' });
    const rebuilt = tf.add(v0, fast.layers[1].deltaWeight());
    expect(maxAbsDiff(rebuilt.dataSync(), original)).toBeLessThan(1e-5);
    // B A is sign-free: compare the rank-2 parts
    const d1 = exact.layers[1].deltaWeight().dataSync();
    const d2 = fast.layers[1].deltaWeight().dataSync();
    expect(maxAbsDiff(d1, d2)).toBeLessThan(0.05 * maxAbs(d1));
    exact.unload(); fast.unload(); rebuilt.dispose();
    model.dispose(); exactModel.dispose();
  });

  it('rejects a rank above min(out, in) before touching the model', () => {
    const model = tinyModel(1);
    const w = model.weights.get('model.layers.0.self_attn.v_proj.weight')!.dataSync().slice(); // [16, 32]
    expect(() => loraAdapter(model, { r: 17, init_lora_weights: 'pissa' })).toThrow(/PiSSA rank 17 .*v_proj.* exceeds min\(out, in\) = 16/);
    expect(Array.from(model.weights.get('model.layers.0.self_attn.v_proj.weight')!.dataSync())).toEqual(Array.from(w));
    loraAdapter(model).unload(); // nothing left attached
    model.dispose();
  });
});
