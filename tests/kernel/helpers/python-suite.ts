/**
 * Runs one of the Python unittest suites in `tests/kernel/py` against a
 * freshly installed kernel, as a vitest suite.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IN_CI,
  createJupyterSandbox,
  ensureKernelBuilt,
  installKernelInto,
  missingPython,
  runPython,
  unittestReport,
  type JupyterSandbox,
  type ProcessResult,
} from './kernel-harness';

/** What a Python suite run should show. */
export interface PythonSuite {
  title: string;
  script: string;
  /** Python modules the suite imports. */
  modules: string[];
  /** How many unittest tests must run (none may be skipped). */
  expectedTests: number;
  timeoutMs: number;
  /** More checks on the finished run. */
  check?: (result: ProcessResult, report: string) => void;
}

/**
 * Declares the vitest suite for a Python script. Without Debian's Jupyter
 * packages it is skipped with the reason, except under CI, where it fails.
 */
export function describePythonSuite(suite: PythonSuite): void {
  const missing = missingPython(suite.modules);
  describe(suite.title, () => {
    let jupyter: JupyterSandbox;

    it('has its prerequisites (Debian python3 with the Jupyter packages)', () => {
      if (missing && IN_CI) throw new Error(`CI must provide: ${missing}`);
    });

    describe.skipIf(Boolean(missing))(missing ? `skipped: ${missing}` : 'against the installed kernel', () => {
      beforeAll(async () => {
        await ensureKernelBuilt();
        jupyter = createJupyterSandbox();
        await installKernelInto(jupyter, 'galore-lab-test');
      });
      afterAll(() => jupyter?.cleanup());

      it(
        `passes ${suite.script} (${suite.expectedTests} tests, none skipped)`,
        async () => {
          const result = await runPython(suite.script, [], {
            cwd: jupyter.notebookDir,
            env: { ...jupyter.env, GALORE_KERNEL_NAME: 'galore-lab-test' },
            timeoutMs: suite.timeoutMs,
          });
          const report = unittestReport(result);
          const log = join(jupyter.root, 'kernel.log');
          const context = `${report}\n--- kernel log ---\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : '(none)'}`;
          expect(result.code, context).toBe(0);
          expect(report, context).toMatch(new RegExp(`Ran ${suite.expectedTests} tests? in`));
          expect(report, context).toMatch(/\nOK\s*$/m);
          expect(report, context).not.toMatch(/skipped/);
          suite.check?.(result, report);
        },
        suite.timeoutMs + 30_000,
      );
    });
  });
}
