import { describe, expect, it } from 'vitest';
import {
  codePointsToUtf16,
  completionReply,
  inspectionReply,
  parseHelpRequest,
  utf16ToCodePoints,
} from '../../kernel-lib/src/kernel/introspection';

describe('introspection helpers', () => {
  it('converts between code points (the protocol) and UTF-16 (JavaScript)', () => {
    const text = 'const 😀 = "🦜"; x';
    expect(codePointsToUtf16(text, 7)).toBe(8);
    expect(utf16ToCodePoints(text, 8)).toBe(7);
    expect(codePointsToUtf16(text, [...text].length)).toBe(text.length);
  });

  it('recognizes `expr?` and `?expr` help only for dotted names', () => {
    expect(parseHelpRequest('Math.max?')).toBe('Math.max');
    expect(parseHelpRequest('  ?model.config  ')).toBe('model.config');
    expect(parseHelpRequest('a ? b : c')).toBeUndefined();
    expect(parseHelpRequest('f()?')).toBeUndefined();
  });

  it('reports completion offsets in code points', () => {
    const code = '"🦜"; Math.ma';
    const reply = completionReply(code, [...code].length, (c, at) => {
      expect(at).toBe(c.length);
      return { start: at - 2, end: at, candidates: ['max'] };
    });
    expect(reply).toEqual({ status: 'ok', matches: ['max'], cursor_start: [...code].length - 2, cursor_end: [...code].length, metadata: {} });
  });

  it('returns found: false without quick info, and text plus markdown with it', () => {
    expect(inspectionReply('x', 1, () => undefined, () => '')).toEqual({ status: 'ok', found: false, data: {}, metadata: {} });
    const reply = inspectionReply('x', 1, () => ({}), () => 'const x: number\n\nThe rank.');
    expect(reply.data).toEqual({
      'text/plain': 'const x: number\n\nThe rank.',
      'text/markdown': '```typescript\nconst x: number\n```\n\nThe rank.',
    });
  });
});
