import * as tf from '@tensorflow/tfjs';
import { AttentionProjections, AttentionShape, LayerCache, selfAttention } from './attention';
import { MlpProjections, swigluMlp } from './mlp';
import { rmsNorm } from './rms-norm';

/** What one Qwen2DecoderLayer needs: its two norms' weights and its projections. */
export interface DecoderLayerParts {
  inputNorm: tf.Tensor1D;
  postAttentionNorm: tf.Tensor1D;
  attention: AttentionProjections;
  mlp: MlpProjections;
}

/**
 * Qwen2DecoderLayer (pre-norm residual block):
 *   h = x + attn(rmsnorm(x)); out = h + mlp(rmsnorm(h)).
 *
 * @example
 * const y = decoderLayer(x, parts, shape, cos, sin, 1e-6);
 */
export function decoderLayer(
  x: tf.Tensor2D, parts: DecoderLayerParts, shape: AttentionShape,
  cos: tf.Tensor2D, sin: tf.Tensor2D, eps: number, cache?: LayerCache,
): tf.Tensor2D {
  const attn = selfAttention(rmsNorm(x, parts.inputNorm, eps), parts.attention, shape, cos, sin, cache);
  const h = tf.add(x, attn) as tf.Tensor2D;
  return tf.add(h, swigluMlp(rmsNorm(h, parts.postAttentionNorm, eps), parts.mlp)) as tf.Tensor2D;
}
