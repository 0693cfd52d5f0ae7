import { describe, expect, it } from 'vitest';
import { bleu4, nltkCorpusBleu, nltkSentenceBleu } from '../../kernel-lib/src/metrics/bleu4';

const words = (text: string): string[] => text.split(' ');

describe('bleu4 (LLaMA-Factory: character-level nltk sentence_bleu, method3, x100, 4 decimals)', () => {
  it('gives 100 for identical texts', () => {
    expect(bleu4('膝关节疼痛', '膝关节疼痛')).toBe(100);
    expect(bleu4('abcd', 'abcd')).toBe(100);
  });

  it('smooths the empty orders of a one-character match with 1/2, 1/4, 1/8', () => {
    // p1 = 1/1; orders 2..4 have no n-grams: numerator 0, denominator max(1, 0) = 1,
    // so method3 gives 1/(2*1), 1/(4*1), 1/(8*1). BLEU = (1 * 1/2 * 1/4 * 1/8) ** 0.25 = 64 ** -0.25
    // = 0.35355339...; brevity penalty exp(1 - 1/1) = 1. x100 -> 35.3553.
    expect(bleu4('膝', '膝')).toBe(35.3553);
  });

  it('counts code points, not UTF-16 units (Python list(str))', () => {
    // One emoji is one token, so this is the one-character case again; as two UTF-16
    // units it would be (1 * 1 * 1/2 * 1/4) ** 0.25 = 59.4604.
    expect(bleu4('😀', '😀')).toBe(35.3553);
  });

  it('returns 0 without any unigram match, and for empty texts', () => {
    expect(bleu4('abc', 'xyz')).toBe(0);
    expect(bleu4('', '膝关节')).toBe(0);
    expect(bleu4('膝关节', '')).toBe(0);
    expect(bleu4('', '')).toBe(0);
  });

  it('applies the brevity penalty to short predictions', () => {
    // 'ab' vs 'abcd': p1 = 2/2, p2 = 1/1, p3 and p4 have no trigrams: 1/2, 1/4.
    // (1/8) ** 0.25 = 0.594604; BP = exp(1 - 4/2) = e^-1 = 0.367879; product 0.2187424 -> 21.8742.
    expect(bleu4('ab', 'abcd')).toBe(21.8742);
    expect(bleu4('ab', 'abcd')).toBeCloseTo(100 * Math.exp(-1) * (1 / 8) ** 0.25, 3);
  });

  it('clips repeated characters and smooths with the real denominators', () => {
    // 'aaaa' vs 'a': p1 = min(4, 1)/4 = 1/4; bigrams: 3, none match -> 1/(2*3) = 1/6;
    // trigrams: 2 -> 1/(4*2) = 1/8; 4-grams: 1 -> 1/(8*1) = 1/8.
    // (1/4 * 1/6 * 1/8 * 1/8) ** 0.25 = 1536 ** -0.25 = 0.1597358; BP = 1 (4 > 1) -> 15.9736.
    expect(bleu4('aaaa', 'a')).toBe(15.9736);
  });

  it('treats spaces as characters', () => {
    // 'ab' vs 'a b': p1 = 2/2; bigram (a,b) is not among (a,' '), (' ',b): 0/1 -> 1/2;
    // p3 = 1/4, p4 = 1/8 (no n-grams); BP = exp(1 - 3/2) = 0.606531.
    // 0.606531 * 64 ** -0.25 = 0.214441 -> 21.4441.
    expect(bleu4('ab', 'a b')).toBe(21.4441);
    // 'a b' is 3 characters: p1 = p2 = p3 = 1, no 4-gram -> 1/2; 2 ** -0.25 = 0.840896 -> 84.0896.
    expect(bleu4('a b', 'a b')).toBe(84.0896);
  });

  it('scores a Chinese paraphrase', () => {
    // pred 冰敷可以减轻肿胀 (8 chars), label 冰敷能减轻肿胀和疼痛 (10 chars).
    // unigrams: 冰 敷 减 轻 肿 胀 match -> 6/8; bigrams: 冰敷 减轻 轻肿 肿胀 -> 4/7;
    // trigrams: 减轻肿 轻肿胀 -> 2/6; 4-grams: 减轻肿胀 -> 1/5.
    // (6/8 * 4/7 * 2/6 * 1/5) ** 0.25 = (1/35) ** 0.25 = 0.4111336; BP = exp(1 - 10/8) = 0.7788008.
    // product 0.3201912 -> 32.0191.
    expect(bleu4('冰敷可以减轻肿胀', '冰敷能减轻肿胀和疼痛')).toBe(32.0191);
  });

  it('handles long texts', () => {
    const label = '前交叉韧带损伤后应先冰敷，再进行康复训练。'.repeat(200);
    expect(bleu4(label, label)).toBe(100);
    // Dropping the last character: every order loses one n-gram, BP = exp(1 - n/(n-1)).
    const n = Array.from(label).length;
    const prediction = label.slice(0, -1);
    expect(bleu4(prediction, label)).toBeCloseTo(100 * Math.exp(1 - n / (n - 1)), 4);
  });
});

describe('nltk sentence and corpus BLEU', () => {
  // The example sentences of nltk's bleu_score documentation and its documented values.
  const hypothesis1 = words('It is a guide to action which ensures that the military always obeys the commands of the party');
  const hypothesis2 = words('It is to insure the troops forever hearing the activity guidebook that party direct');
  const reference1 = words('It is a guide to action that ensures that the military will forever heed Party commands');
  const reference2 = words('It is the guiding principle which guarantees the military forces always being under the command of the Party');
  const reference3 = words('It is the practical guide for the army always to heed the directions of the party');

  // nltk's doctests print these values with an ellipsis: the leading digits must agree.
  const leadingDigits = (value: number): string => value.toString().slice(0, 6);

  it("reproduces nltk's documented sentence_bleu value", () => {
    expect(leadingDigits(nltkSentenceBleu([reference1, reference2, reference3], hypothesis1))).toBe('0.5045');
  });

  it('without smoothing (method0), a missing order drives the score to about 0', () => {
    expect(nltkSentenceBleu([reference1, reference2, reference3], hypothesis2, { smoothing: 'method0' })).toBeLessThan(1e-4);
    // With method3 the same pair keeps a positive score.
    expect(nltkSentenceBleu([reference1, reference2, reference3], hypothesis2)).toBeGreaterThan(0.01);
  });

  it("reproduces nltk's documented corpus_bleu value and BLEU-5 weights", () => {
    const hypothesis3 = words('he read the book because he was interested in world history');
    const reference3a = words('he was interested in world history because he read the book');
    const corpus = nltkCorpusBleu([[reference1, reference2, reference3], [reference3a]], [hypothesis1, hypothesis3]);
    expect(leadingDigits(corpus.score)).toBe('0.5920');
    const bleu5 = nltkSentenceBleu([reference1, reference2, reference3], hypothesis1, { weights: [0.2, 0.2, 0.2, 0.2, 0.2] });
    expect(leadingDigits(bleu5)).toBe('0.3920');
  });

  it('picks the closest reference length, the shorter one on a tie', () => {
    // Hypothesis of 12 tokens, references of 13 and 11: both 1 away, 11 wins -> no penalty.
    const result = nltkCorpusBleu([[new Array(13).fill('a'), new Array(11).fill('a')]], [new Array(12).fill('a')]);
    expect(result.referenceLength).toBe(11);
    expect(result.brevityPenalty).toBe(1);
    // References of 13 and 2: 13 is closer, so BP = exp(1 - 13/12) = 0.9200...
    const penalised = nltkCorpusBleu([[new Array(13).fill('a'), new Array(2).fill('a')]], [new Array(12).fill('a')]);
    expect(penalised.brevityPenalty).toBeCloseTo(Math.exp(1 - 13 / 12), 12);
  });

  it('reports clipped matches and totals per order', () => {
    // 'the the the the the the the' vs 'the cat is on the mat': 'the' clipped to 2 of 7.
    const result = nltkCorpusBleu([[words('the cat is on the mat')]], [words('the the the the the the the')]);
    expect(result.matches[0]).toBe(2);
    expect(result.totals[0]).toBe(7);
    expect(result.precisions[0]).toBeCloseTo(2 / 7, 12);
  });

  it('rejects mismatched corpus lengths with a clear message', () => {
    expect(() => nltkCorpusBleu([[['a']]], [['a'], ['b']])).toThrow(/2 hypotheses but 1 reference lists/);
  });
});
