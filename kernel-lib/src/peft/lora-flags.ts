/**
 * The command line's LoRA flags (`galore-lab train --method lora ...`) and the
 * one call that turns them into an adapter on a model:
 *
 *   --lora-r N  --lora-alpha A  --lora-dropout P  --lora-target q_proj,v_proj|all-linear
 *   --use-rslora  --use-dora  --pissa [--pissa-niter N]  --adapter DIR (continue from a saved adapter)
 */
import * as path from 'node:path';
import type { FlagSpec } from '../cli/args';
import { UsageError, numberFlag, positiveInt } from '../cli/args';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { ADAPTER_CONFIG_FILE, loadAdapter, readAdapterConfig } from './adapter-io';
import { LoraAdapter, loraAdapter } from './lora-adapter';
import { ALL_LINEAR, LoraInit, LoraOptions, isPissa, resolveLoraConfig } from './lora-config';
import { linearModuleNames, selectTargetModules } from './target-modules';

/** Flag declarations to merge into a command's `FlagSpec`. */
export const LORA_FLAGS: FlagSpec = {
  'lora-r': { type: 'string' }, 'lora-alpha': { type: 'string' }, 'lora-dropout': { type: 'string' },
  'lora-target': { type: 'string', multiple: true }, 'use-rslora': { type: 'boolean' }, 'use-dora': { type: 'boolean' },
  pissa: { type: 'boolean' }, 'pissa-niter': { type: 'string' }, adapter: { type: 'string' },
};

/**
 * `LoraOptions` from parsed flag values, holding only the flags that were
 * given (so the rest take PEFT's defaults). `--lora-target` takes a comma list
 * and may repeat; `all` and `all-linear` mean every linear layer. Throws
 * `UsageError` naming the flag.
 *
 * @example
 * loraOptionsFromFlags({ 'lora-r': '16', 'lora-target': ['all-linear'], 'use-dora': true });
 * // { r: 16, target_modules: 'all-linear', use_dora: true }
 */
export function loraOptionsFromFlags(v: Record<string, unknown>): LoraOptions {
  const o: LoraOptions = {};
  if (v['lora-r'] !== undefined) o.r = numberFlag(v, 'lora-r', 8, positiveInt, 'a positive integer');
  if (v['lora-alpha'] !== undefined) o.lora_alpha = numberFlag(v, 'lora-alpha', 8, Number.isFinite, 'a number');
  if (v['lora-dropout'] !== undefined) o.lora_dropout = numberFlag(v, 'lora-dropout', 0, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  const rawTargets = v['lora-target'];
  if (rawTargets !== undefined) {
    const list = (Array.isArray(rawTargets) ? rawTargets : [rawTargets]).flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter((t) => t !== '');
    if (list.length === 0) throw new UsageError('--lora-target needs module names (e.g. q_proj,v_proj) or all-linear');
    o.target_modules = list.includes('all') || list.includes(ALL_LINEAR) ? ALL_LINEAR : list;
  }
  if (v['use-rslora']) o.use_rslora = true;
  if (v['use-dora']) o.use_dora = true;
  if (v['pissa-niter'] !== undefined && !v.pissa) throw new UsageError('--pissa-niter needs --pissa');
  if (v.pissa) {
    o.init_lora_weights = v['pissa-niter'] === undefined
      ? 'pissa'
      : `pissa_niter_${numberFlag(v, 'pissa-niter', 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer')}` as LoraInit;
  }
  return o;
}

/** What `attachLoraFromFlags` returns. */
export interface AttachedLora {
  adapter: LoraAdapter;
  /** Pass this to `trainModel` (see `adapterTrainingView`). */
  trainingModel: Qwen2ForCausalLM;
  /** PEFT's `trainable params: ... || all params: ... || trainable%: ...` line. */
  report: string;
}

function conflicts(flags: LoraOptions, saved: LoraOptions, model: Qwen2ForCausalLM, dir: string): string[] {
  const out: string[] = [];
  const s = resolveLoraConfig(saved, dir);
  if (flags.r !== undefined && flags.r !== s.r) out.push(`--lora-r ${flags.r} (adapter: r=${s.r})`);
  if (flags.lora_alpha !== undefined && flags.lora_alpha !== s.lora_alpha) out.push(`--lora-alpha ${flags.lora_alpha} (adapter: lora_alpha=${s.lora_alpha})`);
  if (flags.use_rslora !== undefined && flags.use_rslora !== s.use_rslora) out.push('--use-rslora (adapter: use_rslora=false)');
  if (flags.use_dora !== undefined && flags.use_dora !== s.use_dora) out.push('--use-dora (adapter: use_dora=false)');
  if (flags.init_lora_weights !== undefined && !isPissa(s.init_lora_weights)) out.push(`--pissa (adapter: init_lora_weights=${JSON.stringify(s.init_lora_weights)})`);
  if (flags.target_modules !== undefined) {
    const names = linearModuleNames(model.config);
    const a = selectTargetModules(names, resolveLoraConfig(flags).target_modules).join();
    const b = selectTargetModules(names, s.target_modules, s.exclude_modules).join();
    if (a !== b) out.push(`--lora-target ${JSON.stringify(flags.target_modules)} (adapter: target_modules=${JSON.stringify(s.target_modules)})`);
  }
  return out;
}

/**
 * Attach the LoRA adapter the flags describe: a new one, or with `--adapter
 * DIR` the saved one (its adapter_config.json decides r, alpha, targets...;
 * flags that contradict it are a UsageError; `--lora-dropout` overrides).
 *
 * @example
 * const { adapter, trainingModel, report } = await attachLoraFromFlags(model, flags, { seed: 42 });
 * out(report);
 * await trainModel(trainingModel, optimizer, examples, opts);
 * await saveAdapter(adapter, outDir, { baseModelNameOrPath: modelDir });
 */
export async function attachLoraFromFlags(
  model: Qwen2ForCausalLM, v: Record<string, unknown>, options: { seed?: number } = {},
): Promise<AttachedLora> {
  const flags = loraOptionsFromFlags(v);
  const seed = options.seed ?? 0;
  let adapter: LoraAdapter;
  const dir = v.adapter;
  if (dir !== undefined) {
    if (typeof dir !== 'string' || dir === '') throw new UsageError('--adapter needs a folder');
    const configFile = path.join(dir, ADAPTER_CONFIG_FILE);
    let saved: LoraOptions;
    try {
      saved = readAdapterConfig(configFile);
    } catch (e) {
      throw new UsageError(`--adapter: ${(e as Error).message}`);
    }
    const bad = conflicts(flags, saved, model, configFile);
    if (bad.length > 0) throw new UsageError(`--adapter ${dir}: ${bad.join('; ')}; drop these flags (the saved adapter_config.json decides)`);
    adapter = await loadAdapter(model, dir, { seed, ...(flags.lora_dropout !== undefined ? { lora_dropout: flags.lora_dropout } : {}) });
  } else {
    try {
      adapter = loraAdapter(model, { ...flags, seed });
    } catch (e) {
      throw new UsageError(`--method lora: ${(e as Error).message}`);
    }
  }
  return { adapter, trainingModel: adapter.trainingModel(), report: adapter.trainableParametersReport() };
}
