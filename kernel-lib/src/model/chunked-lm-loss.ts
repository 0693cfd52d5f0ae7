/**
 * The causal-LM loss over a large vocabulary, computed in vocabulary chunks so
 * that the logits [N, V] and their gradient never exist at once (Qwen2's
 * 151,936 tokens make them 155 MB each at 256 tokens).
 *
 * Forward: for each chunk of `chunk` vocabulary rows W_c [c, d] of the
 * lm_head, logits_c = h W_c^T [N, c]; each row's log-sum-exp is combined
 * across chunks online (lse = log(sum_c exp(lse_c)), in float64), and the
 * target's logit is read from the chunk that holds it.
 *
 * Backward (dy = d loss): for each chunk again, P_c = exp(logits_c - lse)
 * [N, c], G_c = (dy / count) (P_c - onehot_c) on counted rows (0 on ignored
 * ones), dh += G_c W_c and dW_c = G_c^T h [c, d]: the rows c of dW, written
 * straight into a Float32Array of the full [V, d] (outside the backend's
 * memory), so dW never exists twice on the backend either.
 *
 * Cost: the logits matmul runs twice (forward, then again in backward), the
 * price of never holding them. Equal to `crossEntropy(linear(h, W), labels)`
 * up to float32 rounding (tests/model/chunked-lm-loss.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { customGradient, gradientWanted, hostView, sliceRows, transpose2d, weightGradientFor } from './primitives';

/** What the forward pass keeps for the backward pass. */
export interface ChunkedLossForward {
  /** Sum of the counted rows' losses (float64). */
  sum: number;
  /** Rows with a label (not -100). */
  count: number;
  /** Each row's log-sum-exp over the whole vocabulary. */
  lse: Float32Array;
}

function checkLabels(labels: Int32Array, n: number, vocab: number): void {
  if (labels.length !== n) throw new Error(`chunked loss: ${labels.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l !== -100 && (l < 0 || l >= vocab)) throw new Error(`chunked loss: label ${l} at row ${i} outside vocabulary [0, ${vocab})`);
  }
}

function checkChunk(chunk: number): void {
  if (!(Number.isInteger(chunk) && chunk >= 1)) throw new Error(`chunked loss: the vocabulary chunk must be a positive integer, got ${chunk}`);
}

/**
 * Forward half: the summed loss, the count of labelled rows and each row's
 * log-sum-exp, without the full logits (see the module comment). Makes no
 * tape entries when called outside a gradient.
 *
 * @example
 * const f = lmHeadLossForward(hidden, model.lmHeadWeight(), shiftLabels(labels, 1, 8), 4096);
 * const loss = f.sum / f.count;
 */
export function lmHeadLossForward(h: tf.Tensor2D, w: tf.Tensor2D, labels: Int32Array, chunk: number): ChunkedLossForward {
  const [n] = h.shape;
  const vocab = w.shape[0];
  checkLabels(labels, n, vocab);
  checkChunk(chunk);
  const lse64 = new Float64Array(n).fill(-Infinity);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) if (labels[i] !== -100) count++;
  for (let v0 = 0; v0 < vocab; v0 += chunk) {
    const c = Math.min(chunk, vocab - v0);
    tf.tidy(() => {
      const logits = tf.matMul(h, transpose2d(sliceRows(w, v0, c)));          // [N, c]
      const rowMax = tf.max(logits, 1).dataSync();
      const probMax = tf.max(tf.softmax(logits), 1).dataSync();             // 1 / sum exp(x - max)
      for (let i = 0; i < n; i++) {
        const part = rowMax[i] - Math.log(probMax[i]);                      // this chunk's log-sum-exp
        const a = lse64[i];
        const hi = Math.max(a, part);
        lse64[i] = hi + Math.log(Math.exp(a - hi) + Math.exp(part - hi));
      }
      const view = hostView(logits);
      for (let i = 0; i < n; i++) {
        const t = labels[i];
        if (t >= v0 && t < v0 + c) sum -= view[i * c + (t - v0)];
      }
    });
  }
  for (let i = 0; i < n; i++) if (labels[i] !== -100) sum += lse64[i];
  return { sum, count, lse: Float32Array.from(lse64) };
}

/**
 * Where the lm_head weight's gradient rows go: a Float32Array of V * d, or a
 * function that returns one (a view of a wasm backend buffer, which must be
 * taken anew after each allocation since the heap may move).
 */
export type GradientRows = Float32Array | (() => Float32Array);

/**
 * Backward half: dh [N, d] for a loss gradient `scale` per counted row
 * (dy / count for the mean), and, when `dW` is given (V * d values, added
 * to), the lm_head weight's gradient, chunk by chunk.
 *
 * @example
 * const dW = new Float32Array(vocab * hidden);
 * const dh = lmHeadLossBackward(hidden, w, targets, f.lse, 1 / f.count, 4096, dW);
 */
export function lmHeadLossBackward(
  h: tf.Tensor2D, w: tf.Tensor2D, labels: Int32Array, lse: Float32Array, scale: number, chunk: number, dW: GradientRows | null,
): tf.Tensor2D {
  const [n, d] = h.shape;
  const vocab = w.shape[0];
  checkLabels(labels, n, vocab);
  checkChunk(chunk);
  const rowsOf = (): Float32Array => (typeof dW === 'function' ? dW() : dW!);
  if (dW && rowsOf().length !== vocab * d) throw new Error(`chunked loss: the weight-gradient buffer holds ${rowsOf().length} values, expected ${vocab} x ${d}`);
  const rowScale = new Float32Array(n);
  for (let i = 0; i < n; i++) if (labels[i] !== -100) rowScale[i] = scale;
  const lseT = tf.tensor2d(lse, [n, 1]);
  const scaleT = tf.tensor2d(rowScale, [n, 1]);
  let dh: tf.Tensor2D = tf.zeros([n, d]);
  try {
    for (let v0 = 0; v0 < vocab; v0 += chunk) {
      const c = Math.min(chunk, vocab - v0);
      const hits: number[] = [];
      for (let i = 0; i < n; i++) if (labels[i] >= v0 && labels[i] < v0 + c) hits.push(i);
      const next = tf.tidy(() => {
        const wc = sliceRows(w, v0, c);
        const logits = tf.matMul(h, transpose2d(wc));                           // [N, c]
        let g = tf.mul(tf.exp(tf.sub(logits, lseT)), scaleT) as tf.Tensor2D;    // scale P on counted rows
        if (hits.length > 0) {
          const at = tf.tensor2d(Int32Array.from(hits.flatMap((i) => [i, labels[i] - v0])), [hits.length, 2], 'int32');
          const flat = tf.tensor1d(Int32Array.from(hits, (i) => i * c + labels[i] - v0), 'int32');
          const picked = tf.gather(tf.reshape(g, [-1]), flat);
          g = tf.tensorScatterUpdate(g, at, tf.sub(picked, rowScaleAt(rowScale, hits))) as tf.Tensor2D; // - scale at the labels
        }
        if (dW) {
          const dWc = tf.matMul(transpose2d(g), h);                             // [c, d]
          const rows = rowsOf();                                                // after the last allocation
          rows.set(addInto(rows.subarray(v0 * d, (v0 + c) * d), hostView(dWc)), v0 * d);
        }
        return tf.add(dh, tf.matMul(g, wc)) as tf.Tensor2D;
      });
      dh.dispose();
      dh = next;
    }
  } catch (e) {
    dh.dispose();
    throw e;
  } finally {
    lseT.dispose(); scaleT.dispose();
  }
  return dh;
}

const rowScaleAt = (rowScale: Float32Array, rows: number[]): tf.Tensor1D => tf.tensor1d(Float32Array.from(rows, (i) => rowScale[i]));

/** target += source, element-wise; returns target. */
function addInto(target: Float32Array, source: Float32Array): Float32Array {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
  return target;
}

/**
 * Mean token cross-entropy of the logits h W^T against `labels` (-100 =
 * ignore), computed `chunk` vocabulary rows at a time (see the module
 * comment): the same value and gradients as
 * `crossEntropy(linear(h, W), labels)` without the [N, V] logits. W's
 * gradient follows the same rules as a linear layer's (sent to a layer-wise
 * sink, skipped when W is frozen).
 *
 * @example
 * const loss = chunkedCrossEntropy(model.hiddenStates(ids, 1, 8), model.lmHeadWeight(), shiftLabels(labels, 1, 8), 4096);
 */
export function chunkedCrossEntropy(h: tf.Tensor2D, w: tf.Tensor2D, labels: Int32Array, chunk: number): tf.Scalar {
  const f = customGradient((hIn: tf.Tensor, wIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const fwd = lmHeadLossForward(hIn as tf.Tensor2D, wIn as tf.Tensor2D, labels, chunk);
    save([hIn]);
    return {
      value: tf.scalar(fwd.count === 0 ? 0 : fwd.sum / fwd.count),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sh] = saved as tf.Tensor2D[];
        const [vocab, d] = (wIn as tf.Tensor2D).shape;
        if (fwd.count === 0) return [tf.zerosLike(sh), weightGradientFor(wIn, () => tf.zeros([vocab, d]))];
        const buffer = gradientWanted(wIn) ? new Float32Array(vocab * d) : null;
        const dh = lmHeadLossBackward(sh, wIn as tf.Tensor2D, labels, fwd.lse, dy.dataSync()[0] / fwd.count, chunk, buffer);
        return [dh, weightGradientFor(wIn, () => tf.tensor2d(buffer!, [vocab, d]))];
      },
    };
  });
  return f(h, w) as tf.Scalar;
}
