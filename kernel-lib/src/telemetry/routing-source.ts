/**
 * How the live dashboard recognises a mixture-of-experts model (a LoRA-MoE
 * training view, `kernel-lib/src/moe`) without importing it: the view has a
 * `routingStats()` method (the routing of the latest training step) and a
 * `loraMoeConfig` (its options). Telemetry only reads from it.
 */
import type { RoutingInput } from './routing-history';

/** What the dashboard reads from a LoRA-MoE training view. */
export interface RoutingSource {
  routingStats(): Omit<RoutingInput, 'step'> | null;
  readonly loraMoeConfig?: Record<string, unknown>;
}

/**
 * True when `model` reports expert routing.
 *
 * @example
 * isRoutingSource(moe.trainingModel()); // true
 */
export function isRoutingSource(model: unknown): model is RoutingSource {
  return !!model && typeof (model as RoutingSource).routingStats === 'function';
}

/** The options a MoE run shows in the dashboard header and telemetry (`r` is each expert's rank). */
const SHOWN = ['r', 'lora_alpha', 'num_experts', 'top_k', 'aux_loss_coef', 'contrastive_loss_coef', 'temperature', 'queue_size'];

/**
 * The method options of a LoRA-MoE view, as plain JSON values (empty when `model` is not one).
 *
 * @example
 * moeMethodOptions(view); // { r: 4, lora_alpha: 8, num_experts: 4, top_k: 2, ... }
 */
export function moeMethodOptions(model: unknown): Record<string, string | number | boolean | null> {
  if (!isRoutingSource(model) || !model.loraMoeConfig) return {};
  const out: Record<string, string | number | boolean | null> = {};
  for (const key of SHOWN) {
    const v = model.loraMoeConfig[key];
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[key] = v;
  }
  return out;
}

/**
 * The short names of the modules a LoRA-MoE view routes, for the memory
 * ledger's `loraTargets` (null when `model` is not one, or its targets are a
 * regular expression).
 *
 * @example
 * moeLedgerTargets(view); // ['down_proj', 'gate_proj', 'up_proj']
 */
export function moeLedgerTargets(model: unknown): string[] | 'all-linear' | null {
  if (!isRoutingSource(model) || !model.loraMoeConfig) return null;
  const t = model.loraMoeConfig.target_modules;
  if (t === 'all-linear') return 'all-linear';
  if (Array.isArray(t) && t.every((x) => typeof x === 'string')) return (t as string[]).map((x) => x.split('.').pop()!);
  return null;
}
