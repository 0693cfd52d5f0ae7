import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { referenceLoss } from '../helpers/qwen2-reference';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

describe('hand-written gradients (custom-gradient matmuls, embedding scatter-add, cross-entropy)', () => {
  it('agree with float64 central differences of the reference loss on every kind of weight', () => {
    const cfg = tinyConfig({ tie_word_embeddings: true });
    const model = Qwen2ForCausalLM.init(cfg, 21);
    const seqs = [[3, 14, 15, 92, 65, 35], [2, 71, 82, 81, 82, 8]];
    const labels = [[-100, 14, 15, 92, 65, 35], [2, 71, 82, 81, -100, 8]];
    const params = model.trainableParams();
    const { grads } = tf.variableGrads(
      () => model.loss(Int32Array.from(seqs.flat()), Int32Array.from(labels.flat()), 2, 6),
      params.map((p) => p.variable),
    );
    const base = model.weightData();
    const rng = seededRandom(5);
    const names = ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.bias',
      'model.layers.1.self_attn.v_proj.weight', 'model.layers.1.self_attn.o_proj.weight', 'model.layers.0.mlp.gate_proj.weight',
      'model.layers.1.mlp.down_proj.weight', 'model.layers.0.input_layernorm.weight', 'model.norm.weight'];
    for (const name of names) {
      const g = grads[params.find((p) => p.name === name)!.variable.name].dataSync();
      // the largest-gradient entry plus two random ones
      let top = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[top])) top = i;
      for (const idx of [top, rng.int(g.length), rng.int(g.length)]) {
        const h = 1e-3;
        const w = base.get(name)!;
        const orig = w.data[idx];
        w.data[idx] = orig + h; const up = referenceLoss(cfg, base, seqs, labels);
        w.data[idx] = orig - h; const down = referenceLoss(cfg, base, seqs, labels);
        w.data[idx] = orig;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(g[idx] - numeric), `${name}[${idx}]: ${g[idx]} vs ${numeric}`).toBeLessThan(2e-3 + 1e-2 * Math.abs(numeric));
      }
      expect(Math.abs(g[top])).toBeGreaterThan(1e-4);
    }
    Object.values(grads).forEach((t) => t.dispose());
    model.dispose();
  });
});
