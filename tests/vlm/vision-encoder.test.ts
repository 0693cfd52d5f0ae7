import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { bidirectionalAttention } from '../../kernel-lib/src/vlm/vision-attention';
import { patchify, visionEncoder } from '../../kernel-lib/src/vlm/vision-encoder';
import { mergeOrder, mergePatches, projectImageFeatures } from '../../kernel-lib/src/vlm/projector';
import { defaultVlmConfig, vlmWeightShapes } from '../../kernel-lib/src/vlm/vlm-config';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { maxAbsDiff, randomPixels, tinyVlm, values } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

/** softmax(q k^T / sqrt(d)) v per (image, head) in float64, keys = [prefix; tokens]. */
function referenceAttention(q: number[], k: number[], v: number[], batch: number, len: number, heads: number, d: number, pk: number[] = [], pv: number[] = []): number[] {
  const w = heads * d;
  const p = pk.length / w;
  const out = new Array<number>(batch * len * w).fill(0);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const keys: number[][] = []; const vals: number[][] = [];
      for (let j = 0; j < p; j++) { keys.push(pk.slice(j * w + h * d, j * w + (h + 1) * d)); vals.push(pv.slice(j * w + h * d, j * w + (h + 1) * d)); }
      for (let j = 0; j < len; j++) { const r = (b * len + j) * w + h * d; keys.push(k.slice(r, r + d)); vals.push(v.slice(r, r + d)); }
      for (let i = 0; i < len; i++) {
        const qi = q.slice((b * len + i) * w + h * d, (b * len + i) * w + (h + 1) * d);
        const s = keys.map((kk) => kk.reduce((a, x, t) => a + x * qi[t], 0) / Math.sqrt(d));
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, x) => a + x, 0);
        for (let t = 0; t < d; t++) out[(b * len + i) * w + h * d + t] = vals.reduce((a, vv, j) => a + (e[j] / z) * vv[t], 0);
      }
    }
  }
  return out;
}

describe('patches and merging', () => {
  it('patchify cuts [B, C, S, S] into row-major patches, each channel, row, column', () => {
    const v = defaultVlmConfig({ imageSize: 4, patchSize: 2, channels: 2 }).vision;
    const images = Float32Array.from({ length: 2 * 2 * 16 }, (_, i) => i); // value = ((b * 2 + c) * 4 + y) * 4 + x
    const p = patchify(images, 2, v);
    expect(p.shape).toEqual([8, 8]);
    const rows = p.arraySync() as number[][];
    // image 0, patch (gy 0, gx 1): channel 0 rows 0-1 cols 2-3, then channel 1
    expect(rows[1]).toEqual([2, 3, 6, 7, 18, 19, 22, 23]);
    // image 1, patch (gy 1, gx 0)
    expect(rows[6]).toEqual([40, 41, 44, 45, 56, 57, 60, 61]);
    expect(() => patchify(images.subarray(1), 2, v)).toThrow(/63 values for 2 image\(s\) of 2 x 4 x 4/);
  });

  it('mergePatches concatenates each 2 x 2 block of patch rows, blocks in row-major order', () => {
    expect(mergeOrder(4, 2)).toEqual([0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
    const f = tf.tensor2d(Array.from({ length: 2 * 16 }, (_, i) => [i, -i]), [32, 2]);
    const m = mergePatches(f, 2, 4, 2).arraySync() as number[][];
    expect(m.length).toBe(8);
    expect(m[1]).toEqual([2, -2, 3, -3, 6, -6, 7, -7]);
    expect(m[4]).toEqual([16, -16, 17, -17, 20, -20, 21, -21]); // image 1 starts at row 16
  });
});

describe('vision encoder', () => {
  it('bidirectional attention equals a float64 reference, with and without prefix rows', () => {
    const rng = seededRandom(4);
    const rand = (n: number) => Array.from({ length: n }, () => rng.normal());
    const [batch, len, heads, d] = [2, 3, 2, 4];
    const q = rand(batch * len * heads * d); const k = rand(q.length); const v = rand(q.length);
    const pk = rand(2 * heads * d); const pv = rand(pk.length);
    const t = (x: number[], rows: number) => tf.tensor2d(x, [rows, heads * d]);
    const shape = { batch, seqLen: len, heads, headDim: d };
    const plain = values(() => bidirectionalAttention(t(q, 6), t(k, 6), t(v, 6), shape));
    expect(maxAbsDiff(plain, referenceAttention(q, k, v, batch, len, heads, d))).toBeLessThan(1e-5);
    const withPrefix = values(() => bidirectionalAttention(t(q, 6), t(k, 6), t(v, 6), shape, { keys: t(pk, 2), values: t(pv, 2) }));
    expect(maxAbsDiff(withPrefix, referenceAttention(q, k, v, batch, len, heads, d, pk, pv))).toBeLessThan(1e-5);
    expect(maxAbsDiff(withPrefix, plain)).toBeGreaterThan(1e-3);
  });

  it('gives [B*N, width] features and [B*N/m^2, decoder hidden] image tokens', () => {
    const vlm = tinyVlm(1, {}, 1);
    const f = tf.tidy(() => visionEncoder(randomPixels(vlm, 3), 3, vlm.config.vision, vlm));
    expect(f.shape).toEqual([12, 8]);
    expect(tf.tidy(() => projectImageFeatures(f, 3, vlm.config, vlm)).shape).toEqual([12, 32]);
    const merged = tinyVlm(1, {}, 2);
    expect(merged.imageTokens).toBe(1);
    expect(vlmWeightShapes(merged.config, 32).get('multi_modal_projector.linear_1.weight')).toEqual([24, 32]);
    const g = tf.tidy(() => visionEncoder(randomPixels(merged, 3), 3, merged.config.vision, merged));
    expect(tf.tidy(() => projectImageFeatures(g, 3, merged.config, merged)).shape).toEqual([3, 32]);
  });

  it('has gradients that match central finite differences (vision tower and projector)', () => {
    const vlm = tinyVlm(2, {}, 2);
    const pixels = randomPixels(vlm, 2, 9);
    const rng = seededRandom(6);
    const probe = tf.tensor2d(Array.from({ length: 2 * 32 }, () => rng.normal()), [2, 32]);
    const objective = () => tf.sum(tf.mul(projectImageFeatures(visionEncoder(pixels, 2, vlm.config.vision, vlm), 2, vlm.config, vlm), probe)) as tf.Scalar;
    const names = ['vision_tower.patch_embedding.weight', 'vision_tower.position_embedding', 'vision_tower.layers.0.self_attn.q_proj.weight',
      'vision_tower.layers.0.self_attn.v_proj.bias', 'vision_tower.layers.0.mlp.fc1.weight', 'vision_tower.layers.0.norm2.weight',
      'multi_modal_projector.linear_1.weight', 'multi_modal_projector.linear_2.bias'];
    const vars = names.map((n) => vlm.weights.get(n)!);
    const { grads } = tf.variableGrads(objective, vars);
    const eps = 1e-2;
    for (const [i, v] of vars.entries()) {
      const analytic = grads[v.name].dataSync();
      const base = Float32Array.from(v.dataSync());
      for (const j of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (delta: number) => { const x = base.slice(); x[j] += delta; v.assign(tf.tensor(x, v.shape)); return tf.tidy(() => objective().dataSync()[0]); };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        expect(Math.abs(analytic[j] - numeric), `${names[i]}[${j}]: ${analytic[j]} vs ${numeric}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
      }
    }
  });
});
