/**
 * Row-block operations on activations laid out [batch * length, width]
 * (sequence after sequence), as the model code uses them: putting rows in
 * front of every sequence (prefixes, cached keys, image tokens), and
 * picking rows. All are differentiable with gradients tfjs has on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { matmul2d } from '../model/primitives';

/**
 * Rows `front` placed before the rows of each of the `batch` sequences of
 * x [batch * L, W] -> [batch * (P + L), W]. With `shared`, front is [P, W]
 * and every sequence gets the same rows (a prefix); otherwise front is
 * [batch * P, W], one block per sequence (cached keys, image tokens).
 *
 * @example
 * const k = prependPerSequence(prefixKeys, keys, 4, true); // every sequence's keys start with the prefix
 */
export function prependPerSequence(front: tf.Tensor2D, x: tf.Tensor2D, batch: number, shared: boolean): tf.Tensor2D {
  const width = x.shape[1];
  if (front.shape[1] !== width) throw new Error(`prependPerSequence: widths ${front.shape[1]} and ${width} differ`);
  if (x.shape[0] % batch !== 0) throw new Error(`prependPerSequence: ${x.shape[0]} rows do not split into ${batch} sequences`);
  if (!shared && front.shape[0] % batch !== 0) throw new Error(`prependPerSequence: ${front.shape[0]} front rows do not split into ${batch} sequences`);
  const len = x.shape[0] / batch;
  const p = shared ? front.shape[0] : front.shape[0] / batch;
  return tf.tidy(() => {
    const f3 = shared && batch > 1
      ? tf.mul(tf.ones([batch, 1, 1]), tf.reshape(front, [1, p, width])) as tf.Tensor3D // broadcast: its gradient sums over sequences
      : tf.reshape(front, [batch, p, width]) as tf.Tensor3D;
    const joined = tf.concat([f3, tf.reshape(x, [batch, len, width]) as tf.Tensor3D], 1);
    return tf.reshape(joined, [batch * (p + len), width]) as tf.Tensor2D;
  });
}

/**
 * The rows `rows` of x [N, W] as [rows.length, W], through a one-hot matmul
 * (its gradient is a plain matmul; wasm lacks gather's).
 *
 * @example
 * const answerStates = pickRows(hidden, [5, 6, 12]);
 */
export function pickRows(x: tf.Tensor2D, rows: ArrayLike<number>): tf.Tensor2D {
  const n = x.shape[0];
  const sel = new Float32Array(rows.length * n);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < n)) throw new Error(`pickRows: row ${r} outside [0, ${n})`);
    sel[i * n + r] = 1;
  }
  return matmul2d(tf.tensor2d(sel, [rows.length, n]), x);
}
