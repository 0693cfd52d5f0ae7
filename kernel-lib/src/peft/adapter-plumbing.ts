/**
 * What every adapter that wraps a model's linear modules does alike (LoRA's
 * `LoraAdapter`, the LoRA-MoE's `LoraMoeAdapter`): freeze the base weights and
 * give them back, take its layers out of the model, count parameters as PEFT
 * does, and copy its tensors for saving.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { TrainableParam } from '../optim/optimizer';
import type { ParameterCounts } from './parameter-report';

/** A layer an adapter put on one linear module. */
export interface WrappingLayer {
  readonly moduleName: string;
  /** The layer's trainable scalars. */
  parameterCount(): number;
  dispose(): void;
}

/** The base weights an adapter froze; `restore()` makes them trainable again. */
export interface FrozenBase {
  restore(): void;
}

/**
 * Freezes every trainable base weight of `model` (through `model.freeze`, and
 * any variable still marked trainable) and remembers which, so that
 * `restore()` unfreezes exactly those.
 *
 * @example
 * const frozen = freezeBaseWeights(model);
 * model.trainableParams().length; // 0
 * frozen.restore();
 */
export function freezeBaseWeights(model: Qwen2ForCausalLM): FrozenBase {
  const frozenNames = model.trainableParams().map((p) => p.name);
  model.freeze(frozenNames);
  const madeUntrainable: tf.Variable[] = [];
  for (const v of model.weights.values()) {
    if (v.trainable) { v.trainable = false; madeUntrainable.push(v); }
  }
  return {
    restore: () => {
      model.unfreeze(frozenNames);
      for (const v of madeUntrainable) v.trainable = true;
    },
  };
}

/**
 * Takes the layers out of the model (plain linear modules again) and frees
 * their variables.
 *
 * @example
 * detachLayers(model, adapter.layers);
 */
export function detachLayers(model: Qwen2ForCausalLM, layers: readonly WrappingLayer[]): void {
  for (const l of layers) {
    model.setProjection(l.moduleName, null);
    l.dispose();
  }
}

/**
 * PEFT's counts for a model carrying `layers`: trainable = the layers plus any
 * base weight left unfrozen, all = base + layers.
 *
 * @example
 * formatTrainableParameters(adapterParameterCounts(model, adapter.layers));
 */
export function adapterParameterCounts(model: Qwen2ForCausalLM, layers: readonly WrappingLayer[]): ParameterCounts {
  const adapter = layers.reduce((n, l) => n + l.parameterCount(), 0);
  let base = 0;
  for (const v of model.weights.values()) base += v.size;
  const unfrozen = model.trainableParams().reduce((n, p) => n + p.variable.size, 0);
  return { trainable: adapter + unfrozen, all: base + adapter };
}

/**
 * Copies of the parameters' values under their names, ready to write (each
 * is a valid `TensorToWrite`).
 *
 * @example
 * await writeSafetensors(file, tensorCopies(adapter.trainableParams()));
 */
export function tensorCopies(params: readonly TrainableParam[]): { name: string; shape: number[]; data: Float32Array }[] {
  return params.map((p) => ({
    name: p.name, shape: p.variable.shape.slice(), data: Float32Array.from(p.variable.dataSync() as Float32Array),
  }));
}
