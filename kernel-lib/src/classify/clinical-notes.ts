/**
 * The clinical-notes data set (`datasets/clinical-notes/`): short triage notes
 * from a sports-medicine clinic, each labelled with an injury category and a
 * triage level. Its schema, a validator that names every bad field, and
 * loaders that report each bad line with its file and line number.
 */
import * as path from 'node:path';
import { readValidatedJsonl } from '../data/jsonl';
import { LoadResult, assertNoIssues } from '../data/issues';

/** The injury categories, in label-index order (the classifier's classes). */
export const INJURY_CATEGORIES = ['sprain', 'strain', 'fracture', 'tendinopathy', 'concussion'] as const;

/** What each category covers (for tables and the dataset card). */
export const INJURY_CATEGORY_DESCRIPTIONS: Record<InjuryCategory, string> = {
  sprain: 'ligament injury of a joint (ankle, knee, wrist, thumb, AC joint ...)',
  strain: 'acute muscle or muscle-tendon junction injury (hamstring, calf, groin, quadriceps ...)',
  fracture: 'broken or cracked bone, acute or stress fracture, growth-plate injury',
  tendinopathy: 'overuse tendon pain building up over weeks (Achilles, patellar, rotator cuff, elbow ...)',
  concussion: 'head impact or whiplash with brain symptoms (headache, confusion, memory, balance)',
};

/** The triage levels, most urgent first. */
export const TRIAGE_LEVELS = ['emergency', 'urgent', 'routine'] as const;

export type InjuryCategory = (typeof INJURY_CATEGORIES)[number];
export type TriageLevel = (typeof TRIAGE_LEVELS)[number];

/** One note, exactly as stored in the split files. */
export interface ClinicalNote {
  id: string;
  text: string;
  category: InjuryCategory;
  triage: TriageLevel;
}

/** A note's keys in their canonical order (used when writing files). */
export const CLINICAL_NOTE_KEYS = ['id', 'text', 'category', 'triage'] as const;

/** The split names, in file order. */
export const CLINICAL_NOTE_SPLITS = ['train', 'validation', 'test'] as const;
export type ClinicalNoteSplit = (typeof CLINICAL_NOTE_SPLITS)[number];

/**
 * The schema problems of one parsed line (empty when it is a valid note):
 * each names the field and what was expected.
 *
 * @example
 * validateClinicalNote({ id: 'cn-sprain-001', text: 'Rolled ankle.', category: 'sprain', triage: 'routine' }); // []
 * validateClinicalNote({ id: 'x', text: '', category: 'bruise', triage: 'routine' }).map((p) => p.field); // ['id', 'text', 'category']
 */
export function validateClinicalNote(value: unknown): { field: string; message: string }[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ field: '(record)', message: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` }];
  }
  const r = value as Record<string, unknown>;
  const problems: { field: string; message: string }[] = [];
  const validCategory = typeof r.category === 'string' && (INJURY_CATEGORIES as readonly string[]).includes(r.category);
  if (typeof r.id !== 'string' || !/^cn-[a-z]+-\d{3}$/.test(r.id)) {
    problems.push({ field: 'id', message: `got ${JSON.stringify(r.id)}; expected "cn-<category>-" followed by 3 digits` });
  } else if (validCategory && !r.id.startsWith(`cn-${r.category}-`)) {
    problems.push({ field: 'id', message: `got ${JSON.stringify(r.id)}; the id of a ${r.category} note starts with "cn-${r.category}-"` });
  }
  if (typeof r.text !== 'string' || r.text.trim() === '') {
    problems.push({ field: 'text', message: `expected a non-empty string, got ${JSON.stringify(r.text)}` });
  }
  if (!validCategory) {
    problems.push({ field: 'category', message: `got ${JSON.stringify(r.category)}; expected one of: ${INJURY_CATEGORIES.join(', ')}` });
  }
  if (typeof r.triage !== 'string' || !(TRIAGE_LEVELS as readonly string[]).includes(r.triage)) {
    problems.push({ field: 'triage', message: `got ${JSON.stringify(r.triage)}; expected one of: ${TRIAGE_LEVELS.join(', ')}` });
  }
  for (const key of Object.keys(r)) {
    if (!(CLINICAL_NOTE_KEYS as readonly string[]).includes(key)) {
      problems.push({ field: key, message: `unexpected field; the schema has only: ${CLINICAL_NOTE_KEYS.join(', ')}` });
    }
  }
  return problems;
}

/**
 * Reads notes from JSONL files: every invalid line (bad JSON, a field that
 * breaks the schema, an id seen before in any of the files) becomes an issue
 * with its file and line, and is left out of `records`.
 *
 * @example
 * const { records, issues } = readClinicalNotes([clinicalNotesPath('train')]);
 * issues.length; // 0 for the shipped files
 */
export function readClinicalNotes(files: string | string[]): LoadResult<ClinicalNote> {
  const { records, issues } = readValidatedJsonl<ClinicalNote>(files, validateClinicalNote);
  return {
    records: records.map(({ record: n }) => ({ id: n.id, text: n.text, category: n.category, triage: n.triage })),
    issues,
  };
}

/**
 * The shipped split file of the clinical-notes data set (repo checkout layout).
 *
 * @example
 * clinicalNotesPath('test'); // '.../datasets/clinical-notes/splits/test.jsonl'
 */
export function clinicalNotesPath(split: ClinicalNoteSplit): string {
  return path.resolve(__dirname, '..', '..', '..', 'datasets', 'clinical-notes', 'splits', `${split}.jsonl`);
}

/**
 * Loads one shipped split (or any JSONL file of notes), throwing a
 * `DataLoadError` that lists every bad line (`file:line: field: message`).
 *
 * @example
 * const train = loadClinicalNotes('train');
 * train[0].category; // 'sprain' | 'strain' | ...
 */
export function loadClinicalNotes(splitOrFile: ClinicalNoteSplit | string): ClinicalNote[] {
  const file = (CLINICAL_NOTE_SPLITS as readonly string[]).includes(splitOrFile)
    ? clinicalNotesPath(splitOrFile as ClinicalNoteSplit) : splitOrFile;
  return assertNoIssues(readClinicalNotes(file));
}

/**
 * A note's class index (position of its category in `INJURY_CATEGORIES`).
 *
 * @example
 * categoryIndex({ id: 'cn-fracture-001', text: '...', category: 'fracture', triage: 'urgent' }); // 2
 */
export function categoryIndex(note: Pick<ClinicalNote, 'category'>): number {
  const i = (INJURY_CATEGORIES as readonly string[]).indexOf(note.category);
  if (i < 0) throw new Error(`categoryIndex: unknown category ${JSON.stringify(note.category)}; expected one of: ${INJURY_CATEGORIES.join(', ')}`);
  return i;
}
