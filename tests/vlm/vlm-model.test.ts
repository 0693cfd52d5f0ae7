import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { crossEntropy, embeddingLookup } from '../../kernel-lib/src/model/primitives';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { AdapterHooks } from '../../kernel-lib/src/vlm/adapter-hooks';
import { decoderHiddenStates, disposeDecoderCache, newDecoderCache } from '../../kernel-lib/src/vlm/decoder-pass';
import { combinedLabels, combinedRowOrder } from '../../kernel-lib/src/vlm/sequence-layout';
import { maxAbsDiff, randomIds, randomPixels, tinyVlm, values } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

describe('decoder from input embeddings', () => {
  it('equals Qwen2ForCausalLM.hiddenStates when fed the token embeddings', () => {
    const vlm = tinyVlm(3);
    const lm = vlm.language;
    const ids = randomIds(2 * 7);
    const expected = values(() => lm.hiddenStates(ids, 2, 7));
    const got = values(() => decoderHiddenStates(lm, embeddingLookup(tf.tensor1d(ids, 'int32'), lm.weights.get('model.embed_tokens.weight') as unknown as tf.Tensor2D), 2, 7, new AdapterHooks()));
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
  });

  it('with a cache, a second chunk gives the rows of the full pass (batch 2)', () => {
    const vlm = tinyVlm(4);
    const lm = vlm.language;
    const table = lm.weights.get('model.embed_tokens.weight') as unknown as tf.Tensor2D;
    const ids = randomIds(2 * 6, 8);
    const emb = (x: Int32Array) => embeddingLookup(tf.tensor1d(x, 'int32'), table);
    const full = values(() => decoderHiddenStates(lm, emb(ids), 2, 6, vlm.hooks));
    const first = Int32Array.from([...ids.subarray(0, 4), ...ids.subarray(6, 10)]);
    const second = Int32Array.from([...ids.subarray(4, 6), ...ids.subarray(10, 12)]);
    const cache = newDecoderCache(lm, 2);
    const a = values(() => decoderHiddenStates(lm, emb(first), 2, 4, vlm.hooks, cache));
    const b = values(() => decoderHiddenStates(lm, emb(second), 2, 2, vlm.hooks, cache));
    expect(cache.length).toBe(6);
    disposeDecoderCache(cache);
    const rows = (x: Float32Array, r: number[]) => r.flatMap((i) => Array.from(x.subarray(i * 32, (i + 1) * 32)));
    expect(maxAbsDiff(a, rows(full, [0, 1, 2, 3, 6, 7, 8, 9]))).toBeLessThan(1e-5);
    expect(maxAbsDiff(b, rows(full, [4, 5, 10, 11]))).toBeLessThan(1e-5);
  });

  it('honours a loraAdapter attached to the decoder itself', () => {
    const vlm = tinyVlm(5);
    const pixels = randomPixels(vlm, 1);
    const ids = randomIds(5);
    const before = values(() => vlm.hiddenStates(pixels, ids, 1, 5));
    const adapter = loraAdapter(vlm.language, { r: 2, target_modules: ['q_proj'], init_lora_weights: false, seed: 1 });
    const after = values(() => vlm.hiddenStates(pixels, ids, 1, 5));
    expect(maxAbsDiff(before, after)).toBeGreaterThan(1e-4);
    adapter.unload();
    expect(maxAbsDiff(before, values(() => vlm.hiddenStates(pixels, ids, 1, 5)))).toBe(0);
  });
});

describe('image tokens in the sequence', () => {
  it('lays rows out image-first or after each prompt', () => {
    // 2 sequences, 3 text tokens, 2 image tokens; sequence 1's image after 2 tokens
    expect(combinedRowOrder(2, 3, 2, [0, 2])).toEqual([6, 7, 0, 1, 2, 3, 4, 8, 9, 5]);
    expect(Array.from(combinedLabels(Int32Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 2, [0, 2]))).toEqual([-100, -100, 1, 2, 3, 4, 5, -100, -100, 6]);
    expect(() => combinedRowOrder(1, 3, 2, [4])).toThrow(/image position 4 outside \[0, 3\]/);
  });

  it('the loss is the cross-entropy of the next label at every counted row (both placements)', () => {
    for (const placement of ['before-text', 'after-prompt'] as const) {
      const vlm = tinyVlm(6, { imagePlacement: placement });
      const batch = 2; const textLen = 5;
      const pixels = randomPixels(vlm, batch);
      const ids = randomIds(batch * textLen, 12);
      const labels = Int32Array.from([-100, -100, 40, 41, 42, -100, -100, -100, 43, 44]);
      const imageAt = placement === 'after-prompt' ? [2, 3] : [0, 0];
      const loss = tf.tidy(() => vlm.loss(pixels, ids, labels, batch, textLen, imageAt).dataSync()[0]);
      // reference: full logits over all rows, labels shifted by one row within each sequence
      const n = vlm.imageTokens; const len = n + textLen;
      const combined = combinedLabels(labels, batch, textLen, n, imageAt);
      const shifted = new Int32Array(batch * len).fill(-100);
      for (let b = 0; b < batch; b++) for (let c = 0; c + 1 < len; c++) shifted[b * len + c] = combined[b * len + c + 1];
      const expected = tf.tidy(() => {
        const hidden = vlm.hiddenStates(pixels, ids, batch, textLen, undefined, imageAt);
        return crossEntropy(vlm.logitsAt(hidden, Array.from({ length: batch * len }, (_, i) => i)), shifted).dataSync()[0];
      });
      expect(Math.abs(loss - expected)).toBeLessThan(1e-5);
      expect(loss).toBeGreaterThan(1);
    }
  });

  it('after-prompt placement puts the image tokens right after each prompt', () => {
    const vlm = tinyVlm(7, { imagePlacement: 'after-prompt' });
    const pixels = randomPixels(vlm, 2);
    const ids = randomIds(2 * 4, 13);
    const imageTokens = values(() => vlm.embed(pixels, ids, 2, 4)); // default: image first
    const placed = values(() => vlm.embed(pixels, ids, 2, 4, [1, 3]));
    const row = (x: Float32Array, r: number) => Array.from(x.subarray(r * 32, (r + 1) * 32));
    const len = vlm.imageTokens + 4;
    // sequence 0: text 0, image rows, text 1-3; sequence 1: text 0-2, image rows, text 3
    for (let i = 0; i < vlm.imageTokens; i++) {
      expect(row(placed, 1 + i)).toEqual(row(imageTokens, i));
      expect(row(placed, len + 3 + i)).toEqual(row(imageTokens, len + i));
    }
    expect(row(placed, 0)).toEqual(row(imageTokens, vlm.imageTokens));
    expect(row(placed, len - 1)).toEqual(row(imageTokens, len - 1));
  });
});
