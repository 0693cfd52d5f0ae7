/**
 * The safetensors header: parsing and validating it, and encoding one.
 *
 * Layout of a file: 8 bytes little-endian u64 N, then N bytes of UTF-8 JSON
 * `{"__metadata__"?: {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}`
 * (padded with spaces so the data starts 8-byte aligned), then the data buffer.
 * Offsets are relative to the buffer start (byte 8 + N of the file).
 */
import { SafetensorsError } from './safetensors-error';
import { SAFETENSORS_DTYPE_BYTES, SafetensorsDtype, isSafetensorsDtype } from './safetensors-dtypes';

/** Largest header accepted, as the reference implementation: 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as described by the header. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the data buffer. */
  dataOffsets: [number, number];
  /** Number of elements: product(shape), 1 for a scalar. */
  elementCount: number;
}

/** A validated header. */
export interface SafetensorsHeader {
  file: string;
  /** N, the JSON length in bytes (including any padding). */
  headerBytes: number;
  /** Absolute file position of the data buffer: 8 + N. */
  dataStart: number;
  fileBytes: number;
  metadata: Record<string, string>;
  /** Entries in the order of the JSON header. */
  entries: Map<string, SafetensorsEntry>;
}

/**
 * product(shape); 1 for a scalar.
 *
 * @example
 * elementCountOf([896, 4864]); // 4358144
 * elementCountOf([]); // 1
 */
export function elementCountOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/**
 * Reads N from the 8-byte prefix and checks it against the file size.
 * Returns N as a number.
 *
 * @example
 * parseHeaderLength('x.safetensors', new Uint8Array([16, 0, 0, 0, 0, 0, 0, 0]), 64); // 16
 */
export function parseHeaderLength(file: string, prefix: Uint8Array, fileBytes: number): number {
  if (fileBytes < 8 || prefix.byteLength < 8) {
    throw new SafetensorsError(
      'truncated-file',
      file,
      `file is ${fileBytes} bytes; a safetensors file starts with an 8-byte header length, so expected at least 8 bytes`,
    );
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      'bad-header-length',
      file,
      `header length is ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file or its first 8 bytes are damaged`,
    );
  }
  const length = Number(n);
  if (8 + length > fileBytes) {
    throw new SafetensorsError(
      'bad-header-length',
      file,
      `header length is ${length} bytes but the file has only ${fileBytes - 8} bytes after the 8-byte prefix; the file is truncated or not a safetensors file`,
    );
  }
  return length;
}

function parseJsonObject(file: string, bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SafetensorsError('bad-header-json', file, 'header is not valid UTF-8; expected UTF-8 JSON text');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError('bad-header-json', file, `header is not valid JSON (${(err as Error).message}); it starts with ${describe(text.slice(0, 40))}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SafetensorsError('bad-header-json', file, `header JSON is ${describe(parsed)}; expected an object mapping tensor names to {dtype, shape, data_offsets}`);
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError('bad-metadata', file, `"__metadata__" is ${describe(value)}; expected an object of string values`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError('bad-metadata', file, `"__metadata__"."${k}" is ${describe(v)}; expected a string`);
    }
    out[k] = v;
  }
  return out;
}

function parseEntry(file: string, name: string, value: unknown, bufferBytes: number): SafetensorsEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError('bad-entry', file, `entry is ${describe(value)}; expected {dtype, shape, data_offsets}`, name);
  }
  const v = value as Record<string, unknown>;
  const missing = ['dtype', 'shape', 'data_offsets'].filter((k) => !(k in v));
  if (missing.length > 0) {
    throw new SafetensorsError('bad-entry', file, `entry has no ${missing.join(', ')}; expected {dtype, shape, data_offsets}`, name);
  }
  if (!isSafetensorsDtype(v.dtype)) {
    throw new SafetensorsError(
      'unknown-dtype',
      file,
      `dtype ${describe(v.dtype)} is not supported; expected one of ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')}`,
      name,
    );
  }
  if (!Array.isArray(v.shape)) {
    throw new SafetensorsError('bad-entry', file, `shape is ${describe(v.shape)}; expected an array of dimensions`, name);
  }
  for (const d of v.shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) {
      throw new SafetensorsError('bad-shape', file, `shape ${describe(v.shape)} has dimension ${describe(d)}; expected non-negative integers`, name);
    }
  }
  const offsets = v.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new SafetensorsError('bad-entry', file, `data_offsets is ${describe(offsets)}; expected [begin, end]`, name);
  }
  const [begin, end] = offsets as unknown[];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (begin as number) < 0 || (end as number) < 0) {
    throw new SafetensorsError('bad-offsets', file, `data_offsets ${describe(offsets)}; expected two non-negative integers`, name);
  }
  const b = begin as number;
  const e = end as number;
  if (b > e) {
    throw new SafetensorsError('bad-offsets', file, `data_offsets [${b}, ${e}] has begin > end; expected begin <= end`, name);
  }
  if (e > bufferBytes) {
    throw new SafetensorsError(
      'bad-offsets',
      file,
      `data_offsets [${b}, ${e}] end past the data buffer, which holds ${bufferBytes} bytes; the file is truncated or the header is wrong`,
      name,
    );
  }
  const shape = v.shape as number[];
  const elementCount = elementCountOf(shape);
  const expectedBytes = elementCount * SAFETENSORS_DTYPE_BYTES[v.dtype];
  if (e - b !== expectedBytes) {
    throw new SafetensorsError(
      'size-mismatch',
      file,
      `data_offsets [${b}, ${e}] span ${e - b} bytes; shape [${shape.join(', ')}] of ${v.dtype} needs ${elementCount} x ${SAFETENSORS_DTYPE_BYTES[v.dtype]} = ${expectedBytes} bytes`,
      name,
    );
  }
  return { name, dtype: v.dtype, shape: [...shape], dataOffsets: [b, e], elementCount };
}

function checkNoOverlap(file: string, entries: Iterable<SafetensorsEntry>): void {
  const sorted = [...entries].filter((t) => t.dataOffsets[1] > t.dataOffsets[0]).sort((x, y) => x.dataOffsets[0] - y.dataOffsets[0]);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.dataOffsets[0] < prev.dataOffsets[1]) {
      throw new SafetensorsError(
        'bad-offsets',
        file,
        `data_offsets [${cur.dataOffsets.join(', ')}] overlap those of "${prev.name}" [${prev.dataOffsets.join(', ')}]; expected each tensor to own its bytes`,
        cur.name,
      );
    }
  }
}

/**
 * Validates the JSON header bytes of `file` (N bytes after the prefix).
 *
 * @example
 * const json = new TextEncoder().encode('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
 * parseSafetensorsHeader('x.safetensors', json, 8 + json.length + 8).entries.get('w')?.shape; // [2]
 */
export function parseSafetensorsHeader(file: string, headerJson: Uint8Array, fileBytes: number): SafetensorsHeader {
  const obj = parseJsonObject(file, headerJson);
  const dataStart = 8 + headerJson.byteLength;
  const bufferBytes = fileBytes - dataStart;
  let metadata: Record<string, string> = {};
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(obj)) {
    if (name === '__metadata__') metadata = parseMetadata(file, value);
    else entries.set(name, parseEntry(file, name, value, bufferBytes));
  }
  checkNoOverlap(file, entries.values());
  return { file, headerBytes: headerJson.byteLength, dataStart, fileBytes, metadata, entries };
}

/** A tensor's place in a file being written. */
export interface PlannedEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  dataOffsets: [number, number];
}

/**
 * The 8-byte prefix plus the JSON header, padded with spaces to a multiple of
 * 8 bytes as the reference writer does. Entries are written in the given
 * order, `__metadata__` first when non-empty; JSON is compact.
 *
 * @example
 * encodeSafetensorsHeader([{ name: 'w', dtype: 'F32', shape: [2], dataOffsets: [0, 8] }]).byteLength % 8; // 0
 */
export function encodeSafetensorsHeader(entries: readonly PlannedEntry[], metadata: Record<string, string> = {}): Uint8Array {
  const parts: string[] = [];
  const metaKeys = Object.keys(metadata);
  if (metaKeys.length > 0) {
    parts.push(`"__metadata__":{${metaKeys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  for (const e of entries) {
    parts.push(
      `${JSON.stringify(e.name)}:{"dtype":${JSON.stringify(e.dtype)},"shape":[${e.shape.join(',')}],"data_offsets":[${e.dataOffsets[0]},${e.dataOffsets[1]}]}`,
    );
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength);
  return out;
}
