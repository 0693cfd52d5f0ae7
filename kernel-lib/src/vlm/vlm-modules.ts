/**
 * The linear modules of each part of the vision-language model, by name
 * (the weights' names without `.weight`), and the attention layers a prefix
 * method can reach.
 */
import { LINEAR_MODULES } from '../model/causal-lm';
import type { ModelPart } from './adapter-hooks';
import type { VisionLanguageModel } from './vlm-model';
import { VISION_LINEAR_MODULES } from './vlm-config';

/**
 * The linear modules of a part, in forward order: the vision layers'
 * attention and MLP linears (not the patch embedding), the projector's
 * layers, the decoder layers' seven linears.
 *
 * @example
 * partLinearModules(vlm, 'projector'); // ['multi_modal_projector.linear_1', 'multi_modal_projector.linear_2']
 */
export function partLinearModules(vlm: VisionLanguageModel, part: ModelPart): string[] {
  if (part === 'vision') {
    return Array.from({ length: vlm.config.vision.numLayers }, (_, i) => VISION_LINEAR_MODULES.map((m) => `vision_tower.layers.${i}.${m}`)).flat();
  }
  if (part === 'projector') {
    return vlm.config.projector.type === 'linear' ? ['multi_modal_projector.linear_1'] : ['multi_modal_projector.linear_1', 'multi_modal_projector.linear_2'];
  }
  return Array.from({ length: vlm.language.config.num_hidden_layers }, (_, i) => LINEAR_MODULES.map((m) => `model.layers.${i}.${m}`)).flat();
}

/**
 * Attention layers of a part and the width of their keys/values, or null
 * for the projector (it has no attention, so prefix methods do not apply).
 *
 * @example
 * attentionShape(vlm, 'language'); // { layers: 4, width: 64 } for the tiny base (2 KV heads of 32)
 */
export function attentionShape(vlm: VisionLanguageModel, part: ModelPart): { layers: number; width: number } | null {
  if (part === 'vision') return { layers: vlm.config.vision.numLayers, width: vlm.config.vision.hiddenSize };
  if (part === 'projector') return null;
  const c = vlm.language.config;
  return { layers: c.num_hidden_layers, width: c.num_key_value_heads * (c.hidden_size / c.num_attention_heads) };
}

/**
 * Does `moduleName` match one of the short names (`q_proj`, `fc1`, `linear_2`)? No list matches all.
 *
 * @example
 * matchesModule('model.layers.0.self_attn.q_proj', ['q_proj', 'v_proj']); // true
 */
export function matchesModule(moduleName: string, names?: readonly string[]): boolean {
  if (!names) return true;
  const last = moduleName.split('.').pop()!;
  return names.includes(last);
}
