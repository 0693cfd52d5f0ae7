/**
 * Parameter counts in PEFT's words: `print_trainable_parameters` prints
 * `trainable params: 540,672 || all params: 494,573,440 || trainable%: 0.1093`,
 * where "all" counts the base model's parameters (tied weights once) plus the
 * adapter's.
 */
import { formatPythonFixed } from '../metrics/python-semantics';
import { Qwen2Config, parameterCount, weightShapes } from '../model/config';
import { LoraOptions, resolveLoraConfig } from './lora-config';
import { linearModuleNames, patternValue, selectTargetModules } from './target-modules';

/** Trainable and total parameter counts. */
export interface ParameterCounts {
  trainable: number;
  all: number;
}

/** Python's `f"{n:,d}"`. */
function groupThousands(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`formatTrainableParameters: ${n} is not an integer parameter count`);
  const digits = Math.abs(n).toString();
  return (n < 0 ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * PEFT's `print_trainable_parameters` line:
 * `trainable params: {t:,d} || all params: {a:,d} || trainable%: {100 t / a:.4f}`.
 *
 * @example
 * formatTrainableParameters({ trainable: 540672, all: 494573440 });
 * // 'trainable params: 540,672 || all params: 494,573,440 || trainable%: 0.1093'
 */
export function formatTrainableParameters(counts: ParameterCounts): string {
  if (!(counts.all > 0)) throw new Error(`formatTrainableParameters: "all" must be > 0, got ${counts.all}`);
  return `trainable params: ${groupThousands(counts.trainable)} || all params: ${groupThousands(counts.all)} || ` +
    `trainable%: ${formatPythonFixed((100 * counts.trainable) / counts.all, 4)}`;
}

/**
 * Adapter parameters a LoRA config adds to a Qwen2 model, from the config
 * alone (no weights needed): r (in + out) per wrapped module, plus out for DoRA.
 *
 * @example
 * loraParameterCount(qwen2_0_5bConfig, { r: 8 }); // 540672 (q_proj and v_proj of 24 layers)
 */
export function loraParameterCount(config: Qwen2Config, options: LoraOptions = {}): number {
  const cfg = resolveLoraConfig(options, 'loraParameterCount');
  const shapes = weightShapes(config);
  let n = 0;
  for (const m of selectTargetModules(linearModuleNames(config), cfg.target_modules, cfg.exclude_modules, 'loraParameterCount')) {
    const [out, inp] = shapes.get(`${m}.weight`)!;
    const r = patternValue(cfg.rank_pattern, m, cfg.r);
    n += r * (inp + out) + (cfg.use_dora ? out : 0);
  }
  return n;
}

/**
 * PEFT's counts for a Qwen2 config with a LoRA adapter (base frozen).
 *
 * @example
 * formatTrainableParameters(loraParameterCounts(config, { r: 8 }));
 */
export function loraParameterCounts(config: Qwen2Config, options: LoraOptions = {}): ParameterCounts {
  const adapter = loraParameterCount(config, options);
  return { trainable: adapter, all: parameterCount(config) + adapter };
}
