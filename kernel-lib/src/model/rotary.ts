import * as tf from '@tensorflow/tfjs';
import { customGradient } from './primitives';

/**
 * cos / sin tables of rotary position embeddings for the given positions, as
 * Hugging Face's Qwen2RotaryEmbedding: inv_freq[i] = theta^(-2i/D),
 * angle = pos * inv_freq, tables = [cos(angle), cos(angle)] (the half repeated).
 * Shapes: [positions.length, headDim].
 *
 * @example
 * const { cos, sin } = rotaryTables([0, 1, 2], 64, 10000);
 */
export function rotaryTables(positions: ArrayLike<number>, headDim: number, theta: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = headDim / 2;
  const invFreq = new Float32Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = Math.fround(1 / Math.pow(theta, (2 * i) / headDim));
  const n = positions.length;
  const cos = new Float32Array(n * headDim);
  const sin = new Float32Array(n * headDim);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(positions[r] * invFreq[i]);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[r * headDim + i] = c; cos[r * headDim + i + half] = c;
      sin[r * headDim + i] = s; sin[r * headDim + i + half] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [n, headDim]), sin: tf.tensor2d(sin, [n, headDim]) };
}

const rotateHalfCache = new Map<number, tf.Tensor2D>();

/** The [D, D] matrix R with x @ R = rotate_half(x) = concat(-x[D/2:], x[:D/2]); R^T = -R. */
function rotateHalfMatrix(headDim: number): tf.Tensor2D {
  let m = rotateHalfCache.get(headDim);
  if (!m || m.isDisposed) {
    const half = headDim / 2;
    const data = new Float32Array(headDim * headDim);
    for (let j = 0; j < half; j++) {
      data[(j + half) * headDim + j] = -1;
      data[j * headDim + (j + half)] = 1;
    }
    m = tf.keep(tf.tensor2d(data, [headDim, headDim]));
    rotateHalfCache.set(headDim, m);
  }
  return m;
}

/**
 * Apply rotary embeddings to x [N, heads*D] where row r sits at the position
 * whose tables are cos[r], sin[r]: x*cos + rotate_half(x)*sin, per head.
 * rotate_half is a plain 2-D matmul with a fixed ±1 matrix (fast on wasm).
 * Hand-written gradient: dx = dy*cos + (dy*sin) R^T = dy*cos - (dy*sin) R,
 * no gradient for the tables.
 *
 * @example
 * const q2 = applyRotary(q, cos, sin, numHeads);
 */
export function applyRotary(x: tf.Tensor2D, cos: tf.Tensor2D, sin: tf.Tensor2D, heads: number): tf.Tensor2D {
  const [n, width] = x.shape;
  const d = width / heads;
  const f = customGradient((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const c = tf.reshape(cos, [n, 1, d]);
    const s = tf.reshape(sin, [n, 1, d]);
    save([c, s]);
    const rotated = tf.reshape(tf.matMul(tf.reshape(xIn, [n * heads, d]) as tf.Tensor2D, rotateHalfMatrix(d)), [n, heads, d]);
    return {
      value: tf.reshape(tf.add(tf.mul(tf.reshape(xIn, [n, heads, d]), c), tf.mul(rotated, s)), [n, width]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sc, ss] = saved;
        const dy3 = tf.reshape(dy, [n, heads, d]);
        const back = tf.matMul(tf.reshape(tf.mul(dy3, ss), [n * heads, d]) as tf.Tensor2D, rotateHalfMatrix(d));
        return [tf.reshape(tf.sub(tf.mul(dy3, sc), tf.reshape(back, [n, heads, d])), [n, width])];
      },
    };
  });
  return f(x) as tf.Tensor2D;
}
