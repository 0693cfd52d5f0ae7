/**
 * The schema of the shipped sports-injury Q&A data set (one JSON object per
 * line): the allowed topics, body parts, phases and languages, and a validator
 * that names every field that breaks the schema.
 */

/** The 30 topics of the sports-injury Q&A set. */
export const QA_TOPICS = [
  'ankle-sprain', 'hamstring-strain', 'groin-strain', 'calf-strain', 'acl-injury', 'meniscus-tear',
  'patellofemoral-pain', 'patellar-tendinopathy', 'it-band-syndrome', 'achilles-tendinopathy',
  'plantar-fasciitis', 'shin-splints', 'stress-fracture', 'fracture-first-aid', 'shoulder-dislocation',
  'rotator-cuff', 'tennis-elbow', 'wrist-hand-injury', 'low-back-pain', 'concussion', 'heat-illness',
  'muscle-cramps', 'contusion', 'overuse-injury', 'warm-up', 'load-management', 'return-to-play',
  'recovery-nutrition-sleep', 'youth-athletes', 'older-athletes',
] as const;

/** The 12 body parts. */
export const QA_BODY_PARTS = [
  'ankle', 'foot', 'lower-leg', 'knee', 'thigh', 'hip-groin', 'back', 'shoulder', 'elbow', 'wrist-hand',
  'head-neck', 'whole-body',
] as const;

/** The 4 care phases. */
export const QA_PHASES = ['prevention', 'acute-care', 'treatment', 'rehabilitation'] as const;

/** The 2 languages. */
export const QA_LANGUAGES = ['en', 'zh'] as const;

export type QaTopic = (typeof QA_TOPICS)[number];
export type QaBodyPart = (typeof QA_BODY_PARTS)[number];
export type QaPhase = (typeof QA_PHASES)[number];
export type QaLanguage = (typeof QA_LANGUAGES)[number];

/** One record of the shipped data set, exactly as stored in the JSONL files. */
export interface QaRecord {
  id: string;
  question: string;
  answer: string;
  topic: QaTopic;
  body_part: QaBodyPart;
  phase: QaPhase;
  language: QaLanguage;
  source: 'authored';
}

/** The record's keys in their canonical order (used when writing files). */
export const QA_RECORD_KEYS = ['id', 'question', 'answer', 'topic', 'body_part', 'phase', 'language', 'source'] as const;

/** A schema violation: the field and what was expected. */
export interface FieldProblem {
  field: string;
  message: string;
}

function oneOf(field: string, value: unknown, allowed: readonly string[]): FieldProblem | null {
  if (typeof value === 'string' && allowed.includes(value)) return null;
  return { field, message: `got ${JSON.stringify(value)}; expected one of: ${allowed.join(', ')}` };
}

function text(field: string, value: unknown): FieldProblem | null {
  if (typeof value === 'string' && value.trim().length > 0) return null;
  return { field, message: `got ${JSON.stringify(value)}; expected a non-empty string` };
}

/**
 * Checks one parsed object against the Q&A schema and returns every problem
 * (an empty array means valid): required fields, allowed values, no extra
 * keys, and the id pattern `<language>-<topic>-<3 digits>`.
 *
 * @example
 * validateQaRecord({ id: 'en-ankle-sprain-001', question: 'Q?', answer: 'A.', topic: 'ankle-sprain',
 *   body_part: 'ankle', phase: 'acute-care', language: 'en', source: 'authored' }); // []
 */
export function validateQaRecord(value: unknown): FieldProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ field: '(record)', message: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}` }];
  }
  const record = value as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const push = (problem: FieldProblem | null): void => {
    if (problem) problems.push(problem);
  };
  push(text('id', record.id));
  push(text('question', record.question));
  push(text('answer', record.answer));
  push(oneOf('topic', record.topic, QA_TOPICS));
  push(oneOf('body_part', record.body_part, QA_BODY_PARTS));
  push(oneOf('phase', record.phase, QA_PHASES));
  push(oneOf('language', record.language, QA_LANGUAGES));
  push(oneOf('source', record.source, ['authored']));
  for (const key of Object.keys(record)) {
    if (!(QA_RECORD_KEYS as readonly string[]).includes(key)) {
      problems.push({ field: key, message: `unexpected field; the schema has only: ${QA_RECORD_KEYS.join(', ')}` });
    }
  }
  const validLanguage = (QA_LANGUAGES as readonly unknown[]).includes(record.language);
  const validTopic = (QA_TOPICS as readonly unknown[]).includes(record.topic);
  if (typeof record.id === 'string' && validLanguage && validTopic) {
    const expected = new RegExp(`^${record.language}-${record.topic}-\\d{3}$`);
    if (!expected.test(record.id)) {
      problems.push({
        field: 'id',
        message: `got ${JSON.stringify(record.id)}; expected "${record.language}-${record.topic}-" followed by 3 digits`,
      });
    }
  }
  return problems;
}

/**
 * Copies a record with its keys in canonical order, so written files are
 * byte-stable whatever order the input had.
 *
 * @example
 * const record = { source: 'authored', id: 'en-ankle-sprain-001', question: 'Q?', answer: 'A.', topic: 'ankle-sprain',
 *   body_part: 'ankle', phase: 'acute-care', language: 'en' } as const;
 * Object.keys(canonicalQaRecord(record)); // ['id', 'question', 'answer', 'topic', 'body_part', 'phase', 'language', 'source']
 */
export function canonicalQaRecord(record: QaRecord): QaRecord {
  const out: Record<string, unknown> = {};
  for (const key of QA_RECORD_KEYS) out[key] = record[key];
  return out as unknown as QaRecord;
}
