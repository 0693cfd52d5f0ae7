import { describe, expect, it } from 'vitest';
import { corpusBleu } from '../../kernel-lib/src/metrics/corpus-bleu';
import {
  isSacreBleuChineseCharacter,
  sacreBleuTokenize,
  tokenize13a,
  tokenizeZh,
} from '../../kernel-lib/src/metrics/sacrebleu-tokenizers';

/** Geometric mean of precisions given in percent. */
const geometricMean = (percents: number[]): number => Math.exp(percents.reduce((sum, p) => sum + Math.log(p), 0) / percents.length);

describe('sacreBLEU tokenizers', () => {
  it('13a splits ASCII punctuation, keeps decimals, apostrophes and inner dashes', () => {
    expect(tokenize13a('Rest, ice (and) compression.')).toBe('Rest , ice ( and ) compression .');
    expect(tokenize13a('3.5 km, 10-12 reps')).toBe('3.5 km , 10 - 12 reps');
    expect(tokenize13a('U.S. $5,000')).toBe('U . S . $ 5,000');
    expect(tokenize13a("it's x-ray")).toBe("it's x-ray");
  });

  it('13a unescapes HTML entities, drops <skipped> and joins "-\\n" hyphenation', () => {
    expect(tokenize13a('A &amp; B &lt;x&gt;')).toBe('A & B < x >');
    expect(tokenize13a('e-\nmail <skipped>done')).toBe('email done');
  });

  it('zh puts every Chinese character and full-width sign on its own', () => {
    expect(tokenizeZh('膝关节ACL损伤，3-6周。')).toBe('膝 关 节 ACL 损 伤 ， 3 - 6 周 。');
    expect(tokenizeZh(' \u3000运动损伤 ')).toBe('运 动 损 伤');
    expect(sacreBleuTokenize('none', 'a,b')).toBe('a,b');
  });

  it("zh reproduces sacreBLEU's reading of its '\\u20000' and '\\u2f800' ranges", () => {
    // Python reads '\u20000' as U+2000 followed by '0', so U+2001..U+2A6D count as Chinese
    // (curly quotes, dashes) while U+2000 and the real Extension B ideograph U+20000 do not.
    expect(isSacreBleuChineseCharacter('\u2000')).toBe(false);
    expect(isSacreBleuChineseCharacter('“')).toBe(true);
    expect(isSacreBleuChineseCharacter('\u2a6d')).toBe(true);
    expect(isSacreBleuChineseCharacter('\u2a6e')).toBe(false);
    expect(isSacreBleuChineseCharacter('𠀀')).toBe(false);
    expect(tokenizeZh('“好”—不')).toBe('“ 好 ” — 不');
    // 13a leaves non-ASCII alone.
    expect(tokenize13a('“好”—不')).toBe('“好”—不');
  });

  it('rejects an unknown tokenizer name', () => {
    expect(() => sacreBleuTokenize('intl' as never, 'x')).toThrow(/expected one of 13a, zh, none/);
  });
});

describe('corpusBleu (sacreBLEU-style)', () => {
  it('is labelled as its own metric with a signature', () => {
    const result = corpusBleu(['a b c d'], ['a b c d'], { tokenize: 'zh' });
    expect(result.metric).toBe('sacrebleu-corpus-bleu');
    expect(result.signature).toBe('nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp');
    expect(result.score).toBeCloseTo(100, 10);
  });

  it('scores Chinese character n-grams with exp smoothing', () => {
    // zh tokens 膝 关 节 疼 痛 vs 膝 关 节 肿 痛: matches 4/5, 2/4, 1/3, 0/2.
    // exp smoothing: the first zero order gets 100 / (2 * 2) = 25%. BP = 1 (5 = 5).
    const result = corpusBleu(['膝关节疼痛'], ['膝关节肿痛'], { tokenize: 'zh' });
    expect(result.counts).toEqual([4, 2, 1, 0]);
    expect(result.totals).toEqual([5, 4, 3, 2]);
    expect(result.precisions[3]).toBe(25);
    expect(result.score).toBeCloseTo(geometricMean([80, 50, 100 / 3, 25]), 10); // 42.7287
  });

  it('gives 0 when an order has no n-grams at all, unless effectiveOrder is set', () => {
    // 'a b c' has no 4-gram: sacreBLEU stops, leaving precision 0 -> log floor -> score 0.
    expect(corpusBleu(['a b c'], ['a b d']).score).toBe(0);
    // With effective order only orders 1..3 count: (200/3 * 50 * 100/(2*1)) ** (1/3) = 55.03.
    const effective = corpusBleu(['a b c'], ['a b d'], { effectiveOrder: true });
    expect(effective.score).toBeCloseTo(geometricMean([200 / 3, 50, 50]), 10);
    expect(effective.signature).toContain('eff:yes');
  });

  it('supports the other smoothing methods', () => {
    // 'a b c d' vs 'a b c e': matches 3/4, 2/3, 1/2, 0/1.
    expect(corpusBleu(['a b c d'], ['a b c e']).score).toBeCloseTo(geometricMean([75, 200 / 3, 50, 50]), 10);
    expect(corpusBleu(['a b c d'], ['a b c e'], { smooth: 'floor' }).score).toBeCloseTo(geometricMean([75, 200 / 3, 50, 10]), 10);
    expect(corpusBleu(['a b c d'], ['a b c e'], { smooth: 'none' }).score).toBeLessThan(1e-100);
  });

  it('applies the brevity penalty over the corpus', () => {
    // 4 tokens against 8: all precisions 100%, BP = exp(1 - 8/4) = e^-1.
    const result = corpusBleu(['a b c d'], ['a b c d e f g h']);
    expect(result.brevityPenalty).toBe(Math.exp(-1));
    expect(result.score).toBeCloseTo(100 * Math.exp(-1), 10);
  });

  it('returns 0 without matches and for an empty hypothesis', () => {
    expect(corpusBleu(['x y'], ['a b']).score).toBe(0);
    const empty = corpusBleu([''], ['a b']);
    expect(empty.score).toBe(0);
    expect(empty.brevityPenalty).toBe(0);
  });

  it('sums statistics over the corpus instead of averaging sentence scores', () => {
    // Segment 1 identical (5/5, 4/4, 3/3, 2/2); segment 2 'f g h i j' vs 'f g h x y' (3/5, 2/4, 1/3, 0/2).
    // Corpus: 8/10, 6/8, 4/6, 2/4 -> (80 * 75 * 66.67 * 50) ** 0.25 = 66.874.
    const result = corpusBleu(['a b c d e', 'f g h i j'], ['a b c d e', 'f g h x y']);
    expect(result.counts).toEqual([8, 6, 4, 2]);
    expect(result.totals).toEqual([10, 8, 6, 4]);
    expect(result.score).toBeCloseTo(geometricMean([80, 75, 200 / 3, 50]), 10);
  });

  it('uses the closest reference length (shorter on ties) and clips by the best reference', () => {
    // References of 5 and 3 tokens for a 4-token hypothesis: both 1 away, 3 wins -> BP = 1.
    const result = corpusBleu(['a b c d'], [['a b c d e', 'a b c']]);
    expect(result.referenceLength).toBe(3);
    expect(result.score).toBeCloseTo(100, 10);
    expect(result.signature.startsWith('nrefs:2|')).toBe(true);
  });

  it('lowercases on request', () => {
    expect(corpusBleu(['The Cat sat on the mat'], ['the cat sat on the mat']).score).toBeLessThan(100);
    expect(corpusBleu(['The Cat sat on the mat'], ['the cat sat on the mat'], { lowercase: true }).score).toBeCloseTo(100, 10);
  });

  it('rejects mismatched lengths with a clear message', () => {
    expect(() => corpusBleu(['a', 'b'], ['a'])).toThrow(/2 hypotheses but 1 references/);
  });
});
