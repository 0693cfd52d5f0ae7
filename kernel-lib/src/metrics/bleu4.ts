/**
 * BLEU as nltk 3.8-3.9 (`nltk.translate.bleu_score`) computes it, and the
 * per-sample BLEU-4 that LLaMA-Factory reports:
 *
 *     sentence_bleu([list(label)], list(pred),
 *                   smoothing_function=SmoothingFunction().method3) * 100
 *
 * rounded to 4 decimals. Characters are Unicode code points (Python's
 * `list(str)`), so Chinese text is scored character by character.
 *
 * nltk details reproduced here: clipped ("modified") n-gram counts with a
 * denominator of at least 1; the closest reference length with ties to the
 * shorter one; brevity penalty 1 when the hypothesis is longer, 0 when it is
 * empty, else exp(1 - r/c); a score of exactly 0 when no unigram matches;
 * smoothing method3 (NIST geometric: the k-th order with zero matches gets
 * precision 1 / (2^k * denominator)); and `math.fsum` for the weighted log sum.
 */
import { countNgrams } from './ngrams';
import { fsum, pythonRound } from './python-semantics';

/** nltk smoothing: 'method3' (NIST geometric, what LLaMA-Factory uses) or 'method0' (none: zero orders count as the smallest float). */
export type NltkSmoothing = 'method0' | 'method3';

/** Options of {@link nltkCorpusBleu} and {@link nltkSentenceBleu}. */
export interface NltkBleuOptions {
  /** Weights of the 1..N-gram precisions; default [0.25, 0.25, 0.25, 0.25] (BLEU-4). */
  weights?: readonly number[];
  /** Default 'method3'. */
  smoothing?: NltkSmoothing;
}

/** The counts behind an nltk BLEU score (useful for explaining one). */
export interface NltkBleuDetails {
  /** The BLEU score in [0, 1]. */
  score: number;
  /** Clipped n-gram matches per order (numerators). */
  matches: number[];
  /** Hypothesis n-grams per order, at least 1 (denominators). */
  totals: number[];
  /** The precisions after smoothing, per order. */
  precisions: number[];
  brevityPenalty: number;
  hypothesisLength: number;
  /** Sum of the closest reference lengths. */
  referenceLength: number;
}

const DEFAULT_WEIGHTS = [0.25, 0.25, 0.25, 0.25];
/** Python's `sys.float_info.min`, which nltk's method0 substitutes for a zero precision. */
const SMALLEST_NORMAL_FLOAT = 2.2250738585072014e-308;

function modifiedPrecision(references: readonly (readonly string[])[], hypothesis: readonly string[], n: number): [number, number] {
  const counts = countNgrams(hypothesis, n);
  const maxReferenceCounts = new Map<string, number>();
  for (const reference of references) {
    const referenceCounts = countNgrams(reference, n);
    for (const key of counts.keys()) {
      maxReferenceCounts.set(key, Math.max(maxReferenceCounts.get(key) ?? 0, referenceCounts.get(key) ?? 0));
    }
  }
  let clipped = 0;
  let total = 0;
  for (const [key, count] of counts) {
    clipped += Math.min(count, maxReferenceCounts.get(key) ?? 0);
    total += count;
  }
  return [clipped, Math.max(1, total)];
}

function closestReferenceLength(references: readonly (readonly string[])[], hypothesisLength: number): number {
  let best = references[0].length;
  for (const reference of references) {
    const length = reference.length;
    const distance = Math.abs(length - hypothesisLength);
    const bestDistance = Math.abs(best - hypothesisLength);
    if (distance < bestDistance || (distance === bestDistance && length < best)) best = length;
  }
  return best;
}

/** nltk's `brevity_penalty(closest_ref_len, hyp_len)`. */
function brevityPenalty(referenceLength: number, hypothesisLength: number): number {
  if (hypothesisLength > referenceLength) return 1;
  if (hypothesisLength === 0) return 0;
  return Math.exp(1 - referenceLength / hypothesisLength);
}

/**
 * nltk's `corpus_bleu(list_of_references, hypotheses, weights, smoothing)`
 * with its counts: sums clipped matches and n-gram totals over the corpus,
 * then one brevity penalty over summed lengths.
 *
 * @example
 * const { nltkCorpusBleu } = require('galore-lab');
 * nltkCorpusBleu([[['the', 'cat', 'sat', 'down']]], [['the', 'cat', 'sat', 'down']]).score; // 1
 */
export function nltkCorpusBleu(
  listOfReferences: readonly (readonly (readonly string[])[])[],
  hypotheses: readonly (readonly string[])[],
  options: NltkBleuOptions = {},
): NltkBleuDetails {
  const weights = options.weights ?? DEFAULT_WEIGHTS;
  const smoothing = options.smoothing ?? 'method3';
  if (listOfReferences.length !== hypotheses.length) {
    throw new RangeError(
      `nltkCorpusBleu: ${hypotheses.length} hypotheses but ${listOfReferences.length} reference lists; expected one reference list per hypothesis`,
    );
  }
  const order = weights.length;
  const matches = new Array<number>(order).fill(0);
  const totals = new Array<number>(order).fill(0);
  let hypothesisLength = 0;
  let referenceLength = 0;
  hypotheses.forEach((hypothesis, index) => {
    const references = listOfReferences[index];
    if (references.length === 0) {
      throw new RangeError(`nltkCorpusBleu: hypothesis ${index} has no references; expected at least one`);
    }
    for (let n = 1; n <= order; n++) {
      const [clipped, total] = modifiedPrecision(references, hypothesis, n);
      matches[n - 1] += clipped;
      totals[n - 1] += total;
    }
    hypothesisLength += hypothesis.length;
    referenceLength += closestReferenceLength(references, hypothesis.length);
  });
  const bp = brevityPenalty(referenceLength, hypothesisLength);
  const details = { matches, totals, brevityPenalty: bp, hypothesisLength, referenceLength };
  if (matches[0] === 0) return { score: 0, precisions: new Array<number>(order).fill(0), ...details };

  let zeroOrders = 0;
  const precisions = matches.map((matched, i) => {
    if (matched !== 0) return matched / totals[i];
    if (smoothing === 'method0') return SMALLEST_NORMAL_FLOAT;
    zeroOrders += 1;
    return 1 / (2 ** zeroOrders * totals[i]);
  });
  const logs = weights.map((weight, i) => weight * Math.log(precisions[i])).filter((_, i) => precisions[i] > 0);
  return { score: bp * Math.exp(fsum(logs)), precisions, ...details };
}

/**
 * nltk's `sentence_bleu(references, hypothesis)`: corpus BLEU of one sample.
 * Tokens are whatever you pass (words, or characters via `Array.from(text)`).
 *
 * @example
 * const { nltkSentenceBleu } = require('galore-lab');
 * // one matching token: p1 = 1, p2..p4 smoothed to 1/2, 1/4, 1/8; (1/64) ** 0.25
 * nltkSentenceBleu([['a']], ['a']); // 0.3535533905932738
 */
export function nltkSentenceBleu(
  references: readonly (readonly string[])[],
  hypothesis: readonly string[],
  options: NltkBleuOptions = {},
): number {
  return nltkCorpusBleu([references], [hypothesis], options).score;
}

/**
 * LLaMA-Factory's per-sample BLEU-4: character-level nltk sentence BLEU with
 * method3 smoothing, times 100, rounded to 4 decimals (Python `round`).
 *
 * @example
 * const { bleu4 } = require('galore-lab');
 * bleu4('膝关节疼痛', '膝关节疼痛'); // 100
 * bleu4('膝关节', '膝关节');         // 84.0896 (3 characters: no 4-gram, smoothed to 1/2)
 * bleu4('膝', '膝');        // 35.3553 (one character: (1 * 1/2 * 1/4 * 1/8) ** 0.25)
 * bleu4('', '膝关节');      // 0
 */
export function bleu4(prediction: string, label: string): number {
  return pythonRound(nltkSentenceBleu([Array.from(label)], Array.from(prediction)) * 100, 4);
}

