import * as tf from '@tensorflow/tfjs';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { tinyConfig } from '../helpers/tiny-config';

/** A tiny random Qwen2 (2 layers, hidden 32, q/k/v biases). */
export function tinyModel(seed = 1, overrides: Record<string, unknown> = {}): Qwen2ForCausalLM {
  return Qwen2ForCausalLM.init(tinyConfig(overrides), seed);
}

export const IDS = Int32Array.from([3, 17, 42, 5, 88, 1, 60, 9]);

/** Logits of IDS as a plain array (batch 1). */
export function logits(model: Qwen2ForCausalLM, ids: Int32Array = IDS): Float32Array {
  return tf.tidy(() => model.forward(ids, 1, ids.length).dataSync() as Float32Array).slice();
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Copy of every base weight's values. */
export function weightValues(model: Qwen2ForCausalLM): Map<string, Float32Array> {
  return new Map([...model.weights].map(([n, v]) => [n, (v.dataSync() as Float32Array).slice()]));
}
