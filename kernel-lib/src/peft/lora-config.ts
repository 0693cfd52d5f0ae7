/**
 * LoRA hyper-parameters under Hugging Face PEFT's `LoraConfig` names, so an
 * `adapter_config.json` maps one-to-one onto them: `r`, `lora_alpha`,
 * `lora_dropout`, `target_modules`, `use_rslora`, `use_dora`,
 * `init_lora_weights`, `rank_pattern`, `alpha_pattern`.
 */

/**
 * How the adapter is initialised (PEFT's `init_lora_weights`): `true` A
 * Kaiming-uniform, B zeros; `'gaussian'` A normal(0, 1/r), B zeros; `false`
 * both random (nn.Linear's default init: the adapter changes the output, for
 * tests); `'pissa'` principal singular vectors of W by an exact SVD;
 * `'pissa_niter_N'` the same by randomized SVD with N power iterations.
 */
export type LoraInit = boolean | 'gaussian' | 'pissa' | `pissa_niter_${number}`;

/** What a caller may pass to `loraAdapter` (everything optional; PEFT's defaults). */
export interface LoraOptions {
  /** Rank; default 8. */
  r?: number;
  /** Scaling numerator; default 8 (PEFT). */
  lora_alpha?: number;
  /** Shorthand for `lora_alpha`. */
  alpha?: number;
  /** Dropout probability on the adapter's input during training; default 0. */
  lora_dropout?: number;
  /** Shorthand for `lora_dropout`. */
  dropout?: number;
  /**
   * Short module names (`['q_proj', 'v_proj']`, the default for Qwen2 as in
   * PEFT), `'all-linear'`, or a regular expression that must match a full
   * module name (`'.*\\.(q|v)_proj'`).
   */
  target_modules?: readonly string[] | string;
  /** Modules to leave out (same forms as `target_modules`); default none. */
  exclude_modules?: readonly string[] | string | null;
  /** Scale by alpha / sqrt(r) instead of alpha / r. */
  use_rslora?: boolean;
  /** Weight-decomposed LoRA: a trainable magnitude per output row. */
  use_dora?: boolean;
  init_lora_weights?: LoraInit;
  /** Per-module rank overrides: pattern -> r (PEFT's matching rule). */
  rank_pattern?: Record<string, number>;
  /** Per-module alpha overrides: pattern -> alpha. */
  alpha_pattern?: Record<string, number>;
  /** Seed of A's initialisation and of the dropout masks; default 0. */
  seed?: number;
}

/** A complete, validated LoRA configuration (PEFT names). */
export interface LoraConfig {
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  /** Short names (deduplicated, sorted) or a full-match regular expression. */
  target_modules: string[] | string;
  exclude_modules: string[] | string | null;
  use_rslora: boolean;
  use_dora: boolean;
  init_lora_weights: LoraInit;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  seed: number;
}

/**
 * PEFT's default LoRA targets for Qwen2 (`TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`).
 *
 * @example
 * loraAdapter(model, { target_modules: QWEN2_DEFAULT_TARGET_MODULES }); // same as leaving it out
 */
export const QWEN2_DEFAULT_TARGET_MODULES: readonly string[] = ['q_proj', 'v_proj'];

/**
 * PEFT's shorthand for "every linear layer except the output head".
 *
 * @example
 * loraAdapter(model, { target_modules: ALL_LINEAR });
 */
export const ALL_LINEAR = 'all-linear';

/**
 * The factor the adapter's output is multiplied by: alpha / r, or with
 * rsLoRA alpha / sqrt(r).
 *
 * @example
 * loraScaling(16, 4, false); // 4
 * loraScaling(16, 4, true);  // 8
 */
export function loraScaling(alpha: number, r: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

/**
 * Whether a value is a valid `init_lora_weights`.
 *
 * @example
 * isLoraInit('pissa_niter_4'); // true
 * isLoraInit('olora');         // false
 */
export function isLoraInit(v: unknown): v is LoraInit {
  return typeof v === 'boolean' || v === 'gaussian' || v === 'pissa' || (typeof v === 'string' && /^pissa_niter_\d+$/.test(v));
}

/**
 * The power iterations of `'pissa_niter_N'`, or null for every other init.
 *
 * @example
 * pissaIterations('pissa_niter_4'); // 4
 * pissaIterations('pissa');         // null
 */
export function pissaIterations(init: LoraInit): number | null {
  if (typeof init !== 'string') return null;
  const m = /^pissa_niter_(\d+)$/.exec(init);
  return m ? Number(m[1]) : null;
}

/**
 * True for `'pissa'` and `'pissa_niter_N'` (inits that rewrite the base weight).
 *
 * @example
 * isPissa('pissa_niter_2'); // true
 */
export function isPissa(init: LoraInit): boolean {
  return init === 'pissa' || pissaIterations(init) !== null;
}

function pick<T>(source: string, a: T | undefined, b: T | undefined, nameA: string, nameB: string): T | undefined {
  if (a !== undefined && b !== undefined && a !== b) {
    throw new Error(`${source}: "${nameA}" (${String(a)}) and its shorthand "${nameB}" (${String(b)}) disagree; give one`);
  }
  return a ?? b;
}

function moduleList(v: unknown, source: string, field: string): string[] | string {
  if (typeof v === 'string') {
    if (v.trim() === '') throw new Error(`${source}: "${field}" is an empty string; expected module names, "all-linear" or a regular expression`);
    return v;
  }
  if (!Array.isArray(v) || v.length === 0 || v.some((t) => typeof t !== 'string' || t === '')) {
    throw new Error(`${source}: "${field}" must be a non-empty list of module names, "all-linear" or a regular expression, got ${JSON.stringify(v)}`);
  }
  return [...new Set(v as string[])].sort();
}

function patternMap(v: unknown, source: string, field: string, check: (x: number) => boolean, what: string): Record<string, number> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${source}: "${field}" must be an object mapping module patterns to numbers, got ${JSON.stringify(v)}`);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'number' || !check(x)) throw new Error(`${source}: "${field}" entry "${k}" must be ${what}, got ${JSON.stringify(x)}`);
  }
  return { ...(v as Record<string, number>) };
}

/**
 * Fill in PEFT's defaults and validate; errors name `source` and the field.
 *
 * @example
 * resolveLoraConfig({ r: 16, alpha: 32 }).target_modules; // ['q_proj', 'v_proj']
 */
export function resolveLoraConfig(options: LoraOptions = {}, source = 'loraAdapter'): LoraConfig {
  const r = options.r ?? 8;
  if (!Number.isInteger(r) || r < 1) throw new Error(`${source}: "r" must be a positive integer, got ${String(r)}`);
  const alpha = pick(source, options.lora_alpha, options.alpha, 'lora_alpha', 'alpha') ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`${source}: "lora_alpha" must be a finite number, got ${String(alpha)}`);
  const dropout = pick(source, options.lora_dropout, options.dropout, 'lora_dropout', 'dropout') ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new Error(`${source}: "lora_dropout" must lie in [0, 1), got ${String(dropout)}`);
  const init = options.init_lora_weights ?? true;
  if (!isLoraInit(init)) {
    throw new Error(`${source}: "init_lora_weights" must be true, false, "gaussian", "pissa" or "pissa_niter_N", got ${JSON.stringify(init)}`);
  }
  for (const flag of ['use_rslora', 'use_dora'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') throw new Error(`${source}: "${flag}" must be true or false, got ${JSON.stringify(options[flag])}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`${source}: "seed" must be an integer, got ${String(seed)}`);
  const exclude = options.exclude_modules;
  return {
    r,
    lora_alpha: alpha,
    lora_dropout: dropout,
    target_modules: moduleList(options.target_modules ?? QWEN2_DEFAULT_TARGET_MODULES, source, 'target_modules'),
    exclude_modules: exclude === undefined || exclude === null || (Array.isArray(exclude) && exclude.length === 0) ? null : moduleList(exclude, source, 'exclude_modules'),
    use_rslora: options.use_rslora ?? false,
    use_dora: options.use_dora ?? false,
    init_lora_weights: init,
    rank_pattern: patternMap(options.rank_pattern, source, 'rank_pattern', (x) => Number.isInteger(x) && x >= 1, 'a positive integer'),
    alpha_pattern: patternMap(options.alpha_pattern, source, 'alpha_pattern', Number.isFinite, 'a finite number'),
    seed,
  };
}
