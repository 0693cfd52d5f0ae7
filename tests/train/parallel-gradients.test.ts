import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import { Batch, collate } from '../../kernel-lib/src/data/batching';
import type { SftExample } from '../../kernel-lib/src/data/sft-examples';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { linear } from '../../kernel-lib/src/model/primitives';
import { adamW } from '../../kernel-lib/src/optim/adamw';
import { GradientEngine, localGradientEngine } from '../../kernel-lib/src/train/gradient-engine';
import { parallelGradientEngine, suggestedGradientWorkers } from '../../kernel-lib/src/train/parallel-gradients';
import { trainModel } from '../../kernel-lib/src/train/trainer';
import { seededRandom } from '../../kernel-lib/src/util/random';
import { tinyConfig } from '../helpers/tiny-config';

const ROOT = path.resolve(__dirname, '..', '..');

beforeAll(async () => { await initBackend('wasm'); });

/** Rows of random tokens; `labelled(row, t)` says which positions carry a label. */
function makeBatch(rows: number, len: number, seed: number, labelled: (row: number, t: number) => boolean): Batch {
  const rng = seededRandom(seed);
  const examples: SftExample[] = Array.from({ length: rows }, (_, r) => {
    const ids = Array.from({ length: len }, () => rng.int(tinyConfig().vocab_size));
    return { inputIds: ids, labels: ids.map((id, t) => (labelled(r, t) ? id : -100)) };
  });
  return collate(examples, len, 0);
}

async function gradients(engine: GradientEngine, batch: Batch): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const { loss, grads } = await engine.compute(batch);
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(grads)) { out.set(name, t.dataSync() as Float32Array); t.dispose(); }
  return { loss, grads: out };
}

/** Largest relative L2 difference over the parameters (and the loss's relative difference). */
async function compare(engine: GradientEngine, reference: GradientEngine, batch: Batch): Promise<{ loss: number; grads: number }> {
  const a = await gradients(engine, batch);
  const b = await gradients(reference, batch);
  expect([...a.grads.keys()].sort()).toEqual([...b.grads.keys()].sort());
  let worst = 0;
  for (const [name, ga] of a.grads) {
    const gb = b.grads.get(name)!;
    let num = 0;
    let den = 0;
    for (let i = 0; i < ga.length; i++) { num += (ga[i] - gb[i]) ** 2; den += gb[i] ** 2; }
    worst = Math.max(worst, Math.sqrt(num / Math.max(den, 1e-30)));
  }
  return { loss: Math.abs(a.loss - b.loss) / Math.abs(b.loss), grads: worst };
}

describe('parallelGradientEngine', () => {
  const cfg = tinyConfig();
  let model: Qwen2ForCausalLM;
  let local: GradientEngine;
  let one: GradientEngine;
  let two: GradientEngine;

  beforeAll(async () => {
    await initBackend('wasm');
    model = Qwen2ForCausalLM.init(cfg, 11);
    const params = model.trainableParams();
    local = localGradientEngine(model, params);
    one = parallelGradientEngine(model, params, { workers: 1 });
    two = parallelGradientEngine(model, params, { workers: 2 });
  });
  afterAll(() => { one?.dispose(); two?.dispose(); model.dispose(); });

  it('equals the local gradients on fully labelled rows', async () => {
    const d = await compare(one, local, makeBatch(4, 12, 1, () => true));
    expect(d.loss).toBeLessThan(1e-6);
    expect(d.grads).toBeLessThan(1e-5);
  });

  it('weights the shares by their labelled tokens (uneven counts, odd row count, a row without labels)', async () => {
    const batch = makeBatch(5, 14, 2, (r, t) => r !== 1 && t >= 3 * r && t % (r + 2) !== 0);
    const counts = [0, 1, 2, 3, 4].map((r) => Array.from({ length: 13 }, (_, t) => batch.labels[r * 14 + t + 1] !== -100).filter(Boolean).length);
    expect(counts).toEqual([7, 0, 6, 4, 1]); // main 7 / worker 11 tokens; with two workers 7 / 6 / 5
    for (const engine of [one, two]) {
      const d = await compare(engine, local, batch);
      expect(d.loss).toBeLessThan(1e-6);
      expect(d.grads).toBeLessThan(1e-5);
    }
  });

  it('handles a batch of one row, a share without labels and a batch without labels', async () => {
    for (const batch of [
      makeBatch(1, 10, 3, (_, t) => t % 3 !== 0),
      makeBatch(2, 10, 4, (r) => r === 0),            // the worker's row has no labels
      makeBatch(2, 10, 5, (r) => r === 1),            // the main thread's row has no labels
    ]) {
      const d = await compare(one, local, batch);
      expect(d.loss).toBeLessThan(1e-6);
      expect(d.grads).toBeLessThan(1e-5);
    }
    const none = await one.compute(makeBatch(2, 10, 6, () => false));
    expect(none.loss).toBe(0);
    for (const t of Object.values(none.grads)) { expect(tf.max(tf.abs(t)).dataSync()[0]).toBe(0); t.dispose(); }
  });

  it('follows the weights as the optimizer changes them (trainer with either engine)', async () => {
    const rng = seededRandom(8);
    const data: SftExample[] = Array.from({ length: 6 }, () => {
      const ids = Array.from({ length: 9 }, () => rng.int(cfg.vocab_size));
      return { inputIds: ids, labels: ids.map((x, t) => (t % 4 === 1 ? -100 : x)) };
    });
    const opts = { steps: 4, batchSize: 3, seqLen: 9, lr: 1e-2, scheduler: 'constant' as const, progress: false };
    const a = Qwen2ForCausalLM.init(cfg, 12);
    const b = Qwen2ForCausalLM.init(cfg, 12);
    const engine = parallelGradientEngine(b, b.trainableParams(), { workers: 1 });
    try {
      const ra = await trainModel(a, adamW(), data, opts);
      const rb = await trainModel(b, adamW(), data, { ...opts, gradientEngine: engine });
      for (let i = 0; i < 4; i++) expect(Math.abs(rb.log[i].loss - ra.log[i].loss)).toBeLessThan(1e-5 * ra.log[i].loss);
      const wa = a.weights.get('model.layers.1.mlp.down_proj.weight')!.dataSync();
      const wb = b.weights.get('model.layers.1.mlp.down_proj.weight')!.dataSync();
      let maxDiff = 0;
      for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      engine.dispose(); a.dispose(); b.dispose();
    }
  });

  it("reports an error raised in the worker with the worker's message, and keeps working", async () => {
    const bad = makeBatch(2, 8, 7, () => true);
    bad.inputIds[8 + 3] = 5000; // in the worker's row only
    await expect(one.compute(bad)).rejects.toThrow(/gradient worker: forward: token id 5000 outside vocabulary/);
    const d = await compare(one, local, makeBatch(2, 8, 9, () => true));
    expect(d.grads).toBeLessThan(1e-5);
  });

  it('refuses models with setProjection overrides (LoRA) and foreign parameters', () => {
    const m = Qwen2ForCausalLM.init(cfg, 13);
    const w = m.weights.get('model.layers.0.self_attn.q_proj.weight') as unknown as tf.Tensor2D;
    m.setProjection('model.layers.0.self_attn.q_proj', (x) => linear(x, w));
    expect(() => parallelGradientEngine(m, m.trainableParams())).toThrow(/setProjection.*model\.layers\.0\.self_attn\.q_proj.*local gradient engine/);
    expect(suggestedGradientWorkers(m, m.trainableParams(), 4)).toBe(0);
    m.setProjection('model.layers.0.self_attn.q_proj', null);
    const extra = tf.variable(tf.zeros([2, 2]));
    expect(() => parallelGradientEngine(m, [...m.trainableParams(), { name: 'lora_A', variable: extra }])).toThrow(/"lora_A" is not a weight of the model/);
    extra.dispose(); m.dispose();
  });

  it('throws after dispose', async () => {
    const m = Qwen2ForCausalLM.init(cfg, 14);
    const engine = parallelGradientEngine(m, m.trainableParams());
    engine.dispose();
    await expect(engine.compute(makeBatch(2, 6, 1, () => true))).rejects.toThrow(/disposed/);
    m.dispose();
  });
});

describe('parallelGradientEngine worker lifetime', () => {
  /** Run a TypeScript snippet in a fresh Node process (through vite-node, as vitest runs the sources). */
  function runChild(body: string): { status: number | null; stdout: string; stderr: string; ms: number } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'galore-parallel-'));
    const file = path.join(dir, 'child.ts');
    const src = path.join(ROOT, 'kernel-lib', 'src');
    fs.writeFileSync(file, `
import { initBackend } from ${JSON.stringify(path.join(src, 'backend', 'select-backend'))};
import { collate } from ${JSON.stringify(path.join(src, 'data', 'batching'))};
import { parseQwen2Config } from ${JSON.stringify(path.join(src, 'model', 'config'))};
import { Qwen2ForCausalLM } from ${JSON.stringify(path.join(src, 'model', 'causal-lm'))};
import { parallelGradientEngine } from ${JSON.stringify(path.join(src, 'train', 'parallel-gradients'))};
import * as fs from 'node:fs';
async function main() {
  await initBackend('wasm');
  const cfg = parseQwen2Config({ vocab_size: 50, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1 });
  const model = Qwen2ForCausalLM.init(cfg, 1);
  const engine = parallelGradientEngine(model, model.trainableParams(), { workers: 1 });
  const batch = collate([{ inputIds: [1, 2, 3, 4], labels: [1, 2, 3, 4] }, { inputIds: [5, 6, 7, 8], labels: [5, 6, 7, 8] }], 4, 0);
  const { loss } = await engine.compute(batch);
  console.log('loss', loss.toFixed(4));
  ${body}
}
main();
`);
    const t0 = Date.now();
    const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vite-node'), [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
  }

  it('dispose() ends the worker thread, and an engine never disposed does not keep the process alive', () => {
    const r = runChild(`
  const threads = () => fs.readdirSync('/proc/self/task').length;
  const busy = threads();
  engine.dispose();
  await new Promise((done) => setTimeout(done, 1000));
  console.log('threads', busy, threads());
  const idle = parallelGradientEngine(model, model.trainableParams(), { workers: 1 });
  console.log('second loss', (await idle.compute(batch)).loss.toFixed(4)); // never disposed
`);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0); // exited by itself, not killed by the timeout
    const [, busy, after] = r.stdout.match(/threads (\d+) (\d+)/)!.map(Number);
    expect(after).toBeLessThan(busy);
    expect(r.stdout).toMatch(/second loss \d/);
  });
});
