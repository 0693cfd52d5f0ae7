/**
 * VQA records -> model inputs: the image as the vision encoder takes it, the
 * prompt's token ids (the question in Qwen2's chat format, which the
 * decoder was trained on), and the answer's ids ending with `<|im_end|>`.
 * Training batches put the image tokens first, then prompt + answer, with
 * the loss on the answer only; generation feeds image + prompt.
 */
import type { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { ImageInputOptions, loadImageInput } from './image-decode';
import type { ImagePlacement, VisionConfig } from './vlm-config';
import type { VqaRecord } from './vqa-data';

/** One question ready for the model. */
export interface VqaExample {
  record: VqaRecord;
  /** [C, S, S] image values. */
  pixels: Float32Array;
  promptIds: Int32Array;
  /** Answer tokens, then `<|im_end|>`. */
  answerIds: Int32Array;
}

/**
 * The prompt text of a question: a user turn, then the assistant's turn opening.
 *
 * @example
 * vqaPrompt('How many nodules are there?');
 * // '<|im_start|>user\nHow many nodules are there?<|im_end|>\n<|im_start|>assistant\n'
 */
export function vqaPrompt(question: string): string {
  return `<|im_start|>user\n${question.trim()}<|im_end|>\n<|im_start|>assistant\n`;
}

/**
 * The shortest prompt: the question and a newline, no chat turns (about 10
 * tokens fewer per example on the tiny base). A model trained on it learns
 * that the answer follows the newline.
 *
 * @example
 * plainVqaPrompt('Is there a fracture line?'); // 'Is there a fracture line?\n'
 */
export function plainVqaPrompt(question: string): string {
  return `${question.trim()}\n`;
}

/** Options of `buildVqaExamples`. */
export interface VqaExampleOptions {
  /** Question -> prompt text (default `vqaPrompt`, the chat format). */
  prompt?: (question: string) => string;
  /** Image normalisation and resampling (size and channels come from the vision config). */
  image?: Partial<Omit<ImageInputOptions, 'size' | 'channels'>>;
}

/**
 * Build examples: images decoded once per file (PNG or JPEG, converted to the
 * encoder's channels and size), texts tokenized.
 *
 * @example
 * const examples = buildVqaExamples(readSlakeJson(json, imgs), tokenizer, vlm.config.vision);
 */
export function buildVqaExamples(
  records: readonly VqaRecord[], tokenizer: Qwen2Tokenizer, vision: VisionConfig, options: VqaExampleOptions = {},
): VqaExample[] {
  const prompt = options.prompt ?? vqaPrompt;
  const image = options.image ?? {};
  const cache = new Map<string, Float32Array>();
  return records.map((record) => {
    let pixels = cache.get(record.imagePath);
    if (!pixels) {
      try {
        pixels = loadImageInput(record.imagePath, { ...image, size: vision.imageSize, channels: vision.channels });
      } catch (err) {
        throw new Error(`${record.source.file}:${record.source.line}: question ${record.qid}: ${(err as Error).message}`);
      }
      cache.set(record.imagePath, pixels);
    }
    const answerIds = [...tokenizer.encode(record.answer.trim()), tokenizer.imEndId];
    return { record, pixels, promptIds: Int32Array.from(tokenizer.encode(prompt(record.question))), answerIds: Int32Array.from(answerIds) };
  });
}

/** A padded training batch. */
export interface VqaBatch {
  batch: number;
  /** Text length T (prompt + answer, padded). */
  textLen: number;
  /** [B, C, S, S] */
  pixels: Float32Array;
  /** [B, T] */
  ids: Int32Array;
  /** [B, T]: answer ids, -100 elsewhere. */
  labels: Int32Array;
  /** Per sequence, the number of text tokens before the image tokens. */
  imageAt: Int32Array;
}

/**
 * Collate examples into one batch, padding on the right with `padId`; the
 * image goes before the text or after each prompt (`placement`).
 *
 * @example
 * const b = collateVqa(examples.slice(0, 8), tokenizer.padTokenId);
 */
export function collateVqa(examples: readonly VqaExample[], padId: number, placement: ImagePlacement = 'before-text'): VqaBatch {
  if (examples.length === 0) throw new Error('collateVqa: no examples');
  const textLen = Math.max(...examples.map((e) => e.promptIds.length + e.answerIds.length));
  const plane = examples[0].pixels.length;
  const pixels = new Float32Array(examples.length * plane);
  const ids = new Int32Array(examples.length * textLen).fill(padId);
  const labels = new Int32Array(examples.length * textLen).fill(-100);
  examples.forEach((e, b) => {
    if (e.pixels.length !== plane) throw new Error(`collateVqa: image of question ${e.record.qid} has ${e.pixels.length} values, expected ${plane}`);
    pixels.set(e.pixels, b * plane);
    ids.set(e.promptIds, b * textLen);
    ids.set(e.answerIds, b * textLen + e.promptIds.length);
    labels.set(e.answerIds, b * textLen + e.promptIds.length);
  });
  const imageAt = Int32Array.from(examples, (e) => (placement === 'after-prompt' ? e.promptIds.length : 0));
  return { batch: examples.length, textLen, pixels, ids, labels, imageAt };
}
