/**
 * Evaluation by generation: predict-with-generate as LLaMA-Factory does it
 * (`generated_predictions.jsonl`, BLEU-4 / ROUGE averages) and case studies
 * that put several models' answers side by side; medical multiple-choice
 * exams (CMB / CMExam-style JSON) scored by each option's likelihood.
 */
export { generationItemFromRecord, readGenerationItems, type GenerationItem, type ReadGenerationItemsOptions } from './generation-items';
export {
  encodePrompt,
  llamaFactoryLabel,
  PREDICT_RESULTS_FILE,
  predictionLine,
  PREDICTIONS_FILE,
  readCompletedPredictions,
  type CompletedPredictions,
  type PredictionRow,
  type PromptOptions,
} from './prediction-rows';
export {
  PREDICT_SETTINGS_FILE,
  predictResultsJson,
  predictWithGenerate,
  type PredictProgress,
  type PredictSampling,
  type PredictWithGenerateOptions,
  type PredictWithGenerateResult,
} from './predict-with-generate';
export {
  CaseStudy,
  caseStudy,
  caseStudyFromPredictions,
  questionOfPrompt,
  runCaseStudy,
  type CaseStudyFromPredictionsOptions,
  type CaseStudyInput,
  type CaseStudyModel,
  type CaseStudyRow,
  type RunCaseStudyOptions,
} from './case-study';
export { displayWidth, wrapText } from './text-wrap';
export {
  loadMultipleChoice,
  multipleChoiceFromRecord,
  readMultipleChoice,
  type ChoiceOption,
  type MultipleChoiceQuestion,
} from './multiple-choice';
export {
  clozePrompt,
  continuationLogProbs,
  multipleChoicePrompt,
  scoreMultipleChoice,
  sequenceLogProbs,
  type ScoredPair,
  type MultipleChoiceOptions,
  type MultipleChoiceResult,
  type QuestionScore,
  type TokenEncoder,
} from './multiple-choice-scoring';
