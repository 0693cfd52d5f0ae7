/**
 * The reproduction's outputs and its bridge to LLaMA-Factory: the
 * `results.json` shape, `report.html`, recipe export and run import.
 */
export {
  checkReproductionResults,
  readReproductionResults,
  type EvalLoss,
  type LedgerParts,
  type ReproductionResults,
  type ReproductionRun,
  type RunMetrics,
  type SampleAnswers,
} from './results';
export {
  jsonForScript,
  plotlyBundleSource,
  renderReproductionReport,
  reproductionCharts,
  scriptSafe,
  writeReproductionReport,
  type ReportChart,
  type ReproductionReportOptions,
  type WrittenReport,
} from './report-html';
export { flatYaml, parseFlatYaml, resolvePlainScalar, yamlNumber, yamlScalar, type YamlLine, type YamlScalar } from './flat-yaml';
export {
  DEEPSPEED_ZERO2_CONFIG,
  defaultRecipeOptions,
  llamaFactoryPredictYaml,
  llamaFactoryReadme,
  llamaFactoryTrainYaml,
  RECIPE_METHODS,
  RECIPE_PROJ_TYPES,
  writeLlamaFactoryRecipe,
  type LlamaFactoryRecipeOptions,
  type RecipeMethod,
  type WrittenRecipe,
} from './llamafactory-recipe';
export { parsePythonTimedelta, parseTrainerLog, type TrainerLogEntry } from './trainer-log';
export {
  importLlamaFactoryRun,
  mergeImportedRun,
  methodFromLlamaFactoryConfig,
  type ImportedPrediction,
  type ImportedRun,
  type ImportRunOptions,
} from './import-run';
