/**
 * Notebook views of the review: a candidate card (original beside augmented,
 * with the changes highlighted, and the provenance of the change) and the
 * review report. Every piece of data is escaped before it goes into HTML.
 */
import { escapeHtml } from './html';
import { describeProvenance, QaExample } from './provenance';
import { diffHtml, diffPlain, diffText } from './text-diff';

/** A candidate for review: an original example and one augmentation of it. */
export interface ReviewCandidate {
  /** Stable id (the augmented example's id). */
  id: string;
  operator: string;
  original: QaExample;
  augmented: QaExample;
}

const cell = 'style="vertical-align:top;padding:6px 10px;border:1px solid #ddd;width:50%;white-space:pre-wrap;"';

function fieldRows(label: string, before: string, after: string): string {
  if (before === after) {
    const short = before.length > 400 ? `<details><summary>${escapeHtml(before.slice(0, 200))}…</summary>${escapeHtml(before)}</details>` : escapeHtml(before);
    return `<tr><th style="text-align:left">${escapeHtml(label)} <small>(unchanged)</small></th><td colspan="2" ${cell}>${short}</td></tr>`;
  }
  const d = diffHtml(diffText(before, after));
  return `<tr><th style="text-align:left">${escapeHtml(label)}</th><td ${cell}>${d.before}</td><td ${cell}>${d.after}</td></tr>`;
}

/**
 * HTML card for one candidate.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const candidate = reviewCandidates(train, [questionTemplateOperator().apply(train[0], 1)!])[0];
 * candidateCardHtml(candidate, 'pending'); // HTML; in tslab: display.html(...)
 */
export function candidateCardHtml(c: ReviewCandidate, status: string, footer = ''): string {
  const step = c.augmented.provenance.steps[c.augmented.provenance.steps.length - 1];
  const changes = (step?.changes ?? [])
    .map((ch) => `<li>${escapeHtml(ch.kind)}${ch.field ? ` (${escapeHtml(ch.field)})` : ''}${ch.from !== undefined ? `: “${escapeHtml(ch.from)}”` : ''}${ch.to !== undefined ? ` → “${escapeHtml(ch.to)}”` : ''}${ch.detail ? ` <small>${escapeHtml(ch.detail)}</small>` : ''}</li>`)
    .join('');
  return [
    '<div class="galore-review-card" style="font-family:sans-serif;max-width:1100px">',
    `<div><b>${escapeHtml(c.operator)}</b> · <code>${escapeHtml(c.id)}</code> · status: <b>${escapeHtml(status)}</b></div>`,
    '<table style="border-collapse:collapse;width:100%;margin-top:6px">',
    `<tr><th></th><th style="text-align:left">original <code>${escapeHtml(c.original.id)}</code></th><th style="text-align:left">augmented</th></tr>`,
    fieldRows('question', c.original.question, c.augmented.question),
    fieldRows('answer', c.original.answer, c.augmented.answer),
    '</table>',
    `<details><summary>what changed and where it came from</summary><ul>${changes}</ul><div><small>${escapeHtml(describeProvenance(c.augmented))}</small></div></details>`,
    footer,
    '</div>',
  ].join('');
}

/**
 * Plain-text card for one candidate (word diff with `[-deleted-]{+inserted+}`).
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const candidate = reviewCandidates(train, [questionTemplateOperator().apply(train[0], 1)!])[0];
 * console.log(candidateCardText(candidate, 'pending'));
 */
export function candidateCardText(c: ReviewCandidate, status: string): string {
  const q = c.original.question === c.augmented.question ? '(unchanged)' : diffPlain(diffText(c.original.question, c.augmented.question));
  const a = c.original.answer === c.augmented.answer ? '(unchanged)' : diffPlain(diffText(c.original.answer, c.augmented.answer));
  return `${c.operator} ${c.id} [${status}]\nquestion: ${q}\nanswer: ${a}`;
}
