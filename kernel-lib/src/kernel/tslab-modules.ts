/**
 * The one place that reaches into tslab's package: its TypeScript build, its
 * zeromq, its converter and its public display module. These are deep imports
 * of tslab 1.0.22 (its last release), not a public API; `checkTslabVersion`
 * says so when a different version is installed.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as zmq from 'zeromq';

/** The tslab version whose internals this kernel was written against. */
export const TESTED_TSLAB_VERSION = '1.0.22';

const ownRequire = createRequire(__filename);

/**
 * The directory of the tslab package this kernel uses.
 *
 * @example
 * tslabDirectory(); // '/.../node_modules/tslab'
 */
export function tslabDirectory(): string {
  return dirname(ownRequire.resolve('tslab/package.json'));
}

/** A `require` that resolves like tslab's own files do (finds tslab's dependencies). */
export function tslabRequire(): NodeJS.Require {
  return createRequire(join(tslabDirectory(), 'dist', 'main.js'));
}

/**
 * A warning when the installed tslab differs from the tested version, else `undefined`.
 *
 * @example
 * const warning = checkTslabVersion(); if (warning) log(warning);
 */
export function checkTslabVersion(): string | undefined {
  const version = (ownRequire('tslab/package.json') as { version: string }).version;
  if (version === TESTED_TSLAB_VERSION) return undefined;
  return `tslab ${version} is installed; this kernel uses tslab ${TESTED_TSLAB_VERSION}'s internal converter and may misbehave`;
}

/** zeromq 6, loaded from tslab's dependencies (it ships prebuilt addons). */
export function loadZeromq(): typeof zmq {
  return tslabRequire()('zeromq') as typeof zmq;
}

/** The TypeScript build bundled with tslab (the one its converter uses). */
export function loadTslabTypeScript(): TslabTypeScript {
  return tslabRequire()('@tslab/typescript-for-tslab') as TslabTypeScript;
}

/** tslab's public module (`import { display } from "tslab"` in a cell gets this). */
export function loadTslabPublic(): unknown {
  return ownRequire('tslab');
}

/**
 * Routes tslab's own `display` API into this kernel: tslab's public module
 * calls `jupyter.lastWriteDisplayData`, which we set to our sender.
 */
export function wireTslabDisplay(write: (data: TslabDisplayData, update: boolean) => void): void {
  const jupyter = ownRequire('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
  jupyter.lastWriteDisplayData = write;
}

/** The message tslab's display API hands to `lastWriteDisplayData`. */
export interface TslabDisplayData {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

/** tslab's `printQuickInfo`, which renders an inspection result as text. */
export function loadPrintQuickInfo(): (info: unknown) => string {
  return (ownRequire('tslab/dist/inspect') as { printQuickInfo: (info: unknown) => string }).printQuickInfo;
}

/**
 * The parts of tslab's TypeScript 5.0 we use (typed loosely on purpose: we do
 * not want our build to depend on the declarations of a second TypeScript).
 */
export interface TslabTypeScript {
  version: string;
  sys: TsSystem;
  ScriptTarget: { Latest: number };
  ScriptKind: { TS: number };
  createSourceFile(name: string, text: string, target: number, setParents?: boolean, kind?: number): {
    parseDiagnostics?: { start?: number; length?: number; code: number; messageText: unknown }[];
  };
  createWatchCompilerHost(...args: unknown[]): unknown;
  transpileModule(input: string, options: { compilerOptions?: Record<string, unknown>; fileName?: string }): {
    outputText: string;
    sourceMapText?: string;
  };
}

/** The file-system methods of `ts.sys` our module resolution wraps. */
export interface TsSystem {
  fileExists(path: string): boolean;
  directoryExists(path: string): boolean;
  readFile(path: string, encoding?: string): string | undefined;
  realpath?(path: string): string;
  getDirectories(path: string): string[];
  [other: string]: unknown;
}
