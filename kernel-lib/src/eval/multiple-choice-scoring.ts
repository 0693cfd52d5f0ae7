/**
 * Multiple-choice accuracy by likelihood: for each question, the model reads
 * a prompt and every option is scored by the log-probability the model gives
 * to its continuation: the option's text after the question alone
 * (`target: 'text'`, default: the cloze form lm-evaluation-harness uses) or
 * the option's label letter after the question with its labelled options
 * listed (`target: 'label'`, the exam form CMB and CMExam ask in). Text
 * scores are the mean log-probability per token by default
 * (`normalize: 'mean'`, so long options are not penalised for their length)
 * or the sum. The prediction is the best-scoring option; a question counts as
 * correct when it has one correct answer and that is the prediction.
 * Multi-answer questions (CMB's 多项选择题) cannot be answered by picking one
 * option: they are counted in `skipped` and left out of the accuracy.
 */
import * as tf from '@tensorflow/tfjs';
import type { Qwen2ForCausalLM } from '../model/causal-lm';
import { linear } from '../model/primitives';
import { applyChatTemplate } from '../tokenizer/chat-template';
import type { MultipleChoiceQuestion } from './multiple-choice';

/** What scoring needs from a tokenizer. */
export interface TokenEncoder {
  encode(text: string): number[];
}

/** Options of `scoreMultipleChoice`. */
export interface MultipleChoiceOptions {
  /** The prompt of a question (default: `clozePrompt` for text targets, `multipleChoicePrompt` for label targets). */
  prompt?: (question: MultipleChoiceQuestion) => string;
  /** What is scored after the prompt: the option's text (default) or its label. */
  target?: 'text' | 'label';
  /** Mean (default) or summed log-probability over the continuation's tokens. */
  normalize?: 'mean' | 'sum';
  /** Longest sequence: longer prompts lose their beginning (default: the model's max positions). */
  maxLength?: number;
  /** Padded tokens per forward pass (default 2048, the fastest on the tiny model under wasm; larger batches gain nothing there). */
  maxBatchTokens?: number;
}

/** The scores of one question. */
export interface QuestionScore {
  id: string;
  /** One score per option, in option order (higher = preferred). */
  scores: number[];
  predicted: string;
  answers: string[];
  /** null for multi-answer questions (not scored). */
  correct: boolean | null;
}

/** Accuracy over a set of questions. */
export interface MultipleChoiceResult {
  accuracy: number;
  correct: number;
  /** Single-answer questions scored. */
  scored: number;
  /** Multi-answer questions left out. */
  skipped: number;
  /** Expected accuracy of guessing: mean of 1 / (number of options) over the scored questions. */
  chance: number;
  questions: QuestionScore[];
}

/**
 * The default prompt: the question and its options as a user turn of the
 * Qwen2 chat template, then the assistant's turn (no default system prompt).
 *
 * @example
 * multipleChoicePrompt(q);
 * // '<|im_start|>user\nWhich ...?\nA. ...\nB. ...\nAnswer with the correct option.<|im_end|>\n<|im_start|>assistant\n'
 */
export function multipleChoicePrompt(q: MultipleChoiceQuestion): string {
  const zh = /[\u4e00-\u9fff]/.test(q.question);
  const body = [q.question, ...q.options.map((o) => `${o.label}. ${o.text}`), zh ? '请选择正确答案。' : 'Answer with the correct option.'].join('\n');
  return applyChatTemplate([{ role: 'user', content: body }], { addGenerationPrompt: true, defaultSystem: null });
}

/**
 * The cloze prompt: the question alone as a user turn, then the assistant's
 * turn, so each option's text is scored as the answer the model would give
 * (lm-evaluation-harness's multiple-choice form). The default for text targets.
 *
 * @example
 * clozePrompt(q); // '<|im_start|>user\nWhich ...?<|im_end|>\n<|im_start|>assistant\n'
 */
export function clozePrompt(q: MultipleChoiceQuestion): string {
  return applyChatTemplate([{ role: 'user', content: q.question }], { addGenerationPrompt: true, defaultSystem: null });
}

/** One context and the continuation scored after it. */
export interface ScoredPair {
  context: number[];
  continuation: number[];
}

/**
 * Log-probabilities of continuations after their contexts: for each pair the
 * sum and the count of the continuation tokens' log-probabilities. Pairs are
 * sorted by length and run in batches of at most `maxBatchTokens` padded
 * tokens (rows padded on the right; only the rows that predict continuation
 * tokens go through the output head), so many short questions cost a few
 * large forward passes. Contexts longer than `maxLength` minus the
 * continuation lose their beginning.
 *
 * @example
 * sequenceLogProbs(model, [{ context: tok.encode('Q: rest or run?\nA:'), continuation: tok.encode(' rest') }]); // [{ sum: -2.1, tokens: 1 }]
 */
export function sequenceLogProbs(
  model: Qwen2ForCausalLM, pairs: ScoredPair[], options: { maxBatchTokens?: number; maxLength?: number; padId?: number } = {},
): { sum: number; tokens: number }[] {
  const maxLength = options.maxLength ?? model.config.max_position_embeddings;
  const budget = Math.max(1, options.maxBatchTokens ?? 2048);
  const rows = pairs.map((p, i) => {
    if (p.continuation.length === 0) throw new Error(`sequenceLogProbs: continuation ${i} has no tokens`);
    if (p.context.length === 0) throw new Error(`sequenceLogProbs: context ${i} has no tokens (the first continuation token needs one before it)`);
    if (p.continuation.length >= maxLength) throw new Error(`sequenceLogProbs: continuation ${i} has ${p.continuation.length} tokens; it does not fit in ${maxLength} positions`);
    const keep = Math.min(p.context.length, maxLength - p.continuation.length);
    return { index: i, context: p.context.slice(p.context.length - keep), continuation: p.continuation };
  });
  const order = rows.slice().sort((a, b) => (a.context.length + a.continuation.length) - (b.context.length + b.continuation.length));
  const out: { sum: number; tokens: number }[] = pairs.map((p) => ({ sum: 0, tokens: p.continuation.length }));
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    const length = (r: typeof rows[number]): number => r.context.length + r.continuation.length;
    while (end < order.length && (end + 1 - start) * length(order[end]) <= budget) end++;
    const group = order.slice(start, end);
    const seqLen = length(group[group.length - 1]);
    const ids = new Int32Array(group.length * seqLen).fill(options.padId ?? 0);
    const positions: number[] = [];
    const targets: number[] = [];
    group.forEach((r, b) => {
      ids.set(r.context, b * seqLen);
      ids.set(r.continuation, b * seqLen + r.context.length);
      r.continuation.forEach((token, j) => {
        positions.push(b * seqLen + r.context.length + j - 1); // the position before a token predicts it
        targets.push(token);
      });
    });
    const picked = tf.tidy(() => {
      const hidden = model.hiddenStates(ids, group.length, seqLen);
      const needed = tf.gather(hidden, tf.tensor1d(positions, 'int32')) as tf.Tensor2D;   // forward only: no gradient needed
      const logProbs = tf.logSoftmax(linear(needed, model.lmHeadWeight()));
      const vocab = logProbs.shape[1];
      return tf.gather(tf.reshape(logProbs, [-1]), tf.tensor1d(targets.map((t, i) => i * vocab + t), 'int32')).dataSync() as Float32Array;
    });
    let k = 0;
    for (const r of group) for (let j = 0; j < r.continuation.length; j++) out[r.index].sum += picked[k++];
    start = end;
  }
  return out;
}

/**
 * Log-probabilities of several continuations after one context (`sequenceLogProbs` with a shared context).
 *
 * @example
 * continuationLogProbs(model, tok.encode(prompt), [tok.encode('yes'), tok.encode('no')]); // [{ sum: -2.1, tokens: 1 }, ...]
 */
export function continuationLogProbs(model: Qwen2ForCausalLM, context: number[], continuations: number[][], maxLength?: number): { sum: number; tokens: number }[] {
  return sequenceLogProbs(model, continuations.map((continuation) => ({ context, continuation })), { maxLength });
}

/**
 * Scores every question (see the module comment) in a few batched forward
 * passes and returns the accuracy with per-question scores.
 *
 * @example
 * const result = scoreMultipleChoice(model, tokenizer, loadMultipleChoice('datasets/sports-medicine-mcq/test.json'));
 * console.log(`${(100 * result.accuracy).toFixed(1)}% (chance ${(100 * result.chance).toFixed(1)}%)`);
 */
export function scoreMultipleChoice(
  model: Qwen2ForCausalLM, tokenizer: TokenEncoder, questions: MultipleChoiceQuestion[], options: MultipleChoiceOptions = {},
): MultipleChoiceResult {
  const target = options.target ?? 'text';
  const prompt = options.prompt ?? (target === 'label' ? multipleChoicePrompt : clozePrompt);
  const normalize = options.normalize ?? 'mean';
  const pairs: ScoredPair[] = [];
  for (const q of questions) {
    const context = tokenizer.encode(prompt(q));
    for (const o of q.options) pairs.push({ context, continuation: tokenizer.encode(target === 'label' ? o.label : o.text) });
  }
  const logProbs = sequenceLogProbs(model, pairs, { maxLength: options.maxLength, maxBatchTokens: options.maxBatchTokens });
  const scoredQuestions: QuestionScore[] = [];
  let correct = 0;
  let scored = 0;
  let chance = 0;
  let k = 0;
  for (const q of questions) {
    const scores = q.options.map(() => {
      const lp = logProbs[k++];
      return normalize === 'mean' ? lp.sum / lp.tokens : lp.sum;
    });
    let best = 0;
    for (let j = 1; j < scores.length; j++) if (scores[j] > scores[best]) best = j;
    const predicted = q.options[best].label;
    const single = q.answers.length === 1;
    const isCorrect = single ? q.answers[0] === predicted : null;
    if (single) {
      scored++;
      chance += 1 / q.options.length;
      if (isCorrect) correct++;
    }
    scoredQuestions.push({ id: q.id, scores, predicted, answers: q.answers, correct: isCorrect });
  }
  return {
    accuracy: scored ? correct / scored : 0,
    correct,
    scored,
    skipped: questions.length - scored,
    chance: scored ? chance / scored : 0,
    questions: scoredQuestions,
  };
}
