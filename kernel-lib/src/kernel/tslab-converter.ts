/**
 * tslab's cell converter (type-check + compile, with declarations carried from
 * cell to cell), loaded so that it also yields source maps.
 *
 * tslab compiles a cell twice: TypeScript to ES modules (in a watch program),
 * then ES modules to CommonJS (`transpileModule`). Neither step keeps a map,
 * so runtime errors could not point at cell lines. We evaluate tslab's
 * `converter.js` ourselves with a `require` that hands it a view of its
 * TypeScript in which the watch program emits inline maps (and checks null
 * strictly, see `CELL_COMPILER_OPTIONS`) and the second step returns its map;
 * nothing in node_modules is modified.
 */
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { splitInlineSourceMap } from './source-map';
import { loadTslabTypeScript, tslabDirectory, type TslabTypeScript } from './tslab-modules';

/** A zero-based position in a cell as tslab reports it. */
export interface DiagnosticPosition {
  offset: number;
  line: number;
  character: number;
}

/** A type-check or syntax error in a cell (or in a local file the cell imports). */
export interface CellDiagnostic {
  start: DiagnosticPosition;
  end: DiagnosticPosition;
  messageText: string;
  category: number;
  code: number;
  /** Set when the error is in another file under the notebook's folder. */
  fileName?: string;
}

/** A compiled cell. */
export interface ConvertedCell {
  /** CommonJS code; absent when the cell failed to type-check. */
  output?: string;
  /** Declarations to carry to the next cell. */
  declOutput?: string;
  diagnostics: CellDiagnostic[];
  /** Name of the export that holds the cell's last expression. */
  lastExpressionVar?: string;
  hasToplevelAwait?: boolean;
  /** Local `.ts`/`.js` files the cell imports, compiled. */
  sideOutputs?: { path: string; data: string }[];
  /** Source map JSON from `output` back to the cell (CommonJS -> ES module -> TypeScript), decoded only when an error needs it. */
  sourceMaps: string[];
}

/** Completion candidates (UTF-16 offsets). */
export interface CellCompletions {
  start: number;
  end: number;
  candidates: string[];
}

/** The converter API we use. */
export interface CellConverter {
  convert(prevDecl: string, src: string): ConvertedCell;
  inspect(prevDecl: string, src: string, position: number): unknown;
  complete(prevDecl: string, src: string, position: number): CellCompletions;
  close(): void;
}

interface TslabConverterModule {
  createConverter(options: { isJS: boolean; isBrowser: boolean }): Omit<CellConverter, 'convert'> & {
    convert(prevDecl: string, src: string): Omit<ConvertedCell, 'sourceMaps'>;
  };
}

/**
 * Creates a converter for Node cells, rooted at `process.cwd()` (the notebook's folder).
 * Takes about a second: TypeScript loads the standard library declarations.
 *
 * @example
 * const converter = createCellConverter();
 * const cell = converter.convert('', 'const x: number = 1;\nx + 1');
 * cell.output; // CommonJS that sets exports.x and exports.tsLastExpr
 */
export function createCellConverter(): CellConverter {
  const ts = loadTslabTypeScript();
  const capturedMaps = new Map<string, string[]>();
  const converterModule = loadConverterModule(createTypeScriptView(ts, capturedMaps));
  const inner = converterModule.createConverter({ isJS: false, isBrowser: false });
  return {
    convert(prevDecl, src) {
      capturedMaps.clear();
      const result = inner.convert(prevDecl, src);
      const sourceMaps = (result.output !== undefined && capturedMaps.get(result.output)) || [];
      capturedMaps.clear();
      return { ...result, sourceMaps };
    },
    inspect: (prevDecl, src, position) => inner.inspect(prevDecl, src, position),
    complete: (prevDecl, src, position) => inner.complete(prevDecl, src, position),
    close: () => inner.close(),
  };
}

/**
 * What we add to tslab's compiler options: inline source maps (for cell line
 * numbers) and `strictNullChecks`, without which TypeScript does not narrow
 * unions on a boolean (`if (!result.ok) result.reason` fails to type-check),
 * the way this library reports errors as values.
 */
export const CELL_COMPILER_OPTIONS = { inlineSourceMap: true, strictNullChecks: true } as const;

/**
 * A stand-in for tslab's TypeScript module: every export forwards to the real
 * one, except the two calls we extend with source maps.
 */
function createTypeScriptView(ts: TslabTypeScript, capturedMaps: Map<string, string[]>): object {
  const view: Record<string, unknown> = {};
  for (const key of Object.keys(ts)) {
    Object.defineProperty(view, key, {
      enumerable: true,
      configurable: true,
      get: () => (ts as unknown as Record<string, unknown>)[key],
    });
  }
  Object.defineProperty(view, 'createWatchCompilerHost', {
    enumerable: true,
    value: (rootFiles: unknown, options: Record<string, unknown>, ...rest: unknown[]) =>
      ts.createWatchCompilerHost(rootFiles, { ...options, ...CELL_COMPILER_OPTIONS }, ...rest),
  });
  Object.defineProperty(view, 'transpileModule', {
    enumerable: true,
    value: (input: unknown, options: { compilerOptions?: Record<string, unknown>; fileName?: string }) => {
      if (typeof input !== 'string') return ts.transpileModule(input as string, options);
      const { code, mapJson } = splitInlineSourceMap(input);
      const result = ts.transpileModule(code, {
        ...options,
        compilerOptions: { ...options.compilerOptions, sourceMap: true, inlineSourceMap: false },
      });
      const outputText = result.outputText.replace(/\n?\/\/# sourceMappingURL=[^\n]*\s*$/, '\n');
      if (result.sourceMapText && mapJson) capturedMaps.set(outputText, [result.sourceMapText, mapJson]);
      return { ...result, outputText };
    },
  });
  return view;
}

function loadConverterModule(tsView: object): TslabConverterModule {
  const filename = join(tslabDirectory(), 'dist', 'converter.js');
  const baseRequire = createRequire(filename);
  const mod = new Module(filename, module);
  mod.filename = filename;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(filename));
  const patchedRequire = ((id: string) => (id === '@tslab/typescript-for-tslab' ? tsView : baseRequire(id))) as NodeJS.Require;
  Object.assign(patchedRequire, { resolve: baseRequire.resolve, cache: baseRequire.cache, main: baseRequire.main });
  mod.require = patchedRequire;
  (mod as unknown as { _compile(code: string, filename: string): void })._compile(readFileSync(filename, 'utf8'), filename);
  return mod.exports as TslabConverterModule;
}
