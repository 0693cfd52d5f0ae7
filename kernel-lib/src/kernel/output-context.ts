/**
 * Which request does an output belong to?
 *
 * Code from a cell may print long after the cell's reply (a training loop
 * awaiting in the background), and comm handlers run while a cell awaits. An
 * `AsyncLocalStorage` follows each piece of work through its awaits and
 * timers, so prints land under the request that started that work. Output
 * from nowhere in particular goes to the last executed cell, as in ipykernel.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { JupyterMessage } from './wire-message';

/** The request outputs are attributed to, and the cell's abort signal. */
export interface OutputScope {
  parent: JupyterMessage;
  signal?: AbortSignal;
}

/**
 * Tracks the current output scope across async work.
 *
 * @example
 * const outputs = new OutputContext();
 * outputs.run({ parent: request }, () => console.log('goes to request'));
 */
export class OutputContext {
  private readonly storage = new AsyncLocalStorage<OutputScope>();
  private lastCell: OutputScope | undefined;

  /** Runs `fn` (and everything it schedules) in `scope`. */
  run<T>(scope: OutputScope, fn: () => T): T {
    return this.storage.run(scope, fn);
  }

  /** Makes `scope` the destination of output that has no scope of its own. */
  setLastCell(scope: OutputScope): void {
    this.lastCell = scope;
  }

  /** The scope of the calling code, else the last cell's. */
  current(): OutputScope | undefined {
    return this.storage.getStore() ?? this.lastCell;
  }
}

/** The process's real stdout/stderr writers, for the kernel's own log. */
export interface OriginalWriters {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Sends everything written to `process.stdout`/`process.stderr` to `onText`;
 * text it declines (returns false) goes to the real stream.
 *
 * @example
 * const original = captureProcessStreams((name, text) => { sendStream(name, text); return true; });
 * original.stderr('kernel log line\n');
 */
export function captureProcessStreams(onText: (name: 'stdout' | 'stderr', text: string) => boolean): OriginalWriters {
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const original: OriginalWriters = {
    stdout: (text) => void stdoutWrite(text),
    stderr: (text) => void stderrWrite(text),
  };
  process.stdout.write = createWriter('stdout', original.stdout, onText) as typeof process.stdout.write;
  process.stderr.write = createWriter('stderr', original.stderr, onText) as typeof process.stderr.write;
  return original;
}

function createWriter(
  name: 'stdout' | 'stderr',
  fallback: (text: string) => void,
  onText: (name: 'stdout' | 'stderr', text: string) => boolean,
) {
  const decoder = new StringDecoder('utf8');
  return (chunk: string | Uint8Array, encodingOrCallback?: unknown, maybeCallback?: unknown): boolean => {
    const callback = typeof encodingOrCallback === 'function' ? encodingOrCallback : maybeCallback;
    const encoding = typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : undefined;
    const text =
      typeof chunk === 'string'
        ? encoding && encoding !== 'utf8' && encoding !== 'utf-8'
          ? Buffer.from(chunk, encoding).toString('utf8')
          : chunk
        : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (text.length > 0 && !onText(name, text)) fallback(text);
    if (typeof callback === 'function') queueMicrotask(() => (callback as () => void)());
    return true;
  };
}
