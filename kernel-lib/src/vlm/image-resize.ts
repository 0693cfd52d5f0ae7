/**
 * Resampling of float image planes, separably (rows, then columns), with
 * one list of (source index, weight) pairs per output index:
 *
 * - `bilinear`: pixel centres at half-integers (torch's `align_corners=False`):
 *   output i samples source coordinate (i + 0.5) * in / out - 0.5, clamped at
 *   the borders, from its two neighbours;
 * - `area`: output i averages the source interval [i * in / out, (i + 1) * in / out),
 *   each source pixel weighted by its overlap (exact box filter; for integer
 *   factors this is the mean of each k x k block).
 */

/** Resampling rule of `resizePlanes`. */
export type ResizeMethod = 'bilinear' | 'area';

/** Per output index: the source indices it reads and their weights (summing to 1). */
export interface ResampleTaps {
  index: number[][];
  weight: number[][];
}

/**
 * The 1-D taps that map `inSize` samples to `outSize`.
 *
 * @example
 * resampleTaps(4, 2, 'area'); // index [[0, 1], [2, 3]], weight [[0.5, 0.5], [0.5, 0.5]]
 */
export function resampleTaps(inSize: number, outSize: number, method: ResizeMethod): ResampleTaps {
  if (!(Number.isInteger(inSize) && inSize > 0 && Number.isInteger(outSize) && outSize > 0)) {
    throw new Error(`resampleTaps: sizes must be positive integers, got ${inSize} -> ${outSize}`);
  }
  const scale = inSize / outSize;
  const index: number[][] = [];
  const weight: number[][] = [];
  for (let o = 0; o < outSize; o++) {
    if (method === 'bilinear') {
      const x = Math.min(inSize - 1, Math.max(0, (o + 0.5) * scale - 0.5));
      const x0 = Math.floor(x);
      const x1 = Math.min(inSize - 1, x0 + 1);
      const t = x - x0;
      index.push(x1 === x0 ? [x0] : [x0, x1]);
      weight.push(x1 === x0 ? [1] : [1 - t, t]);
    } else if (method === 'area') {
      const lo = o * scale;
      const hi = (o + 1) * scale;
      const idx: number[] = [];
      const w: number[] = [];
      for (let s = Math.floor(lo); s < Math.min(inSize, Math.ceil(hi)); s++) {
        const overlap = Math.min(hi, s + 1) - Math.max(lo, s);
        if (overlap > 1e-12) { idx.push(s); w.push(overlap / scale); }
      }
      index.push(idx);
      weight.push(w);
    } else {
      throw new Error(`resampleTaps: unknown method "${method as string}" (expected bilinear or area)`);
    }
  }
  return { index, weight };
}

/**
 * Resize `channels` planes [C, inH, inW] to [C, outH, outW].
 *
 * @example
 * const small = resizePlanes(Float32Array.from([0, 1, 2, 3]), 1, 2, 2, 1, 1, 'area'); // [1.5]
 */
export function resizePlanes(
  data: Float32Array, channels: number, inH: number, inW: number, outH: number, outW: number, method: ResizeMethod,
): Float32Array {
  if (data.length !== channels * inH * inW) {
    throw new Error(`resizePlanes: ${data.length} values for ${channels} x ${inH} x ${inW}`);
  }
  const rows = resampleTaps(inH, outH, method);
  const cols = resampleTaps(inW, outW, method);
  const out = new Float32Array(channels * outH * outW);
  const tmp = new Float32Array(inH * outW); // columns resampled, rows not yet
  for (let c = 0; c < channels; c++) {
    const src = c * inH * inW;
    for (let y = 0; y < inH; y++) {
      for (let x = 0; x < outW; x++) {
        let v = 0;
        const idx = cols.index[x];
        const w = cols.weight[x];
        for (let k = 0; k < idx.length; k++) v += w[k] * data[src + y * inW + idx[k]];
        tmp[y * outW + x] = v;
      }
    }
    const dst = c * outH * outW;
    for (let y = 0; y < outH; y++) {
      const idx = rows.index[y];
      const w = rows.weight[y];
      for (let x = 0; x < outW; x++) {
        let v = 0;
        for (let k = 0; k < idx.length; k++) v += w[k] * tmp[idx[k] * outW + x];
        out[dst + y * outW + x] = v;
      }
    }
  }
  return out;
}
