import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../kernel-lib/src/backend/select-backend';
import type { MultipleChoiceQuestion } from '../../kernel-lib/src/eval/multiple-choice';
import { clozePrompt, continuationLogProbs, multipleChoicePrompt, scoreMultipleChoice, sequenceLogProbs } from '../../kernel-lib/src/eval/multiple-choice-scoring';
import { Qwen2ForCausalLM } from '../../kernel-lib/src/model/causal-lm';
import { tinyConfig } from '../helpers/tiny-config';

beforeAll(async () => { await initBackend('wasm'); });

/** One token per character (code mod the vocabulary). */
const charTokenizer = { encode: (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0) % 97) };
const plainPrompt = (q: MultipleChoiceQuestion): string => q.question;

/** Sum of log-probabilities of `cont` after `ctx`, through the model's own loss (teacher forcing). */
function viaLoss(model: Qwen2ForCausalLM, ctx: number[], cont: number[]): number {
  const ids = Int32Array.from([...ctx, ...cont]);
  const labels = Int32Array.from(ids, (t, i) => (i >= ctx.length ? t : -100));
  const mean = tf.tidy(() => model.loss(ids, labels, 1, ids.length).dataSync()[0]);
  return -mean * cont.length;
}

describe('multiple-choice scoring by likelihood', () => {
  it('continuation log-probabilities equal the teacher-forced loss of each continuation (batched, padded)', () => {
    const model = Qwen2ForCausalLM.init(tinyConfig(), 1);
    const ctx = [5, 17, 42, 8];
    const conts = [[3], [60, 61, 62], [9, 9]];
    continuationLogProbs(model, ctx, conts); // first use creates the model's shared rotary helper tensor
    const before = tf.memory().numTensors;
    const got = continuationLogProbs(model, ctx, conts);
    expect(tf.memory().numTensors).toBe(before); // caches and copies freed
    conts.forEach((c, i) => {
      expect(got[i].tokens).toBe(c.length);
      expect(got[i].sum).toBeCloseTo(viaLoss(model, ctx, c), 4);
    });
    expect(() => continuationLogProbs(model, [], conts)).toThrow(/context 0 has no tokens/);
    expect(() => continuationLogProbs(model, ctx, [[3], []])).toThrow(/continuation 1 has no tokens/);
    model.dispose();
  });

  it('batches many pairs of different lengths: any batch size gives the same values; long contexts lose their start', () => {
    const model = Qwen2ForCausalLM.init(tinyConfig({ max_position_embeddings: 16 }), 4);
    const pairs = Array.from({ length: 9 }, (_, i) => ({
      context: Array.from({ length: 2 + ((i * 5) % 11) }, (_, j) => (i * 7 + j * 3) % 97),
      continuation: Array.from({ length: 1 + (i % 4) }, (_, j) => (i + j * 11) % 97),
    }));
    const one = sequenceLogProbs(model, pairs, { maxBatchTokens: 1 });
    const all = sequenceLogProbs(model, pairs, { maxBatchTokens: 100_000 });
    one.forEach((r, i) => {
      expect(r.tokens).toBe(pairs[i].continuation.length);
      expect(all[i].sum).toBeCloseTo(r.sum, 4);
    });
    const long = { context: Array.from({ length: 30 }, (_, j) => (j * 13) % 97), continuation: [5, 6] };
    const [cut] = sequenceLogProbs(model, [long]);
    expect(cut.sum).toBeCloseTo(viaLoss(model, long.context.slice(-14), long.continuation), 4);
    expect(() => sequenceLogProbs(model, [{ context: [1], continuation: Array.from({ length: 16 }, () => 1) }])).toThrow(/16 tokens; it does not fit in 16 positions/);
    model.dispose();
  });

  it('picks the option the model prefers: a one-token option equal to the greedy next token always wins', () => {
    const model = Qwen2ForCausalLM.init(tinyConfig(), 2);
    const questions: MultipleChoiceQuestion[] = ['knee', 'ankle', 'shoulder', 'hamstring', 'wrist'].map((word, i) => {
      const ctx = charTokenizer.encode(word);
      const next = tf.tidy(() => tf.argMax(model.forward(Int32Array.from(ctx), 1, ctx.length), 1).dataSync()[ctx.length - 1]);
      // four one-character options; the greedy token sits at position i % 4; characters chosen to map to distinct ids
      const others = [0, 1, 2, 3, 4].map((k) => (next + 11 + 13 * k) % 97).filter((t) => t !== next).slice(0, 3);
      const tokens = [...others];
      tokens.splice(i % 4, 0, next);
      const labels = ['A', 'B', 'C', 'D'];
      return {
        id: word, question: word, meta: {},
        options: tokens.map((t, j) => ({ label: labels[j], text: String.fromCharCode(t + 97 * 2) })),
        answers: [labels[i % 4]],
      };
    });
    for (const q of questions) for (const o of q.options) expect(charTokenizer.encode(o.text)).toHaveLength(1);
    const result = scoreMultipleChoice(model, charTokenizer, questions, { prompt: plainPrompt });
    expect(result.questions.map((q) => q.predicted)).toEqual(questions.map((q) => q.answers[0]));
    expect(result).toMatchObject({ accuracy: 1, correct: 5, scored: 5, skipped: 0, chance: 0.25 });
    // the same questions with the answer moved to another option are all wrong
    const moved = questions.map((q) => ({ ...q, answers: [q.answers[0] === 'A' ? 'B' : 'A'] }));
    expect(scoreMultipleChoice(model, charTokenizer, moved, { prompt: plainPrompt }).accuracy).toBe(0);
    model.dispose();
  });

  it('mean vs sum normalisation, label targets, multi-answer questions skipped', () => {
    const model = Qwen2ForCausalLM.init(tinyConfig(), 3);
    const q: MultipleChoiceQuestion = {
      id: 'q', question: 'rest', meta: {}, answers: ['B'],
      options: [{ label: 'A', text: 'ice' }, { label: 'B', text: 'compression' }, { label: 'C', text: 'x' }],
    };
    const multi: MultipleChoiceQuestion = { ...q, id: 'm', answers: ['A', 'B'] };
    const ctx = charTokenizer.encode('rest');
    const sums = q.options.map((o) => viaLoss(model, ctx, charTokenizer.encode(o.text)));
    const mean = scoreMultipleChoice(model, charTokenizer, [q, multi], { prompt: plainPrompt });
    mean.questions[0].scores.forEach((s, i) => expect(s).toBeCloseTo(sums[i] / q.options[i].text.length, 4));
    expect(mean).toMatchObject({ scored: 1, skipped: 1, chance: 1 / 3 });
    expect(mean.questions[1].correct).toBeNull();
    const sum = scoreMultipleChoice(model, charTokenizer, [q], { prompt: plainPrompt, normalize: 'sum' });
    sum.questions[0].scores.forEach((s, i) => expect(s).toBeCloseTo(sums[i], 4));
    const byLabel = scoreMultipleChoice(model, charTokenizer, [q], { prompt: plainPrompt, target: 'label' });
    byLabel.questions[0].scores.forEach((s, i) => expect(s).toBeCloseTo(viaLoss(model, ctx, charTokenizer.encode(q.options[i].label)), 4));
    model.dispose();
  });

  it('the exam prompt lists the options in the chat template, in the question\'s language; the cloze prompt has the question alone', () => {
    const q: MultipleChoiceQuestion = { id: 'x', question: 'Which ligament?', meta: {}, answers: ['A'], options: [{ label: 'A', text: 'ATFL' }, { label: 'B', text: 'MCL' }] };
    expect(multipleChoicePrompt(q)).toBe('<|im_start|>user\nWhich ligament?\nA. ATFL\nB. MCL\nAnswer with the correct option.<|im_end|>\n<|im_start|>assistant\n');
    expect(multipleChoicePrompt({ ...q, question: '哪条韧带？' })).toContain('请选择正确答案。');
    expect(clozePrompt(q)).toBe('<|im_start|>user\nWhich ligament?<|im_end|>\n<|im_start|>assistant\n');
  });
});
