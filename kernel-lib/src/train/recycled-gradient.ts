/**
 * A gradient buffer for one large weight that is reused from step to step
 * instead of allocated anew, so the wasm heap does not fragment.
 *
 * Why: Qwen2-0.5B's embedding (tied to lm_head) is 519 MiB. Allocated at
 * the end of every backward pass and freed after the update, such a buffer
 * leaves a hole of its size each step; the small tensors of the next step
 * split it, the next 519 MiB request does not fit any more and the heap
 * grows by that much (measured: +519 MiB at steps 1, 2 and 4 of a two-layer
 * model with that embedding).
 *
 * How: the recycler keeps a reference of its own on the buffer it handed
 * out (`BufferReference`: not a second tensor handle, so `tf.memory()`
 * counts the buffer once). Once the step is over and the caller has disposed its gradient, the
 * recycler is its only holder, and the next batch's gradient is zeroed and
 * accumulated in it: one buffer for the whole run, at one place in the heap
 * (the weight keeps its own: optimizers write it in place, `assignInPlace`).
 * A buffer something else still holds (an optimizer that kept it, or made
 * it the weight) is never reused: a fresh one is allocated. A reused buffer
 * forgets any packed matmul copy the backend kept of it.
 *
 * Wasm only: elsewhere a tensor's values cannot be written in place.
 */
import * as tf from '@tensorflow/tfjs';
import { BufferReference, forgetPackedCopies } from '../backend/wasm-buffers';
import { hostView } from '../model/primitives';

export class RecycledGradient {
  private held: BufferReference | null = null;

  /** @param weight the weight whose gradient this buffer holds. */
  constructor(private readonly weight: tf.Variable) {
    if (tf.getBackend() !== 'wasm') throw new Error(`RecycledGradient: needs the wasm backend, the backend in use is "${tf.getBackend()}"`);
    if (weight.dtype !== 'float32') throw new Error(`RecycledGradient: "${weight.name}" is ${weight.dtype}, expected float32`);
  }

  /**
   * A zeroed float32 tensor of the weight's shape for this batch's gradient,
   * owned by the caller (dispose it after the step as any gradient): the
   * previous batch's buffer when nothing else holds it any more, else a new
   * one. Write into it with `hostView` (take the view after the last
   * allocation: the heap may move when it grows).
   */
  take(): tf.Tensor {
    const prev = this.held;
    this.held = null;
    let out: tf.Tensor;
    if (prev && !prev.isBufferOf(this.weight) && prev.holders() === 1) {
      out = tf.keep(prev.toTensor()); // the caller's handle now carries our reference
      forgetPackedCopies(out);
      hostView(out).fill(0);
    } else {
      prev?.release();
      out = tf.keep(tf.zeros(this.weight.shape, 'float32'));
    }
    this.held = new BufferReference(out);
    return out;
  }

  /** Let go of the held buffer. */
  dispose(): void {
    this.held?.release();
    this.held = null;
  }
}
