import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { lengthFilter } from '../../kernel-lib/src/data/filters';
import { JUPYTER_DISPLAY } from '../../kernel-lib/src/data/html';
import { applyStep } from '../../kernel-lib/src/data/provenance';
import { readReviewLog } from '../../kernel-lib/src/data/review-log';
import { reviewCandidates, ReviewQueue } from '../../kernel-lib/src/data/review-queue';
import { diffPlain, diffText } from '../../kernel-lib/src/data/text-diff';
import { example, tempDir } from './helpers/fixtures';
import { reviewFixture } from './helpers/review-fixture';

const open = () => {
  const { candidates } = reviewFixture();
  const log = path.join(tempDir('review-'), 'log.jsonl');
  return { candidates, log, queue: ReviewQueue.open(log, candidates, { reviewer: 'ana', warn: () => {} }) };
};

describe('ReviewQueue', () => {
  it('walks the queue in order, and refuses to decide twice unless revising', () => {
    const { queue, candidates, log } = open();
    expect(queue.current()?.id).toBe(candidates[0].id);
    queue.accept();
    queue.reject('too awkward');
    queue.edit({ question: 'A better question?' });
    expect(queue.current()?.id).toBe(candidates[3].id);
    expect(() => queue.decide(candidates[0].id, 'reject')).toThrow(/already decided \(accept, #1\); use revise/);
    queue.revise(candidates[0].id, 'reject', { note: 'second look' });
    expect(queue.decisionFor(candidates[0].id)?.decision).toBe('reject');
    const logged = readReviewLog(log).entries;
    expect(logged.map((e) => [e.seq, e.decision, e.revises])).toEqual([[1, 'accept', undefined], [2, 'reject', undefined], [3, 'edit', undefined], [4, 'reject', 1]]);
    expect(logged[1]).toMatchObject({ reviewer: 'ana', note: 'too awkward', operator: candidates[1].operator });
    // The revision survives a reopen.
    const reopened = ReviewQueue.open(log, candidates, { warn: () => {} });
    expect(reopened.decisionFor(candidates[0].id)?.decision).toBe('reject');
    expect(() => queue.decide('nope', 'accept')).toThrow(/no candidate "nope"/);
  });

  it('ignores, with a warning, a repeated decision that is not a revision', () => {
    const { queue, candidates, log } = open();
    queue.accept();
    // Simulate a second program appending a decision for the same candidate.
    const other = ReviewQueue.open(log, [candidates[1]], { warn: () => {} });
    expect(other.pending()).toHaveLength(1);
    const entry = readReviewLog(log).entries[0];
    require('fs').appendFileSync(log, JSON.stringify({ ...entry, seq: 2, decision: 'reject' }) + '\n');
    const warnings: string[] = [];
    const q = ReviewQueue.open(log, candidates, { warn: (m) => warnings.push(m) });
    expect(q.decisionFor(candidates[0].id)?.decision).toBe('accept');
    expect(warnings[0]).toMatch(/repeats decision #1 without revising it; ignored/);
    expect(warnings).toHaveLength(1);
    // Decisions for candidates outside this queue are reported, not applied.
    const w2: string[] = [];
    ReviewQueue.open(log, candidates.slice(1), { warn: (m) => w2.push(m) });
    expect(w2.join('\n')).toMatch(/2 decision\(s\) are for candidates not in this queue/);
  });

  it('decides in bulk by rules and by filters, recording the rule as reviewer', () => {
    const { queue, candidates, log } = open();
    const n = queue.decideWhere('templates-ok', (c) => c.operator === 'template.question', 'accept');
    expect(n).toBe(4);
    const result = queue.acceptWhereFiltersPass([lengthFilter({ question: [5, 40] })], { rejectFailures: true });
    // "Rephrased question N about an ankle sprain?" is 43-44 characters: all fail the 40 limit.
    expect(result).toEqual({ accepted: 0, rejected: 8 });
    const entries = readReviewLog(log).entries;
    expect(entries.slice(0, 4).every((e) => e.reviewer === 'rule:templates-ok')).toBe(true);
    expect(entries[4]).toMatchObject({ reviewer: 'rule:filters:length', decision: 'reject', note: expect.stringMatching(/^length: question has 4\d characters; expected 5-40$/) });
    expect(queue.pending()).toEqual([]);
    expect(candidates).toHaveLength(12);
  });

  it('reports counts and acceptance rates per operator', () => {
    const { queue, candidates } = open();
    // candidates cycle eda.random-swap, template.question, entity-swap.
    queue.decide(candidates[0].id, 'accept');
    queue.decide(candidates[3].id, 'reject');
    queue.decide(candidates[1].id, 'edit', { edited: { answer: 'Corrected answer.' } });
    const r = queue.report();
    expect(r).toMatchObject({ total: 12, decided: 3, accepted: 1, edited: 1, rejected: 1, pending: 9 });
    expect(r.table.toRecords()).toEqual([
      { operator: 'eda.random-swap', candidates: 4, accepted: 1, edited: 0, rejected: 1, pending: 2, acceptance_rate: 0.5 },
      { operator: 'entity-swap', candidates: 4, accepted: 0, edited: 0, rejected: 0, pending: 4, acceptance_rate: null },
      { operator: 'template.question', candidates: 4, accepted: 0, edited: 1, rejected: 0, pending: 3, acceptance_rate: 1 },
      { operator: 'all', candidates: 12, accepted: 1, edited: 1, rejected: 1, pending: 9, acceptance_rate: 0.667 },
    ]);
  });

  it('accepted examples carry the edit and a review step', () => {
    const { queue, candidates } = open();
    queue.decide(candidates[0].id, 'accept');
    queue.decide(candidates[1].id, 'edit', { edited: { question: 'How soon can I jog after a sprain?' } });
    queue.decide(candidates[2].id, 'reject');
    const out = queue.acceptedExamples();
    expect(out.map((e) => e.id)).toEqual([candidates[0].id, candidates[1].id]);
    expect(out[1].question).toBe('How soon can I jog after a sprain?');
    const step = out[1].provenance.steps.at(-1)!;
    expect(step).toMatchObject({ operator: 'review', params: { decision: 'edit', reviewer: 'ana', seq: 2 } });
    expect(step.changes).toEqual([{ kind: 'edit', field: 'question', from: candidates[1].augmented.question, to: 'How soon can I jog after a sprain?' }]);
    expect(out[0].provenance.steps.map((s) => s.operator)).toEqual([candidates[0].operator, 'review']);
  });

  it('displays original beside augmented with the diff, escaping all data', () => {
    const o = example({ id: 'x<1>', question: 'Is <b>ice</b> & rest OK?' });
    const a = applyStep(o, { question: 'Is <script>alert(1)</script> & rest OK?' }, { operator: 'eda.random-swap', changes: [{ kind: 'swap', from: '<b>', to: '"q"' }] });
    const queue = ReviewQueue.open(path.join(tempDir('review-'), 'l.jsonl'), reviewCandidates([o], [a]), { warn: () => {} });
    const bundle = queue[JUPYTER_DISPLAY]();
    const html = bundle['text/html'];
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>ice');
    expect(html).toMatch(/&lt;<ins [^>]*>script<\/ins>&gt;/);
    expect(html).toContain('x&lt;1&gt;');
    expect(html).toMatch(/<del [^>]*>[^<]*ice/);
    expect(html).toMatch(/<ins [^>]*>[^<]*script/);
    expect(html).toContain('0</b> of 1 decided');
    expect(bundle['text/plain']).toContain('[-');
    queue.accept();
    expect(queue[JUPYTER_DISPLAY]()['text/html']).toContain('All candidates decided');
    expect(queue.card(a.id).toString()).toMatch(/\[accept by /);
  });

  it('reviewCandidates pairs each augmentation with its original', () => {
    const { originals, augmented } = reviewFixture();
    const pairs = reviewCandidates(originals, augmented);
    expect(pairs.map((p) => p.original.id)).toEqual(originals.map((o) => o.id));
    expect(() => reviewCandidates(originals.slice(1), augmented)).toThrow(/no original for augmented example en-ankle-sprain-001\+/);
  });
});

describe('text diff', () => {
  it('marks replaced words (hand-checked)', () => {
    expect(diffText('Ice the knee now', 'Cool the knee now')).toEqual([
      { type: 'delete', text: 'Ice' },
      { type: 'insert', text: 'Cool' },
      { type: 'equal', text: ' the knee now' },
    ]);
    expect(diffPlain(diffText('冰敷膝盖', '冷敷膝盖'))).toBe('[-冰-]{+冷+}敷膝盖');
  });
});
