/**
 * A sequence classifier (body + pooling + head) and its training loop:
 * mean cross-entropy over a batch's class logits, AdamW, seeded batches
 * (a fresh seeded shuffle of the examples every epoch), a learning-rate
 * schedule with warm-up, optional gradient clipping, wall-clock time.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../model/primitives';
import { adamW } from '../optim/adamw';
import type { Optimizer, TrainableParam } from '../optim/optimizer';
import { clipGradNorm } from '../train/grad-clip';
import { SchedulerName, learningRate } from '../train/lr-schedule';
import { seededPermutation } from '../util/random';
import type { TokenBody } from './bodies';
import type { ClassificationHead } from './heads';
import { ClassificationExample, PoolingMode, makeTokenBatch } from './token-batch';

/** Options of a classifier. */
export interface SequenceClassifierOptions {
  /** Token id used for padding. */
  padId: number;
  /** How the head pools token states; default `mean`. */
  pooling?: PoolingMode;
}

/**
 * Token ids -> body token states -> head (pooling inside) -> class logits.
 *
 * @example
 * const clf = new SequenceClassifier(body, classificationHead('grn', { inputSize: 128, numClasses: 5 }), { padId: tok.padTokenId });
 * await trainSequenceClassifier(clf, train, { steps: 150, batchSize: 16, lr: 3e-3 });
 * const predicted = clf.predict(test);
 */
export class SequenceClassifier {
  readonly pooling: PoolingMode;
  readonly padId: number;

  constructor(readonly body: TokenBody, readonly head: ClassificationHead, options: SequenceClassifierOptions) {
    this.pooling = options.pooling ?? 'mean';
    this.padId = options.padId;
  }

  /** Class logits [examples.length, numClasses]. */
  logits(examples: readonly ClassificationExample[], training = false): tf.Tensor2D {
    const batch = makeTokenBatch(examples, this.padId);
    return tf.tidy(() => this.head.logits({
      tokens: this.body.tokenStates(batch, training), lengths: batch.lengths, seqLen: batch.seqLen, pooling: this.pooling, training,
    }));
  }

  /** Mean cross-entropy of a batch (dropout on). */
  loss(examples: readonly ClassificationExample[]): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(examples, true), Int32Array.from(examples, (e) => e.label)));
  }

  /** Predicted class indices (argmax of the logits), in batches, dropout off. */
  predict(examples: readonly ClassificationExample[], batchSize = 64): number[] {
    const out: number[] = [];
    for (let i = 0; i < examples.length; i += batchSize) {
      const arg = tf.tidy(() => tf.argMax(this.logits(examples.slice(i, i + batchSize)), 1).dataSync());
      out.push(...Array.from(arg));
    }
    return out;
  }

  /** Body and head variables that training updates. */
  trainableParams(): TrainableParam[] {
    return [...this.body.params(), ...this.head.params()];
  }

  /** Trainable scalars (body's trainable part + head) and all scalars (body + head). */
  parameterCounts(): { trainable: number; total: number } {
    const body = this.body.parameterCounts();
    const head = this.head.parameterCount();
    return { trainable: body.trainable + head, total: body.total + head };
  }
}

/** Options of `trainSequenceClassifier`. */
export interface ClassifierTrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  /** AdamW weight decay; default 0.01. */
  weightDecay?: number;
  /** Default `cosine`. */
  scheduler?: SchedulerName;
  /** Default 0. */
  warmupSteps?: number;
  /** 0 = none (default 1.0). */
  maxGradNorm?: number;
  /** Batch order seed; default 0. */
  seed?: number;
  /** An optimizer to use instead of AdamW (its state is not disposed here). */
  optimizer?: Optimizer;
  /** Called after every step. */
  onStep?: (record: { step: number; loss: number; lr: number }) => void;
}

/** What training did. */
export interface ClassifierTrainResult {
  steps: number;
  losses: number[];
  seconds: number;
}

/**
 * Trains a classifier's trainable parameters (head, plus the body's when it
 * has any: a LoRA adapter, an encoder) for `steps` AdamW steps on batches of
 * `batchSize` drawn in a seeded order.
 *
 * @example
 * const result = await trainSequenceClassifier(clf, train, { steps: 150, batchSize: 16, lr: 3e-3, seed: 1 });
 * result.losses.at(-1); // lower than result.losses[0]
 */
export async function trainSequenceClassifier(
  classifier: SequenceClassifier, examples: readonly ClassificationExample[], options: ClassifierTrainOptions,
): Promise<ClassifierTrainResult> {
  if (examples.length === 0) throw new Error('trainSequenceClassifier: no training examples');
  if (!(options.steps >= 1 && options.batchSize >= 1 && options.lr > 0)) {
    throw new Error(`trainSequenceClassifier: need steps >= 1, batchSize >= 1 and lr > 0, got ${options.steps}, ${options.batchSize}, ${options.lr}`);
  }
  const start = performance.now();
  const params = classifier.trainableParams();
  if (params.length === 0) throw new Error('trainSequenceClassifier: the classifier has no trainable parameters');
  const names = new Set<string>();
  for (const p of params) {
    if (names.has(p.name)) throw new Error(`trainSequenceClassifier: two trainable parameters are named "${p.name}" (body and head must not share names)`);
    names.add(p.name);
  }
  const owned = !options.optimizer;
  const optimizer = options.optimizer ?? adamW({ weightDecay: options.weightDecay ?? 0.01 });
  const batchSize = Math.min(options.batchSize, examples.length);
  const seed = options.seed ?? 0;
  const maxGradNorm = options.maxGradNorm ?? 1;
  const schedule = { name: options.scheduler ?? 'cosine', lr: options.lr, warmupSteps: options.warmupSteps ?? 0, totalSteps: options.steps };
  const vars = params.map((p) => p.variable);
  const losses: number[] = [];
  let order: number[] = [];
  let epoch = 0;
  let cursor = 0;
  try {
    for (let step = 0; step < options.steps; step++) {
      const picked: ClassificationExample[] = [];
      while (picked.length < batchSize) {
        if (cursor >= order.length) { order = seededPermutation(examples.length, seed * 1000003 + epoch++); cursor = 0; }
        picked.push(examples[order[cursor++]]);
      }
      const { value, grads } = tf.variableGrads(() => classifier.loss(picked), vars);
      const byName: Record<string, tf.Tensor> = {};
      params.forEach((p) => { byName[p.name] = grads[p.variable.name]; });
      if (maxGradNorm > 0) clipGradNorm(byName, maxGradNorm);
      const lr = learningRate(schedule, step);
      optimizer.step(params, byName, lr);
      const loss = value.dataSync()[0];
      value.dispose();
      tf.dispose([...Object.values(grads), ...Object.values(byName)]); // clipping may have replaced entries of byName
      losses.push(loss);
      options.onStep?.({ step: step + 1, loss, lr });
    }
  } finally {
    if (owned) optimizer.dispose();
  }
  return { steps: options.steps, losses, seconds: (performance.now() - start) / 1000 };
}
