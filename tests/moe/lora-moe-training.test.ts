import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { collate } from '../../kernel-lib/src/data/batching';
import type { SftExample } from '../../kernel-lib/src/data/sft-examples';
import { writeSafetensors } from '../../kernel-lib/src/io/safetensors';
import { attachedLoraMoE, loraMoE } from '../../kernel-lib/src/moe/lora-moe-adapter';
import { LORA_MOE_CONFIG_FILE, LORA_MOE_WEIGHTS_FILE, loadLoraMoE, loraMoeTensorsToSave, saveLoraMoE } from '../../kernel-lib/src/moe/moe-io';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { IDS, logits, maxAbsDiff, tinyModel } from '../peft/helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lora-moe-'));
beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Sequences with a learnable pattern: each token is followed by (token * 3 + 1) mod 97. */
function patternExamples(count: number, len: number, seed = 1): SftExample[] {
  const rng = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const ids = [rng.int(97)];
    while (ids.length < len) ids.push((ids[ids.length - 1] * 3 + 1) % 97);
    return { inputIds: ids, labels: ids.slice() };
  });
}

describe('LoRA-MoE training', () => {
  it('the training view adds the auxiliary losses to the language-model loss, and training lowers the loss', async () => {
    const model = tinyModel(4);
    const moe = loraMoE(model, { num_experts: 4, top_k: 2, r: 2, lora_alpha: 8, aux_loss_coef: 0.5, contrastive_loss_coef: 0.5, queue_size: 16, contrastive_tokens: 8, seed: 2 });
    const view = moe.trainingModel();
    const examples = patternExamples(16, 12);
    const b = collate(examples.slice(0, 4), 12, 0);
    const plain = tf.tidy(() => model.loss(b.inputIds, b.labels, b.batch, b.seqLen).dataSync()[0]);
    const total = tf.tidy(() => view.loss(b.inputIds, b.labels, b.batch, b.seqLen).dataSync()[0]);
    const stats = view.routingStats()!;
    expect(stats.lmLoss).toBeCloseTo(plain, 5);
    expect(stats.loadBalanceLoss).toBeGreaterThanOrEqual(1 - 1e-6);             // >= 1, equality only for perfect balance
    expect(stats.contrastiveLoss).not.toBeNull();
    expect(total).toBeCloseTo(plain + 0.5 * stats.loadBalanceLoss! + 0.5 * stats.contrastiveLoss!, 4);
    expect(stats.modules.map((m) => m.name.split('.').pop())).toEqual(['gate_proj', 'up_proj', 'down_proj', 'gate_proj', 'up_proj', 'down_proj']); // the default targets
    // the queue received this batch's sampled representations (8 per module), bounded by 16
    for (const q of moe.queues.values()) expect(q.size).toBe(8);

    const seen: number[] = [];
    const off = view.onRoutingStats((s) => seen.push(s.lmLoss!));
    const result = await trainModel(view, adamW(), examples, { steps: 12, batchSize: 4, seqLen: 12, lr: 1e-2, scheduler: 'constant', seed: 3, progress: false });
    off();
    expect(seen).toHaveLength(12);
    expect(seen[11]).toBeLessThan(seen[0] - 0.05);
    expect(result.log[11].loss).toBeLessThan(result.log[0].loss);
    for (const q of moe.queues.values()) expect(q.size).toBe(16);                 // full, and no larger
    // the base stayed frozen
    const fresh = tinyModel(4);
    for (const [name, w] of model.weights) expect(Array.from(w.dataSync())).toEqual(Array.from(fresh.weights.get(name)!.dataSync()));
    fresh.dispose();
    moe.unload();
    model.dispose();
  });

  it('with B = 0 the language-model loss gives the router no gradient; the auxiliary losses do', () => {
    const model = tinyModel(4);
    const moe = loraMoE(model, { num_experts: 3, top_k: 1, r: 2, target_modules: ['up_proj'], aux_loss_coef: 1, contrastive_loss_coef: 1, contrastive_tokens: 12 });
    const view = moe.trainingModel();
    const b = collate(patternExamples(2, 12), 12, 0);
    const router = moe.layers[0].router;
    const withAux = tf.variableGrads(() => view.loss(b.inputIds, b.labels, b.batch, b.seqLen), [router]);
    // B = 0: the LM loss does not depend on the router yet, so the router's gradient is the auxiliary losses' alone
    const lmOnly = tf.variableGrads(() => model.loss(b.inputIds, b.labels, b.batch, b.seqLen), [router]);
    expect(Math.max(...Array.from(lmOnly.grads[router.name].dataSync()).map(Math.abs))).toBe(0);
    expect(Math.max(...Array.from(withAux.grads[router.name].dataSync()).map(Math.abs))).toBeGreaterThan(1e-6);
    moe.unload();
    model.dispose();
  });

  it('resumes from a checkpoint written through the training view exactly (contrastive loss off: no queue state)', async () => {
    const examples = patternExamples(16, 12, 5);
    const options = { num_experts: 3, top_k: 2, r: 2, target_modules: ['up_proj'], contrastive_loss_coef: 0, seed: 4 };
    const train = { batchSize: 4, seqLen: 12, lr: 1e-2, scheduler: 'constant' as const, seed: 3, progress: false };
    const straight = tinyModel(6);
    const whole = await trainModel(loraMoE(straight, options).trainingModel(), adamW(), examples, { ...train, steps: 4 });
    const first = tinyModel(6);
    const out = path.join(tmp, 'resume');
    await trainModel(loraMoE(first, options).trainingModel(), adamW(), examples, { ...train, steps: 2, saveEvery: 2, outDir: out });
    const second = tinyModel(6);
    const resumed = await trainModel(loraMoE(second, options).trainingModel(), adamW(), examples, { ...train, steps: 4, resumeFrom: out });
    expect(resumed.log.map((r) => r.loss)).toEqual(whole.log.map((r) => r.loss));
    expect(Array.from(logits(second))).toEqual(Array.from(logits(straight)));
    for (const m of [straight, first, second]) { attachedLoraMoE(m)!.unload(); m.dispose(); }
  });

  it('saves per-expert tensors and a config; loading onto a fresh model gives the same outputs', async () => {
    const model = tinyModel(5);
    const moe = loraMoE(model, { num_experts: 3, top_k: 2, r: 2, lora_alpha: 4, target_modules: ['q_proj', 'down_proj'], temperature: 0.2, queue_size: 64, seed: 9 });
    for (const l of moe.layers) { const v = tf.randomNormal(l.B.shape, 0, 0.5, 'float32', 3); l.B.assign(v); v.dispose(); }
    const expected = logits(model);
    const dir = path.join(tmp, 'saved');
    await saveLoraMoE(moe, dir, { baseModelNameOrPath: 'tiny' });
    const config = JSON.parse(fs.readFileSync(path.join(dir, LORA_MOE_CONFIG_FILE), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA_MOE', num_experts: 3, top_k: 2, r: 2, lora_alpha: 4, temperature: 0.2, queue_size: 64, seed: 9, target_modules: ['down_proj', 'q_proj'] });
    expect(config.modules).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.down_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.mlp.down_proj']);
    const names = loraMoeTensorsToSave(moe).map((t) => t.name);
    expect(names).toContain('base_model.model.model.layers.1.mlp.down_proj.experts.2.lora_B.weight');
    expect(names).toHaveLength(4 * (3 * 2 + 1));
    // expert 1's B is columns 2..3 of the stacked B
    const saved = loraMoeTensorsToSave(moe).find((t) => t.name.endsWith('layers.0.self_attn.q_proj.experts.1.lora_B.weight'))!;
    const stacked = moe.layers[0].B.arraySync() as number[][];
    expect(Array.from(saved.data)).toEqual(stacked.flatMap((row) => [row[2], row[3]]).map(Math.fround));
    moe.unload();

    const other = tinyModel(5);
    const loaded = await loadLoraMoE(other, dir);
    expect(loaded.config.temperature).toBe(0.2);
    expect(maxAbsDiff(logits(other), expected)).toBe(0);
    expect(maxAbsDiff(logits(other, IDS.slice(0, 3)), logits(model, IDS.slice(0, 3)))).toBeGreaterThan(0); // model is plain again
    loaded.unload();
    other.dispose();
    model.dispose();
  });

  it('loading reports the file and the problem: bad config field, wrong shape, missing and unexpected tensors', async () => {
    const model = tinyModel(5);
    const moe = loraMoE(model, { num_experts: 2, top_k: 1, r: 2, target_modules: ['v_proj'] });
    const dir = path.join(tmp, 'broken');
    await saveLoraMoE(moe, dir);
    const tensors = loraMoeTensorsToSave(moe);
    moe.unload();
    const configFile = path.join(dir, LORA_MOE_CONFIG_FILE);
    const weightsFile = path.join(dir, LORA_MOE_WEIGHTS_FILE);
    const good = fs.readFileSync(configFile, 'utf8');

    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(good), top_k: 3 }));
    await expect(loadLoraMoE(model, dir)).rejects.toThrow(`${configFile}: "top_k" (3) cannot exceed "num_experts" (2)`);
    fs.writeFileSync(configFile, '{"peft_type": "LORA_MOE", ');
    await expect(loadLoraMoE(model, dir)).rejects.toThrow(new RegExp(`${configFile.replace(/[.]/g, '\\.')}: not valid JSON`));
    fs.writeFileSync(configFile, good);

    await writeSafetensors(weightsFile, tensors.map((t) => (t.name.endsWith('router.weight') ? { ...t, shape: [1, 64], data: new Float32Array(64) } : t)));
    await expect(loadLoraMoE(model, dir)).rejects.toThrow(/router\.weight" has shape \[1,64\], expected \[2,32\]/);
    await writeSafetensors(weightsFile, tensors.slice(1));
    await expect(loadLoraMoE(model, dir)).rejects.toThrow(/missing tensor ".*experts\.0\.lora_A\.weight" required by/);
    await writeSafetensors(weightsFile, [...tensors, { name: 'extra.weight', shape: [1], data: new Float32Array(1) }]);
    await expect(loadLoraMoE(model, dir)).rejects.toThrow(/unexpected tensor "extra\.weight"/);
    expect(model.trainableParams().length).toBe(model.weights.size); // nothing was attached
    model.dispose();
  });
});
