/**
 * One comparison row: set up a configuration (method x parts), train it,
 * answer the test questions, count its parameters, and put the model back
 * exactly as it was (weights restored, method detached), so configurations
 * run one after another on the same starting point.
 */
import type { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { applyTuning, trainableParameterReport, TuningConfig, tuningLabel, TrainableParameterReport } from './tuning-methods';
import type { VisionLanguageModel } from './vlm-model';
import type { VqaExample } from './vqa-examples';
import { evaluateVqa, GenerateAnswersOptions, VqaEvaluation } from './vqa-generate';
import { trainVqa, VqaStepRecord, VqaTrainOptions } from './vqa-train';

/** The result of one configuration. */
export interface VqaRunResult {
  label: string;
  config: TuningConfig;
  parameters: TrainableParameterReport;
  log: VqaStepRecord[];
  trainMs: number;
  evaluation: VqaEvaluation;
}

/**
 * Train and evaluate one configuration from the model's current weights,
 * then restore them. `lr` may differ per configuration (adapters usually
 * want a larger one than full fine-tuning).
 *
 * @example
 * const row = await runVqaConfiguration(vlm, tokenizer, train, test, { method: 'ia3', parts: ['vision'] },
 *   { steps: 40, batchSize: 16, lr: 1e-2, padId: tokenizer.padTokenId });
 * row.evaluation.scores.closedAccuracy;
 */
export async function runVqaConfiguration(
  vlm: VisionLanguageModel, tokenizer: Qwen2Tokenizer, train: readonly VqaExample[], test: readonly VqaExample[],
  config: TuningConfig, options: VqaTrainOptions, generation: GenerateAnswersOptions = {},
): Promise<VqaRunResult> {
  const snapshot = vlm.weightSnapshot();
  const applied = applyTuning(vlm, config);
  try {
    const parameters = trainableParameterReport(vlm);
    const { log, wallMs } = await trainVqa(vlm, applied.optimizer, train, options);
    const evaluation = evaluateVqa(vlm, tokenizer, test, generation);
    return { label: tuningLabel(config), config, parameters, log, trainMs: wallMs, evaluation };
  } finally {
    applied.undo();
    vlm.restoreWeights(snapshot);
  }
}
