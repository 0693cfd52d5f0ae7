/**
 * A small vision-language model (patch encoder -> projector -> Qwen2
 * decoder) and parameter-efficient tuning of any of its parts for medical
 * VQA: LoRA, IA3, prefix tuning, P-tuning v2, against full fine-tuning and
 * GaLore; Slake / VQA-RAD loaders, a synthetic medical-VQA set, and the
 * benchmarks' metrics.
 *
 * @example
 * const { model: lm, tokenizer } = await loadPretrained(tinyBasePath());
 * const vlm = new VisionLanguageModel(defaultVlmConfig(), lm, { seed: 7 });
 * const dir = syntheticMedVqaPath();
 * const read = (split: string) => buildVqaExamples(readSlakeJson(`${dir}/${split}.json`, `${dir}/imgs`), tokenizer!, vlm.config.vision);
 * const row = await runVqaConfiguration(vlm, tokenizer!, read('train'), read('test'), { method: 'lora', parts: ['vision'] },
 *   { steps: 40, batchSize: 16, lr: 5e-3, padId: tokenizer!.padTokenId });
 * console.log(row.parameters.line, row.evaluation.scores);
 */
export { decodeImage, imageFormat, imageInput, loadImageInput, readImageFile, toChannels } from './image-decode';
export type { ImageFormat, ImageInputOptions, ImagePlanes } from './image-decode';
export { resampleTaps, resizePlanes } from './image-resize';
export type { ResampleTaps, ResizeMethod } from './image-resize';
export {
  defaultVlmConfig, imageTokenCount, initVlmWeights, patchCount, validateProjectorConfig, validateVisionConfig, vlmWeightShapes, VISION_LINEAR_MODULES,
} from './vlm-config';
export type { ImagePlacement, ProjectorConfig, VisionConfig, VlmConfig } from './vlm-config';
export { combinedLabels, combinedRowOrder, combinedTextRow } from './sequence-layout';
export { AdapterHooks, MODEL_PARTS, partOf } from './adapter-hooks';
export type { ModelPart, PrefixKeyValues, PrefixSource, ProjectionWrapper } from './adapter-hooks';
export { pickRows, prependPerSequence } from './sequence-ops';
export { bidirectionalAttention } from './vision-attention';
export type { VisionAttentionShape } from './vision-attention';
export { gelu, hookedLinear, patchify, visionEncoder } from './vision-encoder';
export type { VisionWeights } from './vision-encoder';
export { mergeOrder, mergePatches, projectImageFeatures } from './projector';
export { decoderHiddenStates, decoderProjection, disposeDecoderCache, newDecoderCache } from './decoder-pass';
export type { DecoderCache } from './decoder-pass';
export { paramPart, VisionLanguageModel } from './vlm-model';
export type { VlmAdapter } from './vlm-model';
export { attentionShape, matchesModule, partLinearModules } from './vlm-modules';
export { attachVlmLora } from './peft-lora';
export type { VlmLoraOptions } from './peft-lora';
export { attachIa3 } from './peft-ia3';
export type { Ia3Options } from './peft-ia3';
export { attachPrefixTuning } from './peft-prefix';
export type { PrefixTuningOptions } from './peft-prefix';
export { applyTuning, trainableParameterReport, tuningLabel, TUNING_METHODS } from './tuning-methods';
export type { AppliedTuning, TrainableParameterReport, TuningConfig, TuningMethod } from './tuning-methods';
export { readSlakeJson, readVqaRadJson } from './vqa-data';
export type { AnswerType, SlakeReadOptions, VqaReadOptions, VqaRecord } from './vqa-data';
export { readScanFacts, renderScan, SCAN_LEVELS, SCAN_NOISE } from './synthetic-scan';
export type { ScanFacts } from './synthetic-scan';
export {
  encodeGrayPng, generateSyntheticMedVqa, slakeJsonText, syntheticMedVqaPath, SYNTHETIC_QUESTION_TEMPLATES, writeSyntheticMedVqa,
} from './synthetic-med-vqa';
export type { SlakeRow, SyntheticMedVqa, SyntheticMedVqaOptions, SyntheticScan } from './synthetic-med-vqa';
export { buildVqaExamples, collateVqa, plainVqaPrompt, vqaPrompt } from './vqa-examples';
export type { VqaBatch, VqaExample, VqaExampleOptions } from './vqa-examples';
export { answerRecall, normalizeAnswer, vqaScores } from './vqa-metrics';
export type { VqaPrediction, VqaScores } from './vqa-metrics';
export { trainVqa, vqaBatches } from './vqa-train';
export type { VqaStepRecord, VqaTrainOptions, VqaTrainResult } from './vqa-train';
export { evaluateVqa, generateAnswers } from './vqa-generate';
export type { GenerateAnswersOptions, VqaEvaluation } from './vqa-generate';
export { runVqaConfiguration } from './vqa-experiment';
export type { VqaRunResult } from './vqa-experiment';
