/**
 * LoRA mixture of experts with contrastive routing (SparseDoctor): several
 * LoRA experts per linear module behind a token-level top-k router, a
 * load-balancing loss, a contrastive loss that supervises the router and an
 * expert memory queue of past representations; saved and loaded as a folder.
 *
 * @example
 * const moe = loraMoE(model, { num_experts: 4, top_k: 2, r: 4, target_modules: ['gate_proj', 'up_proj', 'down_proj'] });
 * await trainModel(moe.trainingModel(), adamW(), examples, { steps: 50, batchSize: 4, seqLen: 128, lr: 1e-3 });
 * await saveLoraMoE(moe, 'out/lora-moe');
 */
export { LORA_MOE_DEFAULT_TARGETS, LORA_MOE_OPTION_NAMES, resolveLoraMoeConfig, type LoraMoeConfig, type LoraMoeOptions } from './moe-config';
export {
  expertBlockMatrix, loadBalancingLoss, loadShares, routingEntropy, topKGates, topKMask, type TopKChoice,
} from './routing';
export { ExpertMemoryQueue, supervisedContrastiveLoss, unitRows, type QueueContents } from './contrastive';
export {
  LoraMoeLayer, loraMoeTensorNames, type LoraMoeLayerOptions, type LoraMoeTensorNames, type RoutedForward,
} from './moe-layer';
export {
  layerEntropy, layerLoadRanked, layerOfModule, mergeRoutingStats, type ExpertRoutingStats, type ModuleRouting,
} from './routing-stats';
export { LoraMoeAdapter, attachedLoraMoE, loraMoE, type LoraMoeTrainingModel } from './lora-moe-adapter';
export {
  LORA_MOE_CONFIG_FILE, LORA_MOE_WEIGHTS_FILE, loadLoraMoE, loraMoeTensorsToSave, readLoraMoeConfig, saveLoraMoE,
  type SaveLoraMoeOptions,
} from './moe-io';
