/**
 * Hyper-parameters of a LoRA mixture of experts with contrastive routing
 * (SparseDoctor: "Towards Efficient Chat Doctor with Mixture of Experts
 * Enhanced Large Language Models", Zhang et al., 2025). The paper describes
 * LoRA experts behind a router, a load-balancing term, a contrastive loss that
 * supervises the router, and an expert memory queue; the public text we could
 * read does not name its options, so the names here follow PEFT (`r`,
 * `lora_alpha`, `target_modules`) and Hugging Face's MoE configs
 * (`num_experts`, `top_k`, `aux_loss_coef` as Mixtral's
 * `router_aux_loss_coef`), plus clear names for the contrastive parts
 * (`contrastive_loss_coef`, `temperature`, `queue_size`).
 */
import { ALL_LINEAR } from '../peft/lora-config';

/** What a caller may pass to `loraMoE` (everything optional). */
export interface LoraMoeOptions {
  /** LoRA experts per wrapped linear module; default 4. */
  num_experts?: number;
  /** Experts each token is routed to (token-level top-k gating); default 2. */
  top_k?: number;
  /** Rank of each expert (the issue's `lora_r`); default 4. */
  r?: number;
  /** Scaling numerator of each expert (scaling = lora_alpha / r); default 2 r. */
  lora_alpha?: number;
  /**
   * Modules to wrap: short names, `'all-linear'` or a full-match regular
   * expression (PEFT's rules); default the feed-forward projections
   * (`gate_proj`, `up_proj`, `down_proj`), where MoE layers usually sit
   * (Switch Transformer, Mixtral).
   */
  target_modules?: readonly string[] | string;
  /** Modules to leave out (same forms); default none. */
  exclude_modules?: readonly string[] | string | null;
  /**
   * Weight of the load-balancing loss num_experts * sum_e f_e P_e (Switch
   * Transformer / Mixtral; the "load-balance coefficient"); default 0.01.
   */
  aux_loss_coef?: number;
  /** Weight of the contrastive routing loss; 0 turns it off (an ablation); default 0.1. */
  contrastive_loss_coef?: number;
  /** Temperature of the contrastive (InfoNCE) similarities; default 0.1. */
  temperature?: number;
  /**
   * Rows of the expert memory queue per module: past expert representations
   * kept as extra contrastive candidates. 0 turns the queue off; default 256.
   */
  queue_size?: number;
  /** Tokens per module and step sampled for the contrastive loss (keeps its cost flat); default 32. */
  contrastive_tokens?: number;
  /** Seed of the expert and router initialisation and of the token sampling; default 0. */
  seed?: number;
}

/** A complete, validated configuration. */
export interface LoraMoeConfig {
  num_experts: number;
  top_k: number;
  r: number;
  lora_alpha: number;
  target_modules: string[] | string;
  exclude_modules: string[] | string | null;
  aux_loss_coef: number;
  contrastive_loss_coef: number;
  temperature: number;
  queue_size: number;
  contrastive_tokens: number;
  seed: number;
}

/**
 * The modules `loraMoE` wraps by default: every decoder layer's feed-forward projections.
 *
 * @example
 * loraMoE(model, { target_modules: LORA_MOE_DEFAULT_TARGETS }); // same as leaving it out
 */
export const LORA_MOE_DEFAULT_TARGETS: readonly string[] = ['down_proj', 'gate_proj', 'up_proj'];

/**
 * The option names, in the order the config file lists them.
 *
 * @example
 * LORA_MOE_OPTION_NAMES.includes('top_k'); // true
 */
export const LORA_MOE_OPTION_NAMES: readonly (keyof LoraMoeConfig)[] = [
  'num_experts', 'top_k', 'r', 'lora_alpha', 'target_modules', 'exclude_modules', 'aux_loss_coef',
  'contrastive_loss_coef', 'temperature', 'queue_size', 'contrastive_tokens', 'seed',
];

function checkModules(value: unknown, field: string, source: string): string[] | string {
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'string' && t !== '')) return [...new Set(value as string[])].sort();
  throw new Error(`${source}: "${field}" must be a non-empty list of module names, "${ALL_LINEAR}" or a regular expression, got ${JSON.stringify(value)}`);
}

/**
 * Fills in defaults and checks every option; errors name `source` and the field.
 *
 * @example
 * resolveLoraMoeConfig({ num_experts: 4, top_k: 2 }).lora_alpha; // 8 (2 r with r = 4)
 */
export function resolveLoraMoeConfig(options: LoraMoeOptions = {}, source = 'loraMoE'): LoraMoeConfig {
  const known = new Set<string>(LORA_MOE_OPTION_NAMES);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new Error(`${source}: unknown option "${key}"; expected one of ${LORA_MOE_OPTION_NAMES.join(', ')}`);
  }
  const int = (field: keyof LoraMoeOptions, fallback: number, min: number): number => {
    const v = options[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${source}: "${field}" must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const real = (field: keyof LoraMoeOptions, fallback: number, ok: (x: number) => boolean, what: string): number => {
    const v = options[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new Error(`${source}: "${field}" must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const num_experts = int('num_experts', 4, 1);
  const top_k = int('top_k', Math.min(2, num_experts), 1);
  if (top_k > num_experts) throw new Error(`${source}: "top_k" (${top_k}) cannot exceed "num_experts" (${num_experts})`);
  const r = int('r', 4, 1);
  return {
    num_experts,
    top_k,
    r,
    lora_alpha: real('lora_alpha', 2 * r, (x) => x > 0, 'a number > 0'),
    target_modules: checkModules(options.target_modules ?? LORA_MOE_DEFAULT_TARGETS, 'target_modules', source),
    exclude_modules: options.exclude_modules == null ? null : checkModules(options.exclude_modules, 'exclude_modules', source),
    aux_loss_coef: real('aux_loss_coef', 0.01, (x) => x >= 0, 'a number >= 0'),
    contrastive_loss_coef: real('contrastive_loss_coef', 0.1, (x) => x >= 0, 'a number >= 0'),
    temperature: real('temperature', 0.1, (x) => x > 0, 'a number > 0'),
    queue_size: int('queue_size', 256, 0),
    contrastive_tokens: int('contrastive_tokens', 32, 2),
    seed: int('seed', 0, 0),
  };
}
