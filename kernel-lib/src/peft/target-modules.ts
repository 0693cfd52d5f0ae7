/**
 * Which linear modules an adapter wraps, by PEFT's matching rules:
 * a list of names matches a module whose full name equals one of them or ends
 * with `.` + one of them; a string is a regular expression that must match the
 * whole module name; `'all-linear'` means every linear layer of the decoder
 * (PEFT leaves the output head out).
 */
import { LINEAR_MODULES } from '../model/causal-lm';
import type { Qwen2Config } from '../model/config';
import { ALL_LINEAR } from './lora-config';

/**
 * Full names of the linear modules of a Qwen2 model, in forward order
 * (`model.layers.0.self_attn.q_proj`, ...).
 *
 * @example
 * linearModuleNames(config).length; // 7 * config.num_hidden_layers
 */
export function linearModuleNames(config: Qwen2Config): string[] {
  const out: string[] = [];
  for (let i = 0; i < config.num_hidden_layers; i++) for (const m of LINEAR_MODULES) out.push(`model.layers.${i}.${m}`);
  return out;
}

/** Python's `re.fullmatch(pattern, key)`. */
function fullMatch(pattern: string, key: string, source: string, field: string): boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new Error(`${source}: "${field}" ${JSON.stringify(pattern)} is not a valid regular expression (${(e as Error).message})`);
  }
  return re.test(key);
}

function listMatches(names: readonly string[], key: string): boolean {
  return names.some((t) => key === t || key.endsWith(`.${t}`));
}

/**
 * The modules a LoRA config wraps, in forward order. Errors (naming `source`)
 * when a listed target matches no module, or when nothing is matched.
 *
 * @example
 * selectTargetModules(linearModuleNames(cfg), ['q_proj', 'v_proj']);
 * // ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', ...]
 */
export function selectTargetModules(
  modules: readonly string[], target: readonly string[] | string, exclude: readonly string[] | string | null = null, source = 'loraAdapter',
): string[] {
  const excluded = (key: string): boolean => {
    if (exclude === null) return false;
    return typeof exclude === 'string' ? fullMatch(exclude, key, source, 'exclude_modules') : listMatches(exclude, key);
  };
  let chosen: string[];
  if (target === ALL_LINEAR) {
    chosen = modules.slice();
  } else if (typeof target === 'string') {
    chosen = modules.filter((m) => fullMatch(target, m, source, 'target_modules'));
  } else {
    const unknown = target.filter((t) => !modules.some((m) => listMatches([t], m)));
    if (unknown.length > 0) {
      const shorts = [...new Set(modules.map((m) => m.split('.').pop()!))];
      throw new Error(`${source}: "target_modules" ${unknown.map((t) => `"${t}"`).join(', ')} not found in the model; ` +
        `LoRA can wrap its linear modules: ${shorts.join(', ')} (or "${ALL_LINEAR}")`);
    }
    chosen = modules.filter((m) => listMatches(target, m));
  }
  chosen = chosen.filter((m) => !excluded(m));
  if (chosen.length === 0) {
    throw new Error(`${source}: "target_modules" ${JSON.stringify(target)} matches no linear module of the model (after exclude_modules)`);
  }
  return chosen;
}

/**
 * A per-module override from PEFT's `rank_pattern` / `alpha_pattern`: the
 * first key `k` for which `(.*\.)?k$` matches the module name, else `fallback`.
 *
 * @example
 * patternValue({ v_proj: 16 }, 'model.layers.3.self_attn.v_proj', 8); // 16
 */
export function patternValue(pattern: Record<string, number>, moduleName: string, fallback: number): number {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`^(?:.*\\.)?${key}$`).test(moduleName)) return value;
  }
  return fallback;
}
