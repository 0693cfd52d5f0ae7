/**
 * Bit-level conversions between float32 and the narrow float formats found in
 * checkpoints: IEEE half (F16), bfloat16 (BF16) and, for reading only, the two
 * 8-bit formats F8_E4M3 (the "fn" variant: no infinities) and F8_E5M2.
 *
 * Narrowing rounds to nearest, ties to even. Checked bit for bit against
 * PyTorch 1.13 (`tensor.to(torch.float16 / torch.bfloat16)` on CPU) over 200k
 * float32 values (random bit patterns, subnormals, infinities, ties): identical
 * for every non-NaN value. NaN stays NaN: F16 NaN becomes sign|0x7E00 (as
 * torch); BF16 NaN becomes the canonical 0x7FC0, as c10::BFloat16's scalar
 * rounding does (torch's vectorized CPU path writes 0xFFFF, also a NaN).
 * Widening is exact (F16 NaN payloads are kept).
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

function bitsOfFloat32(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0];
}

function float32OfBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0];
}

function f16FromF32Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    // Result is a half subnormal (or zero). Value = m * 2^(e - 25) with the implicit bit.
    if (e < -10) return sign; // below half of the smallest subnormal: rounds to zero
    const m = mant | 0x800000;
    const shift = 14 - e; // 14..24
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half += 1;
    return sign | half; // a carry out of the mantissa becomes the smallest normal: correct
  }
  let half = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half += 1; // carry may reach infinity: correct
  return half;
}

function f32BitsFromF16(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    let e = 113; // 127 - 15 + 1
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      e -= 1;
    }
    return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
  }
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

function bf16FromF32Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN, as torch writes it
  const roundingBias = 0x7fff + ((x >>> 16) & 1);
  return ((x + roundingBias) >>> 16) & 0xffff;
}

/**
 * Rounds a number to the nearest IEEE half and returns its 16 bits.
 *
 * @example
 * float32ToFloat16Bits(1.0).toString(16);   // '3c00'
 * float32ToFloat16Bits(65504).toString(16); // '7bff' (largest half)
 */
export function float32ToFloat16Bits(x: number): number {
  return f16FromF32Bits(bitsOfFloat32(x));
}

/**
 * The value of a 16-bit IEEE half pattern.
 *
 * @example
 * float16BitsToFloat32(0xc100); // -2.5
 * float16BitsToFloat32(0x0001); // 5.960464477539063e-8 (smallest subnormal)
 */
export function float16BitsToFloat32(bits: number): number {
  return float32OfBits(f32BitsFromF16(bits & 0xffff));
}

/**
 * Rounds a number (as float32) to bfloat16 and returns its 16 bits.
 *
 * @example
 * float32ToBfloat16Bits(1.0).toString(16);  // '3f80'
 * float32ToBfloat16Bits(NaN).toString(16);  // '7fc0'
 */
export function float32ToBfloat16Bits(x: number): number {
  return bf16FromF32Bits(bitsOfFloat32(x));
}

/**
 * The value of a 16-bit bfloat16 pattern.
 *
 * @example
 * bfloat16BitsToFloat32(0xc020); // -2.5
 */
export function bfloat16BitsToFloat32(bits: number): number {
  return float32OfBits((bits & 0xffff) << 16);
}

function u32View(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

let halfTable: Float32Array | undefined;

/** 65,536-entry float32 table of every half value, built on first use (256 KB). */
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    const bits = u32View(halfTable);
    for (let h = 0; h < 65536; h++) bits[h] = f32BitsFromF16(h);
  }
  return halfTable;
}

function checkLengths(what: string, src: { length: number }, dst: { length: number }): void {
  if (dst.length < src.length) {
    throw new RangeError(`${what}: destination holds ${dst.length} values, expected at least ${src.length}`);
  }
}

/**
 * Converts float32 values to half bits (round to nearest even).
 *
 * @example
 * Array.from(float32ArrayToFloat16(new Float32Array([1, -2.5]))); // [0x3c00, 0xc100]
 */
export function float32ArrayToFloat16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  checkLengths('float32ArrayToFloat16', src, dst);
  const bits = u32View(src);
  for (let i = 0; i < bits.length; i++) dst[i] = f16FromF32Bits(bits[i]);
  return dst;
}

/**
 * Widens half bits to float32 (exact; subnormals, infinities and NaN kept).
 *
 * @example
 * Array.from(float16ArrayToFloat32(new Uint16Array([0x3c00, 0x7c00]))); // [1, Infinity]
 */
export function float16ArrayToFloat32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  checkLengths('float16ArrayToFloat32', src, dst);
  const table = u32View(halfToFloatTable());
  const out = u32View(dst);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return dst;
}

/**
 * Converts float32 values to bfloat16 bits (round to nearest even, NaN -> 0x7FC0).
 *
 * @example
 * Array.from(float32ArrayToBfloat16(new Float32Array([1, -2.5]))); // [0x3f80, 0xc020]
 */
export function float32ArrayToBfloat16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  checkLengths('float32ArrayToBfloat16', src, dst);
  const bits = u32View(src);
  for (let i = 0; i < bits.length; i++) dst[i] = bf16FromF32Bits(bits[i]);
  return dst;
}

/**
 * Widens bfloat16 bits to float32 (exact).
 *
 * @example
 * Array.from(bfloat16ArrayToFloat32(new Uint16Array([0x3f80, 0xc020]))); // [1, -2.5]
 */
export function bfloat16ArrayToFloat32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  checkLengths('bfloat16ArrayToFloat32', src, dst);
  const out = u32View(dst);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return dst;
}

/** Value of an F8_E4M3 (fn: bias 7, no infinities, 0x7F/0xFF are NaN) byte. */
function e4m3Value(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exp = (byte >>> 3) & 0xf;
  const mant = byte & 0x7;
  if (exp === 0xf && mant === 0x7) return NaN;
  if (exp === 0) return sign * mant * 2 ** -9;
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/**
 * Widens 8-bit floats to float32. `format` is the safetensors dtype name.
 * E5M2 is the top byte of a half; E4M3 is the "fn" variant used by PyTorch's
 * `float8_e4m3fn`.
 *
 * @example
 * Array.from(float8ArrayToFloat32(new Uint8Array([0x38, 0xc0]), 'F8_E4M3')); // [1, -2]
 */
export function float8ArrayToFloat32(
  src: Uint8Array,
  format: 'F8_E4M3' | 'F8_E5M2',
  dst = new Float32Array(src.length),
): Float32Array {
  checkLengths('float8ArrayToFloat32', src, dst);
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = format === 'F8_E5M2' ? float16BitsToFloat32(b << 8) : e4m3Value(b);
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  return dst;
}
