import { describe, expect, it } from 'vitest';
import {
  applyFilters,
  checkSplitLeakage,
  findNearDuplicates,
  languageFilter,
  lengthFilter,
  relevanceFilter,
  removeNearDuplicates,
} from '../../kernel-lib/src/data/filters';
import { keywordMatcher } from '../../kernel-lib/src/data/keywords';
import { example } from './helpers/fixtures';

const sprain = example({
  id: 'a',
  question: 'How long should I rest a sprained ankle before running again?',
  answer: 'Most mild ankle sprains allow easy running within one to three weeks, once you can hop on the leg without pain.',
});
const sprainCopy = example({
  id: 'b',
  question: 'How long should I rest a sprained ankle before running again??',
  answer: 'Most mild ankle sprains allow easy running within one to three weeks, once you can hop on the leg without pain!',
});
const hamstring = example({
  id: 'c',
  question: 'What exercises help a pulled hamstring heal?',
  answer: 'Start with gentle isometric holds, then bridges and Nordic curls as pain allows, building load over several weeks.',
});
const offTopic = example({ id: 'd', question: 'What is the capital of France?', answer: 'Paris is the capital city of France.' });

describe('quality filters', () => {
  it('length bounds say which field and what was expected', () => {
    const f = lengthFilter({ question: [10, 200], answer: [50, 500] });
    expect(f.test(sprain)).toEqual({ pass: true });
    expect(f.test(offTopic)).toEqual({ pass: false, reason: 'answer has 36 characters; expected 50-500' });
  });

  it('language check compares the text with the declared language', () => {
    expect(languageFilter().test(sprain).pass).toBe(true);
    const mislabelled = { ...sprain, language: 'zh' };
    expect(languageFilter().test(mislabelled)).toEqual({ pass: false, reason: 'question looks like en; the example says zh' });
  });

  it('keyword relevance keeps sports-medicine text and rejects the rest', () => {
    const f = relevanceFilter({ minHits: 2 });
    expect(f.test(sprain).pass).toBe(true);
    expect(f.test(offTopic)).toMatchObject({ pass: false, reason: expect.stringMatching(/^found 0 domain keyword/) });
    const zh = example({ id: 'z', language: 'zh', question: '膝盖扭伤后能跑步吗？', answer: '先休息，等肿胀消退再逐步恢复。' });
    expect(f.test(zh).pass).toBe(true);
    expect(keywordMatcher(['injur*'])('Injuries heal')).toEqual(['injur*']);
    expect(keywordMatcher(['run'])('a runner')).toEqual([]);
  });

  it('applyFilters reports the first failing filter per example', () => {
    const report = applyFilters([sprain, offTopic, hamstring], [lengthFilter({ answer: [50, 500] }), relevanceFilter()]);
    expect(report.kept.map((e) => e.id)).toEqual(['a', 'c']);
    expect(report.rejected.map((r) => [r.example.id, r.filter])).toEqual([['d', 'length']]);
    expect(report.rejectedBy).toEqual({ length: 1, relevance: 0 });
  });
});

describe('near-duplicate removal', () => {
  it('removes a known duplicate and names what it duplicates', () => {
    const { kept, removed } = removeNearDuplicates([sprain, hamstring, sprainCopy, offTopic], { threshold: 0.8 });
    expect(kept.map((e) => e.id)).toEqual(['a', 'c', 'd']);
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ duplicateOf: 'a', field: 'question+answer' });
    expect(removed[0].record.id).toBe('b');
    expect(removed[0].similarity).toBe(1); // only punctuation differs
  });

  it('compares only within a language and honours the chosen fields', () => {
    const sameQuestion = example({ id: 'e', question: sprain.question, answer: 'A completely different answer about footwear choices and surfaces.' });
    expect(findNearDuplicates([sprain, sameQuestion], { threshold: 0.8, fields: ['question+answer'] })).toEqual([]);
    expect(findNearDuplicates([sprain, sameQuestion], { threshold: 0.8, fields: ['question'] })).toEqual([
      { a: 0, b: 1, field: 'question', similarity: 1 },
    ]);
    const zhCopy = { ...sprain, id: 'zz', language: 'zh' };
    expect(findNearDuplicates([sprain, zhCopy], { threshold: 0.5, fields: ['question'] })).toEqual([]);
  });
});

describe('split leakage check', () => {
  it('catches a known leak: the same id, and a near-duplicate in another split', () => {
    const leaks = checkSplitLeakage(
      { train: [sprain, hamstring], validation: [offTopic], test: [sprainCopy, { ...hamstring }] },
      { threshold: 0.8, fields: ['question'] },
    );
    expect(leaks).toContainEqual({ kind: 'same-id', a: { split: 'train', id: 'c' }, b: { split: 'test', id: 'c' } });
    expect(leaks).toContainEqual({
      kind: 'near-duplicate',
      a: { split: 'train', id: 'a' },
      b: { split: 'test', id: 'b' },
      field: 'question',
      similarity: 1,
    });
  });

  it('finds nothing in clean splits, and ignores near-duplicates within one split', () => {
    expect(checkSplitLeakage({ train: [sprain, sprainCopy], test: [hamstring], validation: [offTopic] }, { threshold: 0.5 })).toEqual([]);
  });
});
