import { describe, expect, it } from 'vitest';
import { CARD_BLOCKS, extractCardBlock, renderCardBuildNote, renderCardCounts, replaceCardBlock } from '../../kernel-lib/src/data/dataset-card';
import { QaRecord, QaTopic } from '../../kernel-lib/src/data/qa-schema';
import { mulberry32 } from '../../kernel-lib/src/data/random';
import { buildSplits, splitLeaks } from '../../kernel-lib/src/data/splits';
import { record } from './helpers/fixtures';

// 2 languages x 3 topics x 20 distinct records, plus an exact duplicate and a
// family of three close paraphrases.
const words = 'ankle knee calf hamstring rest load ice pain swelling strength hop jog week heal brace tape walk stairs squat bridge'.split(' ');
function synthetic(): QaRecord[] {
  const rng = mulberry32(5);
  const out: QaRecord[] = [];
  for (const language of ['en', 'zh'] as const) {
    for (const topic of ['ankle-sprain', 'calf-strain', 'concussion'] as QaTopic[]) {
      for (let i = 1; i <= 20; i++) {
        const text = Array.from({ length: 25 }, () => rng.pick(words)).join(' ');
        out.push(record({ id: `${language}-${topic}-${String(i).padStart(3, '0')}`, language, topic, question: `Q ${text}?`, answer: `A ${text.split(' ').reverse().join(' ')}.` }));
      }
    }
  }
  const base = out[0];
  out.push({ ...base, id: 'en-ankle-sprain-101', question: `${base.question}!` });
  // Rewriting 8 of 26 question words gives question Jaccard about 0.55 and
  // question+answer about 0.75: grouped (>= 0.5), not removed (< 0.8).
  const fam = out[5];
  const variant = (tag: string): string => fam.question.split(' ').map((w, i) => (i >= 1 && i <= 8 ? `${tag}${i}` : w)).join(' ');
  out.push({ ...fam, id: 'en-ankle-sprain-102', question: variant('zzz') });
  out.push({ ...fam, id: 'en-ankle-sprain-103', question: variant('yyy') });
  return out;
}

describe('buildSplits', () => {
  const records = synthetic();
  const result = buildSplits(records);

  it('removes the known duplicate and keeps a near-duplicate family in one split', () => {
    expect(result.removed.map((r) => [r.id, r.duplicateOf])).toEqual([['en-ankle-sprain-101', 'en-ankle-sprain-001']]);
    const family = result.groups.find((g) => g.includes('en-ankle-sprain-006'));
    expect(family).toEqual(['en-ankle-sprain-006', 'en-ankle-sprain-102', 'en-ankle-sprain-103']);
    const splitOf = (id: string) => (['train', 'validation', 'test'] as const).find((s) => result.splits[s].some((r) => r.id === id));
    const homes = new Set(family!.map(splitOf));
    expect(homes.size).toBe(1);
    expect(splitLeaks(result.splits)).toEqual([]);
  });

  it('stratifies by language and topic with about 80/10/10', () => {
    for (const language of ['en', 'zh']) {
      for (const topic of ['calf-strain', 'concussion']) {
        const count = (s: 'train' | 'validation' | 'test') => result.splits[s].filter((r) => r.language === language && r.topic === topic).length;
        expect([count('train'), count('validation'), count('test')]).toEqual([16, 2, 2]);
      }
    }
    const total = Object.values(result.splits).reduce((s, x) => s + x.length, 0);
    expect(total).toBe(records.length - 1);
  });

  it('does not depend on input order, and changes with the seed', () => {
    const shuffled = mulberry32(99).shuffle(records);
    expect(buildSplits(shuffled).splits).toEqual(result.splits);
    const other = buildSplits(records, { seed: 7 });
    expect(other.splits.test.map((r) => r.id)).not.toEqual(result.splits.test.map((r) => r.id));
    expect(() => buildSplits(records, { ratios: { train: 0.5, validation: 0.1, test: 0.1 } })).toThrow(/sum to 1/);
  });
});

describe('dataset card blocks', () => {
  const result = buildSplits(synthetic());
  it('renders count tables whose numbers add up to the splits', () => {
    const md = renderCardCounts(result.splits);
    const splitRow = (name: string) => md.split('\n').find((l) => l.startsWith(`| ${name} |`))!;
    expect(splitRow('train')).toBe(`| train | ${result.splits.train.filter((r) => r.language === 'en').length} | ${result.splits.train.filter((r) => r.language === 'zh').length} | ${result.splits.train.length} |`);
    expect(md).toContain('| concussion | 20 | 20 | 40 |');
    expect(renderCardBuildNote(result, 123)).toContain('Authored records read: 123; after de-duplication: 122.');
  });

  it('replaces only the marked block and explains missing markers', () => {
    const card = `# Title\n${CARD_BLOCKS.counts[0]}\nold\n${CARD_BLOCKS.counts[1]}\ntail\n`;
    const next = replaceCardBlock(card, 'counts', 'NEW');
    expect(extractCardBlock(next, 'counts')).toBe('NEW');
    expect(next.startsWith('# Title\n')).toBe(true);
    expect(next.endsWith(`${CARD_BLOCKS.counts[1]}\ntail\n`)).toBe(true);
    expect(() => replaceCardBlock('# no markers', 'build', 'x', 'card.md')).toThrow(/card\.md: cannot find the generated "build" block/);
  });
});
