import * as tf from '@tensorflow/tfjs';
import { AdamMoments, createMoments, loadMoments } from './adam-moments';
import { AdamWOptions } from './adamw';
import { Optimizer, OptimizerSnapshot, TrainableParam, resolveAdamHyperParams } from './optimizer';
import { BLOCK_SIZES, BlockSize } from './quantize-blockwise';
import { assignInPlace } from '../backend/wasm-buffers';

/** Options of `adamW8bit`: AdamW's, plus how states are quantised. */
export interface AdamW8bitOptions extends AdamWOptions {
  /** Values per quantisation block (one float32 absmax each): 256 (default, bitsandbytes) or 2048. */
  blockSize?: BlockSize;
  /**
   * Tensors with fewer values keep float32 moments (bitsandbytes' `min_8bit_size`,
   * default 4096: biases and norm weights gain nothing from 8 bits).
   */
  min8bitSize?: number;
}

interface ParamState { step: number; moments: AdamMoments }

/**
 * AdamW with block-wise 8-bit moments, bitsandbytes-style (`AdamW8bit`): the
 * same update as `adamW` (PyTorch semantics, decoupled weight decay first),
 * but m and v are stored as one byte per value plus one float32 absmax per
 * block, with the dynamic quantisation map (see `quantize-blockwise.ts`):
 * 2 bytes per parameter of state instead of 8. Each step dequantises a
 * block, updates it in float64, uses the fresh values for the update and
 * stores the re-quantised result. Tensors below `min8bitSize` values keep
 * float32 moments and then step bit-identically to `adamW`.
 *
 * @example
 * const opt = adamW8bit({ weightDecay: 0.01, blockSize: 256 });
 * opt.step(model.trainableParams(), grads, 1e-4);
 * opt.stateBytes(); // about 2 bytes per parameter
 */
export function adamW8bit(options: AdamW8bitOptions = {}): AdamW8bit {
  return new AdamW8bit(options);
}

/** The optimizer `adamW8bit` makes (see there). */
export class AdamW8bit implements Optimizer {
  readonly kind = 'adamw8bit';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly blockSize: BlockSize;
  readonly min8bitSize: number;
  private readonly decayFilter: (name: string) => boolean;
  private state = new Map<string, ParamState>();

  constructor(options: AdamW8bitOptions = {}) {
    ({ beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decayFilter: this.decayFilter } =
      resolveAdamHyperParams(options, 'AdamW8bit'));
    this.blockSize = options.blockSize ?? 256;
    this.min8bitSize = options.min8bitSize ?? 4096;
    if (!(BLOCK_SIZES as readonly number[]).includes(this.blockSize)) {
      throw new Error(`AdamW8bit: blockSize must be ${BLOCK_SIZES.join(' or ')}, got ${this.blockSize}`);
    }
    if (!(this.min8bitSize >= 0)) throw new Error(`AdamW8bit: min8bitSize must be >= 0, got ${this.min8bitSize}`);
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

  private stateFor(param: TrainableParam) {
    let s = this.state.get(param.name);
    if (!s) {
      const bits = param.variable.size >= this.min8bitSize ? 8 : 32;
      s = { step: 0, moments: createMoments(param.variable.shape, bits, this.blockSize) };
      this.state.set(param.name, s);
    }
    return s;
  }

  stepParam(param: TrainableParam, grad: tf.Tensor, lr: number): void {
    const s = this.stateFor(param);
    s.step += 1;
    const wd = this.decayFilter(param.name) ? this.weightDecay : 0;
    const bc1 = 1 - this.beta1 ** s.step;
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** s.step);
    const dir = s.moments.direction(grad, this.beta1, this.beta2, this.eps, bc2Sqrt);
    const next = tf.tidy(() => {
      let p: tf.Tensor = param.variable;
      if (wd !== 0) p = tf.mul(p, 1 - lr * wd);
      return tf.sub(p, tf.mul(dir, lr / bc1));
    });
    dir.dispose();
    assignInPlace(param.variable, next); // the weight keeps its buffer (wasm): no per-step churn of weight-sized buffers
    next.dispose();
  }

  stateBytes(): number {
    let n = 0;
    for (const s of this.state.values()) n += s.moments.bytes();
    return n;
  }

  snapshot(): OptimizerSnapshot {
    const tensors = new Map();
    const steps: Record<string, number> = {};
    for (const [name, s] of this.state) {
      s.moments.save(name, tensors);
      steps[name] = s.step;
    }
    return {
      kind: this.kind,
      config: {
        betas: [this.beta1, this.beta2], eps: this.eps, weight_decay: this.weightDecay,
        block_size: this.blockSize, min_8bit_size: this.min8bitSize,
      },
      tensors,
      json: { steps },
    };
  }

  restore(snapshot: OptimizerSnapshot): void {
    if (snapshot.kind !== this.kind) {
      throw new Error(`AdamW8bit: cannot restore optimizer state of kind "${snapshot.kind}" (expected "${this.kind}")`);
    }
    const blockSize = Number(snapshot.config.block_size ?? this.blockSize);
    if (blockSize !== this.blockSize) {
      throw new Error(`AdamW8bit: checkpoint uses blockSize ${blockSize}, this optimizer ${this.blockSize}; `
        + 'create the optimizer with the checkpoint\'s block size');
    }
    this.disposeState();
    const steps = (snapshot.json.steps ?? {}) as Record<string, number>;
    for (const [name, step] of Object.entries(steps)) {
      this.state.set(name, { step, moments: loadMoments(name, snapshot.tensors, this.blockSize) });
    }
  }

  private disposeState(): void {
    for (const s of this.state.values()) s.moments.dispose();
    this.state.clear();
  }

  dispose(): void { this.disposeState(); }
}
