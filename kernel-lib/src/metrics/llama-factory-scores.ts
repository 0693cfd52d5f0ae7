/**
 * The four text-similarity scores LLaMA-Factory reports after
 * `do_predict` (`ComputeSimilarity` in `train/sft/metric.py`, and
 * `scripts/eval_bleu_rouge.py`), per sample and averaged:
 *
 * - `rouge-1`, `rouge-2`, `rouge-l`: both texts segmented with jieba and
 *   joined with spaces, scored by rouge-chinese; F x 100 rounded to 4
 *   decimals; all three 0 when either side is blank.
 * - `bleu-4`: character-level nltk sentence BLEU with method3 smoothing, x 100,
 *   rounded to 4 decimals.
 *
 * The average is a plain left-to-right sum divided by the count, as
 * `eval_bleu_rouge.py` computes it (the trainer's `np.mean` sums pairwise, so
 * the two can differ in the last binary digit, never at 4 decimals in
 * practice).
 */
import { bleu4 } from './bleu4';
import { pythonRound, pythonSplit } from './python-semantics';
import { rougeChineseScores } from './rouge';
import { jiebaCut, type WordSegmenter } from './segment';

/** One sample's scores, keyed like LLaMA-Factory's `predict_results.json` (without the `predict_` prefix). */
export interface SimilarityScores {
  'bleu-4': number;
  'rouge-1': number;
  'rouge-2': number;
  'rouge-l': number;
}

/** The metric names in the order LLaMA-Factory's evaluation script prints them (sorted). */
export const SIMILARITY_METRIC_NAMES = ['bleu-4', 'rouge-1', 'rouge-2', 'rouge-l'] as const;

/**
 * ROUGE-1/2/L F-scores x 100 for one prediction, as LLaMA-Factory computes
 * them. `segment` defaults to the Python-jieba-compatible {@link jiebaCut}.
 *
 * @example
 * const { llamaFactoryRouge } = require('galore-lab');
 * llamaFactoryRouge('冰敷并抬高患肢', '冰敷并抬高患肢'); // { 'rouge-1': 100, 'rouge-2': 100, 'rouge-l': 100 }
 * llamaFactoryRouge('', '冰敷');                      // all 0
 */
export function llamaFactoryRouge(
  prediction: string,
  label: string,
  segment: WordSegmenter = jiebaCut,
): Omit<SimilarityScores, 'bleu-4'> {
  const hypothesis = segment(prediction).join(' ');
  const reference = segment(label).join(' ');
  if (pythonSplit(hypothesis).length === 0 || pythonSplit(reference).length === 0) {
    return { 'rouge-1': 0, 'rouge-2': 0, 'rouge-l': 0 };
  }
  const scores = rougeChineseScores(hypothesis, reference);
  return {
    'rouge-1': pythonRound(scores['rouge-1'].f * 100, 4),
    'rouge-2': pythonRound(scores['rouge-2'].f * 100, 4),
    'rouge-l': pythonRound(scores['rouge-l'].f * 100, 4),
  };
}

/**
 * All four LLaMA-Factory scores for one prediction/label pair.
 *
 * @example
 * const { llamaFactoryScores } = require('galore-lab');
 * llamaFactoryScores('休息两周', '休息两周后复查');
 * // { 'bleu-4': 47.2367, 'rouge-1': 66.6667, 'rouge-2': 50, 'rouge-l': 66.6667 }
 */
export function llamaFactoryScores(prediction: string, label: string, segment: WordSegmenter = jiebaCut): SimilarityScores {
  return { 'bleu-4': bleu4(prediction, label), ...llamaFactoryRouge(prediction, label, segment) };
}

/**
 * Average per-sample scores the way `eval_bleu_rouge.py` does
 * (`sum(scores) / len(scores)` per metric). Throws on an empty list, where
 * Python divides by zero.
 *
 * @example
 * const { averageSimilarityScores } = require('galore-lab');
 * averageSimilarityScores([
 *   { 'bleu-4': 10, 'rouge-1': 20, 'rouge-2': 0, 'rouge-l': 20 },
 *   { 'bleu-4': 30, 'rouge-1': 40, 'rouge-2': 10, 'rouge-l': 30 },
 * ]); // { 'bleu-4': 20, 'rouge-1': 30, 'rouge-2': 5, 'rouge-l': 25 }
 */
export function averageSimilarityScores(samples: readonly SimilarityScores[]): SimilarityScores {
  if (samples.length === 0) {
    throw new RangeError('averageSimilarityScores: no samples to average; pass at least one scored sample');
  }
  const average = { 'bleu-4': 0, 'rouge-1': 0, 'rouge-2': 0, 'rouge-l': 0 };
  for (const name of SIMILARITY_METRIC_NAMES) {
    let sum = 0;
    for (const sample of samples) sum += sample[name];
    average[name] = sum / samples.length;
  }
  return average;
}
