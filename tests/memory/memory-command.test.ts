import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../kernel-lib/src/cli/args';
import { memoryCommand } from '../../kernel-lib/src/cli/memory-command';

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await memoryCommand(argv, (l) => lines.push(l));
  return { code, text: lines.join('\n') };
}

const TINY = {
  model_type: 'qwen2', vocab_size: 97, hidden_size: 32, intermediate_size: 56, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: false,
};

describe('galore-lab memory', () => {
  it('without --method prints full, 8-bit, LoRA, GaLore and 8-bit GaLore side by side', async () => {
    const { code, text } = await run(['--preset', 'qwen2-0.5b-instruct', '--rank', '128']);
    expect(code).toBe(0);
    for (const label of ['Full, AdamW', 'Full, 8-bit AdamW', 'LoRA r=8, AdamW', 'GaLore r=128, AdamW', 'GaLore r=128, 8-bit AdamW']) {
      expect(text).toContain(label);
    }
    expect(text).toContain('494,032,768 parameters');
    expect(text).toMatch(/optimizer states\s+3\.681 GiB\s+0\.935 GiB/);
  });

  it('one method from a config file, with per-weight rows and the paper comparison', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mem-cli-'));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(TINY));
    const { code, text } = await run(['--config', file, '--method', 'galore', '--rank', '4', '--layerwise', '--per-param', '--paper']);
    expect(code).toBe(0);
    expect(text).toContain('GaLore r=4, AdamW, layer-wise');
    expect(text).toMatch(/layers\.\*\.self_attn\.k_proj\.weight\s+\[16, 32\]\s+2\s+galore\s+\[16, 4\]\s+\[4, 32\]\s+1,280/);
    expect(text).toContain('GaLore paper');
    // --model DIR reads DIR/config.json
    expect((await run(['--model', dir, '--method', 'full'])).text).toContain('Full, AdamW');
  });

  it('--json gives the ledgers, LoRA targets as a comma list', async () => {
    const { text } = await run(['--preset', 'qwen2-0.5b-instruct', '--method', 'lora', '--lora-r', '16', '--lora-target', 'q_proj,v_proj', '--json', '--batch-size', '2', '--seq-len', '64']);
    const parsed = JSON.parse(text) as { ledgers: { trainableParams: number; batchSize: number; seqLen: number }[] };
    // per layer: q A [16, 896] + B [896, 16], v A [16, 896] + B [128, 16]
    expect(parsed.ledgers[0].trainableParams).toBe(24 * 16 * (896 + 896 + 896 + 128));
    expect(parsed.ledgers[0].batchSize).toBe(2);
    expect(parsed.ledgers[0].seqLen).toBe(64);
  });

  it('usage errors name the flag', async () => {
    await expect(run(['--method', 'full'])).rejects.toThrow(UsageError);
    await expect(run(['--preset', 'qwen2-0.5b-instruct', '--method', 'qlora'])).rejects.toThrow(/--method must be one of full, lora, galore/);
    await expect(run(['--preset', 'qwen2-0.5b-instruct', '--optim', 'sgd'])).rejects.toThrow(/--optim/);
    await expect(run(['--preset', 'nope'])).rejects.toThrow(/unknown --preset/);
    await expect(run(['--preset', 'qwen2-0.5b-instruct', '--rank', '0'])).rejects.toThrow(/--rank must be a positive integer/);
    await expect(run(['--preset', 'qwen2-0.5b-instruct', '--lora-target', 'qkv'])).rejects.toThrow(/not a linear module/);
  });
});
