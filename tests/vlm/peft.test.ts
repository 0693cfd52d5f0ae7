import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { GaLoreAdamW } from '../../kernel-lib/src/optim/galore-adamw';
import { decoderHiddenStates } from '../../kernel-lib/src/vlm/decoder-pass';
import { attachIa3 } from '../../kernel-lib/src/vlm/peft-ia3';
import { attachVlmLora } from '../../kernel-lib/src/vlm/peft-lora';
import { attachPrefixTuning } from '../../kernel-lib/src/vlm/peft-prefix';
import { applyTuning, trainableParameterReport } from '../../kernel-lib/src/vlm/tuning-methods';
import { trainVqa } from '../../kernel-lib/src/vlm/vqa-train';
import { embeddingLookup } from '../../kernel-lib/src/model/primitives';
import type { VisionLanguageModel } from '../../kernel-lib/src/vlm/vlm-model';
import { maxAbsDiff, randomIds, randomPixels, tinyVlm, toyExamples, values } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

const ALL = ['vision', 'projector', 'language'] as const;

function output(vlm: VisionLanguageModel): Float32Array {
  return values(() => vlm.hiddenStates(randomPixels(vlm, 2), randomIds(2 * 5), 2, 5));
}

/** Sizes of a model's base weights by name. */
function sizes(vlm: VisionLanguageModel): Map<string, number[]> {
  return new Map([...vlm.baseWeights()].map(([n, v]) => [n, v.shape]));
}

describe('fresh adapters leave the model unchanged', () => {
  it('LoRA (B = 0) and IA3 (ones) on every part give exactly the base outputs; detaching restores the base', () => {
    const vlm = tinyVlm(1);
    const base = output(vlm);
    vlm.setTrainableParts([]);
    const lora = attachVlmLora(vlm, { parts: ALL, r: 2, seed: 3 });
    const ia3 = attachIa3(vlm, { parts: ALL });
    expect(maxAbsDiff(output(vlm), base)).toBe(0);
    // moving an IA3 vector or a LoRA B changes the output
    ia3.params()[0].variable.assign(tf.fill(ia3.params()[0].variable.shape, 1.5));
    expect(maxAbsDiff(output(vlm), base)).toBeGreaterThan(1e-4);
    ia3.detach();
    const b = lora.params().find((p) => p.name.endsWith('model.layers.1.mlp.up_proj.lora_B.weight'))!;
    b.variable.assign(tf.fill(b.variable.shape, 0.3));
    expect(maxAbsDiff(output(vlm), base)).toBeGreaterThan(1e-4);
    lora.detach();
    expect(vlm.adapters).toHaveLength(0);
    expect(vlm.hooks.empty).toBe(true);
    expect(maxAbsDiff(output(vlm), base)).toBe(0);
  });

  it('prefixes change attention (even zero ones), and a language prefix acts like cached keys/values seen by every query', () => {
    const vlm = tinyVlm(2);
    const base = output(vlm);
    vlm.setTrainableParts([]);
    const ptv2 = attachPrefixTuning(vlm, { parts: ['language'], num_virtual_tokens: 3, init_std: 0.5, seed: 1 });
    const withPrefix = output(vlm);
    expect(maxAbsDiff(withPrefix, base)).toBeGreaterThan(1e-4);
    // the same keys/values given as a per-sequence cache (positions still start at 0) give the same states
    const prefix = vlm.hooks.prefix('language')!();
    const lm = vlm.language;
    const ids = randomIds(2 * 4, 21);
    const embeds = () => embeddingLookup(tf.tensor1d(ids, 'int32'), lm.weights.get('model.embed_tokens.weight') as unknown as tf.Tensor2D);
    const viaPrefix = values(() => decoderHiddenStates(lm, embeds(), 2, 4, vlm.hooks));
    const tile = (t: tf.Tensor2D) => tf.concat([t, t], 0) as tf.Tensor2D;
    const cache = { batch: 2, length: 0, keys: prefix.keys.map(tile), values: prefix.values.map(tile) };
    ptv2.detach();
    const viaCache = values(() => decoderHiddenStates(lm, embeds(), 2, 4, vlm.hooks, cache));
    expect(maxAbsDiff(viaPrefix, viaCache)).toBeLessThan(1e-5);
    // zero prefixes still take attention weight (score 0), so they are not the identity
    const zero = attachPrefixTuning(vlm, { parts: ['vision', 'language'], num_virtual_tokens: 2, init_std: 0 });
    expect(maxAbsDiff(output(vlm), base)).toBeGreaterThan(1e-4);
    zero.detach();
    expect(maxAbsDiff(output(vlm), base)).toBe(0);
  });
});

describe('trainable parameters per method', () => {
  it('LoRA counts r (in + out) per wrapped linear of the chosen parts, and nothing else trains', () => {
    const vlm = tinyVlm(3);
    const s = sizes(vlm);
    const applied = applyTuning(vlm, { method: 'lora', parts: ['vision', 'projector'], r: 2 });
    const modules = ['vision_tower.layers.0.self_attn.q_proj', 'vision_tower.layers.0.self_attn.k_proj', 'vision_tower.layers.0.self_attn.v_proj',
      'vision_tower.layers.0.self_attn.out_proj', 'vision_tower.layers.0.mlp.fc1', 'vision_tower.layers.0.mlp.fc2',
      'multi_modal_projector.linear_1', 'multi_modal_projector.linear_2'];
    const expected = modules.reduce((n, m) => { const [out, inp] = s.get(`${m}.weight`)!; return n + 2 * (out + inp); }, 0);
    const report = trainableParameterReport(vlm);
    expect(report.trainable).toBe(expected);
    expect(vlm.trainableParams().map((p) => p.name)).toEqual(modules.flatMap((m) => [`base_model.model.${m}.lora_A.weight`, `base_model.model.${m}.lora_B.weight`]));
    const base = [...s.values()].reduce((n, sh) => n + sh.reduce((a, b) => a * b, 1), 0);
    expect(report.all).toBe(base + expected);
    expect(report.byPart.language.trainable).toBe(0);
    expect(report.byPart.vision.trainable + report.byPart.projector.trainable).toBe(expected);
    expect(report.line).toBe(`trainable params: ${expected.toLocaleString('en-US')} || all params: ${(base + expected).toLocaleString('en-US')} || trainable%: ${(100 * expected / (base + expected)).toFixed(4)}`);
    expect([...vlm.baseWeights().values()].every((v) => v.trainable === false)).toBe(true);
    applied.undo();
    expect([...vlm.baseWeights().values()].every((v) => v.trainable === true)).toBe(true);
    expect(trainableParameterReport(vlm).trainable).toBe(base);
  });

  it('IA3 counts keys + values + MLP inner width per layer (projector: its hidden width)', () => {
    const vlm = tinyVlm(4);
    const applied = applyTuning(vlm, { method: 'ia3', parts: ALL });
    // vision: 1 layer x (8 + 8 + 16); projector: 24; decoder: 2 layers x (16 + 16 + 56) (2 KV heads of 8, MLP 56)
    expect(trainableParameterReport(vlm).trainable).toBe(32 + 24 + 2 * 88);
    expect(vlm.trainableParams().every((p) => p.name.endsWith('.ia3_l'))).toBe(true);
    applied.undo();
  });

  it('P-tuning v2 counts P x 2 L W; prefix tuning adds its embedding and MLP; the projector has no prefix', () => {
    const vlm = tinyVlm(5);
    let applied = applyTuning(vlm, { method: 'p-tuning-v2', parts: ['vision', 'language'], num_virtual_tokens: 3 });
    expect(trainableParameterReport(vlm).byPart.vision.trainable).toBe(3 * 2 * 1 * 8);
    expect(trainableParameterReport(vlm).byPart.language.trainable).toBe(3 * 2 * 2 * 16);
    applied.undo();
    applied = applyTuning(vlm, { method: 'prefix', parts: ['language'], num_virtual_tokens: 3 });
    const w = 16; const e = 16; const out = 2 * 2 * w;
    expect(trainableParameterReport(vlm).trainable).toBe(3 * w + (e * w + e) + (out * e + out));
    applied.undo();
    expect(() => applyTuning(vlm, { method: 'prefix', parts: ['language', 'projector'] })).toThrow(/the projector has no attention layers/);
    expect(vlm.hooks.empty).toBe(true);
  });

  it('full fine-tuning and GaLore train the chosen parts; GaLore projects only their 2-D linear weights', () => {
    const vlm = tinyVlm(6);
    const applied = applyTuning(vlm, { method: 'galore', parts: ['vision'], galore_rank: 2 });
    const params = vlm.trainableParams();
    expect(params.every((p) => p.name.startsWith('vision_tower.'))).toBe(true);
    const opt = applied.optimizer as GaLoreAdamW;
    expect(params.filter((p) => opt.isGaloreParam(p)).map((p) => p.name)).toEqual([
      'vision_tower.layers.0.self_attn.q_proj.weight', 'vision_tower.layers.0.self_attn.k_proj.weight', 'vision_tower.layers.0.self_attn.v_proj.weight',
      'vision_tower.layers.0.self_attn.out_proj.weight', 'vision_tower.layers.0.mlp.fc1.weight', 'vision_tower.layers.0.mlp.fc2.weight']);
    applied.undo();
    const full = applyTuning(vlm, { method: 'full', parts: ['projector', 'language'] });
    expect(trainableParameterReport(vlm).byPart.vision.trainable).toBe(0);
    expect(trainableParameterReport(vlm).byPart.projector.trainable).toBe(trainableParameterReport(vlm).byPart.projector.base);
    full.undo();
  });
});

describe('training an adapter', () => {
  it('moves only the adapter: base weights stay bit-identical, adapter parameters change', async () => {
    for (const method of ['lora', 'ia3', 'prefix', 'p-tuning-v2'] as const) {
      const vlm = tinyVlm(7);
      const before = vlm.weightSnapshot();
      const applied = applyTuning(vlm, { method, parts: method === 'lora' || method === 'ia3' ? ALL : ['vision', 'language'], r: 2, num_virtual_tokens: 2 });
      const adapterBefore = applied.adapter!.params().map((p) => Float32Array.from(p.variable.dataSync()));
      await trainVqa(vlm, applied.optimizer, toyExamples(vlm, 8), { steps: 2, batchSize: 4, lr: 1e-2 });
      for (const [name, v] of vlm.baseWeights()) expect(Array.from(v.dataSync()), `${method}: ${name}`).toEqual(Array.from(before.get(name)!));
      const moved = applied.adapter!.params().filter((p, i) => maxAbsDiff(p.variable.dataSync(), adapterBefore[i]) > 0);
      expect(moved.length, method).toBe(applied.adapter!.params().length);
      applied.undo();
    }
  });
});
