/**
 * The ledger's step phases (issue 11): optimizer temporaries measured on the
 * wasm backend, GaLore on the embedding, and the checkpointed step's peak
 * against the live buffers of a real checkpointed, chunked, layer-wise step.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { trackBackendBuffers } from '../../kernel-lib/src/memory/buffer-tracker';
import { memoryLedger } from '../../kernel-lib/src/memory/memory-ledger';
import { QWEN2_0_5B_INSTRUCT } from '../../kernel-lib/src/memory/reference-configs';
import { galoreRefreshWorkspaceBytes, optimizerStepWorkspaceBytes } from '../../kernel-lib/src/memory/step-phases';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { adamW8bit } from '../../kernel-lib/src/optim/adamw-8bit';
import { galoreAdamW } from '../../kernel-lib/src/optim/galore-adamw';
import type { Optimizer } from '../../kernel-lib/src/optim/optimizer';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

describe('optimizer step temporaries', () => {
  const shape = [2048, 64];
  const cases: [string, () => Optimizer, { stateKind: string; moments?: number[] }][] = [
    ['AdamW', () => adamW(), { stateKind: 'adamw' }],
    ['8-bit AdamW', () => adamW8bit(), { stateKind: 'adamw8bit' }],
    ['GaLore r=16, 8-bit', () => galoreAdamW({ rank: 16, stateBits: 8, target: ['embed_tokens'], onWarning: () => undefined }), { stateKind: 'galore8bit', moments: [2048, 16] }],
    ['GaLore r=16', () => galoreAdamW({ rank: 16, target: ['embed_tokens'], onWarning: () => undefined }), { stateKind: 'galore', moments: [2048, 16] }],
  ];
  for (const [label, make, kind] of cases) {
    it(`${label}: the ledger's figure is what a step allocates (after the first)`, () => {
      const v = tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 1));
      const p = { name: 'model.embed_tokens.weight', variable: v };
      const opt = make();
      let peak = 0;
      for (let s = 0; s < 3; s++) {
        const g = tf.randomNormal(shape, 0, 1, 'float32', 2 + s);
        const t = trackBackendBuffers();
        opt.stepParam(p, g, 1e-3);
        if (s > 0) peak = Math.max(peak, t.peakBytes());
        t.stop(); g.dispose();
      }
      const predicted = optimizerStepWorkspaceBytes({ shape, ...kind });
      expect(Math.abs(peak - predicted) / predicted).toBeLessThan(0.02);
      opt.dispose(); v.dispose();
    });
  }
});

it('the first GaLore step on a tall gradient (subspace refresh, then the update) allocates what the ledger says (within 5%)', () => {
  const shape = [16384, 896];
  const init = tf.randomNormal(shape, 0, 0.02, 'float32', 1);
  const v = tf.variable(init); init.dispose();
  const opt = galoreAdamW({ rank: 128, stateBits: 8, target: ['embed_tokens'], onWarning: () => undefined });
  const g = tf.randomNormal(shape, 0, 1e-3, 'float32', 3);
  const t = trackBackendBuffers({ countEarlierFrees: true });
  opt.stepParam({ name: 'model.embed_tokens.weight', variable: v }, g, 1e-5); // the first step refreshes the subspace
  const measured = t.peakBytes();
  t.stop();
  const row = { shape, stateKind: 'galore8bit', moments: [16384, 128] };
  const predicted = Math.max(galoreRefreshWorkspaceBytes(row, 128), optimizerStepWorkspaceBytes(row));
  expect(Math.abs(measured - predicted) / predicted).toBeLessThan(0.05);
  g.dispose(); opt.dispose(); v.dispose();
});

describe('GaLore on the embedding (Qwen2-0.5B, 8-bit, layer-wise, checkpointed, chunked loss)', () => {
  const o = { rank: 128, optim: 'adamw8bit' as const, layerwise: true, batchSize: 1, seqLen: 256, checkpointing: true, lossChunk: 16384 };
  it('projects the tied embedding: its state shrinks from 8-bit moments of 136M values to [V, r] moments and a basis', () => {
    const plain = memoryLedger(QWEN2_0_5B_INSTRUCT, 'galore', o);
    const emb = memoryLedger(QWEN2_0_5B_INSTRUCT, 'galore', { ...o, galoreEmbedding: true });
    const row = emb.params.find((r) => r.name === 'model.embed_tokens.weight')!;
    expect(row).toMatchObject({ stateKind: 'galore8bit', projectors: [[128, 896]], moments: [151936, 128] });
    expect(plain.params.find((r) => r.name === 'model.embed_tokens.weight')!.stateKind).toBe('adamw8bit');
    expect(emb.optimizerStates).toBeLessThan(plain.optimizerStates - 200 * 2 ** 20);
    // 8-bit moments live in JS memory; on the backend the embedding's step shrinks from 3 p to 2 p + q temporaries
    expect(plain.optimizerBreakdown.hostResident).toBeGreaterThan(250 * 2 ** 20);
    expect(plain.total - emb.total).toBeGreaterThan(400 * 2 ** 20);
    expect(emb.total).toBeLessThan(4 * 2 ** 30);
    expect(emb.label).toBe('GaLore r=128 (+embedding), 8-bit AdamW, layer-wise, checkpointed, loss chunk 16384');
  });

  it('checkpointing and the chunked loss cut the backward phase by far more than the layer inputs they keep', () => {
    const plain = memoryLedger(QWEN2_0_5B_INSTRUCT, 'galore', { ...o, checkpointing: false, lossChunk: undefined, galoreEmbedding: true });
    const ckpt = memoryLedger(QWEN2_0_5B_INSTRUCT, 'galore', { ...o, galoreEmbedding: true });
    expect(ckpt.phases.forwardBackward).toBeLessThan(plain.phases.forwardBackward - 4 * 2 ** 30);
    expect(ckpt.activations.total).toBeLessThan(plain.activations.total / 10);
  });
});

describe('a checkpointed step on a small model, measured', () => {
  for (const [label, cfgOver, method, opts, make] of [
    ['GaLore (+embedding), 8-bit, layer-wise, tied', { tie_word_embeddings: true, vocab_size: 2000 }, 'galore', { optim: 'adamw8bit', layerwise: true, galoreEmbedding: true, rank: 8 },
      () => galoreAdamW({ rank: 8, stateBits: 8, min8bitSize: 4096, target: ['all', 'embed_tokens', 'lm_head'], onWarning: () => undefined })],
    ['full 8-bit AdamW, untied', { tie_word_embeddings: false, vocab_size: 2000 }, 'full', { optim: 'adamw8bit' }, () => adamW8bit()],
  ] as const) {
    // a model this small magnifies the ledger's per-phase upper bounds (all layer gradients at the top
    // layer, the first step's subspace refresh); the 0.5B run (`npm run bench`) checks 5%
    it(`${label}: the ledger's peak is within 15% of the live buffers' peak`, async () => {
      const cfg = tinyConfig({ ...cfgOver, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 2 });
      const m = Qwen2ForCausalLM.init(cfg, 3);
      const rng = seededRandom(4);
      const data = Array.from({ length: 4 }, () => { const ids = Array.from({ length: 48 }, () => rng.int(2000)); return { inputIds: ids, labels: ids.slice() }; });
      const opt = make();
      const before = m.weightBytes();
      const tracker = trackBackendBuffers({ countEarlierFrees: true }); // the steps replace the weights
      await trainModel(m, opt, data, { steps: 2, batchSize: 2, seqLen: 48, lr: 1e-3, maxGradNorm: 0, progress: false, activationCheckpointing: true, lossChunkSize: 256, layerwise: (opts as { layerwise?: boolean }).layerwise });
      const measured = before + tracker.peakBytes();
      tracker.stop();
      const ledger = memoryLedger(cfg, method, { ...opts, batchSize: 2, seqLen: 48, checkpointing: true, lossChunk: 256 } as never);
      const gap = (measured - ledger.total) / ledger.total;
      if (Math.abs(gap) >= 0.15) throw new Error(`measured ${measured} vs ledger ${ledger.total} (${(100 * gap).toFixed(1)}%)`);
      opt.dispose(); m.dispose();
    });
  }
});
