/**
 * A LLaMA-Factory run folder read back as a `results.json` run, so a cluster
 * run (from `galore-lab export-recipe`) sits beside the local ones in a
 * notebook or in `report.html`.
 *
 * Read from the folder (each may be absent; at least one of the first two
 * must be there):
 * - `trainer_log.jsonl`: training losses, validation losses, wall time, tokens/s, GPU memory;
 * - `generated_predictions.jsonl` (in the folder or its `predict/`
 *   subfolder): answers scored with `llamaFactoryScores` into BLEU-4/ROUGE;
 * - `train_results.json` / `all_results.json`: `train_runtime`, more precise than the log's whole seconds;
 * - the method: `training_args.yaml` (LLaMA-Factory's web UI), another YAML
 *   in the folder with `finetuning_type`, or `adapter_config.json` (LoRA).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { questionOfPrompt } from '../eval/case-study';
import { averageSimilarityScores, llamaFactoryScores, type SimilarityScores } from '../metrics/llama-factory-scores';
import { parsePredictionJsonl, splitTextLines } from '../metrics/prediction-files';
import { parseFlatYaml, YamlScalar } from './flat-yaml';
import { ReproductionResults, ReproductionRun, RunMetrics } from './results';
import { parseTrainerLog, TrainerLogEntry } from './trainer-log';

/**
 * One answer from `generated_predictions.jsonl`.
 *
 * @example
 * const { predictions } = await importLlamaFactoryRun('saves/qwen2-0.5b-instruct/lora/sft');
 * predictions[0]; // { prompt: '<|im_start|>system...', predict: '...', label: '...' }
 */
export interface ImportedPrediction {
  prompt: string;
  predict: string;
  label: string;
}

/**
 * What `importLlamaFactoryRun` found and built.
 *
 * @example
 * const imported: ImportedRun = await importLlamaFactoryRun('saves/qwen2-0.5b-instruct/galore/sft');
 * imported.missing; // [] or ['generated_predictions.jsonl']
 */
export interface ImportedRun {
  run: ReproductionRun;
  /** Files read, as paths. */
  found: string[];
  /** Expected files that were not there (`trainer_log.jsonl`, `generated_predictions.jsonl`). */
  missing: string[];
  /** How each field was obtained, and what could not be. */
  notes: string[];
  predictions: ImportedPrediction[];
}

/**
 * Options of `importLlamaFactoryRun`.
 *
 * @example
 * await importLlamaFactoryRun('runs/a100-galore', { label: 'GaLore r=16 (A100)', config: 'recipes/galore_sft.yaml' });
 */
export interface ImportRunOptions {
  /** Run label (default: the method and the folder name). */
  label?: string;
  /** Method id, overriding what the folder's config says. */
  method?: string;
  /** A LLaMA-Factory YAML to read the method from (default: looked up in the folder). */
  config?: string;
}

type Config = Record<string, YamlScalar | YamlScalar[]>;

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
}

function readJsonObject(file: string): Record<string, unknown> | null {
  const text = readText(file);
  if (text === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * The galore-lab method id a LLaMA-Factory config describes: `lora`,
 * `galore` / `galore8bit` (full with `use_galore`, by `optim`), `full`, or
 * the `finetuning_type` as written (`freeze`, `oft`); null without one.
 *
 * @example
 * methodFromLlamaFactoryConfig({ finetuning_type: 'full', use_galore: true, optim: 'adamw_bnb_8bit' }); // 'galore8bit'
 */
export function methodFromLlamaFactoryConfig(config: Readonly<Record<string, unknown>>): string | null {
  const type = config.finetuning_type;
  if (typeof type !== 'string') return null;
  if (type === 'full' && config.use_galore === true) {
    return ['adamw_bnb_8bit', 'adamw_8bit', 'paged_adamw_8bit'].includes(String(config.optim)) ? 'galore8bit' : 'galore';
  }
  return type;
}

function describeMethod(method: string, config: Config | null): string {
  const rank = (k: string): string => (config && typeof config[k] === 'number' ? ` r=${config[k]}` : '');
  if (method === 'galore') return `GaLore${rank('galore_rank')}`;
  if (method === 'galore8bit') return `8-bit GaLore${rank('galore_rank')}`;
  if (method === 'lora') return `LoRA${rank('lora_rank')}`;
  if (method === 'full') return 'full AdamW';
  return method;
}

/** Finds the config that names the method: the given file, training_args.yaml, another YAML with finetuning_type. */
function findConfig(dir: string, explicit: string | undefined, notes: string[], found: string[]): { config: Config | null; file: string | null } {
  if (explicit) {
    const text = readText(explicit);
    if (text === null) throw new Error(`${explicit}: no such file (--config)`);
    found.push(explicit);
    return { config: parseFlatYaml(text, explicit), file: explicit };
  }
  const candidates = ['training_args.yaml', ...fs.readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f) && f !== 'training_args.yaml').sort()];
  for (const name of candidates) {
    const file = path.join(dir, name);
    const text = readText(file);
    if (text === null) continue;
    let config: Config;
    try {
      config = parseFlatYaml(text, file);
    } catch (e) {
      notes.push(`skipped ${file}: ${(e as Error).message}`);
      continue;
    }
    if (typeof config.finetuning_type === 'string') {
      found.push(file);
      return { config, file };
    }
  }
  return { config: null, file: null };
}

/**
 * Reads a LLaMA-Factory output folder into a run object shaped like a
 * `results.json` run entry. Throws, naming the folder, when neither
 * `trainer_log.jsonl` nor `generated_predictions.jsonl` is there, and naming
 * file and line for a malformed line.
 *
 * @example
 * const { importLlamaFactoryRun } = require('galore-lab');
 * const { run, found, missing, notes } = await importLlamaFactoryRun('saves/qwen2-0.5b-instruct/galore/sft', { label: 'GaLore r=16 (A100)' });
 * run.metrics; // { bleu4: ..., rouge1: ..., rouge2: ..., rougeL: ..., count: 132 }
 */
export async function importLlamaFactoryRun(dir: string, options: ImportRunOptions = {}): Promise<ImportedRun> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new Error(`${dir}: no such folder; expected a LLaMA-Factory output_dir (with trainer_log.jsonl and/or generated_predictions.jsonl)`);
  }
  if (!stat.isDirectory()) throw new Error(`${dir}: is a file; expected a LLaMA-Factory output_dir folder`);
  const found: string[] = [];
  const missing: string[] = [];
  const notes: string[] = [];

  const logFile = path.join(dir, 'trainer_log.jsonl');
  const logText = readText(logFile);
  let log: TrainerLogEntry[] = [];
  if (logText === null) missing.push('trainer_log.jsonl');
  else {
    found.push(logFile);
    log = parseTrainerLog(logText, logFile);
  }

  let predFile = path.join(dir, 'generated_predictions.jsonl');
  let predText = readText(predFile);
  if (predText === null) {
    const sub = path.join(dir, 'predict', 'generated_predictions.jsonl');
    predText = readText(sub);
    if (predText !== null) predFile = sub;
  }
  const predictions: ImportedPrediction[] = [];
  if (predText === null) missing.push('generated_predictions.jsonl');
  else {
    found.push(predFile);
    const parsed = parsePredictionJsonl(predText, predFile);
    if (!parsed.ok) throw new Error(parsed.error);
    const lines = splitTextLines(predText);
    for (const p of parsed.pairs) {
      const prompt = (JSON.parse(lines[p.line - 1]) as Record<string, unknown>).prompt;
      predictions.push({ prompt: typeof prompt === 'string' ? prompt : '', predict: p.prediction, label: p.label });
    }
  }
  if (logText === null && predText === null) {
    throw new Error(`${dir}: neither trainer_log.jsonl nor generated_predictions.jsonl (looked in ${dir} and ${path.join(dir, 'predict')}); expected a LLaMA-Factory output_dir`);
  }

  const { config, file: configFile } = findConfig(dir, options.config, notes, found);
  const fromConfig = config ? methodFromLlamaFactoryConfig(config) : null;
  let method: string;
  if (options.method) {
    method = options.method;
    notes.push(`method "${method}" given`);
  } else if (fromConfig) {
    method = fromConfig;
    notes.push(`method "${method}" from ${configFile}`);
  } else if (fs.existsSync(path.join(dir, 'adapter_config.json'))) {
    method = 'lora';
    notes.push('method "lora": the folder holds adapter_config.json');
  } else {
    method = 'llamafactory';
    notes.push(`method unknown (${configFile ? `${configFile} has no finetuning_type` : 'no training_args.yaml or YAML with finetuning_type in the folder'}, no adapter_config.json); pass --method or --config`);
  }
  const run: ReproductionRun = {
    method,
    label: options.label ?? `${describeMethod(method, config)} (LLaMA-Factory: ${path.basename(path.resolve(dir))})`,
    losses: [],
  };

  const train = log.filter((e) => e.training);
  const withLoss = train.filter((e) => e.loss !== undefined);
  run.losses = withLoss.map((e) => e.loss as number);
  run.loss_steps = withLoss.map((e) => e.current_steps);
  const evals = train.filter((e) => e.eval_loss !== undefined);
  if (evals.length > 0) run.eval_losses = evals.map((e) => ({ step: e.current_steps, loss: e.eval_loss as number }));
  if (log.length > train.length) notes.push(`${log.length - train.length} prediction progress line(s) in trainer_log.jsonl ignored`);

  const results = readJsonObject(path.join(dir, 'train_results.json')) ?? readJsonObject(path.join(dir, 'all_results.json'));
  const runtime = results?.train_runtime;
  const lastTimed = [...train].reverse().find((e) => e.elapsed_s !== undefined);
  if (typeof runtime === 'number' && Number.isFinite(runtime)) {
    run.wall_ms = runtime * 1000;
    notes.push('wall time: train_runtime from train_results.json/all_results.json');
  } else if (lastTimed) {
    run.wall_ms = (lastTimed.elapsed_s as number) * 1000;
    notes.push(`wall time: elapsed_time of ${logFile}:${lastTimed.line} (whole seconds)`);
  } else if (logText !== null) notes.push('wall time: not in trainer_log.jsonl');
  const lastThroughput = [...train].reverse().find((e) => e.throughput !== undefined);
  if (lastThroughput) run.tokens_per_second = lastThroughput.throughput as number;
  const vram = train.filter((e) => e.vram_allocated !== undefined).map((e) => e.vram_allocated as number);
  if (vram.length > 0) {
    run.memory_bytes = Math.max(...vram) * 1024 ** 3;
    notes.push('memory: largest vram_allocated (peak GPU memory allocated, GiB, RECORD_VRAM=1) in trainer_log.jsonl');
  }

  if (predictions.length > 0) {
    const scores: SimilarityScores[] = predictions.map((p) => llamaFactoryScores(p.predict, p.label));
    const avg = averageSimilarityScores(scores);
    const metrics: RunMetrics = { bleu4: avg['bleu-4'], rouge1: avg['rouge-1'], rouge2: avg['rouge-2'], rougeL: avg['rouge-l'], count: scores.length };
    run.metrics = metrics;
    const reportedFile = path.join(path.dirname(predFile), 'predict_results.json');
    const reported = readJsonObject(reportedFile);
    if (reported) {
      const off = (['bleu-4', 'rouge-1', 'rouge-2', 'rouge-l'] as const)
        .filter((k) => typeof reported[`predict_${k}`] === 'number' && Math.abs((reported[`predict_${k}`] as number) - avg[k]) > 0.01)
        .map((k) => `${k}: ours ${avg[k].toFixed(4)}, LLaMA-Factory ${(reported[`predict_${k}`] as number).toFixed(4)}`);
      notes.push(off.length === 0 ? `metrics agree with ${reportedFile}` : `metrics differ from ${reportedFile}: ${off.join('; ')}`);
    }
  }
  run.source = { framework: 'LLaMA-Factory', dir, trainer_log: logText === null ? null : logFile, predictions: predText === null ? null : predFile, config: configFile };
  return { run, found, missing, notes, predictions };
}

/**
 * Adds an imported run to a results object (a copy; the input is not
 * changed): the run gets a method id no other run has (`galore` becomes
 * `galore-lf` beside a local `galore`), and its answers join the samples
 * whose reference equals a prediction's label. Without samples, the first
 * `sampleCount` predictions become samples.
 *
 * @example
 * const results = readReproductionResults('out/results.json');
 * const merged = mergeImportedRun(results, await importLlamaFactoryRun('saves/qwen2-0.5b-instruct/galore/sft'));
 * await writeReproductionReport(merged, 'out/report.html');
 */
export function mergeImportedRun(results: ReproductionResults, imported: ImportedRun, options: { sampleCount?: number } = {}): ReproductionResults {
  const taken = new Set(results.runs.map((r) => r.method));
  let method = imported.run.method;
  if (taken.has(method)) {
    const base = `${imported.run.method}-lf`;
    method = base;
    for (let k = 2; taken.has(method); k++) method = `${base}${k}`;
  }
  const run = { ...imported.run, method };
  const byLabel = new Map<string, string>();
  for (const p of imported.predictions) if (!byLabel.has(p.label.trim())) byLabel.set(p.label.trim(), p.predict);
  let samples = (results.samples ?? []).map((s) => {
    const answer = byLabel.get(s.reference.trim());
    return answer === undefined ? s : { ...s, answers: { ...s.answers, [method]: answer } };
  });
  if (samples.length === 0) {
    samples = imported.predictions.slice(0, options.sampleCount ?? 5)
      .map((p) => ({ question: questionOfPrompt(p.prompt).trim(), reference: p.label, answers: { [method]: p.predict } }));
  }
  return { ...results, runs: [...results.runs, run], ...(samples.length > 0 ? { samples } : {}) };
}
