/**
 * Entity swaps within the body-part / injury taxonomy: replace one entity by
 * another of its swap group, in the question AND the answer, where the answer
 * stays valid: another name of the same injury ("rolled ankle" -> "ankle
 * sprain", "前交叉韧带" -> "前十字韧带"), the other side ("left knee" ->
 * "right knee"), or another sport with the same advice for that topic
 * ("basketball" -> "volleyball" for an ankle sprain). Rules that keep it safe:
 * a group applies only to the topics it lists; a group is skipped when the
 * text mentions two of its members (it would merge them); the replacement
 * must not already appear in the text; context swaps never touch a word that
 * is part of an injury name ("tennis elbow" stays).
 */
import { defaultLexicon, SwapGroup, Taxonomy } from '../lexicon';
import { applyStep, ProvenanceChange, QaExample } from '../provenance';
import { deriveSeed, mulberry32 } from '../random';
import { EditableField, SyncAugmentOperator } from './operator';

interface Span {
  field: EditableField;
  start: number;
  end: number;
  text: string;
  member: string;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function findTerm(text: string, term: string, language: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (language === 'zh') {
    for (let i = text.indexOf(term); i >= 0; i = text.indexOf(term, i + term.length)) out.push([i, i + term.length]);
    return out;
  }
  const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(term).replace(/'/g, "['\u2019]")}(?![\\p{L}\\p{N}])`, 'giu');
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push([m.index, m.index + m[0].length]);
  return out;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;

function groupSpans(example: QaExample, group: SwapGroup, language: 'en' | 'zh', protectedTerms: string[]): Span[] {
  const members = [...group[language]].sort((a, b) => b.length - a.length);
  const spans: Span[] = [];
  for (const field of ['question', 'answer'] as const) {
    const text = example[field];
    const blocked =
      group.kind === 'alias'
        ? []
        : protectedTerms.flatMap((t) => findTerm(text, t, language).map(([start, end]) => ({ start, end })));
    const taken: Array<{ start: number; end: number }> = [];
    for (const member of members) {
      for (const [start, end] of findTerm(text, member, language)) {
        const span = { start, end };
        if (taken.some((t) => overlaps(t, span)) || blocked.some((b) => overlaps(b, span))) continue;
        taken.push(span);
        spans.push({ field, start, end, text: text.slice(start, end), member });
      }
    }
  }
  return spans;
}

function withCaseOf(replacement: string, occurrence: string, canonical: string): string {
  const capitalised = occurrence[0] !== canonical[0] && occurrence[0] === canonical[0].toUpperCase();
  return capitalised ? replacement[0].toUpperCase() + replacement.slice(1) : replacement;
}

function article(next: string): 'a' | 'an' {
  if (/^[A-Z]{2,}/.test(next)) return /^[AEFHILMNORSX]/.test(next) ? 'an' : 'a';
  return /^[aeiou]/i.test(next) ? 'an' : 'a';
}

function replaceSpans(text: string, spans: Span[], replacementFor: (s: Span) => string, language: string): string {
  let out = text;
  for (const span of [...spans].sort((a, b) => b.start - a.start)) {
    const replacement = replacementFor(span);
    let before = out.slice(0, span.start);
    if (language !== 'zh') {
      before = before.replace(/(^|[^\p{L}])(a|an|A|An)(\s+)$/u, (_, pre: string, art: string, sp: string) => {
        const fixed = article(replacement);
        return pre + (art[0] === 'A' ? fixed[0].toUpperCase() + fixed.slice(1) : fixed) + sp;
      });
    }
    out = before + replacement + out.slice(span.end);
  }
  return out;
}

/** A swap the taxonomy allows for one example. */
export interface SwapOption {
  group: SwapGroup;
  /** The member mentioned in the text. */
  found: string;
  /** Members that may replace it. */
  replacements: string[];
  spans: Span[];
}

/**
 * Lists the entity swaps allowed for an example.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * swapOptions(train[0]).map((o) => `${o.group.id}: ${o.found} -> ${o.replacements.join(' | ')}`);
 */
export function swapOptions(
  example: QaExample,
  options: { taxonomy?: Taxonomy; kinds?: ReadonlyArray<SwapGroup['kind']> } = {},
): SwapOption[] {
  const taxonomy = options.taxonomy ?? defaultLexicon().taxonomy;
  const kinds = options.kinds ?? ['alias', 'laterality', 'context'];
  const language = example.language === 'zh' ? 'zh' : 'en';
  const protectedTerms = taxonomy.swapGroups.filter((g) => g.kind === 'alias').flatMap((g) => g[language]);
  const out: SwapOption[] = [];
  for (const group of taxonomy.swapGroups) {
    if (!kinds.includes(group.kind)) continue;
    if (group.appliesTo !== 'all' && !(example.topic && group.appliesTo.includes(example.topic))) continue;
    const spans = groupSpans(example, group, language, protectedTerms);
    if (spans.length === 0) continue;
    const mentioned = new Set(spans.map((s) => s.member));
    if (mentioned.size !== 1) continue;
    const [found] = mentioned;
    const whole = `${example.question}\n${example.answer}`;
    const replacements = group[language].filter((m) => m !== found && findTerm(whole, m, language).length === 0 && !whole.toLowerCase().includes(m.toLowerCase()));
    if (replacements.length === 0) continue;
    out.push({ group, found, replacements, spans });
  }
  return out;
}

/**
 * The entity-swap operator (`entity-swap`): picks one allowed swap by seed and
 * applies it to every mention in the question and the answer; each replaced
 * mention is recorded with its field and character offset.
 *
 * @example
 * const train = assertNoIssues(loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl'));
 * const swap = entitySwapOperator({ kinds: ['alias', 'laterality'] });
 * swap.apply(train[0], 1)?.provenance.steps.at(-1);
 */
export function entitySwapOperator(options: { taxonomy?: Taxonomy; kinds?: ReadonlyArray<SwapGroup['kind']> } = {}): SyncAugmentOperator {
  const name = 'entity-swap';
  return {
    name,
    apply(example: QaExample, seed: number): QaExample | null {
      const all = swapOptions(example, options);
      if (all.length === 0) return null;
      // Prefer swaps that change the question: they make a new way to ask.
      const inQuestion = all.filter((o) => o.spans.some((s) => s.field === 'question'));
      const choices = inQuestion.length > 0 ? inQuestion : all;
      const rng = mulberry32(deriveSeed(seed, example.id, name));
      const choice = rng.pick(choices);
      const replacement = rng.pick(choice.replacements);
      const language = example.language === 'zh' ? 'zh' : 'en';
      const changes: ProvenanceChange[] = [];
      const updates: Partial<Record<EditableField, string>> = {};
      for (const field of ['question', 'answer'] as const) {
        const spans = choice.spans.filter((s) => s.field === field);
        if (spans.length === 0) continue;
        const forSpan = (s: Span): string => (language === 'zh' ? replacement : withCaseOf(replacement, s.text, s.member));
        updates[field] = replaceSpans(example[field], spans, forSpan, language);
        for (const s of spans) {
          changes.push({ kind: 'entity-swap', field, from: s.text, to: forSpan(s), position: s.start, detail: choice.group.id });
        }
      }
      return applyStep(example, updates, {
        operator: name,
        seed,
        params: { group: choice.group.id, kind: choice.group.kind, from: choice.found, to: replacement },
        changes,
      });
    },
  };
}
