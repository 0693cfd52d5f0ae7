import * as tf from '@tensorflow/tfjs';
import { assignInPlace, keepInPlace } from '../backend/wasm-buffers';
import {
  Optimizer, OptimizerSnapshot, TrainableParam, fromStateTensor, resolveAdamHyperParams, toStateTensor,
} from './optimizer';

/** AdamW hyper-parameters, named as in PyTorch's `torch.optim.AdamW`. */
export interface AdamWOptions {
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Which parameters get weight decay; default: all but biases and norm weights (as HF Trainer). */
  decayFilter?: (name: string) => boolean;
}

interface AdamState {
  step: number;
  expAvg: tf.Tensor;
  expAvgSq: tf.Tensor;
}

/**
 * AdamW exactly as PyTorch steps it (decoupled weight decay applied first):
 *
 *   p  <- p * (1 - lr * wd)
 *   m  <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
 *   p  <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * @example
 * const opt = adamW({ betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
 * opt.step(model.trainableParams(), grads, 1e-4);
 */
export function adamW(options: AdamWOptions = {}): Optimizer {
  return new AdamW(options);
}

export class AdamW implements Optimizer {
  readonly kind = 'adamw';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly decayFilter: (name: string) => boolean;
  private state = new Map<string, AdamState>();

  constructor(options: AdamWOptions = {}) {
    ({ beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decayFilter: this.decayFilter } =
      resolveAdamHyperParams(options, 'AdamW'));
  }

  step(params: TrainableParam[], grads: Record<string, tf.Tensor>, lr: number): void {
    for (const p of params) {
      const g = grads[p.name];
      if (g) this.stepParam(p, g, lr);
    }
  }

  prepare(params: TrainableParam[]): void {
    for (const p of params) this.stateFor(p);
  }

  private stateFor(param: TrainableParam): AdamState {
    let s = this.state.get(param.name);
    if (!s) {
      const shape = param.variable.shape;
      s = { step: 0, expAvg: tf.keep(tf.zeros(shape)), expAvgSq: tf.keep(tf.zeros(shape)) };
      this.state.set(param.name, s);
    }
    return s;
  }

  stepParam(param: TrainableParam, grad: tf.Tensor, lr: number): void {
    if (grad.size !== param.variable.size) {
      throw new Error(`AdamW: gradient of "${param.name}" has ${grad.size} values, the weight ${param.variable.size}`);
    }
    const s = this.stateFor(param);
    s.step += 1;
    const { beta1, beta2, eps } = this;
    const wd = this.decayFilter(param.name) ? this.weightDecay : 0;
    const bc1 = 1 - beta1 ** s.step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** s.step);
    const state = s;
    const [m, v, next] = tf.tidy(() => {
      const m = tf.add(tf.mul(state.expAvg, beta1), tf.mul(grad, 1 - beta1));
      const v = tf.add(tf.mul(state.expAvgSq, beta2), tf.mul(tf.square(grad), 1 - beta2));
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
      let p: tf.Tensor = param.variable;
      if (wd !== 0) p = tf.mul(p, 1 - lr * wd);
      const next = tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1));
      return [m, v, next];
    });
    // the new moments go into the old buffers where the backend allows (wasm): states never move in the heap
    state.expAvg = keepInPlace(state.expAvg, m);
    state.expAvgSq = keepInPlace(state.expAvgSq, v);
    assignInPlace(param.variable, next); // the weight keeps its buffer (wasm): no per-step churn of weight-sized buffers
    next.dispose();
  }

  stateBytes(): number {
    let n = 0;
    for (const s of this.state.values()) n += (s.expAvg.size + s.expAvgSq.size) * 4;
    return n;
  }

  snapshot(): OptimizerSnapshot {
    const tensors = new Map();
    const steps: Record<string, number> = {};
    for (const [name, s] of this.state) {
      tensors.set(`${name}.exp_avg`, toStateTensor(s.expAvg));
      tensors.set(`${name}.exp_avg_sq`, toStateTensor(s.expAvgSq));
      steps[name] = s.step;
    }
    return {
      kind: this.kind,
      config: { betas: [this.beta1, this.beta2], eps: this.eps, weight_decay: this.weightDecay },
      tensors,
      json: { steps },
    };
  }

  restore(snapshot: OptimizerSnapshot): void {
    if (snapshot.kind !== this.kind) {
      throw new Error(`AdamW: cannot restore optimizer state of kind "${snapshot.kind}"`);
    }
    this.disposeState();
    const steps = (snapshot.json.steps ?? {}) as Record<string, number>;
    for (const [name, step] of Object.entries(steps)) {
      const m = snapshot.tensors.get(`${name}.exp_avg`);
      const v = snapshot.tensors.get(`${name}.exp_avg_sq`);
      if (!m || !v) throw new Error(`AdamW: checkpoint lacks moments for "${name}"`);
      this.state.set(name, { step, expAvg: fromStateTensor(m), expAvgSq: fromStateTensor(v) });
    }
  }

  private disposeState(): void {
    for (const s of this.state.values()) { s.expAvg.dispose(); s.expAvgSq.dispose(); }
    this.state.clear();
  }

  dispose(): void { this.disposeState(); }
}
