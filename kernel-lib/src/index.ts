/**
 * galore-lab: Qwen2-architecture language models, full fine-tuning, GaLore
 * and LoRA in TensorFlow.js, for notebooks and the command line.
 *
 * @example
 * import { loadPretrained, generate, tinyBasePath } from 'galore-lab';
 * const { model, tokenizer } = await loadPretrained(tinyBasePath());
 */

// backend
export { initBackend, backendReport } from './backend/select-backend';
export type { BackendChoice, BackendReport, BackendAttempt } from './backend/select-backend';

// model
export { parseQwen2Config, readQwen2Config, weightShapes, parameterCount, headDim } from './model/config';
export type { Qwen2Config } from './model/config';
export { Qwen2ForCausalLM, shiftLabels, LINEAR_MODULES } from './model/causal-lm';
export type { KVCache, WeightData, LayerContext, LossOptions } from './model/causal-lm';
export type { Projection } from './model/attention';
export { matmul2d, linear, embeddingLookup, crossEntropy } from './model/primitives';
export { chunkedCrossEntropy, lmHeadLossForward, lmHeadLossBackward } from './model/chunked-lm-loss';
export type { ChunkedLossForward, GradientRows } from './model/chunked-lm-loss';
export { RecycledGradient } from './train/recycled-gradient';
export { assignInPlace, bufferHolders, bufferVersion, BufferReference, forgetPackedCopies, keepInPlace, overwrite, reserveTensorTable, TENSOR_TABLE_ENTRIES, writableInPlace } from './backend/wasm-buffers';
export { generate, processLogits } from './model/generation';
export type { GenerateOptions, GenerateResult } from './model/generation';
export { loadPretrained, savePretrained } from './model/model-folder';
export type { PretrainedModel, SavePretrainedOptions } from './model/model-folder';

// tokenizer
export { Qwen2Tokenizer } from './tokenizer/tokenizer';
export { applyChatTemplate, encodeChat, QWEN2_DEFAULT_SYSTEM } from './tokenizer/chat-template';
export type { ChatMessage, ChatTemplateOptions, EncodedChat } from './tokenizer/chat-template';
export { trainByteLevelBpe, qwen2TokenizerConfig, byteToUnicodeTable, preTokenize } from './tokenizer/byte-level-bpe';

// weights on disk
export {
  readSafetensorsHeader, readSafetensors, openSafetensors, writeSafetensors,
} from './io/safetensors';
export type { NamedTensorData, TensorToWrite, SafetensorsReader, ReadSafetensorsOptions, WriteSafetensorsOptions } from './io/safetensors';
export { SafetensorsError } from './io/safetensors-error';
export { loadModelWeights, saveModelWeights, listModelWeightNames, readModelWeightIndex } from './io/model-weights';
export { requireTensors } from './io/require-tensors';
export {
  float32ToFloat16Bits, float16BitsToFloat32, float32ToBfloat16Bits, bfloat16BitsToFloat32,
} from './io/float-bits';

// training
export { readSftJsonl, tokenizeRecord, detectSftFormat } from './data/sft-examples';
export type { SftExample, SftFormat } from './data/sft-examples';
export { BatchStream, collate } from './data/batching';
export type { Batch, DataPosition } from './data/batching';
export { trainModel } from './train/trainer';
export type { TrainOptions, StepRecord, TrainResult } from './train/trainer';
export { learningRate } from './train/lr-schedule';
export type { SchedulerName } from './train/lr-schedule';
export { clipGradNorm } from './train/grad-clip';
export { saveCheckpoint, loadCheckpoint, latestCheckpoint } from './train/checkpoint';
export { sampleMemory } from './train/memory-probe';
export type { MemorySample } from './train/memory-probe';
export { preflightCheck, backendCapacity, parseByteSize, WASM_HEAP_LIMIT_BYTES } from './train/preflight';
export type { PreflightResult, BackendCapacity } from './train/preflight';
export { checkpointedGradientEngine } from './train/checkpointed-gradients';
export type { CheckpointedGradientOptions } from './train/checkpointed-gradients';
export { evaluateNll, evalCommand, EVAL_USAGE } from './cli/eval-command';

// predict-with-generate and case studies
export * from './eval';
export { localGradientEngine } from './train/gradient-engine';
export { parallelGradientEngine, suggestedGradientWorkers, assertPlainModel } from './train/parallel-gradients';
export type { ParallelGradientOptions } from './train/parallel-gradients';
export type { GradientEngine, BatchGradients } from './train/gradient-engine';

// optimizers
export { adamW, AdamW } from './optim/adamw';
export type { Optimizer, OptimizerSnapshot, TrainableParam, StateTensor } from './optim/optimizer';
export { galoreAdamW, GaLoreAdamW } from './optim/galore-adamw';
export type { GaLoreParamInfo } from './optim/galore-adamw';
export { resolveGaLoreOptions } from './optim/galore-options';
export type { GaLoreAdamWOptions, MomentsOnRefresh } from './optim/galore-options';
export { GaLoreProjector, projectionSide, PROJ_TYPES } from './optim/galore-projector';
export type { ProjType, ProjectionSide, ProjectorConfig } from './optim/galore-projector';
export { adamW8bit, AdamW8bit } from './optim/adamw-8bit';
export type { AdamW8bitOptions } from './optim/adamw-8bit';
export { quantizeBlockwise, dequantizeBlockwise, dynamicQuantMap, BLOCK_SIZES } from './optim/quantize-blockwise';
export type { QuantizedBlocks, BlockSize } from './optim/quantize-blockwise';
export { splitGaloreParams, matchesGaloreTarget, parseGaloreTarget, DECODER_LINEAR_WEIGHTS } from './optim/param-groups';
export type { GaloreTarget } from './optim/param-groups';
export { subspaceOverlap, energyFraction } from './optim/subspace-stats';
export type { SubspaceStats } from './optim/subspace-stats';
export { truncatedSvd, exactTruncatedSvd } from './linalg/truncated-svd';
export { randomizedSvd } from './linalg/randomized-svd';
export type { RandomizedSvdOptions } from './linalg/randomized-svd';
export { disposeSvd } from './linalg/svd-types';
export type { TruncatedSvd, SvdMethod, SingularSide } from './linalg/svd-types';
export { jacobiSvd } from './linalg/exact-svd';

// parameter-efficient fine-tuning (LoRA family)
export * from './peft';

// LoRA mixture-of-experts (SparseDoctor) and multiple-choice evaluation
export * from './moe';

// sequence classification heads on a decoder (adapter heads under data limits)
export * from './classify';

// small vision-language model and multimodal PEFT (medical VQA)
export * from './vlm';

// memory ledger
export { memoryLedger, LEDGER_METHODS } from './memory/memory-ledger';
export type { MemoryLedger, MemoryLedgerOptions, LedgerMethod, LedgerOptimizer, ParameterLedgerRow, OptimizerStateBreakdown, LedgerPhases } from './memory/memory-ledger';
export { momentBytes, momentParts, adamWStateBytes, galoreStateLayout, galoreStateBytes, DEFAULT_8BIT_LAYOUT } from './memory/optimizer-state-bytes';
export type { Blockwise8bitLayout } from './memory/optimizer-state-bytes';
export { activationBytes } from './memory/activation-bytes';
export { optimizerStepWorkspaceBytes, checkpointedPhases } from './memory/step-phases';
export type { CheckpointedPhases, SteppedWeight } from './memory/step-phases';
export type { ActivationBytes } from './memory/activation-bytes';
export { ledgerTable, parameterTable } from './memory/ledger-table';
export { galorePaperComparison, paperComparisonTable, GALORE_PAPER_REDUCTION } from './memory/paper-comparison';
export { QWEN2_0_5B_INSTRUCT, LLAMA_7B_SHAPE, REFERENCE_CONFIGS } from './memory/reference-configs';
export { trackBackendBuffers } from './memory/buffer-tracker';

// notebook display and comms (works in the GaLore Lab kernel, degrades in stock tslab)
export * from './display';

// live training telemetry (dashboard, status bar, side panel in the JupyterLab extension)
export * from './telemetry';

// metrics, data
export * from './metrics';
export * from './data';

// reproduction: HTML report, LLaMA-Factory recipes and imported runs
export * from './reproduce';

// embedded default
export { tinyBasePath, datasetSplitPath, TINY_BASE_CONFIG } from './tiny/tiny-base';
export { readGeneralCorpus, generalCorpusPath, parseCorpusMarkdown, GENERAL_CORPUS_LANGUAGES } from './tiny/general-corpus';
export type { CorpusDocument } from './tiny/general-corpus';
export { findLongOverlaps } from './tiny/text-overlap';
export type { OverlapOptions, TextOverlap } from './tiny/text-overlap';

// utilities
export { seededRandom, seededPermutation } from './util/random';
export {
  writeFileAtomic, writeFileAtomicSync, replaceDirAtomic, makeSiblingTempDir, appendLineDurable, appendLineDurableSync,
} from './util/atomic-write';
export { progressBar } from './util/progress-bar';

// command line
export { runCli } from './cli/main';
