import { describe, expect, it } from 'vitest';
import { entitySwapOperator, swapOptions } from '../../kernel-lib/src/data/augment/entity-swap';
import { loadLexicon, Taxonomy } from '../../kernel-lib/src/data/lexicon';
import { example } from './helpers/fixtures';

const taxonomy: Taxonomy = {
  bodyParts: {},
  topics: {},
  swapGroups: [
    { id: 'alias.ankle-sprain', kind: 'alias', appliesTo: ['ankle-sprain'], en: ['ankle sprain', 'rolled ankle'], zh: ['脚踝扭伤', '崴脚'] },
    { id: 'alias.tennis-elbow', kind: 'alias', appliesTo: ['tennis-elbow'], en: ['tennis elbow', 'lateral epicondylitis'], zh: ['网球肘'] },
    { id: 'laterality.knee', kind: 'laterality', appliesTo: 'all', en: ['left knee', 'right knee'], zh: ['左膝', '右膝'] },
    { id: 'context.racket', kind: 'context', appliesTo: ['tennis-elbow', 'ankle-sprain'], en: ['tennis', 'badminton'], zh: ['网球', '羽毛球'] },
    { id: 'context.court', kind: 'context', appliesTo: ['ankle-sprain'], en: ['basketball', 'volleyball'], zh: ['篮球', '排球'] },
  ],
};
const op = entitySwapOperator({ taxonomy });

describe('entity swap', () => {
  it('swaps the side consistently in question and answer, and records each mention', () => {
    const ex = example({
      id: 'en-k',
      topic: 'acl-injury',
      question: 'My left knee gave way. Is that serious?',
      answer: 'A left knee that gives way after a twist needs a clinician to examine the left knee.',
    });
    const out = op.apply(ex, 1)!;
    expect(out.question).toBe('My right knee gave way. Is that serious?');
    expect(out.answer).toBe('A right knee that gives way after a twist needs a clinician to examine the right knee.');
    const changes = out.provenance.steps[0].changes;
    expect(changes).toHaveLength(3);
    for (const c of changes) {
      // Positions are offsets in the text before the swap.
      const before = ex[c.field!];
      expect(before.slice(c.position!, c.position! + c.from!.length)).toBe(c.from);
      expect(c.to).toBe('right knee');
      expect(c.detail).toBe('laterality.knee');
    }
  });

  it('fixes a/an and capitals when swapping names', () => {
    const ex = example({ id: 'en-a', topic: 'ankle-sprain', question: 'Rolled ankle at practice: is it a rolled ankle or worse?' });
    const out = op.apply(ex, 0)!;
    expect(out.question).toBe('Ankle sprain at practice: is it an ankle sprain or worse?');
  });

  it('only applies groups to their topics and never splits an injury name', () => {
    const elbow = example({ id: 'en-e', topic: 'tennis-elbow', question: 'I got tennis elbow from playing tennis. What now?' });
    const opts = swapOptions(elbow, { taxonomy });
    // "tennis" inside "tennis elbow" is protected; the sport mention can still change.
    const racket = opts.find((o) => o.group.id === 'context.racket')!;
    expect(racket.spans.map((s) => s.start)).toEqual([elbow.question.lastIndexOf('tennis')]);
    const out = entitySwapOperator({ taxonomy, kinds: ['context'] }).apply(elbow, 0)!;
    expect(out.question).toBe('I got tennis elbow from playing badminton. What now?');
    // The court group is for ankle sprains only.
    const knee = example({ id: 'en-b', topic: 'acl-injury', question: 'I hurt my knee at basketball.' });
    expect(swapOptions(knee, { taxonomy }).map((o) => o.group.id)).toEqual([]);
  });

  it('skips a group when two of its members are mentioned (the swap would merge them)', () => {
    const ex = example({ id: 'en-c', topic: 'ankle-sprain', question: 'Is volleyball or basketball worse for a rolled ankle?' });
    expect(swapOptions(ex, { taxonomy }).map((o) => o.group.id)).toEqual(['alias.ankle-sprain']);
  });

  it('is deterministic for a seed and returns null when nothing can be swapped', () => {
    const ex = example({ id: 'zh-a', topic: 'ankle-sprain', language: 'zh', question: '打篮球崴脚了怎么办？', answer: '崴脚后先停止运动，抬高患肢。' });
    const a = op.apply(ex, 4);
    expect(op.apply(ex, 4)).toEqual(a);
    const results = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => op.apply(ex, s)!.question));
    expect(results).toEqual(new Set(['打排球崴脚了怎么办？', '打篮球脚踝扭伤了怎么办？']));
    const swapped = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => op.apply(ex, s)!).find((x) => x.question.includes('脚踝扭伤'))!;
    expect(swapped.answer).toBe('脚踝扭伤后先停止运动，抬高患肢。');
    expect(swapped.provenance.steps[0].params).toEqual({ group: 'alias.ankle-sprain', kind: 'alias', from: '崴脚', to: '脚踝扭伤' });
    expect(op.apply(example({ id: 'n', topic: 'warm-up', question: 'How long should a warm-up be?' }), 0)).toBeNull();
  });

  it('the shipped taxonomy loads and its swaps keep the topic vocabulary', () => {
    const lexicon = loadLexicon();
    const ex = example({ id: 'en-t', topic: 'tennis-elbow', question: 'Does tennis elbow heal on its own?', answer: 'Tennis elbow usually settles over months.' });
    const out = entitySwapOperator({ taxonomy: lexicon.taxonomy }).apply(ex, 0)!;
    expect(out.question).toMatch(/^Does (lateral epicondylitis|lateral elbow tendinopathy) heal on its own\?$/);
    expect(out.answer).toMatch(/^(Lateral epicondylitis|Lateral elbow tendinopathy) usually settles over months\.$/);
  });
});
