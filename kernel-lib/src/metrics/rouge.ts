/**
 * ROUGE-1, ROUGE-2 and ROUGE-L as rouge-chinese 1.0.3 computes them with its
 * defaults (`Rouge().get_scores(hypothesis, reference)[0]`), the scorer
 * LLaMA-Factory calls on jieba-segmented, space-joined text.
 *
 * What rouge-chinese does, step by step:
 * 1. Sentence splitting (`cut_sent`): a newline is inserted after `。！？?`,
 *    after six dots `......`, after two `……`, and after `。！？?` followed by a
 *    closing quote `”’`; then trailing whitespace is stripped and the text is
 *    split on "\n" (so newlines already in the text split sentences too).
 * 2. Empty pieces are dropped; in each remaining piece runs of whitespace
 *    become one space. A piece that was only whitespace becomes "" and, when
 *    the words are later split on " ", contributes one empty-string word.
 * 3. All sentences' words are concatenated (n-grams run across sentences).
 * 4. ROUGE-N uses *sets* of n-grams (repeats count once):
 *    P = |H ∩ R| / |H|, R = |H ∩ R| / |R| (0 when a set is empty).
 * 5. ROUGE-L uses the longest common subsequence of the two word lists:
 *    P = LCS / |hyp words|, R = LCS / |ref words|.
 * 6. F = 2 * (P * R / (P + R + 1e-8)).
 */

import { pythonRstrip, pythonSplit } from './python-semantics';

/** Precision, recall and F of one ROUGE variant, each in [0, 1]. */
export interface RougeScore {
  f: number;
  p: number;
  r: number;
}

/** The three scores rouge-chinese returns by default, keyed as it keys them. */
export interface RougeScores {
  'rouge-1': RougeScore;
  'rouge-2': RougeScore;
  'rouge-l': RougeScore;
}

const AFTER_SENTENCE_END = /([。！？?])([^”’])/gu;
const AFTER_SIX_DOTS = /(\.{6})([^”’])/gu;
const AFTER_TWO_ELLIPSES = /(…{2})([^”’])/gu;
const AFTER_QUOTED_SENTENCE_END = /([。！？?][”’])([^，。！？?])/gu;

/**
 * rouge-chinese's `Rouge.cut_sent`: split a paragraph into sentences.
 * Pieces may be empty or whitespace-only, exactly as in Python.
 *
 * @example
 * const { splitSentencesLikeRougeChinese } = require('galore-lab');
 * splitSentencesLikeRougeChinese('你好。我很好！'); // ['你好。', '我很好！']
 * splitSentencesLikeRougeChinese('他说：“好。”然后走了'); // ['他说：“好。”', '然后走了']
 */
export function splitSentencesLikeRougeChinese(paragraph: string): string[] {
  const marked = paragraph
    .replace(AFTER_SENTENCE_END, '$1\n$2')
    .replace(AFTER_SIX_DOTS, '$1\n$2')
    .replace(AFTER_TWO_ELLIPSES, '$1\n$2')
    .replace(AFTER_QUOTED_SENTENCE_END, '$1\n$2');
  return pythonRstrip(marked).split('\n');
}

/** Steps 1-3 above: the word list rouge-chinese scores for one text. */
export function rougeChineseWords(text: string): string[] {
  const sentences = splitSentencesLikeRougeChinese(text)
    .filter((sentence) => sentence.length > 0)
    .map((sentence) => pythonSplit(sentence).join(' '));
  return sentences.flatMap((sentence) => sentence.split(' '));
}

function fScore(precision: number, recall: number): number {
  return 2.0 * ((precision * recall) / (precision + recall + 1e-8));
}

function ngramSet(words: readonly string[], n: number): Set<string> {
  // Words never contain a space (step 2), so a space-joined n-gram is unambiguous.
  const grams = new Set<string>();
  for (let start = 0; start + n <= words.length; start++) grams.add(words.slice(start, start + n).join(' '));
  return grams;
}

/**
 * ROUGE-N on word lists with rouge-chinese's set semantics.
 *
 * @example
 * // hypothesis {a, b}, reference {a, c, d}: P = 1/2, R = 1/3
 * rougeN(['a', 'b', 'a'], ['a', 'c', 'd'], 1).p; // 0.5
 */
export function rougeN(hypothesisWords: readonly string[], referenceWords: readonly string[], n: number): RougeScore {
  const hypothesis = ngramSet(hypothesisWords, n);
  const reference = ngramSet(referenceWords, n);
  let overlap = 0;
  for (const gram of hypothesis) if (reference.has(gram)) overlap++;
  const p = hypothesis.size === 0 ? 0.0 : overlap / hypothesis.size;
  const r = reference.size === 0 ? 0.0 : overlap / reference.size;
  return { f: fScore(p, r), p, r };
}

/**
 * Length of the longest common subsequence of two word lists (O(n*m) time,
 * O(m) memory).
 *
 * @example
 * longestCommonSubsequenceLength(['a', 'b', 'c', 'd'], ['b', 'd', 'x']); // 2
 */
export function longestCommonSubsequenceLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      current[j] = a[i - 1] === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

/**
 * ROUGE-L on word lists as rouge-chinese's `rouge_l_summary_level` computes it
 * (one LCS over all words; both lists must be non-empty).
 *
 * @example
 * // LCS(a b c d, b d x) = 2: P = 2/4, R = 2/3
 * rougeL(['a', 'b', 'c', 'd'], ['b', 'd', 'x']).p; // 0.5
 */
export function rougeL(hypothesisWords: readonly string[], referenceWords: readonly string[]): RougeScore {
  const lcs = longestCommonSubsequenceLength(referenceWords, hypothesisWords);
  const r = lcs / referenceWords.length;
  const p = lcs / hypothesisWords.length;
  return { f: fScore(p, r), p, r };
}

/**
 * rouge-chinese's `Rouge().get_scores(hypothesis, reference)[0]` for two
 * texts whose words are already separated by spaces. Throws (as
 * rouge-chinese raises) when either text has no sentence at all, i.e. is
 * empty; LLaMA-Factory checks for blank texts before calling it.
 *
 * @example
 * const { rougeChineseScores } = require('galore-lab');
 * rougeChineseScores('跟腱 断裂', '跟腱 部分 断裂')['rouge-1'].r; // 2/3
 */
export function rougeChineseScores(hypothesis: string, reference: string): RougeScores {
  const hypothesisWords = rougeChineseWords(hypothesis);
  const referenceWords = rougeChineseWords(reference);
  if (hypothesisWords.length === 0) {
    throw new RangeError('rougeChineseScores: the hypothesis is empty (rouge-chinese raises "Hypothesis is empty."); pass a non-empty text');
  }
  if (referenceWords.length === 0) {
    throw new RangeError('rougeChineseScores: the reference is empty (rouge-chinese raises "Reference is empty."); pass a non-empty text');
  }
  return {
    'rouge-1': rougeN(hypothesisWords, referenceWords, 1),
    'rouge-2': rougeN(hypothesisWords, referenceWords, 2),
    'rouge-l': rougeL(hypothesisWords, referenceWords),
  };
}
