/**
 * Prefix tuning (Li & Liang 2021) and P-tuning v2 (Liu et al. 2022): P
 * learned "virtual tokens" whose keys and values sit before every
 * sequence's keys and values in every attention layer of a part; the real
 * tokens attend to them, the model's weights stay frozen.
 *
 * - P-tuning v2 (`reparameterize: false`): the keys/values of every layer are
 *   parameters directly, a matrix [P, 2 L W] (PEFT's `prefix_projection=False`).
 * - Prefix tuning (`reparameterize: true`): they come from an embedding
 *   [P, W] through an MLP, W -> E (tanh) -> 2 L W, which the paper found
 *   steadies training (PEFT's `prefix_projection=True`); after training the
 *   MLP's output could be stored instead, so its parameters are a training cost.
 *
 * Layer i reads columns [2i W, (2i+1) W) as keys and [(2i+1) W, (2i+2) W) as
 * values. W is the width of the layer's keys (the decoder's KV heads x head
 * size under grouped-query attention). The projector has no attention:
 * prefix methods do not apply to it.
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import { kaimingUniform } from '../peft/lora-init';
import { seededRandom, SeededRandom } from '../util/random';
import type { ModelPart, PrefixKeyValues } from './adapter-hooks';
import { attentionShape } from './vlm-modules';
import type { VisionLanguageModel, VlmAdapter } from './vlm-model';

/** Options of `attachPrefixTuning`. */
export interface PrefixTuningOptions {
  parts: readonly ModelPart[];
  /** Virtual tokens P (PEFT's `num_virtual_tokens`, default 4). */
  num_virtual_tokens?: number;
  /** true: prefix tuning (MLP reparameterisation); false: P-tuning v2 (default false). */
  reparameterize?: boolean;
  /** Width E of the reparameterisation MLP (PEFT's `encoder_hidden_size`, default the key width). */
  encoder_hidden_size?: number;
  /** Std of the normal init of the direct prefixes (P-tuning v2) or of the MLP's output layer (default 0.02). */
  init_std?: number;
  seed?: number;
}

let prefixCounter = 0;

function normalMatrix(rows: number, cols: number, std: number, rng: SeededRandom): tf.Tensor2D {
  const d = new Float32Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal() * std;
  return tf.tensor2d(d, [rows, cols]);
}

/** A parameter from an initial tensor (the tensor is disposed). */
function param(name: string, init: tf.Tensor, prefix: string): TrainableParam {
  const variable = tf.variable(init, true, `${prefix}/${name}`);
  init.dispose();
  return { name, variable };
}

/** Split [P, 2 L W] into per-layer keys and values [P, W]. */
function perLayer(all: tf.Tensor2D, layers: number): PrefixKeyValues {
  const pieces = tf.split(all, 2 * layers, 1) as tf.Tensor2D[];
  return { keys: pieces.filter((_, j) => j % 2 === 0), values: pieces.filter((_, j) => j % 2 === 1) };
}

/**
 * Attach prefix tuning (`reparameterize: true`) or P-tuning v2 to the
 * attention layers of the chosen parts (vision and/or language).
 *
 * @example
 * vlm.setTrainableParts([]);
 * const ptv2 = attachPrefixTuning(vlm, { parts: ['language'], num_virtual_tokens: 4 });
 * ptv2.params()[0].variable.shape; // [4, 512]: 4 tokens x 2 x 4 layers x 64
 */
export function attachPrefixTuning(vlm: VisionLanguageModel, options: PrefixTuningOptions): VlmAdapter {
  const p = options.num_virtual_tokens ?? 4;
  if (!(Number.isInteger(p) && p > 0)) throw new Error(`prefix tuning: num_virtual_tokens must be a positive integer, got ${p}`);
  const reparam = options.reparameterize === true;
  const std = options.init_std ?? 0.02;
  const rng = seededRandom(options.seed ?? 0);
  const tag = `vlm_prefix_${++prefixCounter}`;
  const parts = [...new Set(options.parts)];
  if (parts.length === 0) throw new Error('prefix tuning: no parts given (choose vision and/or language)');
  for (const part of parts) {
    if (!attentionShape(vlm, part)) throw new Error(`prefix tuning: the ${part} has no attention layers (prefix methods apply to vision and language)`);
    if (vlm.hooks.prefix(part)) throw new Error(`prefix tuning: the ${part} part already has a prefix adapter`);
  }
  const params: TrainableParam[] = [];
  for (const part of parts) {
    const { layers, width } = attentionShape(vlm, part)!;
    const base = part === 'vision' ? 'vision_tower.prefix_encoder' : 'model.prefix_encoder';
    const own: TrainableParam[] = [];
    if (reparam) {
      const e = options.encoder_hidden_size ?? width;
      own.push(param(`${base}.embedding.weight`, normalMatrix(p, width, 1, rng), tag));
      own.push(param(`${base}.transform.0.weight`, tf.tensor2d(kaimingUniform(e, width, rng), [e, width]), tag));
      own.push(param(`${base}.transform.0.bias`, tf.zeros([e]), tag));
      own.push(param(`${base}.transform.2.weight`, normalMatrix(2 * layers * width, e, std, rng), tag));
      own.push(param(`${base}.transform.2.bias`, tf.zeros([2 * layers * width]), tag));
    } else {
      own.push(param(`${base}.embedding.weight`, normalMatrix(p, 2 * layers * width, std, rng), tag));
    }
    const v = own.map((x) => x.variable as unknown as tf.Tensor2D);
    vlm.hooks.setPrefix(part, () => perLayer(reparam
      ? linear(tf.tanh(linear(v[0], v[1], v[2] as unknown as tf.Tensor1D)), v[3], v[4] as unknown as tf.Tensor1D)
      : v[0], layers));
    params.push(...own);
  }
  const adapter: VlmAdapter = {
    method: reparam ? 'prefix' : 'p-tuning-v2',
    parts,
    params: () => params,
    detach: () => {
      for (const part of parts) vlm.hooks.setPrefix(part, null);
      for (const x of params) x.variable.dispose();
      const i = vlm.adapters.indexOf(adapter);
      if (i >= 0) vlm.adapters.splice(i, 1);
    },
  };
  vlm.attach(adapter);
  return adapter;
}
