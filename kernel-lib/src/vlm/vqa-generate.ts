/**
 * Answers by greedy decoding: examples with equal prompt lengths are decoded
 * together (no padding needed), the image and prompt in one pass that fills
 * a key/value cache, then one token per step until every sequence has
 * produced `<|im_end|>` or `maxNewTokens`.
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from '../model/primitives';
import type { Qwen2Tokenizer } from '../tokenizer/tokenizer';
import { decoderHiddenStates, disposeDecoderCache, newDecoderCache } from './decoder-pass';
import type { VisionLanguageModel } from './vlm-model';
import type { VqaExample } from './vqa-examples';
import { VqaScores, vqaScores } from './vqa-metrics';

/** Options of `generateAnswers`. */
export interface GenerateAnswersOptions {
  /** Longest answer in tokens, `<|im_end|>` excluded (default 4). */
  maxNewTokens?: number;
  /** Sequences decoded together (default 64). */
  batchSize?: number;
}

function argmaxRows(logits: tf.Tensor2D): Int32Array {
  return tf.tidy(() => Int32Array.from(tf.argMax(logits, 1).dataSync()));
}

/**
 * Greedy answers (decoded text, special tokens removed), in the order of `examples`.
 *
 * @example
 * const answers = generateAnswers(vlm, tokenizer, test.slice(0, 8)); // ['left', '3', ...]
 */
export function generateAnswers(vlm: VisionLanguageModel, tokenizer: Qwen2Tokenizer, examples: readonly VqaExample[], options: GenerateAnswersOptions = {}): string[] {
  const maxNew = options.maxNewTokens ?? 4;
  const batchSize = options.batchSize ?? 64;
  const stop = tokenizer.imEndId;
  const out = new Array<string>(examples.length);
  const groups = new Map<number, number[]>();
  examples.forEach((e, i) => groups.set(e.promptIds.length, [...(groups.get(e.promptIds.length) ?? []), i]));
  const n = vlm.imageTokens;
  const embedTable = vlm.weight('model.embed_tokens.weight') as tf.Tensor2D;
  for (const [len, all] of groups) {
    for (let start = 0; start < all.length; start += batchSize) {
      const idx = all.slice(start, start + batchSize);
      const b = idx.length;
      const plane = examples[idx[0]].pixels.length;
      const pixels = new Float32Array(b * plane);
      const ids = new Int32Array(b * len);
      idx.forEach((i, k) => { pixels.set(examples[i].pixels, k * plane); ids.set(examples[i].promptIds, k * len); });
      const cache = newDecoderCache(vlm.language, b);
      const tokens: number[][] = idx.map(() => []);
      const done = new Array<boolean>(b).fill(false);
      try {
        let next = tf.tidy(() => {
          const imageAt = new Array<number>(b).fill(vlm.config.imagePlacement === 'after-prompt' ? len : 0);
          const hidden = vlm.hiddenStates(pixels, ids, b, len, cache, imageAt);
          return argmaxRows(vlm.logitsAt(hidden, idx.map((_, k) => k * (n + len) + n + len - 1)));
        });
        for (let step = 0; step <= maxNew; step++) {
          next.forEach((t, k) => { if (!done[k]) { if (t === stop || step === maxNew) done[k] = true; else tokens[k].push(t); } });
          if (done.every(Boolean)) break;
          const feed = next;
          next = tf.tidy(() => {
            const emb = embeddingLookup(tf.tensor1d(feed, 'int32'), embedTable);
            const hidden = decoderHiddenStates(vlm.language, emb, b, 1, vlm.hooks, cache);
            return argmaxRows(vlm.logitsAt(hidden, idx.map((_, k) => k)));
          });
        }
      } finally {
        disposeDecoderCache(cache);
      }
      // an immediate <|im_end|> is an empty answer (Qwen2Tokenizer.decode rejects an empty list)
      idx.forEach((i, k) => { out[i] = tokens[k].length ? tokenizer.decode(tokens[k], { skipSpecialTokens: true }).trim() : ''; });
    }
  }
  return out;
}

/** Predictions and scores of an evaluation. */
export interface VqaEvaluation {
  predictions: { qid: string; question: string; answer: string; prediction: string; answerType: 'OPEN' | 'CLOSED'; category: string }[];
  scores: VqaScores;
  wallMs: number;
}

/**
 * Answer every example greedily and score the answers (closed accuracy, open recall / exact match).
 *
 * @example
 * const { scores } = evaluateVqa(vlm, tokenizer, test);
 * scores.closedAccuracy;
 */
export function evaluateVqa(vlm: VisionLanguageModel, tokenizer: Qwen2Tokenizer, examples: readonly VqaExample[], options: GenerateAnswersOptions = {}): VqaEvaluation {
  const t0 = Date.now();
  const answers = generateAnswers(vlm, tokenizer, examples, options);
  const predictions = examples.map((e, i) => ({
    qid: e.record.qid, question: e.record.question, answer: e.record.answer, prediction: answers[i],
    answerType: e.record.answerType, category: e.record.category,
  }));
  return { predictions, scores: vqaScores(predictions), wallMs: Date.now() - t0 };
}
