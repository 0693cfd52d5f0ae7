import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../kernel-lib/src/cli/args';
import { exportRecipeCommand, recipeOptionsFromFlags } from '../../kernel-lib/src/cli/export-recipe-command';
import { PROJ_TYPES } from '../../kernel-lib/src/optim/galore-projector';
import { parseFlatYaml } from '../../kernel-lib/src/reproduce/flat-yaml';
import { RECIPE_PROJ_TYPES } from '../../kernel-lib/src/reproduce/llamafactory-recipe';
import { datasetSplitPath } from '../../kernel-lib/src/tiny/tiny-base';

const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

async function exportTo(args: string[]): Promise<{ dir: string; lines: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-recipe-'));
  const lines: string[] = [];
  expect(await exportRecipeCommand(['--to', 'llamafactory', '--out', dir, ...args], (l) => lines.push(l))).toBe(0);
  return { dir, lines };
}

const yaml = (dir: string, name: string): Record<string, unknown> => parseFlatYaml(fs.readFileSync(path.join(dir, name), 'utf8'), name);
const lineCount = (file: string): number => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;

describe('galore-lab export-recipe --to llamafactory', () => {
  it('writes a GaLore recipe with our defaults under their option names', async () => {
    const { dir, lines } = await exportTo([]);
    const train = yaml(dir, 'galore_sft.yaml');
    expect(train).toMatchObject({
      model_name_or_path: 'Qwen/Qwen2-0.5B-Instruct', stage: 'sft', do_train: true, finetuning_type: 'full', use_galore: true,
      galore_target: 'all', galore_rank: 16, galore_update_interval: 200, galore_scale: 0.25, galore_proj_type: 'std', galore_layerwise: false,
      template: 'qwen', cutoff_len: 256, learning_rate: 1e-4, num_train_epochs: 1, per_device_train_batch_size: 4, gradient_accumulation_steps: 1,
      lr_scheduler_type: 'linear', warmup_steps: 0, bf16: true, optim: 'adamw_torch', seed: 42,
      dataset: 'sports_injury_train', dataset_dir: 'data', eval_dataset: 'sports_injury_validation',
      output_dir: 'saves/qwen2-0.5b-instruct/galore/sft', logging_steps: 1,
    });
    expect(train.max_steps).toBeUndefined();
    expect(train).not.toHaveProperty('lora_rank');
    // Where our default differs from LLaMA-Factory's, the YAML says so.
    const text = fs.readFileSync(path.join(dir, 'galore_sft.yaml'), 'utf8');
    expect(text).toMatch(/^galore_scale: 0\.25 {2}# .*LLaMA-Factory's default is 2\.0$/m);
    expect(text).toMatch(/^cutoff_len: 256 {2}# .*LLaMA-Factory's default is 2048$/m);
    expect(text).toMatch(/^learning_rate: 1\.0e-4 {2}#/m);
    expect(text).toMatch(/^galore_rank: 16 {2}# galore-lab --rank$/m); // same default: no "default is"
    const predict = yaml(dir, 'galore_predict.yaml');
    expect(predict).toMatchObject({
      model_name_or_path: 'saves/qwen2-0.5b-instruct/galore/sft', do_predict: true, predict_with_generate: true, finetuning_type: 'full',
      eval_dataset: 'sports_injury_test', output_dir: 'saves/qwen2-0.5b-instruct/galore/sft/predict', do_sample: false,
    });
    expect(fs.existsSync(path.join(dir, 'ds_z2_config.json'))).toBe(false); // LLaMA-Factory refuses GaLore with DeepSpeed
    expect(lines.join('\n')).toContain('galore-torch computes each projection with an exact SVD');
  });

  it('converts the splits and registers them in dataset_info.json', async () => {
    const { dir } = await exportTo(['--method', 'lora']);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'data', 'dataset_info.json'), 'utf8'));
    expect(Object.keys(info).sort()).toEqual(['sports_injury_test', 'sports_injury_train', 'sports_injury_validation']);
    expect(info.sports_injury_train).toEqual({
      file_name: 'sports_injury_train.json', formatting: 'alpaca', columns: { prompt: 'instruction', query: 'input', response: 'output' },
    });
    for (const split of ['train', 'validation', 'test'] as const) {
      const rows = JSON.parse(fs.readFileSync(path.join(dir, 'data', `sports_injury_${split}.json`), 'utf8'));
      expect(rows).toHaveLength(lineCount(datasetSplitPath(split)));
      const first = JSON.parse(fs.readFileSync(datasetSplitPath(split), 'utf8').split('\n')[0]);
      expect(rows[0]).toEqual({ instruction: first.question, input: '', output: first.answer });
    }
  });

  it('maps LoRA flags (all-linear is their "all"; alpha written because their default is 2 x rank)', async () => {
    const { dir } = await exportTo(['--method', 'lora', '--lora-r', '16', '--lora-target', 'all-linear', '--lora-dropout', '0.05',
      '--lr', '2e-4', '--epochs', '3', '--batch-size', '2', '--grad-accum', '8', '--lr-scheduler', 'cosine', '--warmup-steps', '10', '--model', 'Qwen/Qwen2-1.5B-Instruct']);
    const train = yaml(dir, 'lora_sft.yaml');
    expect(train).toMatchObject({
      finetuning_type: 'lora', lora_rank: 16, lora_alpha: 8, lora_dropout: 0.05, lora_target: 'all', learning_rate: 2e-4, num_train_epochs: 3,
      per_device_train_batch_size: 2, gradient_accumulation_steps: 8, lr_scheduler_type: 'cosine', warmup_steps: 10,
      model_name_or_path: 'Qwen/Qwen2-1.5B-Instruct', output_dir: 'saves/qwen2-1.5b-instruct/lora/sft',
    });
    expect(train).not.toHaveProperty('use_galore');
    expect(fs.readFileSync(path.join(dir, 'lora_sft.yaml'), 'utf8')).toMatch(/^lora_alpha: 8 {2}# .*LLaMA-Factory's default is 32$/m);
    const predict = yaml(dir, 'lora_predict.yaml');
    expect(predict).toMatchObject({ model_name_or_path: 'Qwen/Qwen2-1.5B-Instruct', adapter_name_or_path: 'saves/qwen2-1.5b-instruct/lora/sft', finetuning_type: 'lora' });
    const ds = JSON.parse(fs.readFileSync(path.join(dir, 'ds_z2_config.json'), 'utf8'));
    expect(ds.zero_optimization.stage).toBe(2);
    // The default LoRA target is PEFT's for Qwen2, written explicitly.
    const { dir: d2 } = await exportTo(['--method', 'lora']);
    expect(yaml(d2, 'lora_sft.yaml')).toMatchObject({ lora_rank: 8, lora_alpha: 8, lora_target: 'q_proj,v_proj' });
  });

  it('maps GaLore flags, steps, 8-bit states and precision', async () => {
    const { dir } = await exportTo(['--rank', '32', '--update-proj-gap', '20', '--scale', '1', '--proj-type', 'right', '--galore-target', 'q_proj, v_proj',
      '--steps', '60', '--optim', 'adamw8bit', '--precision', 'pure_bf16', '--weight-decay', '0.01', '--galore-svd', 'exact']);
    const train = yaml(dir, 'galore_sft.yaml');
    expect(train).toMatchObject({ galore_rank: 32, galore_update_interval: 20, galore_scale: 1, galore_proj_type: 'right', galore_target: 'q_proj,v_proj',
      max_steps: 60, optim: 'adamw_bnb_8bit', pure_bf16: true, weight_decay: 0.01 });
    expect(train).not.toHaveProperty('bf16');
    expect(fs.readFileSync(path.join(dir, 'galore_sft.yaml'), 'utf8')).toMatch(/^galore_scale: 1\.0 {2}#/m); // a float, as galore_scale is
  });

  it('--method all writes the three recipes and one README with the commands', async () => {
    const { dir } = await exportTo(['--method', 'all']);
    for (const m of ['full', 'lora', 'galore']) {
      expect(fs.existsSync(path.join(dir, `${m}_sft.yaml`))).toBe(true);
      expect(fs.existsSync(path.join(dir, `${m}_predict.yaml`))).toBe(true);
    }
    expect(yaml(dir, 'full_sft.yaml')).toMatchObject({ finetuning_type: 'full' });
    expect(yaml(dir, 'full_sft.yaml')).not.toHaveProperty('use_galore');
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('llamafactory-cli train galore_sft.yaml');
    expect(readme).toContain('FORCE_TORCHRUN=1 NPROC_PER_NODE=4 llamafactory-cli train lora_sft.yaml deepspeed=ds_z2_config.json');
    expect(readme).toMatch(/torchrun --nproc_per_node 4 .*llamafactory\.launcher.* full_sft\.yaml/);
    expect(readme).toContain('galore-lab import-run --dir saves/qwen2-0.5b-instruct/galore/sft');
    expect(readme).not.toContain('galore_sft.yaml deepspeed=');
  });

  it.skipIf(!hasPyYaml)('writes YAML that PyYAML reads to the same values', async () => {
    const { dir } = await exportTo(['--method', 'all', '--system', 'You are a careful sports-medicine assistant: "be brief"']);
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const r = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(parseFlatYaml(text, f));
    }
  });

  it('says which flag is wrong', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-recipe-'));
    const run = (args: string[]): Promise<number> => exportRecipeCommand(['--out', dir, ...args], () => undefined);
    await expect(run([])).rejects.toThrow(/--to is required/);
    await expect(run(['--to', 'axolotl'])).rejects.toThrow('--to must be llamafactory, got "axolotl"');
    await expect(run(['--to', 'llamafactory', '--method', 'dora'])).rejects.toThrow(/--method must be one of full, lora, galore, all/);
    await expect(run(['--to', 'llamafactory', '--proj-type', 'diagonal'])).rejects.toThrow(/--proj-type must be one of std, reverse_std/);
    await expect(run(['--to', 'llamafactory', '--rank', '0'])).rejects.toThrow('--rank must be a positive integer, got "0"');
    await expect(run(['--to', 'llamafactory', '--method', 'lora', '--rank', '8'])).rejects.toThrow(/GaLore flags; --method lora/);
    await expect(run(['--to', 'llamafactory', '--lora-r', '8'])).rejects.toThrow(/--lora-r is a LoRA flag; --method galore/);
    await expect(run(['--to', 'llamafactory', '--method', 'all', '--rank', '8'])).rejects.toThrow(/--method all: --rank/);
    await expect(run(['--to', 'llamafactory', '--layerwise', '--grad-accum', '4'])).rejects.toThrow(/--layerwise needs --grad-accum 1/);
    await expect(run(['--to', 'llamafactory', '--bogus'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['--to', 'llamafactory', '--data-dir', path.join(dir, 'nowhere')])).rejects.toThrow(/nowhere.*train\.jsonl: no such file/);
  });

  it('resolves a local model folder to an absolute path', () => {
    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-model-'));
    const rel = path.relative(process.cwd(), local);
    expect(recipeOptionsFromFlags({ model: rel }, 'full').model).toBe(local);
    expect(recipeOptionsFromFlags({ model: 'Qwen/Qwen2-0.5B-Instruct' }, 'full').model).toBe('Qwen/Qwen2-0.5B-Instruct');
  });

  it('knows the same projection types as the optimizer', () => {
    expect([...RECIPE_PROJ_TYPES]).toEqual([...PROJ_TYPES]);
  });
});
