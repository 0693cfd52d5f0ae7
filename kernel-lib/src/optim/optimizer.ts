import * as tf from '@tensorflow/tfjs';

/** A trainable weight: its Hugging Face name and the variable that holds it. */
export interface TrainableParam {
  name: string;
  variable: tf.Variable;
}

/** A plain copy of one state tensor, ready to be written to a checkpoint. */
export interface StateTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Everything an optimizer needs to resume exactly: tensors (moments, projection
 * matrices, quantisation scales...) by name, plus JSON-able bookkeeping
 * (per-parameter step counters, projector refresh steps...).
 */
export interface OptimizerSnapshot {
  kind: string;
  config: Record<string, unknown>;
  tensors: Map<string, StateTensor>;
  json: Record<string, unknown>;
}

/**
 * The contract between the trainer and every optimizer (AdamW, 8-bit AdamW,
 * GaLore-AdamW, LoRA's AdamW over adapters...). The trainer only calls these
 * methods, so a new optimizer plugs in without touching the trainer.
 *
 * - `step` updates every parameter from its gradient (the trainer has already
 *   accumulated, averaged and clipped the gradients). Gradients are NOT disposed
 *   by the optimizer; the caller owns them.
 * - `stepParam` updates one parameter; optimizers that support layer-wise
 *   updates are driven parameter by parameter as gradients become ready.
 * - `prepare` (optional) allocates the states of these parameters before
 *   the first step, which the trainer calls before any batch: on wasm the
 *   states then sit beside the weights, instead of wherever the first step's
 *   temporaries left room (they are updated in place afterwards, so they
 *   never move), and the heap does not fragment.
 */
export interface Optimizer {
  readonly kind: string;
  step(params: TrainableParam[], grads: Record<string, tf.Tensor>, lr: number): void;
  stepParam(param: TrainableParam, grad: tf.Tensor, lr: number): void;
  /** Allocate the states of these parameters now (see above); parameters that already have states are left alone. */
  prepare?(params: TrainableParam[]): void;
  /** Bytes held by optimizer state tensors right now. */
  stateBytes(): number;
  snapshot(): OptimizerSnapshot;
  /** Restore from `snapshot()` output (e.g. read back from a checkpoint). */
  restore(snapshot: OptimizerSnapshot): void;
  dispose(): void;
}

/** Copy a tensor's values out of the backend into a checkpoint-ready record. */
export function toStateTensor(t: tf.Tensor): StateTensor {
  return { shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) };
}

/** Make a kept tensor from a checkpoint record. */
export function fromStateTensor(s: StateTensor): tf.Tensor {
  return tf.keep(tf.tensor(s.data, s.shape, 'float32'));
}

/** Hugging Face Trainer's rule: no weight decay on biases and norm weights. */
export function decaysByDefault(name: string): boolean {
  if (name.endsWith('.bias')) return false;
  if (/norm\.weight$/.test(name) || /layernorm\.weight$/.test(name)) return false;
  return true;
}

/** AdamW hyper-parameters after defaults, shared by AdamW and its 8-bit variant. */
export interface ResolvedAdamHyperParams {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decayFilter: (name: string) => boolean;
}

/**
 * PyTorch's AdamW defaults (betas 0.9/0.999, eps 1e-8, no weight decay, HF
 * Trainer's decay rule) and their validation, with `who` naming the optimizer
 * in errors.
 *
 * @example
 * resolveAdamHyperParams({ weightDecay: 0.01 }, 'AdamW').beta2; // 0.999
 */
export function resolveAdamHyperParams(
  o: { betas?: [number, number]; eps?: number; weightDecay?: number; decayFilter?: (name: string) => boolean },
  who: string,
): ResolvedAdamHyperParams {
  const [beta1, beta2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const weightDecay = o.weightDecay ?? 0;
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
    throw new Error(`${who}: betas must lie in [0, 1), got [${beta1}, ${beta2}]`);
  }
  if (!(eps > 0)) throw new Error(`${who}: eps must be > 0, got ${eps}`);
  if (!(weightDecay >= 0)) throw new Error(`${who}: weight decay must be >= 0, got ${weightDecay}`);
  return { beta1, beta2, eps, weightDecay, decayFilter: o.decayFilter ?? decaysByDefault };
}
