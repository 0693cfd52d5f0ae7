#!/usr/bin/env node
// Builds datasets/sports-injury-qa/splits/{train,validation,test}.jsonl from the
// authoring files and rewrites the generated blocks of the dataset card
// (README.md). Deterministic: the same authoring files give byte-identical
// output. It runs the library's TypeScript sources directly (transpiled in
// memory by ../split-tools.mjs), so no build is needed.
//
//   node datasets/sports-injury-qa/make-splits.mjs            # write splits + card
//   node datasets/sports-injury-qa/make-splits.mjs --check    # exit 1 if they are stale
//   node datasets/sports-injury-qa/make-splits.mjs --skip-invalid   # leave out invalid rows instead of stopping
import * as fs from 'fs';
import * as path from 'path';
import { finishCheck, repo, requireLibrary, scriptDir } from '../split-tools.mjs';

const here = scriptDir(import.meta.url);
const { readQaRecords, formatJsonl, writeQaRecords } = requireLibrary('data', 'jsonl.ts');
const { canonicalQaRecord } = requireLibrary('data', 'qa-schema.ts');
const { buildSplits, SPLIT_NAMES } = requireLibrary('data', 'splits.ts');
const { renderCardCounts, renderCardBuildNote, replaceCardBlock } = requireLibrary('data', 'dataset-card.ts');
const { formatIssue } = requireLibrary('data', 'issues.ts');

const args = new Set(process.argv.slice(2));
const check = args.has('--check');
const skipInvalid = args.has('--skip-invalid');

/** The authoring files, in a fixed order. */
function authoringFiles() {
  const root = path.join(here, 'authoring');
  return ['en', 'zh'].flatMap((lang) => {
    const dir = path.join(root, lang);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(dir, f));
  });
}

const files = authoringFiles();
const { records, issues } = readQaRecords(files);
if (issues.length > 0) {
  const rel = (i) => ({ ...i, file: path.relative(repo, i.file) });
  console.error(`${issues.length} problem(s) in the authoring files:\n${issues.map((i) => formatIssue(rel(i))).join('\n')}`);
  if (!skipInvalid) {
    console.error('Fix them, or run with --skip-invalid to leave those rows out.');
    process.exit(1);
  }
}
const result = buildSplits(records.map((r) => r.record));

const splitFile = (name) => path.join(here, 'splits', `${name}.jsonl`);
const cardFile = path.join(here, 'README.md');
const card = fs.readFileSync(cardFile, 'utf8');
let nextCard = replaceCardBlock(card, 'counts', renderCardCounts(result.splits), cardFile);
nextCard = replaceCardBlock(nextCard, 'build', renderCardBuildNote(result, records.length), cardFile);

if (check) {
  const stale = SPLIT_NAMES.filter((name) => {
    const want = formatJsonl(result.splits[name].map(canonicalQaRecord));
    return !fs.existsSync(splitFile(name)) || fs.readFileSync(splitFile(name), 'utf8') !== want;
  });
  if (nextCard !== card) stale.push('README.md');
  finishCheck(stale, 'node datasets/sports-injury-qa/make-splits.mjs');
}

for (const name of SPLIT_NAMES) writeQaRecords(splitFile(name), result.splits[name]);
fs.writeFileSync(cardFile, nextCard);

const perLanguage = {};
for (const name of SPLIT_NAMES) for (const r of result.splits[name]) perLanguage[r.language] = (perLanguage[r.language] ?? 0) + 1;
console.log(`Read ${records.length} records from ${files.length} files; removed ${result.removed.length} near-duplicate(s).`);
console.log(SPLIT_NAMES.map((n) => `${n}: ${result.splits[n].length}`).join(', '));
console.log(`Per language: ${JSON.stringify(perLanguage)}`);
for (const lang of ['en', 'zh']) {
  if ((perLanguage[lang] ?? 0) < 600) console.warn(`Warning: ${lang} has ${perLanguage[lang] ?? 0} examples; the data set promises at least 600.`);
}
