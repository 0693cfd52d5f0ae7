import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationItem } from '../../kernel-lib/src/eval/generation-items';
import { predictWithGenerate } from '../../kernel-lib/src/eval/predict-with-generate';
import { encodePrompt, llamaFactoryLabel, predictionLine, readCompletedPredictions } from '../../kernel-lib/src/eval/prediction-rows';
import { metricsCommand } from '../../kernel-lib/src/cli/metrics-command';
import { llamaFactoryScores } from '../../kernel-lib/src/metrics/llama-factory-scores';
import type { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { loadPretrained } from '../../kernel-lib/src/model/model-folder';
import { linear } from '../../kernel-lib/src/model/primitives';
import { tinyBasePath } from '../../kernel-lib/src/tiny/tiny-base';
import type { Qwen2Tokenizer } from '../../kernel-lib/src/tokenizer/tokenizer';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-predict-'));
let model: Qwen2ForCausalLM;
let tokenizer: Qwen2Tokenizer;

const items: GenerationItem[] = [
  { messages: [{ role: 'user', content: 'How should I treat a sprained ankle?' }], reference: 'Protect it, then load it gradually.', where: 'mem:1' },
  { messages: [{ role: 'system', content: 'Answer in one sentence.' }, { role: 'user', content: 'What helps shin splints?' }], reference: 'Rest and a slower return to running.', where: 'mem:2' },
  { messages: [{ role: 'user', content: 'Is ice useful after a knee injury?' }], reference: 'Ice can ease pain in the first days.', where: 'mem:3' },
];

/** Greedy decoding by recomputing the whole sequence each step (no KV cache), stopping at the stop ids. */
function naiveGreedy(ids: number[], maxNew: number, stop: number[]): number[] {
  const seq = [...ids];
  const out: number[] = [];
  for (let i = 0; i < maxNew; i++) {
    const logits = tf.tidy(() => {
      const h = model.hiddenStates(Int32Array.from(seq), 1, seq.length);
      return linear(tf.slice(h, [seq.length - 1, 0], [1, h.shape[1]]) as tf.Tensor2D, model.lmHeadWeight()).dataSync();
    });
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    if (stop.includes(best)) break;
    out.push(best);
    seq.push(best);
  }
  return out;
}

beforeAll(async () => {
  ({ model, tokenizer } = (await loadPretrained(tinyBasePath())) as { model: Qwen2ForCausalLM; tokenizer: Qwen2Tokenizer });
});
afterAll(() => model?.dispose());

describe('LLaMA-Factory prediction rows', () => {
  it('writes the prompt with its special tokens and the label with the turn\'s trailing newline', () => {
    const { ids, text } = encodePrompt(tokenizer, items[1].messages);
    expect(text).toBe('<|im_start|>system\nAnswer in one sentence.<|im_end|>\n<|im_start|>user\nWhat helps shin splints?<|im_end|>\n<|im_start|>assistant\n');
    expect(ids).toContain(tokenizer.imStartId);
    expect(encodePrompt(tokenizer, items[0].messages).text.startsWith('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n')).toBe(true);
    expect(encodePrompt(tokenizer, items[0].messages, { defaultSystem: null }).text.startsWith('<|im_start|>user\n')).toBe(true);
    expect(llamaFactoryLabel(tokenizer, 'Protect it, then load it gradually.')).toBe('Protect it, then load it gradually.\n');
  });
});

describe('predictWithGenerate', () => {
  it('answers greedily like a cache-free decoder, writes the rows line by line and scores them', async () => {
    const out = path.join(dir, 'greedy');
    const progress: number[] = [];
    const r = await predictWithGenerate(model, tokenizer, items, { maxNewTokens: 6, outDir: out, onProgress: (p) => progress.push(p.done) });
    expect(progress).toEqual([1, 2, 3]);
    expect(r.rows).toHaveLength(3);
    expect(r.generated).toBe(3);
    expect(r.resumed).toBe(0);
    expect(r.generatedTokens).toBe(r.rows.reduce((n, row) => n + tokenizer.encode(row.predict).length, 0));
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    const stop = [tokenizer.eosTokenId, tokenizer.imEndId, tokenizer.padTokenId];
    const expected = naiveGreedy(tokenizer.encode(r.rows[0].prompt), 6, stop);
    expect(r.rows[0].predict).toBe(tokenizer.decode(expected, { skipSpecialTokens: true }));
    expect(r.rows.map((row) => row.label)).toEqual(items.map((i) => `${i.reference}\n`));
    r.rows.forEach((row, i) => expect(r.scores[i]).toEqual(llamaFactoryScores(row.predict, row.label)));

    const lines = fs.readFileSync(path.join(out, 'generated_predictions.jsonl'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(r.rows);
    expect(lines).toEqual(r.rows.map(predictionLine)); // Python's json.dumps layout (checked in prediction-rows.test.ts)

    const results = JSON.parse(fs.readFileSync(path.join(out, 'predict_results.json'), 'utf8'));
    expect(results['predict_bleu-4']).toBe(r.average['bleu-4']);
    expect(results.predict_samples).toBe(3);
    // the same file scored by `galore-lab metrics` gives the same averages
    const printed: string[] = [];
    expect(await metricsCommand(['--pred', path.join(out, 'generated_predictions.jsonl'), '--json'], (l) => printed.push(l))).toBe(0);
    expect(JSON.parse(printed.join('\n')).average).toEqual(r.average);
  });

  it('resumes after a crash mid-line and ends with what an uninterrupted sampled run writes', async () => {
    const sampling = { maxNewTokens: 5, doSample: true, temperature: 1.3, topK: 40, seed: 11 };
    const whole = path.join(dir, 'whole');
    await predictWithGenerate(model, tokenizer, items, { ...sampling, outDir: whole });
    const full = fs.readFileSync(path.join(whole, 'generated_predictions.jsonl'), 'utf8');
    // sampling depends on the seed, so the comparison below would notice a resumed run that restarted its seeds
    const reseeded = path.join(dir, 'reseeded');
    await predictWithGenerate(model, tokenizer, items, { ...sampling, seed: 12, outDir: reseeded });
    expect(fs.readFileSync(path.join(reseeded, 'generated_predictions.jsonl'), 'utf8')).not.toBe(full);

    const crashed = path.join(dir, 'crashed');
    fs.mkdirSync(crashed);
    const [first, second] = full.split('\n');
    fs.writeFileSync(path.join(crashed, 'generated_predictions.jsonl'), `${first}\n${second.slice(0, 20)}`);
    expect(readCompletedPredictions(path.join(crashed, 'generated_predictions.jsonl')).partialBytes).toBe(Buffer.byteLength(second.slice(0, 20)));
    await expect(predictWithGenerate(model, tokenizer, items, { ...sampling, outDir: crashed })).rejects.toThrow(/already holds 1 prediction and a cut-off line; resume/);
    const r = await predictWithGenerate(model, tokenizer, items, { ...sampling, outDir: crashed, existing: 'resume' });
    expect(r.resumed).toBe(1);
    expect(r.generated).toBe(2);
    expect(fs.readFileSync(path.join(crashed, 'generated_predictions.jsonl'), 'utf8')).toBe(full);

    await expect(predictWithGenerate(model, tokenizer, items, { ...sampling, temperature: 0.7, outDir: crashed, existing: 'resume' }))
      .rejects.toThrow(`${path.join(crashed, 'predict_settings.json')}: the predictions so far were made with temperature 1.3, this run asks for 0.7`);
    const again = await predictWithGenerate(model, tokenizer, items, { ...sampling, outDir: crashed, existing: 'resume' });
    expect(again.generated).toBe(0);
    expect(again.average).toEqual(r.average);
  });

  it('refuses to resume a file written for other questions, naming its line', async () => {
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    const file = path.join(other, 'generated_predictions.jsonl');
    fs.writeFileSync(file, JSON.stringify({ prompt: 'something else', predict: 'x', label: `${items[0].reference}\n` }) + '\n');
    await expect(predictWithGenerate(model, tokenizer, items, { maxNewTokens: 2, outDir: other, existing: 'resume' }))
      .rejects.toThrow(`${file}:1: the prompt differs from that of mem:1`);
    fs.writeFileSync(file, '{"prompt": "p", "predict": 3, "label": "l"}\n');
    await expect(predictWithGenerate(model, tokenizer, items, { maxNewTokens: 2, outDir: other, existing: 'resume' }))
      .rejects.toThrow(`${file}:1: field "predict" is a number, expected a string`);
    const r = await predictWithGenerate(model, tokenizer, items.slice(0, 1), { maxNewTokens: 2, outDir: other, existing: 'overwrite' });
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(r.rows[0].label).toBe(`${items[0].reference}\n`);
  });

  it('checks every prompt against the context before generating anything', async () => {
    const long: GenerationItem = { messages: [{ role: 'user', content: 'ankle '.repeat(600) }], reference: 'r', where: 'data.jsonl:7' };
    const out = path.join(dir, 'long');
    await expect(predictWithGenerate(model, tokenizer, [items[0], long], { maxNewTokens: 2, outDir: out }))
      .rejects.toThrow(/^data\.jsonl:7: the prompt has \d+ tokens but the model's context \(max_position_embeddings in config\.json\) is 512/);
    expect(fs.existsSync(path.join(out, 'generated_predictions.jsonl'))).toBe(false);
  });
});
