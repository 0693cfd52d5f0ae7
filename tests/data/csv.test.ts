import { describe, expect, it } from 'vitest';
import { csvField, decodeText, formatCsv, parseCsv } from '../../kernel-lib/src/data/csv';

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas and line breaks inside quotes, with start lines', () => {
    const text = 'id,content\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines"\n4,plain\n';
    const { rows, issues } = parseCsv(text, 'x.csv');
    expect(issues).toEqual([]);
    expect(rows).toEqual([
      { line: 1, fields: ['id', 'content'] },
      { line: 2, fields: ['1', 'a, b'] },
      { line: 3, fields: ['2', 'say "hi"'] },
      { line: 4, fields: ['3', 'two\nlines'] },
      { line: 6, fields: ['4', 'plain'] },
    ]);
  });

  it('accepts CRLF, a BOM, empty fields and a missing final newline', () => {
    const { rows } = parseCsv('\ufeffa,b\r\n1,\r\n,2', 'x.csv');
    expect(rows.map((r) => r.fields)).toEqual([['a', 'b'], ['1', ''], ['', '2']]);
  });

  it('reports an unterminated quote at the line where it starts', () => {
    const { issues } = parseCsv('a,b\n1,"open\n2,3\n', 'x.csv');
    expect(issues).toEqual([{ file: 'x.csv', line: 2, message: expect.stringMatching(/never closed/) }]);
  });

  it('round-trips through formatCsv', () => {
    const rows = [[1, '脚踝扭伤，怎么办？'], [2, 'comma, "quote"\nnewline']];
    const { rows: back } = parseCsv(formatCsv(['id', 'content'], rows), 'x.csv');
    expect(back.slice(1).map((r) => r.fields)).toEqual(rows.map((r) => r.map(String)));
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a"b')).toBe('"a""b"');
  });
});

describe('decodeText', () => {
  it('decodes UTF-8 (dropping a BOM) and falls back to GB18030', () => {
    expect(decodeText(Buffer.from('\ufeff问题', 'utf8'))).toEqual({ text: '问题', encoding: 'utf-8' });
    // "你好" in GBK/GB18030 is C4 E3 BA C3, which is not valid UTF-8.
    expect(decodeText(Buffer.from([0xc4, 0xe3, 0xba, 0xc3]))).toEqual({ text: '你好', encoding: 'gb18030' });
    expect(() => decodeText(Buffer.from([0xc4, 0xe3]), 'utf-8')).toThrow();
  });
});
