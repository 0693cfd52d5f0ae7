/**
 * Corpus-level BLEU computed the way sacreBLEU 2.x's `BLEU().corpus_score`
 * does. This is a different metric from LLaMA-Factory's `bleu-4` (an average
 * of character-level sentence scores): here n-gram matches and totals are
 * summed over the whole corpus first, texts are tokenized with sacreBLEU's
 * `13a` or `zh` rules, and the default smoothing is sacreBLEU's 'exp'.
 *
 * Per segment: the line is right-stripped, optionally lowercased and
 * tokenized; n-grams of orders 1..4 are counted on whitespace tokens; matches
 * are clipped by the maximum count in any reference; the reference length is
 * the closest one (ties to the shorter).
 * Corpus: bp = 1 if sysLen >= refLen, 0 if sysLen is 0, else
 * exp(1 - refLen / sysLen); score = bp * exp(mean of log precisions in %),
 * where a zero precision counts as log = -9999999999 (so the score is ~0), and
 * the score is 0 when nothing matches at all.
 */
import { countNgrams } from './ngrams';
import { pythonRstrip, pythonSplit } from './python-semantics';
import { sacreBleuTokenize, type SacreBleuTokenizerName } from './sacrebleu-tokenizers';

/** sacreBLEU's smoothing methods: 'exp' (default, NIST), 'floor', 'add-k' and 'none'. */
export type SacreBleuSmoothing = 'exp' | 'floor' | 'add-k' | 'none';

/** Options of {@link corpusBleu}. */
export interface CorpusBleuOptions {
  /** Tokenizer: '13a' (sacreBLEU's default), 'zh' (for Chinese) or 'none'. Default '13a'. */
  tokenize?: SacreBleuTokenizerName;
  /** Lowercase before tokenizing. Default false. */
  lowercase?: boolean;
  /** Default 'exp'. */
  smooth?: SacreBleuSmoothing;
  /** Value for 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** Highest n-gram order. Default 4. */
  maxNgramOrder?: number;
  /** Average only over orders that have n-grams (sacreBLEU's `effective_order`). Default false. */
  effectiveOrder?: boolean;
}

/** A corpus BLEU result with sacreBLEU's sufficient statistics. */
export interface CorpusBleuResult {
  /** Always 'sacrebleu-corpus-bleu', so results are never mistaken for LLaMA-Factory's bleu-4. */
  metric: 'sacrebleu-corpus-bleu';
  /** BLEU in [0, 100]. */
  score: number;
  /** Matched n-grams per order. */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Precisions in percent per order (after smoothing). */
  precisions: number[];
  brevityPenalty: number;
  systemLength: number;
  referenceLength: number;
  /** sacreBLEU-like signature of the settings, e.g. 'nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp'. */
  signature: string;
}

const SMOOTH_DEFAULTS: Record<SacreBleuSmoothing, number | undefined> = {
  none: undefined,
  floor: 0.1,
  'add-k': 1,
  exp: undefined,
};

/** sacreBLEU's `my_log`: log with log(0) replaced by a huge negative number. */
function flooredLog(value: number): number {
  return value === 0 ? -9999999999 : Math.log(value);
}

function closestLength(hypothesisLength: number, referenceLengths: readonly number[]): number {
  let closestDistance = -1;
  let closest = -1;
  for (const length of referenceLengths) {
    const distance = Math.abs(hypothesisLength - length);
    if (closestDistance === -1 || distance < closestDistance) {
      closestDistance = distance;
      closest = length;
    } else if (distance === closestDistance && length < closest) {
      closest = length;
    }
  }
  return closest;
}

/** sacreBLEU's `BLEU.compute_bleu` from summed statistics. */
function bleuFromStatistics(
  counts: number[],
  totals: number[],
  systemLength: number,
  referenceLength: number,
  smooth: SacreBleuSmoothing,
  smoothValue: number | undefined,
  effectiveOrder: boolean,
  maxOrder: number,
): Pick<CorpusBleuResult, 'score' | 'precisions' | 'brevityPenalty'> {
  const value = smoothValue ?? SMOOTH_DEFAULTS[smooth] ?? 0;
  let brevityPenalty = 1.0;
  if (systemLength < referenceLength) brevityPenalty = systemLength > 0 ? Math.exp(1 - referenceLength / systemLength) : 0.0;
  const precisions = new Array<number>(maxOrder).fill(0.0);
  if (!counts.some((count) => count !== 0)) return { score: 0.0, precisions, brevityPenalty };

  let smoothMteval = 1.0;
  let order = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smooth === 'add-k' && n > 1) {
      counts[n - 1] += value;
      totals[n - 1] += value;
    }
    if (totals[n - 1] === 0) break;
    if (effectiveOrder) order = n;
    if (counts[n - 1] === 0) {
      if (smooth === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * totals[n - 1]);
      } else if (smooth === 'floor') {
        precisions[n - 1] = (100.0 * value) / totals[n - 1];
      }
    } else {
      precisions[n - 1] = (100.0 * counts[n - 1]) / totals[n - 1];
    }
  }
  let logSum = 0;
  for (const precision of precisions.slice(0, order)) logSum += flooredLog(precision);
  return { score: brevityPenalty * Math.exp(logSum / order), precisions, brevityPenalty };
}

/**
 * sacreBLEU-style corpus BLEU (0-100). `references[i]` is the reference of
 * hypothesis i, or an array of references for it. Note: sacreBLEU's own API
 * takes reference *streams* (`refs[k][i]`); here each sample carries its own list.
 *
 * @example
 * const { corpusBleu } = require('galore-lab');
 * corpusBleu(['the cat sat on the mat'], ['the cat sat on the mat']).score; // 100.00000000000004 (as sacreBLEU)
 * corpusBleu(['膝关节疼痛'], ['膝关节肿痛'], { tokenize: 'zh' }).score;     // 42.7287 (precisions 80, 50, 33.3, 25)
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: CorpusBleuOptions = {},
): CorpusBleuResult {
  const tokenize = options.tokenize ?? '13a';
  const lowercase = options.lowercase ?? false;
  const smooth = options.smooth ?? 'exp';
  const maxOrder = options.maxNgramOrder ?? 4;
  const effectiveOrder = options.effectiveOrder ?? false;
  if (hypotheses.length !== references.length) {
    throw new RangeError(`corpusBleu: ${hypotheses.length} hypotheses but ${references.length} references; expected one entry per hypothesis`);
  }
  if (!(smooth in SMOOTH_DEFAULTS)) {
    throw new RangeError(`corpusBleu: unknown smoothing ${JSON.stringify(smooth)}; expected exp, floor, add-k or none`);
  }
  const preprocess = (text: string): string[] =>
    pythonSplit(sacreBleuTokenize(tokenize, lowercase ? pythonRstrip(text).toLowerCase() : pythonRstrip(text)));

  const counts = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let systemLength = 0;
  let referenceLength = 0;
  const referenceCountsSeen = new Set<number>();
  hypotheses.forEach((hypothesis, index) => {
    const entry = references[index];
    const referenceTexts = typeof entry === 'string' ? [entry] : entry;
    if (referenceTexts.length === 0) throw new RangeError(`corpusBleu: sample ${index} has no reference; expected at least one`);
    referenceCountsSeen.add(referenceTexts.length);
    const referenceTokens = referenceTexts.map(preprocess);
    const hypothesisTokens = preprocess(hypothesis);
    systemLength += hypothesisTokens.length;
    referenceLength += closestLength(hypothesisTokens.length, referenceTokens.map((tokens) => tokens.length));
    for (let n = 1; n <= maxOrder; n++) {
      const maxReference = new Map<string, number>();
      for (const tokens of referenceTokens) {
        for (const [key, count] of countNgrams(tokens, n)) maxReference.set(key, Math.max(maxReference.get(key) ?? 0, count));
      }
      for (const [key, count] of countNgrams(hypothesisTokens, n)) {
        totals[n - 1] += count;
        counts[n - 1] += Math.min(count, maxReference.get(key) ?? 0);
      }
    }
  });
  const statistics = { counts: [...counts], totals: [...totals], systemLength, referenceLength };
  const result = bleuFromStatistics(counts, totals, systemLength, referenceLength, smooth, options.smoothValue, effectiveOrder, maxOrder);
  const numberOfReferences = referenceCountsSeen.size === 1 ? [...referenceCountsSeen][0] : 'var';
  const smoothLabel = SMOOTH_DEFAULTS[smooth] === undefined ? smooth : `${smooth}[${(options.smoothValue ?? SMOOTH_DEFAULTS[smooth] ?? 0).toFixed(2)}]`;
  return {
    metric: 'sacrebleu-corpus-bleu',
    ...result,
    ...statistics,
    signature: `nrefs:${numberOfReferences}|case:${lowercase ? 'lc' : 'mixed'}|eff:${effectiveOrder ? 'yes' : 'no'}|tok:${tokenize}|smooth:${smoothLabel}`,
  };
}
