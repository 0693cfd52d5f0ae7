import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batching';
import type { LossOptions, Qwen2ForCausalLM } from '../model/causal-lm';
import type { TrainableParam } from '../optim/optimizer';

/** The loss of one batch and the gradient of every trainable parameter (by HF name). */
export interface BatchGradients {
  /** Mean loss over the batch's labelled tokens. */
  loss: number;
  grads: Record<string, tf.Tensor>;
}

/**
 * How the trainer obtains gradients for a batch. The default computes them in
 * this thread; other engines (e.g. data-parallel workers) plug in here without
 * touching the training loop. Engines must return gradients equal to those of
 * the batch's mean labelled-token loss.
 */
export interface GradientEngine {
  compute(batch: Batch): Promise<BatchGradients>;
  dispose(): void;
}

/**
 * Gradients with `tf.variableGrads` on this thread (`options.vocabChunk`:
 * the loss over the vocabulary in chunks, see `chunkedCrossEntropy`).
 *
 * @example
 * const engine = localGradientEngine(model, model.trainableParams());
 * const { loss, grads } = await engine.compute(batch);
 */
export function localGradientEngine(model: Qwen2ForCausalLM, params: TrainableParam[], options: LossOptions = {}): GradientEngine {
  const byVarName = new Map(params.map((p) => [p.variable.name, p.name]));
  const vars = params.map((p) => p.variable);
  return {
    async compute(batch: Batch): Promise<BatchGradients> {
      const { value, grads } = tf.variableGrads(() => model.loss(batch.inputIds, batch.labels, batch.batch, batch.seqLen, options), vars);
      const loss = value.dataSync()[0];
      value.dispose();
      const named: Record<string, tf.Tensor> = {};
      for (const [varName, t] of Object.entries(grads)) named[byVarName.get(varName)!] = t;
      return { loss, grads: named };
    },
    dispose(): void { /* nothing held */ },
  };
}
