/**
 * The ledger's formulas against what the wasm backend really holds, on tiny
 * configs: weights and gradients (tf.memory().numBytes), optimizer states
 * (the tensors / typed arrays the real optimizers allocate), saved
 * activations and the forward+backward peak (live backend buffers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { activationBytes } from '../../kernel-lib/src/memory/activation-bytes';
import { backwardWorkspaceBytes } from '../../kernel-lib/src/memory/backward-workspace';
import { trackBackendBuffers } from '../../kernel-lib/src/memory/buffer-tracker';
import { memoryLedger } from '../../kernel-lib/src/memory/memory-ledger';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import type { Qwen2Config } from '../../kernel-lib/src/model/config';
import { AdamW } from '../../kernel-lib/src/optim/adamw';
import type { Optimizer } from '../../kernel-lib/src/optim/optimizer';
import { setWeightGradientSink } from '../../kernel-lib/src/model/primitives';
import { layerwiseParams } from '../../kernel-lib/src/train/trainer';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

/** The stated tolerance: the ledger must agree with the backend to within 1%. */
const within1pct = (measured: number, ledger: number) => {
  expect(Math.abs(measured - ledger)).toBeLessThanOrEqual(0.01 * ledger);
};

const OPTIM_DIR = path.join(__dirname, '../../kernel-lib/src/optim');

function tokenIds(cfg: Qwen2Config, n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % cfg.vocab_size);
}

/** Gradients by weight name for one batch. */
function gradients(model: Qwen2ForCausalLM, batch: number, seqLen: number): Record<string, tf.Tensor> {
  const params = model.trainableParams();
  const byVar = new Map(params.map((p) => [p.variable.name, p.name]));
  const ids = tokenIds(model.config, batch * seqLen);
  const { value, grads } = tf.variableGrads(() => model.loss(ids, ids, batch, seqLen), params.map((p) => p.variable));
  value.dispose();
  const out: Record<string, tf.Tensor> = {};
  for (const [v, g] of Object.entries(grads)) out[byVar.get(v)!] = g;
  return out;
}

/** Bytes the backend gains while `opt` takes its first step (its freshly allocated state). */
function stepAndMeasure(model: Qwen2ForCausalLM, opt: Optimizer): number {
  const grads = gradients(model, 1, 8);
  const before = tf.memory().numBytes;
  opt.step(model.trainableParams(), grads, 1e-3);
  const after = tf.memory().numBytes;
  for (const g of Object.values(grads)) g.dispose();
  return after - before;
}

describe('weights, gradients and AdamW states vs tf.memory()', () => {
  for (const [label, cfg] of [['untied', tinyConfig()], ['tied embeddings', tinyConfig({ tie_word_embeddings: true })]] as const) {
    it(`full AdamW, ${label}`, () => {
      const ledger = memoryLedger(cfg, 'full');
      // weights: live buffers (tf.memory().numBytes counts 2x here: the model keeps the handle of the
      // tensor each variable was made from, which shares the variable's buffer)
      const tracker = trackBackendBuffers();
      const model = Qwen2ForCausalLM.init(cfg, 1);
      tracker.stop();
      within1pct(tracker.liveBytes(), ledger.weights);
      within1pct(model.weightBytes(), ledger.weights);

      const grads = gradients(model, 1, 8);
      within1pct(Object.values(grads).reduce((s, g) => s + g.size * 4, 0), ledger.gradients);
      for (const g of Object.values(grads)) g.dispose();

      const opt = new AdamW({ weightDecay: 0.01 });
      const stateBytes = stepAndMeasure(model, opt);
      within1pct(stateBytes, ledger.optimizerStates);
      expect(opt.stateBytes()).toBe(ledger.optimizerStates);
      // per parameter: the moments the optimizer holds for each weight
      const snap = opt.snapshot();
      for (const row of ledger.params) {
        const m = snap.tensors.get(`${row.name}.exp_avg`)!;
        const v = snap.tensors.get(`${row.name}.exp_avg_sq`)!;
        expect((m.data.length + v.data.length) * 4).toBe(row.stateBytes);
      }
      opt.dispose();
      model.dispose();
    });
  }
});

describe('8-bit AdamW states vs the optimizer', () => {
  const has8bit = fs.existsSync(path.join(OPTIM_DIR, 'adamw-8bit.ts'));
  it.skipIf(!has8bit)('codes + absmax (JS arrays) and float32 moments of small tensors (tensors)', async () => {
    const { AdamW8bit } = await import('../../kernel-lib/src/optim/adamw-8bit');
    // hidden 64 / intermediate 128 / vocab 200: embedding, lm_head, q, o, gate, up, down have >= 4096
    // values (8-bit); k, v [32, 64] = 2048, norms and biases keep float32 moments
    const cfg = tinyConfig({ hidden_size: 64, intermediate_size: 128, vocab_size: 200 });
    const ledger = memoryLedger(cfg, 'full', { optim: 'adamw8bit' });
    const model = Qwen2ForCausalLM.init(cfg, 2);
    const opt = new AdamW8bit({ blockSize: 256 });
    const tensorBytes = stepAndMeasure(model, opt);
    // what lives in tensors is exactly the float32 part; the rest is in typed arrays
    const float32Part = ledger.params.filter((r) => r.shape.reduce((a, b) => a * b, 1) < 4096).reduce((s, r) => s + r.stateBytes, 0);
    within1pct(tensorBytes, float32Part);
    within1pct(opt.stateBytes(), ledger.optimizerStates);
    expect(opt.stateBytes()).toBe(ledger.optimizerStates);
    opt.dispose();
    model.dispose();
  });
});

describe('GaLore-AdamW states vs the optimizer', () => {
  const hasGalore = fs.existsSync(path.join(OPTIM_DIR, 'galore-adamw.ts'));
  // hidden 64 / intermediate 128 / vocab 200; rank 8: q, o [64, 64] -> P [8, 64], R [64, 8]; k, v [32, 64] -> P [32, 8], R [8, 64] ...
  const cfg = tinyConfig({ hidden_size: 64, intermediate_size: 128, vocab_size: 200 });
  for (const bits of [32, 8] as const) {
    it.skipIf(!hasGalore)(`projection matrices + low-rank moments, ${bits}-bit states${hasGalore ? '' : ' (skipped: optim/galore-adamw.ts not written yet)'}`, async () => {
      const mod = (await import('../../kernel-lib/src/optim/galore-adamw')) as unknown as Record<string, (o: object) => Optimizer>;
      // 8-bit from 256 values so that low-rank moments ([128, 8] = 1024 values) are quantised too
      const layout = { blockSize: 256, minSize: bits === 8 ? 256 : 4096 };
      const opt = mod.galoreAdamW({ rank: 8, update_proj_gap: 200, svd: 'exact', stateBits: bits, blockSize: 256, min8bitSize: layout.minSize });
      const ledger = memoryLedger(cfg, 'galore', { rank: 8, optim: bits === 8 ? 'adamw8bit' : 'adamw', eightBitLayout: layout });
      const model = Qwen2ForCausalLM.init(cfg, 4);
      const tensorBytes = stepAndMeasure(model, opt);
      within1pct(opt.stateBytes(), ledger.optimizerStates);
      expect(opt.stateBytes()).toBe(ledger.optimizerStates);
      if (bits === 32) within1pct(tensorBytes, ledger.optimizerStates); // everything lives in tensors
      else within1pct(tensorBytes, ledger.optimizerBreakdown.projectors
        + ledger.params.filter((r) => r.stateKind !== 'galore8bit' && r.shape.reduce((a, b) => a * b, 1) < layout.minSize).reduce((s, r) => s + r.stateBytes, 0));
      opt.dispose();
      model.dispose();
    });
  }
});

describe('LoRA vs the real adapters (peft/)', () => {
  const cases: [string, Qwen2Config, string[], number, number][] = [
    ['all linear modules, r 4, batch 2 x 16', tinyConfig(), ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], 2, 16],
    ['q_proj and v_proj (PEFT default), r 4, batch 1 x 8', tinyConfig(), ['q_proj', 'v_proj'], 1, 8],
    ['o_proj and up_proj, tied, r 4, batch 2 x 12', tinyConfig({ tie_word_embeddings: true }), ['o_proj', 'up_proj'], 2, 12],
  ];
  for (const [label, cfg, targets, B, T] of cases) {
    it(label, async () => {
      const { loraAdapter } = await import('../../kernel-lib/src/peft/lora-adapter');
      const ledger = memoryLedger(cfg, 'lora', { loraR: 4, loraTargets: targets, batchSize: B, seqLen: T });
      const tracker = trackBackendBuffers();
      const model = Qwen2ForCausalLM.init(cfg, 5);
      const adapter = loraAdapter(model, { r: 4, lora_alpha: 8, target_modules: targets, init_lora_weights: false });
      const params = adapter.trainableParams();
      within1pct(tracker.liveBytes(), ledger.weights);
      expect(params.map((p) => p.name).sort()).toEqual(ledger.params.filter((r) => r.trainable).map((r) => r.name).sort());

      const ids = tokenIds(cfg, B * T);
      let atBackwardStart = -1;
      const probe = tf.customGrad(((x: tf.Tensor, _save: tf.GradSaveFunc) => ({
        value: tf.clone(x),
        gradFunc: (dy: tf.Tensor) => { atBackwardStart = tracker.liveBytes(); return dy; },
      })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
      const before = tracker.liveBytes();
      tracker.resetPeak();
      const { value, grads } = tf.variableGrads(() => probe(model.loss(ids, ids, B, T)) as tf.Scalar, params.map((p) => p.variable));
      const peak = tracker.peakBytes() - before;
      tracker.stop();
      value.dispose();
      const gradBytes = Object.values(grads).reduce((s, g) => s + g.size * 4, 0);
      expect(gradBytes).toBe(ledger.gradients);
      within1pct(atBackwardStart - before, ledger.activations.total);
      within1pct(peak, ledger.activations.total + ledger.gradients + ledger.backwardWorkspace);
      // to the byte, up to the loss scalars (the loss, its probe copy, the seed gradient)
      expect(peak - (ledger.activations.total + ledger.gradients + ledger.backwardWorkspace)).toBeLessThanOrEqual(12);

      const byVar = new Map(params.map((p) => [p.variable.name, p.name]));
      const named: Record<string, tf.Tensor> = {};
      for (const [v, g] of Object.entries(grads)) named[byVar.get(v)!] = g;
      const opt = new AdamW();
      const m0 = tf.memory().numBytes;
      opt.step(params, named, 1e-3);
      within1pct(tf.memory().numBytes - m0, ledger.optimizerStates);
      for (const g of Object.values(grads)) g.dispose();
      opt.dispose();
      adapter.unload();
      model.dispose();
    });
  }
});

describe('activations: saved tensors and the forward+backward peak vs live wasm buffers', () => {
  const cases: [string, Qwen2Config, number, number][] = [
    ['tiny, batch 1 x 8', tinyConfig(), 1, 8],
    ['tiny, batch 2 x 16', tinyConfig(), 2, 16],
    ['tiny tied, 3 layers, batch 2 x 12', tinyConfig({ tie_word_embeddings: true, num_hidden_layers: 3 }), 2, 12],
  ];
  for (const [label, cfg, B, T] of cases) {
    it(label, () => {
      const model = Qwen2ForCausalLM.init(cfg, 3);
      const ids = tokenIds(cfg, B * T);
      tf.tidy(() => { model.loss(ids, ids, B, T); }); // warm-up: cached constants (rotate-half matrix) exist before tracking
      let atBackwardStart = -1;
      // identity on the loss whose gradient runs first in the backward pass: it samples the live buffers there
      const probe = tf.customGrad(((x: tf.Tensor, _save: tf.GradSaveFunc) => ({
        value: tf.clone(x),
        gradFunc: (dy: tf.Tensor) => { atBackwardStart = tracker.liveBytes(); return dy; },
      })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
      const tracker = trackBackendBuffers();
      const { value, grads } = tf.variableGrads(() => probe(model.loss(ids, ids, B, T)) as tf.Scalar);
      const peak = tracker.peakBytes();
      tracker.stop();
      value.dispose();
      const gradBytes = Object.values(grads).reduce((s, g) => s + g.size * 4, 0);
      for (const g of Object.values(grads)) g.dispose();
      model.dispose();

      const saved = activationBytes(cfg, { batchSize: B, seqLen: T }).total;
      within1pct(atBackwardStart, saved);
      // the loss, its probe copy and the seed gradient: three scalars
      expect(atBackwardStart - saved).toBeLessThanOrEqual(12);
      const predictedPeak = saved + gradBytes + backwardWorkspaceBytes(cfg, { batchSize: B, seqLen: T });
      within1pct(peak, predictedPeak);
      // to the byte, up to the same loss scalars
      expect(peak - predictedPeak).toBeGreaterThanOrEqual(0);
      expect(peak - predictedPeak).toBeLessThanOrEqual(12);
    });
  }
});

describe('layer-wise updates: the forward+backward peak vs live wasm buffers', () => {
  /**
   * One training step's forward+backward as the trainer's layer-wise mode runs
   * it (layerwiseParams, a gradient sink per stepped weight, the rest on the
   * tape), after a warm-up step so that the optimizer's moments exist. The
   * sink steps AdamW and frees the gradient, as the ledger assumes (the sink
   * of train/trainer.ts must free it too). Returns the peak live bytes
   * beyond what existed before (weights and moments replaced during the step
   * count as freed) and the bytes of the tape's gradients.
   */
  function stepPeak(cfg: Qwen2Config, B: number, T: number, layerwise: boolean): { peak: number; tapeGradBytes: number } {
    const model = Qwen2ForCausalLM.init(cfg, 6);
    const opt = new AdamW();
    const params = model.trainableParams();
    const sunk = layerwise ? layerwiseParams(model, params) : [];
    const tape = params.filter((p) => !sunk.includes(p));
    const ids = tokenIds(cfg, B * T);
    const step = (tracker?: ReturnType<typeof trackBackendBuffers>) => {
      for (const p of sunk) setWeightGradientSink(p.variable, (g) => { opt.stepParam(p, g, 1e-3); g.dispose(); });
      try {
        tracker?.resetPeak();
        const { value, grads } = tf.variableGrads(() => model.loss(ids, ids, B, T), tape.map((p) => p.variable));
        const peak = tracker?.peakBytes() ?? 0;
        value.dispose();
        const byVar = new Map(tape.map((p) => [p.variable.name, p.name]));
        const named: Record<string, tf.Tensor> = {};
        for (const [v, g] of Object.entries(grads)) named[byVar.get(v)!] = g;
        const tapeGradBytes = Object.values(named).reduce((s, g) => s + g.size * 4, 0);
        opt.step(tape, named, 1e-3);
        for (const g of Object.values(named)) g.dispose();
        return { peak, tapeGradBytes };
      } finally {
        for (const p of sunk) setWeightGradientSink(p.variable, null);
      }
    };
    step();
    const tracker = trackBackendBuffers({ countEarlierFrees: true });
    const out = step(tracker);
    tracker.stop();
    opt.dispose();
    model.dispose();
    return out;
  }

  const cases: [string, Qwen2Config, number, number][] = [
    ['tiny, batch 4 x 16', tinyConfig(), 4, 16],
    ['tiny tied, 3 layers, batch 4 x 16', tinyConfig({ tie_word_embeddings: true, num_hidden_layers: 3 }), 4, 16],
  ];
  for (const [label, cfg, B, T] of cases) {
    it(`${label}: the ledger's layer-wise peak`, () => {
      const ledger = memoryLedger(cfg, 'full', { layerwise: true, batchSize: B, seqLen: T });
      const { peak, tapeGradBytes } = stepPeak(cfg, B, T, true);
      const stepped = ledger.params.filter((r) => /_proj\.weight$|^lm_head\.weight$/.test(r.name));
      expect(tapeGradBytes).toBe(ledger.gradients - Math.max(...stepped.map((r) => r.gradientBytes)));
      within1pct(peak, ledger.activations.total + ledger.gradients + ledger.backwardWorkspace);
    });

    it(`${label}: layer-wise lowers the peak by about the linear weights' gradients`, () => {
      const full = stepPeak(cfg, B, T, false);
      const lw = stepPeak(cfg, B, T, true);
      const plain = memoryLedger(cfg, 'full', { batchSize: B, seqLen: T });
      const layerwise = memoryLedger(cfg, 'full', { layerwise: true, batchSize: B, seqLen: T });
      const stepped = plain.params.filter((r) => /_proj\.weight$|^lm_head\.weight$/.test(r.name)).map((r) => r.gradientBytes);
      const linear = stepped.reduce((a, b) => a + b, 0);
      expect(lw.peak).toBeLessThan(full.peak);
      // the peak falls by the linear weights' gradients (less a placeholder float each) ...
      within1pct(full.peak - lw.peak, linear);
      // ... and the ledger says so, keeping the largest of them as an upper bound
      expect(plain.total - layerwise.total).toBe(linear - Math.max(...stepped) - 4 * stepped.length);
    });
  }
});
