import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLINICAL_NOTE_SPLITS, INJURY_CATEGORIES, categoryIndex, clinicalNotesPath, loadClinicalNotes, readClinicalNotes, validateClinicalNote,
} from '../../kernel-lib/src/classify/clinical-notes';
import {
  buildClinicalNoteSplits, duplicateNoteIssues, formatClinicalNotesJsonl, parseNoteAuthoring, renderClinicalNotesCounts,
} from '../../kernel-lib/src/classify/clinical-notes-build';
import { extractCardBlock } from '../../kernel-lib/src/data/dataset-card';

const dataDir = path.resolve(__dirname, '..', '..', 'datasets', 'clinical-notes');
const tmpFile = (name: string, text: string): string => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'clinical-notes-')), name);
  fs.writeFileSync(file, text);
  return file;
};

describe('clinical-notes loader', () => {
  it('reports every bad line with its file and line, and keeps the good ones', () => {
    const good = '{"id":"cn-sprain-001","text":"Rolled ankle on a kerb.","category":"sprain","triage":"routine"}';
    const file = tmpFile('bad.jsonl', [
      good,
      '{"id":"cn-sprain-002","text":"x","category":"bruise","triage":"routine"}',
      '',
      '{not json',
      good,
      '{"id":"cn-strain-001","text":"Pulled hamstring.","category":"sprain","triage":"soon","extra":1}',
    ].join('\n') + '\n');
    const { records, issues } = readClinicalNotes(file);
    expect(records.map((r) => r.id)).toEqual(['cn-sprain-001']);
    const where = issues.map((i) => `${path.basename(i.file)}:${i.line}:${i.field ?? ''}`);
    expect(where).toEqual(['bad.jsonl:4:', 'bad.jsonl:2:category', 'bad.jsonl:5:id', 'bad.jsonl:6:id', 'bad.jsonl:6:triage', 'bad.jsonl:6:extra']);
    expect(issues[0].message).toMatch(/not valid JSON/);
    expect(issues[1].message).toMatch(/got "bruise"; expected one of: sprain, strain, fracture, tendinopathy, concussion/);
    expect(issues[2].message).toMatch(/duplicate id "cn-sprain-001"; first seen at .*bad.jsonl:1/);
    expect(issues[3].message).toMatch(/the id of a sprain note starts with "cn-sprain-"/);
    expect(() => loadClinicalNotes(file)).toThrow(/6 problem\(s\) in the input data:\n.*bad\.jsonl:4: not valid JSON/);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadClinicalNotes('/nonexistent/notes.jsonl')).toThrow(/\/nonexistent\/notes\.jsonl: cannot read the file/);
  });

  it('validates records field by field', () => {
    expect(validateClinicalNote({ id: 'cn-fracture-010', text: 'Deformed wrist.', category: 'fracture', triage: 'urgent' })).toEqual([]);
    expect(validateClinicalNote([1]).map((p) => p.message)).toEqual(['expected a JSON object, got an array']);
    expect(validateClinicalNote({ id: 'note-1', text: ' ', category: 'fracture', triage: 'urgent' }).map((p) => p.field)).toEqual(['id', 'text']);
    expect(categoryIndex({ category: 'concussion' })).toBe(4);
  });

  it('parses authoring lines and names the bad ones', () => {
    const r = parseNoteAuthoring('# comment\nroutine | First note.\n\nsoon | Second.\nno separator here\nurgent |   \nurgent | Third.\n', 'sprain.txt', 'sprain');
    expect(r.records.map((n) => [n.id, n.triage, n.text])).toEqual([['cn-sprain-001', 'routine', 'First note.'], ['cn-sprain-002', 'urgent', 'Third.']]);
    expect(r.issues.map((i) => `${i.line}:${i.field ?? ''}`)).toEqual(['4:triage', '5:', '6:text']);
    expect(duplicateNoteIssues([...r.records, { ...r.records[0], id: 'cn-sprain-003', text: 'first NOTE' }], 'x')[0].message)
      .toBe('note cn-sprain-003 repeats the text of cn-sprain-001');
  });
});

describe('the shipped clinical-notes data set', () => {
  const splits = Object.fromEntries(CLINICAL_NOTE_SPLITS.map((s) => [s, loadClinicalNotes(s)])) as Record<(typeof CLINICAL_NOTE_SPLITS)[number], ReturnType<typeof loadClinicalNotes>>;
  const all = CLINICAL_NOTE_SPLITS.flatMap((s) => splits[s]);

  it('has 400-600 notes, every note in exactly one split, every category in every split', () => {
    expect(all.length).toBeGreaterThanOrEqual(400);
    expect(all.length).toBeLessThanOrEqual(600);
    expect(new Set(all.map((n) => n.id)).size).toBe(all.length);
    for (const s of CLINICAL_NOTE_SPLITS) {
      for (const c of INJURY_CATEGORIES) expect(splits[s].filter((n) => n.category === c).length).toBeGreaterThan(10);
    }
    expect(duplicateNoteIssues(all, 'splits')).toEqual([]);
  });

  it('splits are the ones the authoring files and the seed give (make-splits.mjs --check)', () => {
    const authored = INJURY_CATEGORIES.flatMap((c) => {
      const file = path.join(dataDir, 'authoring', `${c}.txt`);
      const parsed = parseNoteAuthoring(fs.readFileSync(file, 'utf8'), file, c);
      expect(parsed.issues).toEqual([]);
      return parsed.records;
    });
    const rebuilt = buildClinicalNoteSplits(authored);
    for (const s of CLINICAL_NOTE_SPLITS) {
      expect(fs.readFileSync(clinicalNotesPath(s), 'utf8')).toBe(formatClinicalNotesJsonl(rebuilt[s]));
    }
  });

  it('the dataset card shows the label counts of the split files', () => {
    const card = fs.readFileSync(path.join(dataDir, 'README.md'), 'utf8');
    const block = extractCardBlock(card, 'counts');
    expect(block).toBe(renderClinicalNotesCounts(splits));
    // and the table really holds the counts: the total row of the split table
    const totalRow = block!.split('\n').find((l) => l.startsWith('| total |'))!;
    expect(totalRow).toBe(`| total | ${splits.train.length} | ${splits.validation.length} | ${splits.test.length} | ${all.length} |`);
  });
});
