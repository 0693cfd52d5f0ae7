import * as tf from '@tensorflow/tfjs';
import { squaredNorm } from '../model/primitives';

/**
 * Global L2 norm of all gradients and, when `maxNorm > 0` and the norm
 * exceeds it, the gradients scaled by maxNorm / (norm + 1e-6) as torch's
 * `clip_grad_norm_` does. Returns the norm before clipping; replaces the
 * entries of `grads` in place (disposing the old tensors).
 *
 * @example
 * const norm = clipGradNorm(grads, 1.0);
 */
export function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number): number {
  const names = Object.keys(grads);
  let total = 0;
  for (const n of names) total += squaredNorm(grads[n]); // no squared copy of each gradient
  const norm = Math.sqrt(total);
  if (maxNorm > 0 && norm > maxNorm) {
    const coef = maxNorm / (norm + 1e-6);
    for (const n of names) {
      const scaled = tf.mul(grads[n], coef);
      grads[n].dispose();
      grads[n] = scaled;
    }
  }
  return norm;
}
