import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { SftExample, readSftJsonl } from '../../kernel-lib/src/data/sft-examples';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

function randomExamples(n: number, len: number, seed: number, vocab: number): SftExample[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: len }, () => rng.int(vocab));
    return { inputIds: ids, labels: ids.slice() };
  });
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'galore-train-'));

describe('trainer', () => {
  it('lowers the loss on a small memorisation task and frees its tensors', async () => {
    const cfg = tinyConfig();
    const model = Qwen2ForCausalLM.init(cfg, 1);
    const data = randomExamples(4, 12, 2, cfg.vocab_size);
    tf.dispose(model.forward(Int32Array.from([1, 2]), 1, 2)); // creates the cached rotate-half constant
    const before = tf.memory().numTensors;
    const opt = adamW();
    const res = await trainModel(model, opt, data, { steps: 30, batchSize: 4, seqLen: 12, lr: 3e-3, scheduler: 'constant', progress: false });
    expect(res.log[29].loss).toBeLessThan(res.log[0].loss * 0.6);
    // only optimizer state remains: two moments per parameter
    expect(tf.memory().numTensors - before).toBe(2 * model.trainableParams().length);
    opt.dispose(); model.dispose();
  });

  it('resumes from a checkpoint and reproduces the uninterrupted run exactly', async () => {
    const cfg = tinyConfig();
    const data = randomExamples(10, 10, 3, cfg.vocab_size);
    const opts = { steps: 6, batchSize: 3, seqLen: 10, lr: 2e-3, scheduler: 'cosine' as const, warmupSteps: 2, seed: 9, progress: false, maxGradNorm: 0.5 };
    const m1 = Qwen2ForCausalLM.init(cfg, 5);
    const full = await trainModel(m1, adamW({ weightDecay: 0.01 }), data, opts);
    const out = tmp();
    const m2 = Qwen2ForCausalLM.init(cfg, 5);
    await trainModel(m2, adamW({ weightDecay: 0.01 }), data, { ...opts, outDir: out, saveEvery: 2, onStep: (r) => (r.step === 4 ? 'stop' : undefined) });
    expect(fs.existsSync(path.join(out, 'checkpoint-4', 'optimizer.safetensors'))).toBe(true);
    const m3 = Qwen2ForCausalLM.init(cfg, 77); // different weights: the checkpoint must overwrite them
    const log = path.join(out, 'log.jsonl');
    const resumed = await trainModel(m3, adamW({ weightDecay: 0.01 }), data, { ...opts, resumeFrom: out, logFile: log });
    expect(resumed.log.map((r) => r.loss)).toEqual(full.log.map((r) => r.loss));
    expect(Array.from(m3.weights.get('model.norm.weight')!.dataSync())).toEqual(Array.from(m1.weights.get('model.norm.weight')!.dataSync()));
    expect(fs.readFileSync(log, 'utf8').trim().split('\n').length).toBe(6);
    for (const m of [m1, m2, m3]) m.dispose();
  });

  it('gradient accumulation of 2 x batch 2 equals one batch of 4 (equal-length, fully labelled rows)', async () => {
    const cfg = tinyConfig();
    const data = randomExamples(4, 8, 4, cfg.vocab_size);
    const a = Qwen2ForCausalLM.init(cfg, 6);
    const b = Qwen2ForCausalLM.init(cfg, 6);
    const base = { steps: 1, seqLen: 8, lr: 1e-2, scheduler: 'constant' as const, shuffle: false, progress: false };
    const ra = await trainModel(a, adamW(), data, { ...base, batchSize: 4 });
    const rb = await trainModel(b, adamW(), data, { ...base, batchSize: 2, gradAccumSteps: 2 });
    expect(rb.log[0].loss).toBeCloseTo(ra.log[0].loss, 5);
    expect(rb.log[0].grad_norm).toBeCloseTo(ra.log[0].grad_norm, 4);
    const wa = a.weights.get('model.layers.0.mlp.up_proj.weight')!.dataSync();
    const wb = b.weights.get('model.layers.0.mlp.up_proj.weight')!.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    a.dispose(); b.dispose();
  });
});

describe('SFT JSONL', () => {
  it('reads pre-tokenized lines and names the file and line of a bad one', () => {
    const dir = tmp();
    const f = path.join(dir, 'd.jsonl');
    fs.writeFileSync(f, '{"input_ids":[1,2,3]}\n\n{"input_ids":[4,5],"labels":[-100,5]}\n');
    const ex = readSftJsonl(f, null);
    expect(ex).toHaveLength(2);
    expect(ex[1].labels).toEqual([-100, 5]);
    fs.writeFileSync(f, '{"input_ids":[1,2,3]}\n{"input_ids":[1,2], "labels":[1]}\n');
    expect(() => readSftJsonl(f, null)).toThrow(`${f}:2: "labels" must be an array of 2 integers`);
    fs.writeFileSync(f, '{"input_ids":[1]}\n{oops\n');
    expect(() => readSftJsonl(f, null)).toThrow(`${f}:2: not valid JSON`);
    fs.writeFileSync(f, '{"question":"q","answer":"a"}\n');
    expect(() => readSftJsonl(f, null)).toThrow(/needs a tokenizer/);
    fs.writeFileSync(f, '{"input_ids":[1,200]}\n');
    expect(() => readSftJsonl(f, null, { vocabSize: 97 })).toThrow(/token id 200 is outside/);
  });
});
