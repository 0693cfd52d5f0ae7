/**
 * The kernel's own log: the real stderr of the process (Jupyter shows it in
 * the server's terminal), plus a file when `GALORE_LAB_KERNEL_LOG` names one.
 */
import { appendFileSync } from 'node:fs';
import { inspect } from 'node:util';

/** Writes log lines. */
export interface KernelLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * Creates the kernel log over a raw stderr writer.
 *
 * @example
 * const log = createKernelLog((text) => process.stderr.write(text), process.env.GALORE_LAB_KERNEL_LOG);
 * log.error('comm handler failed', err);
 */
export function createKernelLog(writeStderr: (text: string) => void, logFile?: string): KernelLog {
  const write = (level: string, message: string): void => {
    const line = `[galore-lab kernel ${new Date().toISOString()} ${level}] ${message}\n`;
    writeStderr(line);
    if (logFile) {
      try {
        appendFileSync(logFile, line);
      } catch {
        // The log file is a convenience; stderr already has the line.
      }
    }
  };
  return {
    info: (message) => write('INFO', message),
    error: (message, error) =>
      write('ERROR', error === undefined ? message : `${message}: ${inspect(error, { depth: 3 })}`),
  };
}
