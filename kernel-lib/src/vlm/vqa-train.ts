/**
 * The VQA training loop: seeded shuffled batches, the causal-LM loss on the
 * answer tokens, global-norm clipping, a learning-rate schedule and any
 * `Optimizer` (AdamW, GaLore-AdamW...) over `vlm.trainableParams()`: the
 * trainable parts' weights and the attached methods' parameters.
 */
import * as tf from '@tensorflow/tfjs';
import type { Optimizer } from '../optim/optimizer';
import { clipGradNorm } from '../train/grad-clip';
import { learningRate, SchedulerName } from '../train/lr-schedule';
import { seededPermutation } from '../util/random';
import { collateVqa, VqaBatch, VqaExample } from './vqa-examples';
import type { VisionLanguageModel } from './vlm-model';
import type { ImagePlacement } from './vlm-config';

/** Options of `trainVqa`. */
export interface VqaTrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  /** Default 'constant'. */
  scheduler?: SchedulerName;
  warmupSteps?: number;
  /** 0 = no clipping (default 1.0). */
  maxGradNorm?: number;
  /** Data order (default 0). */
  seed?: number;
  /** Token id used for padding (default 0). */
  padId?: number;
  onStep?: (record: VqaStepRecord) => void;
}

/** One step of the log. */
export interface VqaStepRecord {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  time_ms: number;
}

/** What `trainVqa` returns. */
export interface VqaTrainResult {
  log: VqaStepRecord[];
  wallMs: number;
}

/**
 * Batches of `batchSize` examples in a seeded order, reshuffled every epoch.
 *
 * @example
 * const next = vqaBatches(examples, 16, 0, tokenizer.padTokenId);
 * const first = next();
 */
export function vqaBatches(
  examples: readonly VqaExample[], batchSize: number, seed: number, padId: number, placement: ImagePlacement = 'before-text',
): () => VqaBatch {
  if (examples.length === 0) throw new Error('trainVqa: no training examples');
  let epoch = 0;
  let order = seededPermutation(examples.length, seed);
  let at = 0;
  return () => {
    const picked: VqaExample[] = [];
    while (picked.length < Math.min(batchSize, examples.length)) {
      if (at === order.length) { epoch++; order = seededPermutation(examples.length, seed + 7919 * epoch); at = 0; }
      picked.push(examples[order[at++]]);
    }
    return collateVqa(picked, padId, placement);
  };
}

/**
 * Train the model's trainable parameters on VQA examples.
 *
 * @example
 * const applied = applyTuning(vlm, { method: 'lora', parts: ['language'] });
 * const { log } = await trainVqa(vlm, applied.optimizer, train, { steps: 40, batchSize: 16, lr: 3e-3, padId: tokenizer.padTokenId });
 */
export async function trainVqa(
  vlm: VisionLanguageModel, optimizer: Optimizer, examples: readonly VqaExample[], options: VqaTrainOptions,
): Promise<VqaTrainResult> {
  const params = vlm.trainableParams();
  if (params.length === 0) throw new Error('trainVqa: nothing to train (no trainable part and no adapter)');
  const byVar = new Map(params.map((p) => [p.variable.name, p.name]));
  const vars = params.map((p) => p.variable);
  const next = vqaBatches(examples, options.batchSize, options.seed ?? 0, options.padId ?? 0, vlm.config.imagePlacement);
  const schedule = { name: options.scheduler ?? 'constant', lr: options.lr, totalSteps: options.steps, warmupSteps: options.warmupSteps ?? 0 } as const;
  const log: VqaStepRecord[] = [];
  const started = Date.now();
  for (let step = 0; step < options.steps; step++) {
    const t0 = Date.now();
    const b = next();
    const { value, grads } = tf.variableGrads(() => vlm.loss(b.pixels, b.ids, b.labels, b.batch, b.textLen, b.imageAt), vars);
    const loss = value.dataSync()[0];
    value.dispose();
    if (!Number.isFinite(loss)) {
      for (const g of Object.values(grads)) g.dispose();
      throw new Error(`trainVqa: loss is ${loss} at step ${step + 1} (try a lower learning rate)`);
    }
    const named: Record<string, tf.Tensor> = {};
    for (const [v, g] of Object.entries(grads)) named[byVar.get(v)!] = g;
    const gradNorm = clipGradNorm(named, options.maxGradNorm ?? 1.0);
    const lr = learningRate(schedule, step);
    optimizer.step(params, named, lr);
    for (const g of Object.values(named)) g.dispose();
    const record = { step: step + 1, loss, lr, grad_norm: gradNorm, time_ms: Date.now() - t0 };
    log.push(record);
    options.onStep?.(record);
  }
  return { log, wallMs: Date.now() - started };
}
