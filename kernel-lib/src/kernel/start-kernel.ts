/**
 * Assembles and starts the kernel for one connection file.
 */
import { CellRunner } from './cell-runner';
import { aliasPackageForTypeScript, galoreLabAliasFor } from './cell-modules';
import { readConnectionFile } from './connection-file';
import { createKernelHook, installKernelHook } from './display-hook';
import { GaloreKernel } from './kernel';
import { createKernelLog, type KernelLog } from './kernel-log';
import { bindKernelSockets, receiveEach } from './kernel-sockets';
import { KernelTransport } from './kernel-transport';
import { captureProcessStreams } from './output-context';
import { PACKAGE_NAME, packageRoot, packageVersion } from './package-location';
import { checkTslabVersion, loadPrintQuickInfo, loadTslabPublic, loadTslabTypeScript } from './tslab-modules';
import { createSigner } from './wire-message';

/** A started kernel. */
export interface RunningKernel {
  kernel: GaloreKernel;
  log: KernelLog;
}

/**
 * Starts the kernel: binds the sockets of `connectionFile`, wires stdout,
 * stderr and displays to IOPub, and serves until a shutdown request. Returns
 * a message instead when the connection file is unusable.
 *
 * @example
 * const started = await startKernel('/run/user/1000/jupyter/kernel-1234.json');
 * if (typeof started === 'string') { console.error(started); process.exit(2); }
 */
export async function startKernel(connectionFile: string): Promise<RunningKernel | string> {
  const connection = readConnectionFile(connectionFile);
  if (typeof connection === 'string') return connection;
  const sign = createSigner(connection.key, connection.signature_scheme);
  if (typeof sign === 'string') return `connection file ${connectionFile}: ${sign}`;

  let forward: (name: 'stdout' | 'stderr', text: string) => boolean = () => false;
  const original = captureProcessStreams((name, text) => forward(name, text));
  const log = createKernelLog(original.stderr, process.env.GALORE_LAB_KERNEL_LOG);
  const versionWarning = checkTslabVersion();
  if (versionWarning) log.info(versionWarning);

  const sockets = await bindKernelSockets(connection, log);
  const transport = new KernelTransport(sockets, sign, log);
  const typescript = loadTslabTypeScript();
  const notebookDir = process.cwd();
  const aliases = new Map<string, string>();
  const alias = galoreLabAliasFor(notebookDir, packageRoot());
  if (alias) {
    aliases.set(PACKAGE_NAME, alias);
    aliasPackageForTypeScript(typescript.sys, notebookDir, PACKAGE_NAME, alias);
    log.info(`${notebookDir} has no ${PACKAGE_NAME} of its own; cells use ${alias}`);
  }
  const runner = new CellRunner({ rootDir: notebookDir, aliases, builtins: new Map([['tslab', loadTslabPublic]]) });

  const kernel: GaloreKernel = new GaloreKernel({
    transport,
    runner,
    sign,
    log,
    typescript,
    renderQuickInfo: loadPrintQuickInfo(),
    kernelVersion: packageVersion(),
    connection,
    shutdown: async (restart) => {
      log.info(restart ? 'restart requested: exiting so that Jupyter starts a fresh kernel' : 'shutdown requested');
      await transport.finish();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sockets.close(500);
      runner.close();
      setTimeout(() => process.exit(0), 100);
    },
  });
  installKernelHook(createKernelHook(transport, kernel.outputs, kernel.comms));
  forward = (name, text) => {
    const parent = kernel.outputs.current()?.parent;
    if (!parent) return false;
    transport.publish(parent, 'stream', { name, text });
    return true;
  };

  process.on('SIGINT', () => kernel.interrupt());
  process.on('uncaughtException', (error) => kernel.reportUserError('uncaught exception', error));
  process.on('unhandledRejection', (reason) => kernel.reportUserError('unhandled promise rejection', reason));
  exitWithParent(log);

  receiveEach(sockets.shell, (frames) => kernel.receive('shell', frames), log);
  receiveEach(sockets.control, (frames) => kernel.receive('control', frames), log);
  transport.status(undefined, 'starting');
  log.info(`ready (session ${transport.session}, notebook folder ${notebookDir})`);
  return { kernel, log };
}

/** Exits when the Jupyter process that started us is gone (`JPY_PARENT_PID`, as ipykernel does). */
function exitWithParent(log: KernelLog): void {
  const parentPid = Number(process.env.JPY_PARENT_PID);
  if (!Number.isInteger(parentPid) || parentPid <= 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      log.info(`parent process ${parentPid} is gone; exiting`);
      process.exit(0);
    }
  }, 3000);
  timer.unref();
}
