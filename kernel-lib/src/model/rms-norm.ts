import * as tf from '@tensorflow/tfjs';
import { customGradient, saveForBackward, sumRows } from './primitives';

/**
 * Qwen2RMSNorm: weight * x / sqrt(mean(x^2) + eps) over the last axis, with
 * a hand-written gradient: for xhat = x r, r = (mean(x^2) + eps)^-1/2,
 * g = dy * weight: dx = r (g - xhat mean(g xhat)), dweight = sum_rows(dy xhat).
 *
 * @example
 * const y = rmsNorm(tf.tensor2d([[3, 4]]), tf.ones([2]) as tf.Tensor1D, 1e-6); // [[0.8485, 1.1314]]
 */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const f = customGradient((xIn: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xIn), -1, true), eps));   // [N, 1]
    const xhat = tf.mul(xIn, r);                                           // [N, D]
    const restore = saveForBackward(save, [xhat, r, w]);
    return {
      value: tf.mul(xhat, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sXhat, sR, sW] = restore(saved);
        const g = tf.mul(dy, sW);
        const proj = tf.mean(tf.mul(g, sXhat), -1, true);                 // [N, 1]
        const dx = tf.mul(tf.sub(g, tf.mul(sXhat, proj)), sR);
        return [dx, sumRows(tf.mul(dy, sXhat) as tf.Tensor2D)];
      },
    };
  });
  return f(x, weight) as tf.Tensor2D;
}
