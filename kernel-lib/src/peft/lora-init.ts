/**
 * Initial values of the LoRA factors A [r, in] and B [out, r], as PEFT sets
 * them: Kaiming-uniform A and zero B (so a fresh adapter changes nothing),
 * Gaussian A, random A and B, or PiSSA's principal singular vectors of W.
 */
import * as tf from '@tensorflow/tfjs';
import { truncatedSvd } from '../linalg/truncated-svd';
import { disposeSvd } from '../linalg/svd-types';
import { matmul2d } from '../model/primitives';
import type { SeededRandom } from '../util/random';
import { LoraInit, pissaIterations } from './lora-config';

/**
 * Bound of torch's `kaiming_uniform_(w, a)` for fan-in `fanIn` (leaky-ReLU
 * gain): sqrt(6 / ((1 + a^2) fanIn)). With PEFT's a = sqrt(5) this is
 * 1 / sqrt(fanIn), the default init of `nn.Linear`.
 *
 * @example
 * kaimingUniformBound(16); // 0.25
 */
export function kaimingUniformBound(fanIn: number, a = Math.sqrt(5)): number {
  return Math.sqrt(6 / ((1 + a * a) * fanIn));
}

/**
 * A rows x cols matrix (row-major) with entries uniform in [-bound, bound),
 * bound = kaimingUniformBound(cols): `nn.init.kaiming_uniform_(w, a=sqrt(5))`
 * for a weight [rows, cols] (fan-in = cols).
 *
 * @example
 * const a = kaimingUniform(8, 896, seededRandom(0)); // |a[i]| < 1/sqrt(896)
 */
export function kaimingUniform(rows: number, cols: number, rng: SeededRandom): Float32Array {
  const bound = kaimingUniformBound(cols);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

/**
 * A rows x cols matrix of normal(0, std) entries.
 *
 * @example
 * const a = gaussianMatrix32(8, 896, 1 / 8, seededRandom(0));
 */
export function gaussianMatrix32(rows: number, cols: number, std: number, rng: SeededRandom): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
  return out;
}

/** Initial factors of one adapter (the caller owns the tensors). */
export interface LoraFactors {
  A: tf.Tensor2D;
  B: tf.Tensor2D;
  /** For PiSSA: the residual W - scaling B A that replaces the base weight. */
  residual?: tf.Tensor2D;
}

/**
 * PiSSA (Meng et al. 2024) as PEFT's `pissa_init`: with W = U S V^T,
 * A = diag(sqrt(S_r / scaling)) V_r^T, B = U_r diag(sqrt(S_r / scaling)), and
 * the base weight becomes W - scaling B A, so the layer's output is unchanged
 * and the adapter starts on W's principal directions. `iterations` null means
 * an exact SVD (float64 one-sided Jacobi: small matrices), a number the
 * randomized SVD with that many power iterations (PEFT's `pissa_niter_N`).
 *
 * @example
 * const { A, B, residual } = pissaFactors(w, 4, 2, null);
 */
export function pissaFactors(w: tf.Tensor2D, r: number, scaling: number, iterations: number | null, seed = 0): Required<LoraFactors> {
  const [out, inp] = w.shape;
  if (r > Math.min(out, inp)) throw new Error(`PiSSA: rank ${r} exceeds min(out, in) = ${Math.min(out, inp)} of a ${out}x${inp} weight`);
  if (!(scaling > 0)) throw new Error(`PiSSA: scaling must be > 0 (lora_alpha > 0), got ${scaling}`);
  const svd = iterations === null
    ? truncatedSvd(w, r, { method: 'exact' })
    : truncatedSvd(w, r, { method: 'randomized', powerIterations: iterations, seed });
  try {
    return tf.tidy(() => {
      const root = tf.tensor1d(Float32Array.from(svd.S, (s) => Math.sqrt(s / scaling)));
      const A = tf.mul(svd.Vt!, tf.reshape(root, [r, 1])) as tf.Tensor2D;   // [r, in]
      const B = tf.mul(svd.U!, tf.reshape(root, [1, r])) as tf.Tensor2D;    // [out, r]
      const residual = tf.sub(w, tf.mul(matmul2d(B, A), scaling)) as tf.Tensor2D;
      return { A, B, residual };
    });
  } finally {
    disposeSvd(svd);
  }
}

/**
 * Initial A [r, in] and B [out, r] for one module, by `init` (see `LoraInit`).
 * Random draws come from `rng` (A first, then B).
 *
 * @example
 * const { A, B } = initialLoraFactors(w, 8, 2, true, seededRandom(0)); // B is zero
 */
export function initialLoraFactors(w: tf.Tensor2D, r: number, scaling: number, init: LoraInit, rng: SeededRandom): LoraFactors {
  const [out, inp] = w.shape;
  if (init === 'pissa') return pissaFactors(w, r, scaling, null);
  const iterations = pissaIterations(init);
  if (iterations !== null) return pissaFactors(w, r, scaling, iterations, Math.floor(rng.next() * 2 ** 31));
  if (init === true) return { A: tf.tensor2d(kaimingUniform(r, inp, rng), [r, inp]), B: tf.zeros([out, r]) };
  if (init === 'gaussian') return { A: tf.tensor2d(gaussianMatrix32(r, inp, 1 / r, rng), [r, inp]), B: tf.zeros([out, r]) };
  // false: nn.Linear's default init for both (fan-in `in` for A, `r` for B)
  const A = tf.tensor2d(kaimingUniform(r, inp, rng), [r, inp]);
  return { A, B: tf.tensor2d(kaimingUniform(out, r, rng), [out, r]) };
}
