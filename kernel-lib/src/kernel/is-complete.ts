/**
 * `is_complete_request`: is this code ready to run (consoles ask before
 * executing on Enter)? `complete`, `incomplete` (with the indent of the next
 * line) or `invalid` (it cannot parse, whatever follows).
 */
import type { TslabTypeScript } from './tslab-modules';

/** The reply content of `is_complete_request`. */
export type CompletenessReply = { status: 'complete' } | { status: 'incomplete'; indent: string } | { status: 'invalid' };

/** "Unterminated template literal": templates may span lines, so more may follow. */
const UNTERMINATED_TEMPLATE = 1160;

/**
 * Classifies code as complete, incomplete or invalid by parsing it.
 *
 * @example
 * checkCompleteness(ts, 'function f() {');   // { status: 'incomplete', indent: '  ' }
 * checkCompleteness(ts, 'const = 5;');       // { status: 'invalid' }
 * checkCompleteness(ts, 'const x = 5;');     // { status: 'complete' }
 */
export function checkCompleteness(ts: TslabTypeScript, code: string): CompletenessReply {
  const source = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diagnostics = source.parseDiagnostics ?? [];
  if (diagnostics.length === 0) return { status: 'complete' };
  // Incomplete: every error sits after the last token and says something is missing.
  const allAtEnd = diagnostics.every((d) => {
    const atEnd = code.slice(d.start ?? 0).trim() === '';
    return atEnd && (d.code === UNTERMINATED_TEMPLATE || messageOf(d.messageText).endsWith(' expected.'));
  });
  if (!allAtEnd) return { status: 'invalid' };
  // Two trailing blank lines force execution, so a console user can submit anyway.
  if (/\n[ \t]*\n[ \t]*$/.test(code)) return { status: 'complete' };
  return { status: 'incomplete', indent: nextLineIndent(code) };
}

function messageOf(text: unknown): string {
  if (typeof text === 'string') return text;
  if (text && typeof text === 'object' && 'messageText' in text) return String((text as { messageText: unknown }).messageText);
  return '';
}

/** Keeps the last line's indent, adding two spaces after an opening bracket. */
function nextLineIndent(code: string): string {
  const lastLine = code.slice(code.lastIndexOf('\n') + 1);
  const indent = /^[ \t]*/.exec(lastLine)?.[0] ?? '';
  return /[{([]\s*$/.test(lastLine) ? `${indent}  ` : indent;
}
