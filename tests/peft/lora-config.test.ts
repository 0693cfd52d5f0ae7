import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { UsageError } from '../../kernel-lib/src/cli/args';
import { readSafetensors } from '../../kernel-lib/src/io/safetensors';
import { parseQwen2Config } from '../../kernel-lib/src/model/config';
import { saveAdapter } from '../../kernel-lib/src/peft/adapter-io';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { loraScaling, resolveLoraConfig } from '../../kernel-lib/src/peft/lora-config';
import { attachLoraFromFlags, loraOptionsFromFlags } from '../../kernel-lib/src/peft/lora-flags';
import { kaimingUniformBound } from '../../kernel-lib/src/peft/lora-init';
import { formatTrainableParameters, loraParameterCount, loraParameterCounts } from '../../kernel-lib/src/peft/parameter-report';
import { linearModuleNames, patternValue, selectTargetModules } from '../../kernel-lib/src/peft/target-modules';
import { tinyConfig } from '../helpers/tiny-config';
import { tinyModel } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

/** Qwen2-0.5B-Instruct's config.json (the fields the model reads). */
const QWEN2_0_5B = parseQwen2Config({
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000, max_position_embeddings: 32768,
  tie_word_embeddings: true, initializer_range: 0.02,
}, 'qwen2-0.5b');

describe('LoRA configuration', () => {
  it('uses PEFT defaults and validates fields by name', () => {
    expect(resolveLoraConfig()).toMatchObject({ r: 8, lora_alpha: 8, lora_dropout: 0, target_modules: ['q_proj', 'v_proj'], use_rslora: false, use_dora: false, init_lora_weights: true });
    expect(resolveLoraConfig({ alpha: 32, dropout: 0.1 })).toMatchObject({ lora_alpha: 32, lora_dropout: 0.1 });
    expect(() => resolveLoraConfig({ r: 0 })).toThrow('loraAdapter: "r" must be a positive integer, got 0');
    expect(() => resolveLoraConfig({ lora_dropout: 1 })).toThrow(/"lora_dropout" must lie in \[0, 1\)/);
    expect(() => resolveLoraConfig({ lora_alpha: 16, alpha: 32 })).toThrow(/"lora_alpha" \(16\) and its shorthand "alpha" \(32\) disagree/);
    expect(() => resolveLoraConfig({ init_lora_weights: 'olora' as never })).toThrow(/"init_lora_weights"/);
    expect(() => resolveLoraConfig({ target_modules: [] })).toThrow(/"target_modules" must be a non-empty list/);
  });

  it('scales by alpha / r, or alpha / sqrt(r) with rsLoRA', () => {
    expect(loraScaling(16, 8, false)).toBe(2);
    expect(loraScaling(16, 64, true)).toBe(2);
    expect(loraScaling(8, 8, false)).toBe(1);
  });

  it('Kaiming-uniform bound with a = sqrt(5) is 1 / sqrt(fan_in)', () => {
    expect(kaimingUniformBound(16)).toBeCloseTo(0.25, 12);
    expect(kaimingUniformBound(896)).toBeCloseTo(1 / Math.sqrt(896), 12);
    expect(kaimingUniformBound(4, 0)).toBeCloseTo(Math.sqrt(6 / 4), 12); // He-uniform
  });

  it('matches target modules as PEFT does (suffix list, full-match regex, all-linear, exclusions)', () => {
    const names = linearModuleNames(tinyConfig());
    expect(names).toHaveLength(14);
    expect(selectTargetModules(names, ['q_proj', 'v_proj'])).toEqual([
      'model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    expect(selectTargetModules(names, 'all-linear')).toEqual(names);
    expect(selectTargetModules(names, '.*\\.1\\.mlp\\..*_proj')).toEqual(['model.layers.1.mlp.gate_proj', 'model.layers.1.mlp.up_proj', 'model.layers.1.mlp.down_proj']);
    expect(() => selectTargetModules(names, 'mlp')).toThrow(/"target_modules" "mlp" matches no linear module/); // full match, not search
    expect(selectTargetModules(names, ['self_attn.q_proj'])).toHaveLength(2);
    expect(selectTargetModules(names, 'all-linear', ['mlp.down_proj', 'o_proj'])).toHaveLength(10);
    expect(selectTargetModules(names, ['q_proj'], '.*layers\\.0\\..*')).toEqual(['model.layers.1.self_attn.q_proj']);
    expect(() => selectTargetModules(names, ['q_proj', 'lm_head', 'qkv'])).toThrow(/"lm_head", "qkv" not found in the model; LoRA can wrap its linear modules: q_proj, k_proj/);
    expect(() => selectTargetModules(names, 'q_proj(')).toThrow(/"target_modules" "q_proj\(" is not a valid regular expression/);
  });

  it('resolves rank_pattern / alpha_pattern keys as PEFT does ((.*\\.)?key$)', () => {
    expect(patternValue({ v_proj: 16 }, 'model.layers.3.self_attn.v_proj', 8)).toBe(16);
    expect(patternValue({ v_proj: 16 }, 'model.layers.3.self_attn.q_proj', 8)).toBe(8);
    expect(patternValue({ 'layers.3.self_attn.v_proj': 2 }, 'model.layers.3.self_attn.v_proj', 8)).toBe(2);
    expect(patternValue({ 'proj': 2 }, 'model.layers.3.self_attn.v_proj', 8)).toBe(8); // must follow a dot
  });
});

describe("PEFT's trainable-parameter line", () => {
  it('matches print_trainable_parameters for Qwen2-0.5B with r = 8 on q_proj, v_proj', () => {
    expect(loraParameterCount(QWEN2_0_5B, { r: 8 })).toBe(540672);
    expect(formatTrainableParameters(loraParameterCounts(QWEN2_0_5B, { r: 8 })))
      .toBe('trainable params: 540,672 || all params: 494,573,440 || trainable%: 0.1093');
    // all-linear r 8: 24 * 8 * (1792 + 1024 + 1024 + 1792 + 5760 * 2 + 5760) = 4,399,104
    expect(loraParameterCount(QWEN2_0_5B, { r: 8, target_modules: 'all-linear' })).toBe(4399104);
    // DoRA adds one magnitude per output row: 24 * (896 + 128)
    expect(loraParameterCount(QWEN2_0_5B, { r: 8, use_dora: true })).toBe(540672 + 24 * 1024);
  });

  it('formats like Python (thousands separators, 4 decimals)', () => {
    expect(formatTrainableParameters({ trainable: 0, all: 1000 })).toBe('trainable params: 0 || all params: 1,000 || trainable%: 0.0000');
    expect(formatTrainableParameters({ trainable: 1, all: 3 })).toBe('trainable params: 1 || all params: 3 || trainable%: 33.3333');
    expect(() => formatTrainableParameters({ trainable: 1, all: 0 })).toThrow(/"all" must be > 0/);
  });

  it('an attached adapter reports its own counts (base frozen, tiny model)', () => {
    const model = tinyModel(1);
    let base = 0;
    for (const v of model.weights.values()) base += v.size;
    const adapter = loraAdapter(model, { r: 2 });
    // q: 2 * (32 + 32), v: 2 * (32 + 16), two layers
    const lora = 2 * (2 * 64 + 2 * 48);
    expect(adapter.parameterCounts()).toEqual({ trainable: lora, all: base + lora });
    expect(adapter.trainableParametersReport()).toBe(formatTrainableParameters({ trainable: lora, all: base + lora }));
    expect(loraParameterCount(model.config, { r: 2 })).toBe(lora);
    adapter.unload();
    model.dispose();
  });
});

describe('command-line flags', () => {
  it('turns flags into LoraOptions (only the flags given)', () => {
    expect(loraOptionsFromFlags({})).toEqual({});
    expect(loraOptionsFromFlags({ 'lora-r': '16', 'lora-alpha': '32', 'lora-dropout': '0.05', 'lora-target': ['q_proj,k_proj', 'v_proj'], 'use-rslora': true }))
      .toEqual({ r: 16, lora_alpha: 32, lora_dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj'], use_rslora: true });
    expect(loraOptionsFromFlags({ 'lora-target': ['all'], 'use-dora': true, pissa: true })).toEqual({ target_modules: 'all-linear', use_dora: true, init_lora_weights: 'pissa' });
    expect(loraOptionsFromFlags({ pissa: true, 'pissa-niter': '4' })).toEqual({ init_lora_weights: 'pissa_niter_4' });
    expect(() => loraOptionsFromFlags({ 'lora-r': 'eight' })).toThrow(UsageError);
    expect(() => loraOptionsFromFlags({ 'lora-r': '0' })).toThrow('--lora-r must be a positive integer, got "0"');
    expect(() => loraOptionsFromFlags({ 'lora-dropout': '1.5' })).toThrow(/--lora-dropout must be a number in \[0, 1\)/);
    expect(() => loraOptionsFromFlags({ 'pissa-niter': '4' })).toThrow('--pissa-niter needs --pissa');
  });

  it('attaches a new adapter, or continues from --adapter DIR and refuses contradicting flags', async () => {
    const model = tinyModel(1);
    const first = await attachLoraFromFlags(model, { 'lora-r': '4', 'lora-target': ['all-linear'] }, { seed: 3 });
    expect(first.adapter.layers).toHaveLength(14);
    expect(first.report).toMatch(/^trainable params: 3,904 \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/);
    expect(first.trainingModel.trainableParams()).toHaveLength(28);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-flags-'));
    await saveAdapter(first.adapter, dir);
    first.adapter.unload();
    await expect(attachLoraFromFlags(model, { adapter: dir, 'lora-r': '8' })).rejects.toThrow(/--lora-r 8 \(adapter: r=4\).*drop these flags/);
    await expect(attachLoraFromFlags(model, { adapter: dir, 'use-dora': true })).rejects.toThrow(UsageError);
    const again = await attachLoraFromFlags(model, { adapter: dir, 'lora-r': '4', 'lora-target': ['all'], 'lora-dropout': '0.1' });
    expect(again.adapter.config.lora_dropout).toBe(0.1);
    const { tensors } = await readSafetensors(path.join(dir, 'adapter_model.safetensors'));
    const saved = tensors.get(again.adapter.layers[3].names.A)!.data;
    expect(Array.from(again.adapter.layers[3].A.dataSync())).toEqual(Array.from(saved));
    again.adapter.unload();
    await expect(attachLoraFromFlags(model, { 'lora-target': ['qkv'] })).rejects.toThrow(/--method lora: .*"qkv" not found/);
    model.dispose();
  });
});
