import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../kernel-lib/src/cli/main';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-cli-methods-'));
const quiet = (args: string[]) => runCli(args, () => undefined);
const losses = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).loss as number);

beforeAll(async () => {
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    model_type: 'qwen2', vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, tie_word_embeddings: false,
  }));
  const rows = Array.from({ length: 6 }, (_, r) => JSON.stringify({ input_ids: Array.from({ length: 16 }, (_, t) => (r * 7 + t * 3) % 64) }));
  fs.writeFileSync(path.join(dir, 'data.jsonl'), rows.join('\n') + '\n');
  expect(await quiet(['init', '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'base'), '--seed', '1'])).toBe(0);
});

const common = (out: string) => ['train', '--model', path.join(dir, 'base'), '--data', path.join(dir, 'data.jsonl'), '--out', out,
  '--steps', '5', '--batch-size', '2', '--seq-len', '16', '--lr', '1e-2', '--quiet'];

describe('train --method galore / --optim adamw8bit', () => {
  it('GaLore with 8-bit states trains and resumes exactly through the CLI', async () => {
    const flags = ['--method', 'galore', '--rank', '4', '--update-proj-gap', '2', '--scale', '0.5', '--optim', 'adamw8bit'];
    const a = path.join(dir, 'galore-a');
    expect(await quiet([...common(a), ...flags])).toBe(0);
    const full = losses(path.join(a, 'train_log.jsonl'));
    expect(full).toHaveLength(5);
    expect(full[4]).toBeLessThan(full[0]);
    const b = path.join(dir, 'galore-b');
    expect(await quiet([...common(b), ...flags, '--save-every', '3'])).toBe(0);
    expect(losses(path.join(b, 'train_log.jsonl'))).toEqual(full); // deterministic
    const c = path.join(dir, 'galore-c');
    expect(await quiet([...common(c), ...flags, '--resume', path.join(b, 'checkpoint-3')])).toBe(0);
    expect(losses(path.join(c, 'train_log.jsonl'))).toEqual(full); // 3 restored + 2 resumed steps, bit for bit
  });

  it('LoRA trains an adapter saved in PEFT format, and --adapter continues from it', async () => {
    const a = path.join(dir, 'lora-a');
    const lines: string[] = [];
    expect(await runCli([...common(a), '--method', 'lora', '--lora-r', '4', '--lora-alpha', '8', '--lora-target', 'all-linear'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: [\d.]+/);
    const cfg = JSON.parse(fs.readFileSync(path.join(a, 'adapter_config.json'), 'utf8'));
    expect(cfg.r).toBe(4);
    expect(fs.existsSync(path.join(a, 'adapter_model.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(a, 'model.safetensors'))).toBe(false); // the base is not re-saved
    const first = losses(path.join(a, 'train_log.jsonl'));
    const b = path.join(dir, 'lora-b');
    expect(await quiet([...common(b), '--method', 'lora', '--adapter', a])).toBe(0);
    expect(losses(path.join(b, 'train_log.jsonl'))[0]).toBeLessThan(first[0]); // starts from the trained adapter
  });

  it('--layerwise trains GaLore with 8-bit states, stepping weights during the backward pass', async () => {
    const a = path.join(dir, 'lw');
    expect(await quiet([...common(a), '--method', 'galore', '--rank', '4', '--optim', 'adamw8bit', '--layerwise'])).toBe(0);
    const l = losses(path.join(a, 'train_log.jsonl'));
    expect(l[4]).toBeLessThan(l[0]);
    expect(await quiet([...common(path.join(dir, 'lw2')), '--layerwise', '--max-grad-norm', '1'])).toBe(2);
  });

  it('--checkpointing --loss-chunk --galore-embedding train as the plain run does and report the heap beside the prediction', async () => {
    const plain = path.join(dir, 'ck-plain');
    const ckpt = path.join(dir, 'ck');
    const flags = ['--method', 'galore', '--rank', '4', '--optim', 'adamw8bit', '--layerwise', '--galore-embedding', '--seed', '3'];
    expect(await quiet([...common(plain), ...flags])).toBe(0);
    const lines: string[] = [];
    expect(await runCli([...common(ckpt), ...flags, '--checkpointing', '--loss-chunk', '10'], (l) => lines.push(l))).toBe(0);
    const a = losses(path.join(plain, 'train_log.jsonl'));
    const b = losses(path.join(ckpt, 'train_log.jsonl'));
    b.forEach((x, i) => expect(x).toBeCloseTo(a[i], 4));
    expect(lines.join('\n')).toMatch(/GaLore r=4 \(\+embedding\), 8-bit AdamW, layer-wise, checkpointed, loss chunk 10/);
    expect(lines.join('\n')).toMatch(/memory: wasm heap high-water mark .* vs predicted peak .*%/);
    expect(await quiet([...common(path.join(dir, 'ck2')), '--galore-embedding'])).toBe(2); // not for --method full
    expect(await quiet([...common(path.join(dir, 'ck3')), '--loss-chunk', '0'])).toBe(2);
  });

  it('rejects unknown methods and options by name', async () => {
    expect(await quiet([...common(path.join(dir, 'x')), '--method', 'sgd'])).toBe(2);
    expect(await quiet([...common(path.join(dir, 'x')), '--method', 'galore', '--proj-type', 'diagonal'])).toBe(2);
    expect(await quiet([...common(path.join(dir, 'x')), '--optim', 'lion'])).toBe(2);
  });
});
