// The same review candidates in the test process and in the child processes
// it kills: 12 originals, each with one augmentation from one of 3 operators.
import { applyStep, makeExample, QaExample } from '../../../kernel-lib/src/data/provenance';
import { reviewCandidates } from '../../../kernel-lib/src/data/review-queue';
import type { ReviewCandidate } from '../../../kernel-lib/src/data/review-view';

export const OPERATORS = ['eda.random-swap', 'template.question', 'entity-swap'];

export function reviewFixture(): { originals: QaExample[]; augmented: QaExample[]; candidates: ReviewCandidate[] } {
  const originals = Array.from({ length: 12 }, (_, i) =>
    makeExample(
      { id: `en-ankle-sprain-${String(i + 1).padStart(3, '0')}`, question: `Question ${i + 1} about an ankle sprain?`, answer: `Answer ${i + 1}: protect it and build load.`, language: 'en', topic: 'ankle-sprain' },
      { dataset: 'sports-injury-qa', line: i + 1 },
    ),
  );
  const augmented = originals.map((o, i) =>
    applyStep(o, { question: `Rephrased question ${i + 1} about an ankle sprain?` }, { operator: OPERATORS[i % 3], seed: 1, changes: [{ kind: 'edit', field: 'question' }] }),
  );
  return { originals, augmented, candidates: reviewCandidates(originals, augmented) };
}

/** The decision the child (and the resumed parent) makes for candidate number i. */
export function plannedDecision(i: number): { decision: 'accept' | 'reject' | 'edit'; edited?: { question: string } } {
  if (i % 4 === 3) return { decision: 'edit', edited: { question: `Edited question ${i + 1}?` } };
  return { decision: i % 4 === 1 ? 'reject' : 'accept' };
}
