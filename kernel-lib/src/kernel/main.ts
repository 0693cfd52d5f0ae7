#!/usr/bin/env node
/**
 * The kernel process: `node dist/kernel/main.js <connection_file>`, as
 * written into the kernelspec by `galore-lab install-kernel`.
 */
import { startKernel } from './start-kernel';

const USAGE = 'usage: node dist/kernel/main.js <connection_file>   (Jupyter starts this; see `galore-lab install-kernel`)';

async function main(argv: string[]): Promise<void> {
  const connectionFile = argv[2];
  if (!connectionFile || connectionFile === '--help' || connectionFile === '-h') {
    process.stderr.write(`${USAGE}\n`);
    process.exit(connectionFile ? 0 : 2);
  }
  const started = await startKernel(connectionFile);
  if (typeof started === 'string') {
    process.stderr.write(`galore-lab kernel: ${started}\n`);
    process.exit(2);
  }
}

main(process.argv).catch((error: unknown) => {
  process.stderr.write(`galore-lab kernel failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
