import { describe, expect, it } from 'vitest';
import {
  decodeSourceMap,
  decodeVlqSegment,
  lookupSourcePosition,
  lookupThroughChain,
  splitInlineSourceMap,
} from '../../kernel-lib/src/kernel/source-map';

describe('source maps', () => {
  it('decodes base64 VLQ, including negative and multi-digit values', () => {
    expect(decodeVlqSegment('AAgBC')).toEqual([0, 0, 16, 1]);
    expect(decodeVlqSegment('D')).toEqual([-1]);
    expect(decodeVlqSegment('2H')).toEqual([123]);
    expect(() => decodeVlqSegment('A*')).toThrow(/invalid base64 VLQ character/);
  });

  it('decodes mappings with source positions carried across lines', () => {
    // line 0: col 0 -> src (0,0); line 1: col 0 -> src (2,0), col 4 -> src (2,4); line 2: no mapping
    const map = decodeSourceMap(JSON.stringify({ version: 3, sources: ['a.ts'], mappings: 'AAAA;AAEA,IAAI;' }));
    expect(map.lines[1]).toEqual([
      { generatedColumn: 0, sourceLine: 2, sourceColumn: 0 },
      { generatedColumn: 4, sourceLine: 2, sourceColumn: 4 },
    ]);
    expect(lookupSourcePosition(map, { line: 1, column: 6 })).toEqual({ line: 2, column: 4 });
    expect(lookupSourcePosition(map, { line: 1, column: 2 })).toEqual({ line: 2, column: 0 });
    expect(lookupSourcePosition(map, { line: 2, column: 0 })).toBeUndefined();
  });

  it('maps through a chain of maps (final output first)', () => {
    const outer = decodeSourceMap(JSON.stringify({ mappings: ';;AACA' })); // out line 2 -> mid line 1
    const inner = decodeSourceMap(JSON.stringify({ mappings: 'AAAA;AAKA' })); // mid line 1 -> src line 5
    expect(lookupThroughChain([outer, inner], { line: 2, column: 0 })).toEqual({ line: 5, column: 0 });
    expect(lookupThroughChain([outer, inner], { line: 0, column: 0 })).toBeUndefined();
  });

  it('splits an inline source map comment off emitted code', () => {
    const json = '{"version":3,"mappings":"AAAA"}';
    const text = `const a = 1;\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(json).toString('base64')}`;
    expect(splitInlineSourceMap(text)).toEqual({ code: 'const a = 1;\n', mapJson: json });
    expect(splitInlineSourceMap('const b = 2;\n')).toEqual({ code: 'const b = 2;\n', mapJson: undefined });
  });
});
