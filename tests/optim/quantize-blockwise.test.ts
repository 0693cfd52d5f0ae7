import { describe, expect, it } from 'vitest';
import {
  dequantizeBlockwise, dynamicQuantMap, quantizeBlockwise, quantizedBytes, requantizeBlock,
} from '../../kernel-lib/src/optim/quantize-blockwise';
import { seededRandom } from '../../kernel-lib/src/util/random';

describe('dynamic quantisation map (bitsandbytes dynamic tree)', () => {
  it('has 256 sorted entries with 0 and 1, 7 decades down to ~1e-7', () => {
    for (const signed of [true, false]) {
      const code = dynamicQuantMap(signed);
      expect(code.length).toBe(256);
      for (let i = 1; i < 256; i++) expect(code[i]).toBeGreaterThan(code[i - 1]);
      expect(code[255]).toBe(1);
      expect(code.includes(0)).toBe(true);
    }
    // hand values: the top decade of the signed map has 64 intervals on [0.1, 1];
    // its most negative entry is the midpoint of the last: -(0.1 + 0.9 * 63.5 / 64)
    expect(dynamicQuantMap(true)[0]).toBeCloseTo(-(0.1 + (0.9 * 63.5) / 64), 6);
    // the smallest unsigned entry: 1e-6 * midpoint of [0.1, 0.55]
    expect(dynamicQuantMap(false)[1]).toBeCloseTo(1e-6 * 0.325, 12);
    expect(dynamicQuantMap(false)[0]).toBe(0);
  });
});

describe('quantizeBlockwise / dequantizeBlockwise', () => {
  const rng = seededRandom(5);
  const x = Float32Array.from({ length: 1000 }, () => rng.normal() * 3);

  it('keeps one absmax per block and round-trips within half a top-decade step', () => {
    const q = quantizeBlockwise(x, true, 256);
    expect(q.absmax.length).toBe(4);
    expect(q.absmax[0]).toBe(Math.max(...Array.from(x.slice(0, 256), Math.abs)));
    const back = dequantizeBlockwise(q);
    for (let i = 0; i < x.length; i++) {
      const absmax = q.absmax[Math.floor(i / 256)];
      // the coarsest spacing of the map is 0.9 / 64 (top decade): error <= half of it
      expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual((0.9 / 64 / 2) * absmax * 1.0001);
    }
    expect(quantizedBytes(q)).toBe(1000 + 4 * 4);
  });

  it('keeps small values that a linear 8-bit map would round to zero', () => {
    const v = [1, 3e-3, 2e-4, 5e-5];
    const back = dequantizeBlockwise(quantizeBlockwise(Float32Array.from(v), false, 256));
    // unsigned decade [10^(e-7), 10^(e-6)] holds 2^(e+1) midpoints of equal intervals, so the
    // error is at most half an interval: 0.45 * 10^(e-6) / 2^(e+1)
    const halfStep = (e: number) => (0.45 * 10 ** (e - 6)) / 2 ** (e + 1);
    expect(back[0]).toBe(1);
    expect(Math.abs(back[1] - v[1])).toBeLessThanOrEqual(halfStep(4)); // 4.7% of 3e-3
    expect(Math.abs(back[2] - v[2])).toBeLessThanOrEqual(halfStep(3)); // 14% of 2e-4
    expect(Math.abs(back[3] - v[3])).toBeLessThanOrEqual(halfStep(2)); // 11% of 5e-5
    expect(back[3]).toBeGreaterThan(0);
    // a linear 256-level map on [0, 1] would store 2e-4 and 5e-5 as 0
    expect(Math.round(2e-4 * 255)).toBe(0);
  });

  it('stores code-book entries exactly and clamps negatives to 0 in the unsigned map', () => {
    const code = dynamicQuantMap(false);
    const v = Float32Array.from([code[255], code[200], code[17], -0.5]);
    const back = dequantizeBlockwise(quantizeBlockwise(v, false, 256));
    expect(Array.from(back.slice(0, 3))).toEqual([code[255], code[200], code[17]]);
    expect(back[3]).toBe(0);
  });

  it('handles all-zero blocks, and marks non-finite blocks NaN instead of hiding them', () => {
    const q = quantizeBlockwise(new Float32Array(300), true, 256);
    expect(Array.from(dequantizeBlockwise(q)).every((v) => v === 0)).toBe(true);
    const bad = Float32Array.from({ length: 300 }, (_, i) => (i === 5 ? NaN : 1));
    const qb = quantizeBlockwise(bad, true, 256);
    expect(Number.isNaN(qb.absmax[0])).toBe(true);
    expect(qb.absmax[1]).toBe(1);
  });

  it('re-quantises one block in place from block-local values', () => {
    const q = quantizeBlockwise(new Float32Array(512), false, 256);
    requantizeBlock(q, 1, new Float32Array(256).fill(2));
    const back = dequantizeBlockwise(q);
    expect(back[255]).toBe(0);
    expect(back[256]).toBe(2);
    expect(back[511]).toBe(2);
  });

  it('rejects unsupported block sizes with the allowed ones', () => {
    expect(() => quantizeBlockwise([1], true, 100)).toThrow(/256 or 2048/);
  });
});

it('picks the nearest code-book entry, as a brute-force search does, across 7 decades and both signs', () => {
  const rng = seededRandom(11);
  for (const signed of [true, false]) {
    const code = dynamicQuantMap(signed);
    // one block of 256: element 0 pins absmax to 1, the rest span magnitudes 1e-8 .. 1
    const x = Float32Array.from({ length: 256 }, (_, i) => {
      if (i === 0) return 1;
      const mag = 10 ** (-8 * rng.next());
      return signed && rng.next() < 0.5 ? -mag : mag;
    });
    const q = quantizeBlockwise(x, signed, 256);
    for (let i = 0; i < 256; i++) {
      let best = 0;
      for (let k = 1; k < 256; k++) if (Math.abs(code[k] - x[i]) < Math.abs(code[best] - x[i])) best = k;
      expect(Math.abs(code[q.codes[i]] - x[i])).toBeCloseTo(Math.abs(code[best] - x[i]), 12);
    }
  }
});
