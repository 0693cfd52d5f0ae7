import { describe, expect, it } from 'vitest';
import { displayWidth, wrapText } from '../../kernel-lib/src/eval/text-wrap';

describe('displayWidth', () => {
  it('counts CJK and fullwidth characters as two columns', () => {
    expect(displayWidth('knee')).toBe(4);
    expect(displayWidth('膝关节')).toBe(6);
    expect(displayWidth('ACL（前交叉韧带）')).toBe(3 + 2 * 7);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('wrapText', () => {
  it('breaks English at spaces and never exceeds the width', () => {
    const text = 'Tendons respond slowly to load, so most programmes run for at least three months, and some people need six months.';
    for (const width of [12, 20, 33]) {
      const lines = wrapText(text, width);
      for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(width);
      expect(lines.join(' ')).toBe(text);
    }
  });

  it('breaks Chinese between characters, counting two columns each', () => {
    const text = '踝关节扭伤后应先休息、冰敷、加压和抬高患肢，然后逐步恢复负重训练。';
    const lines = wrapText(text, 10);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(10);
    expect(lines.slice(0, -1).every((l) => displayWidth(l) >= 9)).toBe(true);
    expect(lines.join('')).toBe(text);
  });

  it('keeps newlines, splits over-long words and rejects silly widths', () => {
    expect(wrapText('one\n\ntwo', 10)).toEqual(['one', '', 'two']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('', 10)).toEqual(['']);
    expect(() => wrapText('x', 1)).toThrow(RangeError);
  });
});
