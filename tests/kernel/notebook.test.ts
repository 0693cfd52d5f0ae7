/**
 * Notebooks executed headless with Debian's nbclient: against our kernel as
 * installed by `galore-lab install-kernel` into a temporary Jupyter path (from
 * a folder outside the repository and from one inside it), and the library in
 * a stock tslab kernel (degraded: one MIME type per message, no comms).
 */
import { copyFileSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES,
  IN_CI,
  KERNEL_LIB,
  createJupyterSandbox,
  ensureKernelBuilt,
  installKernelInto,
  installStockTslabInto,
  missingPython,
  runPython,
  type JupyterSandbox,
} from './helpers/kernel-harness';

interface Output {
  output_type: string;
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  execution_count?: number;
}
interface Cell {
  cell_type: string;
  source: string;
  execution_count?: number | null;
  outputs?: Output[];
}

/** nbformat stores multi-line text as a list of lines; join them back. */
function joinMultilineText(cell: Cell): Cell {
  const join = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join('') : value);
  const outputs = cell.outputs?.map((output) => ({
    ...output,
    ...(output.text !== undefined ? { text: join(output.text) as string } : {}),
    ...(output.data
      ? { data: Object.fromEntries(Object.entries(output.data).map(([mime, value]) => [mime, mime.startsWith('text/') ? join(value) : value])) }
      : {}),
  }));
  return { ...cell, outputs };
}

const missing = missingPython(['nbclient', 'nbformat', 'jupyter_client']);

describe('notebooks executed with nbclient', () => {
  let jupyter: JupyterSandbox;

  it('has its prerequisites (Debian python3-nbclient)', () => {
    if (missing && IN_CI) throw new Error(`CI must provide: ${missing}`);
  });

  describe.skipIf(Boolean(missing))(missing ? `skipped: ${missing}` : 'in a temporary Jupyter path', () => {
    beforeAll(async () => {
      await ensureKernelBuilt();
      jupyter = createJupyterSandbox();
      await installKernelInto(jupyter, 'galore-lab');
      installStockTslabInto(jupyter, 'tslab');
    });
    afterAll(() => jupyter?.cleanup());

    async function execute(notebook: string, workingDir: string, tag: string): Promise<{ cells: Cell[]; log: string }> {
      const source = join(workingDir, notebook);
      const target = join(jupyter.root, `${tag}-executed.ipynb`);
      const logFile = join(jupyter.root, `${tag}.log`);
      const result = await runPython('run_notebook.py', [source, target, workingDir], {
        cwd: workingDir,
        env: { ...jupyter.env, GALORE_LAB_KERNEL_LOG: logFile },
        timeoutMs: 120_000,
      });
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      expect(result.code, `${result.stdout}\n${result.stderr}\n--- kernel log ---\n${log}`).toBe(0);
      const cells = (JSON.parse(readFileSync(target, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code');
      return { cells: cells.map(joinMultilineText), log };
    }

    const result = (cell: Cell) => cell.outputs?.find((o) => o.output_type === 'execute_result')?.data?.['text/plain'];
    const stdout = (cell: Cell) => (cell.outputs ?? []).filter((o) => o.name === 'stdout').map((o) => o.text).join('');

    function checkKernelFeatures(cells: Cell[]): void {
      expect(cells.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(result(cells[0])).toBe("'galore-lab-kernel'");
      expect(result(cells[1])).toBe(`'${realpathSync(join(KERNEL_LIB, 'package.json'))}'`);
      expect(stdout(cells[2])).toBe('rank 8\n');
      expect(result(cells[2])).toBe('16');
      const table = cells[3].outputs ?? [];
      expect(table.map((o) => o.output_type)).toEqual(['display_data']);
      expect(Object.keys(table[0].data ?? {}).sort()).toEqual(['application/vnd.galore-lab.table+json', 'text/html', 'text/plain']);
      expect(table[0].data?.['application/vnd.galore-lab.table+json']).toEqual({ losses: [2.5, 1.75] });
      const updated = cells[4].outputs ?? [];
      expect(updated).toHaveLength(1);
      expect(updated[0].data?.['application/vnd.galore-lab.table+json']).toEqual({ losses: [3, 2, 1] });
      expect(cells[5].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'after clear\n' }]);
      expect(result(cells[6])).toBe("'awaited'");
    }

    it('runs the feature notebook from a folder outside the repository', async () => {
      copyFileSync(join(FIXTURES, 'kernel-features.ipynb'), join(jupyter.notebookDir, 'kernel-features.ipynb'));
      const { cells, log } = await execute('kernel-features.ipynb', jupyter.notebookDir, 'outside');
      checkKernelFeatures(cells);
      expect(log).toContain('has no galore-lab of its own; cells use');
    }, 150_000);

    it('runs the feature notebook inside the repository (galore-lab is the workspace link)', async () => {
      const { cells, log } = await execute('kernel-features.ipynb', FIXTURES, 'inside');
      checkKernelFeatures(cells);
      expect(log).not.toContain('has no galore-lab of its own');
    }, 150_000);

    const libraryBuilt = existsSync(join(KERNEL_LIB, 'dist', 'index.js'));
    it.skipIf(!libraryBuilt && !IN_CI)(
      libraryBuilt ? 'imports the whole library with `import * as lab from "galore-lab"`' : 'skipped: kernel-lib/dist/index.js is not built (npm run build)',
      async () => {
        copyFileSync(join(FIXTURES, 'library-import.ipynb'), join(jupyter.notebookDir, 'library-import.ipynb'));
        const { cells } = await execute('library-import.ipynb', jupyter.notebookDir, 'library');
        expect(result(cells[0])).toBe('true');
      },
      150_000,
    );

    it('degrades gracefully in a stock tslab kernel', async () => {
      const { cells } = await execute('stock-tslab.ipynb', FIXTURES, 'tslab');
      expect(stdout(cells[0])).toBe('environment tslab\n');
      expect(cells[1].outputs?.map((o) => o.data)).toEqual([{ 'text/html': '<b>one row</b>' }]);
      expect(cells[2].outputs?.map((o) => o.data)).toEqual([{ 'text/html': '<i>v2</i>' }]);
      expect(stdout(cells[3])).toMatch(/^comms unavailable: this is a stock tslab kernel, which has no comms/);
      expect(stdout(cells[4])).toMatch(/^clear_output unavailable: stock tslab has no clear_output/);
    }, 150_000);
  });
});
