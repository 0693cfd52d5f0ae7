import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { referenceLogits, referenceLoss } from '../helpers/qwen2-reference';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

function randomBiases(model: Qwen2ForCausalLM, seed: number): void {
  // init() zeroes biases; give them values so the bias path is exercised.
  const rng = seededRandom(seed);
  for (const [name, v] of model.weights) {
    if (name.endsWith('.bias') || name.endsWith('norm.weight')) {
      const data = Float32Array.from({ length: v.size }, () => (name.endsWith('.bias') ? 0.3 * rng.normal() : 1 + 0.2 * rng.normal()));
      v.assign(tf.tensor(data, v.shape));
    }
  }
}

describe('Qwen2 forward pass', () => {
  for (const tied of [false, true]) {
    it(`matches a float64 reference of HF's modeling_qwen2 (tie_word_embeddings=${tied})`, () => {
      const cfg = tinyConfig({ tie_word_embeddings: tied, rope_theta: 1000 });
      const model = Qwen2ForCausalLM.init(cfg, 7);
      randomBiases(model, 8);
      const ids = [5, 17, 3, 96, 0, 44, 44, 12, 70];
      const logits = model.forward(Int32Array.from(ids), 1, ids.length);
      const got = logits.arraySync() as number[][];
      const want = referenceLogits(cfg, model.weightData(), ids);
      let maxErr = 0;
      for (let t = 0; t < ids.length; t++) for (let v = 0; v < cfg.vocab_size; v++) maxErr = Math.max(maxErr, Math.abs(got[t][v] - want[t][v]));
      expect(maxErr).toBeLessThan(1e-4);
      // and the logits are not trivially small: the test could fail
      expect(Math.max(...want.flat().map(Math.abs))).toBeGreaterThan(0.5);
      logits.dispose();
      model.dispose();
    });
  }

  it('batched rows equal separate sequences, and the loss equals the reference loss', () => {
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 3);
    randomBiases(model, 4);
    const seqs = [[1, 2, 3, 4, 5, 6], [9, 8, 7, 6, 5, 4]];
    const labels = [[-100, -100, 3, 4, 5, 6], [9, 8, 7, -100, 5, 4]];
    const batched = model.forward(Int32Array.from(seqs.flat()), 2, 6).arraySync() as number[][];
    const single = model.forward(Int32Array.from(seqs[1]), 1, 6).arraySync() as number[][];
    for (let t = 0; t < 6; t++) for (let v = 0; v < cfg.vocab_size; v++) expect(batched[6 + t][v]).toBeCloseTo(single[t][v], 5);
    const loss = model.loss(Int32Array.from(seqs.flat()), Int32Array.from(labels.flat()), 2, 6).dataSync()[0];
    expect(loss).toBeCloseTo(referenceLoss(cfg, model.weightData(), seqs, labels), 4);
    model.dispose();
  });

  it('incremental decoding with the KV cache gives the same logits as a full pass', () => {
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 11);
    const ids = [4, 8, 15, 16, 23, 42];
    const full = model.forward(Int32Array.from(ids), 1, ids.length).arraySync() as number[][];
    const cache = model.newCache();
    const first = model.forward(Int32Array.from(ids.slice(0, 3)), 1, 3, cache).arraySync() as number[][];
    const rest: number[][] = [];
    for (const id of ids.slice(3)) rest.push((model.forward(Int32Array.from([id]), 1, 1, cache).arraySync() as number[][])[0]);
    const inc = [...first, ...rest];
    for (let t = 0; t < ids.length; t++) for (let v = 0; v < cfg.vocab_size; v += 7) expect(inc[t][v]).toBeCloseTo(full[t][v], 4);
    Qwen2ForCausalLM.disposeCache(cache);
    model.dispose();
  });
});
