import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../kernel-lib/src/cli/main';
import { evaluateNll } from '../../kernel-lib/src/cli/eval-command';
import { readSftJsonl } from '../../kernel-lib/src/data/sft-examples';
import { loadPretrained } from '../../kernel-lib/src/model/model-folder';
import { datasetSplitPath, tinyBasePath } from '../../kernel-lib/src/tiny/tiny-base';

describe('the embedded tiny base model', () => {
  it('loads with its tokenizer and already models held-out domain text far better than chance', async () => {
    const { model, tokenizer } = await loadPretrained(tinyBasePath());
    expect(tokenizer).not.toBeNull();
    const text = 'Ankle sprain: protect it, then load it gradually. 踝关节扭伤后怎么办？';
    expect(tokenizer!.decode(tokenizer!.encode(text))).toBe(text);
    const test = readSftJsonl(datasetSplitPath('test'), tokenizer, { vocabSize: model.config.vocab_size }).slice(0, 24);
    const { nll } = evaluateNll(model, test, { batchSize: 8, seqLen: 160, padId: tokenizer!.padTokenId });
    expect(nll).toBeLessThan(0.75 * Math.log(model.config.vocab_size));
    model.dispose();
  });

  it('`reproduce` (the npm start job) runs and writes results.json', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-repro-'));
    const lines: string[] = [];
    expect(await runCli(['reproduce', '--steps', '2', '--out', out, '--quiet', '--batch-size', '2', '--seq-len', '64', '--eval-limit', '2', '--max-new-tokens', '4'], (l) => lines.push(l))).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.runs[0].method).toBe('full');
    expect(results.runs[0].losses).toHaveLength(2);
    expect(results.runs.map((r: { method: string }) => r.method)).toEqual(['full', 'lora', 'galore', 'galore8bit']);
    expect(results.runs[0].metrics.count).toBe(2);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<html');
    expect(fs.readFileSync(path.join(out, 'galore', 'generated_predictions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(lines.join('\n')).toContain('full AdamW');
  });
});
