/**
 * How the clinical-notes data set is built from its authoring files
 * (`datasets/clinical-notes/authoring/<category>.txt`, one note a line as
 * `<triage> | <text>`): parsing with file-and-line issues, ids in file order,
 * the fixed stratified split, the canonical JSONL lines and the count tables
 * of the dataset card. `datasets/clinical-notes/make-splits.mjs` runs these;
 * the tests run them again to prove the shipped files are current.
 */
import type { DataIssue, LoadResult } from '../data/issues';
import { crossTab } from '../data/summary-tables';
import {
  CLINICAL_NOTE_KEYS, CLINICAL_NOTE_SPLITS, ClinicalNote, ClinicalNoteSplit, INJURY_CATEGORIES, InjuryCategory, TRIAGE_LEVELS, TriageLevel,
} from './clinical-notes';
import { stratifiedSplit } from './stratify';

/** The split seed and shares of the shipped data set. */
export const CLINICAL_NOTES_SPLIT = { seed: 20241123, ratios: { train: 0.6, validation: 0.2, test: 0.2 } } as const;

/**
 * Parses one authoring file of a category: `<triage> | <text>` per line,
 * blank lines and lines starting with `#` skipped. Notes get ids
 * `cn-<category>-001`, `-002`, ... in file order; each bad line becomes an
 * issue naming the file and line.
 *
 * @example
 * parseNoteAuthoring('routine | Rolled ankle on a kerb.\n', 'sprain.txt', 'sprain').records[0].id; // 'cn-sprain-001'
 */
export function parseNoteAuthoring(text: string, file: string, category: InjuryCategory): LoadResult<ClinicalNote> {
  const records: ClinicalNote[] = [];
  const issues: DataIssue[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const bar = line.indexOf('|');
    if (bar < 0) {
      issues.push({ file, line: i + 1, message: 'expected "<triage> | <note text>" (no "|" found)' });
      return;
    }
    const triage = line.slice(0, bar).trim();
    const body = line.slice(bar + 1).trim();
    if (!(TRIAGE_LEVELS as readonly string[]).includes(triage)) {
      issues.push({ file, line: i + 1, field: 'triage', message: `got ${JSON.stringify(triage)}; expected one of: ${TRIAGE_LEVELS.join(', ')}` });
      return;
    }
    if (body === '') {
      issues.push({ file, line: i + 1, field: 'text', message: 'the note text after "|" is empty' });
      return;
    }
    records.push({ id: `cn-${category}-${String(records.length + 1).padStart(3, '0')}`, text: body, category, triage: triage as TriageLevel });
  });
  return { records, issues };
}

/**
 * Notes whose text repeats an earlier note's (ignoring case, spaces and
 * punctuation), as issues naming both ids.
 *
 * @example
 * duplicateNoteIssues(notes, 'authoring').length; // 0 for the shipped data
 */
export function duplicateNoteIssues(notes: readonly ClinicalNote[], where: string): DataIssue[] {
  const seen = new Map<string, string>();
  const issues: DataIssue[] = [];
  for (const n of notes) {
    const key = n.text.toLowerCase().replace(/[^a-z0-9]+/g, '');
    const first = seen.get(key);
    if (first) issues.push({ file: where, line: 0, field: 'text', message: `note ${n.id} repeats the text of ${first}` });
    else seen.set(key, n.id);
  }
  return issues;
}

/**
 * The fixed stratified split (by category) of the shipped data set.
 *
 * @example
 * const splits = buildClinicalNoteSplits(allNotes);
 * splits.test.length; // about 20% of the notes, every category in proportion
 */
export function buildClinicalNoteSplits(notes: readonly ClinicalNote[]): Record<ClinicalNoteSplit, ClinicalNote[]> {
  return stratifiedSplit(notes, (n) => n.category, CLINICAL_NOTES_SPLIT.ratios, CLINICAL_NOTES_SPLIT.seed);
}

/**
 * Notes as JSONL text with keys in canonical order (byte-stable output).
 *
 * @example
 * formatClinicalNotesJsonl([{ id: 'cn-sprain-001', text: 'Rolled ankle.', category: 'sprain', triage: 'routine' }]);
 * // '{"id":"cn-sprain-001","text":"Rolled ankle.","category":"sprain","triage":"routine"}\n'
 */
export function formatClinicalNotesJsonl(notes: readonly ClinicalNote[]): string {
  return notes.map((n) => JSON.stringify(Object.fromEntries(CLINICAL_NOTE_KEYS.map((k) => [k, n[k]])))).join('\n') + (notes.length ? '\n' : '');
}

/**
 * The count tables of the dataset card: notes per category and split, and
 * per category and triage level.
 *
 * @example
 * console.log(renderClinicalNotesCounts({ train, validation, test }));
 */
export function renderClinicalNotesCounts(splits: Record<ClinicalNoteSplit, readonly ClinicalNote[]>): string {
  const rows = CLINICAL_NOTE_SPLITS.flatMap((split) => splits[split].map((n) => ({ ...n, split })));
  const bySplit = crossTab(rows, 'category', 'split', { rowOrder: INJURY_CATEGORIES, columnOrder: CLINICAL_NOTE_SPLITS });
  const byTriage = crossTab(rows, 'category', 'triage', { rowOrder: INJURY_CATEGORIES, columnOrder: TRIAGE_LEVELS });
  return [
    '### Notes per category and split', '', bySplit.toMarkdown(), '',
    '### Notes per category and triage level (all splits)', '', byTriage.toMarkdown(),
  ].join('\n');
}
