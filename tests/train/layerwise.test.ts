import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { galoreAdamW } from '../../kernel-lib/src/optim/galore-adamw';
import { layerwiseParams, trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

const data = (() => {
  const rng = seededRandom(8);
  return Array.from({ length: 6 }, () => { const ids = Array.from({ length: 12 }, () => rng.int(97)); return { inputIds: ids, labels: ids.slice() }; });
})();
const opts = { steps: 4, batchSize: 3, seqLen: 12, lr: 5e-3, scheduler: 'linear' as const, maxGradNorm: 0, progress: false, seed: 2 };

function maxDiff(a: Qwen2ForCausalLM, b: Qwen2ForCausalLM): number {
  let d = 0;
  for (const [n, v] of a.weights) {
    const x = v.dataSync(); const y = b.weights.get(n)!.dataSync();
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  }
  return d;
}

describe('layer-wise updates', () => {
  for (const tied of [false, true]) {
    it(`give the same training as stepping after the backward pass (AdamW, tied=${tied})`, async () => {
      const cfg = tinyConfig({ tie_word_embeddings: tied });
      const a = Qwen2ForCausalLM.init(cfg, 3);
      const b = Qwen2ForCausalLM.init(cfg, 3);
      const ra = await trainModel(a, adamW({ weightDecay: 0.01 }), data, opts);
      const rb = await trainModel(b, adamW({ weightDecay: 0.01 }), data, { ...opts, layerwise: true });
      rb.log.forEach((r, i) => {
        expect(r.loss).toBeCloseTo(ra.log[i].loss, 5);
        expect(r.grad_norm).toBeCloseTo(ra.log[i].grad_norm, 4);
      });
      expect(maxDiff(a, b)).toBeLessThan(1e-5);
      const sunk = layerwiseParams(b, b.trainableParams()).map((p) => p.name);
      expect(sunk).toContain('model.layers.0.mlp.down_proj.weight');
      expect(sunk.includes('model.embed_tokens.weight')).toBe(false);
      expect(sunk.includes('lm_head.weight')).toBe(!tied);
      a.dispose(); b.dispose();
    });
  }

  it('work with GaLore and free each gradient: the tape returns only norms and biases', async () => {
    const cfg = tinyConfig();
    const m = Qwen2ForCausalLM.init(cfg, 4);
    const opt = galoreAdamW({ rank: 4, update_proj_gap: 2, onWarning: () => undefined });
    const before = m.weights.get('model.layers.1.self_attn.q_proj.weight')!.dataSync().slice();
    const res = await trainModel(m, opt, data, { ...opts, layerwise: true });
    expect(res.log[3].loss).toBeLessThan(res.log[0].loss);
    const after = m.weights.get('model.layers.1.self_attn.q_proj.weight')!.dataSync();
    expect(Array.from(after)).not.toEqual(Array.from(before));
    expect(opt.subspaceStats().size ?? Object.keys(opt.subspaceStats()).length).toBeGreaterThan(0);
    opt.dispose(); m.dispose();
  });

  it('refuse gradient accumulation', async () => {
    const m = Qwen2ForCausalLM.init(tinyConfig(), 5);
    await expect(trainModel(m, adamW(), data, { ...opts, layerwise: true, gradAccumSteps: 2 })).rejects.toThrow(/accumulate/);
    m.dispose();
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});
