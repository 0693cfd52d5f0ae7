/**
 * The review decision log: one JSON decision per line, appended with fsync
 * (`appendLineDurableSync`), so a decision is on disk before `decide` returns.
 *
 * Crash rules. A line is a decision only when it is complete (ends with a
 * newline) and valid. A last line without its newline is a torn write from a
 * crash: it is never applied; opening the log warns, copies the fragment to
 * `<log>.torn` and truncates it away so the next append starts on a clean
 * line. A damaged line anywhere else is not a crash artefact (someone edited
 * the file, or two programs wrote it at once): reading stops with an error
 * naming the line, rather than guessing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { appendLineDurableSync, syncDirectorySync } from '../util/atomic-write';
import { DataIssue, DataLoadError } from './issues';

export type ReviewDecisionKind = 'accept' | 'reject' | 'edit';

/** One line of the log. */
export interface ReviewLogEntry {
  v: 1;
  /** 1, 2, 3... in the order decisions were made. */
  seq: number;
  candidateId: string;
  /** The augmentation operator that produced the candidate (for reports). */
  operator: string;
  decision: ReviewDecisionKind;
  /** New texts for an `edit`. */
  edited?: { question?: string; answer?: string };
  /** Who decided: a person's name, or `rule:<name>` for bulk decisions. */
  reviewer: string;
  note?: string;
  /** `seq` of the decision this one replaces (a deliberate revision). */
  revises?: number;
  /** ISO time of the decision. */
  at: string;
}

/** What reading a log found. */
export interface ReviewLogContents {
  entries: ReviewLogEntry[];
  /** The torn last line, if the log ended in one. */
  torn: { line: number; text: string } | null;
}

const DECISIONS: readonly ReviewDecisionKind[] = ['accept', 'reject', 'edit'];

function entryProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected a JSON object';
  const e = v as Record<string, unknown>;
  if (e.v !== 1) return `field v is ${JSON.stringify(e.v)}; expected 1`;
  if (!Number.isInteger(e.seq) || (e.seq as number) < 1) return 'field seq: expected a positive integer';
  if (typeof e.candidateId !== 'string' || e.candidateId === '') return 'field candidateId: expected a non-empty string';
  if (typeof e.operator !== 'string') return 'field operator: expected a string';
  if (!DECISIONS.includes(e.decision as ReviewDecisionKind)) return `field decision is ${JSON.stringify(e.decision)}; expected accept, reject or edit`;
  if (typeof e.reviewer !== 'string') return 'field reviewer: expected a string';
  if (typeof e.at !== 'string') return 'field at: expected an ISO time string';
  if (e.decision === 'edit') {
    const ed = e.edited as Record<string, unknown> | undefined;
    if (!ed || typeof ed !== 'object' || (typeof ed.question !== 'string' && typeof ed.answer !== 'string')) {
      return 'field edited: an edit needs {question?: string, answer?: string} with at least one text';
    }
  }
  if (e.revises !== undefined && !Number.isInteger(e.revises)) return 'field revises: expected an integer';
  return null;
}

/**
 * Reads a log without changing it. Throws a `DataLoadError` (file and line)
 * if a complete line is damaged; a torn last line is returned in `torn`.
 * A missing file is an empty log.
 *
 * @example
 * const { entries, torn } = readReviewLog('/tmp/review.jsonl');
 */
export function readReviewLog(file: string): ReviewLogContents {
  if (!fs.existsSync(file)) return { entries: [], torn: null };
  const text = fs.readFileSync(file, 'utf8');
  const lastNewline = text.lastIndexOf('\n');
  const complete = text.slice(0, lastNewline + 1);
  const tail = text.slice(lastNewline + 1);
  const lines = complete.split('\n').slice(0, -1);
  const entries: ReviewLogEntry[] = [];
  const issues: DataIssue[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      issues.push({ file, line: i + 1, message: `damaged decision line (${(err as Error).message}); expected one JSON decision per line. The log was edited or written by two programs at once: fix or remove that line` });
      return;
    }
    const problem = entryProblem(value);
    if (problem) issues.push({ file, line: i + 1, message: `not a review decision: ${problem}` });
    else entries.push(value as ReviewLogEntry);
  });
  if (issues.length > 0) throw new DataLoadError(issues);
  return { entries, torn: tail.length > 0 ? { line: lines.length + 1, text: tail } : null };
}

/**
 * Reads a log for appending: like `readReviewLog`, and if the log ends in a
 * torn line, warns, appends the fragment to `<file>.torn` (for the record)
 * and truncates the log to its last complete line, durably.
 *
 * @example
 * const { entries } = openReviewLog('/tmp/review.jsonl', { warn: console.warn });
 */
export function openReviewLog(file: string, options: { warn?: (message: string) => void } = {}): ReviewLogContents {
  const contents = readReviewLog(file);
  if (contents.torn) {
    const warn = options.warn ?? ((m: string) => console.warn(m));
    const keptBytes = fs.statSync(file).size - Buffer.byteLength(contents.torn.text, 'utf8');
    warn(
      `${file}:${contents.torn.line}: ignored an incomplete last line (${Buffer.byteLength(contents.torn.text, 'utf8')} bytes, a write cut off by a crash); ` +
        `that decision was not saved and its candidate is still pending. The fragment was moved to ${file}.torn.`,
    );
    appendLineDurableSync(`${file}.torn`, JSON.stringify({ line: contents.torn.line, fragment: contents.torn.text }));
    const fd = fs.openSync(file, 'r+');
    try {
      fs.ftruncateSync(fd, keptBytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    syncDirectorySync(path.dirname(path.resolve(file)));
  }
  return contents;
}

/**
 * Appends one decision durably (the line is on disk when this returns).
 *
 * @example
 * appendReviewEntry('/tmp/review.jsonl', { v: 1, seq: 1, candidateId: 'x', operator: 'eda.random-swap',
 *   decision: 'accept', reviewer: 'me', at: new Date().toISOString() });
 */
export function appendReviewEntry(file: string, entry: ReviewLogEntry): void {
  const problem = entryProblem(entry);
  if (problem) throw new Error(`appendReviewEntry(${file}): ${problem}`);
  appendLineDurableSync(file, JSON.stringify(entry));
}
