/**
 * LoRA-MoE adapters on disk: a folder with `lora_moe_config.json` (every
 * option, under the names `loraMoE` takes, plus the wrapped modules) and
 * `lora_moe_model.safetensors` holding, per wrapped module, each expert's
 * factors as a LoRA file would (`<module>.experts.<e>.lora_A.weight` [r, in],
 * `.lora_B.weight` [out, r]) and the router (`<module>.router.weight`
 * [num_experts, in]), all under PEFT's `base_model.model.` prefix. Both files
 * are written atomically. The expert memory queues are training state and are
 * not saved: they refill within queue_size / contrastive_tokens steps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../io/safetensors';
import type { WritableDtype } from '../io/safetensors-dtypes';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { readConfigObject } from '../peft/config-file';
import { matchExpectedTensors, type ExpectedAdapterTensor } from '../peft/expected-tensors';
import { writeFileAtomic } from '../util/atomic-write';
import { LoraMoeAdapter } from './lora-moe-adapter';
import { LORA_MOE_OPTION_NAMES, LoraMoeOptions, resolveLoraMoeConfig } from './moe-config';
import { loraMoeTensorNames } from './moe-layer';

/**
 * The config file of a LoRA-MoE folder.
 *
 * @example
 * fs.readFileSync(path.join(dir, LORA_MOE_CONFIG_FILE), 'utf8');
 */
export const LORA_MOE_CONFIG_FILE = 'lora_moe_config.json';
/**
 * The tensor file of a LoRA-MoE folder.
 *
 * @example
 * await readSafetensors(path.join(dir, LORA_MOE_WEIGHTS_FILE));
 */
export const LORA_MOE_WEIGHTS_FILE = 'lora_moe_model.safetensors';
/** `peft_type` written in the config (not a PEFT type: PEFT cannot load this folder). */
const MOE_TYPE = 'LORA_MOE';

/** Options of `saveLoraMoE`. */
export interface SaveLoraMoeOptions {
  /** Written as `base_model_name_or_path`. */
  baseModelNameOrPath?: string | null;
  /** Stored dtype; default 'F32'. */
  dtype?: WritableDtype;
}

/** Rows [e*r, (e+1)*r) of a stacked A [E*r, in]. */
function expertRows(data: Float32Array, e: number, r: number, cols: number): Float32Array {
  return data.slice(e * r * cols, (e + 1) * r * cols);
}

/** Columns [e*r, (e+1)*r) of a stacked B [out, E*r]. */
function expertColumns(data: Float32Array, e: number, r: number, out: number, width: number): Float32Array {
  const piece = new Float32Array(out * r);
  for (let i = 0; i < out; i++) piece.set(data.subarray(i * width + e * r, i * width + (e + 1) * r), i * r);
  return piece;
}

/**
 * The tensors of an adapter as saved: per-expert factors and routers.
 *
 * @example
 * loraMoeTensorsToSave(moe).map((t) => t.name);
 */
export function loraMoeTensorsToSave(adapter: LoraMoeAdapter): TensorToWrite[] {
  const out: TensorToWrite[] = [];
  for (const l of adapter.layers) {
    const [, inp] = l.A.shape as [number, number];
    const [rows, width] = l.B.shape as [number, number];
    const A = l.A.dataSync() as Float32Array;
    const B = l.B.dataSync() as Float32Array;
    for (let e = 0; e < l.numExperts; e++) {
      out.push({ name: l.names.expertA(e), shape: [l.r, inp], data: expertRows(A, e, l.r, inp) });
      out.push({ name: l.names.expertB(e), shape: [rows, l.r], data: expertColumns(B, e, l.r, rows, width) });
    }
    out.push({ name: l.names.router, shape: l.router.shape.slice(), data: Float32Array.from(l.router.dataSync() as Float32Array) });
  }
  return out;
}

/**
 * Writes `dir/lora_moe_config.json` and `dir/lora_moe_model.safetensors`
 * (each atomically; other files in `dir` are left alone).
 *
 * @example
 * await saveLoraMoE(moe, 'out/lora-moe');
 */
export async function saveLoraMoE(adapter: LoraMoeAdapter, dir: string, options: SaveLoraMoeOptions = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await writeSafetensors(path.join(dir, LORA_MOE_WEIGHTS_FILE), loraMoeTensorsToSave(adapter), { dtype: options.dtype ?? 'F32', metadata: { format: 'pt' } });
  const config: Record<string, unknown> = { peft_type: MOE_TYPE, base_model_name_or_path: options.baseModelNameOrPath ?? null };
  for (const key of LORA_MOE_OPTION_NAMES) config[key] = adapter.config[key];
  config.modules = adapter.layers.map((l) => l.moduleName);
  await writeFileAtomic(path.join(dir, LORA_MOE_CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

/**
 * Reads and checks a `lora_moe_config.json`; errors name the file and the field.
 *
 * @example
 * readLoraMoeConfig('out/lora-moe/lora_moe_config.json').options.num_experts; // 4
 */
export function readLoraMoeConfig(file: string): { options: LoraMoeOptions; modules: string[] } {
  const c = readConfigObject(file, 'a LoRA-MoE config');
  if (c.peft_type !== MOE_TYPE) throw new Error(`${file}: field "peft_type" must be "${MOE_TYPE}", got ${JSON.stringify(c.peft_type)}`);
  const modules = c.modules;
  if (!Array.isArray(modules) || modules.length === 0 || !modules.every((m) => typeof m === 'string' && m !== '')) {
    throw new Error(`${file}: field "modules" must be a non-empty list of module names, got ${JSON.stringify(modules)}`);
  }
  const options: Record<string, unknown> = {};
  for (const key of LORA_MOE_OPTION_NAMES) if (c[key] !== undefined && c[key] !== null) options[key] = c[key];
  resolveLoraMoeConfig(options as LoraMoeOptions, file); // field errors name the file
  return { options: options as LoraMoeOptions, modules: modules as string[] };
}

/**
 * Attach the LoRA-MoE saved in `dir` to `model`. Every tensor is checked
 * against the config and the model before the model is touched.
 *
 * @example
 * const moe = await loadLoraMoE(model, 'out/lora-moe');
 */
export async function loadLoraMoE(model: Qwen2ForCausalLM, dir: string): Promise<LoraMoeAdapter> {
  const configFile = path.join(dir, LORA_MOE_CONFIG_FILE);
  const weightsFile = path.join(dir, LORA_MOE_WEIGHTS_FILE);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder; expected a LoRA-MoE folder (${LORA_MOE_CONFIG_FILE} + ${LORA_MOE_WEIGHTS_FILE})`);
  if (!fs.existsSync(weightsFile)) throw new Error(`${dir}: no ${LORA_MOE_WEIGHTS_FILE}`);
  const { options, modules } = readLoraMoeConfig(configFile);
  const config = resolveLoraMoeConfig(options, configFile);
  const { num_experts: E, r } = config;
  const expected = new Map<string, ExpectedAdapterTensor>();
  for (const m of modules) {
    const w = model.weights.get(`${m}.weight`);
    if (!w) throw new Error(`${configFile}: module "${m}" is not a linear module of this model`);
    const [out, inp] = w.shape as [number, number];
    const names = loraMoeTensorNames(m);
    for (let e = 0; e < E; e++) {
      expected.set(names.expertA(e), { module: m, shape: [r, inp] });
      expected.set(names.expertB(e), { module: m, shape: [out, r] });
    }
    expected.set(names.router, { module: m, shape: [E, inp] });
  }
  const { tensors } = await readSafetensors(weightsFile);
  const found = matchExpectedTensors(tensors, expected, { weightsFile, configFile, unexpectedReason: `${configFile} lists no such expert or router` });
  const adapter = new LoraMoeAdapter(model, config);
  try {
    const wrapped = adapter.layers.map((l) => l.moduleName).join();
    if (wrapped !== modules.join()) throw new Error(`${configFile}: "modules" does not match what target_modules selects on this model (${wrapped})`);
    for (const l of adapter.layers) {
      const [out, width] = l.B.shape as [number, number];
      const inp = l.A.shape[1] as number;
      const A = new Float32Array(width * inp);
      const B = new Float32Array(out * width);
      for (let e = 0; e < E; e++) {
        A.set(found.get(l.names.expertA(e))!.data, e * r * inp);
        const piece = found.get(l.names.expertB(e))!.data;
        for (let i = 0; i < out; i++) B.set(piece.subarray(i * r, (i + 1) * r), i * width + e * r);
      }
      const assign = (v: tf.Variable, data: Float32Array): void => {
        const t = tf.tensor(data, v.shape, 'float32');
        v.assign(t);
        t.dispose();
      };
      assign(l.A, A);
      assign(l.B, B);
      assign(l.router, found.get(l.names.router)!.data as Float32Array);
    }
  } catch (e) {
    adapter.unload();
    throw e;
  }
  return adapter;
}
