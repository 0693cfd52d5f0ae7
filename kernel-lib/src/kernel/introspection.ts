/**
 * Completion, inspection and `expr?` help, in the protocol's units: since
 * protocol 5.2 `cursor_pos` counts Unicode code points, while JavaScript
 * strings (and TypeScript) count UTF-16 units.
 */

/**
 * Converts a code-point offset to a UTF-16 offset.
 *
 * @example
 * codePointsToUtf16('😀x', 1); // 2
 */
export function codePointsToUtf16(text: string, codePoints: number): number {
  let utf16 = 0;
  let seen = 0;
  for (const char of text) {
    if (seen >= codePoints) break;
    utf16 += char.length;
    seen += 1;
  }
  return utf16;
}

/**
 * Converts a UTF-16 offset to a code-point offset.
 *
 * @example
 * utf16ToCodePoints('😀x', 2); // 1
 */
export function utf16ToCodePoints(text: string, utf16: number): number {
  return [...text.slice(0, utf16)].length;
}

/**
 * Recognizes IPython-style help: `expr?` or `?expr` alone in a cell, where
 * `expr` is a dotted name such as `Math.max` or `model.config`.
 *
 * @example
 * parseHelpRequest('Math.max?'); // 'Math.max'
 * parseHelpRequest('a ? b : c'); // undefined
 */
export function parseHelpRequest(code: string): string | undefined {
  const match = /^\s*(?:\?\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)|([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\?)\s*$/.exec(code);
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * The completion reply content for a request.
 *
 * @example
 * completionReply('Math.ma', 7, (code, at) => runner.complete(code, at));
 * // { status: 'ok', matches: ['max'], cursor_start: 5, cursor_end: 7, metadata: {} }
 */
export function completionReply(
  code: string,
  cursorPos: number,
  complete: (code: string, at: number) => { start: number; end: number; candidates: string[] },
): Record<string, unknown> {
  const found = complete(code, codePointsToUtf16(code, cursorPos));
  return {
    status: 'ok',
    matches: found.candidates,
    cursor_start: utf16ToCodePoints(code, found.start),
    cursor_end: utf16ToCodePoints(code, found.end),
    metadata: {},
  };
}

/**
 * The inspection reply content: TypeScript's quick info (signature and docs)
 * as `text/plain` and as a `text/markdown` code block.
 *
 * @example
 * inspectionReply('Math.max', 6, (code, at) => runner.inspect(code, at), printQuickInfo);
 */
export function inspectionReply(
  code: string,
  cursorPos: number,
  inspect: (code: string, at: number) => unknown,
  render: (info: unknown) => string,
): Record<string, unknown> {
  const info = inspect(code, codePointsToUtf16(code, cursorPos));
  if (!info) return { status: 'ok', found: false, data: {}, metadata: {} };
  const text = render(info);
  const [signature, ...docs] = text.split('\n');
  return {
    status: 'ok',
    found: true,
    data: {
      'text/plain': text,
      'text/markdown': ['```typescript', signature, '```', ...docs].join('\n'),
    },
    metadata: {},
  };
}
