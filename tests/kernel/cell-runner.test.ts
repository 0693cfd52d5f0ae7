/**
 * The cell runner in-process: tslab's converter with source maps, our
 * executor, error reports with cell lines, interrupts, module resolution.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellRunner, type CellOutcome } from '../../kernel-lib/src/kernel/cell-runner';
import { aliasPackageForTypeScript, createCellRequire } from '../../kernel-lib/src/kernel/cell-modules';
import { runtimeError, diagnosticsError } from '../../kernel-lib/src/kernel/error-report';
import { CompiledCells } from '../../kernel-lib/src/kernel/compiled-cells';
import type { TsSystem } from '../../kernel-lib/src/kernel/tslab-modules';

const ANSI = /\u001b\[[0-9;]*m/g;
const plain = (lines: string[]) => lines.join('\n').replace(ANSI, '');
const KERNEL_LIB = join(__dirname, '..', '..', 'kernel-lib');

let runner: CellRunner;
let count = 0;
const run = (code: string, signal?: AbortSignal): Promise<CellOutcome> => runner.run(code, { label: `Cell In[${++count}]`, signal });

beforeAll(() => {
  runner = new CellRunner({ rootDir: process.cwd(), aliases: new Map(), builtins: new Map([['kernel-test-builtin', () => ({ answer: 42 })]]) });
});
afterAll(() => runner.close());

describe('CellRunner', () => {
  it('carries declarations between cells and returns the last expression', async () => {
    expect(await run('const rank: number = 8;\nfunction double(x: number) { return 2 * x; }')).toEqual({ status: 'ok', hasValue: false, value: undefined });
    expect(await run('double(rank)')).toEqual({ status: 'ok', hasValue: true, value: 16 });
    expect(await run('let rank2 = rank + 1;\nrank2')).toMatchObject({ value: 9 });
    expect(await run('console.log; undefined')).toMatchObject({ status: 'ok', hasValue: false });
    expect(await run('null')).toMatchObject({ status: 'ok', hasValue: true, value: null });
  });

  it('supports top-level await and redeclaring names in later cells', async () => {
    expect(await run('const later = await new Promise<string>((r) => setTimeout(() => r("done"), 5));\nlater')).toMatchObject({ value: 'done' });
    expect(await run('const later = 3;\nlater * 2')).toMatchObject({ value: 6 });
  });

  it('reports type errors with the cell line and column', async () => {
    const outcome = await run('const fine = 1;\nconst bad: string = fine;');
    expect(outcome.status).toBe('error');
    if (outcome.status !== 'error') return;
    expect(outcome.error.ename).toBe('TSError');
    expect(outcome.error.evalue).toBe("Type 'number' is not assignable to type 'string'. (TS2322)");
    expect(plain(outcome.error.traceback)).toContain(`Cell In[${count}], line 2, column 7`);
  });

  it('maps runtime errors back to the TypeScript line, across erased types', async () => {
    const outcome = await run(
      'type Shape = { rows: number };\n\ninterface Unused { x: number }\nfunction check(s: Shape): number {\n  if (s.rows < 0)\n    throw new RangeError("negative rows");\n  return s.rows;\n}\ncheck({ rows: -1 })',
    );
    expect(outcome.status).toBe('error');
    if (outcome.status !== 'error') return;
    expect(outcome.error).toMatchObject({ ename: 'RangeError', evalue: 'negative rows' });
    const text = plain(outcome.error.traceback);
    expect(text).toContain(`at check (Cell In[${count}], line 6)`);
    expect(text).toContain(`(Cell In[${count}], line 9)`);
    expect(text).toContain('---->');
    // Nothing below the cell: neither its wrapper nor whoever called the runner.
    expect(text).not.toMatch(/galore-cell-\d+\.js|cell-runner\.test|vitest/);
  });

  it('maps errors thrown after an await', async () => {
    const outcome = await run('await null;\n\nthrow new Error("after await")');
    if (outcome.status !== 'error') throw new Error('expected an error');
    expect(plain(outcome.error.traceback)).toContain(`(Cell In[${count}], line 3)`);
  });

  it('stops waiting when the cell signal aborts (interrupt)', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const outcome = await run('await new Promise(() => {});', controller.signal);
    expect(outcome).toMatchObject({ status: 'error', error: { ename: 'InterruptedError' } });
  });

  it('reports thrown non-errors and error causes', async () => {
    expect(await run('throw { code: 7 }')).toMatchObject({ status: 'error', error: { ename: 'Thrown', evalue: '{ code: 7 }' } });
    const outcome = await run('throw new Error("outer", { cause: new TypeError("inner") })');
    if (outcome.status !== 'error') throw new Error('expected an error');
    expect(plain(outcome.error.traceback)).toMatch(/Caused by:\nTypeError: inner/);
  });

  it('answers completion and inspection with the declarations so far', () => {
    expect(runner.complete('ran', 3).candidates).toContain('rank');
    const info = runner.inspect('double', 3) as { displayParts?: { text: string }[] } | undefined;
    expect(info?.displayParts?.map((p) => p.text).join('')).toBe('function double(x: number): number');
  });

  it('serves kernel builtins to require', async () => {
    expect(await run('(require("kernel-test-builtin") as { answer: number }).answer')).toMatchObject({ value: 42 });
  });
});

describe('cell module resolution', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cell-require-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('aliases galore-lab (and deep paths) for a folder that has no copy of its own', () => {
    const plainRequire = createCellRequire({ rootDir: dir, aliases: new Map(), builtins: new Map(), sideOutputs: new Map() });
    expect(() => plainRequire('galore-lab/package.json')).toThrow(/Cannot find module/);
    const aliased = createCellRequire({ rootDir: dir, aliases: new Map([['galore-lab', KERNEL_LIB]]), builtins: new Map(), sideOutputs: new Map() });
    expect((aliased('galore-lab/package.json') as { name: string }).name).toBe('galore-lab');
    expect(aliased.resolve('galore-lab/package.json')).toBe(join(KERNEL_LIB, 'package.json'));
  });

  it('loads local files compiled by the converter from memory', () => {
    const sideOutputs = new Map([[join(dir, 'helper.js'), 'exports.value = 7;']]);
    const req = createCellRequire({ rootDir: dir, aliases: new Map(), builtins: new Map(), sideOutputs });
    expect((req('./helper') as { value: number }).value).toBe(7);
  });

  it('shows TypeScript the aliased package under the notebook folder, and can undo it', () => {
    const files = new Set(['/pkg/package.json', '/pkg/dist/index.d.ts']);
    const sys = {
      fileExists: (p: string) => files.has(p),
      directoryExists: (p: string) => p === '/pkg' || p === '/pkg/dist',
      readFile: (p: string) => (files.has(p) ? `contents of ${p}` : undefined),
      realpath: (p: string) => p,
      getDirectories: () => [],
    } as TsSystem;
    const undo = aliasPackageForTypeScript(sys, '/notes', 'galore-lab', '/pkg');
    expect(sys.fileExists('/notes/node_modules/galore-lab/dist/index.d.ts')).toBe(true);
    expect(sys.directoryExists('/notes/node_modules')).toBe(true);
    expect(sys.readFile('/notes/node_modules/galore-lab/package.json')).toBe('contents of /pkg/package.json');
    expect(sys.realpath?.('/notes/node_modules/galore-lab/dist/index.d.ts')).toBe('/pkg/dist/index.d.ts');
    expect(sys.fileExists('/notes/node_modules/other/package.json')).toBe(false);
    undo();
    expect(sys.fileExists('/notes/node_modules/galore-lab/dist/index.d.ts')).toBe(false);
  });
});

describe('error reports', () => {
  it('lists every diagnostic with a source excerpt and caret', () => {
    const report = diagnosticsError(
      [
        { start: { offset: 0, line: 1, character: 4 }, end: { offset: 0, line: 1, character: 5 }, messageText: 'first', category: 1, code: 1 },
        { start: { offset: 0, line: 0, character: 0 }, end: { offset: 0, line: 0, character: 1 }, messageText: 'second', category: 1, code: 2, fileName: 'lib.ts' },
      ],
      'Cell In[4]',
      'const a = 1;\nlet b = a;',
    );
    expect(report.evalue).toBe('first (TS1)');
    expect(plain(report.traceback)).toBe(
      ['TSError: first (TS1)', 'Cell In[4], line 2, column 5: first (TS1)', '      1 | const a = 1;', '----> 2 | let b = a;', '        |     ^', 'lib.ts, line 1, column 1: second (TS2)'].join('\n'),
    );
  });

  it('keeps frames from library files and drops node internals', () => {
    const error = new Error('deep');
    error.stack = 'Error: deep\n    at inner (/lib/model.js:10:5)\n    at node:internal/process/task_queues:95:5';
    expect(plain(runtimeError(error, new CompiledCells()).traceback)).toBe('Error: deep\n    at inner (/lib/model.js:10:5)');
  });
});
