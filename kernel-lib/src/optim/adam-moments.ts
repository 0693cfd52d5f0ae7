import * as tf from '@tensorflow/tfjs';
import { keepInPlace } from '../backend/wasm-buffers';
import { StateTensor, fromStateTensor, toStateTensor } from './optimizer';
import {
  QuantizedBlocks, dequantizeBlockwise, dynamicQuantMap, quantizeBlockwise, quantizedBytes, requantizeBlock,
} from './quantize-blockwise';

/**
 * Adam's two moment buffers for one tensor, kept either as float32 tensors or
 * as block-wise 8-bit codes. The optimizers (AdamW, 8-bit AdamW, GaLore-AdamW)
 * decide step sizes, weight decay and projections; this module only owns the
 * running averages and the per-element ratio m / (sqrt(v) / vScale + eps).
 */
export interface AdamMoments {
  readonly bits: 8 | 32;
  readonly shape: number[];
  /**
   * m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2, then return a new tensor
   * m / (sqrt(v) / vScale + eps). vScale = 1 gives galore-torch's form
   * (eps added to the raw sqrt(v)); vScale = sqrt(1 - b2^t) gives PyTorch's.
   */
  direction(g: tf.Tensor, beta1: number, beta2: number, eps: number, vScale: number): tf.Tensor;
  /** Copies of (m, v) as float32 tensors; the caller disposes them. */
  read(): [tf.Tensor, tf.Tensor];
  /** Replace m and v (values are copied / quantised; the caller keeps ownership). */
  write(m: tf.Tensor, v: tf.Tensor): void;
  bytes(): number;
  /** Add this state to a checkpoint map under `${prefix}.exp_avg*` / `${prefix}.exp_avg_sq*`. */
  save(prefix: string, out: Map<string, StateTensor>): void;
  dispose(): void;
}

/**
 * Zero moments of a given shape, in float32 (`bits` 32) or block-wise 8-bit.
 *
 * @example
 * const mom = createMoments([16, 896], 8, 256);
 * const dir = mom.direction(grad, 0.9, 0.999, 1e-8, 1); // m / (sqrt(v) + eps)
 */
export function createMoments(shape: number[], bits: 8 | 32, blockSize = 256): AdamMoments {
  if (bits === 32) return new Float32Moments(shape, tf.keep(tf.zeros(shape)), tf.keep(tf.zeros(shape)));
  const n = shape.reduce((a, b) => a * b, 1);
  return new Blockwise8bitMoments(
    shape, quantizeBlockwise(new Float32Array(n), true, blockSize), quantizeBlockwise(new Float32Array(n), false, blockSize),
  );
}

/**
 * Moments back from a checkpoint written by `save(prefix, ...)`; the format
 * (float32 or 8-bit codes) is read from the names present.
 *
 * @example
 * const mom = loadMoments('model.layers.0.mlp.up_proj.weight', snapshot.tensors, 256);
 */
export function loadMoments(prefix: string, tensors: Map<string, StateTensor>, blockSize = 256): AdamMoments {
  const m = tensors.get(`${prefix}.exp_avg`);
  const v = tensors.get(`${prefix}.exp_avg_sq`);
  if (m && v) return new Float32Moments(m.shape.slice(), fromStateTensor(m), fromStateTensor(v));
  const mc = tensors.get(`${prefix}.exp_avg.codes`);
  const ma = tensors.get(`${prefix}.exp_avg.absmax`);
  const vc = tensors.get(`${prefix}.exp_avg_sq.codes`);
  const va = tensors.get(`${prefix}.exp_avg_sq.absmax`);
  if (!mc || !ma || !vc || !va) {
    throw new Error(`optimizer checkpoint lacks the moments of "${prefix}" (expected ${prefix}.exp_avg and `
      + `${prefix}.exp_avg_sq, or their 8-bit .codes/.absmax)`);
  }
  const blocks = Math.ceil(mc.data.length / blockSize);
  if (ma.data.length !== blocks) {
    throw new Error(`optimizer checkpoint: "${prefix}" has ${ma.data.length} absmax blocks, expected ${blocks} for block `
      + `size ${blockSize}: resume with the block size the checkpoint was written with`);
  }
  const q = (codes: StateTensor, absmax: StateTensor, signed: boolean): QuantizedBlocks => ({
    codes: Uint8Array.from(codes.data), absmax: Float32Array.from(absmax.data), blockSize, signed,
  });
  return new Blockwise8bitMoments(mc.shape.slice(), q(mc, ma, true), q(vc, va, false));
}

class Float32Moments implements AdamMoments {
  readonly bits = 32 as const;
  constructor(readonly shape: number[], private m: tf.Tensor, private v: tf.Tensor) {}

  direction(g: tf.Tensor, beta1: number, beta2: number, eps: number, vScale: number): tf.Tensor {
    const [m, v, dir] = tf.tidy(() => {
      const m = tf.add(tf.mul(this.m, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(g), 1 - beta2));
      const root = vScale === 1 ? tf.sqrt(v) : tf.div(tf.sqrt(v), vScale);
      return [m, v, tf.div(m, tf.add(root, eps))];
    });
    // the new moments go into the old buffers where the backend allows (wasm): states never move in the heap
    this.m = keepInPlace(this.m, m);
    this.v = keepInPlace(this.v, v);
    return dir;
  }

  read(): [tf.Tensor, tf.Tensor] { return [this.m.clone(), this.v.clone()]; }

  write(m: tf.Tensor, v: tf.Tensor): void {
    this.m.dispose(); this.v.dispose();
    this.m = tf.keep(m.clone()); this.v = tf.keep(v.clone());
  }

  bytes(): number { return (this.m.size + this.v.size) * 4; }

  save(prefix: string, out: Map<string, StateTensor>): void {
    out.set(`${prefix}.exp_avg`, toStateTensor(this.m));
    out.set(`${prefix}.exp_avg_sq`, toStateTensor(this.v));
  }

  dispose(): void { this.m.dispose(); this.v.dispose(); }
}

class Blockwise8bitMoments implements AdamMoments {
  readonly bits = 8 as const;
  constructor(readonly shape: number[], private m: QuantizedBlocks, private v: QuantizedBlocks) {}

  direction(g: tf.Tensor, beta1: number, beta2: number, eps: number, vScale: number): tf.Tensor {
    const grad = g.dataSync() as Float32Array;
    const n = grad.length;
    if (n !== this.m.codes.length) {
      throw new Error(`8-bit moments: gradient has ${n} values, state has ${this.m.codes.length}`);
    }
    const codeM = dynamicQuantMap(true); const codeV = dynamicQuantMap(false);
    const bs = this.m.blockSize;
    const out = new Float32Array(n);
    const mBuf = new Float64Array(bs); const vBuf = new Float64Array(bs);
    for (let b = 0, start = 0; start < n; b++, start += bs) {
      const end = Math.min(start + bs, n);
      const am = this.m.absmax[b]; const av = this.v.absmax[b];
      for (let i = start; i < end; i++) {
        const gi = grad[i];
        const m = beta1 * (codeM[this.m.codes[i]] * am) + (1 - beta1) * gi;
        const v = beta2 * (codeV[this.v.codes[i]] * av) + (1 - beta2) * gi * gi;
        mBuf[i - start] = m; vBuf[i - start] = v;
        out[i] = m / (Math.sqrt(v) / vScale + eps);
      }
      // the update above used the fresh moments; only the stored copy is quantised
      requantizeBlock(this.m, b, mBuf);
      requantizeBlock(this.v, b, vBuf);
    }
    return tf.tensor(out, g.shape, 'float32');
  }

  read(): [tf.Tensor, tf.Tensor] {
    return [tf.tensor(dequantizeBlockwise(this.m), this.shape), tf.tensor(dequantizeBlockwise(this.v), this.shape)];
  }

  write(m: tf.Tensor, v: tf.Tensor): void {
    this.m = quantizeBlockwise(m.dataSync() as Float32Array, true, this.m.blockSize);
    this.v = quantizeBlockwise(v.dataSync() as Float32Array, false, this.v.blockSize);
  }

  bytes(): number { return quantizedBytes(this.m) + quantizedBytes(this.v); }

  save(prefix: string, out: Map<string, StateTensor>): void {
    // codes are widened to float32 (exact for 0..255) because checkpoints hold F32 tensors
    out.set(`${prefix}.exp_avg.codes`, { shape: this.shape.slice(), data: Float32Array.from(this.m.codes) });
    out.set(`${prefix}.exp_avg.absmax`, { shape: [this.m.absmax.length], data: this.m.absmax.slice() });
    out.set(`${prefix}.exp_avg_sq.codes`, { shape: this.shape.slice(), data: Float32Array.from(this.v.codes) });
    out.set(`${prefix}.exp_avg_sq.absmax`, { shape: [this.v.absmax.length], data: this.v.absmax.slice() });
  }

  dispose(): void { /* plain JS arrays: nothing on the backend */ }
}
