import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../kernel-lib/src/cli/main';
import { readSafetensors } from '../../kernel-lib/src/io/safetensors';
import { qwen2TokenizerConfig, trainByteLevelBpe } from '../../kernel-lib/src/tokenizer/byte-level-bpe';
import { Qwen2Tokenizer } from '../../kernel-lib/src/tokenizer/tokenizer';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-cli-'));
const lines: string[] = [];
const run = (args: string[]) => runCli(args, (l) => lines.push(l));

beforeAll(() => {
  const texts = ['How do I treat an ankle sprain?', 'Protect, elevate, then load it gradually.', '踝关节扭伤怎么办？'];
  const tok = new Qwen2Tokenizer(trainByteLevelBpe(texts, { vocabSize: 300 }), qwen2TokenizerConfig(64));
  tok.save(path.join(dir, 'tok'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    model_type: 'qwen2', vocab_size: 320, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 80, tie_word_embeddings: true,
  }));
  const data = [
    { messages: [{ role: 'user', content: 'How do I treat an ankle sprain?' }, { role: 'assistant', content: 'Protect, elevate, then load it gradually.' }] },
    { instruction: 'Ankle sprain?', input: '', output: 'Load it gradually.' },
    { question: '踝关节扭伤怎么办？', answer: '先保护，再逐步负重。' },
    { text: 'Warm up before you play.' },
  ];
  fs.writeFileSync(path.join(dir, 'train.jsonl'), data.map((d) => JSON.stringify(d)).join('\n') + '\n');
});

describe('galore-lab CLI', () => {
  it('init -> train -> eval -> generate works end to end on a tiny model', async () => {
    expect(await run(['init', '--config', path.join(dir, 'config.json'), '--out', path.join(dir, 'base'), '--seed', '3', '--tokenizer', path.join(dir, 'tok')])).toBe(0);
    expect(fs.existsSync(path.join(dir, 'base', 'model.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'base', 'tokenizer.json'))).toBe(true);
    const log = path.join(dir, 'log.jsonl');
    expect(await run(['train', '--model', path.join(dir, 'base'), '--data', path.join(dir, 'train.jsonl'), '--method', 'full',
      '--out', path.join(dir, 'ft'), '--steps', '4', '--batch-size', '2', '--seq-len', '48', '--lr', '5e-3', '--log', log, '--quiet'])).toBe(0);
    const records = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(4);
    for (const key of ['step', 'loss', 'lr', 'grad_norm', 'time_ms', 'memory']) expect(records[0]).toHaveProperty(key);
    const base = (await readSafetensors(path.join(dir, 'base', 'model.safetensors'))).tensors.get('model.norm.weight')!.data;
    const tuned = (await readSafetensors(path.join(dir, 'ft', 'model.safetensors'))).tensors.get('model.norm.weight')!.data;
    expect(Array.from(tuned)).not.toEqual(Array.from(base));
    lines.length = 0;
    expect(await run(['eval', '--model', path.join(dir, 'ft'), '--data', path.join(dir, 'train.jsonl'), '--json', '--seq-len', '48'])).toBe(0);
    const ev = JSON.parse(lines[0]);
    expect(ev.perplexity).toBeCloseTo(Math.exp(ev.nll), 6);
    expect(ev.examples).toBe(4);
    lines.length = 0;
    expect(await run(['generate', '--model', path.join(dir, 'ft'), '--prompt', 'Ankle sprain?', '--chat', '--max-new-tokens', '5'])).toBe(0);
    expect(lines.join('\n')).toMatch(/\d+ tokens, .* tokens\/s, stopped by (length|stop-token)/);
  });

  it('explains bad flags and bad input instead of crashing', async () => {
    expect(await run(['train', '--model', path.join(dir, 'base')])).toBe(2);
    expect(await run(['train', '--model', path.join(dir, 'base'), '--data', 'x', '--out', 'y', '--lr', 'fast'])).toBe(2);
    expect(await run(['nonsense'])).toBe(2);
    fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"question":"q","answer":"a"}\n{"foo":1}\n');
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await run(['eval', '--model', path.join(dir, 'base'), '--data', path.join(dir, 'bad.jsonl')])).toBe(1);
      expect(await run(['eval', '--model', path.join(dir, 'nowhere'), '--data', path.join(dir, 'bad.jsonl')])).toBe(1);
    } finally {
      console.error = orig;
    }
    expect(errors[0]).toContain('bad.jsonl:2: unrecognised record');
    expect(errors[1]).toContain('nowhere: not a model folder');
  });
});
