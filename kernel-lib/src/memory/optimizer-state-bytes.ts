/**
 * Bytes of optimizer state for ONE parameter, from its shape alone: one
 * function per optimizer layout. All state is float32 (4 bytes) unless 8-bit.
 */

/** Bytes per float32 element (weights, gradients, 32-bit moments, projection matrices). */
export const FLOAT32_BYTES = 4;

/** How 8-bit moments are stored (bitsandbytes' block-wise dynamic quantisation). */
export interface Blockwise8bitLayout {
  /** Elements per quantisation block; one float32 absmax per block. */
  blockSize: number;
  /** Tensors with fewer elements keep float32 moments (bitsandbytes' `min_8bit_size`). */
  minSize: number;
}

/**
 * The layout of our `adamW8bit` (optim/adamw-8bit.ts) and of current
 * bitsandbytes: blocks of 256, 8-bit from 4096 elements (older bitsandbytes
 * releases, the ones galore-torch was written against, used blocks of 2048).
 */
export const DEFAULT_8BIT_LAYOUT: Blockwise8bitLayout = { blockSize: 256, minSize: 4096 };

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The two parts of one stored moment tensor: values (float or 8-bit codes) and per-block absmax scales. */
export interface MomentParts {
  values: number;
  scales: number;
}

/**
 * Bytes of ONE Adam moment tensor of `n` elements, split into values and
 * quantisation scales.
 *
 *   float:  values = floatBytes n                  scales = 0
 *   8-bit:  values = n (uint8 codes)               scales = 4 ceil(n / blockSize)
 *           (float when n < minSize)
 *
 * @example
 * momentParts(4096, true);  // { values: 4096, scales: 64 }  (16 blocks of 256)
 * momentParts(4096, false); // { values: 16384, scales: 0 }
 */
export function momentParts(n: number, eightBit: boolean, layout: Blockwise8bitLayout = DEFAULT_8BIT_LAYOUT, floatBytes = FLOAT32_BYTES): MomentParts {
  if (!eightBit || n < layout.minSize) return { values: floatBytes * n, scales: 0 };
  return { values: n, scales: FLOAT32_BYTES * Math.ceil(n / layout.blockSize) };
}

/**
 * Bytes of ONE Adam moment tensor of `n` elements: `momentParts` summed.
 *
 * @example
 * momentBytes(4096, true);   // 4096 + 4 * 16 = 4160
 * momentBytes(4096, false);  // 16384
 */
export function momentBytes(n: number, eightBit: boolean, layout: Blockwise8bitLayout = DEFAULT_8BIT_LAYOUT, floatBytes = FLOAT32_BYTES): number {
  const p = momentParts(n, eightBit, layout, floatBytes);
  return p.values + p.scales;
}

/**
 * AdamW state for a parameter: exp_avg and exp_avg_sq, both shaped like it.
 *
 *   bytes = 2 * momentBytes(numel)      (= 8 numel in float32)
 *
 * @example
 * adamWStateBytes([896, 896], false); // 6_422_528
 */
export function adamWStateBytes(shape: readonly number[], eightBit = false, layout: Blockwise8bitLayout = DEFAULT_8BIT_LAYOUT): number {
  return 2 * momentBytes(numel(shape), eightBit, layout);
}

/** galore-torch's `proj_type` values. */
export type GaloreProjType = 'std' | 'reverse_std' | 'right' | 'left' | 'full';

/** The tensors GaLore keeps for one [m, n] weight: projection factor(s) and the low-rank moments' shape. */
export interface GaloreStateLayout {
  /** Orthogonal factor(s): right [r, n] or left [m, r] ('full' keeps both). */
  projectors: number[][];
  /** Shape of exp_avg and of exp_avg_sq (the projected gradient's shape). */
  moments: number[];
  /** Which side the projection is on. */
  side: 'right' | 'left' | 'full';
}

/**
 * galore-torch's layout for a gradient [m, n] at rank r (GaLoreProjector):
 *
 *   std:         m >= n -> right factor P [r, n], moments [m, r] (G P^T)
 *                m <  n -> left  factor P [m, r], moments [r, n] (P^T G)
 *   reverse_std: the opposite choice
 *   right/left:  always that side
 *   full:        both factors [m, r] and [r, n], moments [r, r]
 *
 * r is the rank clipped to min(m, n), as our GaLoreProjector does
 * (galore-torch does not clip, and fails for some shapes). A rank equal to
 * min(m, n) makes the moments as large as full Adam's, plus the factor.
 *
 * @example
 * galoreStateLayout([4864, 896], 128, 'std'); // projectors [[128, 896]], moments [4864, 128]
 */
export function galoreStateLayout(shape: readonly number[], rank: number, projType: GaloreProjType = 'std'): GaloreStateLayout {
  if (shape.length !== 2) throw new Error(`galoreStateLayout: GaLore projects 2-D weights, got shape [${shape}]`);
  if (!(Number.isInteger(rank) && rank > 0)) throw new Error(`galoreStateLayout: rank must be a positive integer, got ${rank}`);
  const [m, n] = shape;
  rank = Math.min(rank, m, n);
  const tall = m >= n;
  let side: 'right' | 'left' | 'full';
  if (projType === 'std') side = tall ? 'right' : 'left';
  else if (projType === 'reverse_std') side = tall ? 'left' : 'right';
  else side = projType;
  if (side === 'right') return { side, projectors: [[rank, n]], moments: [m, rank] };
  if (side === 'left') return { side, projectors: [[m, rank]], moments: [rank, n] };
  return { side, projectors: [[m, rank], [rank, n]], moments: [rank, rank] };
}

/** Bytes of GaLore state for one projected weight, split by kind. */
export interface GaloreStateBytes {
  moments: number;
  projectors: number;
  total: number;
}

/**
 * GaLore-AdamW state of one [m, n] weight: the float32 projection factor(s)
 * plus two Adam moments on the projected gradient (8-bit when asked, as
 * galore-torch's GaLoreAdamW8bit, whose factors stay in the weight dtype).
 *
 *   bytes = 4 * sum(numel(factor)) + 2 * momentBytes(numel(moments))
 *
 * @example
 * galoreStateBytes([4864, 896], 128).total; // 4*128*896 + 8*4864*128 = 5_439_488
 */
export function galoreStateBytes(
  shape: readonly number[], rank: number, projType: GaloreProjType = 'std',
  eightBit = false, layout: Blockwise8bitLayout = DEFAULT_8BIT_LAYOUT,
): GaloreStateBytes {
  const l = galoreStateLayout(shape, rank, projType);
  const projectors = FLOAT32_BYTES * l.projectors.reduce((a, s) => a + numel(s), 0);
  const moments = 2 * momentBytes(numel(l.moments), eightBit, layout);
  return { moments, projectors, total: moments + projectors };
}
