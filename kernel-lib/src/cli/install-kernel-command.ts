/**
 * `galore-lab install-kernel [--user|--prefix DIR] [--name NAME] [--display-name TEXT] [--uninstall]`
 */
import { parseInstallArgs } from '../kernel/install-args';
import {
  DEFAULT_DISPLAY_NAME,
  DEFAULT_KERNEL_NAME,
  installKernelSpec,
  kernelNameProblem,
  kernelSpecDir,
  uninstallKernelSpec,
  type InstallLocation,
} from '../kernel/kernelspec';

const USAGE = `usage: galore-lab install-kernel [--user | --prefix DIR] [--name NAME] [--display-name TEXT] [--uninstall]

Installs the GaLore Lab TypeScript kernel into Jupyter (a kernelspec with absolute
paths to this Node and this package), or removes it with --uninstall.

  --user               the per-user Jupyter data folder (default; $JUPYTER_DATA_DIR if set)
  --prefix DIR         DIR/share/jupyter/kernels/NAME (e.g. a virtualenv's sys.prefix)
  --name NAME          kernelspec name (default: ${DEFAULT_KERNEL_NAME}); notebooks refer to it
  --display-name TEXT  name shown in Jupyter (default: "${DEFAULT_DISPLAY_NAME}")
  --uninstall          remove the kernelspec instead
  -h, --help           show this help`;

/**
 * Runs the `install-kernel` command; returns the exit code (0 done, 1 failed, 2 usage error).
 *
 * @example
 * await installKernelCommand(['--prefix', '/tmp/jp'], console.log);
 * // installed kernelspec "galore-lab" in /tmp/jp/share/jupyter/kernels/galore-lab
 */
export async function installKernelCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const args = parseInstallArgs('install-kernel', argv, ['name', 'display-name'], [], USAGE, out);
  if (typeof args === 'number') return args;
  const name = args.options.name ?? DEFAULT_KERNEL_NAME;
  const nameProblem = kernelNameProblem(name);
  if (nameProblem) {
    out(`install-kernel: ${nameProblem}`);
    return 2;
  }
  const location: InstallLocation = args.location;
  const dir = kernelSpecDir(location, name);

  if (args.uninstall) {
    const removed = uninstallKernelSpec(dir);
    if (!removed.ok) {
      out(`install-kernel: ${removed.reason}`);
      return 1;
    }
    out(`removed kernelspec "${name}" from ${removed.dir}`);
    return 0;
  }

  const installed = installKernelSpec(dir, args.options['display-name'] ?? DEFAULT_DISPLAY_NAME);
  if (!installed.ok) {
    out(`install-kernel: ${installed.reason}`);
    return 1;
  }
  out(`installed kernelspec "${name}" in ${installed.dir}`);
  out(`  starts: ${installed.spec.argv.join(' ')}`);
  if (location.kind === 'prefix') {
    out(`  Jupyter finds it when ${location.prefix}/share/jupyter is on its path (e.g. JUPYTER_PATH=${location.prefix}/share/jupyter)`);
  }
  out(`  in a notebook, pick "${installed.spec.display_name}" (metadata.kernelspec.name = "${name}")`);
  return 0;
}
