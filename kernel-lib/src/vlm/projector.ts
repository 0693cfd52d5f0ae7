/**
 * The projector: image features [B*N, vision width] -> image tokens
 * [B*N/m^2, decoder hidden]. With `mergeSize` m > 1 the features of each
 * m x m block of neighbouring patches are first laid side by side in one row
 * (Qwen2-VL's patch merger: [B*N, h] -> [B*N/m^2, m^2 h], blocks in
 * row-major order over the grid, patches within a block row-major too); then
 * one linear layer or linear-GELU-linear (LLaVA-1.5's `mlp2x_gelu`), through
 * the adapter hooks.
 */
import * as tf from '@tensorflow/tfjs';
import { pickRows } from './sequence-ops';
import { gelu, hookedLinear, VisionWeights } from './vision-encoder';
import { VlmConfig } from './vlm-config';

/**
 * The order in which `mergePatches` reads the patch rows of one image:
 * block after block, the m^2 patches of each block in row-major order.
 *
 * @example
 * mergeOrder(4, 2); // [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]
 */
export function mergeOrder(grid: number, m: number): number[] {
  const out: number[] = [];
  for (let by = 0; by < grid / m; by++) {
    for (let bx = 0; bx < grid / m; bx++) {
      for (let dy = 0; dy < m; dy++) for (let dx = 0; dx < m; dx++) out.push((by * m + dy) * grid + bx * m + dx);
    }
  }
  return out;
}

/**
 * Concatenate the features of each m x m block of patches: [B*N, h] -> [B*N/m^2, m^2 h].
 *
 * @example
 * const merged = mergePatches(features, 8, 4, 2); // [8 * 4, 4 * 48] for 8 images of 4 x 4 patches
 */
export function mergePatches(features: tf.Tensor2D, batch: number, grid: number, m: number): tf.Tensor2D {
  if (m === 1) return features;
  const n = grid * grid;
  const order = mergeOrder(grid, m);
  const rows = Array.from({ length: batch * n }, (_, r) => Math.floor(r / n) * n + order[r % n]);
  return tf.reshape(pickRows(features, rows), [batch * n / (m * m), m * m * features.shape[1]]) as tf.Tensor2D;
}

/**
 * Image tokens in the decoder's embedding space.
 *
 * @example
 * const tokens = projectImageFeatures(features, 8, vlm.config, vlm); // [8 * 4, 128] with the default 2 x 2 merge
 */
export function projectImageFeatures(features: tf.Tensor2D, batch: number, cfg: VlmConfig, w: VisionWeights): tf.Tensor2D {
  const grid = cfg.vision.imageSize / cfg.vision.patchSize;
  const merged = mergePatches(features, batch, grid, cfg.projector.mergeSize ?? 1);
  const first = hookedLinear(w, 'multi_modal_projector.linear_1')(merged);
  if (cfg.projector.type === 'linear') return first;
  return hookedLinear(w, 'multi_modal_projector.linear_2')(gelu(first));
}
