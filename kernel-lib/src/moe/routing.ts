/**
 * Token-level top-k routing for a mixture of experts, written for the wasm
 * backend's fast paths: the router is one 2-D matmul (logits = x W_r^T), the
 * top-k choice is a constant 0/1 mask computed on the host (so no gradient
 * flows through the choice itself, as in every top-k MoE), and the gates are
 * the router's softmax restricted to the chosen experts and renormalised
 * (Mixtral's routing weights). Also: the Switch/Mixtral load-balancing loss
 * and the statistics the dashboard shows (expert load, routing entropy).
 */
import * as tf from '@tensorflow/tfjs';
import { sumRows } from '../model/primitives';

/** The top-k choice of every token, as the host sees it. */
export interface TopKChoice {
  /** 0/1 mask [tokens * experts] (row-major), exactly k ones per row. */
  mask: Float32Array;
  /** The expert with the largest logit per token (the contrastive label). */
  top1: Int32Array;
  /** Routing slots per expert over all tokens (sums to tokens * k). */
  counts: number[];
}

/**
 * The k largest logits of each row (ties go to the lower expert index, so
 * every row has exactly k chosen experts).
 *
 * @example
 * topKMask(Float32Array.from([0.1, 2, 1, -1]), 1, 4, 2).mask; // [0, 1, 1, 0]
 */
export function topKMask(logits: ArrayLike<number>, tokens: number, experts: number, k: number): TopKChoice {
  if (logits.length !== tokens * experts) throw new Error(`topKMask: ${logits.length} logits for ${tokens} tokens x ${experts} experts`);
  if (!(k >= 1 && k <= experts)) throw new Error(`topKMask: k = ${k} must be in [1, ${experts}]`);
  const mask = new Float32Array(tokens * experts);
  const top1 = new Int32Array(tokens);
  const counts = new Array<number>(experts).fill(0);
  const order = Array.from({ length: experts }, (_, e) => e);
  for (let t = 0; t < tokens; t++) {
    const base = t * experts;
    order.sort((a, b) => (logits[base + b] - logits[base + a]) || (a - b));
    top1[t] = order[0];
    for (let j = 0; j < k; j++) {
      mask[base + order[j]] = 1;
      counts[order[j]] += 1;
    }
  }
  return { mask, top1, counts };
}

/**
 * Routing weights [tokens, experts]: softmax(logits) kept on the masked
 * experts and renormalised to sum to 1 per token (equal to a softmax over the
 * chosen logits). Differentiable in `probs`; the mask is a constant.
 *
 * @example
 * const g = topKGates(tf.softmax(logits), tf.tensor2d(choice.mask, logits.shape)); // rows sum to 1
 */
export function topKGates(probs: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const kept = tf.mul(probs, mask);
    return tf.div(kept, tf.sum(kept, 1, true)) as tf.Tensor2D;
  });
}

/**
 * The [experts, experts * r] 0/1 matrix that repeats each expert's gate over
 * its r columns: gates [N, E] times it gives [N, E*r], one gate per column of
 * the stacked expert codes.
 *
 * @example
 * expertBlockMatrix(2, 2); // [[1, 1, 0, 0], [0, 0, 1, 1]]
 */
export function expertBlockMatrix(experts: number, r: number): tf.Tensor2D {
  const data = new Float32Array(experts * experts * r);
  for (let e = 0; e < experts; e++) for (let j = 0; j < r; j++) data[e * experts * r + e * r + j] = 1;
  return tf.tensor2d(data, [experts, experts * r]);
}

/**
 * The share of routing slots each expert received: counts / (tokens * k),
 * summing to 1 (Switch Transformer's f_i for k = 1).
 *
 * @example
 * loadShares([3, 1], 2, 2); // [0.75, 0.25]
 */
export function loadShares(counts: readonly number[], tokens: number, k: number): number[] {
  const slots = tokens * k;
  return counts.map((c) => (slots > 0 ? c / slots : 0));
}

/**
 * Load-balancing loss of one routed module: num_experts * sum_e f_e * P_e,
 * where f_e is the share of the routing slots expert e received (a constant,
 * `loadShares`) and P_e the mean router probability of e over the tokens (the
 * path the gradient takes). 1 when both are uniform; up to num_experts when
 * everything goes to one expert. Mixtral's `load_balancing_loss_func` sums
 * over the k slots instead, which is k times this value.
 *
 * @example
 * const aux = loadBalancingLoss(tf.softmax(logits), loadShares(choice.counts, n, k)); // scalar
 */
export function loadBalancingLoss(probs: tf.Tensor2D, shares: readonly number[]): tf.Scalar {
  const [tokens, experts] = probs.shape;
  if (shares.length !== experts) throw new Error(`loadBalancingLoss: ${shares.length} load shares for ${experts} experts`);
  return tf.tidy(() => {
    const meanProb = tf.div(sumRows(probs), tokens);                       // [E]
    return tf.mul(tf.sum(tf.mul(meanProb, tf.tensor1d(Float32Array.from(shares)))), experts) as tf.Scalar;
  });
}

/**
 * Mean entropy (nats) of the router's distributions over experts, one row
 * per token; log(num_experts) when routing is uniform, 0 when it is certain.
 *
 * @example
 * routingEntropy(Float32Array.from([0.5, 0.5, 1, 0]), 2, 2); // (log 2 + 0) / 2
 */
export function routingEntropy(probs: ArrayLike<number>, tokens: number, experts: number): number {
  if (tokens === 0) return 0;
  let sum = 0;
  for (let t = 0; t < tokens; t++) {
    for (let e = 0; e < experts; e++) {
      const p = probs[t * experts + e];
      if (p > 0) sum -= p * Math.log(p);
    }
  }
  return sum / tokens;
}
