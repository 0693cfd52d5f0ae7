/**
 * Human-in-the-loop review of augmented examples.
 *
 * A `ReviewQueue` holds candidates (original + augmented), shows the next one
 * in a notebook, and takes accept / reject / edit decisions, one by one or in
 * bulk by rules. Every decision is appended to a JSONL log with fsync before
 * the call returns (see `review-log.ts`), and opening a queue replays the
 * log, so after a crash or a kernel restart the review resumes exactly where
 * it stopped: nothing decided is lost, nothing is applied twice.
 */
import { ExampleFilter } from './filters';
import { escapeHtml, JUPYTER_DISPLAY, MimeBundle } from './html';
import { applyStep, QaExample } from './provenance';
import { appendReviewEntry, openReviewLog, ReviewDecisionKind, ReviewLogEntry } from './review-log';
import { candidateCardHtml, candidateCardText, ReviewCandidate } from './review-view';
import { DataTable } from './summary-tables';

export type { ReviewCandidate } from './review-view';

/**
 * Pairs augmented examples with their originals (the `parentId` of their
 * first provenance step that points at an original).
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const run = await augmentAll(train.slice(0, 20), [questionTemplateOperator(), entitySwapOperator()], { seed: 1 });
 * const candidates = reviewCandidates(train, run.augmented);
 */
export function reviewCandidates(originals: readonly QaExample[], augmented: readonly QaExample[]): ReviewCandidate[] {
  const byId = new Map(originals.map((o) => [o.id, o] as const));
  return augmented.map((a) => {
    const parent = [...a.provenance.steps].reverse().map((s) => s.parentId).find((id) => id !== undefined && byId.has(id));
    if (!parent) {
      throw new Error(`reviewCandidates: no original for augmented example ${a.id}; pass the examples it was made from`);
    }
    const op = a.provenance.steps[a.provenance.steps.length - 1]?.operator ?? 'unknown';
    return { id: a.id, operator: op, original: byId.get(parent) as QaExample, augmented: a };
  });
}

export interface ReviewQueueOptions {
  /** Name recorded with each decision. Default: $USER or `reviewer`. */
  reviewer?: string;
  /** Where warnings go (torn last line, decisions for unknown candidates). Default console.warn. */
  warn?: (message: string) => void;
}

/** The effective decision for a candidate. */
export interface ReviewDecision {
  decision: ReviewDecisionKind;
  entry: ReviewLogEntry;
}

/** Review totals, overall and per operator. */
export interface ReviewReport {
  table: DataTable;
  total: number;
  decided: number;
  accepted: number;
  edited: number;
  rejected: number;
  pending: number;
}

/**
 * A review in progress. Open one with `ReviewQueue.open(logFile, candidates)`;
 * the method examples below use such a `queue`.
 */
export class ReviewQueue {
  readonly file: string;
  readonly candidates: readonly ReviewCandidate[];
  readonly reviewer: string;
  /** Warnings raised when the log was opened. */
  readonly warnings: string[] = [];
  private readonly byId: Map<string, ReviewCandidate>;
  private readonly decisions = new Map<string, ReviewDecision>();
  private seq = 0;

  private constructor(file: string, candidates: readonly ReviewCandidate[], options: ReviewQueueOptions) {
    this.file = file;
    this.candidates = candidates;
    this.reviewer = options.reviewer ?? process.env.USER ?? 'reviewer';
    this.byId = new Map();
    for (const c of candidates) {
      if (this.byId.has(c.id)) throw new Error(`ReviewQueue: candidate id ${c.id} appears twice; expected unique candidates`);
      this.byId.set(c.id, c);
    }
  }

  /**
   * Opens (or creates) a review over `candidates`, replaying the decisions
   * already in `file`.
   *
   * @example
   * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
   * const run = await augmentAll(train.slice(0, 20), [questionTemplateOperator()], { seed: 1 });
   * const queue = ReviewQueue.open('/tmp/review-decisions.jsonl', reviewCandidates(train, run.augmented));
   * queue; // shows the next candidate in a notebook
   */
  static open(file: string, candidates: readonly ReviewCandidate[], options: ReviewQueueOptions = {}): ReviewQueue {
    const queue = new ReviewQueue(file, candidates, options);
    const warn = (m: string): void => {
      queue.warnings.push(m);
      (options.warn ?? ((x: string) => console.warn(x)))(m);
    };
    const { entries } = openReviewLog(file, { warn });
    let unknown = 0;
    for (const e of entries) {
      queue.seq = Math.max(queue.seq, e.seq);
      if (!queue.byId.has(e.candidateId)) {
        unknown++;
        continue;
      }
      const current = queue.decisions.get(e.candidateId);
      if (current && e.revises !== current.entry.seq) {
        warn(`${file}: decision #${e.seq} for ${e.candidateId} repeats decision #${current.entry.seq} without revising it; ignored (the first decision stands)`);
        continue;
      }
      queue.decisions.set(e.candidateId, { decision: e.decision, entry: e });
    }
    if (unknown > 0) warn(`${file}: ${unknown} decision(s) are for candidates not in this queue; they stay in the log and are not applied`);
    return queue;
  }

  /** Candidates without a decision, in queue order. */
  pending(): ReviewCandidate[] {
    return this.candidates.filter((c) => !this.decisions.has(c.id));
  }

  /** The next candidate to review, or null when all are decided. */
  current(): ReviewCandidate | null {
    return this.candidates.find((c) => !this.decisions.has(c.id)) ?? null;
  }

  /** The decision for a candidate, if any. */
  decisionFor(candidateId: string): ReviewDecision | undefined {
    return this.decisions.get(candidateId);
  }

  private record(
    candidateId: string,
    decision: ReviewDecisionKind,
    extra: { edited?: { question?: string; answer?: string }; note?: string; reviewer?: string; revises?: number },
  ): ReviewLogEntry {
    const c = this.byId.get(candidateId);
    if (!c) throw new Error(`ReviewQueue: no candidate ${JSON.stringify(candidateId)} in this queue`);
    const entry: ReviewLogEntry = {
      v: 1,
      seq: this.seq + 1,
      candidateId,
      operator: c.operator,
      decision,
      ...(extra.edited ? { edited: extra.edited } : {}),
      reviewer: extra.reviewer ?? this.reviewer,
      ...(extra.note ? { note: extra.note } : {}),
      ...(extra.revises !== undefined ? { revises: extra.revises } : {}),
      at: new Date().toISOString(),
    };
    appendReviewEntry(this.file, entry); // durable before the in-memory state changes
    this.seq = entry.seq;
    this.decisions.set(candidateId, { decision, entry });
    return entry;
  }

  /**
   * Records a decision for a candidate that has none yet. Throws if it is
   * already decided (use `revise` to change a decision deliberately).
   *
   * @example
   * queue.decide(queue.current()!.id, 'reject', { note: 'swap broke the grammar' });
   */
  decide(
    candidateId: string,
    decision: ReviewDecisionKind,
    options: { edited?: { question?: string; answer?: string }; note?: string; reviewer?: string } = {},
  ): ReviewLogEntry {
    const existing = this.decisions.get(candidateId);
    if (existing) {
      throw new Error(`ReviewQueue: ${candidateId} was already decided (${existing.decision}, #${existing.entry.seq}); use revise() to change it`);
    }
    if (decision === 'edit' && !options.edited) throw new Error('ReviewQueue: an edit needs options.edited = { question?, answer? }');
    return this.record(candidateId, decision, options);
  }

  /**
   * Replaces an existing decision (the log keeps both; the newer one applies).
   *
   * @example
   * queue.revise('en-ankle-sprain-001+eda.random-swap:abc', 'reject', { note: 'on second reading, unclear' });
   */
  revise(
    candidateId: string,
    decision: ReviewDecisionKind,
    options: { edited?: { question?: string; answer?: string }; note?: string; reviewer?: string } = {},
  ): ReviewLogEntry {
    const existing = this.decisions.get(candidateId);
    if (!existing) throw new Error(`ReviewQueue: ${candidateId} has no decision to revise; use decide()`);
    if (decision === 'edit' && !options.edited) throw new Error('ReviewQueue: an edit needs options.edited = { question?, answer? }');
    return this.record(candidateId, decision, { ...options, revises: existing.entry.seq });
  }

  private currentOrThrow(): ReviewCandidate {
    const c = this.current();
    if (!c) throw new Error('ReviewQueue: every candidate is decided; see queue.report()');
    return c;
  }

  /** Accepts the current candidate. @example queue.accept(); */
  accept(note?: string): ReviewLogEntry {
    return this.decide(this.currentOrThrow().id, 'accept', { note });
  }

  /** Rejects the current candidate. @example queue.reject('changes the meaning'); */
  reject(note?: string): ReviewLogEntry {
    return this.decide(this.currentOrThrow().id, 'reject', { note });
  }

  /**
   * Accepts the current candidate with corrected text.
   *
   * @example
   * queue.edit({ question: 'How soon can I run after a calf strain?' });
   */
  edit(edited: { question?: string; answer?: string }, note?: string): ReviewLogEntry {
    return this.decide(this.currentOrThrow().id, 'edit', { edited, note });
  }

  /**
   * Decides every pending candidate the rule selects, recording
   * `rule:<name>` as the reviewer. Returns how many were decided.
   *
   * @example
   * queue.decideWhere('template-ok', (c) => c.operator === 'template.question', 'accept');
   */
  decideWhere(ruleName: string, select: (c: ReviewCandidate) => boolean, decision: 'accept' | 'reject', note?: string): number {
    let n = 0;
    for (const c of this.pending()) {
      if (!select(c)) continue;
      this.decide(c.id, decision, { reviewer: `rule:${ruleName}`, note });
      n++;
    }
    return n;
  }

  /**
   * Accepts every pending candidate whose augmented example passes all the
   * filters; with `rejectFailures`, rejects the others with the failing
   * filter's reason as the note.
   *
   * @example
   * queue.acceptWhereFiltersPass([lengthFilter(), languageFilter(), relevanceFilter()], { rejectFailures: true });
   */
  acceptWhereFiltersPass(filters: readonly ExampleFilter[], options: { rule?: string; rejectFailures?: boolean } = {}): { accepted: number; rejected: number } {
    const rule = options.rule ?? `filters:${filters.map((f) => f.name).join('+')}`;
    let accepted = 0;
    let rejected = 0;
    for (const c of this.pending()) {
      const failure = filters.map((f) => ({ f, v: f.test(c.augmented) })).find((x) => !x.v.pass);
      if (!failure) {
        this.decide(c.id, 'accept', { reviewer: `rule:${rule}` });
        accepted++;
      } else if (options.rejectFailures) {
        this.decide(c.id, 'reject', { reviewer: `rule:${rule}`, note: `${failure.f.name}: ${failure.v.reason ?? 'failed'}` });
        rejected++;
      }
    }
    return { accepted, rejected };
  }

  /**
   * The accepted examples (edits applied), each with a `review` step in its
   * provenance (decision, reviewer, log line seq).
   *
   * @example
   * const extra = queue.acceptedExamples(); // add to the training set
   */
  acceptedExamples(): QaExample[] {
    const out: QaExample[] = [];
    for (const c of this.candidates) {
      const d = this.decisions.get(c.id);
      if (!d || d.decision === 'reject') continue;
      const edited = d.entry.edited ?? {};
      const changes = (['question', 'answer'] as const)
        .filter((f) => edited[f] !== undefined && edited[f] !== c.augmented[f])
        .map((f) => ({ kind: 'edit', field: f, from: c.augmented[f], to: edited[f] as string }));
      out.push(
        applyStep(
          c.augmented,
          { ...(edited.question !== undefined ? { question: edited.question } : {}), ...(edited.answer !== undefined ? { answer: edited.answer } : {}) },
          { operator: 'review', params: { decision: d.decision, reviewer: d.entry.reviewer, seq: d.entry.seq, log: this.file }, changes },
          { keepId: true },
        ),
      );
    }
    return out;
  }

  /**
   * Counts per operator: total, accepted, edited, rejected, pending, and the
   * acceptance rate ((accepted + edited) / decided).
   *
   * @example
   * queue.report().table; // displays as a table in a notebook
   */
  report(): ReviewReport {
    const per = new Map<string, { total: number; accept: number; edit: number; reject: number }>();
    for (const c of this.candidates) {
      const p = per.get(c.operator) ?? { total: 0, accept: 0, edit: 0, reject: 0 };
      p.total++;
      const d = this.decisions.get(c.id);
      if (d) p[d.decision]++;
      per.set(c.operator, p);
    }
    const rate = (p: { accept: number; edit: number; reject: number }): number | null => {
      const decided = p.accept + p.edit + p.reject;
      return decided === 0 ? null : Number(((p.accept + p.edit) / decided).toFixed(3));
    };
    const sum = { total: 0, accept: 0, edit: 0, reject: 0 };
    const rows = [...per.keys()].sort().map((op) => {
      const p = per.get(op) as typeof sum;
      sum.total += p.total;
      sum.accept += p.accept;
      sum.edit += p.edit;
      sum.reject += p.reject;
      return [op, p.total, p.accept, p.edit, p.reject, p.total - p.accept - p.edit - p.reject, rate(p)];
    });
    rows.push(['all', sum.total, sum.accept, sum.edit, sum.reject, sum.total - sum.accept - sum.edit - sum.reject, rate(sum)]);
    const table = new DataTable(['operator', 'candidates', 'accepted', 'edited', 'rejected', 'pending', 'acceptance_rate'], rows, 'review by operator');
    const decided = sum.accept + sum.edit + sum.reject;
    return { table, total: sum.total, decided, accepted: sum.accept, edited: sum.edit, rejected: sum.reject, pending: sum.total - decided };
  }

  /**
   * A displayable card for any candidate (decided or not).
   *
   * @example
   * queue.card(queue.candidates[3].id); // shows original vs augmented and the decision
   */
  card(candidateId: string): { [JUPYTER_DISPLAY](): MimeBundle; toString(): string } {
    const c = this.byId.get(candidateId);
    if (!c) throw new Error(`ReviewQueue: no candidate ${JSON.stringify(candidateId)} in this queue`);
    const d = this.decisions.get(candidateId);
    const status = d ? `${d.decision} by ${d.entry.reviewer} (#${d.entry.seq})` : 'pending';
    return {
      [JUPYTER_DISPLAY]: () => ({ 'text/html': candidateCardHtml(c, status), 'text/plain': candidateCardText(c, status) }),
      toString: () => candidateCardText(c, status),
    };
  }

  /** One line of progress. */
  toString(): string {
    const r = this.report();
    const c = this.current();
    const head = `review ${this.file}: ${r.decided}/${r.total} decided (${r.accepted} accepted, ${r.edited} edited, ${r.rejected} rejected)`;
    return c ? `${head}\nnext:\n${candidateCardText(c, 'pending')}` : `${head}\nall candidates decided`;
  }

  [JUPYTER_DISPLAY](): MimeBundle {
    const r = this.report();
    const c = this.current();
    const progress = `<div style="margin-bottom:6px">Review <code>${escapeHtml(this.file)}</code>: <b>${r.decided}</b> of ${r.total} decided (${r.accepted} accepted, ${r.edited} edited, ${r.rejected} rejected).</div>`;
    const help =
      '<div style="margin-top:6px;color:#555"><small>Decide in the next cell: <code>queue.accept()</code>, <code>queue.reject(&#39;why&#39;)</code>, ' +
      '<code>queue.edit({ question: &#39;...&#39; })</code>; then display <code>queue</code> again. Every decision is saved to the log at once.</small></div>';
    const body = c ? candidateCardHtml(c, `pending (${r.pending} left)`, help) : `<div>All candidates decided.</div>${r.table.toHtml()}`;
    return { 'text/html': `<div class="galore-review-queue">${progress}${body}</div>`, 'text/plain': this.toString() };
  }
}
