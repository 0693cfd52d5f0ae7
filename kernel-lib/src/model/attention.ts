import * as tf from '@tensorflow/tfjs';
import { customGradient, splitRows } from './primitives';
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

/** [B*T, n*D] -> [B*n*T, D]: the rows of each (sequence, head) pair, contiguous. */
function toHeadRows(x: tf.Tensor, batch: number, len: number, n: number, d: number): tf.Tensor2D {
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, len, n, d]), [0, 2, 1, 3]), [batch * n * len, d]) as tf.Tensor2D;
}

/** [B*T, n*D] -> [B*n*D, T]: each (sequence, head) pair as a [D, T] block. */
function toHeadColumns(x: tf.Tensor, batch: number, len: number, n: number, d: number): tf.Tensor2D {
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, len, n, d]), [0, 2, 3, 1]), [batch * n * d, len]) as tf.Tensor2D;
}

/** Inverse of toHeadRows: [B*n*T, D] -> [B*T, n*D]. */
function fromHeadRows(x: tf.Tensor, batch: number, len: number, n: number, d: number): tf.Tensor2D {
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, n, len, d]), [0, 2, 1, 3]), [batch * len, n * d]) as tf.Tensor2D;
}

/** Inverse of toHeadColumns: [B*n*D, T] -> [B*T, n*D]. */
function fromHeadColumns(x: tf.Tensor, batch: number, len: number, n: number, d: number): tf.Tensor2D {
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, n, d, len]), [0, 3, 1, 2]), [batch * len, n * d]) as tf.Tensor2D;
}

/**
 * [B*Tq, H*D] (query heads h = g*G + j, G = H / Hkv) -> [B, Hkv, D, G, Tq]
 * flattened to [B*Hkv*D, G*Tq]: per (sequence, kv head) the transposed rows
 * of its G query heads.
 */
function toGroupColumns(x: tf.Tensor, batch: number, len: number, kvHeads: number, group: number, d: number): tf.Tensor2D {
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, len, kvHeads, group, d]), [0, 2, 4, 3, 1]),
    [batch * kvHeads * d, group * len]) as tf.Tensor2D;
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
 * softmax(q k^T / sqrt(D) + causal mask) v for all sequences and heads, with
 * a hand-written gradient. q [B*Tq, H*D], k and v [B*Tk, Hkv*D] (query head
 * h reads key/value head h / (H / Hkv)); returns [B*Tq, H*D]. Queries sit at
 * the last Tq of the Tk positions. Each (sequence, kv head) pair is one block:
 * its G = H / Hkv query heads stacked as [G*Tq, D] rows, so every product is
 * a plain 2-D matmul:
 *   forward  S = Q K^T, P = softmax(S + mask), O = P V;
 *   backward dP = dO V^T, dS = P (dP - rowsum(dP P)), dQ = dS K,
 *            dK^T = Q^T dS, dV^T = dO^T P.
 *
 * @example
 * const o = causalAttention(q, k, v, { batch: 2, seqLen: 8, heads: 4, kvHeads: 2, headDim: 16 }, 8);
 */
export function causalAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, shape: AttentionShape, keyLen: number): tf.Tensor2D {
  const { batch, seqLen, heads, kvHeads, headDim: d } = shape;
  const group = heads / kvHeads;
  const blocks = batch * kvHeads;
  const scale = 1 / Math.sqrt(d);
  const f = customGradient((qIn: tf.Tensor, kIn: tf.Tensor, vIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const qs = tf.mul(qIn, scale);
    const qBlocks = splitRows(toHeadRows(qs, batch, seqLen, heads, d), blocks);          // [G*Tq, D] each
    const kBlocks = splitRows(toHeadColumns(kIn, batch, keyLen, kvHeads, d), blocks);    // [D, Tk]
    const vBlocks = splitRows(toHeadRows(vIn, batch, keyLen, kvHeads, d), blocks);       // [Tk, D]
    const mask = causalMask(seqLen, keyLen);
    const probs: tf.Tensor2D[] = [];
    const outs: tf.Tensor2D[] = [];
    for (let i = 0; i < blocks; i++) {
      const scores = tf.add(tf.reshape(tf.matMul(qBlocks[i], kBlocks[i]), [group, seqLen, keyLen]), mask);
      const p = tf.reshape(tf.softmax(scores), [group * seqLen, keyLen]) as tf.Tensor2D;   // [G*Tq, Tk]
      probs.push(p);
      outs.push(tf.matMul(p, vBlocks[i]));                                               // [G*Tq, D]
    }
    save([qs, kIn, vIn, ...probs]);
    return {
      value: fromHeadRows(tf.concat(outs, 0), batch, seqLen, heads, d),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv] = saved;
        const p = saved.slice(3) as tf.Tensor2D[];
        const dyBlocks = splitRows(toHeadRows(dy, batch, seqLen, heads, d), blocks);      // [G*Tq, D]
        const dyT = splitRows(toGroupColumns(dy, batch, seqLen, kvHeads, group, d), blocks); // [D, G*Tq]
        const qT = splitRows(toGroupColumns(sq, batch, seqLen, kvHeads, group, d), blocks);  // [D, G*Tq]
        const kRows = splitRows(toHeadRows(sk, batch, keyLen, kvHeads, d), blocks);       // [Tk, D]
        const vT = splitRows(toHeadColumns(sv, batch, keyLen, kvHeads, d), blocks);       // [D, Tk]
        const dq: tf.Tensor2D[] = [];
        const dkT: tf.Tensor2D[] = [];
        const dvT: tf.Tensor2D[] = [];
        for (let i = 0; i < blocks; i++) {
          const pdp = tf.mul(tf.matMul(dyBlocks[i], vT[i]), p[i]);                         // P dP
          const ds = tf.sub(pdp, tf.mul(p[i], tf.sum(pdp, -1, true))) as tf.Tensor2D;      // [G*Tq, Tk]
          dq.push(tf.matMul(ds, kRows[i]));                                                // [G*Tq, D]
          dkT.push(tf.matMul(qT[i], ds));                                                  // [D, Tk]
          dvT.push(tf.matMul(dyT[i], p[i]));                                               // [D, Tk]
        }
        return [
          tf.mul(fromHeadRows(tf.concat(dq, 0), batch, seqLen, heads, d), scale),
          fromHeadColumns(tf.concat(dkT, 0), batch, keyLen, kvHeads, d),
          fromHeadColumns(tf.concat(dvT, 0), batch, keyLen, kvHeads, d),
        ];
      },
    };
  });
  return f(q, k, v) as tf.Tensor2D;
}

/**
 * Qwen2 grouped-query self-attention on x [B*T, hidden]: q/k/v projections
 * with biases, rotary embeddings, causal softmax(q k^T / sqrt(D)) v per head
 * (`causalAttention`: query head h reads key/value head h / (H / H_kv)), then o_proj.
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
  return proj.o(causalAttention(q, k, v, shape, keyLen));
}
