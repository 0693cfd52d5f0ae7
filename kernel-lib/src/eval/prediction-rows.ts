/**
 * The rows of LLaMA-Factory's `generated_predictions.jsonl`, one
 * `{"prompt", "predict", "label"}` object per line, built the way its
 * `CustomSeq2SeqTrainer.save_predictions` builds them with the `qwen` template:
 *
 * - `prompt`: the prompt token ids decoded with special tokens kept
 *   (`<|im_start|>system\n...<|im_end|>\n<|im_start|>user\n...<|im_end|>\n<|im_start|>assistant\n`);
 * - `predict`: the generated ids decoded with special tokens skipped;
 * - `label`: the label ids decoded with special tokens skipped. The label ids
 *   are the tokens of the assistant turn `answer<|im_end|>\n`, so the label is
 *   the reference answer followed by a newline, and BLEU-4 (character level)
 *   sees that newline as LLaMA-Factory's does.
 *
 * The one deliberate difference: a conversation without a system turn gets
 * this toolkit's training template's default system prompt (Qwen2-Instruct's
 * "You are a helpful assistant."), the one our fine-tuning used, where
 * LLaMA-Factory's `qwen` template would put its own default.
 *
 * Reading a partly written file back (for resuming) lives here too.
 */
import * as fs from 'node:fs';
import { applyChatTemplate, type ChatMessage } from '../tokenizer/chat-template';
import type { Qwen2Tokenizer } from '../tokenizer/tokenizer';

/** One line of `generated_predictions.jsonl`. */
export interface PredictionRow {
  prompt: string;
  predict: string;
  label: string;
}

/**
 * LLaMA-Factory's name for the predictions file in the output folder.
 *
 * @example
 * const { PREDICTIONS_FILE } = require('galore-lab');
 * require('node:path').join('runs/galore/predict', PREDICTIONS_FILE); // 'runs/galore/predict/generated_predictions.jsonl'
 */
export const PREDICTIONS_FILE = 'generated_predictions.jsonl';

/**
 * LLaMA-Factory's name for the metric summary in the output folder.
 *
 * @example
 * const { PREDICT_RESULTS_FILE } = require('galore-lab');
 * JSON.parse(require('node:fs').readFileSync(`runs/galore/predict/${PREDICT_RESULTS_FILE}`, 'utf8'))['predict_bleu-4'];
 */
export const PREDICT_RESULTS_FILE = 'predict_results.json';

/** Options of {@link encodePrompt}. */
export interface PromptOptions {
  /** System prompt for conversations without one; `null` adds none. Default: the chat template's (Qwen2-Instruct's). */
  defaultSystem?: string | null;
}

/**
 * Token ids of the generation prompt of `messages` (the chat template with
 * `<|im_start|>assistant\n` appended), and its text as LLaMA-Factory writes it
 * in the `prompt` field (the ids decoded with special tokens kept).
 *
 * @example
 * const { encodePrompt, loadPretrained, tinyBasePath } = require('galore-lab');
 * const { tokenizer } = await loadPretrained(tinyBasePath());
 * const { ids, text } = encodePrompt(tokenizer, [{ role: 'user', content: 'Ankle sprain?' }]);
 * text; // '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nAnkle sprain?<|im_end|>\n<|im_start|>assistant\n'
 */
export function encodePrompt(tokenizer: Qwen2Tokenizer, messages: ChatMessage[], options: PromptOptions = {}): { ids: number[]; text: string } {
  const template = applyChatTemplate(messages, { addGenerationPrompt: true, defaultSystem: options.defaultSystem });
  const ids = tokenizer.encode(template);
  return { ids, text: tokenizer.decode(ids, { skipSpecialTokens: false }) };
}

/**
 * The `label` LLaMA-Factory writes for a reference answer: the tokens of the
 * `qwen` template's assistant turn (`answer<|im_end|>\n`) decoded with special
 * tokens skipped, i.e. the answer plus a trailing newline (after a tokenizer
 * round trip).
 *
 * @example
 * const { llamaFactoryLabel } = require('galore-lab');
 * llamaFactoryLabel(tokenizer, 'Protect it.'); // 'Protect it.\n'
 */
export function llamaFactoryLabel(tokenizer: Qwen2Tokenizer, reference: string): string {
  return tokenizer.decode(tokenizer.encode(`${reference}<|im_end|>\n`), { skipSpecialTokens: true });
}

/**
 * One line of `generated_predictions.jsonl` as LLaMA-Factory writes it:
 * Python's `json.dumps({...}, ensure_ascii=False)`, i.e. keys in the order
 * prompt, predict, label, `", "` and `": "` separators, non-ASCII text as is.
 *
 * @example
 * const { predictionLine } = require('galore-lab');
 * predictionLine({ prompt: 'p', predict: '冰敷', label: '冰敷\n' }); // '{"prompt": "p", "predict": "冰敷", "label": "冰敷\\n"}'
 */
export function predictionLine(row: PredictionRow): string {
  return `{"prompt": ${JSON.stringify(row.prompt)}, "predict": ${JSON.stringify(row.predict)}, "label": ${JSON.stringify(row.label)}}`;
}

/** What {@link readCompletedPredictions} found in a predictions file. */
export interface CompletedPredictions {
  /** The rows of the complete lines, in order. */
  rows: PredictionRow[];
  /** 1-based line number of each row (blank lines are skipped). */
  lines: number[];
  /** Bytes up to and including the last newline: where the next line goes. */
  completeBytes: number;
  /** Bytes after the last newline: a line cut off by a crash (0 when none). */
  partialBytes: number;
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Read the complete lines of a `generated_predictions.jsonl` being written:
 * every newline-terminated line must be a `{"prompt","predict","label"}`
 * object of strings (the error names the file and line); text after the last
 * newline is a line cut off mid-write and is reported, not parsed. A missing
 * file reads as empty.
 *
 * @example
 * const { readCompletedPredictions } = require('galore-lab');
 * const done = readCompletedPredictions('saves/galore/generated_predictions.jsonl');
 * console.log(`${done.rows.length} predictions written`, done.partialBytes ? '(last line cut off)' : '');
 */
export function readCompletedPredictions(file: string): CompletedPredictions {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], lines: [], completeBytes: 0, partialBytes: 0 };
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  const text = bytes.subarray(0, end).toString('utf8');
  const rows: PredictionRow[] = [];
  const lines: number[] = [];
  const split = text.split('\n');
  split.pop(); // after the final newline
  split.forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message}); expected one {"prompt","predict","label"} object per line`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new Error(`${where}: found ${describeJsonType(record)}, expected an object with string fields "prompt", "predict" and "label"`);
    }
    const r = record as Record<string, unknown>;
    for (const field of ['prompt', 'predict', 'label']) {
      if (typeof r[field] !== 'string') {
        throw new Error(`${where}: field "${field}" is ${field in r ? describeJsonType(r[field]) : 'missing'}, expected a string`);
      }
    }
    rows.push({ prompt: r.prompt as string, predict: r.predict as string, label: r.label as string });
    lines.push(i + 1);
  });
  return { rows, lines, completeBytes: end, partialBytes: bytes.length - end };
}
