/**
 * Issue 11: on wasm a training run keeps every long-lived buffer at one place
 * in the heap (weights and optimizer states written in place, the
 * embedding's gradient buffer reused, states allocated before the first
 * step), because buffers that move every step fragment the heap and make its
 * high-water mark drift above the ledger's prediction. These tests check the
 * mechanisms, and that they change no number.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { assignInPlace, bufferHolders, forgetPackedCopies, overwrite, reserveTensorTable } from '../../kernel-lib/src/backend/wasm-buffers';
import type { Batch } from '../../kernel-lib/src/data/batching';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { hostView } from '../../kernel-lib/src/model/primitives';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { adamW8bit } from '../../kernel-lib/src/optim/adamw-8bit';
import { galoreAdamW } from '../../kernel-lib/src/optim/galore-adamw';
import type { Optimizer } from '../../kernel-lib/src/optim/optimizer';
import { checkpointedGradientEngine } from '../../kernel-lib/src/train/checkpointed-gradients';
import { RecycledGradient } from '../../kernel-lib/src/train/recycled-gradient';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

/** Where a tensor's values start in the wasm heap. */
const offsetOf = (t: tf.Tensor): number => (tf.backend() as unknown as { dataIdMap: { get(d: object): { memoryOffset: number } } })
  .dataIdMap.get(t.dataId).memoryOffset;

describe('wasm buffer helpers', () => {
  it('forgetPackedCopies makes a matmul see a rewritten right operand (without it the old values are used)', () => {
    const a = tf.randomNormal([32, 48], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([48, 40], 0, 1, 'float32', 2) as tf.Tensor2D;
    const before = tf.matMul(a, b).dataSync();
    hostView(b).fill(0.5);
    const want = tf.matMul(a, tf.fill([48, 40], 0.5) as tf.Tensor2D).dataSync();
    const stale = tf.matMul(a, b).dataSync();
    forgetPackedCopies(b);
    const fresh = tf.matMul(a, b).dataSync();
    expect(Math.abs(stale[7] - before[7])).toBeLessThan(1e-4); // the packed copy still had the old values
    expect(Math.abs(stale[7] - want[7])).toBeGreaterThan(1e-3);
    for (let i = 0; i < want.length; i++) expect(Math.abs(fresh[i] - want[i])).toBeLessThan(1e-4);
    tf.dispose([a, b]);
  });

  it('bufferHolders counts the handles on one buffer (reshape shares it, clone copies it on wasm)', () => {
    const a = tf.zeros([4, 6]);
    expect(bufferHolders(a)).toBe(1);
    const r = tf.reshape(a, [24]);
    const c = tf.clone(a);
    expect(bufferHolders(a)).toBe(2);
    expect(bufferHolders(c)).toBe(1);
    r.dispose();
    expect(bufferHolders(a)).toBe(1);
    tf.dispose([a, c]);
  });

  it('assignInPlace writes the variable\'s own buffer, and assigns when the buffer is shared', () => {
    const init = tf.zeros([8, 8]);
    const v = tf.variable(init);
    init.dispose(); // until then the variable shares its initial value's buffer
    const home = offsetOf(v);
    const next = tf.fill([8, 8], 3);
    assignInPlace(v, next);
    expect(offsetOf(v)).toBe(home);
    expect(v.dataSync()[10]).toBe(3);
    const alias = tf.reshape(v, [64]);
    const other = tf.fill([8, 8], 5);
    assignInPlace(v, other);
    expect(alias.dataSync()[10]).toBe(3); // the shared buffer kept its values
    expect(v.dataSync()[10]).toBe(5);
    expect(() => assignInPlace(v, tf.zeros([4]))).toThrow(/new value float32 \[4\]/);
    tf.dispose([v, next, alias, other]);
  });

  it('overwrite refuses a shared target, a size mismatch and a non-float32 tensor', () => {
    const t = tf.zeros([6]);
    const alias = tf.reshape(t, [2, 3]);
    expect(overwrite(t, tf.ones([6]))).toBe(false);
    alias.dispose();
    expect(overwrite(t, tf.ones([5]))).toBe(false);
    expect(overwrite(t, tf.ones([6], 'int32'))).toBe(false);
    expect(overwrite(t, tf.ones([6]))).toBe(true);
    expect(Array.from(t.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    t.dispose();
  });
});

describe('reserveTensorTable', () => {
  it('registers and frees its placeholder tensors, and checks its argument', () => {
    const before = tf.memory().numTensors;
    reserveTensorTable(70000);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => reserveTensorTable(-1)).toThrow(/non-negative integer, got -1/);
  });
});

describe('RecycledGradient', () => {
  it('hands out one zeroed buffer step after step once the caller has let go of it', () => {
    const init = tf.ones([16, 8]);
    const w = tf.variable(init);
    init.dispose();
    const r = new RecycledGradient(w);
    const base = tf.memory();
    const g1 = r.take();
    expect(tf.memory().numBytes - base.numBytes).toBe(16 * 8 * 4); // counted once, though the recycler holds it too
    expect(bufferHolders(g1)).toBe(2);
    hostView(g1).fill(2);
    const at = offsetOf(g1);
    g1.dispose(); // the step is over
    const g2 = r.take();
    expect(offsetOf(g2)).toBe(at);
    expect(Array.from(g2.dataSync()).every((x) => x === 0)).toBe(true);
    // a caller (or an optimizer) that still holds the buffer: the next batch gets a new one
    const g3 = r.take();
    expect(offsetOf(g3)).not.toBe(offsetOf(g2));
    expect(g2.isDisposed).toBe(false);
    tf.dispose([g2, g3]);
    r.dispose();
    expect(tf.memory().numBytes).toBe(base.numBytes); // nothing left behind
    expect(tf.memory().numDataBuffers).toBe(base.numDataBuffers);
    w.dispose();
  });

  it('refuses a weight that is not float32', () => {
    expect(() => new RecycledGradient(tf.variable(tf.zeros([2], 'int32')))).toThrow(/int32, expected float32/);
  });
});

describe('the checkpointed engine', () => {
  it('accumulates the (tied) embedding gradient in the same buffer batch after batch, with the same values', async () => {
    const cfg = tinyConfig({ tie_word_embeddings: true });
    const model = Qwen2ForCausalLM.init(cfg, 4);
    const ids = Array.from({ length: 10 }, (_, i) => (i * 13) % 97);
    const batch: Batch = { inputIds: Int32Array.from(ids), labels: Int32Array.from(ids), batch: 1, seqLen: 10, labelledTokens: 9 };
    const engine = checkpointedGradientEngine(model, model.trainableParams(), { vocabChunk: 30 });
    const name = 'model.embed_tokens.weight';
    const first = await engine.compute(batch);
    const at = offsetOf(first.grads[name]);
    const values = first.grads[name].dataSync().slice();
    for (const g of Object.values(first.grads)) g.dispose();
    const second = await engine.compute(batch);
    expect(offsetOf(second.grads[name])).toBe(at);
    expect(Array.from(second.grads[name].dataSync())).toEqual(Array.from(values)); // zeroed before reuse
    for (const g of Object.values(second.grads)) g.dispose();
    engine.dispose(); model.dispose();
  });
});

describe('training keeps long-lived buffers in place (wasm)', () => {
  const cfg = tinyConfig({ vocab_size: 97, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, tie_word_embeddings: true });
  const rng = seededRandom(5);
  const examples = Array.from({ length: 6 }, () => {
    const ids = Array.from({ length: 12 }, () => rng.int(97));
    return { inputIds: ids, labels: ids };
  });
  const makers: [string, () => Optimizer][] = [
    ['GaLore 8-bit (+embedding)', () => galoreAdamW({ rank: 8, stateBits: 8, target: ['all', 'embed_tokens'], onWarning: () => undefined })],
    ['GaLore float32, block update', () => galoreAdamW({ rank: 8, target: ['all', 'embed_tokens'], blockUpdateMinSize: 1, onWarning: () => undefined })],
    ['AdamW', () => adamW()],
    ['8-bit AdamW', () => adamW8bit({ min8bitSize: 256 })],
  ];
  for (const [label, make] of makers) {
    it(`${label}: weights never move, and prepare() changes no number`, async () => {
      const run = async (prepare: boolean, layerwise: boolean) => {
        const model = Qwen2ForCausalLM.init(cfg, 3);
        const opt = make();
        if (!prepare) (opt as { prepare?: unknown }).prepare = undefined;
        const weights = model.trainableParams().map((p) => p.variable);
        const homes = weights.map((v) => v.dataId);
        const res = await trainModel(model, opt, examples, {
          steps: 3, batchSize: 2, seqLen: 12, lr: 1e-2, layerwise, activationCheckpointing: true, lossChunkSize: 40, progress: false,
        }, 0);
        const moved = weights.filter((v, i) => v.dataId !== homes[i]).map((v) => v.name);
        const out = weights.map((v) => Array.from(v.dataSync()));
        opt.dispose(); model.dispose();
        return { losses: res.log.map((r) => r.loss), moved, out };
      };
      const a = await run(true, label.startsWith('GaLore 8'));
      const b = await run(false, label.startsWith('GaLore 8'));
      expect(a.moved).toEqual([]);
      expect(a.losses).toEqual(b.losses);
      expect(a.out).toEqual(b.out);
    });
  }
});
