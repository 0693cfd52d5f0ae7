import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { findLexiconDir, LEXICON_FILES, loadLexicon } from '../../kernel-lib/src/data/lexicon';
import { QA_BODY_PARTS, QA_TOPICS } from '../../kernel-lib/src/data/qa-schema';
import { deriveSeed, fnv1a32, mulberry32 } from '../../kernel-lib/src/data/random';
import { chineseSegmenter } from '../../kernel-lib/src/data/words';
import { REPO, tempDir } from './helpers/fixtures';

describe('the shipped lexicon', () => {
  const lexicon = loadLexicon(path.join(REPO, 'datasets', 'lexicon'));

  it('is found from the repository and covers every topic and body part', () => {
    expect(path.resolve(findLexiconDir())).toBe(path.join(REPO, 'datasets', 'lexicon'));
    expect(Object.keys(lexicon.taxonomy.topics).sort()).toEqual([...QA_TOPICS].sort());
    expect(Object.keys(lexicon.taxonomy.bodyParts).sort()).toEqual([...QA_BODY_PARTS].sort());
    const listed = Object.values(lexicon.taxonomy.bodyParts).flatMap((b) => b.topics);
    for (const t of QA_TOPICS) expect(listed).toContain(t);
  });

  it('has swap groups with unique ids and something to swap in at least one language', () => {
    const ids = lexicon.taxonomy.swapGroups.map((g) => g.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const g of lexicon.taxonomy.swapGroups) {
      expect(Math.max(g.en.length, g.zh.length), g.id).toBeGreaterThanOrEqual(2);
      expect(new Set(g.en).size, g.id).toBe(g.en.length);
      expect(new Set(g.zh).size, g.id).toBe(g.zh.length);
    }
  });

  it('has Chinese synonyms that jieba produces as single words (else EDA never matches them)', () => {
    const jieba = chineseSegmenter();
    const unmatched = lexicon.synonyms.zh.sets.flat().filter((w) => jieba.cut(`我${w}了`, true).indexOf(w) < 0);
    // A few multi-word replacements are fine as insertions; most entries must be whole jieba words.
    expect(unmatched.length / lexicon.synonyms.zh.sets.flat().length).toBeLessThan(0.25);
  });

  it('names the file and field of a broken lexicon', () => {
    const dir = tempDir('lexicon-');
    for (const f of Object.values(LEXICON_FILES)) fs.copyFileSync(path.join(REPO, 'datasets', 'lexicon', f), path.join(dir, f));
    const tax = JSON.parse(fs.readFileSync(path.join(dir, LEXICON_FILES.taxonomy), 'utf8'));
    tax.swapGroups[0].appliesTo = ['no-such-topic'];
    fs.writeFileSync(path.join(dir, LEXICON_FILES.taxonomy), JSON.stringify(tax));
    fs.writeFileSync(path.join(dir, LEXICON_FILES.synonymsEn), '{"language": "en", "sets": [["only-one"]]}');
    expect(() => loadLexicon(dir)).toThrow(/synonyms\.en\.json: sets\[0\]: got \["only-one"\]; expected at least two/);
    expect(() => loadLexicon(dir)).toThrow(/taxonomy\.json: swapGroups\[0\] \(alias\.ankle-sprain\): .*unknown topics: no-such-topic/);
  });
});

describe('seeded randomness', () => {
  it('mulberry32 is reproducible and roughly uniform', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(Array.from({ length: 10_000 }, () => b.next())).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('shuffles to a permutation and rejects bad bounds', () => {
    const s = mulberry32(1).shuffle([1, 2, 3, 4, 5, 6]);
    expect([...s].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => mulberry32(1).int(0)).toThrow(/positive integer/);
    expect(() => mulberry32(1).pick([])).toThrow(/non-empty/);
  });

  it('FNV-1a matches the published test vectors; derived seeds differ by part', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(deriveSeed(1, 'x', 'op')).toBe(deriveSeed(1, 'x', 'op'));
    expect(deriveSeed(1, 'x', 'op')).not.toBe(deriveSeed(2, 'x', 'op'));
    expect(deriveSeed(1, 'x', 'op')).not.toBe(deriveSeed(1, 'y', 'op'));
  });
});
