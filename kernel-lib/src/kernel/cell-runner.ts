/**
 * Runs cells: type-check and compile with tslab's converter, execute the
 * CommonJS in this process's global context (top-level await included), and
 * hand back the last expression's value or a cell-line error report.
 */
import vm from 'node:vm';
import { CompiledCells } from './compiled-cells';
import { createCellConverter, type CellConverter, type ConvertedCell } from './tslab-converter';
import { createCellRequire } from './cell-modules';
import {
  diagnosticsError,
  interruptedError,
  isSigintError,
  runtimeError,
  type ErrorContent,
} from './error-report';

/** The outcome of one cell. */
export type CellOutcome =
  | { status: 'ok'; hasValue: boolean; value: unknown }
  | { status: 'error'; error: ErrorContent };

/** How a cell is named and stopped. */
export interface RunOptions {
  /** Tracebacks name the cell this way, e.g. `Cell In[3]`. */
  label: string;
  /** Aborting it interrupts the cell (its awaits stop waiting). */
  signal?: AbortSignal;
  /** Evaluate only: do not keep the cell's declarations (user_expressions). */
  keepDeclarations?: boolean;
}

/** Module resolution extras for cells (see `cell-modules`). */
export interface CellRunnerOptions {
  rootDir: string;
  aliases: ReadonlyMap<string, string>;
  builtins: ReadonlyMap<string, () => unknown>;
  /** Converter to use; created from tslab when omitted. */
  converter?: CellConverter;
}

const SCOPE_KEY = Symbol.for('galore-lab.cell-scope');

/**
 * Creates a cell runner for the notebook in `rootDir`.
 *
 * @example
 * const runner = new CellRunner({ rootDir: process.cwd(), aliases: new Map(), builtins: new Map() });
 * await runner.run('const x = 20;\nx * 2', { label: 'Cell In[1]' }); // { status: 'ok', hasValue: true, value: 40 }
 */
export class CellRunner {
  readonly cells = new CompiledCells();
  private readonly converter: CellConverter;
  private readonly sideOutputs = new Map<string, string>();
  private readonly exports: Record<string, unknown>;
  private previousDeclarations = '';
  private serial = 0;

  constructor(options: CellRunnerOptions) {
    this.converter = options.converter ?? createCellConverter();
    this.exports = createCellExports();
    const scope = {
      exports: this.exports,
      require: createCellRequire({ ...options, sideOutputs: this.sideOutputs }),
    };
    Object.defineProperty(globalThis, SCOPE_KEY, { value: scope, configurable: true });
  }

  /** Variables the cells have defined so far (by name). */
  get locals(): Readonly<Record<string, unknown>> {
    return this.exports;
  }

  /** Type-checks, compiles and runs one cell. */
  async run(code: string, options: RunOptions): Promise<CellOutcome> {
    let converted: ConvertedCell;
    try {
      converted = this.converter.convert(this.previousDeclarations, code);
    } catch (error) {
      return { status: 'error', error: compilerCrash(error) };
    }
    for (const side of converted.sideOutputs ?? []) this.sideOutputs.set(side.path, side.data);
    if (converted.diagnostics.length > 0) {
      return { status: 'error', error: diagnosticsError(converted.diagnostics, options.label, code) };
    }
    const keep = options.keepDeclarations ?? true;
    if (!converted.output) {
      if (keep) this.previousDeclarations = converted.declOutput ?? '';
      return { status: 'ok', hasValue: false, value: undefined };
    }
    const outcome = await this.execute(converted, code, options);
    if (keep) this.previousDeclarations = converted.declOutput ?? this.previousDeclarations;
    return outcome;
  }

  /** Quick info (type and docs) at `position` (UTF-16 offset), or undefined. */
  inspect(code: string, position: number): unknown {
    return this.converter.inspect(this.previousDeclarations, code, position);
  }

  /** Completion candidates at `position` (UTF-16 offset). */
  complete(code: string, position: number): { start: number; end: number; candidates: string[] } {
    return this.converter.complete(this.previousDeclarations, code, position);
  }

  /** Releases the converter's file watchers. */
  close(): void {
    this.converter.close();
  }

  private async execute(converted: ConvertedCell, code: string, options: RunOptions): Promise<CellOutcome> {
    this.serial += 1;
    const filename = `galore-cell-${this.serial}.js`;
    const prefix = converted.hasToplevelAwait ? '(async function (exports, require) { ' : '(function (exports, require) { ';
    const scope = `globalThis[Symbol.for(${JSON.stringify(SCOPE_KEY.description)})]`;
    const wrapped = `${prefix}${converted.output}\n})(${scope}.exports, ${scope}.require)`;
    this.cells.add({ filename, label: options.label, source: code, maps: converted.sourceMaps, firstLineOffset: prefix.length });
    try {
      if (options.signal?.aborted) return { status: 'error', error: interruptedError() };
      const returned: unknown = vm.runInThisContext(wrapped, { filename, breakOnSigint: true, displayErrors: false });
      if (converted.hasToplevelAwait) await raceWithAbort(returned as Promise<unknown>, options.signal);
    } catch (error) {
      if (error === INTERRUPTED || isSigintError(error)) return { status: 'error', error: interruptedError() };
      return { status: 'error', error: runtimeError(error, this.cells) };
    }
    const name = converted.lastExpressionVar;
    if (!name || !(name in this.exports)) return { status: 'ok', hasValue: false, value: undefined };
    const value = this.exports[name];
    delete this.exports[name];
    return { status: 'ok', hasValue: value !== undefined, value };
  }
}

const INTERRUPTED = Symbol('interrupted');

function raceWithAbort(promise: Promise<unknown>, signal: AbortSignal | undefined): Promise<unknown> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(INTERRUPTED);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The `exports` object cells write their top-level names to. TypeScript emits
 * named imports as `Object.defineProperty` getters; storing their values keeps
 * every name reassignable by later cells.
 */
function createCellExports(): Record<string, unknown> {
  const store: Record<string, unknown> = {};
  return new Proxy(store, {
    defineProperty(target, property, attributes) {
      if (property === '__esModule') return true;
      target[property as string] = attributes.get ? attributes.get() : attributes.value;
      return true;
    },
  });
}

function compilerCrash(error: unknown): ErrorContent {
  const message = error instanceof Error ? error.message : String(error);
  return {
    ename: 'CompilerError',
    evalue: `the TypeScript converter failed on this cell: ${message}`,
    traceback: [`CompilerError: the TypeScript converter failed on this cell: ${message}`],
  };
}
