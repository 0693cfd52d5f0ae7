/**
 * DoRA (Liu et al. 2024) pieces as PEFT computes them: the per-output-row norm
 * of W + scaling B A, treated as a constant in backpropagation (DoRA paper
 * section 4.3; PEFT detaches it), and the merged weight.
 */
import * as tf from '@tensorflow/tfjs';
import { matmul2d } from '../model/primitives';

/**
 * Runs `compute` so that its result is a constant for gradients: nothing it
 * reads receives a gradient through it (PyTorch's `.detach()`). The ops run
 * inside a custom-gradient kernel, which keeps them off the gradient tape.
 *
 * @example
 * const n = detached(() => tf.norm(w)); // d n / d w = 0 under tf.grad
 */
export function detached<T extends tf.Tensor>(compute: () => T): T {
  const anchor = tf.scalar(0);
  const f = tf.customGrad(((a: tf.Tensor) => ({
    value: tf.tidy(compute),
    gradFunc: () => [tf.zerosLike(a)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = f(anchor) as T;
  anchor.dispose();
  return out;
}

/**
 * PEFT's `get_weight_norm`: ||W + scaling B A|| over each output row, a
 * vector [out], detached from the gradient graph.
 *
 * @example
 * const norm = doraWeightNorm(w, A, B, 2); // [out]
 */
export function doraWeightNorm(w: tf.Tensor2D, A: tf.Tensor2D, B: tf.Tensor2D, scaling: number): tf.Tensor1D {
  return detached(() => {
    const full = tf.add(w, tf.mul(matmul2d(B, A), scaling));     // [out, in]
    return tf.sqrt(tf.sum(tf.square(full), 1)) as tf.Tensor1D;    // [out]
  });
}

/**
 * The DoRA-merged weight (m / ||W + dW||)[:, None] * (W + dW) with
 * dW = scaling B A, and the norm it used (cache it to unmerge).
 *
 * @example
 * const { merged, norm } = doraMergedWeight(w, A, B, magnitude, 2);
 */
export function doraMergedWeight(
  w: tf.Tensor2D, A: tf.Tensor2D, B: tf.Tensor2D, magnitude: tf.Tensor1D, scaling: number,
): { merged: tf.Tensor2D; norm: tf.Tensor1D } {
  return tf.tidy(() => {
    const full = tf.add(w, tf.mul(matmul2d(B, A), scaling)) as tf.Tensor2D;
    const norm = tf.sqrt(tf.sum(tf.square(full), 1)) as tf.Tensor1D;
    const factor = tf.reshape(tf.div(magnitude, norm), [-1, 1]);
    return { merged: tf.mul(full, factor) as tf.Tensor2D, norm };
  });
}

/**
 * Inverse of `doraMergedWeight`: W = merged / (m / norm)[:, None] - scaling B A,
 * with the norm cached at merge time (as PEFT does).
 *
 * @example
 * const w = doraUnmergedWeight(merged, A, B, magnitude, norm, 2);
 */
export function doraUnmergedWeight(
  merged: tf.Tensor2D, A: tf.Tensor2D, B: tf.Tensor2D, magnitude: tf.Tensor1D, norm: tf.Tensor1D, scaling: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const factor = tf.reshape(tf.div(magnitude, norm), [-1, 1]);
    return tf.sub(tf.div(merged, factor), tf.mul(matmul2d(B, A), scaling)) as tf.Tensor2D;
  });
}
