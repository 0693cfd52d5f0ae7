import * as tf from '@tensorflow/tfjs';
import type { Projection } from './attention';

/** The three projections of a Qwen2 SwiGLU MLP (no biases). */
export interface MlpProjections {
  gate: Projection;
  up: Projection;
  down: Projection;
}

/**
 * Qwen2MLP: down_proj(silu(gate_proj(x)) * up_proj(x)).
 *
 * @example
 * const y = swigluMlp(x, { gate, up, down });
 */
export function swigluMlp(x: tf.Tensor2D, proj: MlpProjections): tf.Tensor2D {
  const gate = proj.gate(x);
  const up = proj.up(x);
  const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D;
  return proj.down(act);
}
