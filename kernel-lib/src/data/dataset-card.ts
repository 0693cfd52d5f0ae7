/**
 * The generated parts of the dataset card (`datasets/sports-injury-qa/README.md`):
 * count tables computed from the split files, and a note on how the splits
 * were built. They sit between HTML comment markers, are rewritten by
 * `make-splits.mjs`, and a test recomputes them, so the card cannot drift from
 * the data.
 */
import { QA_BODY_PARTS, QA_LANGUAGES, QA_PHASES, QA_TOPICS, QaRecord } from './qa-schema';
import { SPLIT_NAMES, SplitName, SplitResult } from './splits';
import { crossTab } from './summary-tables';

/** Marker pairs around each generated block of the card. */
export const CARD_BLOCKS = {
  counts: ['<!-- generated:counts:start (make-splits.mjs writes this block; do not edit by hand) -->', '<!-- generated:counts:end -->'],
  build: ['<!-- generated:build:start (make-splits.mjs writes this block; do not edit by hand) -->', '<!-- generated:build:end -->'],
} as const;

type Splits = Record<SplitName, readonly QaRecord[]>;

/**
 * The count tables of the card: per split, topic, phase and body part, by language.
 *
 * @example
 * const { records } = readQaRecords(['datasets/sports-injury-qa/splits/train.jsonl', 'datasets/sports-injury-qa/splits/test.jsonl']);
 * const result = buildSplits(records.map((r) => r.record));
 * console.log(renderCardCounts(result.splits));
 */
export function renderCardCounts(splits: Splits): string {
  const rows = SPLIT_NAMES.flatMap((split) => splits[split].map((r) => ({ ...r, split })));
  const languages = [...QA_LANGUAGES];
  const bySplit = crossTab(rows, 'split', 'language', { rowOrder: SPLIT_NAMES, columnOrder: languages });
  const byTopic = crossTab(rows, 'topic', 'language', { rowOrder: QA_TOPICS, columnOrder: languages });
  const byPhase = crossTab(rows, 'phase', 'language', { rowOrder: QA_PHASES, columnOrder: languages });
  const byBodyPart = crossTab(rows, 'body_part', 'language', { rowOrder: QA_BODY_PARTS, columnOrder: languages });
  return [
    '### Examples per split and language',
    '',
    bySplit.toMarkdown(),
    '',
    '### Examples per topic and language (all splits)',
    '',
    byTopic.toMarkdown(),
    '',
    '### Examples per phase and language (all splits)',
    '',
    byPhase.toMarkdown(),
    '',
    '### Examples per body part and language (all splits)',
    '',
    byBodyPart.toMarkdown(),
  ].join('\n');
}

/**
 * The note on how the splits were built: thresholds, seed, what de-duplication
 * removed and how many near-duplicate groups were kept together.
 *
 * @example
 * const { records } = readQaRecords(['datasets/sports-injury-qa/splits/train.jsonl', 'datasets/sports-injury-qa/splits/test.jsonl']);
 * const result = buildSplits(records.map((r) => r.record));
 * console.log(renderCardBuildNote(result, records.length));
 */
export function renderCardBuildNote(result: SplitResult, authoredCount: number): string {
  const o = result.options;
  const fields = (f: string[] | undefined): string => (f ?? ['question+answer']).join(' or ');
  const removed = result.removed.length
    ? result.removed.map((r) => `  - \`${r.id}\` (near-duplicate of \`${r.duplicateOf}\`, Jaccard ${r.similarity})`).join('\n')
    : '  - none';
  return [
    `- Authored records read: ${authoredCount}; after de-duplication: ${authoredCount - result.removed.length}.`,
    `- De-duplication: character n-gram Jaccard >= ${o.dedup.threshold} on the ${fields(o.dedup.fields)} (5-grams for English, 3-grams for Chinese, after lower-casing and removing punctuation and spaces); the record with the smaller id is kept. Removed:`,
    removed,
    `- Grouping: records with Jaccard >= ${o.grouping.threshold} on the ${fields(o.grouping.fields)} are linked, and each connected group goes to one split (${result.groups.length} group(s) of two or more).`,
    `- Stratified by language and topic; shares train ${o.ratios.train} / validation ${o.ratios.validation} / test ${o.ratios.test}; seed ${o.seed}.`,
  ].join('\n');
}

/**
 * Returns the text between a block's markers, or `null` when they are missing.
 *
 * @example
 * const readme = require('fs').readFileSync('datasets/sports-injury-qa/README.md', 'utf8');
 * extractCardBlock(readme, 'counts');
 */
export function extractCardBlock(card: string, block: keyof typeof CARD_BLOCKS): string | null {
  const [start, end] = CARD_BLOCKS[block];
  const i = card.indexOf(start);
  const j = card.indexOf(end);
  if (i < 0 || j < i) return null;
  return card.slice(i + start.length, j).trim();
}

/**
 * Replaces a block's content; throws, naming the markers, when they are missing.
 *
 * @example
 * const readme = require('fs').readFileSync('datasets/sports-injury-qa/README.md', 'utf8');
 * const { records } = readQaRecords(['datasets/sports-injury-qa/splits/train.jsonl', 'datasets/sports-injury-qa/splits/test.jsonl']);
 * const result = buildSplits(records.map((r) => r.record));
 * const next = replaceCardBlock(readme, 'counts', renderCardCounts(result.splits));
 */
export function replaceCardBlock(card: string, block: keyof typeof CARD_BLOCKS, content: string, file = 'README.md'): string {
  const [start, end] = CARD_BLOCKS[block];
  const i = card.indexOf(start);
  const j = card.indexOf(end);
  if (i < 0 || j < i) {
    throw new Error(`${file}: cannot find the generated "${block}" block; expected the line\n${start}\nfollowed later by\n${end}`);
  }
  return `${card.slice(0, i + start.length)}\n\n${content}\n\n${card.slice(j)}`;
}
