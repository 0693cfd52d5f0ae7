/**
 * JSON Lines in and out: one JSON value per line, UTF-8. Readers report every
 * bad line with its file and line number; the Q&A loader also checks each
 * record against the shipped schema and flags duplicate ids across files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomicSync } from '../util/atomic-write';
import { DataIssue, LoadResult } from './issues';
import { canonicalQaRecord, FieldProblem, QaRecord, validateQaRecord } from './qa-schema';
import { makeExample, QaExample } from './provenance';

/** A parsed line and where it was. */
export interface JsonlRow {
  line: number;
  value: unknown;
}

/**
 * Parses JSONL text. Blank lines are skipped; a line that is not valid JSON
 * becomes an issue naming the line (and says when it is a torn last line, the
 * usual result of a crash while writing).
 *
 * @example
 * parseJsonl('{"a":1}\n{"a":2}\n', 'inline.jsonl').records; // [{line:1,value:{a:1}}, {line:2,value:{a:2}}]
 */
export function parseJsonl(text: string, file: string): LoadResult<JsonlRow> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  const endsWithNewline = body.endsWith('\n');
  const records: JsonlRow[] = [];
  const issues: DataIssue[] = [];
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    try {
      records.push({ line: index + 1, value: JSON.parse(line) });
    } catch (err) {
      const isLast = index === lines.length - 1 && !endsWithNewline;
      const reason = (err as Error).message;
      issues.push({
        file,
        line: index + 1,
        message: isLast
          ? `torn last line (no newline at the end and not valid JSON: ${reason}); the file was probably cut off while being written`
          : `not valid JSON (${reason}); expected one JSON object per line`,
      });
    }
  });
  return { records, issues };
}

/**
 * Reads and parses a JSONL file.
 *
 * @example
 * const { records, issues } = readJsonl('datasets/sports-injury-qa/splits/test.jsonl');
 */
export function readJsonl(file: string): LoadResult<JsonlRow> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { records: [], issues: [{ file, line: 0, message: `cannot read the file: ${(err as Error).message}` }] };
  }
  return parseJsonl(text, file);
}

/** A valid record and where it was read. */
export interface LocatedRecord<T> {
  record: T;
  file: string;
  line: number;
}

/** A valid shipped Q&A record and where it was read. */
export type LocatedQaRecord = LocatedRecord<QaRecord>;

/**
 * Reads records that carry a string `id` from one or more JSONL files and
 * checks each with `validate` (its field problems; none for a valid record);
 * invalid rows and ids seen twice (in any of the files) become issues with
 * file and line, and are left out of `records`.
 *
 * @example
 * const { records, issues } = readValidatedJsonl<QaRecord>(['a.jsonl', 'b.jsonl'], validateQaRecord);
 * issues.map(formatIssue); // e.g. 'b.jsonl:3: id: duplicate id "q-001"; first seen at a.jsonl:1'
 */
export function readValidatedJsonl<T extends { id: string }>(
  files: string | string[],
  validate: (value: unknown) => FieldProblem[],
): LoadResult<LocatedRecord<T>> {
  const list = Array.isArray(files) ? files : [files];
  const records: LocatedRecord<T>[] = [];
  const issues: DataIssue[] = [];
  const seen = new Map<string, string>();
  for (const file of list) {
    const parsed = readJsonl(file);
    issues.push(...parsed.issues);
    for (const row of parsed.records) {
      const problems = validate(row.value);
      if (problems.length > 0) {
        for (const p of problems) issues.push({ file, line: row.line, field: p.field, message: p.message });
        continue;
      }
      const record = row.value as T;
      const first = seen.get(record.id);
      if (first) {
        issues.push({ file, line: row.line, field: 'id', message: `duplicate id ${JSON.stringify(record.id)}; first seen at ${first}` });
        continue;
      }
      seen.set(record.id, `${file}:${row.line}`);
      records.push({ record, file, line: row.line });
    }
  }
  return { records, issues };
}

/**
 * Reads Q&A records (the shipped schema) from one or more JSONL files and
 * validates each; invalid rows and ids seen twice (in any of the files) become
 * issues with file and line, and are left out of `records`.
 *
 * @example
 * const { records, issues } = readQaRecords(['datasets/sports-injury-qa/splits/train.jsonl']);
 * issues.length; // 0 for the shipped files
 */
export function readQaRecords(files: string | string[]): LoadResult<LocatedQaRecord> {
  return readValidatedJsonl<QaRecord>(files, validateQaRecord);
}

/**
 * Loads the project's Q&A JSONL files as examples with provenance (data set
 * `sports-injury-qa`, file and line).
 *
 * @example
 * const { records: train } = loadQaJsonl('datasets/sports-injury-qa/splits/train.jsonl');
 * train[0].provenance.origin; // { dataset: 'sports-injury-qa', file: '...train.jsonl', line: 1, ... }
 */
export function loadQaJsonl(files: string | string[], options: { dataset?: string } = {}): LoadResult<QaExample> {
  const { records, issues } = readQaRecords(files);
  const dataset = options.dataset ?? 'sports-injury-qa';
  return {
    records: records.map(({ record, file, line }) => qaRecordToExample(record, { dataset, file, line })),
    issues,
  };
}

/**
 * Turns a shipped record into an example with provenance.
 *
 * @example
 * const record = readQaRecords('datasets/sports-injury-qa/splits/test.jsonl').records[0].record;
 * qaRecordToExample(record, { dataset: 'sports-injury-qa', file: 'train.jsonl', line: 1 });
 */
export function qaRecordToExample(record: QaRecord, origin: { dataset: string; file?: string; line?: number }): QaExample {
  return makeExample(
    {
      id: record.id,
      question: record.question,
      answer: record.answer,
      language: record.language,
      topic: record.topic,
      body_part: record.body_part,
      phase: record.phase,
    },
    { ...origin, originalId: record.id, license: 'CC-BY-4.0' },
  );
}

/**
 * Formats values as JSONL text (one `JSON.stringify` per line, trailing newline).
 *
 * @example
 * formatJsonl([{ a: 1 }, { a: 2 }]); // '{"a":1}\n{"a":2}\n'
 */
export function formatJsonl(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join('\n') + (values.length > 0 ? '\n' : '');
}

/**
 * Writes values as JSONL, atomically (temp file, fsync, rename): a crash
 * leaves either the old file or the new one. Creates the folder if needed.
 *
 * @example
 * writeJsonl('/tmp/out.jsonl', [{ id: 1 }, { id: 2 }]);
 */
export function writeJsonl(file: string, values: readonly unknown[]): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomicSync(file, formatJsonl(values));
}

/**
 * Writes shipped records with their keys in canonical order.
 *
 * @example
 * const { records } = readQaRecords('datasets/sports-injury-qa/splits/test.jsonl');
 * writeQaRecords('/tmp/qa.jsonl', records.map((r) => r.record));
 */
export function writeQaRecords(file: string, records: readonly QaRecord[]): void {
  writeJsonl(file, records.map(canonicalQaRecord));
}
