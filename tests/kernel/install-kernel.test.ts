/**
 * `galore-lab install-kernel`: kernelspecs with absolute paths where Jupyter
 * finds them, and their removal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installKernelCommand } from '../../kernel-lib/src/cli/install-kernel-command';
import { userJupyterDataDir } from '../../kernel-lib/src/kernel/kernelspec';
import { IN_CI, KERNEL_LIB, PYTHON, ensureKernelBuilt, missingPython } from './helpers/kernel-harness';

let root: string;
let lines: string[];
const out = (line: string) => lines.push(line);
const savedDataDir = process.env.JUPYTER_DATA_DIR;

beforeAll(async () => {
  await ensureKernelBuilt();
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'install-kernel-'));
  lines = [];
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  if (savedDataDir === undefined) delete process.env.JUPYTER_DATA_DIR;
  else process.env.JUPYTER_DATA_DIR = savedDataDir;
});

describe('install-kernel', () => {
  it('writes kernel.json with absolute paths, the display name and logos under --prefix', async () => {
    expect(await installKernelCommand(['--prefix', root], out)).toBe(0);
    const dir = join(root, 'share', 'jupyter', 'kernels', 'galore-lab');
    const spec = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
    expect(spec.argv).toEqual([process.execPath, join(KERNEL_LIB, 'dist', 'kernel', 'main.js'), '{connection_file}']);
    expect(spec.argv.slice(0, 2).every((p: string) => isAbsolute(p) && existsSync(p))).toBe(true);
    expect(spec).toMatchObject({ display_name: 'TypeScript (GaLore Lab)', language: 'typescript', interrupt_mode: 'signal' });
    for (const size of [32, 64]) {
      const png = readFileSync(join(dir, `logo-${size}x${size}.png`));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(size);
    }
    expect(lines[0]).toBe(`installed kernelspec "galore-lab" in ${dir}`);
  });

  it('installs per user into $JUPYTER_DATA_DIR by default, under another name and display name', async () => {
    process.env.JUPYTER_DATA_DIR = join(root, 'data');
    expect(userJupyterDataDir()).toBe(join(root, 'data'));
    expect(await installKernelCommand(['--name', 'galore-dev', '--display-name', 'GaLore (dev)'], out)).toBe(0);
    const spec = JSON.parse(readFileSync(join(root, 'data', 'kernels', 'galore-dev', 'kernel.json'), 'utf8'));
    expect(spec.display_name).toBe('GaLore (dev)');
    expect(await installKernelCommand(['--user', '--name', 'galore-dev', '--uninstall'], out)).toBe(0);
    expect(existsSync(join(root, 'data', 'kernels', 'galore-dev'))).toBe(false);
  });

  it('uninstalls, and refuses to remove what it did not install', async () => {
    await installKernelCommand(['--prefix', root], out);
    expect(await installKernelCommand(['--prefix', root, '--uninstall'], out)).toBe(0);
    expect(existsSync(join(root, 'share', 'jupyter', 'kernels', 'galore-lab'))).toBe(false);
    expect(await installKernelCommand(['--prefix', root, '--uninstall'], out)).toBe(1);
    expect(lines.at(-1)).toMatch(/no kernelspec at .* \(nothing to uninstall\)/);
    const foreign = join(root, 'share', 'jupyter', 'kernels', 'python3');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'kernel.json'), JSON.stringify({ argv: ['python3'], display_name: 'Python 3', language: 'python' }));
    expect(await installKernelCommand(['--prefix', root, '--name', 'python3', '--uninstall'], out)).toBe(1);
    expect(lines.at(-1)).toMatch(/was not written by galore-lab install-kernel/);
    expect(existsSync(foreign)).toBe(true);
  });

  it.each([
    [['--user', '--prefix', '/x'], /either --user or --prefix/],
    [['--name', 'has space'], /may only contain ASCII letters/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['stray'], /Unexpected argument 'stray'/],
  ])('rejects %j with exit code 2', async (argv, message) => {
    expect(await installKernelCommand(argv, out)).toBe(2);
    expect(lines.join('\n')).toMatch(message);
  });

  it('prints usage for --help', async () => {
    expect(await installKernelCommand(['--help'], out)).toBe(0);
    expect(lines.join('\n')).toMatch(/^usage: galore-lab install-kernel/);
  });

  const missing = missingPython(['jupyter_client']);
  it.skipIf(Boolean(missing) && !IN_CI)(missing ? `skipped: ${missing}` : 'is found by jupyter_client (JUPYTER_PATH=<prefix>/share/jupyter)', async () => {
    expect(await installKernelCommand(['--prefix', root, '--name', 'galore-found'], out)).toBe(0);
    const listed = spawnSync(
      PYTHON,
      ['-c', 'import json; from jupyter_client.kernelspec import KernelSpecManager as M; print(json.dumps(M().get_all_specs()))'],
      { env: { ...process.env, JUPYTER_PATH: join(root, 'share', 'jupyter'), JUPYTER_DATA_DIR: join(root, 'data') }, encoding: 'utf8' },
    );
    expect(listed.status, listed.stderr).toBe(0);
    const specs = JSON.parse(listed.stdout);
    expect(specs['galore-found'].resource_dir).toBe(join(root, 'share', 'jupyter', 'kernels', 'galore-found'));
    expect(specs['galore-found'].spec.display_name).toBe('TypeScript (GaLore Lab)');
  });
});
