import * as tf from '@tensorflow/tfjs';
import { matmul2d } from './primitives';
import { applyRotary } from './rotary';

/** A linear map on 2-D activations (a plain layer, or one wrapped by an adapter such as LoRA). */
export type Projection = (x: tf.Tensor2D) => tf.Tensor2D;

/** The four projections of one Qwen2 attention block (q/k/v with biases, o without). */
export interface AttentionProjections {
  q: Projection;
  k: Projection;
  v: Projection;
  o: Projection;
}

export interface AttentionShape {
  batch: number;
  /** Query length of this call. */
  seqLen: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

/** Keys and values of earlier positions for one layer (generation), [batch * pastLen, kvHeads * D]. */
export interface LayerCache {
  keys: tf.Tensor2D | null;
  values: tf.Tensor2D | null;
  length: number;
}

/** [B*T, H*D] -> list of B*H matrices [T, D], ordered b-major then head. */
function splitHeads(x: tf.Tensor2D, batch: number, len: number, heads: number, d: number): tf.Tensor2D[] {
  const t = tf.transpose(tf.reshape(x, [batch, len, heads, d]), [0, 2, 1, 3]);
  return tf.unstack(tf.reshape(t, [batch * heads, len, d])) as tf.Tensor2D[];
}

/** Inverse of splitHeads. */
function mergeHeads(parts: tf.Tensor2D[], batch: number, len: number, heads: number, d: number): tf.Tensor2D {
  const t = tf.reshape(tf.stack(parts), [batch, heads, len, d]);
  return tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [batch * len, heads * d]) as tf.Tensor2D;
}

/** Additive causal mask [q, k]: query i (at absolute position past+i) sees keys 0..past+i. */
function causalMask(queryLen: number, keyLen: number): tf.Tensor2D {
  const past = keyLen - queryLen;
  const m = new Float32Array(queryLen * keyLen);
  for (let i = 0; i < queryLen; i++) {
    for (let j = past + i + 1; j < keyLen; j++) m[i * keyLen + j] = -1e9;
  }
  return tf.tensor2d(m, [queryLen, keyLen]);
}

/**
 * Qwen2 grouped-query self-attention on x [B*T, hidden]: q/k/v projections
 * with biases, rotary embeddings, causal softmax(q k^T / sqrt(D)) v per head as
 * 2-D matmuls (query head h reads key/value head h / (H / H_kv)), then o_proj.
 * With `cache` (batch 1 generation) the new keys/values are appended to it.
 *
 * @example
 * const y = selfAttention(x, { q, k, v, o }, shape, cos, sin);
 */
export function selfAttention(
  x: tf.Tensor2D, proj: AttentionProjections, shape: AttentionShape,
  cos: tf.Tensor2D, sin: tf.Tensor2D, cache?: LayerCache,
): tf.Tensor2D {
  const { batch, seqLen, heads, kvHeads, headDim } = shape;
  const q = applyRotary(proj.q(x), cos, sin, heads);      // [B*T, H*D]
  let k = applyRotary(proj.k(x), cos, sin, kvHeads);      // [B*T, Hkv*D]
  let v = proj.v(x);                                       // [B*T, Hkv*D]
  let keyLen = seqLen;
  if (cache) {
    if (batch !== 1) throw new Error('selfAttention: the KV cache supports batch size 1');
    if (cache.keys && cache.values) {
      k = tf.concat([cache.keys, k], 0);
      v = tf.concat([cache.values, v], 0);
    }
    const oldK = cache.keys;
    const oldV = cache.values;
    cache.keys = tf.keep(k);
    cache.values = tf.keep(v);
    oldK?.dispose();
    oldV?.dispose();
    cache.length = k.shape[0];
    keyLen = cache.length;
  }
  const scale = 1 / Math.sqrt(headDim);
  const qs = splitHeads(tf.mul(q, scale) as tf.Tensor2D, batch, seqLen, heads, headDim);
  const ks = splitHeads(k, batch, keyLen, kvHeads, headDim);
  const vs = splitHeads(v, batch, keyLen, kvHeads, headDim);
  const mask = causalMask(seqLen, keyLen);
  const group = heads / kvHeads;
  const keyT = ks.map((kk) => tf.transpose(kk) as tf.Tensor2D);              // [D, Tk] each
  const outs: tf.Tensor2D[] = [];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kv = b * kvHeads + Math.floor(h / group);
      const scores = tf.add(matmul2d(qs[b * heads + h], keyT[kv]), mask) as tf.Tensor2D; // [T, Tk]
      outs.push(matmul2d(tf.softmax(scores) as tf.Tensor2D, vs[kv]));                  // [T, D]
    }
  }
  return proj.o(mergeHeads(outs, batch, seqLen, heads, headDim));
}
