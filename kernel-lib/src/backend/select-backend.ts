import * as tf from '@tensorflow/tfjs';

/** Which backend to use: `auto` tries tfjs-node-gpu, tfjs-node, then wasm; `cpu` only when asked for. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendAttempt {
  name: string;
  ok: boolean;
  reason: string;
}

export interface BackendReport {
  /** The tfjs backend name now in use (`tensorflow`, `wasm` or `cpu`). */
  backend: string;
  /** Which package provides it. */
  package: string;
  attempts: BackendAttempt[];
}

let current: BackendReport | null = null;

function tryRequire(pkg: string): string | null {
  try {
    require(pkg);
    return null;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    return msg;
  }
}

/**
 * Select the TensorFlow.js backend, in one place for the whole library:
 * `@tensorflow/tfjs-node-gpu` if it loads, then `@tensorflow/tfjs-node`, then
 * `@tensorflow/tfjs-backend-wasm`. The pure-JS `cpu` backend (30-100x slower)
 * is used only when asked for explicitly (`choice: 'cpu'` or
 * `GALORE_LAB_BACKEND=cpu`). Safe to call many times; the first call decides.
 *
 * @example
 * const report = await initBackend();
 * console.log(report.backend, report.attempts);
 */
export async function initBackend(choice?: BackendChoice): Promise<BackendReport> {
  const wanted = (choice ?? (process.env.GALORE_LAB_BACKEND as BackendChoice | undefined) ?? 'auto');
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(wanted)) {
    throw new Error(`Unknown backend "${wanted}": expected auto, tensorflow, wasm or cpu (GALORE_LAB_BACKEND)`);
  }
  if (current && (wanted === 'auto' || current.backend === wanted)) return current;
  const attempts: BackendAttempt[] = [];
  const use = async (backend: string, pkg: string): Promise<BackendReport | null> => {
    const ok = await tf.setBackend(backend);
    if (!ok) {
      attempts.push({ name: pkg, ok: false, reason: `tf.setBackend('${backend}') failed` });
      return null;
    }
    await tf.ready();
    attempts.push({ name: pkg, ok: true, reason: 'in use' });
    current = { backend, package: pkg, attempts };
    return current;
  };
  if (wanted === 'auto' || wanted === 'tensorflow') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      const err = tryRequire(pkg);
      if (err === null && tf.findBackend('tensorflow')) {
        const r = await use('tensorflow', pkg);
        if (r) return r;
      } else {
        attempts.push({ name: pkg, ok: false, reason: err ? `not loadable: ${err}` : 'loaded but registered no backend' });
      }
    }
    if (wanted === 'tensorflow') {
      throw new Error(`Backend "tensorflow" requested but neither tfjs-node-gpu nor tfjs-node loads:\n` +
        attempts.map((a) => `  ${a.name}: ${a.reason}`).join('\n'));
    }
  }
  if (wanted === 'auto' || wanted === 'wasm') {
    const err = tryRequire('@tensorflow/tfjs-backend-wasm');
    if (err === null) {
      const r = await use('wasm', '@tensorflow/tfjs-backend-wasm');
      if (r) return r;
    } else {
      attempts.push({ name: '@tensorflow/tfjs-backend-wasm', ok: false, reason: `not loadable: ${err}` });
    }
    if (wanted === 'wasm') throw new Error(`Backend "wasm" requested but it failed: ${attempts.at(-1)?.reason}`);
    throw new Error('No fast TensorFlow.js backend could be loaded (tried tfjs-node-gpu, tfjs-node, wasm):\n' +
      attempts.map((a) => `  ${a.name}: ${a.reason}`).join('\n') +
      '\nThe pure-JS cpu backend is 30-100x slower; set GALORE_LAB_BACKEND=cpu to use it anyway.');
  }
  attempts.push({ name: '@tensorflow/tfjs-backend-cpu', ok: true, reason: 'requested explicitly (slow)' });
  await tf.setBackend('cpu');
  await tf.ready();
  current = { backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', attempts };
  return current;
}

/** The report of the last `initBackend` call, or null before the first. */
export function backendReport(): BackendReport | null {
  return current;
}
