/**
 * Keeping long-lived buffers at one place in the wasm heap. The heap's
 * allocator (dlmalloc) cannot move a buffer, so a weight or an optimizer
 * state that gets a new buffer every step leaves holes that the next step's
 * temporaries split; the heap then grows past what is live (measured: a
 * 519 MiB embedding buffer that came and went each step grew Qwen2-0.5B's
 * heap from 2.95 to 3.53 GiB at step 4). Writing new values into the old
 * buffer avoids it, and needs two facts the @tensorflow/tfjs-backend-wasm
 * 4.x internals hold (`dataIdMap`, `refCount`, `typedArrayFromHeap`,
 * `wasm.tfjs.registerTensor` / `disposeData`):
 *
 * - how many tensors share a buffer (a `reshape`, or a variable that was
 *   assigned it, holds the same buffer; a `clone` is a copy on wasm): a
 *   buffer is rewritten only when nothing else can see it;
 * - the backend's matmul keeps a packed copy of its right operand, keyed by
 *   the buffer's backend id, until the buffer is freed: a buffer rewritten
 *   after it was a right operand would be multiplied as its old values, and
 *   the copy itself takes heap memory. `forgetPackedCopies` gives the buffer
 *   a new backend id (the memory stays where it is), which drops it.
 *
 * On other backends `bufferHolders` answers null, `forgetPackedCopies` does
 * nothing, `overwrite` declines, `keepInPlace` keeps the new tensor and
 * `assignInPlace` assigns.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmData { id: number; memoryOffset: number | null; shape: number[]; dtype: string; refCount: number }
interface WasmBackend {
  dataIdMap: { get(dataId: object): WasmData | undefined };
  typedArrayFromHeap(t: tf.Tensor): Float32Array;
  dataIdNextNumber: number;
  wasm: { tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void } };
}

function wasmBackend(): WasmBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as Partial<WasmBackend>;
  if (!be.dataIdMap || typeof be.dataIdNextNumber !== 'number' || !be.wasm?.tfjs) {
    throw new Error('wasm buffers: this @tensorflow/tfjs-backend-wasm does not have the 4.x internals (dataIdMap, registerTensor) this library reads');
  }
  return be as WasmBackend;
}

/**
 * How many tensors hold `t`'s buffer on the wasm backend (1: only `t`);
 * null on other backends or for a disposed tensor.
 *
 * @example
 * const a = tf.zeros([2]); const b = tf.reshape(a, [1, 2]);
 * bufferHolders(a); // 2
 */
export function bufferHolders(t: tf.Tensor): number | null {
  const be = wasmBackend();
  if (!be || t.isDisposed) return null;
  return be.dataIdMap.get(t.dataId)?.refCount ?? null;
}

/**
 * Something that changes whenever `t`'s values may have changed: a new
 * buffer (`assign`) or an in-place write (`overwrite`, `assignInPlace`,
 * which give the buffer a new backend id on wasm). Compare with `!==`.
 *
 * @example
 * const seen = bufferVersion(w); opt.stepParam(p, g, lr); bufferVersion(w) !== seen; // true
 */
export function bufferVersion(t: tf.Tensor): unknown {
  const be = wasmBackend();
  const data = be?.dataIdMap.get(t.dataId);
  return data ? data.id : t.dataId;
}

/**
 * Drop every packed copy the wasm backend keeps of `t`'s buffer (see the
 * module comment), so the buffer can be rewritten and used again as a
 * matmul operand. Does nothing on other backends.
 *
 * @example
 * hostView(b).set(newValues); forgetPackedCopies(b); tf.matMul(a, b); // multiplies the new values
 */
export function forgetPackedCopies(t: tf.Tensor): void {
  const be = wasmBackend();
  if (!be) return;
  const data = be.dataIdMap.get(t.dataId);
  if (!data || data.memoryOffset === null) return;
  be.wasm.tfjs.disposeData(data.id);
  const id = be.dataIdNextNumber++;
  be.wasm.tfjs.registerTensor(id, t.size, data.memoryOffset);
  data.id = id;
}

/**
 * v <- next, written into v's own buffer on the wasm backend when nothing
 * else holds that buffer (then any packed matmul copy of it is dropped), so
 * a weight stays at one place in the heap for the whole run instead of
 * moving to a new buffer every step (which fragments the heap). Elsewhere,
 * or when the buffer is shared, `v.assign(next)`. The caller still owns
 * (and disposes) `next`.
 *
 * @example
 * const next = tf.sub(w, tf.mul(update, lr));
 * assignInPlace(w, next); next.dispose();
 */
export function assignInPlace(v: tf.Variable, next: tf.Tensor): void {
  if (next.dtype !== v.dtype || next.size !== v.size) {
    throw new Error(`assignInPlace: "${v.name}" is ${v.dtype} [${v.shape.join(', ')}], the new value ${next.dtype} [${next.shape.join(', ')}]`);
  }
  if (next.dataId === v.dataId || overwrite(v, next)) return;
  const value = next.shape.every((s, i) => s === v.shape[i]) && next.rank === v.rank ? next : tf.reshape(next, v.shape);
  v.assign(value);
  if (value !== next) value.dispose();
}

/**
 * Whether `t`'s buffer may be rewritten in place: on the wasm backend, a
 * float32 tensor whose buffer nothing else holds.
 */
export function writableInPlace(t: tf.Tensor): boolean {
  return wasmBackend() !== null && t.dtype === 'float32' && bufferHolders(t) === 1;
}

/**
 * Copy `next`'s values into `target`'s buffer when that is safe
 * (`writableInPlace(target)`, `next` float32 of the same size in another
 * buffer); any packed matmul copy of `target` is dropped. Returns whether it
 * did; the caller keeps owning both tensors.
 *
 * @example
 * if (overwrite(m, m2)) m2.dispose();
 */
export function overwrite(target: tf.Tensor, next: tf.Tensor): boolean {
  if (!writableInPlace(target) || next.dtype !== 'float32' || target.size !== next.size || target.dataId === next.dataId) return false;
  const be = wasmBackend()!;
  be.typedArrayFromHeap(target).set(be.typedArrayFromHeap(next));
  forgetPackedCopies(target);
  return true;
}

/**
 * A kept state's next value, stored where the old one was when the backend
 * allows (`overwrite`: then `next` is freed and `kept` returned), else `next`
 * kept in its place (and `kept` freed). Optimizer states use it so that they
 * never move in the wasm heap.
 *
 * @example
 * this.m = keepInPlace(this.m, tf.add(tf.mul(this.m, 0.9), tf.mul(g, 0.1)));
 */
export function keepInPlace<T extends tf.Tensor>(kept: T, next: T): T {
  if (next === kept) return kept;
  if (overwrite(kept, next)) { next.dispose(); return kept; }
  kept.dispose();
  return tf.keep(next);
}

/**
 * A reference on a tensor's buffer that no tensor handle carries: the buffer
 * stays allocated while it is held, and `tf.memory()` does not count it a
 * second time. Wasm only (it reads the backend's reference counts).
 *
 * @example
 * const ref = new BufferReference(g); g.dispose(); // the buffer lives on
 * const again = ref.toTensor();                   // a handle that takes the reference over
 */
export class BufferReference {
  private readonly dataId: object;
  private readonly shape: number[];
  private spent = false;

  constructor(t: tf.Tensor) {
    const be = wasmBackend();
    if (!be) throw new Error(`BufferReference: needs the wasm backend, the backend in use is "${tf.getBackend()}"`);
    if (t.dtype !== 'float32') throw new Error(`BufferReference: the tensor is ${t.dtype}, expected float32`);
    (be as unknown as { incRef(d: object): void }).incRef(t.dataId);
    this.dataId = t.dataId;
    this.shape = t.shape.slice();
  }

  /** Whether `t` is a handle on this buffer. */
  isBufferOf(t: tf.Tensor): boolean { return t.dataId === this.dataId; }

  /** How many references the buffer has, this one included (1: only this one). */
  holders(): number { return this.live().dataIdMap.get(this.dataId)?.refCount ?? 0; }

  /** A tensor handle that takes this reference over (the reference is then spent). */
  toTensor(): tf.Tensor {
    this.live();
    this.spent = true;
    return tf.engine().makeTensorFromDataId(this.dataId as never, this.shape, 'float32');
  }

  /** Let go of the buffer (freed if nothing else holds it). */
  release(): void {
    if (!this.spent) this.toTensor().dispose();
  }

  private live(): WasmBackend {
    if (this.spent) throw new Error('BufferReference: already handed over or released');
    return wasmBackend()!;
  }
}

const reservedEntries = new WeakMap<object, number>();

/** Entries `reserveTensorTable` gives the backend's tensor table by default. */
export const TENSOR_TABLE_ENTRIES = 65536;

/**
 * Grow the wasm backend's tensor table (a C++ hash map with one entry per
 * live buffer) to `entries` now, by registering that many one-value tensors
 * and freeing them. Called before a training run starts, while the heap is
 * compact: otherwise the table grows during the first step, and its new
 * array lands among the step's temporaries and pins the space they free
 * (measured on a 2-layer model with Qwen2-0.5B's vocabulary: the heap ended
 * 8.3% above the ledger without this, 1.4% with it). Does nothing on other
 * backends. Takes about half a second, once per backend (the table never
 * shrinks: a later call for no more entries returns at once).
 *
 * @example
 * reserveTensorTable(); // before trainModel's first batch
 */
export function reserveTensorTable(entries = TENSOR_TABLE_ENTRIES): void {
  const be = wasmBackend();
  if (!be) return;
  if (!(Number.isInteger(entries) && entries >= 0)) throw new Error(`reserveTensorTable: entries must be a non-negative integer, got ${entries}`);
  if ((reservedEntries.get(be) ?? 0) >= entries) return;
  reservedEntries.set(be, entries);
  const one = new Float32Array(1);
  const held: tf.Tensor[] = [];
  try {
    for (let i = 0; i < entries; i++) held.push(tf.tensor1d(one));
  } finally {
    tf.dispose(held);
  }
}
