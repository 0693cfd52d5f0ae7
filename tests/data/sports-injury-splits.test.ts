// Checks the committed splits of datasets/sports-injury-qa and its dataset card.
// If a check fails after the authoring files changed, rebuild with:
//   node datasets/sports-injury-qa/make-splits.mjs
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { extractCardBlock, renderCardBuildNote, renderCardCounts } from '../../kernel-lib/src/data/dataset-card';
import { formatIssue } from '../../kernel-lib/src/data/issues';
import { formatJsonl, readQaRecords } from '../../kernel-lib/src/data/jsonl';
import { canonicalQaRecord, QaRecord } from '../../kernel-lib/src/data/qa-schema';
import { buildSplits, SPLIT_NAMES, splitLeaks, SplitName } from '../../kernel-lib/src/data/splits';
import { REPO } from './helpers/fixtures';

const ROOT = path.join(REPO, 'datasets', 'sports-injury-qa');
const splitFile = (name: SplitName) => path.join(ROOT, 'splits', `${name}.jsonl`);
const MIN_PER_LANGUAGE = 600;

function loadSplits(): { splits: Record<SplitName, QaRecord[]>; problems: string[] } {
  const problems: string[] = [];
  const splits = {} as Record<SplitName, QaRecord[]>;
  for (const name of SPLIT_NAMES) {
    const { records, issues } = readQaRecords(splitFile(name));
    problems.push(...issues.map(formatIssue));
    splits[name] = records.map((r) => r.record);
  }
  return { splits, problems };
}

function authoringFiles(): string[] {
  return ['en', 'zh'].flatMap((lang) => {
    const dir = path.join(ROOT, 'authoring', lang);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(dir, f)) : [];
  });
}

describe('sports-injury-qa committed splits', () => {
  const { splits, problems } = loadSplits();
  const all = SPLIT_NAMES.flatMap((n) => splits[n]);

  it('every record is valid', () => {
    expect(problems).toEqual([]);
    for (const n of SPLIT_NAMES) expect(splits[n].length, n).toBeGreaterThan(0);
  });

  it('no id is in two splits', () => {
    const seen = new Map<string, SplitName>();
    const twice: string[] = [];
    for (const n of SPLIT_NAMES) {
      for (const r of splits[n]) {
        if (seen.has(r.id)) twice.push(`${r.id} (${seen.get(r.id)} and ${n})`);
        seen.set(r.id, n);
      }
    }
    expect(twice).toEqual([]);
  });

  it('no near-duplicate crosses splits (exact Jaccard >= 0.5 on question or question+answer)', () => {
    const leaks = splitLeaks(splits, { threshold: 0.5, fields: ['question', 'question+answer'], method: 'exact' });
    expect(leaks).toEqual([]);
  });

  it(`has at least ${MIN_PER_LANGUAGE} examples per language`, () => {
    for (const language of ['en', 'zh']) {
      const n = all.filter((r) => r.language === language).length;
      expect(n, `${language} examples in the splits`).toBeGreaterThanOrEqual(MIN_PER_LANGUAGE);
    }
  });

  it('each split holds roughly its share of each language', () => {
    for (const language of ['en', 'zh']) {
      const total = all.filter((r) => r.language === language).length;
      const share = (n: SplitName) => splits[n].filter((r) => r.language === language).length / total;
      expect(share('train')).toBeGreaterThan(0.75);
      expect(share('validation')).toBeGreaterThan(0.07);
      expect(share('test')).toBeGreaterThan(0.07);
    }
  });

  it("the dataset card's count tables match the files", () => {
    const card = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(extractCardBlock(card, 'counts')).toBe(renderCardCounts(splits));
  });

  it('the splits and the card are what make-splits.mjs builds from the authoring files', () => {
    const { records, issues } = readQaRecords(authoringFiles());
    expect(issues.map(formatIssue)).toEqual([]);
    const built = buildSplits(records.map((r) => r.record));
    const stale = SPLIT_NAMES.filter((n) => fs.readFileSync(splitFile(n), 'utf8') !== formatJsonl(built.splits[n].map(canonicalQaRecord)));
    expect(stale, 'stale split files: run node datasets/sports-injury-qa/make-splits.mjs').toEqual([]);
    const card = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(extractCardBlock(card, 'build')).toBe(renderCardBuildNote(built, records.length));
  });
});
