// Checks the shipped general health and sports corpus (datasets/general-health-sports),
// its reader, the leakage check against the held-out Q&A splits, and the
// packing of pretraining text into blocks.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { readQaRecords } from '../../kernel-lib/src/data/jsonl';
import { formatIssue } from '../../kernel-lib/src/data/issues';
import { generalCorpusPath, parseCorpusMarkdown, readGeneralCorpus } from '../../kernel-lib/src/tiny/general-corpus';
import { packIntoBlocks } from '../../kernel-lib/src/tiny/pretraining-blocks';
import { findLongOverlaps } from '../../kernel-lib/src/tiny/text-overlap';
import { datasetSplitPath } from '../../kernel-lib/src/tiny/tiny-base';
import { tempDir, write } from './helpers/fixtures';

const docChars = (d: { title: string; text: string }) => d.title.length + 1 + d.text.length;

describe('the shipped general health and sports corpus', () => {
  const { records: docs, issues } = readGeneralCorpus();

  it('reads without issues, in both languages, with unique ids', () => {
    expect(issues.map(formatIssue)).toEqual([]);
    for (const language of ['en', 'zh'] as const) expect(docs.filter((d) => d.language === language).length).toBeGreaterThanOrEqual(100);
    expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length);
    // Chinese documents are written in Chinese, English ones in English
    for (const d of docs) {
      const han = [...d.text].filter((c) => /\p{Script=Han}/u.test(c)).length / d.text.length;
      if (d.language === 'zh') expect(han, d.id).toBeGreaterThan(0.5);
      else expect(han, d.id).toBe(0);
    }
  });

  it('matches the counts table of its README', () => {
    const card = fs.readFileSync(path.join(generalCorpusPath(), 'README.md'), 'utf8');
    const rows = [...card.matchAll(/^\| `((?:en|zh)\/[^`]+)` \| (\d+) \| (\d+) \|$/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    const actual = new Map<string, [number, number]>();
    for (const d of docs) {
      const key = `${d.language}/${d.topic}.md`;
      const [n, c] = actual.get(key) ?? [0, 0];
      actual.set(key, [n + 1, c + docChars(d)]);
    }
    expect(rows).toEqual([...actual].map(([k, [n, c]]) => [k, n, c]));
    const total = card.match(/^\| \*\*total\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|$/m);
    expect(total && [Number(total[1]), Number(total[2])]).toEqual([docs.length, docs.reduce((a, d) => a + docChars(d), 0)]);
  });

  it('shares no long n-gram with any validation or test question or answer', () => {
    const heldOut = (['validation', 'test'] as const).flatMap((s) => readQaRecords(datasetSplitPath(s)).records.map((r) => r.record));
    expect(heldOut.length).toBeGreaterThan(200);
    const leaks = findLongOverlaps(docs.map((d) => `${d.title}\n${d.text}`), heldOut.map((r) => `${r.question}\n${r.answer}`), { words: 8, hanChars: 12 });
    expect(leaks.map((l) => `${docs[l.text].id} ~ ${heldOut[l.reference].id}: ${l.ngram}`)).toEqual([]);
  });
});

describe('findLongOverlaps', () => {
  it('finds a copied English run despite changed case and punctuation, and not a shorter one', () => {
    const ref = 'Rest the ankle, then load it gradually over the next two weeks as pain allows.';
    expect(findLongOverlaps(['Then: load it, GRADUALLY over the next two weeks as pain allows!'], [ref])).toHaveLength(1);
    expect(findLongOverlaps(['it gradually over the next two weeks'], [ref])).toEqual([]); // a run of 7 words: below the default 8
  });

  it('counts exactly n words or n Han characters as an overlap', () => {
    const ref = 'one two three four five six seven eight nine';
    expect(findLongOverlaps(['x one two three four five six seven eight y'], [ref], { words: 8 })).toHaveLength(1);
    expect(findLongOverlaps(['x one two three four five six seven y'], [ref], { words: 8 })).toEqual([]);
    const zh = '运动前要充分热身让肌肉温度升高关节做好准备';
    expect(findLongOverlaps([`他说：${zh.slice(2, 14)}。`], [zh], { hanChars: 12 })).toHaveLength(1);
    expect(findLongOverlaps([`他说：${zh.slice(2, 13)}。`], [zh], { hanChars: 12 })).toEqual([]);
  });

  it('reports each (text, reference) pair once, with indices', () => {
    const refs = ['alpha beta gamma delta epsilon zeta eta theta iota', 'nothing in common here at all with it'];
    const texts = ['none', 'alpha beta gamma delta epsilon zeta eta theta iota kappa'];
    expect(findLongOverlaps(texts, refs)).toEqual([{ text: 1, reference: 0, ngram: 'alpha beta gamma delta epsilon zeta eta theta' }]);
    expect(() => findLongOverlaps(texts, refs, { words: 0 })).toThrow(/n-gram sizes must be >= 1/);
  });
});

describe('readGeneralCorpus / parseCorpusMarkdown: malformed files', () => {
  it('names the file and line of each problem', () => {
    const text = ['Intro text without a title', '', 'stray paragraph', '## Good', 'Some text.', '## Good', 'again', '## Empty', '', '### Sub', ''].join('\n');
    const { records, issues } = parseCorpusMarkdown(text, 'en/bad.md', 'en');
    const messages = issues.map(formatIssue);
    expect(messages[0]).toMatch(/^en\/bad\.md:1: expected the file to open with a "# Topic title" line/);
    expect(messages.some((m) => /^en\/bad\.md:3: text before the first "## Document title"/.test(m))).toBe(true);
    expect(messages.some((m) => /^en\/bad\.md:6: duplicate document title "Good" \(first at line 4\)/.test(m))).toBe(true);
    expect(messages.some((m) => /^en\/bad\.md:8: document "Empty" has no text/.test(m))).toBe(true);
    expect(messages.some((m) => /^en\/bad\.md:10: unexpected heading "### Sub"/.test(m))).toBe(true);
    expect(records.map((r) => [r.id, r.title, r.text, r.line])).toEqual([['en-bad-001', 'Good', 'Some text.', 4], ['en-bad-002', 'Good', 'again', 6]]);
  });

  it('joins paragraphs, numbers documents per file, and reports a missing language folder or an empty file', () => {
    const dir = tempDir('galore-corpus-');
    write(dir, 'en/sleep.md', '# Sleep\n\n## Naps\nFirst paragraph.\n\nSecond paragraph.\n\n## Night\nSleep more.\n');
    write(dir, 'en/empty.md', '\n\n');
    const { records, issues } = readGeneralCorpus(dir);
    expect(records.map((r) => [r.id, r.text])).toEqual([['en-sleep-001', 'First paragraph.\nSecond paragraph.'], ['en-sleep-002', 'Sleep more.']]);
    expect(issues.map(formatIssue)).toEqual([
      `${path.join(dir, 'en', 'empty.md')}: the file is empty; expected a "# Topic title" line and "## Document title" sections`,
      `${path.join(dir, 'zh')}: language folder missing; expected zh/*.md documents`,
    ]);
    expect(readGeneralCorpus(path.join(dir, 'nope')).issues[0].message).toMatch(/corpus folder not found/);
  });
});

describe('packIntoBlocks', () => {
  it('keeps every token once, adds one separator per text, and is deterministic for a seed', () => {
    const texts = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [11]];
    const a = packIntoBlocks(texts, { seqLen: 4, separatorId: 0, seed: 5 });
    const flat = a.flatMap((b) => b.inputIds);
    expect(flat.length).toBe(11 + 4);
    expect(flat.filter((t) => t === 0)).toHaveLength(4);
    expect(flat.filter((t) => t !== 0).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(a.slice(0, -1).every((b) => b.inputIds.length === 4)).toBe(true);
    expect(a.every((b) => b.labels.join() === b.inputIds.join())).toBe(true);
    expect(packIntoBlocks(texts, { seqLen: 4, separatorId: 0, seed: 5 })).toEqual(a);
    const orders = new Set([1, 2, 3, 4, 6, 7].map((seed) => packIntoBlocks(texts, { seqLen: 4, separatorId: 0, seed }).flatMap((b) => b.inputIds).join()));
    expect(orders.size).toBeGreaterThan(1);
    // each text stays contiguous and is followed by its separator
    const joined = `,${flat.join()},`;
    for (const t of texts) expect(joined).toContain(`,${t.join()},0,`);
  });

  it('drops a last block of one token and rejects a bad seqLen', () => {
    expect(packIntoBlocks([[1, 2, 3]], { seqLen: 2, separatorId: 0, seed: 1 }).map((b) => b.inputIds)).toEqual([[1, 2], [3, 0]]);
    expect(packIntoBlocks([[1, 2]], { seqLen: 2, separatorId: 0, seed: 1 }).map((b) => b.inputIds)).toEqual([[1, 2]]);
    expect(() => packIntoBlocks([[1]], { seqLen: 1, separatorId: 0, seed: 1 })).toThrow(/seqLen must be an integer >= 2/);
  });
});
