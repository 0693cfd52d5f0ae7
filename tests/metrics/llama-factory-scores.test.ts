import { describe, expect, it } from 'vitest';
import {
  averageSimilarityScores,
  llamaFactoryRouge,
  llamaFactoryScores,
} from '../../kernel-lib/src/metrics/llama-factory-scores';

describe('llamaFactoryRouge (jieba + rouge-chinese, F x 100, 4 decimals)', () => {
  it('gives 100 for identical multi-word texts', () => {
    // F = 2 * (1 / (2 + 1e-8)) = 0.999999995 -> 99.9999995 -> rounds to 100.
    expect(llamaFactoryRouge('冰敷可以减轻肿胀', '冰敷可以减轻肿胀')).toEqual({ 'rouge-1': 100, 'rouge-2': 100, 'rouge-l': 100 });
  });

  it('gives ROUGE-2 = 0 for an identical one-word text', () => {
    // 膝盖 is one jieba word: no bigrams on either side.
    expect(llamaFactoryRouge('膝盖', '膝盖')).toEqual({ 'rouge-1': 100, 'rouge-2': 0, 'rouge-l': 100 });
  });

  it('gives all zeros when either side is blank', () => {
    const zeros = { 'rouge-1': 0, 'rouge-2': 0, 'rouge-l': 0 };
    expect(llamaFactoryRouge('', '膝盖')).toEqual(zeros);
    expect(llamaFactoryRouge('膝盖', ' \n\u3000')).toEqual(zeros);
    expect(llamaFactoryRouge('', '')).toEqual(zeros);
  });

  it('scores a Chinese paraphrase from its jieba words', () => {
    // jieba: 冰敷 可以 减轻 肿胀 | 冰敷能 减轻 肿胀 和 疼痛.
    // ROUGE-1 P = 2/4, R = 2/5: 2 * 0.2 / 0.9 = 0.444444 -> 44.4444.
    // ROUGE-2 P = 1/3, R = 1/4: 2 * (1/12) / (7/12) = 2/7 -> 28.5714. ROUGE-L as ROUGE-1 -> 44.4444.
    expect(llamaFactoryRouge('冰敷可以减轻肿胀', '冰敷能减轻肿胀和疼痛')).toEqual({
      'rouge-1': 44.4444,
      'rouge-2': 28.5714,
      'rouge-l': 44.4444,
    });
  });

  it('scores English through jieba (spaces become their own tokens, then vanish)', () => {
    // words: The cat sat on the mat . vs The cat sat . -> 8/11 = 72.7273, 4/9 = 44.4444, 72.7273.
    expect(llamaFactoryRouge('The cat sat on the mat.', 'The cat sat.')).toEqual({
      'rouge-1': 72.7273,
      'rouge-2': 44.4444,
      'rouge-l': 72.7273,
    });
  });

  it('scores punctuation-only texts', () => {
    // ！？ vs ？！: same unigram set, no shared bigram, LCS 1 of 2 -> 100, 0, 50.
    expect(llamaFactoryRouge('！？', '？！')).toEqual({ 'rouge-1': 100, 'rouge-2': 0, 'rouge-l': 50 });
  });

  it('accepts another segmenter', () => {
    const characters = (text: string): string[] => Array.from(text);
    // Characters: 膝 盖 vs 膝 盖 -> one shared bigram, so ROUGE-2 is 100 here.
    expect(llamaFactoryRouge('膝盖', '膝盖', characters)['rouge-2']).toBe(100);
  });
});

describe('llamaFactoryScores and averageSimilarityScores', () => {
  it('combines BLEU-4 and ROUGE per sample', () => {
    // 膝 vs 膝: BLEU-4 35.3553 (one character), ROUGE-1/L 100, ROUGE-2 0 (one word).
    expect(llamaFactoryScores('膝', '膝')).toEqual({ 'bleu-4': 35.3553, 'rouge-1': 100, 'rouge-2': 0, 'rouge-l': 100 });
  });

  it('averages as sum / count', () => {
    const average = averageSimilarityScores([
      { 'bleu-4': 100, 'rouge-1': 100, 'rouge-2': 100, 'rouge-l': 100 },
      { 'bleu-4': 35.3553, 'rouge-1': 100, 'rouge-2': 0, 'rouge-l': 100 },
      { 'bleu-4': 0, 'rouge-1': 0, 'rouge-2': 0, 'rouge-l': 0 },
    ]);
    expect(average['bleu-4']).toBe((100 + 35.3553 + 0) / 3);
    expect(average['rouge-2']).toBe(100 / 3);
    expect(() => averageSimilarityScores([])).toThrow(/no samples/);
  });
});
