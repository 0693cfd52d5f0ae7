import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../kernel-lib/src/util/random';

/** A [rows, cols] tensor of seeded N(0, 1) values. */
export function randomMatrix(rows: number, cols: number, seed: number): tf.Tensor2D {
  const rng = seededRandom(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

/**
 * Compares tf's gradient of `f` (a scalar function of the variables) with
 * central finite differences at `probes` seeded entries of each variable.
 * Returns the worst |analytic - numeric| / (|numeric| + scale) over all probes.
 */
export function worstGradientError(f: () => tf.Scalar, vars: tf.Variable[], probes = 4, eps = 1e-2, scale = 1e-2): number {
  const { grads } = tf.variableGrads(f, vars);
  const rng = seededRandom(99);
  let worst = 0;
  for (const v of vars) {
    const g = grads[v.name].dataSync() as Float32Array;
    const base = (v.dataSync() as Float32Array).slice();
    for (let k = 0; k < probes; k++) {
      const i = rng.int(base.length);
      const at = (delta: number): number => {
        const x = base.slice();
        x[i] += delta;
        v.assign(tf.tensor(x, v.shape));
        return tf.tidy(() => f().dataSync()[0]);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      worst = Math.max(worst, Math.abs(g[i] - numeric) / (Math.abs(numeric) + scale));
    }
  }
  tf.dispose(grads);
  return worst;
}
