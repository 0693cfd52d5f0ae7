/**
 * Block-wise 8-bit quantisation of optimizer states, as bitsandbytes' 8-bit
 * optimizers store them (Dettmers et al. 2022, "8-bit Optimizers via
 * Block-wise Quantization"): the tensor is cut into blocks of `blockSize`
 * values, each block is divided by its absolute maximum, and each normalised
 * value is stored as the index (one byte) of the nearest entry of a 256-entry
 * code book.
 *
 * The code book is bitsandbytes' *dynamic* map (dynamic tree quantisation),
 * not a linear one: entries are spread over 7 decades (1e-6 .. 1), so small
 * moments keep a relative precision of a few percent where a linear map
 * would round them to zero. The first moment uses the signed map, the second
 * moment (never negative) the unsigned map, as bitsandbytes does.
 */

/** One quantised tensor: byte codes, one float32 absmax per block, and the code book used. */
export interface QuantizedBlocks {
  codes: Uint8Array;
  absmax: Float32Array;
  blockSize: number;
  signed: boolean;
}

/** Block sizes we accept (bitsandbytes uses 256 for its block-wise optimizers, 2048 in older releases). */
export const BLOCK_SIZES = [256, 2048] as const;
export type BlockSize = typeof BLOCK_SIZES[number];

interface CodeBook {
  code: Float32Array;
  /** mids[i] = (code[i] + code[i + 1]) / 2: the decision boundaries. */
  mids: Float64Array;
  /** For each float32 bit pattern's top 16 bits (sign, exponent, 7 mantissa bits): the nearest code of the bucket's lowest value. */
  start: Uint8Array;
}

const maps = new Map<boolean, CodeBook>();

/**
 * The 256-entry dynamic quantisation map, sorted ascending, with 0 and 1 in it.
 * For exponent e = 0..6 the decade [0.1, 1] x 10^(e-6) is split into 2^e
 * (signed, mirrored for negatives) or 2^(e+1) (unsigned) equal intervals and
 * their midpoints are the entries: 127 (254 unsigned) magnitudes + 0 + 1.
 *
 * @example
 * const code = dynamicQuantMap(true);
 * code.length;   // 256
 * code[255];     // 1
 * code.includes(0); // true
 */
export function dynamicQuantMap(signed: boolean): Float32Array {
  return mapFor(signed).code;
}

function mapFor(signed: boolean): CodeBook {
  let entry = maps.get(signed);
  if (!entry) {
    const values: number[] = [0, 1];
    for (let e = 0; e < 7; e++) {
      const intervals = signed ? 2 ** e : 2 ** (e + 1);
      const scale = 10 ** (e - 6);
      for (let k = 0; k < intervals; k++) {
        const lo = 0.1 + (0.9 * k) / intervals;
        const hi = 0.1 + (0.9 * (k + 1)) / intervals;
        const v = scale * (lo + hi) / 2;
        values.push(v);
        if (signed) values.push(-v);
      }
    }
    const code = Float32Array.from(values.sort((a, b) => a - b));
    if (code.length !== 256) throw new Error(`dynamicQuantMap: built ${code.length} entries instead of 256`);
    const mids = new Float64Array(255);
    for (let i = 0; i < 255; i++) mids[i] = (code[i] + code[i + 1]) / 2;
    // bucket b holds the floats whose top 16 bits are b; its lowest value is the low edge for
    // positive buckets and minus the high edge for negative ones
    const start = new Uint8Array(1 << 16);
    const f = new Float32Array(1); const u = new Uint32Array(f.buffer);
    for (let bkt = 0; bkt < 1 << 16; bkt++) {
      const negative = (bkt & 0x8000) !== 0;
      u[0] = negative ? ((bkt << 16) | 0xffff) >>> 0 : (bkt << 16) >>> 0;
      const lowest = f[0];
      start[bkt] = Number.isNaN(lowest) ? 0 : searchCode(mids, Math.max(-1, Math.min(1, lowest)));
    }
    entry = { code, mids, start };
    maps.set(signed, entry);
  }
  return entry;
}

/** Index of the nearest code-book entry to x, by binary search over the boundaries. */
function searchCode(mids: Float64Array, x: number): number {
  let lo = 0; let hi = 255; // answer in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x > mids[mid]) lo = mid + 1; else hi = mid;
  }
  return lo;
}

const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/**
 * Index of the nearest code-book entry to x (|x| <= 1): a table lookup on the
 * float32 bits of x, then at most a few boundary comparisons (buckets are
 * narrower than the code spacing). Equals `searchCode` up to float32 rounding of x.
 */
function nearestCode(book: CodeBook, x: number): number {
  bitsF32[0] = x;
  let i = book.start[bitsU32[0] >>> 16];
  const mids = book.mids;
  while (i < 255 && x > mids[i]) i++;
  return i;
}

/**
 * Quantise values block by block (round to nearest entry of the dynamic map).
 *
 * @example
 * const q = quantizeBlockwise(new Float32Array([0.5, -1, 0.001]), true, 256);
 * q.absmax[0]; // 1
 * dequantizeBlockwise(q); // ≈ [0.50, -0.99, 0.0010]
 */
export function quantizeBlockwise(values: ArrayLike<number>, signed: boolean, blockSize: number): QuantizedBlocks {
  checkBlockSize(blockSize);
  const n = values.length;
  const blocks = Math.ceil(n / blockSize);
  const codes = new Uint8Array(n);
  const absmax = new Float32Array(blocks);
  const book = mapFor(signed);
  for (let b = 0; b < blocks; b++) quantizeBlock(values, 0, b, blockSize, n, book, codes, absmax, signed);
  return { codes, absmax, blockSize, signed };
}

/**
 * Re-quantise block `b` of `q` in place from `blockValues` (the block's new
 * values, starting at index 0): how the 8-bit optimizers store updated moments.
 *
 * @example
 * const q = quantizeBlockwise(new Float32Array(512), false, 256);
 * requantizeBlock(q, 1, new Float32Array(256).fill(2)); // values 256..511 are now 2
 */
export function requantizeBlock(q: QuantizedBlocks, b: number, blockValues: ArrayLike<number>): void {
  const start = b * q.blockSize;
  quantizeBlock(blockValues, -start, b, q.blockSize, q.codes.length, mapFor(q.signed), q.codes, q.absmax, q.signed);
}

/** Quantise values[offset + i] for i in block b into codes[i], absmax[b]. */
function quantizeBlock(
  values: ArrayLike<number>, offset: number, b: number, blockSize: number, n: number, book: CodeBook,
  codes: Uint8Array, absmax: Float32Array, signed: boolean,
): void {
  const start = b * blockSize;
  const end = Math.min(start + blockSize, n);
  let max = 0;
  let finite = true;
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[offset + i]);
    if (a > max) max = a;
    if (!(a < Infinity)) finite = false; // NaN or ±Inf
  }
  absmax[b] = finite ? max : NaN; // a non-finite state poisons its block visibly, as in 32 bits
  const zero = nearestCode(book, 0);
  if (max === 0 || !finite) {
    for (let i = start; i < end; i++) codes[i] = zero;
    return;
  }
  const inv = 1 / max;
  for (let i = start; i < end; i++) {
    let x = values[offset + i] * inv;
    if (!signed && x < 0) x = 0;
    codes[i] = nearestCode(book, x);
  }
}

/**
 * Values back from codes: code_book[code] x absmax of the block.
 *
 * @example
 * const back = dequantizeBlockwise(quantizeBlockwise([0.25, 4], false, 256)); // ≈ [0.25, 4]
 */
export function dequantizeBlockwise(q: QuantizedBlocks, out?: Float32Array): Float32Array {
  const n = q.codes.length;
  const res = out ?? new Float32Array(n);
  const code = mapFor(q.signed).code;
  for (let i = 0; i < n; i++) res[i] = code[q.codes[i]] * q.absmax[Math.floor(i / q.blockSize)];
  return res;
}

/**
 * Bytes held by a quantised tensor: one per value plus four per block.
 *
 * @example
 * quantizedBytes(quantizeBlockwise(new Float32Array(1000), true, 256)); // 1000 + 4 * 4
 */
export function quantizedBytes(q: QuantizedBlocks): number {
  return q.codes.byteLength + q.absmax.byteLength;
}

function checkBlockSize(blockSize: number): void {
  if (!(BLOCK_SIZES as readonly number[]).includes(blockSize)) {
    throw new Error(`8-bit optimizer states: blockSize must be one of ${BLOCK_SIZES.join(' or ')}, got ${blockSize}`);
  }
}
