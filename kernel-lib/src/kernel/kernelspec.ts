/**
 * Kernelspecs: the `kernel.json` (plus logos) that tells Jupyter how to start
 * this kernel, and the folders Jupyter searches for them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LOGO_SIZES, renderLogoPng } from './kernel-logo';
import { kernelEntryPoint, packageRoot, packageVersion } from './package-location';

/** The default kernelspec name (what notebooks' `metadata.kernelspec.name` says). */
export const DEFAULT_KERNEL_NAME = 'galore-lab';
/** The default display name shown in Jupyter's launcher and kernel picker. */
export const DEFAULT_DISPLAY_NAME = 'TypeScript (GaLore Lab)';

/** The content of `kernel.json`. */
export interface KernelSpecFile {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal' | 'message';
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

/** Where to install: the user's Jupyter data folder, or `<prefix>/share/jupyter`. */
export type InstallLocation = { kind: 'user' } | { kind: 'prefix'; prefix: string };

/**
 * The Jupyter data folder for user-level kernelspecs, as jupyter_core computes
 * it: `$JUPYTER_DATA_DIR`, else the platform's per-user folder.
 *
 * @example
 * userJupyterDataDir(); // '/home/me/.local/share/jupyter' on Linux
 */
export function userJupyterDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Jupyter');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'jupyter');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'jupyter');
}

/**
 * The folder of one kernelspec.
 *
 * @example
 * kernelSpecDir({ kind: 'prefix', prefix: '/opt/venv' }, 'galore-lab'); // '/opt/venv/share/jupyter/kernels/galore-lab'
 */
export function kernelSpecDir(location: InstallLocation, name: string): string {
  const dataDir = location.kind === 'user' ? userJupyterDataDir() : join(location.prefix, 'share', 'jupyter');
  return join(dataDir, 'kernels', name);
}

/**
 * Checks a kernelspec name as jupyter_client does (letters, digits, `-`, `.`, `_`).
 *
 * @example
 * kernelNameProblem('galore lab'); // 'kernel name "galore lab" may only contain ...'
 */
export function kernelNameProblem(name: string): string | undefined {
  if (/^[a-z0-9._-]+$/i.test(name)) return undefined;
  return `kernel name ${JSON.stringify(name)} may only contain ASCII letters, digits, "-", "." and "_"`;
}

/**
 * The `kernel.json` for this installation: absolute paths to this Node and to
 * the compiled kernel.
 *
 * @example
 * buildKernelSpec('TypeScript (GaLore Lab)').argv;
 * // ['/usr/bin/node', '/.../galore-lab/dist/kernel/main.js', '{connection_file}']
 */
export function buildKernelSpec(displayName: string): KernelSpecFile {
  return {
    argv: [process.execPath, kernelEntryPoint(), '{connection_file}'],
    display_name: displayName,
    language: 'typescript',
    interrupt_mode: 'signal',
    env: {},
    metadata: { galore_lab: { version: packageVersion(), package_root: packageRoot() } },
  };
}

/** Result of installing. */
export type InstallResult = { ok: true; dir: string; spec: KernelSpecFile } | { ok: false; reason: string };

/**
 * Writes `kernel.json` and the logos into `dir` (created if needed).
 *
 * @example
 * installKernelSpec(kernelSpecDir({ kind: 'user' }, 'galore-lab'), 'TypeScript (GaLore Lab)');
 */
export function installKernelSpec(dir: string, displayName: string): InstallResult {
  const entry = kernelEntryPoint();
  if (!existsSync(entry)) {
    return { ok: false, reason: `the compiled kernel ${entry} does not exist: run \`npm run build\` first` };
  }
  const spec = buildKernelSpec(displayName);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
    for (const size of LOGO_SIZES) {
      const file = `logo-${size}x${size}.png`;
      const shipped = join(packageRoot(), 'assets', 'kernel', file);
      if (existsSync(shipped)) copyFileSync(shipped, join(dir, file));
      else writeFileSync(join(dir, file), renderLogoPng(size));
    }
  } catch (error) {
    return { ok: false, reason: `cannot write the kernelspec into ${dir}: ${(error as Error).message}` };
  }
  return { ok: true, dir, spec };
}

/** Result of uninstalling. */
export type UninstallResult = { ok: true; dir: string } | { ok: false; reason: string };

/**
 * Removes a kernelspec folder written by {@link installKernelSpec}; refuses
 * folders whose `kernel.json` was not written by us.
 *
 * @example
 * uninstallKernelSpec(kernelSpecDir({ kind: 'user' }, 'galore-lab'));
 */
export function uninstallKernelSpec(dir: string): UninstallResult {
  const specFile = join(dir, 'kernel.json');
  if (!existsSync(specFile)) return { ok: false, reason: `no kernelspec at ${dir} (nothing to uninstall)` };
  try {
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Partial<KernelSpecFile>;
    if (!spec.metadata || !('galore_lab' in spec.metadata)) {
      return { ok: false, reason: `${specFile} was not written by galore-lab install-kernel; remove it with \`jupyter kernelspec remove\`` };
    }
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    return { ok: false, reason: `cannot remove ${dir}: ${(error as Error).message}` };
  }
  return { ok: true, dir };
}
