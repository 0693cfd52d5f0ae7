import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BatchStream } from '../data/batching';
import type { SftExample } from '../data/sft-examples';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { Optimizer } from '../optim/optimizer';
import { appendLineDurableSync } from '../util/atomic-write';
import { progressBar } from '../util/progress-bar';
import { displayEnvironment } from '../display/display';
import { loadCheckpoint, saveCheckpoint, TrainerState } from './checkpoint';
import { clipGradNorm } from './grad-clip';
import { GradientEngine, localGradientEngine } from './gradient-engine';
import { learningRate, SchedulerName } from './lr-schedule';
import { setWeightGradientSink, squaredNorm } from '../model/primitives';
import type { TrainableParam } from '../optim/optimizer';
import { sampleMemory } from './memory-probe';
import { checkpointedGradientEngine } from './checkpointed-gradients';
import { reserveTensorTable } from '../backend/wasm-buffers';

/** Options of a training run (CLI flag names in brackets). */
export interface TrainOptions {
  /** Optimizer steps [--steps]; default: `epochs` passes over the data. */
  steps?: number;
  /** Passes over the data when `steps` is not given [--epochs]; default 1. */
  epochs?: number;
  batchSize: number;
  seqLen: number;
  /** Micro-batches per optimizer step [--grad-accum]; default 1. */
  gradAccumSteps?: number;
  lr: number;
  scheduler?: SchedulerName;
  warmupSteps?: number;
  /** 0 = no clipping [--max-grad-norm]; default 1.0 as HF Trainer. */
  maxGradNorm?: number;
  seed?: number;
  shuffle?: boolean;
  /** JSONL file receiving one record per step [--log]. */
  logFile?: string;
  /** Write `outDir/checkpoint-N` every K steps [--save-every]; 0 = never. */
  saveEvery?: number;
  outDir?: string;
  /** A checkpoint folder (or an out dir holding checkpoint-N folders) to resume from [--resume]. */
  resumeFrom?: string;
  /** Show a progress bar on stderr; default: yes in a terminal or log, no inside a notebook kernel (use a dashboard there). */
  progress?: boolean;
  /**
   * Layer-wise updates (galore-torch's per-layer weight updates): each linear
   * and embedding weight is stepped as soon as the backward pass forms its
   * gradient, which is then freed, so the gradients of the whole model never
   * coexist (see `layerwiseParams`). Incompatible with gradient accumulation,
   * clipping (the logged grad_norm is still the global norm) and worker
   * gradient engines.
   */
  layerwise?: boolean;
  /** Where gradients come from; default: this thread (`localGradientEngine`, or `checkpointedGradientEngine` with `activationCheckpointing`). */
  gradientEngine?: GradientEngine;
  /**
   * Activation checkpointing [--checkpointing]: keep only each decoder
   * layer's input during the forward pass and recompute one layer at a time
   * in the backward pass (`checkpointedGradientEngine`); about one more
   * forward pass of time for far less activation memory.
   */
  activationCheckpointing?: boolean;
  /** Compute the loss this many vocabulary rows at a time, never holding the full logits [--loss-chunk] (`chunkedCrossEntropy`). */
  lossChunkSize?: number;
  /** Called after every optimizer step (telemetry, notebooks). Return 'stop' (or a promise of it) to end the run early; a returned promise is awaited. */
  onStep?: (record: StepRecord) => void | 'stop' | Promise<void | 'stop'>;
}

/** One line of the training log. */
export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  time_ms: number;
  /** Bytes held by backend tensors at the end of the step (weights, optimizer state, gradients still alive). */
  memory: number;
  /** wasm heap size (high-water mark), when on wasm. */
  wasm_heap?: number;
  tokens: number;
  epoch: number;
}

export interface TrainResult {
  steps: number;
  log: StepRecord[];
  wallMs: number;
}

/**
 * Supervised fine-tuning loop: deterministic data order, gradient
 * accumulation (mean of micro-batch losses), global-norm clipping, a
 * learning-rate schedule, any `Optimizer` (AdamW, GaLore, LoRA's...),
 * a JSONL log, atomic checkpoints and exact resumption.
 *
 * @example
 * const result = await trainModel(model, adamW({ weightDecay: 0.01 }), examples,
 *   { steps: 20, batchSize: 4, seqLen: 128, lr: 1e-4, scheduler: 'cosine', warmupSteps: 2 });
 */
export async function trainModel(
  model: Qwen2ForCausalLM, optimizer: Optimizer, examples: SftExample[], options: TrainOptions, padId = 0,
): Promise<TrainResult> {
  const accum = options.gradAccumSteps ?? 1;
  if (!(accum >= 1) || !Number.isInteger(accum)) throw new Error(`grad accumulation steps must be a positive integer, got ${accum}`);
  if (!(options.lr >= 0)) throw new Error(`learning rate must be >= 0, got ${options.lr}`);
  const seed = options.seed ?? 42;
  const stream = new BatchStream(examples, { batchSize: options.batchSize, seqLen: options.seqLen, padId, seed, shuffle: options.shuffle });
  const totalSteps = options.steps ?? Math.max(1, Math.ceil(((options.epochs ?? 1) * stream.batchesPerEpoch) / accum));
  const schedule = { name: options.scheduler ?? 'linear', lr: options.lr, totalSteps, warmupSteps: options.warmupSteps ?? 0 } as const;
  const maxGradNorm = options.maxGradNorm ?? 1.0;
  const params = model.trainableParams();
  if (params.length === 0) throw new Error('trainModel: the model has no trainable parameters');
  const layerwise = options.layerwise === true;
  if (layerwise) {
    if (accum > 1) throw new Error('layer-wise updates cannot accumulate gradients (each weight is stepped during the backward pass); use --grad-accum 1');
    if (options.gradientEngine) throw new Error('layer-wise updates run on this thread; do not combine them with a worker gradient engine (--workers 0)');
  }
  const sunk = layerwise ? layerwiseParams(model, params) : [];
  const sunkNames = new Set(sunk.map((p) => p.name));
  const tapeParams = params.filter((p) => !sunkNames.has(p.name));
  if (tapeParams.length === 0) throw new Error('layer-wise updates need at least one parameter on the tape (norms, biases)');
  if (options.gradientEngine && (options.activationCheckpointing || options.lossChunkSize !== undefined)) {
    throw new Error('activation checkpointing and the chunked loss run on this thread; do not combine them with a worker gradient engine (--workers 0)');
  }
  const lossOptions = options.lossChunkSize !== undefined ? { vocabChunk: options.lossChunkSize } : {};
  const engine = options.gradientEngine ?? (options.activationCheckpointing
    ? checkpointedGradientEngine(model, tapeParams, lossOptions)
    : localGradientEngine(model, tapeParams, lossOptions));
  const runOptions = { totalSteps, batchSize: options.batchSize, seqLen: options.seqLen, accum, seed, shuffle: options.shuffle !== false };

  let step = 0;
  const log: StepRecord[] = [];
  if (options.resumeFrom) {
    const { latestCheckpoint } = await import('./checkpoint');
    const dir = latestCheckpoint(options.resumeFrom);
    if (!dir) throw new Error(`${options.resumeFrom}: no checkpoint to resume from`);
    const state = await loadCheckpoint(dir, model, optimizer);
    for (const key of ['batchSize', 'seqLen', 'accum', 'seed', 'shuffle'] as const) {
      if (state.options[key] !== undefined && state.options[key] !== runOptions[key]) {
        throw new Error(`${dir}: checkpoint was trained with ${key}=${String(state.options[key])}, this run has ${String(runOptions[key])}`);
      }
    }
    step = state.global_step;
    stream.position = { ...state.data_position };
    log.push(...(state.log_history as unknown as StepRecord[]));
  }
  // states before the first batch: on wasm they then sit beside the weights, not among the first step's temporaries
  optimizer.prepare?.(params);
  reserveTensorTable(); // wasm: the backend's tensor table grows now, not among the first step's temporaries
  if (options.logFile) {
    fs.mkdirSync(path.dirname(path.resolve(options.logFile)), { recursive: true });
    fs.writeFileSync(options.logFile, log.map((r) => JSON.stringify(r) + '\n').join(''));
  }
  const bar = progressBar(totalSteps, 'train', process.stderr, options.progress ?? displayEnvironment() === 'plain-text');
  const started = Date.now();
  try {
    while (step < totalSteps) {
      const t0 = Date.now();
      let lossSum = 0;
      let tokens = 0;
      let grads: Record<string, tf.Tensor> = {};
      let sunkNormSquares = 0;
      for (let micro = 0; micro < accum; micro++) {
        const batch = stream.next();
        tokens += batch.labelledTokens;
        let sunkSquares = 0;
        const currentLr = learningRate(schedule, step);
        const fired = new Set<string>();
        for (const p of sunk) {
          setWeightGradientSink(p.variable, (g) => {
            fired.add(p.name);
            sunkSquares += squaredNorm(g);
            optimizer.stepParam(p, g, currentLr);
          });
        }
        let computed;
        try {
          computed = await engine.compute(batch);
        } finally {
          for (const p of sunk) setWeightGradientSink(p.variable, null);
        }
        const missed = sunk.filter((p) => !fired.has(p.name));
        if (missed.length) throw new Error(`layer-wise updates: no gradient reached ${missed.map((p) => p.name).join(', ')}`);
        const { loss, grads: g } = computed;
        sunkNormSquares = sunkSquares;
        lossSum += loss;
        for (const [name, t] of Object.entries(g)) {
          if (grads[name]) {
            const sum = tf.add(grads[name], t);
            grads[name].dispose(); t.dispose();
            grads[name] = sum;
          } else grads[name] = t;
        }
      }
      if (accum > 1) {
        const scaled: Record<string, tf.Tensor> = {};
        for (const [n, t] of Object.entries(grads)) { scaled[n] = tf.div(t, accum); t.dispose(); }
        grads = scaled;
      }
      const gradNorm = layerwise
        ? Math.sqrt(clipGradNorm(grads, 0) ** 2 + sunkNormSquares)
        : clipGradNorm(grads, maxGradNorm);
      const lr = learningRate(schedule, step);
      optimizer.step(params, grads, lr);
      const mem = sampleMemory();
      for (const t of Object.values(grads)) t.dispose();
      step++;
      const record: StepRecord = {
        step, loss: lossSum / accum, lr, grad_norm: gradNorm, time_ms: Date.now() - t0,
        memory: mem.tensorBytes, ...(mem.wasmHeapBytes !== null ? { wasm_heap: mem.wasmHeapBytes } : {}),
        tokens, epoch: stream.position.epoch,
      };
      if (!Number.isFinite(record.loss)) {
        throw new Error(`training diverged at step ${step}: loss is ${record.loss} (try a lower --lr or --max-grad-norm)`);
      }
      log.push(record);
      if (options.logFile) appendLineDurableSync(options.logFile, JSON.stringify(record));
      bar.update(step, `loss ${record.loss.toFixed(4)} lr ${lr.toExponential(2)}`);
      const verdict = await options.onStep?.(record); // a dashboard may hold the run here while paused
      const saveNow = options.outDir && options.saveEvery && options.saveEvery > 0 && step % options.saveEvery === 0;
      if (saveNow) {
        const state: TrainerState = { global_step: step, data_position: { ...stream.position }, log_history: log as unknown as Record<string, unknown>[], options: runOptions };
        await saveCheckpoint(path.join(options.outDir!, `checkpoint-${step}`), model, optimizer, state);
      }
      if (verdict === 'stop') break;
      await new Promise((r) => setImmediate(r)); // let comms/UI events through between steps
    }
  } finally {
    if (!options.gradientEngine) engine.dispose(); // an engine we made (the checkpointed one keeps a buffer)
  }
  bar.done();
  return { steps: step, log, wallMs: Date.now() - started };
}

/**
 * The weights layer-wise updates step inside the backward pass: the base
 * model's linear weights and an untied lm_head. The embedding stays on the
 * tape (nothing upstream of its lookup is differentiated, so tfjs never runs
 * its gradient unless it is requested; a tied one is also used twice), as do
 * norms, biases and adapter weights: the peak gradient memory is the embedding
 * plus the largest linear weight.
 */
export function layerwiseParams(model: Qwen2ForCausalLM, params: TrainableParam[]): TrainableParam[] {
  const stepped = /^(model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.weight|lm_head\.weight)$/;
  return params.filter((p) => stepped.test(p.name) && model.weights.get(p.name) === p.variable);
}
