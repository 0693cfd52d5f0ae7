/**
 * Data-parallel gradients on several cores: TensorFlow.js on wasm runs one
 * thread per Node thread, so replicas of the model in `worker_threads`
 * differentiate some of the batch rows while the main thread does the rest.
 *
 * Per batch: the main thread copies its current weights into one shared
 * buffer (read by every worker), each worker loads them, differentiates its
 * rows' loss weighted by their share of the labelled tokens and writes the
 * gradients into its own shared buffer; the main thread adds them to its own.
 * The sum is the gradient of the whole batch's mean labelled-token loss, as
 * `localGradientEngine` computes it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { TrainableParam } from '../optim/optimizer';
import type { BatchGradients, GradientEngine } from './gradient-engine';
import { hostView, type GradientReply, type GradientRequest, type GradientWorkerInit, type SharedSlot } from './gradient-worker';
import { bufferVersion } from '../backend/wasm-buffers';

export interface ParallelGradientOptions {
  /** Worker threads besides the main thread; default 1 (two cores in all). */
  workers?: number;
}

/**
 * Throws unless the model computes only plain linear layers (no
 * `setProjection` overrides such as LoRA adapters) and every parameter is one
 * of its weights: the worker replicas are built from the config and weights
 * alone.
 */
export function assertPlainModel(model: Qwen2ForCausalLM, params: TrainableParam[]): void {
  const overrides = (model as unknown as { projections?: Map<string, unknown> }).projections;
  if (overrides && overrides.size > 0) {
    const names = [...overrides.keys()];
    throw new Error(`parallel gradients: ${names.length} linear module(s) of the model are replaced through setProjection ` +
      `(${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}), e.g. by LoRA adapters; the worker replicas only ` +
      'compute plain linear layers. Train adapters with the local gradient engine (no workers).');
  }
  for (const p of params) {
    if (model.weights.get(p.name) !== p.variable) {
      throw new Error(`parallel gradients: trainable parameter "${p.name}" is not a weight of the model (adapter parameters ` +
        'are not supported); train it with the local gradient engine (no workers).');
    }
  }
}

/**
 * How many gradient workers suit this machine and model: one per extra core,
 * at most batch size - 1; none when the model has adapters (see
 * `assertPlainModel`) or when the backend already uses every core
 * (tfjs-node's `tensorflow`).
 *
 * @example
 * const workers = suggestedGradientWorkers(model, model.trainableParams(), 4); // 1 on a 2-core machine
 */
export function suggestedGradientWorkers(model: Qwen2ForCausalLM, params: TrainableParam[], batchSize: number): number {
  try { assertPlainModel(model, params); } catch { return 0; }
  if (tf.getBackend() === 'tensorflow') return 0;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(0, Math.min(cores - 1, batchSize - 1));
}

function layout(tensors: Array<{ name: string; shape: number[] }>): { slots: SharedSlot[]; total: number } {
  let offset = 0;
  const slots = tensors.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { name, shape: shape.slice(), offset, size };
    offset += size;
    return slot;
  });
  return { slots, total: offset };
}

let bundledWorker: string | null = null;

/**
 * The worker's script: `gradient-worker.js` beside this file in the compiled
 * library. From TypeScript sources (vitest runs them) the worker and what it
 * imports are compiled on demand with esbuild (a dev dependency) into one
 * CommonJS file under node_modules/.cache/galore-lab/, named by its content.
 */
function workerScript(): string {
  const js = path.join(__dirname, 'gradient-worker.js');
  if (fs.existsSync(js)) return js;
  const ts = path.join(__dirname, 'gradient-worker.ts');
  if (!fs.existsSync(ts)) throw new Error(`parallel gradients: no gradient-worker.js in ${__dirname} (run npm run build)`);
  if (bundledWorker && fs.existsSync(bundledWorker)) return bundledWorker;
  const req = createRequire(ts);
  let esbuild: { buildSync(options: Record<string, unknown>): { outputFiles: Array<{ text: string }> } };
  try {
    esbuild = req('esbuild');
  } catch (e) {
    throw new Error(`parallel gradients: running from TypeScript sources (${ts}) needs esbuild to compile the worker: ${(e as Error).message}`);
  }
  let root = path.dirname(ts);
  while (!fs.existsSync(path.join(root, 'node_modules', '@tensorflow', 'tfjs'))) {
    const up = path.dirname(root);
    if (up === root) throw new Error(`parallel gradients: no node_modules with @tensorflow/tfjs above ${ts}`);
    root = up;
  }
  const built = esbuild.buildSync({
    entryPoints: [ts], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    packages: 'external', write: false, sourcemap: 'inline', logLevel: 'silent',
  });
  const code = built.outputFiles[0].text;
  const dir = path.join(root, 'node_modules', '.cache', 'galore-lab');
  const file = path.join(dir, `gradient-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  }
  bundledWorker = file;
  return file;
}

type Done = Extract<GradientReply, { type: 'done' }>;

/** One worker thread and its gradient buffer. */
class Replica {
  readonly grads: Float32Array;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (d: Done) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<void>;
  private failure: Error | null = null;
  private closed = false;
  private markReady!: () => void;
  private markFailed!: (e: Error) => void;

  constructor(script: string, init: GradientWorkerInit) {
    this.grads = new Float32Array(init.grads);
    this.ready = new Promise<void>((resolve, reject) => { this.markReady = resolve; this.markFailed = reject; });
    this.ready.catch(() => { /* reported by request() */ });
    this.worker = new Worker(script, { workerData: init });
    this.worker.unref(); // referenced only while a request is outstanding
    this.worker.on('message', (m: GradientReply) => {
      if (m.type === 'ready') this.markReady();
      else if (m.type === 'done') this.settle(m.id, m, null);
      else {
        const err = new Error(`gradient worker: ${m.message}`);
        if (m.stack) err.stack = `${err.message}\n--- in the worker ---\n${m.stack}`;
        if (m.id === null) this.fail(err); else this.settle(m.id, null, err);
      }
    });
    this.worker.on('error', (e) => this.fail(new Error(`gradient worker crashed: ${e.message}`)));
    this.worker.on('messageerror', (e) => this.fail(new Error(`gradient worker: message could not be read: ${e.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`gradient worker exited unexpectedly (exit code ${code})`));
    });
  }

  private settle(id: number, done: Done | null, err: Error | null): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (err) p.reject(err); else p.resolve(done!);
  }

  private fail(err: Error): void {
    if (!this.failure) this.failure = err;
    this.markFailed(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Resolves once the worker has loaded the model (rejects if it failed to). */
  async whenReady(): Promise<void> {
    if (this.closed) throw new Error('parallel gradients: the engine was disposed');
    this.worker.ref();
    try {
      await this.ready;
    } finally {
      this.worker.unref();
    }
  }

  /**
   * Post a request now (synchronously, so the worker starts while this thread
   * computes) and resolve with its reply. Call after `whenReady()`.
   */
  request(req: GradientRequest): Promise<Done> {
    if (this.failure) return Promise.reject(this.failure);
    this.worker.ref();
    const reply = new Promise<Done>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
    });
    this.worker.postMessage(req);
    const release = () => { if (this.pending.size === 0) this.worker.unref(); };
    reply.then(release, release);
    return reply;
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('parallel gradients: the engine was disposed'));
    void this.worker.terminate();
  }
}

/** Labelled tokens of each row after the causal shift (as the loss counts them). */
function rowTokenCounts(batch: Batch): number[] {
  const counts: number[] = [];
  for (let r = 0; r < batch.batch; r++) {
    let n = 0;
    for (let t = 1; t < batch.seqLen; t++) if (batch.labels[r * batch.seqLen + t] !== -100) n++;
    counts.push(n);
  }
  return counts;
}

/**
 * Gradients computed by the main thread and `workers` worker threads, each
 * on a share of the batch rows (data parallelism). Equal to
 * `localGradientEngine`'s result up to float rounding. The workers load
 * tfjs, the backend in use and a replica of the model once, then receive the
 * main thread's current weights with every batch (so any optimizer works).
 * Only plain models are supported (see `assertPlainModel`). Call `dispose()`
 * to stop the workers; idle workers never keep the process alive.
 *
 * @example
 * const engine = parallelGradientEngine(model, model.trainableParams(), { workers: 1 });
 * await trainModel(model, adamW(), examples, { steps: 10, batchSize: 4, seqLen: 128, lr: 1e-4, gradientEngine: engine });
 * engine.dispose();
 */
export function parallelGradientEngine(
  model: Qwen2ForCausalLM, params: TrainableParam[], options: ParallelGradientOptions = {},
): GradientEngine {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`parallel gradients: workers must be a positive integer, got ${workers}`);
  if (params.length === 0) throw new Error('parallel gradients: no trainable parameters');
  assertPlainModel(model, params);
  const weightLayout = layout([...model.weights].map(([name, v]) => ({ name, shape: v.shape })));
  const gradLayout = layout(params.map((p) => ({ name: p.name, shape: p.variable.shape })));
  const weightBuffer = new SharedArrayBuffer(weightLayout.total * 4);
  const weightView = new Float32Array(weightBuffer);
  for (const s of weightLayout.slots) weightView.set(hostView(model.weights.get(s.name)!), s.offset);
  const script = workerScript();
  const replicas = Array.from({ length: workers }, () => new Replica(script, {
    kind: 'galore-lab-gradient-worker',
    backend: tf.getBackend(),
    config: model.config,
    weightSlots: weightLayout.slots,
    weights: weightBuffer,
    gradSlots: gradLayout.slots,
    grads: new SharedArrayBuffer(gradLayout.total * 4),
  }));
  const vars = params.map((p) => p.variable);
  const nameOfVar = new Map(params.map((p) => [p.variable.name, p.name]));
  let nextId = 1;
  let disposed = false;
  // The weights the workers were started with are version 0; a new version is
  // written whenever a weight changed (tf.Variable.assign gives it new data, an in-place write a new version).
  let weightsVersion = 0;
  let sentData: unknown[] = weightLayout.slots.map((s) => bufferVersion(model.weights.get(s.name)!));

  /** Gradients of scale x (mean loss of rows [r0, r1)) on this thread, by parameter name. */
  const localPart = (batch: Batch, r0: number, r1: number, scale: number) => {
    const T = batch.seqLen;
    const { value, grads } = tf.variableGrads(() => {
      const loss = model.loss(batch.inputIds.subarray(r0 * T, r1 * T), batch.labels.subarray(r0 * T, r1 * T), r1 - r0, T);
      return (scale === 1 ? loss : tf.mul(loss, scale)) as tf.Scalar;
    }, vars);
    const loss = value.dataSync()[0];
    value.dispose();
    const named: Record<string, tf.Tensor> = {};
    for (const [varName, t] of Object.entries(grads)) named[nameOfVar.get(varName)!] = t;
    return { loss, grads: named };
  };

  return {
    async compute(batch: Batch): Promise<BatchGradients> {
      if (disposed) throw new Error('parallel gradients: the engine was disposed');
      assertPlainModel(model, params);
      const counts = rowTokenCounts(batch);
      const total = counts.reduce((a, b) => a + b, 0);
      const parts = Math.min(workers + 1, batch.batch);
      if (total === 0 || parts === 1) return localPart(batch, 0, batch.batch, 1);
      // Row ranges: the main thread first, the workers take the remainder rows.
      const base = Math.floor(batch.batch / parts);
      const extra = batch.batch % parts;
      const ranges: Array<[number, number, number]> = []; // [r0, r1, scale]
      let r = 0;
      for (let p = 0; p < parts; p++) {
        const rows = base + (p >= 1 && p <= extra ? 1 : 0);
        let tokens = 0;
        for (let i = r; i < r + rows; i++) tokens += counts[i];
        ranges.push([r, r + rows, tokens / total]);
        r += rows;
      }
      const T = batch.seqLen;
      const remote = ranges.slice(1).map(([r0, r1, scale], i) => ({ r0, r1, scale, replica: replicas[i] })).filter((x) => x.scale > 0);
      let requests: Array<Promise<Done>> = [];
      if (remote.length > 0) {
        await Promise.all(remote.map((x) => x.replica.whenReady()));
        const current = weightLayout.slots.map((s) => bufferVersion(model.weights.get(s.name)!));
        if (current.some((id, i) => id !== sentData[i])) {
          for (const s of weightLayout.slots) weightView.set(hostView(model.weights.get(s.name)!), s.offset);
          sentData = current;
          weightsVersion++;
        }
        requests = remote.map(({ r0, r1, scale, replica }) => replica.request({
          type: 'compute', id: nextId++, rows: r1 - r0, seqLen: T, scale, weightsVersion,
          inputIds: batch.inputIds.slice(r0 * T, r1 * T), labels: batch.labels.slice(r0 * T, r1 * T),
        }));
        requests.forEach((q) => q.catch(() => { /* awaited below */ }));
      }
      const [m0, m1, mScale] = ranges[0];
      const mine = mScale > 0 ? localPart(batch, m0, m1, mScale) : { loss: 0, grads: {} as Record<string, tf.Tensor> };
      let replies: Done[];
      try {
        replies = await Promise.all(requests);
      } catch (e) {
        tf.dispose(Object.values(mine.grads));
        throw e;
      }
      let loss = mine.loss;
      for (const d of replies) loss += d.loss;
      const grads: Record<string, tf.Tensor> = {};
      gradLayout.slots.forEach((s, i) => {
        let sum: tf.Tensor | undefined = mine.grads[s.name];
        replies.forEach((d, w) => {
          if (!d.present[i]) return;
          const theirs = tf.tensor(remote[w].replica.grads.subarray(s.offset, s.offset + s.size), s.shape, 'float32');
          if (!sum) { sum = theirs; return; }
          const next = tf.add(sum, theirs);
          sum.dispose();
          theirs.dispose();
          sum = next;
        });
        if (sum) grads[s.name] = sum;
      });
      return { loss, grads };
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const r of replicas) r.dispose();
    },
  };
}
