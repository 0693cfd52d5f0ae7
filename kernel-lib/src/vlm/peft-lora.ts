/**
 * LoRA on any linear module of the vision-language model (vision encoder,
 * projector, decoder), with the LoRA family's `LoraLayer`: y = x W^T + b +
 * (alpha / r) (x A^T) B^T, A Kaiming-uniform and B zero as PEFT initialises
 * them, so a fresh adapter leaves the model unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { kaimingUniform } from '../peft/lora-init';
import { LoraLayer } from '../peft/lora-layer';
import { seededRandom } from '../util/random';
import type { ModelPart } from './adapter-hooks';
import { matchesModule, partLinearModules } from './vlm-modules';
import type { VisionLanguageModel, VlmAdapter } from './vlm-model';

/** Options of `attachVlmLora`. */
export interface VlmLoraOptions {
  parts: readonly ModelPart[];
  /** Rank (default 4). */
  r?: number;
  /** Scaling numerator: scaling = lora_alpha / r (default 2 r). */
  lora_alpha?: number;
  /** Short module names to wrap (`q_proj`, `v_proj`, `fc1`, `linear_1`, ...); default every linear of the parts. */
  target_modules?: readonly string[];
  /** Seed of A's init (default 0). */
  seed?: number;
}

let loraCounter = 0;

/**
 * Attach LoRA to the linear modules of the chosen parts; registers the
 * adapter on the model (its A and B train; freeze the base with
 * `vlm.setTrainableParts([])`).
 *
 * @example
 * vlm.setTrainableParts([]);
 * const lora = attachVlmLora(vlm, { parts: ['vision'], r: 4 });
 * lora.params().length; // 2 per wrapped module
 */
export function attachVlmLora(vlm: VisionLanguageModel, options: VlmLoraOptions): VlmAdapter {
  const r = options.r ?? 4;
  if (!(Number.isInteger(r) && r > 0)) throw new Error(`attachVlmLora: r must be a positive integer, got ${r}`);
  const alpha = options.lora_alpha ?? 2 * r;
  const rng = seededRandom(options.seed ?? 0);
  const prefix = `vlm_lora_${++loraCounter}`;
  const modules = options.parts.flatMap((p) => partLinearModules(vlm, p)).filter((m) => matchesModule(m, options.target_modules));
  if (modules.length === 0) throw new Error(`attachVlmLora: no linear module of ${options.parts.join(', ')} matches ${JSON.stringify(options.target_modules)}`);
  const layers: LoraLayer[] = [];
  for (const m of modules) {
    const weight = vlm.baseWeights().get(`${m}.weight`)!;
    const bias = vlm.baseWeights().get(`${m}.bias`);
    const [out, inp] = weight.shape as [number, number];
    const A = tf.tensor2d(kaimingUniform(r, inp, rng), [r, inp]);
    const B = tf.zeros([out, r]) as tf.Tensor2D;
    const layer = new LoraLayer({ moduleName: m, weight, bias }, {
      r, alpha, scaling: alpha / r, dropout: 0, useDora: false, A, B, rng, variablePrefix: prefix,
    });
    A.dispose(); B.dispose();
    vlm.hooks.setReplacement(m, (x) => layer.forward(x, false));
    layers.push(layer);
  }
  const adapter: VlmAdapter = {
    method: 'lora',
    parts: [...options.parts],
    params: () => layers.flatMap((l) => l.params()),
    detach: () => {
      for (const l of layers) { vlm.hooks.setReplacement(l.moduleName, null); l.dispose(); }
      const i = vlm.adapters.indexOf(adapter);
      if (i >= 0) vlm.adapters.splice(i, 1);
    },
  };
  vlm.attach(adapter);
  return adapter;
}
