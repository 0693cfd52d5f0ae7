/**
 * Just enough of Source Map v3 to turn a position in a compiled cell back into
 * the cell's own line: decode `mappings`, look a position up, chain two maps.
 */

/** One decoded mapping segment (all numbers zero-based). */
export interface MappingSegment {
  generatedColumn: number;
  sourceLine: number;
  sourceColumn: number;
}

/** A decoded source map: for each generated line, its segments sorted by column. */
export interface DecodedSourceMap {
  lines: MappingSegment[][];
}

/** A zero-based position. */
export interface SourcePosition {
  line: number;
  column: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64].map((c, i) => [c, i] as const));

/**
 * Decodes one Base64 VLQ-encoded segment into its integers.
 *
 * @example
 * decodeVlqSegment('AAgBC'); // [0, 0, 16, 1]
 */
export function decodeVlqSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64_VALUE.get(char);
    if (digit === undefined) throw new Error(`invalid base64 VLQ character ${JSON.stringify(char)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

/**
 * Decodes a source map's JSON (single source; names ignored).
 *
 * @example
 * const map = decodeSourceMap('{"version":3,"sources":["a.ts"],"mappings":"AAAA;AACA"}');
 * map.lines[1][0].sourceLine; // 1
 */
export function decodeSourceMap(json: string): DecodedSourceMap {
  const parsed = JSON.parse(json) as { mappings?: unknown };
  if (typeof parsed.mappings !== 'string') throw new Error('source map has no "mappings" string');
  const lines: MappingSegment[][] = [];
  let sourceLine = 0;
  let sourceColumn = 0;
  for (const lineText of parsed.mappings.split(';')) {
    const segments: MappingSegment[] = [];
    let generatedColumn = 0;
    for (const segmentText of lineText.split(',')) {
      if (segmentText === '') continue;
      const fields = decodeVlqSegment(segmentText);
      generatedColumn += fields[0];
      if (fields.length >= 4) {
        sourceLine += fields[2];
        sourceColumn += fields[3];
        segments.push({ generatedColumn, sourceLine, sourceColumn });
      }
    }
    segments.sort((a, b) => a.generatedColumn - b.generatedColumn);
    lines.push(segments);
  }
  return { lines };
}

/**
 * Maps a generated position to its source position: the last segment on the
 * line at or before the column (or the line's first segment), `undefined` for
 * lines without mappings.
 *
 * @example
 * lookupSourcePosition(map, { line: 1, column: 4 }); // { line: 1, column: 0 }
 */
export function lookupSourcePosition(map: DecodedSourceMap, position: SourcePosition): SourcePosition | undefined {
  const segments = map.lines[position.line];
  if (!segments || segments.length === 0) return undefined;
  let best = segments[0];
  for (const segment of segments) {
    if (segment.generatedColumn > position.column) break;
    best = segment;
  }
  return { line: best.sourceLine, column: best.sourceColumn };
}

/**
 * Maps a position through a chain of maps (final output first).
 *
 * @example
 * // commonjs -> esm -> typescript
 * lookupThroughChain([cjsToEsm, esmToTs], { line: 9, column: 10 });
 */
export function lookupThroughChain(
  maps: readonly DecodedSourceMap[],
  position: SourcePosition,
): SourcePosition | undefined {
  let current: SourcePosition | undefined = position;
  for (const map of maps) {
    if (!current) return undefined;
    current = lookupSourcePosition(map, current);
  }
  return current;
}

/**
 * Splits an inline `//# sourceMappingURL=data:...;base64,...` comment off a
 * JavaScript text; returns the code without it and the decoded map JSON.
 *
 * @example
 * const { code, mapJson } = splitInlineSourceMap(emitted);
 */
export function splitInlineSourceMap(text: string): { code: string; mapJson: string | undefined } {
  const match = /\n?\/\/# sourceMappingURL=data:application\/json;(?:charset=[^;,]+;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(text);
  if (!match) return { code: text, mapJson: undefined };
  return {
    code: text.slice(0, match.index) + '\n',
    mapJson: Buffer.from(match[1], 'base64').toString('utf8'),
  };
}
