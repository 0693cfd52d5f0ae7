/**
 * Parameter-efficient fine-tuning: the LoRA family (LoRA, rsLoRA, DoRA,
 * PiSSA init), PEFT-format adapter folders, PEFT's trainable-parameter line
 * and the command line's LoRA flags.
 *
 * @example
 * const adapter = loraAdapter(model, { r: 8, lora_alpha: 16, target_modules: 'all-linear' });
 * await trainModel(adapter.trainingModel(), adamW(), examples, { steps: 50, batchSize: 4, seqLen: 256, lr: 2e-4 });
 * await saveAdapter(adapter, 'out/lora');
 */
export {
  ALL_LINEAR, QWEN2_DEFAULT_TARGET_MODULES, isLoraInit, isPissa, loraScaling, pissaIterations, resolveLoraConfig,
  type LoraConfig, type LoraInit, type LoraOptions,
} from './lora-config';
export { linearModuleNames, patternValue, selectTargetModules } from './target-modules';
export { gaussianMatrix32, initialLoraFactors, kaimingUniform, kaimingUniformBound, pissaFactors, type LoraFactors } from './lora-init';
export { seededDropout } from './dropout';
export { detached, doraMergedWeight, doraUnmergedWeight, doraWeightNorm } from './dora';
export { LoraLayer, PEFT_PREFIX, loraTensorNames, type LoraBase, type LoraLayerOptions, type LoraTensorNames } from './lora-layer';
export { LoraAdapter, attachedAdapter, loraAdapter } from './lora-adapter';
export { adapterTrainingView, type TrainableAdapter } from './training-view';
export {
  formatTrainableParameters, loraParameterCount, loraParameterCounts, type ParameterCounts,
} from './parameter-report';
export {
  ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, adapterConfigJson, loadAdapter, readAdapterConfig, saveAdapter,
  type LoadAdapterOptions, type SaveAdapterOptions,
} from './adapter-io';
export { LORA_FLAGS, attachLoraFromFlags, loraOptionsFromFlags, type AttachedLora } from './lora-flags';
