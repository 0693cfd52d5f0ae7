/**
 * IA3 (Liu et al. 2022, "(IA)^3"): learned vectors that rescale the keys,
 * the values and the MLP's inner activations, initialised to ones (so a
 * fresh adapter is the identity):
 *
 *   k = l_k * k_proj(x),  v = l_v * v_proj(x),  mlp = down(l_ff * inner)
 *
 * Applied per part: vision layers (k_proj, v_proj, input of fc2), decoder
 * layers (k_proj, v_proj, input of down_proj), projector (input of
 * linear_2; output of linear_1 for a linear projector).
 */
import * as tf from '@tensorflow/tfjs';
import { PEFT_PREFIX } from '../peft/lora-layer';
import type { TrainableParam } from '../optim/optimizer';
import type { ModelPart } from './adapter-hooks';
import type { VisionLanguageModel, VlmAdapter } from './vlm-model';
import { partLinearModules } from './vlm-modules';

/** Options of `attachIa3`. */
export interface Ia3Options {
  parts: readonly ModelPart[];
}

/** One IA3 vector: the module it scales, and whether it scales the module's input (feed-forward) or output. */
interface Ia3Site {
  moduleName: string;
  feedforward: boolean;
}

function ia3Sites(vlm: VisionLanguageModel, part: ModelPart): Ia3Site[] {
  const modules = partLinearModules(vlm, part);
  if (part === 'projector') {
    return vlm.config.projector.type === 'linear'
      ? [{ moduleName: 'multi_modal_projector.linear_1', feedforward: false }]
      : [{ moduleName: 'multi_modal_projector.linear_2', feedforward: true }];
  }
  const out: Ia3Site[] = [];
  for (const m of modules) {
    if (/\.(k_proj|v_proj)$/.test(m)) out.push({ moduleName: m, feedforward: false });
    else if (/\.(fc2|down_proj)$/.test(m)) out.push({ moduleName: m, feedforward: true });
  }
  return out;
}

let ia3Counter = 0;

/**
 * Attach IA3 vectors to the chosen parts (PEFT names: `base_model.model.<module>.ia3_l`).
 *
 * @example
 * vlm.setTrainableParts([]);
 * const ia3 = attachIa3(vlm, { parts: ['language'] });
 * ia3.params().map((p) => p.variable.size); // [64, 64, 352, ...] per decoder layer of the tiny base
 */
export function attachIa3(vlm: VisionLanguageModel, options: Ia3Options): VlmAdapter {
  const prefix = `vlm_ia3_${++ia3Counter}`;
  const params: TrainableParam[] = [];
  const removers: (() => void)[] = [];
  for (const part of options.parts) {
    for (const site of ia3Sites(vlm, part)) {
      const w = vlm.baseWeights().get(`${site.moduleName}.weight`)!;
      const [out, inp] = w.shape as [number, number];
      const size = site.feedforward ? inp : out;
      const name = `${PEFT_PREFIX}${site.moduleName}.ia3_l`;
      const ones = tf.ones([size]);
      const scale = tf.variable(ones, true, `${prefix}/${name}`);
      ones.dispose();
      params.push({ name, variable: scale });
      removers.push(vlm.hooks.addWrapper(site.moduleName, site.feedforward
        ? (inner) => (x) => inner(tf.mul(x, scale) as tf.Tensor2D)
        : (inner) => (x) => tf.mul(inner(x), scale) as tf.Tensor2D));
    }
  }
  const adapter: VlmAdapter = {
    method: 'ia3',
    parts: [...options.parts],
    params: () => params,
    detach: () => {
      for (const r of removers) r();
      for (const p of params) p.variable.dispose();
      const i = vlm.adapters.indexOf(adapter);
      if (i >= 0) vlm.adapters.splice(i, 1);
    },
  };
  vlm.attach(adapter);
  return adapter;
}
