/**
 * A small RFC 4180 CSV reader and writer: comma-separated, fields optionally
 * in double quotes (a quote inside a quoted field is doubled; commas and line
 * breaks may appear inside quotes), CRLF or LF line ends, an optional UTF-8
 * byte-order mark. Each row remembers the line it started on, so loaders can
 * point at bad rows.
 */
import { DataIssue } from './issues';

/** One parsed CSV row and the 1-based line it started on. */
export interface CsvRow {
  line: number;
  fields: string[];
}

/** The text of a file and the encoding it was decoded with. */
export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'gb18030';
}

/**
 * Decodes file bytes: UTF-8 (a leading BOM is dropped) when the bytes are valid
 * UTF-8, otherwise GB18030 (a superset of GBK/GB2312, common for Chinese CSV
 * files saved on Windows). Pass `encoding` to force one.
 *
 * @example
 * decodeText(Buffer.from('question_id,content\n', 'utf8')).encoding; // 'utf-8'
 */
export function decodeText(bytes: Uint8Array, encoding?: 'utf-8' | 'gb18030'): DecodedText {
  const strip = (t: string): string => (t.charCodeAt(0) === 0xfeff ? t.slice(1) : t);
  if (encoding === 'gb18030') return { text: strip(new TextDecoder('gb18030').decode(bytes)), encoding };
  try {
    return { text: strip(new TextDecoder('utf-8', { fatal: true }).decode(bytes)), encoding: 'utf-8' };
  } catch (err) {
    if (encoding === 'utf-8') throw err;
    return { text: strip(new TextDecoder('gb18030').decode(bytes)), encoding: 'gb18030' };
  }
}

/**
 * Parses CSV text into rows (the header row included, as the first row).
 * Empty lines are skipped. An unterminated quote becomes an issue naming the
 * line where the quoted field began.
 *
 * @example
 * parseCsv('a,b\n1,"x, y"\n', 'inline.csv').rows; // [{line:1,fields:['a','b']},{line:2,fields:['1','x, y']}]
 */
export function parseCsv(text: string, file: string): { rows: CsvRow[]; issues: DataIssue[] } {
  const rows: CsvRow[] = [];
  const issues: DataIssue[] = [];
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  let rowHasContent = false;
  const endField = (): void => {
    fields.push(field);
    field = '';
  };
  const endRow = (): void => {
    endField();
    if (rowHasContent || fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
    rowHasContent = false;
  };
  while (i < body.length) {
    const ch = body[i];
    if (ch === '"' && field === '' ) {
      // Quoted field.
      const quoteLine = line;
      i++;
      let closed = false;
      while (i < body.length) {
        const c = body[i];
        if (c === '"') {
          if (body[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (c === '\n') line++;
        field += c;
        i++;
      }
      rowHasContent = true;
      if (!closed) {
        issues.push({ file, line: quoteLine, message: 'a quoted field is never closed (missing ")' });
        field = '';
        fields = [];
        rowHasContent = false;
        return { rows, issues };
      }
      // Text after the closing quote up to the next separator is kept (lenient).
      continue;
    }
    if (ch === ',') {
      endField();
      rowHasContent = true;
      i++;
      continue;
    }
    if (ch === '\r' && body[i + 1] === '\n') {
      i++;
      continue;
    }
    if (ch === '\n') {
      endRow();
      line++;
      rowLine = line;
      i++;
      continue;
    }
    field += ch;
    rowHasContent = true;
    i++;
  }
  if (field !== '' || fields.length > 0 || rowHasContent) endRow();
  return { rows, issues };
}

/**
 * Quotes a field when it contains a comma, quote, CR or LF (RFC 4180).
 *
 * @example
 * csvField('a,b'); // '"a,b"'
 */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Formats rows as CSV text with LF line ends and a trailing newline.
 *
 * @example
 * formatCsv(['question_id', 'content'], [[1, '脚踝扭伤怎么办？']]); // 'question_id,content\n1,脚踝扭伤怎么办？\n'
 */
export function formatCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
