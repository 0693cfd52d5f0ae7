/**
 * Inverted dropout with masks drawn from a seeded generator, so a training run
 * sees the same masks on every backend and machine.
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../util/random';

/**
 * `torch.nn.Dropout(p)` in training mode: each entry is zeroed with
 * probability p and the kept ones are scaled by 1 / (1 - p). The mask is a
 * constant, so the gradient is dy * mask / (1 - p). p = 0 returns x itself.
 *
 * @example
 * const y = seededDropout(tf.ones([2, 4]) as tf.Tensor2D, 0.5, seededRandom(1)); // entries 0 or 2
 */
export function seededDropout(x: tf.Tensor2D, p: number, rng: SeededRandom): tf.Tensor2D {
  if (!(p >= 0 && p < 1)) throw new Error(`seededDropout: p must lie in [0, 1), got ${p}`);
  if (p === 0) return x;
  const keep = 1 / (1 - p);
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < p ? 0 : keep;
  return tf.mul(x, tf.tensor2d(mask, x.shape)) as tf.Tensor2D;
}
