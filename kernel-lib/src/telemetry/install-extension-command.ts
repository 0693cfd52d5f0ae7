/**
 * `galore-lab install-extension [--user | --prefix DIR] [--source DIR] [--uninstall]`
 *
 * Copies the prebuilt GaLore Lab JupyterLab 4 extension shipped in this
 * package (`dist/labextension`, built by `npm run build:extension`) to
 * `<data dir>/labextensions/<extension name>/`, where JupyterLab 4 loads
 * prebuilt extensions without a rebuild; `jupyter labextension list` shows it.
 */
import { existsSync, readFileSync, rmSync, cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseInstallArgs } from '../kernel/install-args';
import { packageRoot, packageVersion } from '../kernel/package-location';
import { userJupyterDataDir } from '../kernel/kernelspec';
import { makeSiblingTempDir, replaceDirAtomic } from '../util/atomic-write';

const USAGE = `usage: galore-lab install-extension [--user | --prefix DIR] [--source DIR] [--uninstall]

Installs the prebuilt GaLore Lab extension for JupyterLab 4 (live training
dashboard, memory status bar, "Training monitor" side panel, plotly renderer)
where JupyterLab looks for prebuilt extensions; restart JupyterLab afterwards.

  --user          the per-user Jupyter data folder (default; $JUPYTER_DATA_DIR if set)
  --prefix DIR    DIR/share/jupyter/labextensions (e.g. the sys.prefix of the
                  Python environment JupyterLab runs in)
  --source DIR    the built extension (default: dist/labextension in this package)
  --uninstall     remove it instead
  -h, --help      show this help

Check with: jupyter labextension list`;

/** The folder of the prebuilt extension inside this package. */
export function prebuiltExtensionDir(): string {
  return join(packageRoot(), 'dist', 'labextension');
}

interface BuiltExtension {
  name: string;
  version: string;
  load: string;
}

/** Reads and checks a built extension folder (its `package.json` with `jupyterlab._build`). */
export function readBuiltExtension(dir: string): { ok: true; extension: BuiltExtension } | { ok: false; reason: string } {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) {
    return {
      ok: false,
      reason: `${dir} has no package.json: the extension is not built (run \`npm run build:extension\` in a checkout; a published galore-lab ships it prebuilt)`,
    };
  }
  let data: { name?: unknown; version?: unknown; jupyterlab?: { _build?: { load?: unknown } } };
  try {
    data = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (error) {
    return { ok: false, reason: `${manifest}: not valid JSON (${(error as Error).message})` };
  }
  const load = data.jupyterlab?._build?.load;
  if (typeof data.name !== 'string' || typeof data.version !== 'string') return { ok: false, reason: `${manifest}: "name" and "version" must be strings` };
  if (typeof load !== 'string') return { ok: false, reason: `${manifest}: no jupyterlab._build.load (not the output of build-labextension)` };
  if (!existsSync(join(dir, load))) return { ok: false, reason: `${manifest}: jupyterlab._build.load names ${load}, which is missing` };
  return { ok: true, extension: { name: data.name, version: data.version, load } };
}

/**
 * Where an extension named `name` goes.
 *
 * @example
 * labExtensionDir({ kind: 'prefix', prefix: '/opt/venv' }, 'galore-lab-jupyterlab');
 * // '/opt/venv/share/jupyter/labextensions/galore-lab-jupyterlab'
 */
export function labExtensionDir(location: { kind: 'user' } | { kind: 'prefix'; prefix: string }, name: string): string {
  const dataDir = location.kind === 'user' ? userJupyterDataDir() : join(location.prefix, 'share', 'jupyter');
  return join(dataDir, 'labextensions', ...name.split('/'));
}

/**
 * Runs the `install-extension` command; returns the exit code (0 done, 1 failed, 2 usage error).
 *
 * @example
 * await installExtensionCommand(['--prefix', '/opt/venv'], console.log);
 * // installed galore-lab-jupyterlab 0.1.0 in /opt/venv/share/jupyter/labextensions/galore-lab-jupyterlab
 */
export async function installExtensionCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const args = parseInstallArgs('install-extension', argv, ['source'], ['source'], USAGE, out);
  if (typeof args === 'number') return args;
  const source = resolve(args.options.source ?? prebuiltExtensionDir());
  const built = readBuiltExtension(source);
  if (!built.ok) {
    out(`install-extension: ${built.reason}`);
    return 1;
  }
  const { name, version } = built.extension;
  const location = args.location.kind === 'prefix' ? ({ kind: 'prefix', prefix: resolve(args.location.prefix) } as const) : ({ kind: 'user' } as const);
  const target = labExtensionDir(location, name);

  if (args.uninstall) {
    if (!existsSync(target)) {
      out(`install-extension: ${name} is not installed in ${target}`);
      return 1;
    }
    const installed = readBuiltExtension(target);
    const marker = join(target, 'install.json');
    const ours = existsSync(marker) && readFileSync(marker, 'utf8').includes('"packageName": "galore-lab"');
    if (!installed.ok || !ours) {
      out(`install-extension: ${target} was not installed by galore-lab; not removing it`);
      return 1;
    }
    rmSync(target, { recursive: true, force: true });
    out(`removed ${name} from ${target}`);
    return 0;
  }

  try {
    const staging = await makeSiblingTempDir(target);
    cpSync(source, staging, { recursive: true, filter: (path) => !path.endsWith('build_log.json') });
    const install = {
      packageManager: 'npm',
      packageName: 'galore-lab',
      uninstallInstructions: 'Run `npx galore-lab install-extension --uninstall` (with the same --user/--prefix)',
      galoreLabVersion: packageVersion(),
    };
    writeFileSync(join(staging, 'install.json'), `${JSON.stringify(install, null, 2)}\n`);
    await replaceDirAtomic(staging, target);
  } catch (error) {
    out(`install-extension: copying ${source} to ${target} failed: ${(error as Error).message}`);
    return 1;
  }
  out(`installed ${name} ${version} in ${target}`);
  if (location.kind === 'prefix') {
    out(`  JupyterLab loads it when ${location.prefix}/share/jupyter is on its data path (its sys.prefix, or JUPYTER_PATH=${location.prefix}/share/jupyter)`);
  }
  out('  restart JupyterLab, then check with: jupyter labextension list');
  return 0;
}
