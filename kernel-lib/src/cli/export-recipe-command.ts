/**
 * `galore-lab export-recipe --to llamafactory`: the local experiment as a
 * LLaMA-Factory recipe folder (YAMLs, data, README) for a GPU cluster.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SchedulerName } from '../train/lr-schedule';
import {
  defaultRecipeOptions,
  LlamaFactoryRecipeOptions,
  RECIPE_METHODS,
  RECIPE_PROJ_TYPES,
  RecipeMethod,
  writeLlamaFactoryRecipe,
} from '../reproduce/llamafactory-recipe';
import { datasetSplitPath } from '../tiny/tiny-base';
import { FlagSpec, UsageError, nonNegativeInt, numberFlag, parseCommandArgs, positiveInt } from './args';

/**
 * The flags of `export-recipe`: `galore-lab train`'s optimisation, GaLore and
 * LoRA flags with the same names and defaults (declared here rather than
 * imported so the command loads without TensorFlow.js), plus the recipe's own.
 *
 * @example
 * parseCommandArgs(['--to', 'llamafactory', '--rank', '32'], EXPORT_RECIPE_FLAGS, 'export-recipe'); // { to: 'llamafactory', rank: '32' }
 */
export const EXPORT_RECIPE_FLAGS: FlagSpec = {
  to: { type: 'string' }, method: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' },
  template: { type: 'string' }, 'data-dir': { type: 'string' }, formatting: { type: 'string' }, system: { type: 'string' },
  precision: { type: 'string' }, 'eval-steps': { type: 'string' }, 'output-dir': { type: 'string' },
  steps: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, 'seq-len': { type: 'string' },
  'grad-accum': { type: 'string' }, lr: { type: 'string' }, 'lr-scheduler': { type: 'string' }, 'warmup-steps': { type: 'string' },
  'adam-beta1': { type: 'string' }, 'adam-beta2': { type: 'string' }, 'adam-eps': { type: 'string' }, 'weight-decay': { type: 'string' },
  'max-grad-norm': { type: 'string' }, seed: { type: 'string' }, optim: { type: 'string' }, layerwise: { type: 'boolean' },
  rank: { type: 'string' }, 'update-proj-gap': { type: 'string' }, scale: { type: 'string' }, 'proj-type': { type: 'string' },
  'galore-target': { type: 'string' }, 'galore-svd': { type: 'string' }, 'galore-moments': { type: 'string' },
  'lora-r': { type: 'string' }, 'lora-alpha': { type: 'string' }, 'lora-dropout': { type: 'string' },
  'lora-target': { type: 'string', multiple: true }, 'use-rslora': { type: 'boolean' }, 'use-dora': { type: 'boolean' },
  pissa: { type: 'boolean' }, 'pissa-niter': { type: 'string' },
};

function oneOf<T extends string>(v: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const val = (v[name] as string | undefined) ?? fallback;
  if (!(allowed as readonly string[]).includes(val)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${val}"`);
  return val as T;
}

/** A folder name for a model id or path: `Qwen/Qwen2-0.5B-Instruct` -> `qwen2-0.5b-instruct`. */
function modelSlug(model: string): string {
  return (path.basename(model.replace(/[\\/]+$/, '')) || 'model').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
}

/**
 * Recipe options for one method from parsed `export-recipe` flags: galore-lab's
 * defaults, overridden by the flags given (same names and checks as
 * `galore-lab train`). Throws `UsageError` naming the flag.
 *
 * @example
 * recipeOptionsFromFlags({ rank: '32', 'update-proj-gap': '20', scale: '1' }, 'galore').galore;
 * // { rank: 32, updateProjGap: 20, scale: 1, projType: 'std', target: 'all', layerwise: false }
 */
export function recipeOptionsFromFlags(v: Record<string, unknown>, method: RecipeMethod): LlamaFactoryRecipeOptions {
  const d = defaultRecipeOptions(method);
  const notes: string[] = [];
  let model = (v.model as string | undefined) ?? d.model;
  // A local folder: absolute, so the YAML works from the recipe folder.
  if (fs.existsSync(model) && fs.statSync(model).isDirectory()) model = path.resolve(model);
  const scheduler = oneOf(v, 'lr-scheduler', ['constant', 'linear', 'cosine'] as const, d.scheduler as 'linear') as SchedulerName;
  const o: LlamaFactoryRecipeOptions = {
    ...d,
    model,
    template: (v.template as string | undefined) ?? d.template,
    outputDir: (v['output-dir'] as string | undefined)?.replace(/\{method\}/g, method) ?? `saves/${modelSlug(model)}/${method}/sft`,
    epochs: numberFlag(v, 'epochs', d.epochs, (x) => x > 0, 'a positive number'),
    steps: v.steps === undefined ? undefined : numberFlag(v, 'steps', 1, positiveInt, 'a positive integer'),
    batchSize: numberFlag(v, 'batch-size', d.batchSize, positiveInt, 'a positive integer'),
    gradAccum: numberFlag(v, 'grad-accum', d.gradAccum, positiveInt, 'a positive integer'),
    seqLen: numberFlag(v, 'seq-len', d.seqLen, (x) => positiveInt(x) && x >= 2, 'an integer >= 2'),
    lr: numberFlag(v, 'lr', d.lr, (x) => x >= 0, 'a non-negative number'),
    scheduler,
    warmupSteps: numberFlag(v, 'warmup-steps', d.warmupSteps, nonNegativeInt, 'a non-negative integer'),
    weightDecay: numberFlag(v, 'weight-decay', d.weightDecay, (x) => x >= 0, 'a non-negative number'),
    maxGradNorm: numberFlag(v, 'max-grad-norm', d.maxGradNorm, (x) => x >= 0, 'a non-negative number (0 = off)'),
    seed: numberFlag(v, 'seed', d.seed, nonNegativeInt, 'a non-negative integer'),
    adamBeta1: numberFlag(v, 'adam-beta1', d.adamBeta1, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    adamBeta2: numberFlag(v, 'adam-beta2', d.adamBeta2, (x) => x >= 0 && x < 1, 'in [0, 1)'),
    adamEps: numberFlag(v, 'adam-eps', d.adamEps, (x) => x > 0, 'a positive number'),
    optim: oneOf(v, 'optim', ['adamw', 'adamw8bit'] as const, d.optim),
    precision: oneOf(v, 'precision', ['bf16', 'pure_bf16', 'fp16', 'fp32'] as const, d.precision),
    evalSteps: numberFlag(v, 'eval-steps', d.evalSteps, nonNegativeInt, 'a non-negative integer (0 = no evaluation)'),
    galore: {
      rank: numberFlag(v, 'rank', d.galore.rank, positiveInt, 'a positive integer'),
      updateProjGap: numberFlag(v, 'update-proj-gap', d.galore.updateProjGap, positiveInt, 'a positive integer'),
      scale: numberFlag(v, 'scale', d.galore.scale, (x) => x > 0, 'a positive number'),
      projType: oneOf(v, 'proj-type', RECIPE_PROJ_TYPES, d.galore.projType),
      target: (v['galore-target'] as string | undefined)?.split(',').map((s) => s.trim()).filter(Boolean).join(',') || d.galore.target,
      layerwise: Boolean(v.layerwise),
    },
    lora: { ...d.lora },
    notes,
  };
  if (method === 'galore') {
    const svd = oneOf(v, 'galore-svd', ['randomized', 'exact'] as const, 'randomized');
    notes.push(svd === 'randomized'
      ? 'galore-torch computes each projection with an exact SVD; galore-lab defaults to a randomized one (--galore-svd exact matches galore-torch)'
      : 'galore-lab --galore-svd exact: the same exact SVD galore-torch uses');
    const moments = oneOf(v, 'galore-moments', ['keep', 'reset', 'reproject'] as const, 'keep');
    if (moments !== 'keep') notes.push(`galore-lab --galore-moments ${moments} has no LLaMA-Factory equivalent; galore-torch keeps the moments at a refresh`);
    if (o.galore.layerwise && o.gradAccum !== 1) throw new UsageError('--layerwise needs --grad-accum 1 (LLaMA-Factory: "Per-layer GaLore does not support gradient accumulation")');
  } else if (v.layerwise || v.rank !== undefined || v['update-proj-gap'] !== undefined || v.scale !== undefined || v['proj-type'] !== undefined) {
    throw new UsageError(`--layerwise, --rank, --update-proj-gap, --scale and --proj-type are GaLore flags; --method ${method} does not use them`);
  }
  if (method === 'lora') {
    const l = o.lora;
    l.r = numberFlag(v, 'lora-r', d.lora.r, positiveInt, 'a positive integer');
    l.alpha = numberFlag(v, 'lora-alpha', d.lora.alpha, Number.isFinite, 'a number');
    l.dropout = numberFlag(v, 'lora-dropout', d.lora.dropout, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
    const raw = v['lora-target'];
    if (raw !== undefined) {
      const list = (Array.isArray(raw) ? raw : [raw]).flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter((t) => t !== '');
      if (list.length === 0) throw new UsageError('--lora-target needs module names (e.g. q_proj,v_proj) or all-linear');
      // galore-lab's (PEFT's) `all-linear` is LLaMA-Factory's `all`.
      l.target = list.includes('all') || list.includes('all-linear') ? 'all' : list.join(',');
    }
    l.rslora = Boolean(v['use-rslora']);
    l.dora = Boolean(v['use-dora']);
    if (v['pissa-niter'] !== undefined && !v.pissa) throw new UsageError('--pissa-niter needs --pissa');
    l.pissa = Boolean(v.pissa);
    if (v['pissa-niter'] !== undefined) l.pissaIter = numberFlag(v, 'pissa-niter', 0, nonNegativeInt, 'a non-negative integer');
  } else {
    for (const f of ['lora-r', 'lora-alpha', 'lora-dropout', 'lora-target', 'use-rslora', 'use-dora', 'pissa', 'pissa-niter']) {
      if (v[f] !== undefined) throw new UsageError(`--${f} is a LoRA flag; --method ${method} does not use it`);
    }
  }
  return o;
}

/**
 * `galore-lab export-recipe --to llamafactory [--method galore|lora|full|all]
 * [--model NAME_OR_PATH] [--out DIR] [train's flags]`: writes a LLaMA-Factory
 * recipe folder (default `out/llamafactory`): `<method>_sft.yaml`,
 * `<method>_predict.yaml`, `data/` with `dataset_info.json` and the
 * sports-injury splits, `ds_z2_config.json` (LoRA/full) and `README.md`.
 *
 * @example
 * await exportRecipeCommand(['--to', 'llamafactory', '--method', 'galore', '--rank', '32', '--out', '/tmp/lf'], console.log);
 */
export async function exportRecipeCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, EXPORT_RECIPE_FLAGS, 'export-recipe');
  if (v.to === undefined) throw new UsageError('galore-lab export-recipe: --to is required (--to llamafactory)');
  if (v.to !== 'llamafactory') throw new UsageError(`--to must be llamafactory, got "${String(v.to)}"`);
  const which = oneOf(v, 'method', [...RECIPE_METHODS, 'all'] as const, 'galore');
  const methods: RecipeMethod[] = which === 'all' ? [...RECIPE_METHODS] : [which];
  if (which === 'all') {
    const specific = Object.keys(v).filter((k) => ['rank', 'update-proj-gap', 'scale', 'proj-type', 'layerwise', 'lora-r', 'lora-alpha',
      'lora-dropout', 'lora-target', 'use-rslora', 'use-dora', 'pissa', 'pissa-niter'].includes(k));
    if (specific.length > 0) throw new UsageError(`--method all: ${specific.map((f) => `--${f}`).join(', ')} apply to one method; export that method on its own`);
  }
  const formatting = oneOf(v, 'formatting', ['alpaca', 'sharegpt'] as const, 'alpaca');
  const recipes = methods.map((m) => recipeOptionsFromFlags(v, m));
  const dir = (v.out as string | undefined) ?? path.join('out', 'llamafactory');
  const splitsDir = (v['data-dir'] as string | undefined) ?? path.dirname(datasetSplitPath('train'));
  if (v['data-dir'] === undefined && !fs.existsSync(splitsDir)) {
    throw new UsageError(`galore-lab export-recipe: the sports-injury splits are not at ${splitsDir} (they ship with the repository checkout); pass --data-dir DIR with train.jsonl, validation.jsonl and test.jsonl`);
  }
  const written = await writeLlamaFactoryRecipe(dir, recipes, { splitsDir, formatting, system: v.system as string | undefined });
  out(`LLaMA-Factory recipe (${methods.join(', ')}) for ${recipes[0].model} -> ${dir}`);
  for (const [name, n] of Object.entries(written.datasets)) out(`  data set ${name}: ${n} examples (${formatting})`);
  for (const f of written.files.filter((f) => !f.startsWith(recipes[0].datasetDir))) out(`  ${f}`);
  for (const note of recipes.flatMap((r) => r.notes.map((n) => `${r.method}: ${n}`))) out(`note: ${note}`);
  out(`next: cd ${dir} && llamafactory-cli train ${methods[0]}_sft.yaml   (README.md has the torchrun and DeepSpeed commands)`);
  return 0;
}
