/**
 * How the trainer trains an adapter without knowing about adapters: a view of
 * the model whose `trainableParams()` lists the adapter's variables (plus any
 * base weight left unfrozen) and whose `weights` include them, so
 * `trainModel`, `saveCheckpoint` and `loadCheckpoint` handle them like any
 * weight. Everything else (forward, loss, config) is the model itself.
 */
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { TrainableParam } from '../optim/optimizer';

/** What a view needs from an adapter. */
export interface TrainableAdapter {
  trainableParams(): TrainableParam[];
  dispose(): void;
}

/**
 * A training view of `model` with `adapter`'s parameters (see the module
 * comment). Checkpoints written through it hold the base weights and the
 * adapter tensors (PEFT names), so `--resume` restores both. `dispose()` on
 * the view frees the adapter and the model.
 *
 * @example
 * const view = adapterTrainingView(model, adapter);
 * await trainModel(view, adamW(), examples, { steps: 10, batchSize: 2, seqLen: 64, lr: 1e-4 });
 */
export function adapterTrainingView(model: Qwen2ForCausalLM, adapter: TrainableAdapter): Qwen2ForCausalLM {
  const view = Object.create(model) as Qwen2ForCausalLM;
  const weights = new Map(model.weights);
  for (const p of adapter.trainableParams()) {
    if (weights.has(p.name)) throw new Error(`adapterTrainingView: adapter parameter "${p.name}" clashes with a model weight`);
    weights.set(p.name, p.variable);
  }
  Object.defineProperty(view, 'weights', { value: weights, enumerable: true });
  Object.defineProperty(view, 'trainableParams', {
    value: (): TrainableParam[] => [...model.trainableParams(), ...adapter.trainableParams()],
  });
  Object.defineProperty(view, 'dispose', {
    value: (): void => { adapter.dispose(); model.dispose(); },
  });
  return view;
}
