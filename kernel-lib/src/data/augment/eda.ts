/**
 * EDA (Wei & Zou, 2019, "Easy Data Augmentation"): four word-level edits,
 * synonym replacement, random insertion, random swap and random deletion,
 * applied to a fraction `alpha` of the words of a field (the question by
 * default). Chinese text is split into words with jieba first. Synonyms come
 * from the project's sports-medicine lexicon. Negations and numbers are never
 * deleted, swapped or replaced, so "do not run for 48 hours" keeps its
 * meaning. Each call is deterministic for (example id, seed) and records every
 * edit in the example's provenance.
 */
import { defaultLexicon, SynonymLexicon } from '../lexicon';
import { applyStep, ProvenanceChange, QaExample } from '../provenance';
import { deriveSeed, mulberry32, Random } from '../random';
import { joinWords, splitWords, WordToken } from '../words';
import { EditableField, SyncAugmentOperator } from './operator';

/** The four EDA operations. */
export type EdaOperation = 'synonym-replacement' | 'random-insertion' | 'random-swap' | 'random-deletion';

export const EDA_OPERATIONS: readonly EdaOperation[] = ['synonym-replacement', 'random-insertion', 'random-swap', 'random-deletion'];

export interface EdaOptions {
  /** Fraction of words to edit (at least one edit). Default 0.1, as in the EDA paper's recommendation. */
  alpha?: number;
  /** Fields to edit. Default `['question']`: answers are left as written. */
  fields?: EditableField[];
  /** Synonyms per language; default: the project lexicon. */
  synonyms?: { en?: SynonymLexicon; zh?: SynonymLexicon };
}

const PROTECTED_EN = new Set([
  'not', 'no', 'never', "don't", 'dont', "doesn't", "didn't", "can't", 'cannot', "won't", "shouldn't", "mustn't",
  "isn't", "aren't", "wasn't", "weren't", "haven't", "hasn't", 'without', 'avoid', 'stop', 'nor', 'none', 'nothing',
  'neither', 'unless', 'except', 'only', 'until', 'before', 'after',
]);
const PROTECTED_ZH = /[不没别勿未无非否莫禁免]/;
const DIGIT = /\d|[零一二三四五六七八九十百千两]/;

/**
 * Whether EDA must leave a word alone (negations, "avoid", "until", numbers).
 *
 * @example
 * isProtectedWord('not', 'en'); // true
 * isProtectedWord('不要', 'zh'); // true
 */
export function isProtectedWord(word: string, language: string): boolean {
  if (language === 'zh') return PROTECTED_ZH.test(word) || DIGIT.test(word);
  return PROTECTED_EN.has(word.toLowerCase().replace('\u2019', "'")) || /\d/.test(word);
}

function matchCase(replacement: string, original: string): string {
  if (original.length > 0 && original[0] !== original[0].toLowerCase() && original.slice(1) === original.slice(1).toLowerCase()) {
    return replacement[0].toUpperCase() + replacement.slice(1);
  }
  return replacement;
}

interface EditResult {
  tokens: WordToken[];
  changes: ProvenanceChange[];
}

function wordIndices(tokens: WordToken[]): number[] {
  const out: number[] = [];
  tokens.forEach((t, i) => {
    if (t.isWord) out.push(i);
  });
  return out;
}

function editCount(words: number, alpha: number): number {
  return Math.max(1, Math.round(alpha * words));
}

function synonymReplacement(tokens: WordToken[], lang: string, lex: SynonymLexicon, rng: Random, alpha: number, field: EditableField): EditResult {
  const words = wordIndices(tokens);
  const candidates = rng.shuffle(words.filter((i) => !isProtectedWord(tokens[i].text, lang) && lex.lookup.has(tokens[i].text.toLowerCase())));
  const out = tokens.slice();
  const changes: ProvenanceChange[] = [];
  for (const i of candidates.slice(0, editCount(words.length, alpha))) {
    const choice = rng.pick(lex.lookup.get(tokens[i].text.toLowerCase()) as string[]);
    const to = lang === 'zh' ? choice : matchCase(choice, tokens[i].text);
    out[i] = { text: to, isWord: true };
    changes.push({ kind: 'replace', field, from: tokens[i].text, to, position: words.indexOf(i) });
  }
  return { tokens: out, changes };
}

function randomInsertion(tokens: WordToken[], lang: string, lex: SynonymLexicon, rng: Random, alpha: number, field: EditableField): EditResult {
  let out = tokens.slice();
  const changes: ProvenanceChange[] = [];
  const n = editCount(wordIndices(tokens).length, alpha);
  for (let k = 0; k < n; k++) {
    const words = wordIndices(out);
    const sources = words.filter((i) => lex.lookup.has(out[i].text.toLowerCase()) && !isProtectedWord(out[i].text, lang));
    if (sources.length === 0) break;
    const source = out[rng.pick(sources)].text;
    const inserted = rng.pick(lex.lookup.get(source.toLowerCase()) as string[]);
    // Insert before word number `slot` (1..words.length; words.length = after the last word).
    const slot = 1 + rng.int(words.length);
    const piece: WordToken[] = lang === 'zh' ? [{ text: inserted, isWord: true }] : [{ text: ' ', isWord: false }, { text: inserted, isWord: true }];
    const at = slot < words.length ? words[slot] : words[words.length - 1] + 1;
    if (lang !== 'zh' && slot < words.length) {
      out = [...out.slice(0, at), { text: inserted, isWord: true }, { text: ' ', isWord: false }, ...out.slice(at)];
    } else {
      out = [...out.slice(0, at), ...piece, ...out.slice(at)];
    }
    changes.push({ kind: 'insert', field, to: inserted, position: slot, detail: `synonym of "${source}"` });
  }
  return { tokens: out, changes };
}

function randomSwap(tokens: WordToken[], lang: string, rng: Random, alpha: number, field: EditableField): EditResult {
  const out = tokens.slice();
  const changes: ProvenanceChange[] = [];
  const words = wordIndices(tokens);
  // English keeps its first word in place so sentence capitals stay right.
  const movable = words.filter((i, k) => !isProtectedWord(tokens[i].text, lang) && !(lang !== 'zh' && k === 0));
  if (movable.length < 2) return { tokens: out, changes };
  const n = editCount(words.length, alpha);
  for (let k = 0; k < n; k++) {
    const a = rng.int(movable.length);
    let b = rng.int(movable.length - 1);
    if (b >= a) b++;
    const [i, j] = [movable[a], movable[b]];
    if (out[i].text === out[j].text) continue;
    changes.push({ kind: 'swap', field, from: out[i].text, to: out[j].text, position: words.indexOf(i), detail: `with word ${words.indexOf(j)}` });
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return { tokens: out, changes };
}

function randomDeletion(tokens: WordToken[], lang: string, rng: Random, alpha: number, field: EditableField): EditResult {
  const words = wordIndices(tokens);
  const deletable = words.filter((i) => !isProtectedWord(tokens[i].text, lang));
  if (words.length < 2 || deletable.length === 0) return { tokens: tokens.slice(), changes: [] };
  let chosen = deletable.filter(() => rng.next() < alpha);
  if (chosen.length === 0) chosen = [rng.pick(deletable)];
  if (chosen.length >= words.length) chosen = chosen.slice(0, words.length - 1);
  const drop = new Set<number>();
  const changes: ProvenanceChange[] = [];
  for (const i of chosen) {
    drop.add(i);
    changes.push({ kind: 'delete', field, from: tokens[i].text, position: words.indexOf(i) });
    if (lang !== 'zh') {
      // Remove one neighbouring space so no double space is left behind.
      if (tokens[i + 1] && /^\s+$/.test(tokens[i + 1].text) && !drop.has(i + 1)) drop.add(i + 1);
      else if (tokens[i - 1] && /^\s+$/.test(tokens[i - 1].text)) drop.add(i - 1);
    }
  }
  const out = tokens.filter((_, i) => !drop.has(i));
  // A deleted sentence-initial capital passes to the next word.
  const firstWord = words[0];
  if (lang !== 'zh' && drop.has(firstWord) && /^[A-Z]/.test(tokens[firstWord].text)) {
    const k = out.findIndex((t) => t.isWord);
    if (k >= 0) out[k] = { ...out[k], text: out[k].text[0].toUpperCase() + out[k].text.slice(1) };
  }
  return { tokens: out, changes };
}

/**
 * Applies one EDA operation to a piece of text (no provenance), for trying
 * the operations on any string.
 *
 * @example
 * edaText('random-swap', 'Should I ice my sore knee after training?', 'en', 42).text;
 */
export function edaText(
  operation: EdaOperation,
  text: string,
  language: string,
  seed: number,
  options: { alpha?: number; synonyms?: SynonymLexicon; field?: EditableField } = {},
): { text: string; changes: ProvenanceChange[] } {
  const rng = mulberry32(seed);
  const alpha = options.alpha ?? 0.1;
  const field = options.field ?? 'question';
  const lex = options.synonyms ?? (language === 'zh' ? defaultLexicon().synonyms.zh : defaultLexicon().synonyms.en);
  const tokens = splitWords(text, language);
  let result: EditResult;
  switch (operation) {
    case 'synonym-replacement':
      result = synonymReplacement(tokens, language, lex, rng, alpha, field);
      break;
    case 'random-insertion':
      result = randomInsertion(tokens, language, lex, rng, alpha, field);
      break;
    case 'random-swap':
      result = randomSwap(tokens, language, rng, alpha, field);
      break;
    case 'random-deletion':
      result = randomDeletion(tokens, language, rng, alpha, field);
      break;
    default:
      throw new Error(`edaText: unknown operation ${JSON.stringify(operation)}; expected one of ${EDA_OPERATIONS.join(', ')}`);
  }
  return { text: joinWords(result.tokens), changes: result.changes };
}

/**
 * An EDA operation as an augmentation operator (`eda.<operation>`). Returns
 * `null` for an example where the operation finds nothing to change.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const swap = edaOperator('random-swap', { alpha: 0.1 });
 * const out = swap.apply(train[0], 7); // same output every time for seed 7
 * out?.provenance.steps.at(-1)?.changes; // [{ kind: 'swap', from: ..., to: ..., ... }]
 */
export function edaOperator(operation: EdaOperation, options: EdaOptions = {}): SyncAugmentOperator {
  if (!EDA_OPERATIONS.includes(operation)) {
    throw new Error(`edaOperator: unknown operation ${JSON.stringify(operation)}; expected one of ${EDA_OPERATIONS.join(', ')}`);
  }
  const name = `eda.${operation}`;
  const alpha = options.alpha ?? 0.1;
  const fields = options.fields ?? ['question'];
  return {
    name,
    apply(example: QaExample, seed: number): QaExample | null {
      const lang = example.language === 'zh' ? 'zh' : 'en';
      const synonyms = options.synonyms?.[lang] ?? defaultLexicon().synonyms[lang];
      const updates: Partial<Record<EditableField, string>> = {};
      const changes: ProvenanceChange[] = [];
      for (const field of fields) {
        const fieldSeed = deriveSeed(seed, example.id, name, field);
        const result = edaText(operation, example[field], lang, fieldSeed, { alpha, synonyms, field });
        if (result.text !== example[field]) {
          updates[field] = result.text;
          changes.push(...result.changes);
        }
      }
      if (changes.length === 0) return null;
      return applyStep(example, updates, { operator: name, seed, params: { alpha, fields }, changes });
    },
  };
}
