import * as tf from '@tensorflow/tfjs';

/**
 * Qwen2RMSNorm: weight * x / sqrt(mean(x^2) + eps) over the last axis.
 *
 * @example
 * const y = rmsNorm(tf.tensor2d([[3, 4]]), tf.ones([2]) as tf.Tensor1D, 1e-6); // [[0.8485, 1.1314]]
 */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), weight) as tf.Tensor2D;
  });
}
