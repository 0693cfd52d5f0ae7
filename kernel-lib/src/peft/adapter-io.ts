/**
 * LoRA adapters on disk in Hugging Face PEFT's format: a folder with
 * `adapter_config.json` (LoraConfig fields) and `adapter_model.safetensors`
 * (`base_model.model.<module>.lora_A.weight`, `.lora_B.weight`, and
 * `.lora_magnitude_vector` for DoRA). An adapter saved here loads with
 * `PeftModel.from_pretrained`; one saved by PEFT loads here and trains on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { WritableDtype } from '../io/safetensors-dtypes';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { writeFileAtomic } from '../util/atomic-write';
import { ALL_LINEAR, LoraOptions, isLoraInit, resolveLoraConfig } from './lora-config';
import { readConfigObject } from './config-file';
import { ExpectedAdapterTensor, matchExpectedTensors } from './expected-tensors';
import { LoraAdapter } from './lora-adapter';
import { loraTensorNames } from './lora-layer';
import { linearModuleNames, patternValue, selectTargetModules } from './target-modules';

/**
 * The config file of an adapter folder (PEFT's name).
 *
 * @example
 * readAdapterConfig(path.join(dir, ADAPTER_CONFIG_FILE));
 */
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
/**
 * The tensor file of an adapter folder (PEFT's name).
 *
 * @example
 * await readSafetensors(path.join(dir, ADAPTER_WEIGHTS_FILE));
 */
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** Options of `saveAdapter`. */
export interface SaveAdapterOptions {
  /** Written as `base_model_name_or_path` (e.g. `Qwen/Qwen2-0.5B-Instruct` or the model folder). */
  baseModelNameOrPath?: string | null;
  /** Stored dtype of the tensors; default 'F32'. */
  dtype?: WritableDtype;
}

/**
 * The `adapter_config.json` object PEFT would write for this adapter
 * (`all-linear` expanded to the module names, as PEFT saves it).
 *
 * @example
 * adapterConfigJson(adapter).target_modules; // ['q_proj', 'v_proj']
 */
export function adapterConfigJson(adapter: LoraAdapter, options: SaveAdapterOptions = {}): Record<string, unknown> {
  const c = adapter.config;
  const targets = c.target_modules === ALL_LINEAR || Array.isArray(c.target_modules)
    ? [...new Set(adapter.layers.map((l) => l.moduleName.split('.').pop()!))].sort()
    : c.target_modules;
  const json: Record<string, unknown> = {
    alpha_pattern: c.alpha_pattern,
    auto_mapping: null,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: c.init_lora_weights,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: c.lora_alpha,
    lora_dropout: c.lora_dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: c.rank_pattern,
    revision: null,
    target_modules: targets,
    task_type: 'CAUSAL_LM',
    use_dora: c.use_dora,
    use_rslora: c.use_rslora,
  };
  if (c.exclude_modules !== null) json.exclude_modules = c.exclude_modules;
  return json;
}

/**
 * Write `dir/adapter_config.json` and `dir/adapter_model.safetensors` (each
 * file atomically; other files in `dir` are left alone).
 *
 * @example
 * await saveAdapter(adapter, 'out/lora-r8', { baseModelNameOrPath: 'Qwen/Qwen2-0.5B-Instruct' });
 */
export async function saveAdapter(adapter: LoraAdapter, dir: string, options: SaveAdapterOptions = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await writeSafetensors(path.join(dir, ADAPTER_WEIGHTS_FILE), adapter.tensors(), { dtype: options.dtype ?? 'F32', metadata: { format: 'pt' } });
  await writeFileAtomic(path.join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(adapterConfigJson(adapter, options), null, 2) + '\n');
}

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/**
 * Read and validate a PEFT `adapter_config.json` into `LoraOptions`. Errors
 * name the file and the field, and say what is supported.
 *
 * @example
 * const options = readAdapterConfig('out/lora-r8/adapter_config.json'); // { r: 8, lora_alpha: 16, ... }
 */
export function readAdapterConfig(file: string): LoraOptions {
  const c = readConfigObject(file, 'a PEFT LoraConfig');
  const field = (name: string, what: string): Error => new Error(`${file}: field "${name}" ${what}, got ${JSON.stringify(c[name])}`);
  if (c.peft_type !== 'LORA') throw field('peft_type', 'must be "LORA" (only LoRA adapters are supported)');
  if (!Number.isInteger(c.r) || (c.r as number) < 1) throw field('r', 'must be a positive integer');
  if (typeof c.lora_alpha !== 'number' || !Number.isFinite(c.lora_alpha)) throw field('lora_alpha', 'must be a number');
  if (c.lora_dropout !== undefined && (typeof c.lora_dropout !== 'number' || !(c.lora_dropout >= 0 && c.lora_dropout < 1))) {
    throw field('lora_dropout', 'must be a number in [0, 1)');
  }
  if (c.bias !== undefined && c.bias !== 'none') throw field('bias', 'must be "none" (training biases is not supported)');
  if (c.lora_bias !== undefined && c.lora_bias !== false) throw field('lora_bias', 'must be false (a bias on lora_B is not supported)');
  if (c.fan_in_fan_out !== undefined && c.fan_in_fan_out !== false) throw field('fan_in_fan_out', 'must be false (Qwen2 stores weights as [out, in])');
  for (const name of ['modules_to_save', 'layers_to_transform', 'layers_pattern', 'layer_replication', 'trainable_token_indices']) {
    if (!isEmpty(c[name])) throw field(name, 'is not supported; expected null');
  }
  for (const name of ['use_dora', 'use_rslora']) {
    if (c[name] !== undefined && typeof c[name] !== 'boolean') throw field(name, 'must be true or false');
  }
  const init = c.init_lora_weights ?? true;
  if (!isLoraInit(init)) throw field('init_lora_weights', 'must be true, false, "gaussian", "pissa" or "pissa_niter_N"');
  const modules = (name: string): string[] | string | null | undefined => {
    const v = c[name];
    if (v === undefined || v === null) return v;
    if (typeof v === 'string' && v !== '') return v;
    if (Array.isArray(v) && v.every((t) => typeof t === 'string' && t !== '')) return v as string[];
    throw field(name, 'must be a list of module names or a regular expression');
  };
  const patterns = (name: string, check: (x: unknown) => boolean): Record<string, number> | undefined => {
    const v = c[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every(check)) throw field(name, 'must map module patterns to numbers');
    return v as Record<string, number>;
  };
  const targets = modules('target_modules');
  const exclude = modules('exclude_modules');
  return {
    r: c.r as number,
    lora_alpha: c.lora_alpha,
    lora_dropout: (c.lora_dropout as number | undefined) ?? 0,
    ...(targets ? { target_modules: targets } : {}),
    ...(exclude ? { exclude_modules: exclude } : {}),
    use_dora: (c.use_dora as boolean | undefined) ?? false,
    use_rslora: (c.use_rslora as boolean | undefined) ?? false,
    init_lora_weights: init,
    rank_pattern: patterns('rank_pattern', (x) => Number.isInteger(x) && (x as number) >= 1),
    alpha_pattern: patterns('alpha_pattern', (x) => typeof x === 'number' && Number.isFinite(x)),
  };
}

/** Options of `loadAdapter`. */
export interface LoadAdapterOptions {
  /** Seed of the dropout masks when training on; default 0. */
  seed?: number;
  /** Override the saved dropout (e.g. 0 for inference). */
  lora_dropout?: number;
}

/**
 * Attach the adapter saved in `dir` (PEFT's format) to `model`, ready to
 * evaluate (`adapter.eval()`) or to train on (`adapter.trainingModel()`).
 * Every tensor is checked against the config and the model before the model
 * is touched. A PiSSA adapter is loaded as PEFT loads it onto the original
 * base model: the residual is recomputed from the model's weights.
 *
 * @example
 * const adapter = await loadAdapter(model, 'out/lora-r8');
 * adapter.eval();
 */
export async function loadAdapter(model: Qwen2ForCausalLM, dir: string, options: LoadAdapterOptions = {}): Promise<LoraAdapter> {
  const configFile = path.join(dir, ADAPTER_CONFIG_FILE);
  const weightsFile = path.join(dir, ADAPTER_WEIGHTS_FILE);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder; expected a PEFT adapter folder (${ADAPTER_CONFIG_FILE} + ${ADAPTER_WEIGHTS_FILE})`);
  if (!fs.existsSync(configFile)) throw new Error(`${dir}: no ${ADAPTER_CONFIG_FILE}; expected a PEFT adapter folder (${ADAPTER_CONFIG_FILE} + ${ADAPTER_WEIGHTS_FILE})`);
  if (!fs.existsSync(weightsFile)) {
    const bin = fs.existsSync(path.join(dir, 'adapter_model.bin'));
    throw new Error(`${dir}: no ${ADAPTER_WEIGHTS_FILE}` + (bin ? ' (adapter_model.bin, a pickle, is not read: re-save it with safe_serialization=True)' : ''));
  }
  const loraOptions: LoraOptions = { ...readAdapterConfig(configFile), seed: options.seed ?? 0 };
  if (options.lora_dropout !== undefined) loraOptions.lora_dropout = options.lora_dropout;
  const config = resolveLoraConfig(loraOptions, configFile);
  const modules = selectTargetModules(linearModuleNames(model.config), config.target_modules, config.exclude_modules, configFile);
  const { tensors } = await readSafetensors(weightsFile);

  // check every tensor before touching the model
  const expected = new Map<string, ExpectedAdapterTensor>();
  for (const m of modules) {
    const [out, inp] = model.weights.get(`${m}.weight`)!.shape as [number, number];
    const r = patternValue(config.rank_pattern, m, config.r);
    const names = loraTensorNames(m);
    expected.set(names.A, { module: m, shape: [r, inp] });
    expected.set(names.B, { module: m, shape: [out, r] });
    if (config.use_dora) expected.set(names.magnitude, { module: m, shape: [out] });
  }
  const found = matchExpectedTensors(tensors, expected, {
    weightsFile, configFile,
    key: (name) => (name.endsWith('.lora_magnitude_vector.weight') ? name.slice(0, -'.weight'.length) : name),
    unexpectedReason: `with target_modules ${JSON.stringify(config.target_modules)}` +
      `${config.use_dora ? '' : ' and use_dora false'} (${configFile}) the adapter has no such tensor`,
  });

  const adapter = new LoraAdapter(model, config);
  try {
    for (const layer of adapter.layers) {
      for (const p of layer.params()) {
        const t = found.get(p.name)!;
        const value = tf.tensor(t.data, t.shape, 'float32');
        p.variable.assign(value);
        value.dispose();
      }
    }
  } catch (e) {
    adapter.unload();
    throw e;
  }
  return adapter;
}
