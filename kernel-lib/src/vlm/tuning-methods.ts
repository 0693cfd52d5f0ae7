/**
 * One place that turns "tune this part with this method" into a model set-up
 * and an optimizer: full fine-tuning and GaLore train the parts' own
 * weights; LoRA, IA3, prefix tuning and P-tuning v2 freeze the whole base and
 * train only what they add. `trainableParameterReport` counts the result.
 */
import { adamW } from '../optim/adamw';
import { galoreAdamW } from '../optim/galore-adamw';
import type { Optimizer } from '../optim/optimizer';
import { DECODER_LINEAR_WEIGHTS } from '../optim/param-groups';
import { formatTrainableParameters } from '../peft/parameter-report';
import { ModelPart, MODEL_PARTS, partOf } from './adapter-hooks';
import { attachIa3 } from './peft-ia3';
import { attachVlmLora } from './peft-lora';
import { attachPrefixTuning } from './peft-prefix';
import { paramPart, VisionLanguageModel, VlmAdapter } from './vlm-model';

/** The methods compared in the multimodal notebook. */
export type TuningMethod = 'full' | 'galore' | 'lora' | 'ia3' | 'prefix' | 'p-tuning-v2';

/**
 * All methods, parameter-efficient ones last.
 *
 * @example
 * TUNING_METHODS.filter((m) => m !== 'galore').map((m) => applyTuning(vlm, { method: m, parts: ['language'] })); // undo each before the next
 */
export const TUNING_METHODS: readonly TuningMethod[] = ['full', 'galore', 'lora', 'ia3', 'prefix', 'p-tuning-v2'];

/** A configuration: which method on which parts, with the method's knobs. */
export interface TuningConfig {
  method: TuningMethod;
  parts: readonly ModelPart[];
  /** LoRA rank and alpha (defaults 4 and 2 r). */
  r?: number;
  lora_alpha?: number;
  /** Prefix methods: virtual tokens (default 4). */
  num_virtual_tokens?: number;
  /** GaLore: rank (default 8), refresh gap (default 20), scale (default 1). */
  galore_rank?: number;
  update_proj_gap?: number;
  galore_scale?: number;
  /** Decoupled weight decay of AdamW (default 0). */
  weight_decay?: number;
  seed?: number;
}

/** A configured model: the attached method (if any), the optimizer to train it with, and how to undo it. */
export interface AppliedTuning {
  config: TuningConfig;
  adapter: VlmAdapter | null;
  optimizer: Optimizer;
  /** Remove the method and make every part trainable again. */
  undo(): void;
}

const PART_LINEAR_WEIGHTS: Record<ModelPart, readonly RegExp[]> = {
  vision: [/^vision_tower\.layers\.\d+\.(self_attn|mlp)\.\w+\.weight$/],
  projector: [/^multi_modal_projector\.linear_\d+\.weight$/],
  language: DECODER_LINEAR_WEIGHTS,
};

/**
 * A short label such as "LoRA · vision" or "full · all".
 *
 * @example
 * tuningLabel({ method: 'p-tuning-v2', parts: ['language'] }); // 'P-tuning v2 · language'
 */
export function tuningLabel(cfg: TuningConfig): string {
  const names: Record<TuningMethod, string> = { full: 'full', galore: 'GaLore', lora: 'LoRA', ia3: 'IA3', prefix: 'prefix', 'p-tuning-v2': 'P-tuning v2' };
  const parts = MODEL_PARTS.every((p) => cfg.parts.includes(p)) ? 'all' : cfg.parts.join('+');
  return `${names[cfg.method]} · ${parts}`;
}

/**
 * Set the model up for a configuration and make its optimizer (AdamW;
 * GaLore-AdamW projecting the 2-D linear weights of the chosen parts).
 *
 * @example
 * const applied = applyTuning(vlm, { method: 'lora', parts: ['vision'], r: 4 });
 * await trainVqa(vlm, applied.optimizer, examples, { steps: 30, batchSize: 16, lr: 3e-3 });
 * applied.undo();
 */
export function applyTuning(vlm: VisionLanguageModel, cfg: TuningConfig): AppliedTuning {
  if (cfg.parts.length === 0) throw new Error(`${cfg.method}: choose at least one part (vision, projector, language)`);
  if (vlm.adapters.length) throw new Error('applyTuning: the model still has an adapter attached; undo the previous configuration first');
  const weightDecay = cfg.weight_decay ?? 0;
  let adapter: VlmAdapter | null = null;
  let optimizer: Optimizer;
  if (cfg.method === 'full' || cfg.method === 'galore') {
    vlm.setTrainableParts(cfg.parts);
    optimizer = cfg.method === 'full'
      ? adamW({ weightDecay })
      : galoreAdamW({
        rank: cfg.galore_rank ?? 8, update_proj_gap: cfg.update_proj_gap ?? 20, scale: cfg.galore_scale ?? 1, proj_type: 'std',
        weightDecay, target: cfg.parts.flatMap((p) => PART_LINEAR_WEIGHTS[p]),
      });
  } else {
    vlm.setTrainableParts([]);
    if (cfg.method === 'lora') adapter = attachVlmLora(vlm, { parts: cfg.parts, r: cfg.r, lora_alpha: cfg.lora_alpha, seed: cfg.seed });
    else if (cfg.method === 'ia3') adapter = attachIa3(vlm, { parts: cfg.parts });
    else if (cfg.method === 'prefix' || cfg.method === 'p-tuning-v2') {
      adapter = attachPrefixTuning(vlm, { parts: cfg.parts, num_virtual_tokens: cfg.num_virtual_tokens, reparameterize: cfg.method === 'prefix', seed: cfg.seed });
    } else throw new Error(`applyTuning: unknown method "${cfg.method as string}" (expected one of ${TUNING_METHODS.join(', ')})`);
    optimizer = adamW({ weightDecay });
  }
  return {
    config: cfg,
    adapter,
    optimizer,
    undo: () => {
      adapter?.detach();
      optimizer.dispose();
      vlm.setTrainableParts(MODEL_PARTS);
    },
  };
}

/** Trainable and total parameters, overall and per part. */
export interface TrainableParameterReport {
  trainable: number;
  /** Base weights plus every adapter's parameters (PEFT's "all params"). */
  all: number;
  /** 100 trainable / all. */
  percent: number;
  /** PEFT's `print_trainable_parameters` line. */
  line: string;
  byPart: Record<ModelPart, { base: number; trainable: number }>;
}

/**
 * Count what trains: base weights of the trainable parts plus adapter
 * parameters, each attributed to its part.
 *
 * @example
 * trainableParameterReport(vlm).line; // 'trainable params: 4,096 || all params: 1,101,312 || trainable%: 0.3719'
 */
export function trainableParameterReport(vlm: VisionLanguageModel): TrainableParameterReport {
  const byPart = Object.fromEntries(MODEL_PARTS.map((p) => [p, { base: 0, trainable: 0 }])) as TrainableParameterReport['byPart'];
  let all = 0;
  for (const [name, v] of vlm.baseWeights()) { byPart[partOf(name)].base += v.size; all += v.size; }
  let trainable = 0;
  for (const p of vlm.trainableParams()) {
    byPart[paramPart(p.name)].trainable += p.variable.size;
    trainable += p.variable.size;
  }
  for (const a of vlm.adapters) for (const p of a.params()) all += p.variable.size;
  return { trainable, all, percent: (100 * trainable) / all, line: formatTrainableParameters({ trainable, all }), byPart };
}
