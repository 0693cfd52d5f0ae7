/**
 * Predict-with-generate, as LLaMA-Factory's `do_predict` +
 * `predict_with_generate`: answer every question with the model, write
 * `generated_predictions.jsonl` and score it with BLEU-4 / ROUGE.
 *
 * Each prediction is appended and fsynced as soon as it is generated, so a run
 * that crashes keeps what it produced; `existing: 'resume'` continues after the
 * last complete line. Item i is decoded with seed `seed + i`, so a resumed run
 * writes exactly what the uninterrupted run would have, sampled or greedy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { averageSimilarityScores, llamaFactoryScores, type SimilarityScores } from '../metrics/llama-factory-scores';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { generate, type GenerateOptions } from '../model/generation';
import { QWEN2_DEFAULT_SYSTEM } from '../tokenizer/chat-template';
import type { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { appendLineDurable, writeFileAtomic } from '../util/atomic-write';
import type { GenerationItem } from './generation-items';
import {
  encodePrompt,
  llamaFactoryLabel,
  PREDICT_RESULTS_FILE,
  PREDICTIONS_FILE,
  predictionLine,
  readCompletedPredictions,
  type PredictionRow,
  type PromptOptions,
} from './prediction-rows';

/** Decoding options of predict-with-generate: those of `generate` without the per-call hooks. */
export type PredictSampling = Omit<GenerateOptions, 'onToken' | 'stopTokenIds'>;

/** Progress after each generated answer. */
export interface PredictProgress {
  /** Answers generated in this run so far. */
  done: number;
  /** Answers this run has to generate (items minus resumed ones). */
  total: number;
  /** Tokens generated in this run so far. */
  generatedTokens: number;
  /** `generatedTokens` over the seconds spent generating them (prefill included). */
  tokensPerSecond: number;
  item: GenerationItem;
  row: PredictionRow;
}

/** Options of {@link predictWithGenerate}. */
export interface PredictWithGenerateOptions extends PredictSampling, PromptOptions {
  /**
   * Folder to write `generated_predictions.jsonl` (line by line, fsynced) and
   * `predict_results.json` (at the end) into; created if missing. Without it
   * nothing is written.
   */
  outDir?: string;
  /**
   * What to do when `outDir` already has predictions: `'error'` (default)
   * refuses, `'resume'` keeps the complete lines (after checking their prompts
   * are those of the first items, and that the decoding settings recorded in
   * `predict_settings.json` are this call's) and generates the rest,
   * `'overwrite'` starts again.
   */
  existing?: 'error' | 'resume' | 'overwrite';
  /** Called after each answer (e.g. to drive a progress bar). */
  onProgress?: (progress: PredictProgress) => void;
}

/** What {@link predictWithGenerate} returns. */
export interface PredictWithGenerateResult {
  /** One row per item, resumed ones first. */
  rows: PredictionRow[];
  /** LLaMA-Factory's per-sample scores of each row (`predict` against `label`). */
  scores: SimilarityScores[];
  /** Their averages, as `galore-lab metrics` reports them. */
  average: SimilarityScores;
  /** Rows kept from an earlier run (`existing: 'resume'`). */
  resumed: number;
  /** Rows generated in this run. */
  generated: number;
  /** Tokens generated in this run. */
  generatedTokens: number;
  /** Seconds spent generating in this run (prefill included). */
  seconds: number;
  /** `generatedTokens / seconds` (0 when nothing was generated). */
  tokensPerSecond: number;
  /** Answers of this run cut off by `maxNewTokens` (or the context) instead of ending with a stop token. */
  stoppedByLength: number;
  /** The predictions file, when `outDir` was given. */
  file?: string;
}

/**
 * Name of the file beside the predictions that records the decoding settings
 * (`maxNewTokens`, `doSample`, ..., `seed`, `defaultSystem`), checked on resume.
 *
 * @example
 * const { PREDICT_SETTINGS_FILE } = require('galore-lab');
 * JSON.parse(require('node:fs').readFileSync(`runs/galore/predict/${PREDICT_SETTINGS_FILE}`, 'utf8')).maxNewTokens; // 128
 */
export const PREDICT_SETTINGS_FILE = 'predict_settings.json';

/** The settings that decide what is generated, with defaults filled in (as `generate` applies them). */
function decodingSettings(o: PredictWithGenerateOptions): Record<string, unknown> {
  return {
    maxNewTokens: o.maxNewTokens ?? 128, doSample: o.doSample ?? false, temperature: o.temperature ?? 1, topK: o.topK ?? 0,
    topP: o.topP ?? 1, repetitionPenalty: o.repetitionPenalty ?? 1, seed: o.seed ?? 0,
    defaultSystem: o.defaultSystem === undefined ? QWEN2_DEFAULT_SYSTEM : o.defaultSystem,
  };
}

/**
 * Refuse to resume with decoding settings other than those the file was
 * started with. Returns false when no settings were recorded (predictions
 * written by another tool): there is nothing to compare.
 */
function checkSettings(file: string, settings: Record<string, unknown>): boolean {
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); delete it to resume without the check`);
  }
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) {
    throw new Error(`${file}: expected a JSON object of decoding settings; delete it to resume without the check`);
  }
  for (const [key, value] of Object.entries(settings)) {
    if (key in saved && JSON.stringify(saved[key]) !== JSON.stringify(value)) {
      throw new Error(`${file}: the predictions so far were made with ${key} ${JSON.stringify(saved[key])}, this run asks for ${JSON.stringify(value)}; ` +
        'resume with the same decoding flags, or start again (--overwrite)');
    }
  }
  return true;
}

/** The stop tokens of a Qwen2 chat answer: `<|im_end|>`, the tokenizer's eos and pad. */
function stopTokens(tokenizer: Qwen2Tokenizer): number[] {
  return [...new Set([tokenizer.eosTokenId, tokenizer.imEndId, tokenizer.padTokenId])];
}

async function prepareFile(file: string, existing: PredictWithGenerateOptions['existing'], expected: { prompt: string; label: string; where: string }[]): Promise<PredictionRow[]> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  if (size === 0) return [];
  const mode = existing ?? 'error';
  if (mode === 'overwrite') {
    await writeFileAtomic(file, '');
    return [];
  }
  if (mode === 'error') {
    let what = `${size} bytes`;
    try {
      const found = readCompletedPredictions(file);
      what = `${found.rows.length} prediction${found.rows.length === 1 ? '' : 's'}${found.partialBytes ? ' and a cut-off line' : ''}`;
    } catch {
      // not a predictions file: say how big it is
    }
    throw new Error(`${file}: already holds ${what}; resume after them (--resume, existing: 'resume') or start again (--overwrite, existing: 'overwrite')`);
  }
  const found = readCompletedPredictions(file);
  if (found.rows.length > expected.length) {
    throw new Error(`${file}: holds ${found.rows.length} predictions but the data gives ${expected.length} records; ` +
      'resume with the same data and --limit, or start again (--overwrite)');
  }
  found.rows.forEach((row, i) => {
    if (row.prompt !== expected[i].prompt || row.label !== expected[i].label) {
      const which = row.prompt !== expected[i].prompt ? 'prompt' : 'label';
      throw new Error(`${file}:${found.lines[i]}: the ${which} differs from that of ${expected[i].where}; ` +
        'the file was written from other data or with another --system; resume with the same data and flags, or start again (--overwrite)');
    }
  });
  if (found.partialBytes > 0) {
    // drop the line a crash cut off, so the next append starts a fresh line
    await fs.promises.truncate(file, found.completeBytes);
    const handle = await fs.promises.open(file, 'r+');
    try { await handle.sync(); } finally { await handle.close(); }
  }
  return found.rows;
}

/**
 * Answer each item with `model` (greedy by default; sampling with
 * `doSample`), returning LLaMA-Factory-style rows, per-sample scores, their
 * averages and a tokens-per-second figure. With `outDir`, rows are appended to
 * `outDir/generated_predictions.jsonl` one fsynced line at a time and
 * `outDir/predict_results.json` is written at the end. Every prompt is checked
 * against the model's context before anything is generated.
 *
 * @example
 * const { loadPretrained, tinyBasePath, datasetSplitPath, readGenerationItems, predictWithGenerate } = require('galore-lab');
 * const { model, tokenizer } = await loadPretrained(tinyBasePath());
 * const items = readGenerationItems(datasetSplitPath('test'), { limit: 3 });
 * const r = await predictWithGenerate(model, tokenizer, items, { maxNewTokens: 32, outDir: '/tmp/predict-tiny', existing: 'overwrite' });
 * r.average;                       // { 'bleu-4': ..., 'rouge-1': ..., 'rouge-2': ..., 'rouge-l': ... }
 * r.tokensPerSecond.toFixed(1);
 */
export async function predictWithGenerate(
  model: Qwen2ForCausalLM,
  tokenizer: Qwen2Tokenizer,
  items: readonly GenerationItem[],
  options: PredictWithGenerateOptions = {},
): Promise<PredictWithGenerateResult> {
  if (items.length === 0) throw new Error('predictWithGenerate: no items to answer; pass at least one question');
  const context = model.config.max_position_embeddings;
  const prompts = items.map((item) => {
    const { ids, text } = encodePrompt(tokenizer, item.messages, { defaultSystem: options.defaultSystem });
    if (ids.length >= context) {
      throw new Error(`${item.where}: the prompt has ${ids.length} tokens but the model's context (max_position_embeddings in config.json) ` +
        `is ${context}; shorten the question or leave the record out`);
    }
    return { ids, prompt: text, label: llamaFactoryLabel(tokenizer, item.reference), where: item.where };
  });

  const file = options.outDir === undefined ? undefined : path.join(options.outDir, PREDICTIONS_FILE);
  const rows = file === undefined ? [] : await prepareFile(file, options.existing, prompts);
  if (options.outDir !== undefined) {
    const settingsFile = path.join(options.outDir, PREDICT_SETTINGS_FILE);
    const settings = decodingSettings(options);
    if (rows.length === 0 || !checkSettings(settingsFile, settings)) await writeFileAtomic(settingsFile, JSON.stringify(settings, null, 2) + '\n');
  }
  const resumed = rows.length;
  const stop = stopTokens(tokenizer);
  const baseSeed = options.seed ?? 0;
  let generatedTokens = 0;
  let milliseconds = 0;
  let stoppedByLength = 0;
  const sampling: PredictSampling = {
    maxNewTokens: options.maxNewTokens, doSample: options.doSample, temperature: options.temperature, topK: options.topK,
    topP: options.topP, repetitionPenalty: options.repetitionPenalty,
  };
  for (let i = resumed; i < items.length; i++) {
    const t0 = performance.now();
    const result = generate(model, prompts[i].ids, { ...sampling, seed: baseSeed + i, stopTokenIds: stop });
    milliseconds += performance.now() - t0;
    generatedTokens += result.tokens.length;
    if (result.stoppedBy === 'length') stoppedByLength++;
    const row: PredictionRow = {
      prompt: prompts[i].prompt,
      predict: tokenizer.decode(result.tokens, { skipSpecialTokens: true }),
      label: prompts[i].label,
    };
    if (file !== undefined) await appendLineDurable(file, predictionLine(row));
    rows.push(row);
    options.onProgress?.({
      done: i - resumed + 1,
      total: items.length - resumed,
      generatedTokens,
      tokensPerSecond: milliseconds > 0 ? (generatedTokens * 1000) / milliseconds : 0,
      item: items[i],
      row,
    });
  }

  const scores = rows.map((row) => llamaFactoryScores(row.predict, row.label));
  const average = averageSimilarityScores(scores);
  const seconds = milliseconds / 1000;
  const result: PredictWithGenerateResult = {
    rows, scores, average, resumed, generated: rows.length - resumed, generatedTokens, seconds,
    tokensPerSecond: seconds > 0 ? generatedTokens / seconds : 0, stoppedByLength,
    ...(file === undefined ? {} : { file }),
  };
  if (options.outDir !== undefined) {
    await writeFileAtomic(path.join(options.outDir, PREDICT_RESULTS_FILE), JSON.stringify(predictResultsJson(result), null, 2) + '\n');
  }
  return result;
}

/**
 * The `predict_results.json` object: LLaMA-Factory's `predict_`-prefixed
 * metric averages, the sample count, and this run's generation time and
 * throughput.
 *
 * @example
 * const { predictResultsJson } = require('galore-lab');
 * predictResultsJson(result); // { 'predict_bleu-4': ..., 'predict_rouge-1': ..., ..., predict_samples: 3, predict_tokens_per_second: ... }
 */
export function predictResultsJson(result: PredictWithGenerateResult): Record<string, number> {
  return {
    'predict_bleu-4': result.average['bleu-4'],
    'predict_rouge-1': result.average['rouge-1'],
    'predict_rouge-2': result.average['rouge-2'],
    'predict_rouge-l': result.average['rouge-l'],
    predict_samples: result.rows.length,
    predict_generated_samples: result.generated,
    predict_generated_tokens: result.generatedTokens,
    predict_runtime: Number(result.seconds.toFixed(4)),
    predict_tokens_per_second: Number(result.tokensPerSecond.toFixed(3)),
  };
}
