import { describe, expect, it } from 'vitest';
import {
  formatPythonFixed,
  fsum,
  isPythonWhitespace,
  pythonRound,
  pythonRstrip,
  pythonSplit,
  pythonStrip,
} from '../../kernel-lib/src/metrics/python-semantics';

describe('Python whitespace', () => {
  it('splits on the characters str.split() uses, which differ from JavaScript /\\s/', () => {
    // U+001C..U+001F and U+0085 are whitespace to Python, not to JavaScript.
    expect(pythonSplit('a\x1cb\x85c')).toEqual(['a', 'b', 'c']);
    expect('a\x1cb'.split(/\s+/)).toEqual(['a\x1cb']);
    // U+FEFF is whitespace to JavaScript, not to Python.
    expect(pythonSplit('a\ufeffb')).toEqual(['a\ufeffb']);
    expect(pythonSplit('  a \u3000 b\n')).toEqual(['a', 'b']);
    expect(pythonSplit(' \t\n ')).toEqual([]);
  });

  it('strips like str.strip() and str.rstrip()', () => {
    expect(pythonRstrip('  abc \x1f\n')).toBe('  abc');
    expect(pythonStrip('\u3000abc\xa0')).toBe('abc');
    expect(pythonStrip('\ufeffabc')).toBe('\ufeffabc');
    expect(isPythonWhitespace('\x85')).toBe(true);
    expect(isPythonWhitespace('\ufeff')).toBe(false);
  });
});

describe('pythonRound / formatPythonFixed', () => {
  it('sends exact ties to the even digit, where toFixed rounds away from zero', () => {
    // 0.03125 = 1/32 is exact in binary: a true tie between 0.0312 and 0.0313.
    expect((0.03125).toFixed(4)).toBe('0.0313');
    expect(formatPythonFixed(0.03125, 4)).toBe('0.0312');
    // 3/32 = 0.09375: the tie goes up to the even 0.0938.
    expect(formatPythonFixed(0.09375, 4)).toBe('0.0938');
    expect(formatPythonFixed(-0.03125, 4)).toBe('-0.0312');
    expect(formatPythonFixed(2.5, 0)).toBe('2');
    expect(formatPythonFixed(3.5, 0)).toBe('4');
  });

  it('rounds the exact binary value, like Python', () => {
    // 2.675 is stored as 2.67499999999999982236431605997495353221893310546875.
    expect(pythonRound(2.675, 2)).toBe(2.67);
    // 2.00005 is stored as 2.00004999999999988..., 1.00005 as 1.00005000000000010...
    expect(pythonRound(2.00005, 4)).toBe(2);
    expect(pythonRound(1.00005, 4)).toBe(1.0001);
    expect(pythonRound(35.35533905932738, 4)).toBe(35.3553);
    expect(pythonRound(99.9999995, 4)).toBe(100);
  });
});

describe('fsum', () => {
  it('returns the correctly rounded sum', () => {
    const tenths = new Array(10).fill(0.1);
    expect(tenths.reduce((a, b) => a + b, 0)).toBe(0.9999999999999999);
    expect(fsum(tenths)).toBe(1);
    expect(fsum([1e100, 1, -1e100])).toBe(1);
    expect(fsum([])).toBe(0);
  });

  it('applies the half-even correction across partials', () => {
    // From CPython's math.fsum notes: the 1e-16 pushes 1 + 1e16 up to ...002.
    expect(fsum([1e-16, 1, 1e16])).toBe(10000000000000002);
  });
});
