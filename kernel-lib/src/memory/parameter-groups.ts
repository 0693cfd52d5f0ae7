/**
 * Which weights of a Qwen2 model each method trains, and the adapter weights
 * LoRA adds: names and shapes only, from the config (no tensors).
 */
import { LINEAR_MODULES } from '../model/causal-lm';
import { Qwen2Config, weightShapes } from '../model/config';

/** Short names of the seven linear modules of a decoder layer (`q_proj` ... `down_proj`). */
export const LINEAR_MODULE_NAMES = LINEAR_MODULES.map((m) => m.split('.')[1]);

/**
 * Whether a weight is one GaLore projects by default: the 2-D weight of a
 * decoder layer's linear module (galore-torch's and LLaMA-Factory's
 * `galore_target=all`: attention and MLP). The embedding (and an untied
 * lm_head), norms and biases keep ordinary AdamW states.
 *
 * @example
 * isGaloreTarget('model.layers.3.mlp.up_proj.weight'); // true
 * isGaloreTarget('model.embed_tokens.weight');         // false
 */
export function isGaloreTarget(name: string, modules: readonly string[] = LINEAR_MODULE_NAMES): boolean {
  const m = /^model\.layers\.\d+\.(?:self_attn|mlp)\.([a-z_]+)\.weight$/.exec(name);
  return m !== null && modules.includes(m[1]);
}

/** One LoRA adapter weight: its name and shape. */
export interface AdapterShape {
  name: string;
  shape: number[];
}

export interface LoraShapeOptions {
  /** Adapter rank r. */
  r: number;
  /** Module short names to adapt (`q_proj`, ..., `down_proj`), or `all` (PEFT: `all-linear`). */
  targets: readonly string[] | 'all' | 'all-linear';
  /** DoRA: one magnitude vector [out] per adapted module. */
  dora?: boolean;
}

/**
 * LoRA adapter weights for every targeted linear module of every layer, as
 * PEFT lays them out for W [out, in]: A [r, in], B [out, r], and with DoRA a
 * magnitude [out]. Names as PEFT saves them (and peft/lora-layer.ts):
 * `base_model.model.<module>.lora_A.weight`, `...lora_B.weight`,
 * `...lora_magnitude_vector`.
 *
 *   params = sum over targets (r * in + out * r (+ out with DoRA))
 *
 * @example
 * loraAdapterShapes(cfg, { r: 8, targets: ['q_proj', 'v_proj'] }).length; // 4 per layer
 */
export function loraAdapterShapes(cfg: Qwen2Config, opts: LoraShapeOptions): AdapterShape[] {
  const targets = opts.targets === 'all' || opts.targets === 'all-linear' ? LINEAR_MODULE_NAMES : opts.targets;
  for (const t of targets) {
    if (!LINEAR_MODULE_NAMES.includes(t)) {
      throw new Error(`LoRA target "${t}" is not a linear module of Qwen2 (expected one of ${LINEAR_MODULE_NAMES.join(', ')} or all)`);
    }
  }
  if (!(Number.isInteger(opts.r) && opts.r > 0)) throw new Error(`LoRA rank must be a positive integer, got ${opts.r}`);
  const out: AdapterShape[] = [];
  for (const [name, shape] of weightShapes(cfg)) {
    const m = /^(model\.layers\.\d+\.(?:self_attn|mlp)\.([a-z_]+))\.weight$/.exec(name);
    if (!m || !targets.includes(m[2])) continue;
    const [o, i] = shape;
    const p = `base_model.model.${m[1]}`;
    out.push({ name: `${p}.lora_A.weight`, shape: [opts.r, i] });
    out.push({ name: `${p}.lora_B.weight`, shape: [o, opts.r] });
    if (opts.dora) out.push({ name: `${p}.lora_magnitude_vector`, shape: [o] });
  }
  return out;
}
