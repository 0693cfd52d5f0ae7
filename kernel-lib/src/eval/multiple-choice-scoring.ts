/**
 * Multiple-choice accuracy by likelihood: for each question, the model reads
 * a prompt (the question and its labelled options, in the chat template by
 * default) and every option is scored by the log-probability the model gives
 * to its continuation: the option's text (`target: 'text'`, default, as
 * lm-evaluation-harness scores choices) or its label letter
 * (`target: 'label'`). Text scores are the mean log-probability per token by
 * default (`normalize: 'mean'`, so long options are not penalised for their
 * length) or the sum. The prediction is the best-scoring option; a question
 * counts as correct when it has one correct answer and that is the
 * prediction. Multi-answer questions (CMB's 多项选择题) cannot be answered by
 * picking one option: they are counted in `skipped` and left out of the
 * accuracy.
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
  /** The prompt of a question (default `multipleChoicePrompt`). */
  prompt?: (question: MultipleChoiceQuestion) => string;
  /** What is scored after the prompt: the option's text (default) or its label. */
  target?: 'text' | 'label';
  /** Mean (default) or summed log-probability over the continuation's tokens. */
  normalize?: 'mean' | 'sum';
  /** Padding id for the batch of options (default 0; padded positions are never read). */
  padId?: number;
  /** Longest sequence: longer prompts lose their beginning (default: the model's max positions). */
  maxLength?: number;
  /** Called after each question (progress). */
  onQuestion?: (done: number, total: number) => void;
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
 * Log-probabilities of continuations after one shared context: for each
 * continuation the sum and the count of its tokens' log-probabilities, from
 * one batched forward pass (rows padded on the right; only the rows that
 * predict continuation tokens go through the output head).
 *
 * @example
 * continuationLogProbs(model, tok.encode(prompt), [tok.encode(' yes'), tok.encode(' no')]); // [{ sum: -2.1, tokens: 1 }, ...]
 */
export function continuationLogProbs(
  model: Qwen2ForCausalLM, context: number[], continuations: number[][], padId = 0, maxLength = model.config.max_position_embeddings,
): { sum: number; tokens: number }[] {
  if (continuations.some((c) => c.length === 0)) throw new Error('continuationLogProbs: a continuation has no tokens');
  if (context.length === 0) throw new Error('continuationLogProbs: the context has no tokens (the first continuation token needs one before it)');
  const longest = Math.max(...continuations.map((c) => c.length));
  if (longest >= maxLength) throw new Error(`continuationLogProbs: a continuation of ${longest} tokens does not fit in ${maxLength} positions`);
  const ctx = context.length + longest > maxLength ? context.slice(context.length + longest - maxLength) : context;
  const seqLen = ctx.length + longest;
  const batch = continuations.length;
  const ids = new Int32Array(batch * seqLen).fill(padId);
  const rows: number[] = [];
  const targets: number[] = [];
  continuations.forEach((c, b) => {
    ids.set(ctx, b * seqLen);
    ids.set(c, b * seqLen + ctx.length);
    c.forEach((token, j) => {
      rows.push(b * seqLen + ctx.length + j - 1); // the position before a token predicts it
      targets.push(token);
    });
  });
  const picked = tf.tidy(() => {
    const hidden = model.hiddenStates(ids, batch, seqLen);
    const needed = tf.gather(hidden, tf.tensor1d(rows, 'int32')) as tf.Tensor2D;       // forward only: no gradient needed
    const logProbs = tf.logSoftmax(linear(needed, model.lmHeadWeight()));
    const vocab = logProbs.shape[1];
    return tf.gather(tf.reshape(logProbs, [-1]), tf.tensor1d(targets.map((t, i) => i * vocab + t), 'int32')).dataSync() as Float32Array;
  });
  let k = 0;
  return continuations.map((c) => {
    let sum = 0;
    for (let j = 0; j < c.length; j++) sum += picked[k++];
    return { sum, tokens: c.length };
  });
}

/**
 * Scores every question (see the module comment) and returns the accuracy
 * with per-question scores.
 *
 * @example
 * const result = scoreMultipleChoice(model, tokenizer, loadMultipleChoice('datasets/sports-medicine-mcq/test.json'));
 * console.log(`${(100 * result.accuracy).toFixed(1)}% (chance ${(100 * result.chance).toFixed(1)}%)`);
 */
export function scoreMultipleChoice(
  model: Qwen2ForCausalLM, tokenizer: TokenEncoder, questions: MultipleChoiceQuestion[], options: MultipleChoiceOptions = {},
): MultipleChoiceResult {
  const prompt = options.prompt ?? multipleChoicePrompt;
  const target = options.target ?? 'text';
  const normalize = options.normalize ?? 'mean';
  const scoredQuestions: QuestionScore[] = [];
  let correct = 0;
  let scored = 0;
  let chance = 0;
  questions.forEach((q, i) => {
    const context = tokenizer.encode(prompt(q));
    const continuations = q.options.map((o) => tokenizer.encode(target === 'label' ? o.label : o.text));
    const lp = continuationLogProbs(model, context, continuations, options.padId ?? 0, options.maxLength);
    const scores = lp.map((s) => (normalize === 'mean' ? s.sum / s.tokens : s.sum));
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
    options.onQuestion?.(i + 1, questions.length);
  });
  return {
    accuracy: scored ? correct / scored : 0,
    correct,
    scored,
    skipped: questions.length - scored,
    chance: scored ? chance / scored : 0,
    questions: scoredQuestions,
  };
}
