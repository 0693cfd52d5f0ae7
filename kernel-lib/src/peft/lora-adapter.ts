/**
 * `loraAdapter(model, options)`: wrap a model's linear modules with LoRA
 * (optionally rsLoRA scaling, DoRA, PiSSA init), freeze the base weights and
 * expose the adapter's variables for training, as PEFT's `get_peft_model`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import type { TrainableParam } from '../optim/optimizer';
import type { TensorToWrite } from '../io/safetensors';
import { seededRandom } from '../util/random';
import { LoraConfig, LoraOptions, isPissa, loraScaling, resolveLoraConfig } from './lora-config';
import { initialLoraFactors } from './lora-init';
import { LoraLayer } from './lora-layer';
import { FrozenBase, adapterParameterCounts, detachLayers, freezeBaseWeights, tensorCopies } from './adapter-plumbing';
import { ParameterCounts, formatTrainableParameters } from './parameter-report';
import { linearModuleNames, patternValue, selectTargetModules } from './target-modules';
import { adapterTrainingView } from './training-view';

const attached = new WeakMap<Qwen2ForCausalLM, LoraAdapter>();
let adapterCounter = 0;

/**
 * Attach a LoRA adapter to `model` (PEFT's defaults: r 8, lora_alpha 8, no
 * dropout, q_proj and v_proj). The model's forward now includes the adapter;
 * its base weights are frozen. Train with
 * `trainModel(adapter.trainingModel(), optimizer, examples, options)`.
 *
 * @example
 * const adapter = loraAdapter(model, { r: 8, lora_alpha: 16, lora_dropout: 0.05, target_modules: 'all-linear' });
 * console.log(adapter.trainableParametersReport());
 * await trainModel(adapter.trainingModel(), adamW(), examples, { steps: 100, batchSize: 4, seqLen: 256, lr: 1e-4 });
 * adapter.eval();
 */
export function loraAdapter(model: Qwen2ForCausalLM, options: LoraOptions = {}): LoraAdapter {
  return new LoraAdapter(model, resolveLoraConfig(options));
}

/**
 * The adapter attached to a model by `loraAdapter` or `loadAdapter`, if any.
 *
 * @example
 * attachedAdapter(model)?.unload(); // back to the plain model
 */
export function attachedAdapter(model: Qwen2ForCausalLM): LoraAdapter | undefined {
  return attached.get(model);
}

/**
 * A LoRA adapter living on a model: one `LoraLayer` per wrapped module.
 * Dropout is on while `training` is true (the default, like a PyTorch module);
 * call `eval()` before evaluating or generating.
 */
export class LoraAdapter {
  readonly model: Qwen2ForCausalLM;
  readonly config: LoraConfig;
  /** Wrapped modules in forward order. */
  readonly layers: LoraLayer[] = [];
  /** Dropout on (training) or off (eval). */
  training = true;
  private readonly frozenBase: FrozenBase;
  private unloaded = false;

  constructor(model: Qwen2ForCausalLM, config: LoraConfig) {
    if (attached.has(model)) throw new Error('loraAdapter: this model already has a LoRA adapter; call adapter.unload() (or mergeAndUnload()) first');
    this.model = model;
    this.config = config;
    const modules = selectTargetModules(linearModuleNames(model.config), config.target_modules, config.exclude_modules);
    const plan = modules.map((m) => {
      const r = patternValue(config.rank_pattern, m, config.r);
      const alpha = patternValue(config.alpha_pattern, m, config.lora_alpha);
      const weight = model.weights.get(`${m}.weight`);
      if (!weight) throw new Error(`loraAdapter: the model has no weight "${m}.weight"`);
      const [out, inp] = weight.shape as [number, number];
      if (isPissa(config.init_lora_weights) && r > Math.min(out, inp)) {
        throw new Error(`loraAdapter: PiSSA rank ${r} for "${m}" exceeds min(out, in) = ${Math.min(out, inp)}`);
      }
      return { m, r, alpha, weight, bias: model.weights.get(`${m}.bias`), scaling: loraScaling(alpha, r, config.use_rslora) };
    });
    const prefix = `lora_${++adapterCounter}`;
    const initRng = seededRandom(config.seed);
    try {
      plan.forEach(({ m, r, alpha, weight, bias, scaling }, i) => {
        const factors = initialLoraFactors(weight as unknown as tf.Tensor2D, r, scaling, config.init_lora_weights, initRng);
        try {
          if (factors.residual) weight.assign(factors.residual);
          const layer = new LoraLayer({ moduleName: m, weight, bias }, {
            r, alpha, scaling, dropout: config.lora_dropout, useDora: config.use_dora,
            A: factors.A, B: factors.B, rng: seededRandom(config.seed + 7919 * (i + 1)), variablePrefix: prefix,
          });
          this.layers.push(layer);
          model.setProjection(m, layer.projection(() => this.training));
        } finally {
          factors.A.dispose(); factors.B.dispose(); factors.residual?.dispose();
        }
      });
    } catch (e) {
      detachLayers(model, this.layers);
      throw e;
    }
    this.frozenBase = freezeBaseWeights(model);
    attached.set(model, this);
  }

  /** The adapter's variables (A, B, DoRA magnitude per module), under PEFT's saved names. */
  trainableParams(): TrainableParam[] {
    return this.layers.flatMap((l) => l.params());
  }

  /** Dropout on (default). */
  train(on = true): this { this.training = on; return this; }
  /** Dropout off. */
  eval(): this { this.training = false; return this; }

  /** True once `merge()` has folded the adapter into the base weights. */
  get merged(): boolean { return this.layers.length > 0 && this.layers[0].merged; }

  /** Fold every adapter into its base weight; the forward then skips the adapter. */
  merge(): void { for (const l of this.layers) l.merge(); }

  /** Take the adapters back out of the base weights. */
  unmerge(): void { for (const l of this.layers) l.unmerge(); }

  /**
   * Remove the adapter: plain linear modules again, base weights unfrozen, the
   * adapter's variables freed. Base weights keep what they hold (merged values
   * after `merge()`, PiSSA's residual), as PEFT's `unload()`.
   */
  unload(): void {
    if (this.unloaded) return;
    detachLayers(this.model, this.layers);
    this.frozenBase.restore();
    attached.delete(this.model);
    this.unloaded = true;
  }

  /** Merge, then unload: the model is a plain model with the fine-tuned weights. */
  mergeAndUnload(): Qwen2ForCausalLM {
    this.merge();
    this.unload();
    return this.model;
  }

  /** Trainable parameters (adapter plus any base weight left unfrozen) and all parameters (base + adapter). */
  parameterCounts(): ParameterCounts {
    return adapterParameterCounts(this.model, this.layers);
  }

  /** PEFT's `print_trainable_parameters` line. */
  trainableParametersReport(): string {
    return formatTrainableParameters(this.parameterCounts());
  }

  /**
   * The model as the trainer should see it: same forward, `trainableParams()`
   * = the adapter's variables, checkpoints include them (see `adapterTrainingView`).
   */
  trainingModel(): Qwen2ForCausalLM {
    return adapterTrainingView(this.model, this);
  }

  /** Copies of the adapter tensors under PEFT's saved names. */
  tensors(): TensorToWrite[] {
    return tensorCopies(this.trainableParams());
  }

  /** Same as `unload()`. */
  dispose(): void { this.unload(); }
}
