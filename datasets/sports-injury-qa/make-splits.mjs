#!/usr/bin/env node
// Builds datasets/sports-injury-qa/splits/{train,validation,test}.jsonl from the
// authoring files and rewrites the generated blocks of the dataset card
// (README.md). Deterministic: the same authoring files give byte-identical
// output. It runs the library's TypeScript sources directly (transpiled in
// memory), so no build is needed.
//
//   node datasets/sports-injury-qa/make-splits.mjs            # write splits + card
//   node datasets/sports-injury-qa/make-splits.mjs --check    # exit 1 if they are stale
//   node datasets/sports-injury-qa/make-splits.mjs --skip-invalid   # leave out invalid rows instead of stopping
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import * as fs from 'fs';
import * as path from 'path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

// Transpile-on-require for the library's .ts sources.
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
const dataDir = path.join(repo, 'kernel-lib', 'src', 'data');
const { readQaRecords, formatJsonl, writeQaRecords } = require(path.join(dataDir, 'jsonl.ts'));
const { canonicalQaRecord } = require(path.join(dataDir, 'qa-schema.ts'));
const { buildSplits, SPLIT_NAMES } = require(path.join(dataDir, 'splits.ts'));
const { renderCardCounts, renderCardBuildNote, replaceCardBlock } = require(path.join(dataDir, 'dataset-card.ts'));
const { formatIssue } = require(path.join(dataDir, 'issues.ts'));

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
  if (stale.length > 0) {
    console.error(`Stale: ${stale.join(', ')}. Run: node datasets/sports-injury-qa/make-splits.mjs`);
    process.exit(1);
  }
  console.log('Splits and dataset card are up to date.');
  process.exit(0);
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
