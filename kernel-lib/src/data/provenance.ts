/**
 * Examples that remember where they came from and what was done to them.
 *
 * Every example carries an `origin` (data set, file, line, original id) and an
 * ordered list of `steps` (merge, augmentation operator, review decision), each
 * with its parameters, seed and the exact changes it made. Nothing is
 * overwritten: a step returns a new example with one more step.
 */
import { fnv1a32 } from './random';

/** Where an example was first read from. */
export interface ProvenanceOrigin {
  /** Data set name: `sports-injury-qa`, `cMedQA2`, `alpaca:my-file`, ... */
  dataset: string;
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** The id the example had in its source. */
  originalId?: string;
  license?: string;
}

/** One concrete edit a step made. */
export interface ProvenanceChange {
  /** `replace`, `insert`, `swap`, `delete`, `template`, `entity-swap`, `paraphrase`, `edit`, `rename`... */
  kind: string;
  field?: 'question' | 'answer';
  /** Text before the edit (a word, a phrase or the whole field). */
  from?: string;
  /** Text after the edit. */
  to?: string;
  /** Where the edit happened in the text before the step: word index (EDA) or character offset (entity swap). */
  position?: number;
  detail?: string;
}

/** One operation applied to an example. */
export interface ProvenanceStep {
  operator: string;
  seed?: number;
  params?: Record<string, unknown>;
  changes: ProvenanceChange[];
  /** Id of the example this step was applied to. */
  parentId?: string;
}

export interface Provenance {
  origin: ProvenanceOrigin;
  steps: ProvenanceStep[];
}

/** A question-answer example in memory, with its provenance. */
export interface QaExample {
  id: string;
  question: string;
  answer: string;
  /** `en`, `zh`, or another language code when loaded from elsewhere. */
  language: string;
  topic?: string;
  body_part?: string;
  phase?: string;
  /** A system prompt, when the source had one (Alpaca/ShareGPT). */
  system?: string;
  provenance: Provenance;
}

/**
 * Makes an example with a fresh provenance record.
 *
 * @example
 * const ex = makeExample({ id: 'demo-1', question: 'How do I treat a sprain?', answer: 'Rest and protect it.',
 *   language: 'en' }, { dataset: 'demo' });
 */
export function makeExample(fields: Omit<QaExample, 'provenance'>, origin: ProvenanceOrigin): QaExample {
  return { ...fields, provenance: { origin: { ...origin }, steps: [] } };
}

/**
 * Returns a copy of `example` with new field values and one more provenance
 * step. The new id is `<parent id>+<operator>:<hash>`, stable for the same
 * content, so the same augmentation always gets the same id.
 *
 * @example
 * const ex = makeExample({ id: 'demo-1', question: 'How do I treat a sprain?', answer: 'Rest and protect it.', language: 'en' }, { dataset: 'demo' });
 * const child = applyStep(ex, { question: 'How should I treat a sprain?' },
 *   { operator: 'manual', changes: [{ kind: 'edit', field: 'question' }] });
 * child.provenance.steps.length; // 1
 */
export function applyStep(
  example: QaExample,
  fields: Partial<Pick<QaExample, 'question' | 'answer' | 'topic' | 'body_part' | 'phase' | 'system'>>,
  step: Omit<ProvenanceStep, 'parentId'>,
  options: { keepId?: boolean } = {},
): QaExample {
  const next: QaExample = { ...example, ...fields, provenance: { origin: example.provenance.origin, steps: [] } };
  const fullStep: ProvenanceStep = { ...step, parentId: example.id };
  next.provenance.steps = [...example.provenance.steps, fullStep];
  if (!options.keepId) {
    const digest = fnv1a32(`${next.question}\u0000${next.answer}\u0000${step.operator}`).toString(36);
    next.id = `${example.id}+${step.operator}:${digest}`;
  }
  return next;
}

/**
 * One line describing where an example came from and every step since.
 *
 * @example
 * const ex = makeExample({ id: 'demo-1', question: 'How do I treat a sprain?', answer: 'Rest and protect it.', language: 'en' }, { dataset: 'demo' });
 * const child = applyStep(ex, { question: 'How should I treat a sprain?' }, { operator: 'manual', changes: [{ kind: 'edit', field: 'question' }] });
 * describeProvenance(child); // 'demo (demo-1) -> manual [edit question]'
 */
export function describeProvenance(example: QaExample): string {
  const o = example.provenance.origin;
  const where = o.file ? `${o.file}${o.line ? `:${o.line}` : ''}` : o.originalId ?? '';
  const head = where ? `${o.dataset} (${where})` : o.dataset;
  const steps = example.provenance.steps.map((s) => {
    const seed = s.seed !== undefined ? ` seed ${s.seed}` : '';
    const changes = s.changes
      .slice(0, 3)
      .map((c) => (c.from !== undefined && c.to !== undefined ? `${c.kind} "${c.from}"->"${c.to}"` : `${c.kind}${c.field ? ` ${c.field}` : ''}`))
      .join(', ');
    const more = s.changes.length > 3 ? `, +${s.changes.length - 3} more` : '';
    return `${s.operator}${seed} [${changes}${more}]`;
  });
  return [head, ...steps].join(' -> ');
}

/**
 * The operator names applied to an example, in order (empty for originals).
 *
 * @example
 * const ex = makeExample({ id: 'demo-1', question: 'Q?', answer: 'A.', language: 'en' }, { dataset: 'demo' });
 * operatorsApplied(applyStep(ex, { question: 'Q2?' }, { operator: 'manual', changes: [] })); // ['manual']
 */
export function operatorsApplied(example: QaExample): string[] {
  return example.provenance.steps.map((s) => s.operator);
}
