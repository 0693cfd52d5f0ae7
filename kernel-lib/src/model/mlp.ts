import * as tf from '@tensorflow/tfjs';
import type { Projection } from './attention';
import { customGradient } from './primitives';

/** The three projections of a Qwen2 SwiGLU MLP (no biases). */
export interface MlpProjections {
  gate: Projection;
  up: Projection;
  down: Projection;
}

/**
 * silu(gate) * up with a hand-written gradient (s = sigmoid(gate)):
 * d up = dy gate s, d gate = dy up s (1 + gate (1 - s)).
 *
 * @example
 * const a = swiglu(tf.tensor2d([[1, -1]]), tf.tensor2d([[2, 2]])); // [[1.4621, -0.5379]]
 */
export function swiglu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  const f = customGradient((g: tf.Tensor, u: tf.Tensor, save: tf.GradSaveFunc) => {
    const s = tf.sigmoid(g);
    const gs = tf.mul(g, s);
    save([g, u, s, gs]);
    return {
      value: tf.mul(gs, u),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sg, su, ss, sgs] = saved;
        const dsilu = tf.add(ss, tf.mul(sgs, tf.sub(1, ss)));              // s (1 + g (1 - s))
        return [tf.mul(tf.mul(dy, su), dsilu), tf.mul(dy, sgs)];
      },
    };
  });
  return f(gate, up) as tf.Tensor2D;
}

/**
 * Qwen2MLP: down_proj(silu(gate_proj(x)) * up_proj(x)).
 *
 * @example
 * const y = swigluMlp(x, { gate, up, down });
 */
export function swigluMlp(x: tf.Tensor2D, proj: MlpProjections): tf.Tensor2D {
  return proj.down(swiglu(proj.gate(x), proj.up(x)));
}
