/**
 * The sports-medicine lexicon that augmentation and filters read: synonym sets
 * (English and Chinese), the body-part / injury taxonomy with its groups of
 * swappable entities, and domain keywords. The files live in
 * `datasets/lexicon/` (CC BY 4.0, written for this project); `loadLexicon`
 * finds them, checks their shape and names the file and field of any mistake.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataIssue, DataLoadError } from './issues';

/** Synonym sets for one language, with a lookup from a word to its alternatives. */
export interface SynonymLexicon {
  language: string;
  sets: string[][];
  /** Lower-cased word -> the other members of every set it belongs to. */
  lookup: Map<string, string[]>;
}

/** A group of terms that can replace each other for the listed topics. */
export interface SwapGroup {
  id: string;
  kind: 'alias' | 'laterality' | 'context';
  appliesTo: 'all' | string[];
  en: string[];
  zh: string[];
}

export interface Taxonomy {
  bodyParts: Record<string, { en: string; zh: string; topics: string[] }>;
  topics: Record<string, { bodyPart: string; en: string; zh: string }>;
  swapGroups: SwapGroup[];
}

export interface DomainKeywords {
  en: string[];
  zh: string[];
  /** Narrower Chinese list for picking sports-injury questions out of general medical Q&A. */
  zhSportsInjury: string[];
}

export interface Lexicon {
  dir: string;
  synonyms: { en: SynonymLexicon; zh: SynonymLexicon };
  taxonomy: Taxonomy;
  keywords: DomainKeywords;
}

/** The file names inside a lexicon folder. */
export const LEXICON_FILES = {
  synonymsEn: 'synonyms.en.json',
  synonymsZh: 'synonyms.zh.json',
  taxonomy: 'taxonomy.json',
  keywords: 'domain-keywords.json',
} as const;

/**
 * Builds a synonym lexicon from sets of interchangeable words.
 *
 * @example
 * const lex = synonymLexicon('en', [['doctor', 'physician']]);
 * lex.lookup.get('doctor'); // ['physician']
 */
export function synonymLexicon(language: string, sets: string[][]): SynonymLexicon {
  const lookup = new Map<string, string[]>();
  for (const set of sets) {
    for (const word of set) {
      const key = word.toLowerCase();
      const others = set.filter((w) => w.toLowerCase() !== key);
      const existing = lookup.get(key) ?? [];
      for (const o of others) if (!existing.includes(o)) existing.push(o);
      lookup.set(key, existing);
    }
  }
  return { language, sets, lookup };
}

function candidateDirs(): string[] {
  const out: string[] = [];
  if (process.env.GALORE_LAB_LEXICON_DIR) out.push(process.env.GALORE_LAB_LEXICON_DIR);
  // In the repository the source of truth is datasets/lexicon (the build copies it into the package's assets).
  for (const start of [__dirname, process.cwd()]) {
    let dir = path.resolve(start);
    for (;;) {
      out.push(path.join(dir, 'datasets', 'lexicon'));
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  // Installed package: <pkg>/dist/data -> <pkg>/assets/lexicon.
  out.push(path.resolve(__dirname, '..', '..', 'assets', 'lexicon'));
  return out;
}

/**
 * Finds the lexicon folder: `$GALORE_LAB_LEXICON_DIR`, the package's
 * `assets/lexicon`, or `datasets/lexicon` in this folder or any parent (of the
 * library and of the working directory).
 *
 * @example
 * findLexiconDir(); // '/work/main/datasets/lexicon' inside the repository
 */
export function findLexiconDir(): string {
  const tried = candidateDirs();
  for (const dir of tried) {
    if (fs.existsSync(path.join(dir, LEXICON_FILES.taxonomy))) return dir;
  }
  throw new Error(
    `Cannot find the lexicon folder (a folder holding ${LEXICON_FILES.taxonomy}). Looked in:\n  ${[...new Set(tried)].slice(0, 8).join('\n  ')}\n` +
      'Set GALORE_LAB_LEXICON_DIR to the datasets/lexicon folder of the GaLore Lab repository, or pass the folder to loadLexicon(dir).',
  );
}

function readJsonFile(file: string, issues: DataIssue[]): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    issues.push({ file, line: 0, message: `cannot read the file: ${(err as Error).message}` });
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : 0;
    issues.push({ file, line, message: `not valid JSON: ${msg}` });
    return undefined;
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.trim() !== '');

function checkSynonyms(file: string, value: unknown, language: string, issues: DataIssue[]): SynonymLexicon {
  const v = value as { language?: unknown; sets?: unknown } | undefined;
  const sets: string[][] = [];
  if (!v || typeof v !== 'object') return synonymLexicon(language, sets);
  if (v.language !== language) issues.push({ file, line: 0, field: 'language', message: `got ${JSON.stringify(v.language)}; expected "${language}"` });
  if (!Array.isArray(v.sets)) {
    issues.push({ file, line: 0, field: 'sets', message: 'expected an array of arrays of words' });
  } else {
    v.sets.forEach((set, i) => {
      if (!isStringArray(set) || set.length < 2) {
        issues.push({ file, line: 0, field: `sets[${i}]`, message: `got ${JSON.stringify(set)}; expected at least two non-empty words` });
      } else sets.push(set);
    });
  }
  return synonymLexicon(language, sets);
}

function checkTaxonomy(file: string, value: unknown, issues: DataIssue[]): Taxonomy {
  const v = (value ?? {}) as Partial<Taxonomy>;
  const empty: Taxonomy = { bodyParts: {}, topics: {}, swapGroups: [] };
  if (!v || typeof v !== 'object') return empty;
  const bodyParts = v.bodyParts ?? {};
  const topics = v.topics ?? {};
  for (const [name, t] of Object.entries(topics)) {
    if (!t || typeof t.en !== 'string' || typeof t.zh !== 'string' || !(t.bodyPart in bodyParts)) {
      issues.push({ file, line: 0, field: `topics.${name}`, message: 'expected { bodyPart: <a key of bodyParts>, en: string, zh: string }' });
    }
  }
  const groups: SwapGroup[] = [];
  (Array.isArray(v.swapGroups) ? v.swapGroups : []).forEach((g, i) => {
    const field = `swapGroups[${i}]`;
    const okKind = g && ['alias', 'laterality', 'context'].includes(g.kind);
    const okApplies = g && (g.appliesTo === 'all' || (isStringArray(g.appliesTo) && g.appliesTo.every((t) => t in topics)));
    const okTerms = g && isStringArray(g.en) && isStringArray(g.zh);
    if (!g || typeof g.id !== 'string' || !okKind || !okApplies || !okTerms) {
      const unknown = g && Array.isArray(g.appliesTo) ? g.appliesTo.filter((t) => !(t in topics)) : [];
      issues.push({
        file,
        line: 0,
        field: g && typeof g.id === 'string' ? `${field} (${g.id})` : field,
        message:
          'expected { id, kind: alias|laterality|context, appliesTo: "all" or topic names, en: [terms], zh: [terms] }' +
          (unknown.length ? `; unknown topics: ${unknown.join(', ')}` : ''),
      });
      return;
    }
    groups.push(g);
  });
  return { bodyParts, topics, swapGroups: groups };
}

/**
 * Loads and checks the lexicon (synonyms, taxonomy, keywords). Throws a
 * `DataLoadError` naming each file and field that is wrong.
 *
 * @example
 * const lexicon = loadLexicon();
 * lexicon.synonyms.en.lookup.get('doctor'); // ['physician', 'clinician']
 */
export function loadLexicon(dir: string = findLexiconDir()): Lexicon {
  const issues: DataIssue[] = [];
  const file = (name: string): string => path.join(dir, name);
  const en = checkSynonyms(file(LEXICON_FILES.synonymsEn), readJsonFile(file(LEXICON_FILES.synonymsEn), issues), 'en', issues);
  const zh = checkSynonyms(file(LEXICON_FILES.synonymsZh), readJsonFile(file(LEXICON_FILES.synonymsZh), issues), 'zh', issues);
  const taxonomy = checkTaxonomy(file(LEXICON_FILES.taxonomy), readJsonFile(file(LEXICON_FILES.taxonomy), issues), issues);
  const kwFile = file(LEXICON_FILES.keywords);
  const kw = (readJsonFile(kwFile, issues) ?? {}) as Partial<DomainKeywords>;
  for (const key of ['en', 'zh', 'zhSportsInjury'] as const) {
    if (!isStringArray(kw[key])) issues.push({ file: kwFile, line: 0, field: key, message: 'expected an array of non-empty strings' });
  }
  if (issues.length > 0) throw new DataLoadError(issues);
  return {
    dir,
    synonyms: { en, zh },
    taxonomy,
    keywords: { en: kw.en ?? [], zh: kw.zh ?? [], zhSportsInjury: kw.zhSportsInjury ?? [] },
  };
}

let cached: Lexicon | null = null;

/**
 * The lexicon from `findLexiconDir()`, loaded once per process.
 *
 * @example
 * defaultLexicon().taxonomy.topics['ankle-sprain'].zh; // '踝关节扭伤'
 */
export function defaultLexicon(): Lexicon {
  if (!cached) cached = loadLexicon();
  return cached;
}
