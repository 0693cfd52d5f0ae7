/**
 * Bidirectional multi-head attention for the patch encoder: every patch
 * sees every patch (and the prefix rows, when a prefix method is attached).
 * The encoder is tiny (16 tokens, 2 heads), so one batched matmul over all
 * (image, head) blocks replaces a loop of B x H per-head 2-D matmuls: at
 * this size the cost is per-op overhead, not FLOPs (measured on wasm: the
 * vision tower and projector, forward and backward, are under a tenth of a
 * training step of the notebook's model). Gradients are tfjs's own.
 */
import * as tf from '@tensorflow/tfjs';
import { prependPerSequence } from './sequence-ops';

/** Shapes of one attention call. */
export interface VisionAttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  headDim: number;
}

/** [B*L, H*D] -> [B*H, L, D]. */
function toHeads(x: tf.Tensor, batch: number, len: number, heads: number, d: number): tf.Tensor3D {
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, len, heads, d]), [0, 2, 1, 3]), [batch * heads, len, d]) as tf.Tensor3D;
}

/**
 * softmax(q k^T / sqrt(D)) v per (image, head), no mask. q, k, v
 * [B*L, H*D]; with `prefix` ([P, H*D] keys and values, shared by all images)
 * the keys and values are [prefix; tokens] per image. Returns [B*L, H*D].
 *
 * @example
 * const o = bidirectionalAttention(q, k, v, { batch: 4, seqLen: 16, heads: 2, headDim: 24 });
 */
export function bidirectionalAttention(
  q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, shape: VisionAttentionShape,
  prefix?: { keys: tf.Tensor2D; values: tf.Tensor2D },
): tf.Tensor2D {
  const { batch, seqLen, heads, headDim: d } = shape;
  return tf.tidy(() => {
    const keys = prefix ? prependPerSequence(prefix.keys, k, batch, true) : k;
    const values = prefix ? prependPerSequence(prefix.values, v, batch, true) : v;
    const keyLen = keys.shape[0] / batch;
    const qh = toHeads(tf.mul(q, 1 / Math.sqrt(d)), batch, seqLen, heads, d);
    const kh = toHeads(keys, batch, keyLen, heads, d);
    const vh = toHeads(values, batch, keyLen, heads, d);
    const p = tf.softmax(tf.matMul(qh, kh, false, true));                  // [B*H, L, Lk]
    const o = tf.matMul(p, vh);                                              // [B*H, L, D]
    return tf.reshape(tf.transpose(tf.reshape(o, [batch, heads, seqLen, d]), [0, 2, 1, 3]), [batch * seqLen, heads * d]) as tf.Tensor2D;
  });
}
