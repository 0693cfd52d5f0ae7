/**
 * Medical-VQA scores as Slake and VQA-RAD papers report them: accuracy on
 * closed questions (the normalised prediction equals the answer), and on
 * open questions recall (the share of the answer's words found in the
 * prediction) and exact match.
 */
import type { AnswerType } from './vqa-data';

/**
 * Lower case, punctuation removed, whitespace collapsed.
 *
 * @example
 * normalizeAnswer('  Left. '); // 'left'
 */
export function normalizeAnswer(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Share of the answer's words that appear in the prediction (each word
 * counted once per occurrence in the answer); 1 for an empty answer.
 *
 * @example
 * answerRecall('left lung', 'the left lobe'); // 0.5
 */
export function answerRecall(answer: string, prediction: string): number {
  const want = normalizeAnswer(answer).split(' ').filter(Boolean);
  if (want.length === 0) return 1;
  const have = new Map<string, number>();
  for (const w of normalizeAnswer(prediction).split(' ').filter(Boolean)) have.set(w, (have.get(w) ?? 0) + 1);
  let found = 0;
  for (const w of want) {
    const n = have.get(w) ?? 0;
    if (n > 0) { found++; have.set(w, n - 1); }
  }
  return found / want.length;
}

/** One prediction to score. */
export interface VqaPrediction {
  answer: string;
  prediction: string;
  answerType: AnswerType;
}

/** Scores over a set of predictions (NaN where a kind of question is absent). */
export interface VqaScores {
  closedAccuracy: number;
  openRecall: number;
  openExactMatch: number;
  /** Exact match over all questions. */
  overallAccuracy: number;
  closedCount: number;
  openCount: number;
}

/**
 * Score predictions.
 *
 * @example
 * vqaScores([{ answer: 'yes', prediction: 'Yes', answerType: 'CLOSED' }, { answer: '3', prediction: '2', answerType: 'OPEN' }]);
 * // { closedAccuracy: 1, openRecall: 0, openExactMatch: 0, overallAccuracy: 0.5, closedCount: 1, openCount: 1 }
 */
export function vqaScores(predictions: readonly VqaPrediction[]): VqaScores {
  let closed = 0; let closedRight = 0; let open = 0; let recall = 0; let openExact = 0; let exact = 0;
  for (const p of predictions) {
    const same = normalizeAnswer(p.answer) === normalizeAnswer(p.prediction);
    if (same) exact++;
    if (p.answerType === 'CLOSED') { closed++; if (same) closedRight++; } else {
      open++;
      recall += answerRecall(p.answer, p.prediction);
      if (same) openExact++;
    }
  }
  return {
    closedAccuracy: closed ? closedRight / closed : NaN,
    openRecall: open ? recall / open : NaN,
    openExactMatch: open ? openExact / open : NaN,
    overallAccuracy: predictions.length ? exact / predictions.length : NaN,
    closedCount: closed,
    openCount: open,
  };
}
