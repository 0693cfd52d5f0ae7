/**
 * Errors as Jupyter shows them: `ename`, `evalue` and a traceback that points
 * at the cell's own lines, for type-check errors and runtime errors alike.
 */
import { sep } from 'node:path';
import { inspect } from 'node:util';
import type { CellDiagnostic } from './tslab-converter';
import type { CompiledCells } from './compiled-cells';

/** The content of an `error` message and of an error reply. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

const RED = '\u001b[31m';
const CYAN = '\u001b[36m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/** The ename of type-check and syntax errors. */
export const TYPE_ERROR_NAME = 'TSError';
/** The ename of an interrupted cell. */
export const INTERRUPTED_NAME = 'InterruptedError';

/**
 * Reports type-check errors: `evalue` is the first message, the traceback
 * lists every error with its cell line and a caret under the column.
 *
 * @example
 * diagnosticsError(cell.diagnostics, 'Cell In[2]', code).evalue;
 * // "Type 'number' is not assignable to type 'string'. (TS2322)"
 */
export function diagnosticsError(diagnostics: readonly CellDiagnostic[], label: string, source: string): ErrorContent {
  const first = diagnostics[0];
  const traceback = [`${RED}${TYPE_ERROR_NAME}${RESET}: ${describeDiagnostic(first)}`];
  for (const diagnostic of diagnostics) {
    const line = diagnostic.start.line + 1;
    const column = diagnostic.start.character + 1;
    if (diagnostic.fileName) {
      traceback.push(`${CYAN}${diagnostic.fileName}, line ${line}, column ${column}${RESET}: ${describeDiagnostic(diagnostic)}`);
      continue;
    }
    traceback.push(`${CYAN}${label}, line ${line}, column ${column}${RESET}: ${describeDiagnostic(diagnostic)}`);
    traceback.push(...sourceExcerpt(source, line, column));
  }
  return { ename: TYPE_ERROR_NAME, evalue: describeDiagnostic(first), traceback };
}

/**
 * Reports a thrown value; stack frames inside cells are rewritten to cell
 * lines, and the kernel's own frames are dropped.
 *
 * @example
 * runtimeError(new RangeError('bad rank'), cells).ename; // 'RangeError'
 */
export function runtimeError(error: unknown, cells: CompiledCells): ErrorContent {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'stack' in error)) {
    const evalue = inspect(error, { colors: false, depth: 2 });
    return { ename: 'Thrown', evalue, traceback: [`${RED}Thrown${RESET}: ${evalue}`] };
  }
  const err = error as Error;
  const ename = typeof err.name === 'string' && err.name ? err.name : 'Error';
  const evalue = typeof err.message === 'string' ? err.message : String(err.message);
  const traceback = [`${RED}${ename}${RESET}: ${evalue}`];
  const frames = mapStack(typeof err.stack === 'string' ? err.stack : '', cells);
  traceback.push(...frames.lines);
  if (frames.firstCellFrame) {
    const { cell, line, column } = frames.firstCellFrame;
    traceback.push(`${CYAN}${cell.label}, line ${line}${RESET}`, ...sourceExcerpt(cell.source, line, column));
  }
  if (err.cause !== undefined) {
    const cause = runtimeError(err.cause, cells);
    traceback.push('', `${BOLD}Caused by:${RESET}`, ...cause.traceback);
  }
  return { ename, evalue, traceback };
}

/**
 * The error of an interrupted cell.
 *
 * @example
 * interruptedError().ename; // 'InterruptedError'
 */
export function interruptedError(detail = 'the cell was interrupted'): ErrorContent {
  return { ename: INTERRUPTED_NAME, evalue: detail, traceback: [`${RED}${INTERRUPTED_NAME}${RESET}: ${detail}`] };
}

/**
 * Whether `error` is the one V8 throws when SIGINT stops synchronous code.
 *
 * @example
 * isSigintError(e); // true after Ctrl+C during a busy loop
 */
export function isSigintError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED';
}

function describeDiagnostic(diagnostic: CellDiagnostic | undefined): string {
  if (!diagnostic) return 'compilation failed';
  return `${diagnostic.messageText} (TS${diagnostic.code})`;
}

function sourceExcerpt(source: string, line: number, column: number): string[] {
  const lines = source.split('\n');
  const out: string[] = [];
  const width = String(Math.min(lines.length, line + 1)).length;
  for (let n = Math.max(1, line - 2); n <= Math.min(lines.length, line + 1); n++) {
    const marker = n === line ? `${RED}---->${RESET}` : '     ';
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) out.push(`      ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}${RED}^${RESET}`);
  }
  return out;
}

interface MappedStack {
  lines: string[];
  firstCellFrame?: { cell: NonNullable<ReturnType<CompiledCells['get']>>; line: number; column: number };
}

const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;

function mapStack(stack: string, cells: CompiledCells): MappedStack {
  const result: MappedStack = { lines: [] };
  for (const raw of stack.split('\n')) {
    const match = FRAME.exec(raw);
    if (!match) continue;
    const [, fn, file, lineText, columnText] = match;
    if (isKernelInternal(file)) continue;
    const location = cells.locate(file, Number(lineText), Number(columnText));
    const name = fn && fn !== 'eval' ? `${cleanFunctionName(fn)} ` : '';
    if (location) {
      result.firstCellFrame ??= location;
      result.lines.push(`    at ${name}(${CYAN}${location.cell.label}, line ${location.line}${RESET})`);
    } else if (cells.get(file)) {
      break; // the wrapper line that calls the cell: what lies below is the kernel calling the cell
    } else {
      result.lines.push(`    at ${name}(${file}:${lineText}:${columnText})`);
    }
  }
  return result;
}

function cleanFunctionName(name: string): string {
  // Cell functions are called through the `exports` proxy, which V8 names `Proxy.`.
  return name.replace(/^Object\.<anonymous>$/, '<cell>').replace(/^(?:Proxy|exports)\./, '');
}

/** Node's own frames and this kernel's frames say nothing about the user's code. */
function isKernelInternal(file: string): boolean {
  return file.startsWith('node:') || file.startsWith(KERNEL_DIR);
}

const KERNEL_DIR = `${__dirname}${sep}`;
