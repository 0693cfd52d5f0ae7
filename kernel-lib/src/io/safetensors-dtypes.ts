/**
 * The safetensors dtype names, their element sizes, and how raw bytes of each
 * become numbers. Bytes are little-endian, as the format requires.
 */
import { bfloat16ArrayToFloat32, float16ArrayToFloat32, float8ArrayToFloat32 } from './float-bits';

/** Element size in bytes of every dtype this reader understands. */
export const SAFETENSORS_DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

/** A dtype name as stored in a safetensors header. */
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** The dtypes `writeSafetensors` can store. */
export type WritableDtype = 'F32' | 'BF16' | 'F16';

/** Exact values of tensors whose dtype is not a float format we widen to float32 losslessly. */
export type RawTensorArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Dtypes widened to float32 chunk by chunk without keeping the stored bytes. */
export type StreamedDtype = 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2';

/**
 * True for a dtype name this reader understands.
 *
 * @example
 * isSafetensorsDtype('BF16'); // true
 * isSafetensorsDtype('float16'); // false
 */
export function isSafetensorsDtype(name: unknown): name is SafetensorsDtype {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BYTES, name);
}

/**
 * True for a dtype that `writeSafetensors` can store.
 *
 * @example
 * isWritableDtype('BF16'); // true
 */
export function isWritableDtype(name: unknown): name is WritableDtype {
  return name === 'F32' || name === 'BF16' || name === 'F16';
}

/**
 * True for the dtypes decoded straight into float32 (no `raw` copy kept).
 *
 * @example
 * isStreamedDtype('BF16'); // true
 * isStreamedDtype('I64'); // false
 */
export function isStreamedDtype(dtype: SafetensorsDtype): dtype is StreamedDtype {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F8_E4M3' || dtype === 'F8_E5M2';
}

/**
 * Widens a chunk of stored bytes (whose length is a multiple of the element
 * size, starting 8-byte aligned in its buffer) into `dst`.
 *
 * @example
 * const out = new Float32Array(1);
 * decodeChunkToFloat32('BF16', new Uint8Array([0x80, 0x3f]), out); // out[0] === 1
 */
export function decodeChunkToFloat32(dtype: StreamedDtype, bytes: Uint8Array, dst: Float32Array): void {
  switch (dtype) {
    case 'F32':
      dst.set(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
      return;
    case 'F16':
      float16ArrayToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2), dst);
      return;
    case 'BF16':
      bfloat16ArrayToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2), dst);
      return;
    case 'F8_E4M3':
    case 'F8_E5M2':
      float8ArrayToFloat32(bytes, dtype, dst);
      return;
  }
}

/**
 * Views bytes (from an 8-byte aligned offset) as the typed array of a
 * non-streamed dtype. BOOL is a Uint8Array of 0/1 bytes.
 *
 * @example
 * rawTypedArray('I32', new Int32Array([-5, 7]).buffer, 2); // Int32Array [-5, 7]
 */
export function rawTypedArray(dtype: Exclude<SafetensorsDtype, StreamedDtype>, buffer: ArrayBuffer, count: number): RawTensorArray {
  switch (dtype) {
    case 'BOOL':
    case 'U8':
      return new Uint8Array(buffer, 0, count);
    case 'I8':
      return new Int8Array(buffer, 0, count);
    case 'I16':
      return new Int16Array(buffer, 0, count);
    case 'U16':
      return new Uint16Array(buffer, 0, count);
    case 'I32':
      return new Int32Array(buffer, 0, count);
    case 'U32':
      return new Uint32Array(buffer, 0, count);
    case 'F64':
      return new Float64Array(buffer, 0, count);
    case 'I64':
      return new BigInt64Array(buffer, 0, count);
    case 'U64':
      return new BigUint64Array(buffer, 0, count);
  }
}

/**
 * float32 copy of raw values: integers are converted with `Number` (64-bit
 * integers beyond 2^24 lose precision, as a cast to float32 does), BOOL
 * becomes 0/1, F64 rounds to float32.
 *
 * @example
 * rawToFloat32('I64', new BigInt64Array([-3n])); // Float32Array [-3]
 */
export function rawToFloat32(dtype: SafetensorsDtype, raw: RawTensorArray): Float32Array {
  const out = new Float32Array(raw.length);
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
    for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]);
  } else if (dtype === 'BOOL') {
    for (let i = 0; i < raw.length; i++) out[i] = raw[i] !== 0 ? 1 : 0;
  } else {
    out.set(raw);
  }
  return out;
}
