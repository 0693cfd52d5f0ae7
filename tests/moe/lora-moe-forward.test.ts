import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { loraMoE, attachedLoraMoE } from '../../kernel-lib/src/moe/lora-moe-adapter';
import { resolveLoraMoeConfig } from '../../kernel-lib/src/moe/moe-config';
import { topKMask } from '../../kernel-lib/src/moe/routing';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { IDS, logits, maxAbs, maxAbsDiff, tinyModel } from '../peft/helpers';

beforeAll(async () => { await initBackend('wasm'); });

/** Gives every expert's B random values, so the experts change the output. */
function randomiseB(moe: ReturnType<typeof loraMoE>, seed = 5): void {
  for (const l of moe.layers) {
    const v = tf.randomNormal(l.B.shape, 0, 0.3, 'float32', seed++);
    l.B.assign(v);
    v.dispose();
  }
}

describe('LoRA-MoE forward', () => {
  it('with zero B factors (the initialisation) the logits equal the base model, and unload restores the model', () => {
    const model = tinyModel(1);
    const before = logits(model);
    const moe = loraMoE(model, { num_experts: 4, top_k: 2, r: 2, target_modules: 'all-linear', seed: 3 });
    expect(moe.layers).toHaveLength(14);
    for (const l of moe.layers) {
      expect(maxAbs(l.B.dataSync())).toBe(0);
      expect(maxAbs(l.A.dataSync())).toBeGreaterThan(0);
      expect(maxAbs(l.router.dataSync())).toBeGreaterThan(0);
    }
    expect(Array.from(logits(model))).toEqual(Array.from(before));
    randomiseB(moe);
    expect(maxAbsDiff(logits(model), before)).toBeGreaterThan(1e-3);
    moe.unload();
    expect(attachedLoraMoE(model)).toBeUndefined();
    expect(Array.from(logits(model))).toEqual(Array.from(before));
    expect(model.trainableParams().length).toBe(model.weights.size);
    model.dispose();
  });

  it('freezes the base: trainable parameters are the stacked experts and routers, counted exactly', () => {
    const model = tinyModel(1);
    const moe = loraMoE(model, { num_experts: 3, top_k: 1, r: 2, target_modules: ['q_proj', 'down_proj'] });
    const names = moe.trainingModel().trainableParams().map((p) => p.name);
    expect(names).toHaveLength(4 * 3);
    expect(names.slice(0, 3)).toEqual([
      'base_model.model.model.layers.0.self_attn.q_proj.experts.lora_A.weight',
      'base_model.model.model.layers.0.self_attn.q_proj.experts.lora_B.weight',
      'base_model.model.model.layers.0.self_attn.q_proj.router.weight',
    ]);
    // q_proj 32 -> 32, down_proj 56 -> 32; per module E r (in + out) + E in
    const expected = 2 * (3 * 2 * (32 + 32) + 3 * 32) + 2 * (3 * 2 * (56 + 32) + 3 * 56);
    expect(moe.parameterCounts().trainable).toBe(expected);
    expect(moe.trainableParametersReport()).toMatch(/^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: [\d.]+$/);
    expect(model.trainableParams()).toHaveLength(0);
    moe.unload();
    model.dispose();
  });

  it('top-k routing: every token has exactly k non-zero weights, summing to 1, on its k largest logits', () => {
    const model = tinyModel(2);
    const moe = loraMoE(model, { num_experts: 5, top_k: 2, r: 2, target_modules: ['up_proj'], seed: 1 });
    const layer = moe.layers[0];
    const x = tf.randomNormal([12, 32], 0, 1, 'float32', 9) as tf.Tensor2D;
    const gates = layer.gates(x).arraySync();
    const routerLogits = tf.matMul(x, layer.router, false, true).arraySync();
    gates.forEach((row, t) => {
      expect(row.filter((g) => g !== 0)).toHaveLength(2);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const chosen = row.map((g, e) => (g !== 0 ? e : -1)).filter((e) => e >= 0);
      const ranked = routerLogits[t].map((v, e) => [v, e]).sort((a, b) => b[0] - a[0]).slice(0, 2).map(([, e]) => e).sort();
      expect(chosen).toEqual(ranked);
      // the two weights are the softmax of the two chosen logits
      const [a, b] = chosen.map((e) => routerLogits[t][e]);
      expect(row[chosen[0]]).toBeCloseTo(1 / (1 + Math.exp(b - a)), 5);
    });
    x.dispose();
    moe.unload();
    model.dispose();
  });

  it('topKMask breaks ties towards the lower expert and counts slots', () => {
    const choice = topKMask(Float32Array.from([1, 1, 1, 0, 2, 2]), 2, 3, 2);
    expect(Array.from(choice.mask)).toEqual([1, 1, 0, 0, 1, 1]);
    expect(Array.from(choice.top1)).toEqual([0, 1]);
    expect(choice.counts).toEqual([1, 2, 1]);
    expect(() => topKMask(Float32Array.from([1, 2]), 1, 2, 3)).toThrow(/k = 3 must be in \[1, 2\]/);
  });

  it('rejects bad options with the field named, and a second adapter on the same model', () => {
    expect(() => resolveLoraMoeConfig({ top_k: 5, num_experts: 4 })).toThrow(/"top_k" \(5\) cannot exceed "num_experts" \(4\)/);
    expect(() => resolveLoraMoeConfig({ temperature: 0 })).toThrow(/"temperature" must be a number > 0, got 0/);
    expect(() => resolveLoraMoeConfig({ num_experts: 2.5 })).toThrow(/"num_experts" must be an integer >= 1, got 2.5/);
    expect(() => resolveLoraMoeConfig({ experts: 4 } as never)).toThrow(/unknown option "experts"/);
    const model = tinyModel(1);
    const moe = loraMoE(model, { target_modules: ['q_proj'] });
    expect(() => loraMoE(model)).toThrow(/already has a LoRA-MoE/);
    moe.unload();
    const lora = loraAdapter(model, { r: 2 });
    expect(() => loraMoE(model)).toThrow(/has a LoRA adapter/);
    lora.unload();
    expect(() => loraMoE(model, { target_modules: ['nope_proj'] })).toThrow(/"nope_proj" not found/);
    model.dispose();
  });

  it('measureRouting reports per-module load shares summing to 1 and entropies within [0, log E]', () => {
    const model = tinyModel(3);
    const moe = loraMoE(model, { num_experts: 4, top_k: 2, target_modules: ['q_proj', 'up_proj'] });
    const stats = moe.measureRouting(IDS, 1, IDS.length);
    expect(stats.modules.map((m) => m.name)).toEqual([
      'model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.up_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.mlp.up_proj']);
    for (const m of stats.modules) {
      expect(m.load.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      for (const share of m.load) expect(share * IDS.length * 2).toBeCloseTo(Math.round(share * IDS.length * 2), 9);
      expect(m.entropy).toBeGreaterThan(0);
      expect(m.entropy).toBeLessThanOrEqual(Math.log(4) + 1e-9);
    }
    moe.unload();
    model.dispose();
  });
});
