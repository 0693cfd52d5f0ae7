import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import type { Qwen2Tokenizer } from '../../kernel-lib/src/tokenizer/tokenizer';
import { applyTuning } from '../../kernel-lib/src/vlm/tuning-methods';
import { collateVqa } from '../../kernel-lib/src/vlm/vqa-examples';
import { evaluateVqa, generateAnswers } from '../../kernel-lib/src/vlm/vqa-generate';
import { runVqaConfiguration } from '../../kernel-lib/src/vlm/vqa-experiment';
import { trainVqa } from '../../kernel-lib/src/vlm/vqa-train';
import type { VisionLanguageModel } from '../../kernel-lib/src/vlm/vlm-model';
import { tinyVlm, toyExamples } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

/** A tokenizer stand-in for the tiny vocabulary: token 10 is "left", 11 "right", 2 ends an answer. */
const toyTokenizer = {
  imEndId: 2,
  decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => (i === 10 ? 'left' : i === 11 ? 'right' : `t${i}`)).join(' '),
} as unknown as Qwen2Tokenizer;

/** Greedy decoding without a cache: the full sequence re-run for every new token (batch 1). */
function greedyWithoutCache(vlm: VisionLanguageModel, pixels: Float32Array, prompt: Int32Array, maxNew: number): number[] {
  const out: number[] = [];
  let ids = Array.from(prompt);
  for (let s = 0; s <= maxNew; s++) {
    const next = tf.tidy(() => {
      const hidden = vlm.hiddenStates(pixels, Int32Array.from(ids), 1, ids.length);
      return tf.argMax(vlm.logitsAt(hidden, [vlm.imageTokens + ids.length - 1]), 1).dataSync()[0];
    });
    if (next === 2 || s === maxNew) break;
    out.push(next);
    ids = [...ids, next];
  }
  return out;
}

describe('VQA training and decoding', () => {
  it('a few steps of full fine-tuning lower the loss on held batches', async () => {
    const vlm = tinyVlm(1);
    const examples = toyExamples(vlm, 32);
    const batch = collateVqa(examples.slice(0, 16), 0);
    const lossOf = () => tf.tidy(() => vlm.loss(batch.pixels, batch.ids, batch.labels, batch.batch, batch.textLen).dataSync()[0]);
    const before = lossOf();
    const { log } = await trainVqa(vlm, adamW(), examples, { steps: 12, batchSize: 8, lr: 1e-2 });
    expect(log).toHaveLength(12);
    expect(lossOf()).toBeLessThan(0.6 * before);
    expect(log[11].loss).toBeLessThan(log[0].loss);
  });

  it('batched greedy decoding with a cache gives the tokens of step-by-step full recomputation', () => {
    const vlm = tinyVlm(2);
    const examples = toyExamples(vlm, 6, 5);
    const tokens = generateAnswers(vlm, { ...toyTokenizer, decode: (ids: ArrayLike<number>) => Array.from(ids).join(',') } as unknown as Qwen2Tokenizer, examples, { maxNewTokens: 3, batchSize: 2 });
    examples.forEach((e, i) => {
      expect(tokens[i]).toBe(greedyWithoutCache(vlm, e.pixels, e.promptIds, 3).join(','));
    });
  });

  it('an answer that ends at once is the empty string (the tokenizer is not asked to decode nothing)', () => {
    const vlm = tinyVlm(2);
    const [e] = toyExamples(vlm, 1, 5);
    const first = tf.tidy(() => tf.argMax(vlm.logitsAt(vlm.hiddenStates(e.pixels, e.promptIds, 1, e.promptIds.length), [vlm.imageTokens + e.promptIds.length - 1]), 1).dataSync()[0]);
    const strict = { imEndId: first, decode: (ids: ArrayLike<number>) => { if (ids.length === 0) throw new Error('empty'); return 'x'; } } as unknown as Qwen2Tokenizer;
    expect(generateAnswers(vlm, strict, [e])).toEqual(['']);
  });

  it('a configuration run trains, scores and then restores the model exactly', async () => {
    const vlm = tinyVlm(3);
    const examples = toyExamples(vlm, 24, 7);
    const before = vlm.weightSnapshot();
    const row = await runVqaConfiguration(vlm, toyTokenizer, examples, examples.slice(0, 8), { method: 'full', parts: ['vision', 'projector', 'language'] },
      { steps: 25, batchSize: 8, lr: 1e-2 });
    expect(row.label).toBe('full · all');
    expect(row.parameters.percent).toBe(100);
    expect(row.evaluation.predictions).toHaveLength(8);
    expect(row.evaluation.scores.closedAccuracy).toBeGreaterThan(0.5); // the side is learnable from the pixels
    for (const [name, v] of vlm.baseWeights()) expect(Array.from(v.dataSync()), name).toEqual(Array.from(before.get(name)!));
    expect(vlm.adapters).toHaveLength(0);
    // and an adapter configuration leaves no adapter behind
    await runVqaConfiguration(vlm, toyTokenizer, examples, examples.slice(0, 4), { method: 'ia3', parts: ['language'] }, { steps: 1, batchSize: 4, lr: 1e-2 });
    expect(vlm.hooks.empty).toBe(true);
    expect(() => applyTuning(vlm, { method: 'lora', parts: [] })).toThrow(/choose at least one part/);
  });

  it('evaluateVqa scores the greedy answers against the records', () => {
    const vlm = tinyVlm(4);
    const examples = toyExamples(vlm, 4, 9);
    const ev = evaluateVqa(vlm, toyTokenizer, examples, { maxNewTokens: 2 });
    const right = ev.predictions.filter((p) => p.prediction === p.answer).length;
    expect(ev.scores.closedAccuracy).toBe(right / 4);
    expect(ev.predictions[0].qid).toBe('0');
  });
});
