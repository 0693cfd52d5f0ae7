import { describe, expect, it } from 'vitest';
import { EDA_OPERATIONS, edaOperator, edaText, isProtectedWord } from '../../kernel-lib/src/data/augment/eda';
import { synonymLexicon } from '../../kernel-lib/src/data/lexicon';
import { example } from './helpers/fixtures';

const en = synonymLexicon('en', [['doctor', 'physician'], ['sore', 'painful'], ['quickly', 'rapidly']]);
const zh = synonymLexicon('zh', [['医生', '大夫'], ['冰敷', '冷敷']]);
const synonyms = { en, zh };

const q = example({ id: 'en-1', question: 'Should I see a doctor if my knee is sore after running quickly downhill?' });
const qz = example({ id: 'zh-1', question: '脚踝扭伤后应该冰敷还是去看医生？', language: 'zh' });
const words = (s: string): string[] => s.match(/[A-Za-z0-9']+/g) ?? [];

describe('EDA operators', () => {
  for (const op of EDA_OPERATIONS) {
    it(`${op} is deterministic for a seed and records what it changed`, () => {
      const operator = edaOperator(op, { alpha: 0.2, synonyms });
      for (const ex of [q, qz]) {
        const a = operator.apply(ex, 7);
        const b = operator.apply(ex, 7);
        expect(a).not.toBeNull();
        expect(b).toEqual(a);
        const step = a!.provenance.steps.at(-1)!;
        expect(step).toMatchObject({ operator: `eda.${op}`, seed: 7, parentId: ex.id, params: { alpha: 0.2, fields: ['question'] } });
        expect(step.changes.length).toBeGreaterThan(0);
        expect(a!.answer).toBe(ex.answer); // answers are left alone by default
        expect(a!.id).toMatch(new RegExp(`^${ex.id}\\+eda\\.${op}:`));
      }
      // With one edit per call, different seeds pick different edits.
      const single = edaOperator(op, { alpha: 0.05, synonyms });
      const outs = new Set([1, 2, 3, 4, 5].map((s) => single.apply(q, s)?.question));
      expect(outs.size).toBeGreaterThan(1);
    });
  }

  it('synonym replacement only uses lexicon pairs and keeps capitals', () => {
    const out = edaText('synonym-replacement', 'Doctor says my knee is sore.', 'en', 3, { alpha: 1, synonyms: en });
    expect(out.text).toBe('Physician says my knee is painful.');
    expect(out.changes.map((c) => [c.from, c.to])).toEqual(expect.arrayContaining([['Doctor', 'Physician'], ['sore', 'painful']]));
  });

  it('random deletion removes exactly the recorded words, never negations or numbers', () => {
    const text = 'Do not run for 48 hours and avoid hills until the pain settles completely';
    for (let seed = 0; seed < 20; seed++) {
      const out = edaText('random-deletion', text, 'en', seed, { alpha: 0.3, synonyms: en });
      const deleted = out.changes.map((c) => c.from);
      const remaining = [...words(text)];
      for (const d of deleted) remaining.splice(remaining.indexOf(d as string), 1);
      // (A deleted sentence-initial word passes its capital to the next word.)
      const lower = words(out.text).map((w) => w.toLowerCase());
      expect(lower).toEqual(remaining.map((w) => w.toLowerCase()));
      for (const keep of ['not', '48', 'avoid', 'until']) expect(lower).toContain(keep);
      expect(out.text).not.toMatch(/ {2}/);
    }
  });

  it('random swap exchanges two words and keeps the word multiset', () => {
    const out = edaText('random-swap', 'Ice the sore knee gently after every long run', 'en', 11, { alpha: 0.1, synonyms: en });
    expect(out.changes).toHaveLength(1);
    expect(words(out.text).sort()).toEqual(words('Ice the sore knee gently after every long run').sort());
    expect(out.text).not.toBe('Ice the sore knee gently after every long run');
    expect(words(out.text)[0]).toBe('Ice'); // the first English word stays in place
  });

  it('random insertion adds a synonym of a word in the sentence', () => {
    const out = edaText('random-insertion', 'My doctor said to rest', 'en', 5, { alpha: 0.2, synonyms: en });
    expect(out.changes).toEqual([expect.objectContaining({ kind: 'insert', to: 'physician' })]);
    expect(words(out.text).filter((w) => w === 'physician')).toHaveLength(1);
    expect(words(out.text)).toHaveLength(6);
  });

  it('works on Chinese words from jieba', () => {
    const out = edaText('synonym-replacement', '脚踝扭伤后应该冰敷还是去看医生？', 'zh', 1, { alpha: 1, synonyms: zh });
    expect(out.text).toBe('脚踝扭伤后应该冷敷还是去看大夫？');
    expect(isProtectedWord('不要', 'zh')).toBe(true);
    expect(isProtectedWord('冰敷', 'zh')).toBe(false);
    const del = edaText('random-deletion', '受伤后不要马上热敷', 'zh', 2, { alpha: 0.5, synonyms: zh });
    expect(del.text).toContain('不要');
  });

  it('returns null when there is nothing to change', () => {
    const none = example({ id: 'x', question: 'Why?' });
    expect(edaOperator('synonym-replacement', { synonyms }).apply(none, 1)).toBeNull();
    expect(edaOperator('random-swap', { synonyms }).apply(none, 1)).toBeNull();
  });

  it('uses the project lexicon by default', () => {
    const out = edaOperator('synonym-replacement', { alpha: 1 }).apply(example({ id: 'd', question: 'Should I see a doctor?' }), 0);
    expect(out?.question).toMatch(/^Should I see a (physician|clinician)\?$/);
  });

  it('rejects an unknown operation with the allowed names', () => {
    expect(() => edaOperator('shuffle' as never)).toThrow(/synonym-replacement, random-insertion, random-swap, random-deletion/);
  });
});
