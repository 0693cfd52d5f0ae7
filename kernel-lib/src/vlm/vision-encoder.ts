/**
 * The ViT-style patch encoder, read top to bottom:
 *
 *   patches [B*N, C*p*p]  (cut in JS: pixels need no gradient)
 *   x = patches W_e^T + b_e + position_embedding          [B*N, h]
 *   per layer (pre-norm):  x = x + out_proj(attn(norm1(x)))
 *                          x = x + fc2(gelu(fc1(norm2(x))))
 *   post_norm(x)                                           [B*N, h]
 *
 * Norms are RMSNorm (the decoder's primitive) instead of ViT's LayerNorm;
 * attention is bidirectional (`bidirectionalAttention`). Every linear module
 * goes through the adapter hooks, so LoRA / IA3 apply here as in the decoder.
 */
import * as tf from '@tensorflow/tfjs';
import type { Projection } from '../model/attention';
import { linear } from '../model/primitives';
import { rmsNorm } from '../model/rms-norm';
import type { AdapterHooks } from './adapter-hooks';
import { bidirectionalAttention } from './vision-attention';
import { patchCount, VisionConfig } from './vlm-config';

/**
 * Cut images [B, C, S, S] (row-major, image after image) into patches
 * [B*N, C*p*p]: patches in row-major order over the grid, each flattened
 * channel, row, column.
 *
 * @example
 * const patches = patchify(pixels, 4, defaultVlmConfig().vision); // [64, 64] for 4 images of 32 x 32, p = 8
 */
export function patchify(images: Float32Array, batch: number, v: VisionConfig): tf.Tensor2D {
  const { imageSize: s, patchSize: p, channels: c } = v;
  if (images.length !== batch * c * s * s) {
    throw new Error(`patchify: ${images.length} values for ${batch} image(s) of ${c} x ${s} x ${s}`);
  }
  const grid = s / p;
  const n = grid * grid;
  const dim = c * p * p;
  const out = new Float32Array(batch * n * dim);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < p; y++) {
            const row = ((b * c + ch) * s + gy * p + y) * s + gx * p;
            for (let x = 0; x < p; x++) out[o++] = images[row + x];
          }
        }
      }
    }
  }
  return tf.tensor2d(out, [batch * n, dim]);
}

/**
 * GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 *
 * @example
 * gelu(tf.tensor2d([[0, 1]])); // [[0, 0.8412]]
 */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner))) as tf.Tensor2D;
  });
}

/** What the encoder reads: weights by name, and the hooks of the attached methods. */
export interface VisionWeights {
  weight(name: string): tf.Tensor;
  hooks: AdapterHooks;
}

/**
 * The module's computation through the hooks: its weight and bias, then any replacement / wrappers.
 *
 * @example
 * const y = hookedLinear(vlm, 'vision_tower.layers.0.mlp.fc1')(x); // [N, 96]
 */
export function hookedLinear(w: VisionWeights, moduleName: string): Projection {
  const weight = w.weight(`${moduleName}.weight`) as tf.Tensor2D;
  const bias = w.weight(`${moduleName}.bias`) as tf.Tensor1D;
  return w.hooks.projection(moduleName, (x) => linear(x, weight, bias));
}

/**
 * Image features [B*N, hidden] of `batch` images (pixel values as `patchify` takes them).
 *
 * @example
 * const features = visionEncoder(pixels, 8, vlm.config.vision, vlm); // [8 * 16, 48]
 */
export function visionEncoder(images: Float32Array, batch: number, v: VisionConfig, w: VisionWeights): tf.Tensor2D {
  const n = patchCount(v);
  const h = v.hiddenSize;
  const prefix = w.hooks.prefix('vision')?.();
  if (prefix && prefix.keys.length !== v.numLayers) {
    throw new Error(`vision prefix: ${prefix.keys.length} layer(s) of prefixes for ${v.numLayers} encoder layer(s)`);
  }
  const patches = patchify(images, batch, v);
  const embedded = hookedLinear(w, 'vision_tower.patch_embedding')(patches);
  const pos = w.weight('vision_tower.position_embedding');
  let x = tf.reshape(tf.add(tf.reshape(embedded, [batch, n, h]), pos), [batch * n, h]) as tf.Tensor2D;
  const shape = { batch, seqLen: n, heads: v.numHeads, headDim: h / v.numHeads };
  for (let i = 0; i < v.numLayers; i++) {
    const p = `vision_tower.layers.${i}`;
    const a = rmsNorm(x, w.weight(`${p}.norm1.weight`) as tf.Tensor1D, v.normEps);
    const q = hookedLinear(w, `${p}.self_attn.q_proj`)(a);
    const k = hookedLinear(w, `${p}.self_attn.k_proj`)(a);
    const val = hookedLinear(w, `${p}.self_attn.v_proj`)(a);
    const attn = bidirectionalAttention(q, k, val, shape, prefix ? { keys: prefix.keys[i], values: prefix.values[i] } : undefined);
    x = tf.add(x, hookedLinear(w, `${p}.self_attn.out_proj`)(attn)) as tf.Tensor2D;
    const m = rmsNorm(x, w.weight(`${p}.norm2.weight`) as tf.Tensor1D, v.normEps);
    x = tf.add(x, hookedLinear(w, `${p}.mlp.fc2`)(gelu(hookedLinear(w, `${p}.mlp.fc1`)(m)))) as tf.Tensor2D;
  }
  return rmsNorm(x, w.weight('vision_tower.post_norm.weight') as tf.Tensor1D, v.normEps);
}
