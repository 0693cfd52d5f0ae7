/**
 * Issue 11: the chunked vocabulary loss and activation checkpointing give the
 * same loss and gradients as the plain computation (the whole forward pass
 * on one tape, the full logits), for full training (tied and untied
 * lm_head), LoRA and layer-wise updates; and they hold less at once.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { BatchStream } from '../../kernel-lib/src/data/batching';
import { Qwen2ForCausalLM, shiftLabels } from '../../kernel-lib/src/model/causal-lm';
import { chunkedCrossEntropy, lmHeadLossBackward, lmHeadLossForward } from '../../kernel-lib/src/model/chunked-lm-loss';
import { trackBackendBuffers } from '../../kernel-lib/src/memory/buffer-tracker';
import { crossEntropy, linear } from '../../kernel-lib/src/model/primitives';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { galoreAdamW } from '../../kernel-lib/src/optim/galore-adamw';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { checkpointedGradientEngine } from '../../kernel-lib/src/train/checkpointed-gradients';
import { localGradientEngine } from '../../kernel-lib/src/train/gradient-engine';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

const rng = seededRandom(11);
const examples = Array.from({ length: 6 }, (_, k) => {
  const ids = Array.from({ length: 10 + k }, () => rng.int(97));
  const labels = ids.map((t, i) => (i < 3 ? -100 : t)); // a prompt part the loss ignores
  return { inputIds: ids, labels };
});
const batchOf = () => new BatchStream(examples, { batchSize: 3, seqLen: 14, padId: 0, seed: 1 }).next();

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(); const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let scale = 1e-6; let d = 0;
  for (let i = 0; i < x.length; i++) { scale = Math.max(scale, Math.abs(y[i])); d = Math.max(d, Math.abs(x[i] - y[i])); }
  return d / scale;
}

describe('chunked vocabulary loss', () => {
  for (const chunk of [1, 7, 32, 97, 500]) {
    it(`equals the full cross-entropy in value and gradients (chunk ${chunk})`, () => {
      const h = tf.randomNormal([9, 16], 0, 1, 'float32', 3) as tf.Tensor2D;
      const w = tf.variable(tf.randomNormal([97, 16], 0, 0.5, 'float32', 4)) as unknown as tf.Tensor2D;
      const labels = Int32Array.from([5, -100, 96, 0, 33, -100, 7, 7, 60]);
      const plain = tf.grads((a: tf.Tensor, b: tf.Tensor) => crossEntropy(linear(a as tf.Tensor2D, b as tf.Tensor2D), labels));
      const chunked = tf.grads((a: tf.Tensor, b: tf.Tensor) => chunkedCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, labels, chunk));
      const lp = crossEntropy(linear(h, w), labels).dataSync()[0];
      const lc = chunkedCrossEntropy(h, w, labels, chunk).dataSync()[0];
      expect(Math.abs(lc - lp)).toBeLessThan(1e-5 * Math.abs(lp));
      const [dhP, dwP] = plain([h, w]);
      const [dhC, dwC] = chunked([h, w]);
      expect(maxRelDiff(dhC, dhP)).toBeLessThan(1e-5);
      expect(maxRelDiff(dwC, dwP)).toBeLessThan(1e-5);
      tf.dispose([h, w, dhP, dwP, dhC, dwC]);
    });
  }

  it('never holds the full logits: its peak is far below the plain loss\'s, and it leaves only dh', async () => {
    const n = 32; const vocab = 4096; const d = 16;
    const h = tf.randomNormal([n, d], 0, 1, 'float32', 5) as tf.Tensor2D;
    const w = tf.randomNormal([vocab, d], 0, 0.5, 'float32', 6) as tf.Tensor2D;
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 131) % vocab);
    const logitsBytes = 4 * n * vocab;
    const peak = (f: () => void): number => {
      const tracker = trackBackendBuffers();
      try { f(); return tracker.peakBytes(); } finally { tracker.stop(); }
    };
    const plain = peak(() => { tf.dispose(tf.grads((a: tf.Tensor) => crossEntropy(linear(a as tf.Tensor2D, w), labels))([h])); });
    const chunked = peak(() => {
      const fwd = lmHeadLossForward(h, w, labels, 128);
      const before = tf.memory().numTensors;
      const dh = lmHeadLossBackward(h, w, labels, fwd.lse, 1 / fwd.count, 128, new Float32Array(vocab * d));
      expect(tf.memory().numTensors).toBe(before + 1);
      dh.dispose();
    });
    // the plain loss holds the logits, the softmax and their gradient; a 128-row chunk's temporaries are ~7 x [32, 128]
    expect(plain).toBeGreaterThan(2 * logitsBytes);
    expect(chunked).toBeLessThan(logitsBytes / 4);
    tf.dispose([h, w]);
  });

  it('rejects a bad chunk size or labels outside the vocabulary', () => {
    const h = tf.zeros([2, 4]) as tf.Tensor2D; const w = tf.zeros([8, 4]) as tf.Tensor2D;
    expect(() => lmHeadLossForward(h, w, Int32Array.from([1, 2]), 0)).toThrow(/chunk must be a positive integer/);
    expect(() => lmHeadLossForward(h, w, Int32Array.from([1, 8]), 4)).toThrow(/label 8 at row 1 outside vocabulary/);
    tf.dispose([h, w]);
  });
});

async function gradsOf(engine: ReturnType<typeof localGradientEngine>) {
  const r = await engine.compute(batchOf());
  engine.dispose();
  return r;
}

function expectSameGradients(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>, tol = 2e-5) {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    const d = maxRelDiff(a[k], b[k]);
    if (d >= tol) throw new Error(`${k}: relative difference ${d}`);
  }
}

describe('activation checkpointing', () => {
  for (const tied of [true, false]) {
    for (const chunk of [undefined, 13]) {
      it(`gives the plain tape's loss and gradients (full training, tied=${tied}, vocab chunk ${chunk ?? 'none'})`, async () => {
        const m = Qwen2ForCausalLM.init(tinyConfig({ tie_word_embeddings: tied }), 5);
        const params = m.trainableParams();
        const plain = await gradsOf(localGradientEngine(m, params));
        const ckpt = await gradsOf(checkpointedGradientEngine(m, params, { vocabChunk: chunk }));
        expect(Math.abs(ckpt.loss - plain.loss)).toBeLessThan(1e-5 * plain.loss);
        expectSameGradients(ckpt.grads, plain.grads);
        tf.dispose([...Object.values(plain.grads), ...Object.values(ckpt.grads)]);
        m.dispose();
      });
    }
  }

  it('gives the same adapter gradients with LoRA (frozen base: no base gradient formed)', async () => {
    const m = Qwen2ForCausalLM.init(tinyConfig(), 6);
    const adapter = loraAdapter(m, { r: 4, lora_alpha: 8, target_modules: 'all-linear', seed: 3 });
    // a non-zero B so that every adapter weight has a gradient
    for (const p of adapter.trainableParams()) if (/lora_B/.test(p.name)) p.variable.assign(tf.randomNormal(p.variable.shape, 0, 0.05, 'float32', 9));
    const view = adapter.trainingModel();
    const params = view.trainableParams();
    const plain = await gradsOf(localGradientEngine(view, params));
    const ckpt = await gradsOf(checkpointedGradientEngine(view, params, { vocabChunk: 20 }));
    expect(ckpt.loss).toBeCloseTo(plain.loss, 5);
    expectSameGradients(ckpt.grads, plain.grads);
    expect(Object.keys(ckpt.grads).every((n) => /lora_/.test(n))).toBe(true);
    tf.dispose([...Object.values(plain.grads), ...Object.values(ckpt.grads)]);
    view.dispose();
  });

  it('holds fewer bytes at its peak than the plain tape', async () => {
    const cfg = tinyConfig({ num_hidden_layers: 4 });
    const m = Qwen2ForCausalLM.init(cfg, 7);
    const params = m.trainableParams();
    const peak = async (engine: ReturnType<typeof localGradientEngine>) => {
      const tracker = trackBackendBuffers();
      try {
        const g = await engine.compute(batchOf());
        tf.dispose(Object.values(g.grads));
        return tracker.peakBytes();
      } finally { tracker.stop(); engine.dispose(); }
    };
    const plain = await peak(localGradientEngine(m, params));
    const ckpt = await peak(checkpointedGradientEngine(m, params, { vocabChunk: 16 }));
    expect(ckpt).toBeLessThan(0.6 * plain);
    m.dispose();
  });

  for (const layerwise of [false, true]) {
    it(`trains as the plain tape does through trainModel (GaLore, layerwise=${layerwise})`, async () => {
      const cfg = tinyConfig();
      const a = Qwen2ForCausalLM.init(cfg, 8);
      const b = Qwen2ForCausalLM.init(cfg, 8);
      const opts = { steps: 3, batchSize: 3, seqLen: 14, lr: 5e-3, maxGradNorm: 0, progress: false, seed: 2, layerwise };
      const mk = () => galoreAdamW({ rank: 4, update_proj_gap: 2, target: ['all', 'embed_tokens'], onWarning: () => undefined });
      const ra = await trainModel(a, mk(), examples, opts);
      const rb = await trainModel(b, mk(), examples, { ...opts, activationCheckpointing: true, lossChunkSize: 10 });
      rb.log.forEach((r, i) => expect(r.loss).toBeCloseTo(ra.log[i].loss, 4));
      for (const [n, v] of a.weights) expect(maxRelDiff(b.weights.get(n)!, v)).toBeLessThan(1e-4);
      a.dispose(); b.dispose();
    });
  }

  it('refuses a worker gradient engine together with checkpointing', async () => {
    const m = Qwen2ForCausalLM.init(tinyConfig(), 9);
    const engine = localGradientEngine(m, m.trainableParams());
    await expect(trainModel(m, adamW(), examples, { steps: 1, batchSize: 2, seqLen: 8, lr: 1e-3, progress: false, gradientEngine: engine, activationCheckpointing: true }))
      .rejects.toThrow(/run on this thread/);
    m.dispose();
  });
});

void shiftLabels;
