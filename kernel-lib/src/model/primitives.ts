/**
 * The few tensor primitives the model is built from, written for speed on the
 * wasm backend (see shared/TOOLCHAIN.md): only plain 2-D matmuls (no transpose
 * flags, no batched matmul), gradients defined by hand with explicit
 * transposes, and an embedding whose gradient is a scatter-add (wasm has no
 * UnsortedSegmentSum). Everything else in `model/` calls these.
 */
import * as tf from '@tensorflow/tfjs';

type GradFn = Parameters<typeof tf.customGrad>[0];
type Saver = tf.GradSaveFunc;
/** tf.customGrad with typed positional inputs (tfjs types them as a union with the save function). */
function customGradient(f: (...args: any[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] }) {
  return tf.customGrad(f as unknown as GradFn) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/**
 * a[m,k] @ b[k,n] with a hand-written gradient (da = dy b^T, db = a^T dy).
 *
 * @example
 * const c = matmul2d(tf.ones([2, 3]), tf.ones([3, 4])); // [2, 4] of 3s
 */
export function matmul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matmul2dGrad(a, b) as tf.Tensor2D;
}

const matmul2dGrad = customGradient((a: tf.Tensor, b: tf.Tensor, save: Saver) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)),
        tf.matMul(tf.transpose(sa), dy as tf.Tensor2D),
      ];
    },
  };
});

/**
 * A torch-style linear layer on 2-D input: y = x W^T (+ b), with W stored as
 * [out, in] like Hugging Face. Gradients: dx = dy W, dW = dy^T x, db = sum(dy).
 *
 * @example
 * const y = linear(tf.ones([5, 3]), tf.ones([4, 3]), tf.zeros([4])); // [5, 4]
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return (bias ? linearBias(x, weight, bias) : linearNoBias(x, weight)) as tf.Tensor2D;
}

const linearNoBias = customGradient((x: tf.Tensor, w: tf.Tensor, save: Saver) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, tf.transpose(w as tf.Tensor2D)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, sw), tf.matMul(tf.transpose(dy as tf.Tensor2D), sx)];
    },
  };
});

const linearBias = customGradient((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: Saver) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, tf.transpose(w as tf.Tensor2D)), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      return [
        tf.matMul(dy as tf.Tensor2D, sw),
        tf.matMul(tf.transpose(dy as tf.Tensor2D), sx),
        tf.sum(dy, 0),
      ];
    },
  };
});

/**
 * Embedding lookup rows = table[ids], with a scatter-add gradient into the
 * table (dTable[id] += dy[row]) computed in JS.
 *
 * @example
 * const rows = embeddingLookup(tf.tensor1d([2, 0], 'int32'), tf.eye(3) as tf.Tensor2D); // rows 2 and 0
 */
export function embeddingLookup(ids: tf.Tensor1D, table: tf.Tensor2D): tf.Tensor2D {
  return embeddingGrad(ids, table) as tf.Tensor2D;
}

const embeddingGrad = customGradient((ids: tf.Tensor, table: tf.Tensor, save: Saver) => {
  save([ids]);
  const [vocab, dim] = table.shape as [number, number];
  return {
    value: tf.gather(table, ids as tf.Tensor1D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const idx = saved[0].dataSync() as Int32Array;
      const g = dy.dataSync() as Float32Array;
      const out = new Float32Array(vocab * dim);
      for (let r = 0; r < idx.length; r++) {
        const base = idx[r] * dim;
        const src = r * dim;
        for (let j = 0; j < dim; j++) out[base + j] += g[src + j];
      }
      return [tf.zerosLike(saved[0]), tf.tensor2d(out, [vocab, dim])];
    },
  };
});

/**
 * Mean token cross-entropy of `logits` [N, V] against `labels` (Int32Array of
 * length N; -100 = ignore), as torch's `cross_entropy(ignore_index=-100)`.
 * Gradient (softmax - onehot) / count on the counted rows. Returns a scalar;
 * NaN-free 0 when no row counts.
 *
 * @example
 * const loss = crossEntropy(tf.zeros([2, 4]) as tf.Tensor2D, Int32Array.from([1, -100])); // log(4)
 */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const n = logits.shape[0];
  if (labels.length !== n) throw new Error(`crossEntropy: ${labels.length} labels for ${n} rows`);
  const vocab = logits.shape[1];
  const mask = new Float32Array(n);
  const target = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === -100) continue;
    if (l < 0 || l >= vocab) throw new Error(`crossEntropy: label ${l} at row ${i} outside vocabulary [0, ${vocab})`);
    mask[i] = 1;
    target[i] = l;
    count++;
  }
  const weights = tf.tensor2d(mask.map((m) => (count > 0 ? m / count : 0)), [n, 1]);
  const targets = tf.tensor1d(target, 'int32');
  const f = customGradient((x: tf.Tensor, save: Saver) => {
    const logp = tf.logSoftmax(x);
    const onehot = tf.oneHot(targets, vocab);
    save([logp, onehot, weights]);
    const picked = tf.sum(tf.mul(logp, onehot), 1, true);
    return {
      value: tf.neg(tf.sum(tf.mul(picked, weights))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sLogp, sOnehot, sWeights] = saved;
        return [tf.mul(tf.mul(tf.sub(tf.exp(sLogp), sOnehot), sWeights), dy)];
      },
    };
  });
  const out = f(logits) as tf.Scalar;
  targets.dispose();
  weights.dispose();
  return out;
}
