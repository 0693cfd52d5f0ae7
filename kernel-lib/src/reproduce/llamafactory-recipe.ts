/**
 * The same experiment on a GPU cluster: a LLaMA-Factory recipe folder with
 * training and prediction YAMLs whose settings equal galore-lab's, the
 * sports-injury splits as LLaMA-Factory data sets (`data/dataset_info.json`),
 * and a README with the `llamafactory-cli` / `torchrun` / DeepSpeed commands.
 *
 * Option names follow LLaMA-Factory (`finetuning_args.py`: `galore_rank`,
 * `galore_update_interval`, `galore_scale`, `galore_proj_type`,
 * `galore_target`, `lora_rank`, `lora_alpha`, `lora_dropout`, `lora_target`)
 * and Hugging Face `TrainingArguments`. Where galore-lab's default differs
 * from LLaMA-Factory's, the value is written explicitly with a comment.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SchedulerName } from '../train/lr-schedule';
import { exportForLlamaFactory } from '../data/alpaca-sharegpt';
import { assertNoIssues } from '../data/issues';
import { loadQaJsonl } from '../data/jsonl';
import { writeFileAtomic } from '../util/atomic-write';
import { flatYaml, yamlScalar, YamlLine, YamlScalar } from './flat-yaml';

/**
 * The fine-tuning methods a recipe can describe.
 *
 * @example
 * const method: RecipeMethod = 'galore';
 */
export type RecipeMethod = 'full' | 'lora' | 'galore';

/**
 * Every `RecipeMethod`, in the order `--method all` writes them.
 *
 * @example
 * RECIPE_METHODS.map((m) => `${m}_sft.yaml`); // ['full_sft.yaml', 'lora_sft.yaml', 'galore_sft.yaml']
 */
export const RECIPE_METHODS: readonly RecipeMethod[] = ['full', 'lora', 'galore'];

/**
 * galore-torch's projection types (LLaMA-Factory's `galore_proj_type`), the
 * same list as `PROJ_TYPES` in optim/galore-projector, kept here so the
 * exporter loads without TensorFlow.js.
 *
 * @example
 * RECIPE_PROJ_TYPES.includes('reverse_std'); // true
 */
export const RECIPE_PROJ_TYPES = ['std', 'reverse_std', 'left', 'right', 'full'] as const;

/**
 * Everything a recipe holds; `defaultRecipeOptions` gives galore-lab's defaults.
 *
 * @example
 * const o: LlamaFactoryRecipeOptions = { ...defaultRecipeOptions('galore'), lr: 1e-5, epochs: 3 };
 * flatYaml(llamaFactoryTrainYaml(o));
 */
export interface LlamaFactoryRecipeOptions {
  method: RecipeMethod;
  /** `model_name_or_path`: a Hugging Face id or a folder. */
  model: string;
  /** LLaMA-Factory chat template (`qwen` for Qwen2-Instruct). */
  template: string;
  /** Data set names registered in `dataset_info.json`. */
  datasets: { train: string; validation?: string; test: string };
  /** `dataset_dir`, relative to the folder the commands run in. */
  datasetDir: string;
  /** Training `output_dir`; predictions go to `<outputDir>/predict`. */
  outputDir: string;
  epochs: number;
  /** `max_steps` (overrides epochs) when given. */
  steps?: number;
  batchSize: number;
  gradAccum: number;
  /** galore-lab `--seq-len` = LLaMA-Factory `cutoff_len`. */
  seqLen: number;
  lr: number;
  scheduler: SchedulerName;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEps: number;
  optim: 'adamw' | 'adamw8bit';
  /** `bf16` (mixed precision), `pure_bf16` (weights in bf16, LLaMA-Factory's GaLore example), `fp16` or `fp32`. */
  precision: 'bf16' | 'pure_bf16' | 'fp16' | 'fp32';
  /** Validation loss every this many steps (0: no evaluation during training). */
  evalSteps: number;
  galore: { rank: number; updateProjGap: number; scale: number; projType: typeof RECIPE_PROJ_TYPES[number]; target: string; layerwise: boolean };
  lora: { r: number; alpha: number; dropout: number; target: string; rslora: boolean; dora: boolean; pissa: boolean; pissaIter?: number };
  /** galore-lab settings with no LLaMA-Factory equivalent, written as comments. */
  notes: string[];
}

/**
 * galore-lab's defaults (those of `galore-lab train` and `galoreAdamW`) for
 * `method`, on Qwen2-0.5B-Instruct as in the paper.
 *
 * @example
 * defaultRecipeOptions('galore').galore; // { rank: 16, updateProjGap: 200, scale: 0.25, projType: 'std', target: 'all', layerwise: false }
 */
export function defaultRecipeOptions(method: RecipeMethod = 'galore'): LlamaFactoryRecipeOptions {
  return {
    method,
    model: 'Qwen/Qwen2-0.5B-Instruct',
    template: 'qwen',
    datasets: { train: 'sports_injury_train', validation: 'sports_injury_validation', test: 'sports_injury_test' },
    datasetDir: 'data',
    outputDir: `saves/qwen2-0.5b-instruct/${method}/sft`,
    epochs: 1, batchSize: 4, gradAccum: 1, seqLen: 256, lr: 1e-4, scheduler: 'linear', warmupSteps: 0,
    weightDecay: 0, maxGradNorm: 1, seed: 42, adamBeta1: 0.9, adamBeta2: 0.999, adamEps: 1e-8, optim: 'adamw',
    precision: 'bf16', evalSteps: 50,
    galore: { rank: 16, updateProjGap: 200, scale: 0.25, projType: 'std', target: 'all', layerwise: false },
    lora: { r: 8, alpha: 8, dropout: 0, target: 'q_proj,v_proj', rslora: false, dora: false, pissa: false },
    notes: [],
  };
}

/**
 * A key line; its comment says where the value comes from (`why`) and, only
 * when the value differs from LLaMA-Factory's default, that default (`hf`:
 * a Hugging Face `TrainingArguments` default that LLaMA-Factory keeps).
 */
function keyLine(key: string, value: YamlScalar, theirDefault: YamlScalar | undefined, why = '', float = false, hf = false): YamlLine {
  const differs = theirDefault !== undefined && value !== theirDefault;
  const said = differs ? `LLaMA-Factory's default${hf ? ' (Hugging Face TrainingArguments)' : ''} is ${yamlScalar(theirDefault, { float })}` : '';
  const comment = [why, said].filter((s) => s !== '').join('; ');
  return comment ? { key, value, comment, float } : { key, value, float };
}

/** Hugging Face `lr_scheduler_type` for galore-lab's scheduler (galore-lab's `constant` warms up first when asked). */
function schedulerName(o: LlamaFactoryRecipeOptions): string {
  return o.scheduler === 'constant' && o.warmupSteps > 0 ? 'constant_with_warmup' : o.scheduler;
}

/** Hugging Face `optim` for galore-lab's `--optim`; LLaMA-Factory's GaLore accepts these two (and adafactor). */
function hfOptim(o: LlamaFactoryRecipeOptions): string {
  return o.optim === 'adamw8bit' ? 'adamw_bnb_8bit' : 'adamw_torch';
}

const METHOD_TITLE: Record<RecipeMethod, string> = { full: 'full-parameter AdamW', lora: 'LoRA', galore: 'GaLore full-parameter' };

/**
 * The training YAML (`llamafactory-cli train <method>_sft.yaml`) as lines.
 *
 * @example
 * flatYaml(llamaFactoryTrainYaml(defaultRecipeOptions('galore')));
 * // '# galore-lab export-recipe: ...\n### model\nmodel_name_or_path: Qwen/Qwen2-0.5B-Instruct\n...'
 */
export function llamaFactoryTrainYaml(o: LlamaFactoryRecipeOptions): YamlLine[] {
  const lines: YamlLine[] = [
    { comment: `galore-lab export-recipe: ${METHOD_TITLE[o.method]} SFT of ${o.model} on the sports-injury Q&A data` },
    { comment: `run: llamafactory-cli train ${o.method}_sft.yaml   (see README.md)` },
    ...o.notes.map((n) => ({ comment: `note: ${n}` })),
    { blank: true },
    { comment: '### model' },
    { key: 'model_name_or_path', value: o.model },
    { key: 'trust_remote_code', value: true },
    { blank: true },
    { comment: '### method' },
    { key: 'stage', value: 'sft' },
    { key: 'do_train', value: true },
    { key: 'finetuning_type', value: o.method === 'lora' ? 'lora' : 'full' },
  ];
  if (o.method === 'galore') {
    const g = o.galore;
    lines.push(
      { key: 'use_galore', value: true },
      keyLine('galore_layerwise', g.layerwise, false, 'galore-lab --layerwise; true needs gradient_accumulation_steps 1 and one process'),
      keyLine('galore_target', g.target, 'all', 'galore-lab --galore-target'),
      keyLine('galore_rank', g.rank, 16, 'galore-lab --rank'),
      keyLine('galore_update_interval', g.updateProjGap, 200, 'galore-lab --update-proj-gap'),
      keyLine('galore_scale', g.scale, 2.0, 'galore-lab --scale (galore-torch scripts use 0.25)', true),
      keyLine('galore_proj_type', g.projType, 'std', 'galore-lab --proj-type'),
    );
  }
  if (o.method === 'lora') {
    const l = o.lora;
    lines.push(
      keyLine('lora_rank', l.r, 8, 'galore-lab --lora-r'),
      keyLine('lora_alpha', l.alpha, 2 * l.r, 'galore-lab --lora-alpha (PEFT default 8; LLaMA-Factory uses 2 x lora_rank when unset)'),
      keyLine('lora_dropout', l.dropout, 0, 'galore-lab --lora-dropout', true),
      keyLine('lora_target', l.target, 'all', 'galore-lab --lora-target (PEFT default for Qwen2: q_proj,v_proj)'),
    );
    if (l.rslora) lines.push({ key: 'use_rslora', value: true });
    if (l.dora) lines.push({ key: 'use_dora', value: true });
    if (l.pissa) {
      lines.push({ key: 'pissa_init', value: true },
        keyLine('pissa_iter', l.pissaIter ?? -1, 16, l.pissaIter === undefined ? 'galore-lab --pissa: exact SVD (-1)' : 'galore-lab --pissa-niter'));
    }
  }
  lines.push(
    { blank: true },
    { comment: '### dataset' },
    { key: 'dataset', value: o.datasets.train },
    { key: 'dataset_dir', value: o.datasetDir, comment: 'relative to the folder you run llamafactory-cli in (this one)' },
    { key: 'template', value: o.template },
    keyLine('cutoff_len', o.seqLen, 2048, 'galore-lab --seq-len'),
    { key: 'overwrite_cache', value: true },
    { blank: true },
    { comment: '### output' },
    { key: 'output_dir', value: o.outputDir },
    keyLine('logging_steps', 1, 500, 'galore-lab logs every step', false, true),
    { key: 'plot_loss', value: true },
    { key: 'overwrite_output_dir', value: true },
    { key: 'report_to', value: 'none' },
    { blank: true },
    { comment: '### train' },
    keyLine('per_device_train_batch_size', o.batchSize, 8, 'galore-lab --batch-size', false, true),
    keyLine('gradient_accumulation_steps', o.gradAccum, 1, 'galore-lab --grad-accum', false, true),
    keyLine('learning_rate', o.lr, 5e-5, 'galore-lab --lr', false, true),
    keyLine('num_train_epochs', o.epochs, 3, 'galore-lab --epochs', true, true),
  );
  if (o.steps !== undefined) lines.push({ key: 'max_steps', value: o.steps, comment: 'galore-lab --steps; overrides num_train_epochs' });
  lines.push(
    keyLine('lr_scheduler_type', schedulerName(o), 'linear', 'galore-lab --lr-scheduler', false, true),
    keyLine('warmup_steps', o.warmupSteps, 0, 'galore-lab --warmup-steps', false, true),
    keyLine('weight_decay', o.weightDecay, 0, 'galore-lab --weight-decay', true, true),
    keyLine('max_grad_norm', o.maxGradNorm, 1, 'galore-lab --max-grad-norm', true, true),
    keyLine('optim', hfOptim(o), 'adamw_torch', o.method === 'galore'
      ? 'galore-lab --optim; LLaMA-Factory\'s GaLore needs adamw_torch or adamw_bnb_8bit (newer transformers default to adamw_torch_fused)'
      : 'galore-lab --optim'),
    keyLine('adam_beta1', o.adamBeta1, 0.9, 'galore-lab --adam-beta1', true, true),
    keyLine('adam_beta2', o.adamBeta2, 0.999, 'galore-lab --adam-beta2', true, true),
    keyLine('adam_epsilon', o.adamEps, 1e-8, 'galore-lab --adam-eps', false, true),
    keyLine('seed', o.seed, 42, 'galore-lab --seed', false, true),
  );
  if (o.precision === 'bf16') lines.push({ key: 'bf16', value: true, comment: 'galore-lab trains in float32; --precision fp32 matches it' });
  else if (o.precision === 'pure_bf16') lines.push({ key: 'pure_bf16', value: true, comment: "weights in bf16, as LLaMA-Factory's GaLore example" });
  else if (o.precision === 'fp16') lines.push({ key: 'fp16', value: true });
  else lines.push({ key: 'bf16', value: false, comment: 'float32 throughout, as galore-lab' });
  lines.push({ key: 'ddp_timeout', value: 180000000 });
  if (o.evalSteps > 0 && o.datasets.validation) {
    lines.push(
      { blank: true },
      { comment: '### eval (validation loss in trainer_log.jsonl as eval_loss)' },
      { key: 'eval_dataset', value: o.datasets.validation },
      { key: 'per_device_eval_batch_size', value: o.batchSize },
      { key: 'eval_strategy', value: 'steps' },
      { key: 'eval_steps', value: o.evalSteps },
    );
  }
  return lines;
}

/**
 * The prediction YAML (`llamafactory-cli train <method>_predict.yaml`): greedy
 * answers to the test split, written with BLEU-4/ROUGE to
 * `<outputDir>/predict/generated_predictions.jsonl`.
 *
 * @example
 * flatYaml(llamaFactoryPredictYaml(defaultRecipeOptions('lora'))).includes('predict_with_generate: true'); // true
 */
export function llamaFactoryPredictYaml(o: LlamaFactoryRecipeOptions): YamlLine[] {
  const lora = o.method === 'lora';
  return [
    { comment: `galore-lab export-recipe: answers of the ${METHOD_TITLE[o.method]} model to the test questions, with BLEU-4/ROUGE` },
    { comment: `run after ${o.method}_sft.yaml: llamafactory-cli train ${o.method}_predict.yaml` },
    { blank: true },
    { comment: '### model' },
    lora ? { key: 'model_name_or_path', value: o.model } : { key: 'model_name_or_path', value: o.outputDir, comment: 'the fine-tuned model' },
    ...(lora ? [{ key: 'adapter_name_or_path', value: o.outputDir, comment: 'the trained LoRA adapter' } as YamlLine] : []),
    { key: 'trust_remote_code', value: true },
    { blank: true },
    { comment: '### method' },
    { key: 'stage', value: 'sft' },
    { key: 'do_predict', value: true },
    { key: 'finetuning_type', value: lora ? 'lora' : 'full' },
    { blank: true },
    { comment: '### dataset' },
    { key: 'eval_dataset', value: o.datasets.test },
    { key: 'dataset_dir', value: o.datasetDir },
    { key: 'template', value: o.template },
    keyLine('cutoff_len', o.seqLen, 2048, 'as in training'),
    { key: 'overwrite_cache', value: true },
    { blank: true },
    { comment: '### output' },
    { key: 'output_dir', value: `${o.outputDir}/predict`, comment: 'galore-lab import-run --dir looks here too' },
    { key: 'overwrite_output_dir', value: true },
    { key: 'report_to', value: 'none' },
    { blank: true },
    { comment: '### eval' },
    { key: 'per_device_eval_batch_size', value: 1 },
    { key: 'predict_with_generate', value: true },
    keyLine('do_sample', false, true, 'greedy, as galore-lab scores answers (sampling would use temperature 0.95, top_p 0.7)'),
    { key: 'ddp_timeout', value: 180000000 },
  ];
}

/**
 * A DeepSpeed ZeRO-2 config whose batch, clipping and precision settings come
 * from the Trainer ("auto"); written as `ds_z2_config.json` for LoRA/full.
 *
 * @example
 * fs.writeFileSync('ds_z2_config.json', JSON.stringify(DEEPSPEED_ZERO2_CONFIG, null, 2));
 */
export const DEEPSPEED_ZERO2_CONFIG = {
  train_batch_size: 'auto',
  train_micro_batch_size_per_gpu: 'auto',
  gradient_accumulation_steps: 'auto',
  gradient_clipping: 'auto',
  zero_allow_untested_optimizer: true,
  bf16: { enabled: 'auto' },
  fp16: { enabled: 'auto' },
  zero_optimization: { stage: 2, overlap_comm: false, contiguous_gradients: true, reduce_scatter: true },
};

/**
 * The README of a recipe folder: what is there and the commands to run it
 * (single GPU, torchrun through LLaMA-Factory or directly, DeepSpeed ZeRO-2
 * for LoRA/full, and `galore-lab import-run` to bring the run back).
 *
 * @example
 * llamaFactoryReadme([defaultRecipeOptions('galore'), defaultRecipeOptions('lora')]).includes('llamafactory-cli train galore_sft.yaml'); // true
 */
export function llamaFactoryReadme(recipes: readonly LlamaFactoryRecipeOptions[]): string {
  const first = recipes[0];
  const per = recipes.map((o) => {
    const ds = o.method !== 'galore';
    return [
      `## ${METHOD_TITLE[o.method]} (\`${o.method}_sft.yaml\`)`,
      '',
      '```bash',
      '# one GPU',
      `llamafactory-cli train ${o.method}_sft.yaml`,
      `llamafactory-cli train ${o.method}_predict.yaml   # test answers + BLEU-4/ROUGE`,
      '',
      '# several GPUs on one node (LLaMA-Factory starts torchrun itself)',
      `FORCE_TORCHRUN=1 NPROC_PER_NODE=4 llamafactory-cli train ${o.method}_sft.yaml`,
      '',
      '# or torchrun directly',
      `torchrun --nproc_per_node 4 "$(python -c 'import llamafactory.launcher as m; print(m.__file__)')" ${o.method}_sft.yaml`,
      ...(ds ? ['', '# DeepSpeed ZeRO-2', `FORCE_TORCHRUN=1 NPROC_PER_NODE=4 llamafactory-cli train ${o.method}_sft.yaml deepspeed=ds_z2_config.json`] : []),
      '',
      '# bring the run back into galore-lab (next to the local runs)',
      `galore-lab import-run --dir ${o.outputDir} --out ${o.method}_run.json`,
      '```',
      '',
      ...(o.method === 'galore'
        ? ['LLaMA-Factory refuses GaLore with DeepSpeed ("GaLore and APOLLO are incompatible with DeepSpeed yet") and layer-wise GaLore',
          'with more than one process; plain GaLore runs under torchrun (DDP).', '']
        : []),
      `Training writes \`${o.outputDir}/trainer_log.jsonl\`; prediction writes \`${o.outputDir}/predict/generated_predictions.jsonl\`.`,
      '',
    ].join('\n');
  });
  return [
    '# LLaMA-Factory recipe (written by `galore-lab export-recipe`)',
    '',
    `The galore-lab sports-injury fine-tuning, ready for LLaMA-Factory: same data, same hyperparameters, model \`${first.model}\`.`,
    'Settings whose galore-lab default differs from LLaMA-Factory\'s are written explicitly, with a comment in the YAML.',
    '',
    '## Setup',
    '',
    '```bash',
    'git clone --depth 1 https://github.com/hiyouga/LLaMA-Factory.git && cd LLaMA-Factory',
    'pip install -e ".[torch,metrics]"   # metrics: jieba, nltk, rouge-chinese for BLEU-4/ROUGE',
    'pip install galore-torch            # GaLore recipes',
    'pip install deepspeed               # DeepSpeed commands only',
    'cd -   # back here: run every command below in this folder (dataset_dir and output_dir are relative to it)',
    '```',
    '',
    '## Files',
    '',
    ...recipes.flatMap((o) => [`- \`${o.method}_sft.yaml\`, \`${o.method}_predict.yaml\`: ${METHOD_TITLE[o.method]} training, then test-set answers`]),
    `- \`${first.datasetDir}/dataset_info.json\` and the data files: ${[first.datasets.train, first.datasets.validation, first.datasets.test].filter(Boolean).map((d) => `\`${d}\``).join(', ')}`,
    ...(recipes.some((o) => o.method !== 'galore') ? ['- `ds_z2_config.json`: DeepSpeed ZeRO-2, settings taken from the YAML ("auto")'] : []),
    '',
    'The effective batch is `per_device_train_batch_size x gradient_accumulation_steps x number of GPUs`; with several GPUs, lower',
    'one of the first two to keep the local run\'s batch. Any setting can be overridden on the command line: `llamafactory-cli train galore_sft.yaml learning_rate=5.0e-5`.',
    '',
    ...per,
  ].join('\n');
}

/**
 * What `writeLlamaFactoryRecipe` wrote, as paths inside the folder.
 *
 * @example
 * const { files, datasets } = await writeLlamaFactoryRecipe('/tmp/lf', [defaultRecipeOptions('galore')], { splitsDir: 'datasets/sports-injury-qa/splits' });
 * datasets.sports_injury_train; // 1149
 */
export interface WrittenRecipe {
  dir: string;
  files: string[];
  /** Examples per data set name. */
  datasets: Record<string, number>;
}

/**
 * Writes a recipe folder for one or more methods: `<method>_sft.yaml`,
 * `<method>_predict.yaml`, `data/` (the splits of `splitsDir` converted to
 * `formatting`, plus `dataset_info.json`), `ds_z2_config.json` when a
 * non-GaLore method is included, and `README.md`. Every file is written
 * atomically; a bad row in a split stops it with the file and line.
 *
 * @example
 * await writeLlamaFactoryRecipe('/tmp/lf-recipe', [defaultRecipeOptions('galore'), defaultRecipeOptions('lora')],
 *   { splitsDir: 'datasets/sports-injury-qa/splits' });
 * // { dir: '/tmp/lf-recipe', files: ['data/sports_injury_train.json', ..., 'galore_sft.yaml', ..., 'README.md'], datasets: {...} }
 */
export async function writeLlamaFactoryRecipe(
  dir: string,
  recipes: readonly LlamaFactoryRecipeOptions[],
  options: { splitsDir: string; formatting?: 'alpaca' | 'sharegpt'; system?: string },
): Promise<WrittenRecipe> {
  if (recipes.length === 0) throw new Error('writeLlamaFactoryRecipe: no methods given; expected at least one of full, lora, galore');
  const first = recipes[0];
  for (const o of recipes) {
    if (o.datasetDir !== first.datasetDir || JSON.stringify(o.datasets) !== JSON.stringify(first.datasets)) {
      throw new Error('writeLlamaFactoryRecipe: every recipe of one folder must use the same dataset_dir and data sets');
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const datasets: Record<string, number> = {};
  const dataDir = path.join(dir, first.datasetDir);
  const splits: [string | undefined, string][] = [[first.datasets.train, 'train'], [first.datasets.validation, 'validation'], [first.datasets.test, 'test']];
  for (const [name, split] of splits) {
    if (!name) continue;
    const file = path.join(options.splitsDir, `${split}.jsonl`);
    if (!fs.existsSync(file)) throw new Error(`${file}: no such file; expected the ${split} split (train.jsonl, validation.jsonl, test.jsonl) in ${options.splitsDir}`);
    const examples = assertNoIssues(loadQaJsonl(file));
    exportForLlamaFactory(dataDir, name, examples, { formatting: options.formatting ?? 'alpaca', system: options.system });
    datasets[name] = examples.length;
    files.push(path.join(first.datasetDir, `${name}.json`));
  }
  files.push(path.join(first.datasetDir, 'dataset_info.json'));
  for (const o of recipes) {
    await writeFileAtomic(path.join(dir, `${o.method}_sft.yaml`), flatYaml(llamaFactoryTrainYaml(o)));
    await writeFileAtomic(path.join(dir, `${o.method}_predict.yaml`), flatYaml(llamaFactoryPredictYaml(o)));
    files.push(`${o.method}_sft.yaml`, `${o.method}_predict.yaml`);
  }
  if (recipes.some((o) => o.method !== 'galore')) {
    await writeFileAtomic(path.join(dir, 'ds_z2_config.json'), JSON.stringify(DEEPSPEED_ZERO2_CONFIG, null, 2) + '\n');
    files.push('ds_z2_config.json');
  }
  await writeFileAtomic(path.join(dir, 'README.md'), llamaFactoryReadme(recipes));
  files.push('README.md');
  return { dir, files, datasets };
}
