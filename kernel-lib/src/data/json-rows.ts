/**
 * Reads a file of JSON rows, either a JSON array (`[{...}, {...}]`) or JSON
 * Lines, and remembers the line each row starts on, so row-level problems can
 * be reported as `file:line`.
 */
import * as fs from 'fs';
import { DataIssue, LoadResult } from './issues';
import { JsonlRow, parseJsonl } from './jsonl';

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Start offsets of the elements of a top-level JSON array (text must be valid JSON). */
function arrayElementOffsets(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectElement && !/\s/.test(c) && c !== ']') {
      starts.push(i);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectElement = true;
  }
  return starts;
}

/**
 * Parses JSON-array or JSONL text into rows with their starting line.
 *
 * @example
 * parseJsonRows('[\n {"a": 1},\n {"a": 2}\n]', 'x.json').records; // [{line: 2, value: {a:1}}, {line: 3, value: {a:2}}]
 */
export function parseJsonRows(text: string, file: string): LoadResult<JsonlRow> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!body.trimStart().startsWith('[')) return parseJsonl(body, file);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const issue: DataIssue = { file, line: pos ? lineAt(body, Number(pos[1])) : lineAt(body, body.length), message: `not valid JSON: ${msg}` };
    return { records: [], issues: [issue] };
  }
  const values = value as unknown[];
  const offsets = arrayElementOffsets(body);
  return { records: values.map((v, i) => ({ line: offsets[i] !== undefined ? lineAt(body, offsets[i]) : 0, value: v })), issues: [] };
}

/**
 * Reads a JSON-array or JSONL file into rows with line numbers.
 *
 * @example
 * const { records, issues } = readJsonRows('data/alpaca.json');
 */
export function readJsonRows(file: string): LoadResult<JsonlRow> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { records: [], issues: [{ file, line: 0, message: `cannot read the file: ${(err as Error).message}` }] };
  }
  return parseJsonRows(text, file);
}
