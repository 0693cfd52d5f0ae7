import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import type { SftExample } from '../../kernel-lib/src/data/sft-examples';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { loraAdapter } from '../../kernel-lib/src/peft/lora-adapter';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { IDS, tinyModel, weightValues } from './helpers';

beforeAll(async () => { await initBackend('wasm'); });

function randomExamples(n: number, len: number, seed: number, vocab: number): SftExample[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: len }, () => rng.int(vocab));
    return { inputIds: ids, labels: ids.slice() };
  });
}

describe('training a LoRA adapter', () => {
  it('gradients reach only the adapter: base variables are frozen (no gradient), adapter ones get one', () => {
    const model = tinyModel(1);
    const adapter = loraAdapter(model, { r: 4, init_lora_weights: false, use_dora: true, seed: 1 });
    const view = adapter.trainingModel();
    const names = view.trainableParams().map((p) => p.name);
    expect(names).toEqual(adapter.layers.flatMap((l) => [l.names.A, l.names.B, l.names.magnitude]));
    expect(names[0]).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(model.trainableParams()).toHaveLength(0);
    const all = [...model.weights.values(), ...adapter.trainableParams().map((p) => p.variable)];
    const labels = Int32Array.from(IDS);
    const { value, grads } = tf.variableGrads(() => model.loss(IDS, labels, 1, IDS.length), all);
    for (const v of model.weights.values()) expect(grads[v.name]).toBeNull();
    for (const p of adapter.trainableParams()) {
      const g = grads[p.variable.name];
      expect(g).toBeTruthy();
      expect(tf.norm(g).dataSync()[0]).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads).filter((g): g is tf.Tensor => g !== null)]);
    adapter.unload();
    expect(model.trainableParams()).toHaveLength(model.weights.size);
    expect([...model.weights.values()].every((v) => v.trainable)).toBe(true);
    model.dispose();
  });

  it('trainModel lowers the loss, changes only the adapter, and frees its tensors', async () => {
    const model = tinyModel(2);
    const cfg = model.config;
    const data = randomExamples(4, 12, 3, cfg.vocab_size);
    const base = weightValues(model);
    const adapter = loraAdapter(model, { r: 8, lora_alpha: 16, target_modules: 'all-linear', lora_dropout: 0.05, seed: 4 });
    const view = adapter.trainingModel();
    tf.dispose(view.forward(Int32Array.from([1, 2]), 1, 2));
    const before = tf.memory().numTensors;
    const opt = adamW();
    const res = await trainModel(view, opt, data, { steps: 25, batchSize: 4, seqLen: 12, lr: 1e-2, scheduler: 'constant', progress: false });
    expect(res.log[24].loss).toBeLessThan(res.log[0].loss * 0.8);
    for (const [name, v] of model.weights) expect(Array.from(v.dataSync())).toEqual(Array.from(base.get(name)!));
    expect(tf.memory().numTensors - before).toBe(2 * adapter.trainableParams().length); // only AdamW's moments
    opt.dispose();
    view.dispose();
  });

  it('checkpoints written through the training view hold the adapter and resume exactly', async () => {
    const cfg = tinyModel(1).config;
    const data = randomExamples(6, 10, 5, cfg.vocab_size);
    const opts = { steps: 4, batchSize: 2, seqLen: 10, lr: 5e-3, scheduler: 'cosine' as const, seed: 3, progress: false };
    const lora = { r: 4, lora_alpha: 8, use_dora: true, seed: 2 };
    const full = loraAdapter(tinyModel(8), lora);
    const fullRun = await trainModel(full.trainingModel(), adamW(), data, opts);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-lora-ckpt-'));
    const first = loraAdapter(tinyModel(8), lora);
    await trainModel(first.trainingModel(), adamW(), data, { ...opts, outDir: out, saveEvery: 2, onStep: (r) => (r.step === 2 ? 'stop' : undefined) });
    const fresh = loraAdapter(tinyModel(8), { ...lora, seed: 99 }); // different A: the checkpoint must overwrite it
    const resumed = await trainModel(fresh.trainingModel(), adamW(), data, { ...opts, resumeFrom: out });
    expect(resumed.log.map((r) => r.loss)).toEqual(fullRun.log.map((r) => r.loss));
    expect(Array.from(fresh.layers[0].A.dataSync())).toEqual(Array.from(full.layers[0].A.dataSync()));
    for (const a of [full, first, fresh]) a.trainingModel().dispose();
  });
});
