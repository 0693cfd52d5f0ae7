import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { AdamW } from '../../kernel-lib/src/optim/adamw';

beforeAll(async () => { await initBackend('wasm'); });

describe('AdamW (PyTorch semantics)', () => {
  it('matches a hand computation over three steps with weight decay', () => {
    const p = { name: 'model.layers.0.mlp.up_proj.weight', variable: tf.variable(tf.tensor2d([[1, -2]])) };
    const opt = new AdamW({ betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.1 });
    const grads = [[0.5, -1], [0.25, 2], [-1, 0]];
    const lr = 0.01;
    // hand reference: torch.optim.AdamW step by step, in float64
    const w = [1, -2]; const m = [0, 0]; const v = [0, 0];
    grads.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 2; i++) {
        w[i] *= 1 - lr * 0.1;
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
        const denom = Math.sqrt(v[i]) / Math.sqrt(1 - 0.99 ** t) + 1e-8;
        w[i] -= (lr / (1 - 0.9 ** t)) * (m[i] / denom);
      }
      opt.step([p], { [p.name]: tf.tensor2d([g]) }, lr);
    });
    const got = p.variable.dataSync();
    expect(got[0]).toBeCloseTo(w[0], 6);
    expect(got[1]).toBeCloseTo(w[1], 6);
    expect(opt.stateBytes()).toBe(2 * 2 * 4);
  });

  it('does not decay biases and norm weights (HF Trainer rule)', () => {
    const bias = { name: 'model.layers.0.self_attn.q_proj.bias', variable: tf.variable(tf.tensor1d([1])) };
    const opt = new AdamW({ weightDecay: 0.5 });
    opt.step([bias], { [bias.name]: tf.tensor1d([0]) }, 0.1); // zero grad: only decay could move it
    expect(bias.variable.dataSync()[0]).toBe(1);
  });

  it('snapshot/restore continues bit-identically', () => {
    const mk = () => ({ name: 'w', variable: tf.variable(tf.tensor1d([0.3, -0.7, 2])) });
    const a = mk(); const b = mk();
    const optA = new AdamW({ weightDecay: 0.01 });
    const gs = [[1, 2, 3], [-1, 0.5, 0], [0.1, 0.1, -4], [2, 2, 2]].map((g) => tf.tensor1d(g));
    gs.forEach((g) => optA.step([a], { w: g }, 0.05));
    const optB1 = new AdamW({ weightDecay: 0.01 });
    gs.slice(0, 2).forEach((g) => optB1.step([b], { w: g }, 0.05));
    const optB2 = new AdamW({ weightDecay: 0.01 });
    optB2.restore(optB1.snapshot());
    gs.slice(2).forEach((g) => optB2.step([b], { w: g }, 0.05));
    expect(Array.from(b.variable.dataSync())).toEqual(Array.from(a.variable.dataSync()));
  });

  it('rejects bad hyper-parameters', () => {
    expect(() => new AdamW({ betas: [1, 0.9] })).toThrow(/betas/);
    expect(() => new AdamW({ eps: 0 })).toThrow(/eps/);
  });
});
