import { describe, expect, it } from 'vitest';
import {
  bfloat16ArrayToFloat32,
  bfloat16BitsToFloat32,
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  float8ArrayToFloat32,
} from '../../kernel-lib/src/io/float-bits';

/** A float32 from its bit pattern, to build NaNs with a sign and exact ties. */
function f32(bits: number): number {
  const u = new Uint32Array([bits >>> 0]);
  return new Float32Array(u.buffer)[0];
}

describe('float32 -> F16 bits (round to nearest even)', () => {
  // Expected patterns worked out by hand: sign | (exp + 15) << 10 | mantissa * 1024.
  const cases: [string, number, number][] = [
    ['1.0', 1, 0x3c00],
    ['-2.5 = -1.25 * 2^1', -2.5, 0xc100],
    ['0.1 = 1.6 * 2^-4, mantissa 614.4 -> 614', 0.1, 0x2e66],
    ['65504, largest finite half', 65504, 0x7bff],
    ['65519.99 rounds down to 65504', 65519.99, 0x7bff],
    ['65520, tie between 65504 (odd) and 65536 -> even = infinity', 65520, 0x7c00],
    ['1e6 overflows to infinity', 1e6, 0x7c00],
    ['2^-24, smallest subnormal', 2 ** -24, 0x0001],
    ['1023 * 2^-24, largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['2^-14, smallest normal', 2 ** -14, 0x0400],
    ['2^-25, tie between 0 and 2^-24 -> even = 0', 2 ** -25, 0x0000],
    ['1.5 * 2^-25 rounds up to 2^-24', 1.5 * 2 ** -25, 0x0001],
    ['2^-26 underflows to 0', 2 ** -26, 0x0000],
    ['-2^-24', -(2 ** -24), 0x8001],
    ['1 + 2^-11, tie between 0x3c00 (even) and 0x3c01', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11, tie between 0x3c01 and 0x3c02 (even)', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-20, just above the tie', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['1023.75 * 2^-24 rounds up out of the subnormals to the smallest normal', 1023.75 * 2 ** -24, 0x0400],
    ['+infinity', Infinity, 0x7c00],
    ['-infinity', -Infinity, 0xfc00],
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['NaN', NaN, 0x7e00],
    ['-NaN keeps its sign', f32(0xffc00000), 0xfe00],
    ['signalling NaN becomes quiet', f32(0x7f800001), 0x7e00],
  ];
  for (const [label, value, bits] of cases) {
    it(label, () => {
      expect(float32ToFloat16Bits(value)).toBe(bits);
    });
  }

  it('the array version agrees with the scalar one', () => {
    const values = new Float32Array(cases.map((c) => c[1]));
    expect(Array.from(float32ArrayToFloat16(values))).toEqual(cases.map((c) => c[2]));
  });
});

describe('F16 bits -> float32', () => {
  const cases: [number, number][] = [
    [0x3c00, 1],
    [0xc100, -2.5],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125], // 1.3330078125 * 2^-2
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [bits, value] of cases) {
    it(`0x${bits.toString(16)} -> ${value}`, () => {
      expect(float16BitsToFloat32(bits)).toBe(value);
      expect(float16ArrayToFloat32(new Uint16Array([bits]))[0]).toBe(value);
    });
  }
  it('keeps -0 and NaN', () => {
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(Number.isNaN(float16BitsToFloat32(0x7e00))).toBe(true);
    expect(Number.isNaN(float16ArrayToFloat32(new Uint16Array([0xfd01]))[0])).toBe(true);
  });
  it('every finite half survives half -> float32 -> half', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const widened = float16ArrayToFloat32(all);
    const back = float32ArrayToFloat16(widened);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!isNaN && back[h] !== h) throw new Error(`half 0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
    }
  });
});

describe('float32 <-> BF16 bits', () => {
  const cases: [string, number, number][] = [
    ['1.0 (0x3f800000)', 1, 0x3f80],
    ['-2.5 (0xc0200000)', -2.5, 0xc020],
    ['1 + 2^-8 is a tie; 0x3f80 is even', 1 + 2 ** -8, 0x3f80],
    ['1 + 3 * 2^-8 is a tie; 0x3f82 is even', 1 + 3 * 2 ** -8, 0x3f82],
    ['1 + 2^-8 + 2^-20 rounds up', 1 + 2 ** -8 + 2 ** -20, 0x3f81],
    ['largest float32 rounds to infinity, as torch does', f32(0x7f7fffff), 0x7f80],
    ['float32 subnormal 1e-40 (71362 units of 2^-149) -> 1 unit of 2^-133', 1e-40, 0x0001],
    ['+infinity', Infinity, 0x7f80],
    ['-infinity', -Infinity, 0xff80],
    ['-0', -0, 0x8000],
    ['NaN -> 0x7fc0', NaN, 0x7fc0],
    ['-NaN -> 0x7fc0 (canonical quiet NaN, as c10::BFloat16 writes it)', f32(0xffc00000), 0x7fc0],
    ['NaN with a low payload only stays NaN', f32(0x7f800001), 0x7fc0],
  ];
  for (const [label, value, bits] of cases) {
    it(label, () => {
      expect(float32ToBfloat16Bits(value)).toBe(bits);
      expect(float32ArrayToBfloat16(new Float32Array([value]))[0]).toBe(bits);
    });
  }
  it('widens exactly', () => {
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat32(0xc020)).toBe(-2.5);
    expect(bfloat16BitsToFloat32(0x7f80)).toBe(Infinity);
    expect(bfloat16BitsToFloat32(0x0001)).toBe(2 ** -133);
    expect(Number.isNaN(bfloat16BitsToFloat32(0x7fc0))).toBe(true);
    expect(Array.from(bfloat16ArrayToFloat32(new Uint16Array([0x4049, 0xbf00])))).toEqual([3.140625, -0.5]);
  });
  it('rejects a destination that is too short', () => {
    expect(() => float32ArrayToBfloat16(new Float32Array(3), new Uint16Array(2))).toThrow(/at least 3/);
  });
});

describe('F8 bytes -> float32', () => {
  it('E4M3 (fn): bias 7, no infinities, 0x7f is NaN', () => {
    const out = float8ArrayToFloat32(new Uint8Array([0x38, 0xc0, 0x7e, 0x01, 0x7f, 0x80]), 'F8_E4M3');
    expect(Array.from(out.subarray(0, 4))).toEqual([1, -2, 448, 2 ** -9]);
    expect(Number.isNaN(out[4])).toBe(true);
    expect(Object.is(out[5], -0)).toBe(true);
  });
  it('E5M2 is the top byte of a half', () => {
    const out = float8ArrayToFloat32(new Uint8Array([0x3c, 0xc1, 0x7c, 0x01]), 'F8_E5M2');
    expect(Array.from(out)).toEqual([1, -2.5, Infinity, 2 ** -16]);
  });
});
