import * as tf from '@tensorflow/tfjs';

/** Bytes the backend holds in tensors now, and the wasm heap size (its high-water mark) when on wasm. */
export interface MemorySample {
  tensorBytes: number;
  /** The wasm heap grows and never shrinks, so its size is the peak so far; null on other backends. */
  wasmHeapBytes: number | null;
}

/**
 * Sample what the backend holds.
 *
 * @example
 * const { tensorBytes, wasmHeapBytes } = sampleMemory();
 */
export function sampleMemory(): MemorySample {
  const tensorBytes = tf.memory().numBytes;
  let wasmHeapBytes: number | null = null;
  if (tf.getBackend() === 'wasm') {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
    if (heap) wasmHeapBytes = heap.length;
  }
  return { tensorBytes, wasmHeapBytes };
}
