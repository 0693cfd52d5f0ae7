/**
 * Medical multiple-choice exams as data: one question, labelled options, the
 * correct label(s). Reads the JSON shapes the Chinese medical benchmarks use
 * (a JSON array or JSON Lines):
 *
 * - CMB-Exam: `{"question", "option": {"A": "...", ...}, "answer": "C", "question_type", "exam_type", ...}`
 *   (multi-answer questions have `"answer": "ABD"`);
 * - CMExam: `{"Question", "Options": "A 选项一\nB 选项二\n...", "Answer": "B", ...}`;
 * - ours (`datasets/sports-medicine-mcq`): `{"id", "question", "options": {"A": ...}, "answer": "B", "topic", "language"}`;
 *
 * and also `options` as an array of strings (labelled A, B, ...). Every bad
 * record is reported with the file, its line and the record's id (or index).
 */
import * as path from 'node:path';
import { assertNoIssues, type DataIssue, type LoadResult } from '../data/issues';
import { readJsonRows } from '../data/json-rows';

/** One labelled option. */
export interface ChoiceOption {
  /** `A`, `B`, ... */
  label: string;
  text: string;
}

/** A multiple-choice question. */
export interface MultipleChoiceQuestion {
  /** The record's `id` (or `<file name>#<index>` when it has none). */
  id: string;
  question: string;
  options: ChoiceOption[];
  /** Correct labels (one for single-answer questions; CMB's multi-answer questions have several). */
  answers: string[];
  /** The record's other string fields (`topic`, `language`, `exam_type`, `question_type`...). */
  meta: Record<string, string>;
}

const QUESTION_KEYS = ['question', 'Question'];
const OPTION_KEYS = ['options', 'option', 'Options'];
const ANSWER_KEYS = ['answer', 'Answer'];
const LABEL = /^[A-Z]$/;

function pick(record: Record<string, unknown>, keys: string[]): { key: string; value: unknown } | null {
  for (const key of keys) if (record[key] !== undefined) return { key, value: record[key] };
  return null;
}

/** Options from an object, an array, or CMExam's "A text\nB text" string; a string problem when malformed. */
function parseOptions(value: unknown): ChoiceOption[] | string {
  if (typeof value === 'string') {
    const lines = value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    const out: ChoiceOption[] = [];
    for (const line of lines) {
      const m = /^([A-Z])[\s.、:：)）]\s*(.+)$/.exec(line);
      if (!m) return `cannot read option line ${JSON.stringify(line)}; expected "A text" or "A. text"`;
      out.push({ label: m[1], text: m[2].trim() });
    }
    return out;
  }
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'string')) return 'expected every option to be a string';
    return value.map((text, i) => ({ label: String.fromCharCode(65 + i), text: (text as string).trim() }));
  }
  if (value !== null && typeof value === 'object') {
    const out: ChoiceOption[] = [];
    for (const [label, text] of Object.entries(value as Record<string, unknown>)) {
      if (!LABEL.test(label)) return `option label ${JSON.stringify(label)} is not a capital letter A-Z`;
      if (typeof text !== 'string') return `option ${label} is not a string`;
      out.push({ label, text: text.trim() });
    }
    return out.sort((a, b) => (a.label < b.label ? -1 : 1));
  }
  return 'expected an object {"A": "...", "B": "..."}, an array of strings or "A text\\nB text" lines';
}

/** Answer labels from "B", "ABD", "A,B", ["A", "B"]; a string problem when malformed. */
function parseAnswer(value: unknown): string[] | string {
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.replace(/[\s,，、]/g, '').split('') : null;
  if (!parts || parts.length === 0) return 'expected the correct label(s), e.g. "B" or "ACD"';
  for (const p of parts) if (typeof p !== 'string' || !LABEL.test(p)) return `${JSON.stringify(p)} is not an option label (a capital letter A-Z)`;
  return [...new Set(parts as string[])].sort();
}

/**
 * Checks one record; returns the question or the problems found (field named).
 *
 * @example
 * multipleChoiceFromRecord({ question: 'Q?', option: { A: 'x', B: 'y' }, answer: 'B' }, 'q-1');
 * // { ok: true, question: { id: 'q-1', question: 'Q?', options: [...], answers: ['B'], meta: {} } }
 */
export function multipleChoiceFromRecord(
  value: unknown, fallbackId: string,
): { ok: true; question: MultipleChoiceQuestion } | { ok: false; problems: { field?: string; message: string }[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problems: [{ message: 'expected a JSON object (a question record)' }] };
  const r = value as Record<string, unknown>;
  const problems: { field?: string; message: string }[] = [];
  const q = pick(r, QUESTION_KEYS);
  if (!q) problems.push({ field: 'question', message: 'missing; expected the question text' });
  else if (typeof q.value !== 'string' || q.value.trim() === '') problems.push({ field: q.key, message: 'expected a non-empty string' });
  const o = pick(r, OPTION_KEYS);
  let options: ChoiceOption[] = [];
  if (!o) problems.push({ field: 'options', message: 'missing; expected the labelled options' });
  else {
    const parsed = parseOptions(o.value);
    if (typeof parsed === 'string') problems.push({ field: o.key, message: parsed });
    else {
      options = parsed;
      if (options.length < 2) problems.push({ field: o.key, message: `has ${options.length} option(s); expected at least 2` });
      const labels = options.map((x) => x.label);
      if (new Set(labels).size !== labels.length) problems.push({ field: o.key, message: `repeats a label (${labels.join(', ')})` });
      const empty = options.find((x) => x.text === '');
      if (empty) problems.push({ field: o.key, message: `option ${empty.label} is empty` });
    }
  }
  const a = pick(r, ANSWER_KEYS);
  let answers: string[] = [];
  if (!a) problems.push({ field: 'answer', message: 'missing; expected the correct label(s)' });
  else {
    const parsed = parseAnswer(a.value);
    if (typeof parsed === 'string') problems.push({ field: a.key, message: parsed });
    else {
      answers = parsed;
      const unknown = answers.filter((l) => options.length > 0 && !options.some((x) => x.label === l));
      if (unknown.length) problems.push({ field: a.key, message: `label ${unknown.join(', ')} is not among the options (${options.map((x) => x.label).join(', ')})` });
    }
  }
  if (r.id !== undefined && typeof r.id !== 'string' && typeof r.id !== 'number') problems.push({ field: 'id', message: 'expected a string or a number' });
  if (problems.length) return { ok: false, problems };
  const meta: Record<string, string> = {};
  const used = new Set([...QUESTION_KEYS, ...OPTION_KEYS, ...ANSWER_KEYS, 'id']);
  for (const [k, v] of Object.entries(r)) if (!used.has(k) && typeof v === 'string') meta[k] = v;
  return {
    ok: true,
    question: { id: r.id !== undefined ? String(r.id) : fallbackId, question: (q!.value as string).trim(), options, answers, meta },
  };
}

/**
 * Reads a multiple-choice file (JSON array or JSONL), collecting every bad
 * record as an issue (`file:line: field: message`, the message naming the
 * record's id or index).
 *
 * @example
 * const { records, issues } = readMultipleChoice('datasets/sports-medicine-mcq/test.json');
 */
export function readMultipleChoice(file: string): LoadResult<MultipleChoiceQuestion> {
  const rows = readJsonRows(file);
  const issues: DataIssue[] = [...rows.issues];
  const records: MultipleChoiceQuestion[] = [];
  const seen = new Map<string, number>();
  rows.records.forEach((row, index) => {
    const fallback = `${path.basename(file)}#${index}`;
    const parsed = multipleChoiceFromRecord(row.value, fallback);
    const rawId = (row.value as Record<string, unknown> | null)?.id;
    const name = typeof rawId === 'string' || typeof rawId === 'number' ? `record "${rawId}"` : `record ${index}`;
    if (!parsed.ok) {
      for (const p of parsed.problems) issues.push({ file, line: row.line, ...(p.field ? { field: p.field } : {}), message: `${name}: ${p.message}` });
      return;
    }
    const first = seen.get(parsed.question.id);
    if (first !== undefined) {
      issues.push({ file, line: row.line, field: 'id', message: `${name}: id repeats the record on line ${first}` });
      return;
    }
    seen.set(parsed.question.id, row.line);
    records.push(parsed.question);
  });
  if (rows.records.length === 0 && issues.length === 0) issues.push({ file, line: 0, message: 'no questions in the file' });
  return { records, issues };
}

/**
 * Reads a multiple-choice file, or throws a `DataLoadError` listing every
 * bad record with its file, line and id.
 *
 * @example
 * const questions = loadMultipleChoice('datasets/sports-medicine-mcq/dev.json');
 */
export function loadMultipleChoice(file: string): MultipleChoiceQuestion[] {
  return assertNoIssues(readMultipleChoice(file));
}
