/**
 * Reading and writing Hugging Face `.safetensors` files with plain Node file
 * handles and typed arrays (no TensorFlow): tensors come back as Float32Array,
 * ready for `tf.tensor(data, shape)`.
 *
 * Reading goes tensor by tensor through a file handle, so a 4 GB shard never
 * has to fit in memory at once; writing is atomic (temp file + rename).
 */
import * as fs from 'fs';
import * as os from 'os';
import { writeFileAtomicWith } from '../util/atomic-write';
import { float32ArrayToBfloat16, float32ArrayToFloat16 } from './float-bits';
import { SafetensorsError } from './safetensors-error';
import {
  RawTensorArray,
  SAFETENSORS_DTYPE_BYTES,
  SafetensorsDtype,
  WritableDtype,
  decodeChunkToFloat32,
  isStreamedDtype,
  isWritableDtype,
  rawToFloat32,
  rawTypedArray,
} from './safetensors-dtypes';
import {
  PlannedEntry,
  SafetensorsEntry,
  SafetensorsHeader,
  elementCountOf,
  encodeSafetensorsHeader,
  parseHeaderLength,
  parseSafetensorsHeader,
} from './safetensors-header';

/** A tensor read from a file: values widened to float32, plus the stored dtype. */
export interface NamedTensorData {
  name: string;
  /** The dtype as stored in the file. */
  dtype: SafetensorsDtype;
  shape: number[];
  /** Values as float32 (exact for F32/F16/BF16/F8; see `raw` for the others). */
  data: Float32Array;
  /** Exact stored values for dtypes other than F32/F16/BF16/F8 (F64, I64, I32, U8, BOOL, ...). */
  raw?: RawTensorArray;
}

/**
 * A tensor to write. `storeAs` overrides the file-wide dtype for this tensor
 * (e.g. keep norms in F32 in a BF16 file). A `NamedTensorData` from a reader
 * is a valid `TensorToWrite`: its `dtype` (how it was stored) is ignored.
 */
export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  storeAs?: WritableDtype;
}

/** Options of `writeSafetensors`. */
export interface WriteSafetensorsOptions {
  /** Stored dtype of every tensor without `storeAs`; default 'F32'. */
  dtype?: WritableDtype;
  /** Free-form string map stored under `__metadata__`. */
  metadata?: Record<string, string>;
}

/** Bytes converted per step while streaming (a multiple of every element size). */
const CHUNK_BYTES = 8 * 1024 * 1024;

function assertLittleEndianHost(): void {
  if (os.endianness() !== 'LE') {
    throw new Error('safetensors I/O assumes a little-endian machine; this one is big-endian');
  }
}

async function readExactly(handle: fs.promises.FileHandle, target: Uint8Array, position: number, file: string, tensor?: string): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(
        'truncated-file',
        file,
        `file ended at byte ${position + done} while reading ${target.byteLength} bytes from byte ${position}; the file was truncated or changed while being read`,
        tensor,
      );
    }
    done += bytesRead;
  }
}

async function readHeaderFrom(handle: fs.promises.FileHandle, file: string): Promise<SafetensorsHeader> {
  const fileBytes = (await handle.stat()).size;
  const prefix = new Uint8Array(8);
  if (fileBytes >= 8) await readExactly(handle, prefix, 0, file);
  const length = parseHeaderLength(file, prefix, fileBytes);
  const json = new Uint8Array(length);
  await readExactly(handle, json, 8, file);
  return parseSafetensorsHeader(file, json, fileBytes);
}

/**
 * Reads and validates only the header of a safetensors file: tensor names,
 * dtypes, shapes, byte ranges and `__metadata__`.
 *
 * @example
 * const header = await readSafetensorsHeader('/models/Qwen2-0.5B-Instruct/model.safetensors');
 * header.entries.get('model.norm.weight'); // { dtype: 'BF16', shape: [896], ... }
 */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await fs.promises.open(file, 'r');
  try {
    return await readHeaderFrom(handle, file);
  } finally {
    await handle.close();
  }
}

async function readEntry(handle: fs.promises.FileHandle, header: SafetensorsHeader, entry: SafetensorsEntry): Promise<NamedTensorData> {
  const { file, dataStart } = header;
  const start = dataStart + entry.dataOffsets[0];
  const byteLength = entry.dataOffsets[1] - entry.dataOffsets[0];
  const base = { name: entry.name, dtype: entry.dtype, shape: [...entry.shape] };
  const dtype = entry.dtype;
  if (!isStreamedDtype(dtype)) {
    const buffer = new ArrayBuffer(byteLength);
    await readExactly(handle, new Uint8Array(buffer), start, file, entry.name);
    const raw = rawTypedArray(dtype, buffer, entry.elementCount);
    return { ...base, data: rawToFloat32(dtype, raw), raw };
  }
  const data = new Float32Array(entry.elementCount);
  if (dtype === 'F32') {
    // Read straight into the result, in chunks (a single read is limited to 2 GB).
    const bytes = new Uint8Array(data.buffer);
    for (let off = 0; off < byteLength; off += CHUNK_BYTES) {
      await readExactly(handle, bytes.subarray(off, Math.min(off + CHUNK_BYTES, byteLength)), start + off, file, entry.name);
    }
    return { ...base, data };
  }
  const size = SAFETENSORS_DTYPE_BYTES[dtype];
  const scratch = new Uint8Array(Math.min(CHUNK_BYTES, byteLength));
  for (let off = 0; off < byteLength; off += CHUNK_BYTES) {
    const chunk = scratch.subarray(0, Math.min(CHUNK_BYTES, byteLength - off));
    await readExactly(handle, chunk, start + off, file, entry.name);
    decodeChunkToFloat32(dtype, chunk, data.subarray(off / size, (off + chunk.byteLength) / size));
  }
  return { ...base, data };
}

function missingTensorError(file: string, missing: string[], available: Iterable<string>): SafetensorsError {
  const names = [...available];
  const sample = names.slice(0, 5).map((n) => `"${n}"`).join(', ');
  const has = names.length === 0 ? 'the file has no tensors' : `the file has ${names.length} tensors, e.g. ${sample}`;
  const list = missing.map((n) => `"${n}"`).join(', ');
  return new SafetensorsError('missing-tensor', file, `requested tensor${missing.length > 1 ? 's' : ''} ${list} not found; ${has}`, missing[0]);
}

/** An open safetensors file: its header, and tensors read on demand. */
export interface SafetensorsReader {
  readonly header: SafetensorsHeader;
  /** Tensor names in header order. */
  readonly names: string[];
  /** Reads one tensor; throws `SafetensorsError` (kind 'missing-tensor') for an unknown name. */
  read(name: string): Promise<NamedTensorData>;
  close(): Promise<void>;
}

/**
 * Opens a safetensors file, validates its header and returns a reader that
 * loads tensors one at a time (convert each to a tf tensor, then drop it, to
 * keep memory low). Close it when done.
 *
 * @example
 * const reader = await openSafetensors('model.safetensors');
 * try { const norm = await reader.read('model.norm.weight'); console.log(norm.shape); }
 * finally { await reader.close(); }
 */
export async function openSafetensors(file: string): Promise<SafetensorsReader> {
  assertLittleEndianHost();
  const handle = await fs.promises.open(file, 'r');
  let header: SafetensorsHeader;
  try {
    header = await readHeaderFrom(handle, file);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return {
    header,
    names: [...header.entries.keys()],
    async read(name: string) {
      const entry = header.entries.get(name);
      if (!entry) throw missingTensorError(file, [name], header.entries.keys());
      return readEntry(handle, header, entry);
    },
    close: () => handle.close(),
  };
}

/** Options of `readSafetensors`. */
export interface ReadSafetensorsOptions {
  /** Read only these tensors; every one must exist. Default: all. */
  names?: readonly string[];
}

/**
 * Reads tensors (all, or `opts.names`) from a safetensors file into float32
 * arrays, one tensor at a time through a file handle.
 *
 * @example
 * const { tensors, metadata } = await readSafetensors('model.safetensors', { names: ['model.norm.weight'] });
 * tensors.get('model.norm.weight')!.data.length; // 896 for Qwen2-0.5B
 */
export async function readSafetensors(
  file: string,
  opts: ReadSafetensorsOptions = {},
): Promise<{ tensors: Map<string, NamedTensorData>; metadata: Record<string, string> }> {
  const reader = await openSafetensors(file);
  try {
    const names = opts.names ? [...opts.names] : reader.names;
    const missing = names.filter((n) => !reader.header.entries.has(n));
    if (missing.length > 0) throw missingTensorError(file, missing, reader.names);
    const tensors = new Map<string, NamedTensorData>();
    for (const name of names) tensors.set(name, await reader.read(name));
    return { tensors, metadata: { ...reader.header.metadata } };
  } finally {
    await reader.close();
  }
}

/**
 * Checks the tensors to write (unique names, shapes, data lengths), sorts them
 * by name and assigns each its stored dtype and byte range in the data buffer.
 * Throws `SafetensorsError` naming `file` and the tensor at fault.
 *
 * @example
 * planSafetensorsLayout('x.safetensors', [{ name: 'w', shape: [2], data: new Float32Array(2) }], 'BF16')[0].entry.dataOffsets; // [0, 4]
 */
export function planSafetensorsLayout(
  file: string,
  tensors: Iterable<TensorToWrite> | ReadonlyMap<string, TensorToWrite>,
  defaultDtype: WritableDtype = 'F32',
): { tensor: TensorToWrite; entry: PlannedEntry }[] {
  if (!isWritableDtype(defaultDtype)) {
    throw new SafetensorsError('bad-argument', file, `dtype ${JSON.stringify(defaultDtype)} cannot be written; expected 'F32', 'BF16' or 'F16'`);
  }
  const list = [...(isMap(tensors) ? tensors.values() : tensors)];
  const seen = new Set<string>();
  for (const t of list) {
    if (typeof t.name !== 'string' || t.name.length === 0 || t.name === '__metadata__') {
      throw new SafetensorsError('bad-argument', file, `tensor name ${JSON.stringify(t.name)} is not allowed; expected a non-empty string other than "__metadata__"`);
    }
    if (seen.has(t.name)) throw new SafetensorsError('bad-argument', file, 'name appears twice; expected unique tensor names', t.name);
    seen.add(t.name);
    if (t.storeAs !== undefined && !isWritableDtype(t.storeAs)) {
      throw new SafetensorsError('bad-argument', file, `storeAs ${JSON.stringify(t.storeAs)} cannot be written; expected 'F32', 'BF16' or 'F16'`, t.name);
    }
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new SafetensorsError('bad-shape', file, `shape ${JSON.stringify(t.shape)}; expected an array of non-negative integers`, t.name);
    }
    if (!(t.data instanceof Float32Array)) {
      throw new SafetensorsError('bad-argument', file, 'data is not a Float32Array; expected float32 values (e.g. await tensor.data())', t.name);
    }
    if (t.data.length !== elementCountOf(t.shape)) {
      throw new SafetensorsError(
        'size-mismatch',
        file,
        `data has ${t.data.length} values; shape [${t.shape.join(', ')}] needs ${elementCountOf(t.shape)}`,
        t.name,
      );
    }
  }
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let offset = 0;
  return list.map((tensor) => {
    const dtype = tensor.storeAs ?? defaultDtype;
    const bytes = tensor.data.length * SAFETENSORS_DTYPE_BYTES[dtype];
    const entry: PlannedEntry = { name: tensor.name, dtype, shape: [...tensor.shape], dataOffsets: [offset, offset + bytes] };
    offset += bytes;
    return { tensor, entry };
  });
}

function isMap(x: unknown): x is ReadonlyMap<string, TensorToWrite> {
  return x instanceof Map;
}

/**
 * Byte size of a tensor stored as `dtype`.
 *
 * @example
 * storedByteLength(896, 'BF16'); // 1792
 */
export function storedByteLength(elementCount: number, dtype: WritableDtype): number {
  return elementCount * SAFETENSORS_DTYPE_BYTES[dtype];
}

async function writeAll(handle: fs.promises.FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}

async function writeTensorData(handle: fs.promises.FileHandle, data: Float32Array, dtype: WritableDtype): Promise<void> {
  if (dtype === 'F32') {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let off = 0; off < bytes.byteLength; off += CHUNK_BYTES) {
      await writeAll(handle, bytes.subarray(off, Math.min(off + CHUNK_BYTES, bytes.byteLength)));
    }
    return;
  }
  const perChunk = CHUNK_BYTES / 2;
  const scratch = new Uint16Array(Math.min(perChunk, data.length));
  const convert = dtype === 'BF16' ? float32ArrayToBfloat16 : float32ArrayToFloat16;
  for (let i = 0; i < data.length; i += perChunk) {
    const src = data.subarray(i, Math.min(i + perChunk, data.length));
    const out = convert(src, scratch.subarray(0, src.length));
    await writeAll(handle, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  }
}

/**
 * Writes tensors to a safetensors file, sorted by name, converting float32
 * values to `opts.dtype` (F32, BF16 or F16; round to nearest even). The file
 * appears atomically: it is written to a temp file beside it and renamed, so
 * an interrupted write leaves any previous file untouched. A Map (e.g. from
 * `loadModelWeights`) is accepted too.
 *
 * @example
 * await writeSafetensors('/tmp/tiny.safetensors',
 *   [{ name: 'w', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
 *   { dtype: 'BF16', metadata: { format: 'pt' } });
 */
export async function writeSafetensors(
  file: string,
  tensors: Iterable<TensorToWrite> | ReadonlyMap<string, TensorToWrite>,
  opts: WriteSafetensorsOptions = {},
): Promise<void> {
  assertLittleEndianHost();
  const metadata = opts.metadata ?? {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError('bad-metadata', file, `metadata "${k}" is ${typeof v}; expected a string (safetensors metadata is a string -> string map)`);
    }
  }
  const plan = planSafetensorsLayout(file, tensors, opts.dtype ?? 'F32');
  const header = encodeSafetensorsHeader(
    plan.map((p) => p.entry),
    metadata,
  );
  await writeFileAtomicWith(file, async (handle) => {
    await writeAll(handle, header);
    for (const { tensor, entry } of plan) await writeTensorData(handle, tensor.data, entry.dtype as WritableDtype);
  });
}
