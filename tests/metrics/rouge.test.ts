import { describe, expect, it } from 'vitest';
import {
  longestCommonSubsequenceLength,
  rougeChineseScores,
  rougeChineseWords,
  rougeL,
  rougeN,
  splitSentencesLikeRougeChinese,
} from '../../kernel-lib/src/metrics/rouge';

/** rouge-chinese's F: 2 * (P * R / (P + R + 1e-8)). */
const f = (p: number, r: number): number => 2 * ((p * r) / (p + r + 1e-8));

describe('splitSentencesLikeRougeChinese (rouge-chinese cut_sent)', () => {
  it('splits after 。！？? when another character follows', () => {
    expect(splitSentencesLikeRougeChinese('你好。我很好！谢谢？好')).toEqual(['你好。', '我很好！', '谢谢？', '好']);
    expect(splitSentencesLikeRougeChinese('Why? Because')).toEqual(['Why?', ' Because']);
  });

  it('keeps a closing quote with its sentence', () => {
    // 。 followed by ” is not split by the first rule; the fourth rule splits after 。” instead.
    expect(splitSentencesLikeRougeChinese('他说：“好。”然后走了')).toEqual(['他说：“好。”', '然后走了']);
    // ...but not when a comma follows the quote.
    expect(splitSentencesLikeRougeChinese('“好。”，然后')).toEqual(['“好。”，然后']);
  });

  it('splits after six dots and after two ellipses, not after fewer', () => {
    expect(splitSentencesLikeRougeChinese('等等......然后')).toEqual(['等等......', '然后']);
    expect(splitSentencesLikeRougeChinese('等等...然后')).toEqual(['等等...然后']);
    expect(splitSentencesLikeRougeChinese('好……走')).toEqual(['好……', '走']);
  });

  it('right-strips, then splits on newlines already in the text', () => {
    expect(splitSentencesLikeRougeChinese('好。  ')).toEqual(['好。']);
    expect(splitSentencesLikeRougeChinese('第一行\n第二行')).toEqual(['第一行', '第二行']);
    expect(splitSentencesLikeRougeChinese('')).toEqual(['']);
  });

  it('matches non-overlapping, left to right, like re.sub', () => {
    // "。。。a": the first match consumes "。。", so the second 。 is not followed by a break.
    expect(splitSentencesLikeRougeChinese('。。。a')).toEqual(['。', '。。', 'a']);
  });
});

describe('rougeChineseWords', () => {
  it('turns whitespace-only sentences into empty-string words', () => {
    // jieba's "你好。\n\n再见" joined with spaces is "你好 。 \n \n 再见". cut_sent inserts a break
    // after "。" -> "你好 。\n \n \n 再见" -> ["你好 。", " ", " ", " 再见"] -> whitespace-only pieces
    // normalise to "" -> words: 你好 。 "" "" 再见.
    expect(rougeChineseWords('你好 。 \n \n 再见')).toEqual(['你好', '。', '', '', '再见']);
  });

  it('normalises runs of whitespace inside a sentence', () => {
    expect(rougeChineseWords('The   cat \t sat')).toEqual(['The', 'cat', 'sat']);
  });
});

describe('rougeN and rougeL', () => {
  it('counts n-grams as sets', () => {
    // hyp {a, b} (a repeated), ref {a, c}: overlap 1, P = 1/2, R = 1/2.
    const unigrams = rougeN(['a', 'a', 'b'], ['a', 'c'], 1);
    expect(unigrams.p).toBe(0.5);
    expect(unigrams.r).toBe(0.5);
    expect(unigrams.f).toBe(f(0.5, 0.5));
    // bigrams: hyp {(a,a), (a,b)}, ref {(a,c)}: no overlap.
    expect(rougeN(['a', 'a', 'b'], ['a', 'c'], 2).f).toBe(0);
  });

  it('gives 0 for ROUGE-2 of single words, even identical ones', () => {
    expect(rougeN(['膝盖'], ['膝盖'], 2)).toEqual({ f: 0, p: 0, r: 0 });
  });

  it('uses the longest common subsequence for ROUGE-L', () => {
    expect(longestCommonSubsequenceLength(['a', 'b', 'c', 'd'], ['b', 'd', 'x'])).toBe(2);
    expect(longestCommonSubsequenceLength([], ['a'])).toBe(0);
    const score = rougeL(['a', 'b', 'c', 'd'], ['b', 'd', 'x']);
    expect(score.p).toBe(2 / 4);
    expect(score.r).toBe(2 / 3);
  });
});

describe('rougeChineseScores (Rouge().get_scores(h, r)[0])', () => {
  it('scores an English sentence against a shorter one', () => {
    // words: hyp The cat sat on the mat . (7, 'The' != 'the'), ref The cat sat . (4).
    // ROUGE-1: overlap 4 -> P = 4/7, R = 1. ROUGE-2: hyp 6 bigrams, ref 3, overlap (The,cat) (cat,sat)
    // -> P = 2/6, R = 2/3. ROUGE-L: LCS "The cat sat ." = 4 -> P = 4/7, R = 1.
    const scores = rougeChineseScores('The   cat   sat   on   the   mat .', 'The   cat   sat .');
    expect(scores['rouge-1'].f).toBe(f(4 / 7, 1));
    expect(scores['rouge-2'].f).toBe(f(2 / 6, 2 / 3));
    expect(scores['rouge-l'].f).toBe(f(4 / 7, 1));
    expect(scores['rouge-1'].f * 100).toBeCloseTo(72.7273, 4);
    expect(scores['rouge-2'].f * 100).toBeCloseTo(44.4444, 4);
  });

  it('scores segmented Chinese', () => {
    // hyp 冰敷 可以 减轻 肿胀, ref 冰敷能 减轻 肿胀 和 疼痛.
    // ROUGE-1: overlap {减轻, 肿胀} -> P = 2/4, R = 2/5. ROUGE-2: overlap {(减轻,肿胀)} -> P = 1/3, R = 1/4.
    // ROUGE-L: LCS 减轻 肿胀 = 2 -> P = 2/4, R = 2/5.
    const scores = rougeChineseScores('冰敷 可以 减轻 肿胀', '冰敷能 减轻 肿胀 和 疼痛');
    expect(scores['rouge-1']).toEqual({ p: 0.5, r: 0.4, f: f(0.5, 0.4) });
    expect(scores['rouge-2']).toEqual({ p: 1 / 3, r: 0.25, f: f(1 / 3, 0.25) });
    expect(scores['rouge-l'].f).toBe(f(0.5, 0.4));
  });

  it('lets empty-string words from blank lines match each other', () => {
    // hyp words 你好 。 "" "" 再见 (set of 4), ref 你好 。 再见 (split after 。, set of 3).
    // ROUGE-1: overlap 3 -> P = 3/4, R = 1. ROUGE-2: hyp (你好,。) (。,"") ("","") ("",再见), ref (你好,。) (。,再见):
    // overlap 1 -> P = 1/4, R = 1/2. ROUGE-L: LCS 3 of 5 and 3 -> P = 3/5, R = 1.
    const scores = rougeChineseScores('你好 。 \n \n 再见', '你好 。 再见');
    expect(scores['rouge-1'].f).toBe(f(3 / 4, 1));
    expect(scores['rouge-2'].f).toBe(f(1 / 4, 1 / 2));
    expect(scores['rouge-l'].f).toBe(f(3 / 5, 1));
  });

  it('scores punctuation-only texts', () => {
    // "！ ？" -> cut_sent splits after ！ -> words ！ ？; the reference is ？ ！.
    // ROUGE-1: same set -> 1; ROUGE-2: (！,？) vs (？,！) -> 0; ROUGE-L: LCS 1 -> P = R = 1/2.
    const scores = rougeChineseScores('！ ？', '？ ！');
    expect(scores['rouge-1'].f).toBe(f(1, 1));
    expect(scores['rouge-2'].f).toBe(0);
    expect(scores['rouge-l'].f).toBe(f(0.5, 0.5));
  });

  it('throws, as rouge-chinese raises, on an empty text', () => {
    expect(() => rougeChineseScores('', 'a')).toThrow(/hypothesis is empty/);
    expect(() => rougeChineseScores('a', '  ')).toThrow(/reference is empty/);
  });

  it('handles very long texts', () => {
    const words = Array.from({ length: 4000 }, (_, i) => `w${i % 997}`);
    const text = words.join(' ');
    const scores = rougeChineseScores(text, text);
    expect(scores['rouge-l'].f).toBe(f(1, 1));
    // Drop the first word: LCS = 3999 of 3999 and 4000.
    const shorter = words.slice(1).join(' ');
    expect(rougeChineseScores(shorter, text)['rouge-l'].f).toBe(f(1, 3999 / 4000));
  });
});
