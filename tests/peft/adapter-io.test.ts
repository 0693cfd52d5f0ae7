import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../kernel-lib/src/io/safetensors';
import { loadAdapter, readAdapterConfig, saveAdapter } from '../../kernel-lib/src/peft/adapter-io';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { IDS, logits, maxAbs, maxAbsDiff, tinyModel } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'galore-adapter-'));

/** An adapter whose output differs from the base model's (random B, moved magnitudes). */
function trainedLikeAdapter(seed: number, options: Record<string, unknown>) {
  const model = tinyModel(seed);
  const adapter = loraAdapter(model, { r: 4, lora_alpha: 16, init_lora_weights: false, seed: 5, ...options });
  for (const l of adapter.layers) l.magnitude?.assign(tf.mul(l.magnitude, 1.25));
  adapter.eval();
  return { model, adapter };
}

describe('PEFT adapter folders', () => {
  it('saves PEFT tensor names and config, and loads back to the same logits (LoRA)', async () => {
    const dir = tmp();
    const { model, adapter } = trainedLikeAdapter(1, { target_modules: ['q_proj', 'v_proj', 'down_proj'], lora_dropout: 0.1 });
    const expected = logits(model);
    await saveAdapter(adapter, dir, { baseModelNameOrPath: 'Qwen/Qwen2-0.5B-Instruct' });
    expect(fs.readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const header = await readSafetensorsHeader(path.join(dir, 'adapter_model.safetensors'));
    const names = [...header.entries.keys()];
    expect(names).toHaveLength(2 * 3 * 2);
    expect(names).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(names).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    expect(header.entries.get('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight')!.shape).toEqual([4, 56]);
    expect(header.entries.get('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')!.shape).toEqual([32, 4]);
    expect(header.metadata).toEqual({ format: 'pt' });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 16, lora_dropout: 0.1, bias: 'none',
      target_modules: ['down_proj', 'q_proj', 'v_proj'], use_dora: false, use_rslora: false, init_lora_weights: false,
      base_model_name_or_path: 'Qwen/Qwen2-0.5B-Instruct', fan_in_fan_out: false, modules_to_save: null,
    });
    const fresh = tinyModel(1);
    const loaded = await loadAdapter(fresh, dir);
    loaded.eval();
    expect(loaded.config.lora_dropout).toBe(0.1);
    expect(maxAbsDiff(logits(fresh), expected)).toBeLessThan(1e-6);
    adapter.unload(); loaded.unload(); model.dispose(); fresh.dispose();
  });

  it('round-trips DoRA (lora_magnitude_vector), rsLoRA and all-linear', async () => {
    const dir = tmp();
    const { model, adapter } = trainedLikeAdapter(2, { target_modules: 'all-linear', use_dora: true, use_rslora: true });
    const expected = logits(model);
    await saveAdapter(adapter, dir);
    const { tensors } = await readSafetensors(path.join(dir, 'adapter_model.safetensors'));
    const mag = tensors.get('base_model.model.model.layers.0.mlp.gate_proj.lora_magnitude_vector')!;
    expect(mag.shape).toEqual([56]);
    expect(tensors.size).toBe(3 * 7 * 2);
    const config = readAdapterConfig(path.join(dir, 'adapter_config.json'));
    expect(config.target_modules).toEqual(['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
    expect(config.use_dora).toBe(true);
    const fresh = tinyModel(2);
    const loaded = (await loadAdapter(fresh, dir)).eval();
    expect(maxAbsDiff(logits(fresh), expected)).toBeLessThan(1e-6);
    adapter.unload(); loaded.unload(); model.dispose(); fresh.dispose();
  });

  it('loads a PiSSA adapter onto the original base model as PEFT does (residual recomputed)', async () => {
    const dir = tmp();
    const model = tinyModel(3);
    const original = logits(model);
    const adapter = loraAdapter(model, { r: 2, init_lora_weights: 'pissa' }).eval();
    for (const l of adapter.layers) l.B.assign(tf.mul(l.B, 1.5)); // "training" moved B
    const expected = logits(model);
    expect(maxAbsDiff(expected, original)).toBeGreaterThan(1e-3);
    await saveAdapter(adapter, dir);
    const fresh = tinyModel(3);
    const loaded = (await loadAdapter(fresh, dir)).eval();
    expect(maxAbsDiff(logits(fresh), expected)).toBeLessThan(1e-4 * Math.max(1, maxAbs(expected)));
    adapter.unload(); loaded.unload(); model.dispose(); fresh.dispose();
  });

  it('reads what PEFT writes: BF16 tensors, the older lora_magnitude_vector.weight name, extra config fields', async () => {
    const dir = tmp();
    const { model, adapter } = trainedLikeAdapter(4, { use_dora: true });
    const tensors = adapter.tensors().map((t) => (t.name.endsWith('lora_magnitude_vector') ? { ...t, name: `${t.name}.weight` } : t));
    await writeSafetensors(path.join(dir, 'adapter_model.safetensors'), tensors, { dtype: 'BF16' });
    fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({
      alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: 'Qwen/Qwen2-0.5B-Instruct', bias: 'none', corda_config: null,
      eva_config: null, exclude_modules: null, fan_in_fan_out: false, inference_mode: true, init_lora_weights: true,
      layer_replication: null, layers_pattern: null, layers_to_transform: null, loftq_config: {}, lora_alpha: 16, lora_bias: false,
      lora_dropout: 0.05, megatron_config: null, megatron_core: 'megatron.core', modules_to_save: null, peft_type: 'LORA',
      peft_version: '0.17.0', qalora_group_size: 16, r: 4, rank_pattern: {}, revision: null, target_modules: ['v_proj', 'q_proj'],
      target_parameters: null, task_type: 'CAUSAL_LM', trainable_token_indices: null, use_dora: true, use_qalora: false, use_rslora: false,
    }));
    const fresh = tinyModel(4);
    const loaded = (await loadAdapter(fresh, dir)).eval();
    const bf16 = (x: number) => { const f = new Float32Array([x]); new Uint32Array(f.buffer)[0] &= 0xffff0000; return f[0]; };
    const a0 = adapter.layers[0].A.dataSync();
    const l0 = loaded.layers[0].A.dataSync();
    for (let i = 0; i < 5; i++) expect(Math.abs(l0[i] - a0[i])).toBeLessThanOrEqual(Math.abs(a0[i] - bf16(a0[i])) * 2 + 1e-12);
    expect(maxAbsDiff(logits(fresh), logits(model))).toBeLessThan(0.05 * Math.max(1, maxAbs(logits(model))));
    adapter.unload(); loaded.unload(); model.dispose(); fresh.dispose();
  });

  it('continues from rank_pattern / alpha_pattern adapters (per-module r and alpha)', async () => {
    const dir = tmp();
    const { model, adapter } = trainedLikeAdapter(5, { rank_pattern: { v_proj: 2 }, alpha_pattern: { 'layers\\.1\\.self_attn\\.q_proj': 4 } });
    expect(adapter.layers.map((l) => [l.r, l.alpha])).toEqual([[4, 16], [2, 16], [4, 4], [2, 16]]);
    const expected = logits(model);
    await saveAdapter(adapter, dir);
    const fresh = tinyModel(5);
    const loaded = (await loadAdapter(fresh, dir)).eval();
    expect(loaded.layers.map((l) => l.scaling)).toEqual([4, 8, 1, 8]);
    expect(maxAbsDiff(logits(fresh), expected)).toBeLessThan(1e-6);
    adapter.unload(); loaded.unload(); model.dispose(); fresh.dispose();
  });

  describe('malformed folders: errors name the file and the field', () => {
    let good: string;
    beforeAll(async () => {
      good = tmp();
      const { model, adapter } = trainedLikeAdapter(6, {});
      await saveAdapter(adapter, good);
      adapter.unload(); model.dispose();
    });
    const copy = (): string => {
      const dir = tmp();
      for (const f of fs.readdirSync(good)) fs.copyFileSync(path.join(good, f), path.join(dir, f));
      return dir;
    };
    const editConfig = (dir: string, edit: (c: Record<string, unknown>) => void): void => {
      const file = path.join(dir, 'adapter_config.json');
      const c = JSON.parse(fs.readFileSync(file, 'utf8'));
      edit(c);
      fs.writeFileSync(file, JSON.stringify(c));
    };
    const expectLoadError = async (dir: string, pattern: RegExp): Promise<void> => {
      const model = tinyModel(6);
      const before = logits(model);
      await expect(loadAdapter(model, dir)).rejects.toThrow(pattern);
      expect(Array.from(logits(model))).toEqual(Array.from(before)); // untouched
      model.dispose();
    };

    it('missing files', async () => {
      const noConfig = copy();
      fs.rmSync(path.join(noConfig, 'adapter_config.json'));
      await expectLoadError(noConfig, /no adapter_config\.json/);
      const noWeights = copy();
      fs.rmSync(path.join(noWeights, 'adapter_model.safetensors'));
      fs.writeFileSync(path.join(noWeights, 'adapter_model.bin'), '');
      await expectLoadError(noWeights, /no adapter_model\.safetensors.*adapter_model\.bin.*safe_serialization/);
      await expectLoadError(path.join(noWeights, 'nope'), /not a folder/);
    });

    it('bad config fields', async () => {
      const cases: [(c: Record<string, unknown>) => void, RegExp][] = [
        [(c) => { c.r = 0; }, /adapter_config\.json: field "r" must be a positive integer, got 0/],
        [(c) => { c.peft_type = 'IA3'; }, /field "peft_type" must be "LORA"/],
        [(c) => { c.bias = 'all'; }, /field "bias" must be "none"/],
        [(c) => { c.modules_to_save = ['lm_head']; }, /field "modules_to_save" is not supported/],
        [(c) => { c.init_lora_weights = 'olora'; }, /field "init_lora_weights" must be/],
        [(c) => { c.lora_alpha = '16'; }, /field "lora_alpha" must be a number/],
        [(c) => { c.target_modules = ['q_proj', 'lm_head']; }, /adapter_config\.json: "target_modules" "lm_head" not found in the model/],
      ];
      for (const [edit, pattern] of cases) {
        const dir = copy();
        editConfig(dir, edit);
        await expectLoadError(dir, pattern);
      }
      const broken = copy();
      fs.writeFileSync(path.join(broken, 'adapter_config.json'), '{"r": 8,');
      await expectLoadError(broken, /adapter_config\.json: not valid JSON/);
    });

    it('tensors that do not fit the config or the model', async () => {
      const rank = copy();
      editConfig(rank, (c) => { c.r = 8; });
      await expectLoadError(rank, /adapter_model\.safetensors: tensor "base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight" has shape \[4,32\], expected \[8,32\]/);
      const extra = copy();
      editConfig(extra, (c) => { c.target_modules = ['q_proj']; });
      await expectLoadError(extra, /adapter_model\.safetensors: unexpected tensor "base_model\.model\.model\.layers\.0\.self_attn\.v_proj\.lora_A\.weight"/);
      const missing = copy();
      editConfig(missing, (c) => { c.target_modules = ['q_proj', 'v_proj', 'o_proj']; });
      await expectLoadError(missing, /adapter_model\.safetensors: missing tensors "base_model\.model\.model\.layers\.0\.self_attn\.o_proj\.lora_A\.weight"/);
      const dora = copy();
      editConfig(dora, (c) => { c.use_dora = true; });
      await expectLoadError(dora, /missing tensors .*lora_magnitude_vector/);
    });
  });
});

describe('an adapter written by PEFT 0.21 (tests/peft/fixtures/peft-dora-rslora, made by peft-cross-check.test.ts)', () => {
  const dir = path.join(__dirname, 'fixtures', 'peft-dora-rslora');
  const reference = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8'));

  it("loads with PEFT's logits and PEFT's trainable-parameter line", async () => {
    const model = tinyModel(reference.base_seed);
    const adapter = (await loadAdapter(model, dir)).eval();
    expect(adapter.config).toMatchObject({ r: 2, lora_alpha: 4, use_dora: true, use_rslora: true, target_modules: ['down_proj', 'q_proj', 'v_proj'] });
    expect(maxAbsDiff(logits(model, Int32Array.from(reference.ids)), reference.logits)).toBeLessThan(1e-4 * Math.max(1, maxAbs(reference.logits)));
    expect(adapter.trainableParametersReport()).toBe(reference.report);
    adapter.unload();
    model.dispose();
  });

  it('continues training here and saves back in the same format', async () => {
    const model = tinyModel(reference.base_seed);
    const adapter = await loadAdapter(model, dir);
    const before = adapter.tensors();
    const examples = [{ inputIds: Array.from(IDS), labels: Array.from(IDS) }];
    const res = await trainModel(adapter.trainingModel(), adamW(), examples, { steps: 8, batchSize: 1, seqLen: IDS.length, lr: 2e-2, scheduler: 'constant', progress: false });
    expect(res.log[7].loss).toBeLessThan(res.log[0].loss);
    const out = tmp();
    await saveAdapter(adapter, out);
    const header = await readSafetensorsHeader(path.join(out, 'adapter_model.safetensors'));
    expect([...header.entries.keys()].sort()).toEqual(before.map((t) => t.name).sort());
    const { tensors } = await readSafetensors(path.join(out, 'adapter_model.safetensors'));
    const moved = before.filter((t) => maxAbsDiff(tensors.get(t.name)!.data, t.data) > 0);
    expect(moved.length).toBe(before.length);
    adapter.unload();
    model.dispose();
  });
});
