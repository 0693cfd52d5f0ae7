import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/select-backend';
import { parseCommandArgs } from './args';

/** `galore-lab info`: the backend in use and why the others were not. */
export async function infoCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const v = parseCommandArgs(argv, { backend: { type: 'string' }, json: { type: 'boolean' } }, 'info');
  const report = await initBackend(v.backend as never);
  const pkg = require('../../package.json') as { version: string };
  if (v.json) {
    out(JSON.stringify({ version: pkg.version, tfjs: tf.version.tfjs, node: process.version, ...report }, null, 2));
    return 0;
  }
  out(`galore-lab ${pkg.version} (TensorFlow.js ${tf.version.tfjs}, Node ${process.version})`);
  out(`backend in use: ${report.backend} (${report.package})`);
  for (const a of report.attempts) out(`  ${a.ok ? 'ok  ' : 'no  '} ${a.name}: ${a.reason}`);
  if (report.backend === 'wasm') out('  wasm runs on one thread; it is the fast CPU path when no native TensorFlow is installed');
  return 0;
}
