import { describe, expect, it } from 'vitest';
import { mergeDatasets, provenanceSummary } from '../../kernel-lib/src/data/merge';
import { applyStep, describeProvenance, operatorsApplied } from '../../kernel-lib/src/data/provenance';
import { example } from './helpers/fixtures';

const ours = [example({ id: 'q1', question: 'Ankle?' }), example({ id: 'q2', question: 'Knee?' })];
const theirs = [example({ id: 'q2', question: '膝盖？', language: 'zh' }), example({ id: 'c3', question: '发烧？', language: 'zh' })];
theirs.forEach((e) => (e.provenance.origin = { dataset: 'cMedQA2', file: 'answer.csv', line: 7 }));

describe('mergeDatasets', () => {
  it('keeps each example’s origin and adds a merge step with source and index', () => {
    const merged = mergeDatasets([
      { name: 'sports', examples: ours },
      { name: 'cmed', examples: theirs },
    ]);
    expect(merged.map((e) => e.id)).toEqual(['q1', 'sports:q2', 'cmed:q2', 'c3']);
    expect(merged[2].provenance.origin).toEqual({ dataset: 'cMedQA2', file: 'answer.csv', line: 7 });
    expect(merged[2].provenance.steps).toEqual([
      { operator: 'merge', params: { source: 'cmed', index: 0 }, changes: [{ kind: 'rename', from: 'q2', to: 'cmed:q2', detail: 'id also used by another source' }], parentId: 'q2' },
    ]);
    expect(merged[0].provenance.steps[0].changes).toEqual([]);
    // Inputs are not modified.
    expect(ours[1].id).toBe('q2');
    expect(ours[1].provenance.steps).toEqual([]);
  });

  it('can refuse clashing ids, names the clash, and shuffles deterministically', () => {
    expect(() => mergeDatasets([{ name: 'a', examples: ours }, { name: 'b', examples: theirs }], { onDuplicateId: 'error' })).toThrow(/q2 \(in a, b\)/);
    const a = mergeDatasets([{ name: 'a', examples: ours }, { name: 'b', examples: theirs }], { shuffleSeed: 9 }).map((e) => e.id);
    const b = mergeDatasets([{ name: 'a', examples: ours }, { name: 'b', examples: theirs }], { shuffleSeed: 9 }).map((e) => e.id);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual(['a:q2', 'b:q2', 'c3', 'q1']);
    expect(() => mergeDatasets([{ name: 'a', examples: ours }, { name: 'a', examples: [] }])).toThrow(/named "a"/);
  });

  it('summarises examples by origin and last operator', () => {
    const augmented = applyStep(ours[0], { question: 'Ankle??' }, { operator: 'template.question', changes: [] });
    const merged = mergeDatasets([{ name: 'sports', examples: [...ours, augmented] }, { name: 'cmed', examples: theirs }]);
    expect(provenanceSummary(merged).toRecords()).toEqual([
      { dataset: 'cMedQA2', operator: 'original', count: 2 },
      { dataset: 'test', operator: 'original', count: 2 },
      { dataset: 'test', operator: 'template.question', count: 1 },
    ]);
    expect(operatorsApplied(merged[2])).toEqual(['template.question', 'merge']);
    expect(describeProvenance(merged[2])).toMatch(/^test -> template.question \[\] -> merge \[\]$/);
  });
});
