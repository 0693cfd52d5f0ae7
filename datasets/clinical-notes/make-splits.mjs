#!/usr/bin/env node
// Builds datasets/clinical-notes/splits/{train,validation,test}.jsonl from the
// authoring files (authoring/<category>.txt, one "<triage> | <note>" a line)
// and rewrites the generated count tables of the dataset card (README.md).
// Deterministic: the same authoring files give byte-identical output. Runs the
// library's TypeScript sources directly (transpiled in memory): no build needed.
//
//   node datasets/clinical-notes/make-splits.mjs           # write splits + card
//   node datasets/clinical-notes/make-splits.mjs --check   # exit 1 if they are stale
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import * as fs from 'fs';
import * as path from 'path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

const Module = require('module');
if (!Module._extensions['.ts']) {
  const ts = require('typescript');
  Module._extensions['.ts'] = function compileTs(module, filename) {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    module._compile(outputText, filename);
  };
}
const src = path.join(repo, 'kernel-lib', 'src');
const { INJURY_CATEGORIES, CLINICAL_NOTE_SPLITS } = require(path.join(src, 'classify', 'clinical-notes.ts'));
const {
  parseNoteAuthoring, duplicateNoteIssues, buildClinicalNoteSplits, formatClinicalNotesJsonl, renderClinicalNotesCounts,
} = require(path.join(src, 'classify', 'clinical-notes-build.ts'));
const { replaceCardBlock } = require(path.join(src, 'data', 'dataset-card.ts'));
const { formatIssue } = require(path.join(src, 'data', 'issues.ts'));

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
  if (stale.length > 0) {
    console.error(`Stale: ${stale.join(', ')}. Run: node datasets/clinical-notes/make-splits.mjs`);
    process.exit(1);
  }
  console.log('Splits and dataset card are up to date.');
  process.exit(0);
}

fs.mkdirSync(path.join(here, 'splits'), { recursive: true });
for (const name of CLINICAL_NOTE_SPLITS) fs.writeFileSync(splitFile(name), formatClinicalNotesJsonl(splits[name]));
fs.writeFileSync(cardFile, nextCard);
console.log(`Read ${notes.length} notes; ${CLINICAL_NOTE_SPLITS.map((n) => `${n}: ${splits[n].length}`).join(', ')}`);
