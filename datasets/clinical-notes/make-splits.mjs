#!/usr/bin/env node
// Builds datasets/clinical-notes/splits/{train,validation,test}.jsonl from the
// authoring files (authoring/<category>.txt, one "<triage> | <note>" a line)
// and rewrites the generated count tables of the dataset card (README.md).
// Deterministic: the same authoring files give byte-identical output. Runs the
// library's TypeScript sources directly (see ../split-tools.mjs): no build needed.
//
//   node datasets/clinical-notes/make-splits.mjs           # write splits + card
//   node datasets/clinical-notes/make-splits.mjs --check   # exit 1 if they are stale
import * as fs from 'fs';
import * as path from 'path';
import { finishCheck, repo, requireLibrary, scriptDir } from '../split-tools.mjs';

const here = scriptDir(import.meta.url);
const { INJURY_CATEGORIES, CLINICAL_NOTE_SPLITS } = requireLibrary('classify', 'clinical-notes.ts');
const {
  parseNoteAuthoring, duplicateNoteIssues, buildClinicalNoteSplits, formatClinicalNotesJsonl, renderClinicalNotesCounts,
} = requireLibrary('classify', 'clinical-notes-build.ts');
const { replaceCardBlock } = requireLibrary('data', 'dataset-card.ts');
const { formatIssue } = requireLibrary('data', 'issues.ts');

const check = process.argv.includes('--check');

const notes = [];
const issues = [];
for (const category of INJURY_CATEGORIES) {
  const file = path.join(here, 'authoring', `${category}.txt`);
  const rel = path.relative(repo, file);
  if (!fs.existsSync(file)) { issues.push({ file: rel, line: 0, message: 'authoring file is missing' }); continue; }
  const parsed = parseNoteAuthoring(fs.readFileSync(file, 'utf8'), rel, category);
  notes.push(...parsed.records);
  issues.push(...parsed.issues);
}
issues.push(...duplicateNoteIssues(notes, 'datasets/clinical-notes/authoring'));
if (issues.length > 0) {
  console.error(`${issues.length} problem(s) in the authoring files:\n${issues.map(formatIssue).join('\n')}`);
  process.exit(1);
}

const splits = buildClinicalNoteSplits(notes);
const splitFile = (name) => path.join(here, 'splits', `${name}.jsonl`);
const cardFile = path.join(here, 'README.md');
const card = fs.readFileSync(cardFile, 'utf8');
const nextCard = replaceCardBlock(card, 'counts', renderClinicalNotesCounts(splits), cardFile);

if (check) {
  const stale = CLINICAL_NOTE_SPLITS.filter((name) =>
    !fs.existsSync(splitFile(name)) || fs.readFileSync(splitFile(name), 'utf8') !== formatClinicalNotesJsonl(splits[name]));
  if (nextCard !== card) stale.push('README.md');
  finishCheck(stale, 'node datasets/clinical-notes/make-splits.mjs');
}

fs.mkdirSync(path.join(here, 'splits'), { recursive: true });
for (const name of CLINICAL_NOTE_SPLITS) fs.writeFileSync(splitFile(name), formatClinicalNotesJsonl(splits[name]));
fs.writeFileSync(cardFile, nextCard);
console.log(`Read ${notes.length} notes; ${CLINICAL_NOTE_SPLITS.map((n) => `${n}: ${splits[n].length}`).join(', ')}`);
