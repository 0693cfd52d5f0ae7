/**
 * Shared setup for the kernel's integration tests: the compiled kernel, a
 * throwaway Jupyter installation, and Debian's Python Jupyter tools.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { installKernelCommand } from '../../../kernel-lib/src/cli/install-kernel-command';
import { isolatedJupyterEnv } from '../../../scripts/run-notebooks.mjs';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const KERNEL_LIB = join(REPO_ROOT, 'kernel-lib');
export const PY_DIR = join(__dirname, '..', 'py');
export const FIXTURES = join(__dirname, '..', 'fixtures');
/** Debian's Python, which sees the python3-jupyter-* packages (the pyenv `python3` on PATH does not). */
export const PYTHON = '/usr/bin/python3';
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false';

/**
 * Why the Python side cannot run here (missing interpreter or module), or undefined.
 * Under CI the tests turn this into a failure instead of a skip.
 */
export function missingPython(modules: string[]): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3)`;
  const probe = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return `${PYTHON} cannot import ${modules.join(', ')} (apt-get install python3-jupyter-client python3-nbclient python3-jupyter-kernel-test): ${probe.stderr.trim().split('\n').pop()}`;
}

/** Our sources the kernel needs compiled (kernel, display, the install command). */
function kernelSources(): string[] {
  const src = join(KERNEL_LIB, 'src');
  const files = [join(src, 'cli', 'install-kernel-command.ts')];
  for (const dir of ['kernel', 'display']) {
    for (const name of readdirSync(join(src, dir))) if (name.endsWith('.ts')) files.push(join(src, dir, name));
  }
  return files;
}

function isStale(): boolean {
  const src = join(KERNEL_LIB, 'src');
  return kernelSources().some((file) => {
    const out = join(KERNEL_LIB, 'dist', relative(src, file)).replace(/\.ts$/, '.js');
    return !existsSync(out) || statSync(out).mtimeMs < statSync(file).mtimeMs;
  });
}

/**
 * Compiles the kernel (only our files, so other work in progress cannot stop
 * it) unless `dist` is already newer than every source. Test files share a lock.
 */
export async function ensureKernelBuilt(): Promise<void> {
  const lock = join(tmpdir(), `galore-lab-kernel-build-${createHash('sha1').update(REPO_ROOT).digest('hex').slice(0, 10)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 3 minutes for the kernel build lock ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (!isStale()) return;
    const tsc = require.resolve('typescript/bin/tsc', { paths: [REPO_ROOT] });
    const built = spawnSync(process.execPath, [tsc, '-p', join(__dirname, '..', 'tsconfig.build.json')], { encoding: 'utf8' });
    if (built.status !== 0 || !existsSync(join(KERNEL_LIB, 'dist', 'kernel', 'main.js'))) {
      throw new Error(`compiling the kernel failed:\n${built.stdout}${built.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A throwaway Jupyter installation: data, runtime and config folders plus a kernels path. */
export interface JupyterSandbox {
  root: string;
  /** Use as `--prefix`: kernelspecs go to `<prefix>/share/jupyter/kernels`. */
  prefix: string;
  /** A notebook folder outside the repository. */
  notebookDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/**
 * Creates the sandbox; its `env` points every Jupyter path inside it.
 *
 * @example
 * const jupyter = createJupyterSandbox();
 * await installKernelInto(jupyter, 'galore-lab');
 */
export function createJupyterSandbox(): JupyterSandbox {
  const root = mkdtempSync(join(tmpdir(), 'galore-kernel-test-'));
  const prefix = join(root, 'prefix');
  const notebookDir = join(root, 'notebooks');
  for (const dir of ['data', 'runtime', 'config', 'notebooks']) mkdirSync(join(root, dir), { recursive: true });
  const env: NodeJS.ProcessEnv = isolatedJupyterEnv(root, prefix);
  return { root, prefix, notebookDir, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Installs our kernel with `galore-lab install-kernel --prefix` into the sandbox. */
export async function installKernelInto(jupyter: JupyterSandbox, name: string): Promise<string[]> {
  const lines: string[] = [];
  const code = await installKernelCommand(['--prefix', jupyter.prefix, '--name', name], (line) => lines.push(line));
  if (code !== 0) throw new Error(`install-kernel failed (${code}):\n${lines.join('\n')}`);
  return lines;
}

/** Writes a kernelspec for stock tslab (as its docs suggest, with absolute paths). */
export function installStockTslabInto(jupyter: JupyterSandbox, name: string): void {
  const dir = join(jupyter.prefix, 'share', 'jupyter', 'kernels', name);
  mkdirSync(dir, { recursive: true });
  const tslab = join(REPO_ROOT, 'node_modules', 'tslab', 'bin', 'tslab');
  const spec = { argv: [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript (tslab)', language: 'typescript' };
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify(spec, null, 2));
}

/** Output of a finished process. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Python script from `tests/kernel/py`. */
export function runPython(script: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(PY_DIR, script), ...args], { cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ran longer than ${options.timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The unittest summary lines of a run, without the kernel's own log lines. */
export function unittestReport(result: ProcessResult): string {
  return [result.stdout, result.stderr]
    .join('\n')
    .split('\n')
    .filter((line) => !line.startsWith('[galore-lab kernel'))
    .join('\n');
}
