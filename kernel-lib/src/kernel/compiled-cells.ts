/**
 * A record of the cells compiled so far, so that stack frames from any of
 * them (a function defined three cells ago) map back to cell lines.
 */
import { decodeSourceMap, lookupThroughChain, type DecodedSourceMap } from './source-map';

/** One compiled cell. */
export interface CompiledCell {
  /** The file name its code runs under (appears in V8 stack frames). */
  filename: string;
  /** How tracebacks name it, e.g. `Cell In[3]`. */
  label: string;
  /** The cell's TypeScript source. */
  source: string;
  /** CommonJS -> ES module -> TypeScript source map JSON (decoded on first use). */
  maps: string[];
  /** Characters of wrapper code in front of the first generated line. */
  firstLineOffset: number;
}

/** A position in a cell: 1-based line and column, as people count. */
export interface CellLocation {
  cell: CompiledCell;
  line: number;
  column: number;
}

/**
 * Remembers the last `capacity` compiled cells by file name.
 *
 * @example
 * const cells = new CompiledCells();
 * cells.add(cell);
 * cells.locate('cell-3.js', 7, 12); // { cell, line: 4, column: 5 }
 */
export class CompiledCells {
  private readonly byFilename = new Map<string, CompiledCell>();
  private readonly decoded = new Map<string, DecodedSourceMap[] | undefined>();

  constructor(private readonly capacity = 2000) {}

  add(cell: CompiledCell): void {
    this.byFilename.set(cell.filename, cell);
    if (this.byFilename.size > this.capacity) {
      const oldest = this.byFilename.keys().next().value;
      if (oldest !== undefined) {
        this.byFilename.delete(oldest);
        this.decoded.delete(oldest);
      }
    }
  }

  get(filename: string): CompiledCell | undefined {
    return this.byFilename.get(filename);
  }

  /** Maps a V8 position (1-based line and column in the generated code) to the cell. */
  locate(filename: string, line: number, column: number): CellLocation | undefined {
    const cell = this.byFilename.get(filename);
    if (!cell) return undefined;
    const maps = this.decodedMaps(cell);
    if (!maps) return undefined;
    const generatedColumn = line === 1 ? Math.max(0, column - 1 - cell.firstLineOffset) : column - 1;
    const source = lookupThroughChain(maps, { line: line - 1, column: generatedColumn });
    // Line 0 of the TypeScript is tslab's `export {};` prefix, so line N is the cell's line N.
    if (!source || source.line < 1) return undefined;
    return { cell, line: source.line, column: source.column + 1 };
  }

  private decodedMaps(cell: CompiledCell): DecodedSourceMap[] | undefined {
    if (!this.decoded.has(cell.filename)) {
      let maps: DecodedSourceMap[] | undefined;
      try {
        maps = cell.maps.length > 0 ? cell.maps.map(decodeSourceMap) : undefined;
      } catch {
        maps = undefined; // an unreadable map only costs line numbers
      }
      this.decoded.set(cell.filename, maps);
    }
    return this.decoded.get(cell.filename);
  }
}
