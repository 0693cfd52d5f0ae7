import * as fs from 'fs';
import * as path from 'path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../kernel-lib/src/io/safetensors';
import { SafetensorsError } from '../../kernel-lib/src/io/safetensors-error';
import { hiddenFiles, makeTempDir, removeTempDirs } from './fixtures';

afterAll(removeTempDirs);
afterEach(() => vi.restoreAllMocks());

describe('writeSafetensors output, byte by byte', () => {
  const dir = makeTempDir('st-write');

  it('F32: compact JSON header padded with spaces to 8 bytes, then little-endian data', async () => {
    const file = path.join(dir, 'one.safetensors');
    await writeSafetensors(file, [{ name: 'w', shape: [2], data: new Float32Array([1, -2]) }]);
    const bytes = fs.readFileSync(file);
    const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes -> padded to 56
    expect(bytes.readBigUInt64LE(0)).toBe(56n);
    expect(bytes.subarray(8, 8 + 54).toString('utf8')).toBe(json);
    expect([bytes[62], bytes[63]]).toEqual([0x20, 0x20]);
    expect([...bytes.subarray(64)]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]); // 1.0f, -2.0f
    expect(bytes.byteLength).toBe(72);
  });

  it('BF16 with metadata: metadata first, tensors sorted by name, bits rounded to even', async () => {
    const file = path.join(dir, 'bf16.safetensors');
    await writeSafetensors(
      file,
      [
        { name: 'b', shape: [1], data: new Float32Array([1 + 3 * 2 ** -8]) }, // tie -> 0x3f82
        { name: 'a', shape: [2], data: new Float32Array([-2.5, NaN]) }, // 0xc020, 0x7fc0
      ],
      { dtype: 'BF16', metadata: { format: 'pt' } },
    );
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}',
    );
    const data = bytes.subarray(8 + n);
    expect([data.readUInt16LE(0), data.readUInt16LE(2), data.readUInt16LE(4)]).toEqual([0xc020, 0x7fc0, 0x3f82]);
  });

  it('F16 bits, including a value that overflows to infinity', async () => {
    const file = path.join(dir, 'f16.safetensors');
    await writeSafetensors(file, [{ name: 'h', shape: [4], data: new Float32Array([1, 65504, 65520, 2 ** -24]) }], { dtype: 'F16' });
    const bytes = fs.readFileSync(file);
    const data = bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
    expect([0, 2, 4, 6].map((o) => data.readUInt16LE(o))).toEqual([0x3c00, 0x7bff, 0x7c00, 0x0001]);
  });
});

describe('round trips', () => {
  const dir = makeTempDir('st-roundtrip');
  // Values exactly representable in every format: small integers and halves.
  const exact = new Float32Array([0, 1, -2, 0.5, -0.25, 3, 96, -1024, Infinity, -Infinity]);
  // Values that need rounding, to compare against the scalar conversions.
  const noisy = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 9) - 4));

  for (const dtype of ['F32', 'BF16', 'F16'] as const) {
    it(`${dtype}: exact values come back exactly; names, shapes, metadata kept`, async () => {
      const file = path.join(dir, `rt-${dtype}.safetensors`);
      await writeSafetensors(
        file,
        [
          { name: 'model.layers.0.mlp.up_proj.weight', shape: [2, 5], data: exact },
          { name: 'model.norm.weight', shape: [], data: new Float32Array([1.5]) },
          { name: 'empty', shape: [0, 3], data: new Float32Array(0) },
        ],
        { dtype, metadata: { format: 'pt', step: '7' } },
      );
      const { tensors, metadata } = await readSafetensors(file);
      expect(metadata).toEqual({ format: 'pt', step: '7' });
      expect([...tensors.keys()]).toEqual(['empty', 'model.layers.0.mlp.up_proj.weight', 'model.norm.weight']);
      const w = tensors.get('model.layers.0.mlp.up_proj.weight')!;
      expect(w.dtype).toBe(dtype);
      expect(w.shape).toEqual([2, 5]);
      expect(Array.from(w.data)).toEqual(Array.from(exact));
      expect(tensors.get('model.norm.weight')!.shape).toEqual([]);
      expect(tensors.get('empty')!.shape).toEqual([0, 3]);
      expect(hiddenFiles(dir)).toEqual([]);
    });
  }

  it('rounding error is within half a unit in the last place of each format', async () => {
    for (const [dtype, bits] of [['BF16', 8], ['F16', 11]] as const) {
      const file = path.join(dir, `noisy-${dtype}.safetensors`);
      await writeSafetensors(file, [{ name: 'x', shape: [noisy.length], data: noisy }], { dtype });
      const back = (await readSafetensors(file)).tensors.get('x')!.data;
      for (let i = 0; i < noisy.length; i++) {
        const v = noisy[i];
        if (Math.abs(v) < 2 ** -14) continue; // F16 subnormals have a fixed absolute step
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(v))) - (bits - 1));
        expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(ulp / 2);
      }
    }
  });

  it('a per-tensor dtype overrides the file dtype', async () => {
    const file = path.join(dir, 'mixed.safetensors');
    await writeSafetensors(
      file,
      [
        { name: 'w', shape: [1], data: new Float32Array([0.1]) },
        { name: 'norm', shape: [1], data: new Float32Array([0.1]), storeAs: 'F32' },
      ],
      { dtype: 'BF16' },
    );
    const h = await readSafetensorsHeader(file);
    expect(h.entries.get('w')!.dtype).toBe('BF16');
    expect(h.entries.get('norm')!.dtype).toBe('F32');
    const { tensors } = await readSafetensors(file);
    expect(tensors.get('norm')!.data[0]).toBe(Math.fround(0.1));
    expect(tensors.get('w')!.data[0]).toBe(0.10009765625); // bf16 0x3dcd
  });

  it('accepts a Map from readSafetensors; the stored dtype it came with does not override opts.dtype', async () => {
    const src = path.join(dir, 'rt-BF16.safetensors');
    const copy = path.join(dir, 'copy.safetensors');
    const { tensors } = await readSafetensors(src);
    expect(tensors.get('model.norm.weight')!.dtype).toBe('BF16');
    await writeSafetensors(copy, tensors);
    expect((await readSafetensorsHeader(copy)).entries.get('model.norm.weight')!.dtype).toBe('F32');
    const { tensors: again, metadata } = await readSafetensors(copy);
    expect(metadata).toEqual({}); // metadata is only written when given
    expect(Array.from(again.get('model.layers.0.mlp.up_proj.weight')!.data)).toEqual(Array.from(exact));
  });
});

describe('bad arguments', () => {
  const dir = makeTempDir('st-args');
  const file = path.join(dir, 'x.safetensors');
  const cases: [string, unknown[], string, RegExp][] = [
    ['data length != product(shape)', [{ name: 'w', shape: [2, 2], data: new Float32Array(3) }], 'size-mismatch', /3 values.*needs 4/],
    ['duplicate names', [{ name: 'w', shape: [1], data: new Float32Array(1) }, { name: 'w', shape: [1], data: new Float32Array(1) }], 'bad-argument', /twice/],
    ['negative dimension', [{ name: 'w', shape: [-1], data: new Float32Array(0) }], 'bad-shape', /non-negative/],
    ['the reserved name __metadata__', [{ name: '__metadata__', shape: [1], data: new Float32Array(1) }], 'bad-argument', /__metadata__/],
    ['data that is not a Float32Array', [{ name: 'w', shape: [1], data: [1] }], 'bad-argument', /Float32Array/],
  ];
  for (const [label, tensors, kind, pattern] of cases) {
    it(label, async () => {
      const err = await writeSafetensors(file, tensors as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as SafetensorsError).kind).toBe(kind);
      expect((err as SafetensorsError).message).toMatch(pattern);
      expect(fs.existsSync(file)).toBe(false);
    });
  }
  it('an unwritable dtype', async () => {
    await expect(writeSafetensors(file, [], { dtype: 'I64' as never })).rejects.toMatchObject({ kind: 'bad-argument' });
  });
});

describe('atomicity', () => {
  it('a write that fails midway (disk full) leaves the previous file intact and no temp file', async () => {
    const dir = makeTempDir('st-atomic');
    const file = path.join(dir, 'model.safetensors');
    await writeSafetensors(file, [{ name: 'w', shape: [3], data: new Float32Array([1, 2, 3]) }]);
    const before = fs.readFileSync(file);

    // FileHandle.prototype.write: the header goes through, the next write fails like a full disk.
    const probe = await fs.promises.open(file, 'r');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = proto.write;
    let calls = 0;
    vi.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      calls += 1;
      if (calls >= 2) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      return original.apply(this, args);
    });

    const big = new Float32Array(1000).fill(9);
    await expect(
      writeSafetensors(file, [
        { name: 'a', shape: [1000], data: big },
        { name: 'b', shape: [1000], data: big },
      ]),
    ).rejects.toThrow(/ENOSPC/);
    expect(calls).toBeGreaterThanOrEqual(2);
    vi.restoreAllMocks();

    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    expect(Array.from((await readSafetensors(file)).tensors.get('w')!.data)).toEqual([1, 2, 3]);
  });
});
