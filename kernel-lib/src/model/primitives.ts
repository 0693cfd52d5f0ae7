/**
 * The few tensor primitives the model is built from, written for speed on the
 * wasm backend (see shared/TOOLCHAIN.md): only plain 2-D matmuls (no transpose
 * flags, no batched matmul), gradients defined by hand with explicit
 * transposes, and an embedding whose gradient is a scatter-add (wasm has no
 * UnsortedSegmentSum). Everything else in `model/` calls these.
 *
 * Measured wasm costs that shape the code (tfjs 4.22, one thread):
 * - the 2-D Transpose kernel writes with a stride and is 3-10x slower than
 *   the same permutation run as a 3-D one: `transpose2d` uses the latter;
 * - Slice/Split/Unstack copy the whole source tensor for every piece:
 *   `splitRows` reads the source once;
 * - Sum over axis 0 transposes first: `sumRows` is a ones-vector matmul;
 * - Exp and LogSoftmax run at ~6 ns per element, Softmax at ~1: the
 *   cross-entropy works from the softmax; row Gather is slow: the embedding
 *   copies rows itself;
 * - every tensor a custom gradient saves is copied (engine clone): variables
 *   are read directly instead.
 */
import * as tf from '@tensorflow/tfjs';
import { forgetPackedCopies } from '../backend/wasm-buffers';

type GradFn = Parameters<typeof tf.customGrad>[0];
type Saver = tf.GradSaveFunc;
/** tf.customGrad with typed positional inputs (tfjs types them as a union with the save function). */
export function customGradient(f: (...args: any[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] }) {
  return tf.customGrad(f as unknown as GradFn) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/**
 * Save what a backward pass needs, copying only tensors that are not
 * `tf.Variable`s (variables outlive the tape and are read directly).
 * Returns a function that restores the list from the saved tensors.
 */
export function saveForBackward(save: Saver, tensors: tf.Tensor[]): (saved: tf.Tensor[]) => tf.Tensor[] {
  const isVar = tensors.map((t) => t instanceof tf.Variable);
  save(tensors.filter((_, i) => !isVar[i]));
  return (saved) => {
    let j = 0;
    return tensors.map((t, i) => (isVar[i] ? t : saved[j++]));
  };
}

/**
 * x^T of a 2-D tensor. On wasm the permutation runs as a 3-D one
 * ([r, c/k, k] -> [c/k, k, r]), which reads with a stride and writes
 * contiguously: 3-10x faster than the backend's 2-D transpose.
 *
 * @example
 * const t = transpose2d(tf.tensor2d([[1, 2, 3], [4, 5, 6]])); // [[1, 4], [2, 5], [3, 6]]
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = x.shape;
  const k = c % 4 === 0 ? 4 : c % 2 === 0 ? 2 : 1;
  if (k === 1 || c === k || r === 1) return tf.transpose(x);
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [r, c / k, k]), [1, 2, 0]), [c, r]) as tf.Tensor2D);
}

/**
 * Column sums of x [n, m] -> [m] (tf.sum(x, 0)) as a ones-vector matmul
 * (wasm's Sum over axis 0 transposes first, 10x slower).
 *
 * @example
 * const s = sumRows(tf.tensor2d([[1, 2], [3, 4]])); // [4, 6]
 */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  const [n, m] = x.shape;
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, n]) as tf.Tensor2D, x), [m]) as tf.Tensor1D);
}

/**
 * The values of a tensor without a copy where the backend allows it (the
 * wasm heap); valid only until the next tensor is allocated.
 */
export function hostView(x: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array };
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') return backend.typedArrayFromHeap(x);
  return x.dataSync() as Float32Array;
}

/**
 * Sum of squares of a tensor's values, as a number. On wasm it reads the
 * values in place (no temporary the size of the tensor: a squared copy of an
 * embedding's gradient is 0.5 GB) and sums in float64; elsewhere
 * `sum(square(x))`.
 *
 * @example
 * squaredNorm(tf.tensor1d([3, 4])); // 25
 */
export function squaredNorm(x: tf.Tensor): number {
  if (tf.getBackend() === 'wasm' && x.dtype === 'float32') {
    const v = hostView(x);
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    return s;
  }
  return tf.tidy(() => tf.sum(tf.square(x)).dataSync()[0]);
}

/**
 * Rows [start, start + n) of x [rows, cols] as a new [n, cols] tensor. On
 * wasm it copies just those rows (the backend's Slice reads the whole source
 * first: slicing 4 MB out of a 0.5 GB embedding copied all of it); elsewhere
 * `tf.slice`.
 *
 * @example
 * const middle = sliceRows(tf.tensor2d([[1], [2], [3]]), 1, 1); // [[2]]
 */
export function sliceRows(x: tf.Tensor2D, start: number, n: number): tf.Tensor2D {
  const [rows, cols] = x.shape;
  if (!(start >= 0 && n >= 0 && start + n <= rows)) throw new Error(`sliceRows: rows [${start}, ${start + n}) outside [0, ${rows})`);
  if (tf.getBackend() === 'wasm' && x.dtype === 'float32') {
    // copied out of the heap before the new tensor is allocated (an allocation may move the heap)
    return tf.tensor2d(hostView(x).slice(start * cols, (start + n) * cols), [n, cols]);
  }
  return tf.slice(x, [start, 0], [n, cols]);
}

/**
 * Split x [parts * n, m] into `parts` tensors [n, m] of consecutive rows,
 * reading x once (tf.split on wasm copies all of x for every piece).
 *
 * @example
 * const [top, bottom] = splitRows(tf.tensor2d([[1], [2], [3], [4]]), 2); // [[1], [2]] and [[3], [4]]
 */
export function splitRows(x: tf.Tensor2D, parts: number): tf.Tensor2D[] {
  const [rows, cols] = x.shape;
  if (rows % parts !== 0) throw new Error(`splitRows: ${rows} rows do not split into ${parts} equal parts`);
  if (parts === 1) return [tf.clone(x)];
  const n = rows / parts;
  const data = x.dataSync() as Float32Array; // one copy; the pieces below may grow the heap
  return Array.from({ length: parts }, (_, p) => tf.tensor2d(data.subarray(p * n * cols, (p + 1) * n * cols), [n, cols]));
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
  const restore = saveForBackward(save, [a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = restore(saved) as tf.Tensor2D[];
      return [
        tf.matMul(dy as tf.Tensor2D, transpose2d(sb)),
        tf.matMul(transpose2d(sa), dy as tf.Tensor2D),
      ];
    },
  };
});

/**
 * dW = dy^T x for a linear layer (dy [N, out], x [N, in]), through whichever
 * transposes move fewer values: dy^T, or x^T and the [in, out] result.
 */
function weightGradient(dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  const [n, out] = dy.shape;
  const inp = x.shape[1];
  if (n * out <= n * inp + inp * out) return tf.matMul(transpose2d(dy), x);
  return transpose2d(tf.matMul(transpose2d(x), dy));
}

/** Where a weight's gradient goes instead of the tape (layer-wise updates), keyed by the weight variable. */
const weightGradientSinks = new Map<tf.Tensor, (grad: tf.Tensor) => void>();

/**
 * Send the gradient of `weight` to `sink` as soon as the backward pass forms
 * it, instead of returning it from `tf.variableGrads` (layer-wise updates:
 * the sink applies the optimizer step and the gradient is freed right away,
 * so the gradients of the whole model never coexist). The weight must then be
 * left out of the variables passed to `tf.variableGrads`. `null` removes it.
 * Weights used twice in one pass (a tied embedding / lm_head) must not be sunk.
 *
 * @example
 * setWeightGradientSink(model.weights.get('model.layers.0.mlp.up_proj.weight')!, (g) => opt.stepParam(p, g, lr));
 */
export function setWeightGradientSink(weight: tf.Variable, sink: ((grad: tf.Tensor) => void) | null): void {
  if (sink) weightGradientSinks.set(weight, sink); else weightGradientSinks.delete(weight);
}

/** Whether a backward pass must form this weight's gradient (it has a sink, or it is trainable). */
export function gradientWanted(weight: tf.Tensor): boolean {
  return weightGradientSinks.has(weight) || (weight as tf.Variable).trainable !== false;
}

/** The layer-wise sink registered for a weight, if any. */
export function weightGradientSink(weight: tf.Tensor): ((grad: tf.Tensor) => void) | undefined {
  return weightGradientSinks.get(weight);
}

/**
 * A weight's gradient for the tape: computed and handed to its sink (if
 * any), skipped for frozen variables (`trainable === false`: no tape path
 * needs it, e.g. LoRA's base weights), computed otherwise. The placeholder
 * returned in the first two cases is never read: tfjs prunes inputs that are
 * not on a path to the requested variables.
 */
export function weightGradientFor(weight: tf.Tensor, compute: () => tf.Tensor): tf.Tensor {
  const sink = weightGradientSinks.get(weight);
  if (sink) {
    const grad = compute();
    try {
      sink(grad);
    } finally {
      grad.dispose(); // the sink has stepped the weight: free the gradient now, not at the end of the backward pass
    }
    return tf.zeros([1]);
  }
  if ((weight as tf.Variable).trainable === false) return tf.zeros([1]);
  return compute();
}

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
  const restore = saveForBackward(save, [x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, transpose2d(w as tf.Tensor2D)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = restore(saved) as tf.Tensor2D[];
      const dx = tf.matMul(dy as tf.Tensor2D, sw); // before a sink may update the weight
      if (sw instanceof tf.Variable) forgetPackedCopies(sw); // a weight's packed copy would outlive this step (wasm)
      return [dx, weightGradientFor(w, () => weightGradient(dy as tf.Tensor2D, sx))];
    },
  };
});

const linearBias = customGradient((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: Saver) => {
  const restore = saveForBackward(save, [x, w]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: transpose2d(w as tf.Tensor2D), bias: b }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = restore(saved) as tf.Tensor2D[];
      const dx = tf.matMul(dy as tf.Tensor2D, sw); // before a sink may update the weight
      if (sw instanceof tf.Variable) forgetPackedCopies(sw); // a weight's packed copy would outlive this step (wasm)
      return [dx, weightGradientFor(w, () => weightGradient(dy as tf.Tensor2D, sx)), sumRows(dy as tf.Tensor2D)];
    },
  };
});

/**
 * Embedding lookup rows = table[ids], with a scatter-add gradient into the
 * table (dTable[id] += dy[row]) computed in JS. The forward pass copies the
 * rows itself (wasm's row gather is slow).
 *
 * @example
 * const rows = embeddingLookup(tf.tensor1d([2, 0], 'int32'), tf.eye(3) as tf.Tensor2D); // rows 2 and 0
 */
export function embeddingLookup(ids: tf.Tensor1D, table: tf.Tensor2D): tf.Tensor2D {
  const idx = Int32Array.from(ids.dataSync());
  const [vocab, dim] = table.shape as [number, number];
  for (let r = 0; r < idx.length; r++) {
    if (!(idx[r] >= 0 && idx[r] < vocab)) throw new Error(`embeddingLookup: id ${idx[r]} at position ${r} outside [0, ${vocab})`);
  }
  const f = customGradient((idsIn: tf.Tensor, t: tf.Tensor) => {
    const src = hostView(t);
    const rows = new Float32Array(idx.length * dim);
    for (let r = 0; r < idx.length; r++) rows.set(src.subarray(idx[r] * dim, (idx[r] + 1) * dim), r * dim);
    return {
      value: tf.tensor2d(rows, [idx.length, dim]),
      gradFunc: (dy: tf.Tensor) => [tf.zerosLike(idsIn), weightGradientFor(t, () => {
        const g = dy.dataSync() as Float32Array;
        const out = new Float32Array(vocab * dim);
        for (let r = 0; r < idx.length; r++) {
          const base = idx[r] * dim;
          const from = r * dim;
          for (let j = 0; j < dim; j++) out[base + j] += g[from + j];
        }
        return tf.tensor2d(out, [vocab, dim]);
      })],
    };
  });
  return f(ids, table) as tf.Tensor2D;
}

/**
 * Mean token cross-entropy of `logits` [N, V] against `labels` (Int32Array of
 * length N; -100 = ignore), as torch's `cross_entropy(ignore_index=-100)`.
 * Gradient (softmax - onehot) / count on the counted rows. Returns a scalar;
 * NaN-free 0 when no row counts.
 *
 * Computed from the softmax P without a one-hot [N, V] or an Exp pass:
 * logsumexp_i = max_j x_ij - log(max_j P_ij) (the largest probability is
 * 1 / sum_j exp(x_ij - max), never small), loss_i = logsumexp_i - x_i,label;
 * the gradient scales P by 1/count and subtracts 1/count at the labels.
 *
 * @example
 * const loss = crossEntropy(tf.zeros([2, 4]) as tf.Tensor2D, Int32Array.from([1, -100])); // log(4)
 */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  const [n, vocab] = logits.shape;
  if (labels.length !== n) throw new Error(`crossEntropy: ${labels.length} labels for ${n} rows`);
  const rows: number[] = [];
  const targets: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === -100) continue;
    if (l < 0 || l >= vocab) throw new Error(`crossEntropy: label ${l} at row ${i} outside vocabulary [0, ${vocab})`);
    rows.push(i);
    targets.push(l);
  }
  const count = rows.length;
  const flatIndex = Int32Array.from(rows, (r, k) => r * vocab + targets[k]);
  const f = customGradient((x: tf.Tensor, save: Saver) => {
    if (count === 0) return { value: tf.scalar(0), gradFunc: () => [tf.zerosLike(x)] };
    const p = tf.softmax(x);
    const picked = tf.gather(tf.reshape(x, [-1]), tf.tensor1d(flatIndex, 'int32')).dataSync();
    const rowMax = tf.max(x, 1).dataSync();
    const probMax = tf.max(p, 1).dataSync();
    let sum = 0;
    for (let k = 0; k < count; k++) sum += rowMax[rows[k]] - Math.log(probMax[rows[k]]) - picked[k];
    save([p]);
    return {
      value: tf.scalar(sum / count),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const c = dy.dataSync()[0] / count;
        const scale = new Float32Array(n);
        for (const r of rows) scale[r] = c;
        const scaled = tf.mul(saved[0], tf.tensor2d(scale, [n, 1]));                        // c P on counted rows
        const atLabels = tf.gather(tf.reshape(scaled, [-1]), tf.tensor1d(flatIndex, 'int32')); // c P_i,label
        const positions = tf.tensor2d(Int32Array.from(rows.flatMap((r, k) => [r, targets[k]])), [count, 2], 'int32');
        return [tf.tensorScatterUpdate(scaled, positions, tf.sub(atLabels, c))];
      },
    };
  });
  return f(logits) as tf.Scalar;
}
