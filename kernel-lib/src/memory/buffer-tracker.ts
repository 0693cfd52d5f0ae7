import * as tf from '@tensorflow/tfjs';

/** Live and peak bytes of distinct backend buffers since `trackBackendBuffers` started. */
export interface BufferTracker {
  /** Bytes of the backend buffers alive now (each buffer once, however many tensors share it). */
  liveBytes(): number;
  /** The highest `liveBytes()` seen since the start or the last `resetPeak()`. */
  peakBytes(): number;
  /** Start a new peak window at the current live bytes. */
  resetPeak(): void;
  /** Remove the hooks from the backend. */
  stop(): void;
}

/** Options of `trackBackendBuffers`. */
export interface BufferTrackerOptions {
  /**
   * Also subtract the buffers that existed before the tracker started when
   * they are freed, so `liveBytes()` is the net change of the heap's live
   * buffers since the start (it may go below 0). Needed where a step replaces
   * older tensors (an optimizer assigning new weights and moments); without it
   * (default) such buffers are ignored, freed or not.
   */
  countEarlierFrees?: boolean;
}

interface WasmDataInfo { memoryOffset: number | null; shape: number[]; dtype: string }
interface WasmBackendLike {
  dataIdMap: { has(id: object): boolean; get(id: object): WasmDataInfo | undefined };
  move(dataId: object, values: unknown, shape: number[], dtype: string, refCount: number): void;
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: unknown): { dataId: object };
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Count the bytes of the distinct buffers the wasm backend allocates and
 * frees, from now on. Unlike `tf.memory().numBytes`, which counts every
 * tensor handle (a `reshape`, a `clone`, or a tensor the gradient tape saved
 * shares its buffer but is counted again), this counts each `malloc`ed
 * buffer once: what the wasm heap really has to hold. Buffers that existed
 * before the call are not counted (live bytes start at 0).
 *
 * With `countEarlierFrees`, frees of those earlier buffers are subtracted
 * too (live bytes are then the net change since the start).
 *
 * Reads backend internals of @tensorflow/tfjs-backend-wasm 4.x (`move`,
 * `makeOutput`, `disposeData`, `dataIdMap`); throws on any other backend.
 *
 * @example
 * const tracker = trackBackendBuffers();
 * const g = tf.variableGrads(() => model.loss(ids, labels, 2, 16));
 * console.log(tracker.peakBytes()); // the forward+backward peak, in bytes
 * tracker.stop();
 */
export function trackBackendBuffers(options: BufferTrackerOptions = {}): BufferTracker {
  if (tf.getBackend() !== 'wasm') {
    throw new Error(`trackBackendBuffers: needs the wasm backend, the backend in use is "${tf.getBackend()}"`);
  }
  const backend = tf.backend() as unknown as WasmBackendLike;
  const sizes = new WeakMap<object, number>();
  let live = 0;
  let peak = 0;
  const add = (dataId: object, shape: number[], dtype: string) => {
    const n = shape.reduce((a, b) => a * b, 1) * (BYTES_PER_ELEMENT[dtype] ?? 4);
    sizes.set(dataId, n);
    live += n;
    if (live > peak) peak = live;
  };
  const origMove = backend.move;
  const origDispose = backend.disposeData;
  const origMakeOutput = backend.makeOutput;
  backend.move = function move(dataId, values, shape, dtype, refCount) {
    origMove.call(this, dataId, values, shape, dtype, refCount);
    if (dtype !== 'string') add(dataId, shape, dtype);
  };
  backend.makeOutput = function makeOutput(shape, dtype, memoryOffset, values) {
    const out = origMakeOutput.call(this, shape, dtype, memoryOffset, values);
    if (memoryOffset != null) add(out.dataId, shape, dtype); // otherwise `move` counted it
    return out;
  };
  backend.disposeData = function disposeData(dataId, force) {
    const earlier = options.countEarlierFrees && !sizes.has(dataId) ? this.dataIdMap.get(dataId) : undefined;
    const earlierBytes = earlier && earlier.dtype !== 'string'
      ? earlier.shape.reduce((a, b) => a * b, 1) * (BYTES_PER_ELEMENT[earlier.dtype] ?? 4) : 0;
    const freed = origDispose.call(this, dataId, force);
    if (earlierBytes > 0 && !this.dataIdMap.has(dataId)) live -= earlierBytes;
    const n = sizes.get(dataId);
    if (n !== undefined && !this.dataIdMap.has(dataId)) {
      live -= n;
      sizes.delete(dataId);
    }
    return freed;
  };
  return {
    liveBytes: () => live,
    peakBytes: () => peak,
    resetPeak: () => { peak = live; },
    stop: () => {
      backend.move = origMove;
      backend.disposeData = origDispose;
      backend.makeOutput = origMakeOutput;
    },
  };
}
