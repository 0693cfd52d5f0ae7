/**
 * Medical VQA records from users' local copies of Slake and VQA-RAD (and our
 * synthetic set, which uses Slake's format). Both are one JSON array:
 *
 * - Slake (`train.json` / `validate.json` / `test.json`, images under
 *   `imgs/<img_name>`): {img_id, img_name, question, answer, q_lang,
 *   answer_type: "OPEN" | "CLOSED", content_type, modality, location,
 *   base_type, qid};
 * - VQA-RAD (`VQA_RAD Dataset Public.json`, images in `VQA_RAD Image Folder/`):
 *   {qid, image_name, image_organ, answer, answer_type, question_type,
 *   question, phrase_type} (answers and qids are sometimes numbers).
 *
 * Every bad record is reported with file, line and field (a `DataLoadError`
 * lists them all), as is every missing image file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataIssue } from '../data/issues';
import { assertNoIssues } from '../data/issues';
import { readJsonRows } from '../data/json-rows';

/** Open (free-form) or closed (yes/no or a choice named in the question) question. */
export type AnswerType = 'OPEN' | 'CLOSED';

/** One question about one image, from either benchmark. */
export interface VqaRecord {
  qid: string;
  /** The image's name as the JSON gives it. */
  imageName: string;
  /** Where the image file is (image folder + name). */
  imagePath: string;
  question: string;
  answer: string;
  answerType: AnswerType;
  /** Slake's content_type / VQA-RAD's question_type (e.g. "Position", "PRES"). */
  category: string;
  /** Where the record came from. */
  source: { file: string; line: number };
}

/** Options of the readers. */
export interface VqaReadOptions {
  /** Check that every image file exists (default true). */
  checkImages?: boolean;
}

/** Options of `readSlakeJson`. */
export interface SlakeReadOptions extends VqaReadOptions {
  /** Keep questions in this language (`q_lang`): 'en' (default), 'zh' or 'all'. */
  language?: 'en' | 'zh' | 'all';
}

type Row = Record<string, unknown>;

function text(row: Row, field: string, issues: DataIssue[], where: { file: string; line: number }, allowNumber = false): string | null {
  const v = row[field];
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (allowNumber && typeof v === 'number' && Number.isFinite(v)) return String(v);
  issues.push({ ...where, field, message: v === undefined ? 'missing' : `expected a non-empty ${allowNumber ? 'string or number' : 'string'}, got ${JSON.stringify(v)}` });
  return null;
}

function answerType(row: Row, issues: DataIssue[], where: { file: string; line: number }): AnswerType | null {
  const v = row.answer_type;
  const t = typeof v === 'string' ? v.trim().toUpperCase() : '';
  if (t === 'OPEN' || t === 'CLOSED') return t;
  issues.push({ ...where, field: 'answer_type', message: `expected "OPEN" or "CLOSED", got ${JSON.stringify(v)}` });
  return null;
}

function readRows(file: string, issues: DataIssue[]): { line: number; value: unknown }[] {
  const { records, issues: found } = readJsonRows(file);
  issues.push(...found);
  if (found.length === 0 && records.length === 0) issues.push({ file, line: 0, message: 'no records (expected a JSON array of question objects)' });
  return records;
}

function checkImage(record: VqaRecord, field: string, options: VqaReadOptions, issues: DataIssue[]): void {
  if (options.checkImages === false) return;
  if (!fs.existsSync(record.imagePath)) {
    issues.push({ ...record.source, field, message: `image file not found: ${record.imagePath}` });
  }
}

/** Where a benchmark's JSON keeps an image's name and a question's category, and which rows to keep. */
interface VqaLayout {
  imageField: string;
  categoryField: string;
  keep?: (row: Row) => boolean;
}

function readVqaJson(file: string, imageDir: string, options: VqaReadOptions, layout: VqaLayout): VqaRecord[] {
  const issues: DataIssue[] = [];
  const out: VqaRecord[] = [];
  for (const { line, value } of readRows(file, issues)) {
    const where = { file, line };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ ...where, message: `expected a question object, got ${JSON.stringify(value)}` });
      continue;
    }
    const row = value as Row;
    if (layout.keep && !layout.keep(row)) continue;
    const qid = text(row, 'qid', issues, where, true);
    const imageName = text(row, layout.imageField, issues, where);
    const question = text(row, 'question', issues, where);
    const answer = text(row, 'answer', issues, where, true);
    const type = answerType(row, issues, where);
    if (qid === null || imageName === null || question === null || answer === null || type === null) continue;
    const category = row[layout.categoryField];
    const record: VqaRecord = {
      qid, imageName, imagePath: path.join(imageDir, imageName), question, answer, answerType: type,
      category: typeof category === 'string' ? category : '', source: where,
    };
    checkImage(record, layout.imageField, options, issues);
    out.push(record);
  }
  return assertNoIssues({ records: out, issues });
}

/**
 * Read a Slake JSON file; images are looked up as `imageDir/<img_name>`.
 *
 * @example
 * const train = readSlakeJson('Slake1.0/train.json', 'Slake1.0/imgs');
 * train[0]; // { qid: '9', imageName: 'xmlab0/source.jpg', question: '...', answer: 'MRI', answerType: 'OPEN', ... }
 */
export function readSlakeJson(file: string, imageDir: string, options: SlakeReadOptions = {}): VqaRecord[] {
  const language = options.language ?? 'en';
  return readVqaJson(file, imageDir, options, {
    imageField: 'img_name',
    categoryField: 'content_type',
    keep: (row) => language === 'all' || (typeof row.q_lang === 'string' ? row.q_lang : 'en') === language,
  });
}

/**
 * Read VQA-RAD's JSON (`VQA_RAD Dataset Public.json`); images are looked up as
 * `imageDir/<image_name>` (the `VQA_RAD Image Folder`).
 *
 * @example
 * const all = readVqaRadJson('VQA_RAD/VQA_RAD Dataset Public.json', 'VQA_RAD/VQA_RAD Image Folder');
 */
export function readVqaRadJson(file: string, imageDir: string, options: VqaReadOptions = {}): VqaRecord[] {
  return readVqaJson(file, imageDir, options, { imageField: 'image_name', categoryField: 'question_type' });
}
