/**
 * Quality filters for Q&A examples: length bounds, language check, keyword
 * relevance to sports medicine, near-duplicate removal (character n-gram
 * Jaccard, see `minhash.ts`) and a leakage check between splits.
 */
import { keywordMatcher } from './keywords';
import { detectLanguage } from './language';
import { defaultLexicon } from './lexicon';
import { defaultShingleSize, groupPairs, nearDuplicatePairsOfSets, shingles } from './minhash';
import { QaExample } from './provenance';

/** The text fields any Q&A record has (shipped records and in-memory examples alike). */
export interface TextRecord {
  id: string;
  question: string;
  answer: string;
  language: string;
}

/** Whether an example passes a filter, and why not. */
export interface FilterVerdict {
  pass: boolean;
  reason?: string;
}

/** A named test on one example. */
export interface ExampleFilter {
  name: string;
  test(example: QaExample): FilterVerdict;
}

const chars = (s: string): number => Array.from(s).length;

/**
 * Keeps examples whose question and answer lengths (in characters) lie within
 * bounds. Defaults: question 5-600, answer 20-4000 characters.
 *
 * @example
 * const example = makeExample({ id: 'demo-1', question: 'How do I ice a sprained ankle?',
 *   answer: 'Briefly, for pain relief, with a cloth between the ice and the skin.', language: 'en' }, { dataset: 'demo' });
 * lengthFilter({ answer: [50, 2000] }).test(example); // { pass: true } or { pass: false, reason: 'answer has 12 characters; expected 50-2000' }
 */
export function lengthFilter(bounds: { question?: [number, number]; answer?: [number, number] } = {}): ExampleFilter {
  const q = bounds.question ?? [5, 600];
  const a = bounds.answer ?? [20, 4000];
  return {
    name: 'length',
    test(example) {
      for (const [field, [min, max]] of [['question', q], ['answer', a]] as const) {
        const n = chars(example[field]);
        if (n < min || n > max) return { pass: false, reason: `${field} has ${n} characters; expected ${min}-${max}` };
      }
      return { pass: true };
    },
  };
}

/**
 * Keeps examples whose question and answer are both in the example's declared
 * language (see `detectLanguage`).
 *
 * @example
 * const example = makeExample({ id: 'demo-1', question: 'How do I ice a sprained ankle?',
 *   answer: 'Briefly, for pain relief, with a cloth between the ice and the skin.', language: 'en' }, { dataset: 'demo' });
 * languageFilter().test({ ...example, language: 'zh' }); // fails for an English text
 */
export function languageFilter(): ExampleFilter {
  return {
    name: 'language',
    test(example) {
      for (const field of ['question', 'answer'] as const) {
        const found = detectLanguage(example[field]);
        if (found !== example.language) {
          return { pass: false, reason: `${field} looks like ${found}; the example says ${example.language}` };
        }
      }
      return { pass: true };
    },
  };
}

/**
 * Keeps examples that mention at least `minHits` domain keywords (question and
 * answer together). Default keywords: the lexicon's `domain-keywords.json`.
 *
 * @example
 * const example = makeExample({ id: 'demo-1', question: 'How do I ice a sprained ankle?',
 *   answer: 'Briefly, for pain relief, with a cloth between the ice and the skin.', language: 'en' }, { dataset: 'demo' });
 * relevanceFilter({ minHits: 2 }).test(example);
 */
export function relevanceFilter(options: { keywords?: { en?: string[]; zh?: string[] }; minHits?: number } = {}): ExampleFilter {
  const minHits = options.minHits ?? 1;
  let matchers: { en: (t: string) => string[]; zh: (t: string) => string[] } | null = null;
  const get = (): NonNullable<typeof matchers> => {
    if (!matchers) {
      const kw = defaultLexicon().keywords;
      matchers = { en: keywordMatcher(options.keywords?.en ?? kw.en), zh: keywordMatcher(options.keywords?.zh ?? kw.zh) };
    }
    return matchers;
  };
  return {
    name: 'relevance',
    test(example) {
      const match = example.language === 'zh' ? get().zh : get().en;
      const hits = match(`${example.question}\n${example.answer}`);
      return hits.length >= minHits
        ? { pass: true }
        : { pass: false, reason: `found ${hits.length} domain keyword(s) (${hits.join(', ') || 'none'}); expected at least ${minHits}` };
    },
  };
}

/** Examples that passed every filter and those that did not (with the first failing filter). */
export interface FilterReport {
  kept: QaExample[];
  rejected: Array<{ example: QaExample; filter: string; reason: string }>;
  /** Rejections per filter name. */
  rejectedBy: Record<string, number>;
}

/**
 * Runs filters in order; an example is rejected by the first filter it fails.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const report = applyFilters(train, [lengthFilter(), languageFilter(), relevanceFilter()]);
 * report.rejectedBy; // { length: 0, language: 2, relevance: 1 }
 */
export function applyFilters(examples: readonly QaExample[], filters: readonly ExampleFilter[]): FilterReport {
  const report: FilterReport = { kept: [], rejected: [], rejectedBy: Object.fromEntries(filters.map((f) => [f.name, 0])) };
  outer: for (const example of examples) {
    for (const f of filters) {
      const verdict = f.test(example);
      if (!verdict.pass) {
        report.rejected.push({ example, filter: f.name, reason: verdict.reason ?? 'rejected' });
        report.rejectedBy[f.name]++;
        continue outer;
      }
    }
    report.kept.push(example);
  }
  return report;
}

/** What near-duplicate detection compares: the question, the answer, or both joined. */
export type DuplicateField = 'question' | 'answer' | 'question+answer';

export interface DuplicateOptions {
  /** Jaccard threshold on character n-grams (inclusive). */
  threshold: number;
  /** Fields compared; a pair is a near-duplicate if ANY listed field reaches the threshold. */
  fields?: DuplicateField[];
  /** N-gram size; default 5 for English, 3 for Chinese. */
  shingleSize?: number;
  method?: 'exact' | 'minhash' | 'auto';
}

/** The duplicate thresholds the shipped splits use (stated in the dataset card); compared exhaustively, so no pair is missed. */
export const SPLIT_DEDUP: Readonly<DuplicateOptions> = { threshold: 0.8, fields: ['question', 'question+answer'], method: 'exact' };
export const SPLIT_GROUPING: Readonly<DuplicateOptions> = { threshold: 0.5, fields: ['question', 'question+answer'], method: 'exact' };

const fieldText = (r: TextRecord, field: DuplicateField): string =>
  field === 'question+answer' ? `${r.question}\n${r.answer}` : r[field];

/** A near-duplicate pair between two records, with the field that matched. */
export interface DuplicatePair {
  a: number;
  b: number;
  field: DuplicateField;
  similarity: number;
}

/**
 * All near-duplicate pairs among records (compared within each language);
 * indices refer to the input array, a < b. When several fields match, the
 * pair is reported once, with the most similar field.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * findNearDuplicates(train, { threshold: 0.8, fields: ['question'] });
 */
export function findNearDuplicates(records: readonly TextRecord[], options: DuplicateOptions): DuplicatePair[] {
  const fields = options.fields ?? ['question+answer'];
  const byLanguage = new Map<string, number[]>();
  records.forEach((r, i) => {
    const list = byLanguage.get(r.language);
    if (list) list.push(i);
    else byLanguage.set(r.language, [i]);
  });
  const best = new Map<string, DuplicatePair>();
  for (const [language, indices] of byLanguage) {
    const n = options.shingleSize ?? defaultShingleSize(language);
    for (const field of fields) {
      const sets = indices.map((i) => shingles(fieldText(records[i], field), n));
      for (const p of nearDuplicatePairsOfSets(sets, { threshold: options.threshold, shingleSize: n, method: options.method })) {
        const a = indices[p.i];
        const b = indices[p.j];
        const key = `${a},${b}`;
        const prev = best.get(key);
        if (!prev || p.similarity > prev.similarity) best.set(key, { a, b, field, similarity: p.similarity });
      }
    }
  }
  return [...best.values()].sort((x, y) => x.a - y.a || x.b - y.b);
}

/**
 * Groups records so that near-duplicates (directly or through a chain) share
 * a group; returns groups of indices, each sorted, groups sorted by first index.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * groupNearDuplicates(train, SPLIT_GROUPING).filter((g) => g.length > 1);
 */
export function groupNearDuplicates(records: readonly TextRecord[], options: DuplicateOptions): number[][] {
  return groupPairs(records.length, findNearDuplicates(records, options).map((p) => ({ i: p.a, j: p.b })));
}

/** Result of `removeNearDuplicates`. */
export interface DedupReport<T extends TextRecord> {
  kept: T[];
  removed: Array<{ record: T; duplicateOf: string; field: DuplicateField; similarity: number }>;
}

/**
 * Removes near-duplicates greedily in input order: a record is kept unless it
 * is a near-duplicate of a record already kept; each removed record names the
 * kept record it duplicates (the most similar one).
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const { kept, removed } = removeNearDuplicates(train, { threshold: 0.8 });
 * removed[0]; // { record: ..., duplicateOf: 'en-ankle-sprain-003', field: 'question+answer', similarity: 0.93 }
 */
export function removeNearDuplicates<T extends TextRecord>(records: readonly T[], options: DuplicateOptions): DedupReport<T> {
  const neighbours = new Map<number, DuplicatePair[]>();
  for (const p of findNearDuplicates(records, options)) {
    const list = neighbours.get(p.b);
    if (list) list.push(p);
    else neighbours.set(p.b, [p]);
  }
  const keptIndex = new Set<number>();
  const report: DedupReport<T> = { kept: [], removed: [] };
  records.forEach((record, i) => {
    const matches = (neighbours.get(i) ?? []).filter((p) => keptIndex.has(p.a)).sort((x, y) => y.similarity - x.similarity);
    if (matches.length === 0) {
      keptIndex.add(i);
      report.kept.push(record);
    } else {
      const best = matches[0];
      report.removed.push({ record, duplicateOf: records[best.a].id, field: best.field, similarity: best.similarity });
    }
  });
  return report;
}

/** A record that appears (by id or as a near-duplicate) in two splits. */
export interface SplitLeak {
  kind: 'same-id' | 'near-duplicate';
  a: { split: string; id: string };
  b: { split: string; id: string };
  field?: DuplicateField;
  similarity?: number;
}

/**
 * Finds leakage between splits: ids present in two splits, and near-duplicate
 * pairs whose members sit in different splits.
 *
 * @example
 * const load = (s: string) => assertNoIssues(loadQaJsonl(`datasets/sports-injury-qa/splits/${s}.jsonl`));
 * checkSplitLeakage({ train: load('train'), validation: load('validation'), test: load('test') }, SPLIT_GROUPING); // [] when the splits are clean
 */
export function checkSplitLeakage(splits: Record<string, readonly TextRecord[]>, options: DuplicateOptions): SplitLeak[] {
  const all: Array<{ split: string; record: TextRecord }> = [];
  for (const [split, records] of Object.entries(splits)) for (const record of records) all.push({ split, record });
  const leaks: SplitLeak[] = [];
  const seen = new Map<string, string>();
  for (const { split, record } of all) {
    const first = seen.get(record.id);
    if (first !== undefined && first !== split) leaks.push({ kind: 'same-id', a: { split: first, id: record.id }, b: { split, id: record.id } });
    if (first === undefined) seen.set(record.id, split);
  }
  for (const p of findNearDuplicates(all.map((x) => x.record), options)) {
    const x = all[p.a];
    const y = all[p.b];
    if (x.split === y.split) continue;
    leaks.push({ kind: 'near-duplicate', a: { split: x.split, id: x.record.id }, b: { split: y.split, id: y.record.id }, field: p.field, similarity: p.similarity });
  }
  return leaks;
}
