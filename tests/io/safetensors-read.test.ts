import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors, readSafetensors, readSafetensorsHeader } from '../../kernel-lib/src/io/safetensors';
import { SafetensorsError, SafetensorsErrorKind } from '../../kernel-lib/src/io/safetensors-error';
import { assembleSafetensors, makeTempDir, removeTempDirs, writeBytes } from './fixtures';

afterAll(removeTempDirs);

/**
 * A file built byte by byte. The JSON order (h, a, b, ...) differs from the
 * byte order, offsets are not aligned (the I64 starts at byte 14), and one
 * tensor has zero elements.
 *
 *   bytes  0..8   a  F32  [2]    1.5, -2        (0x3fc00000, 0xc0000000)
 *   bytes  8..12  b  BF16 [1,2]  0x3f80, 0xc020 -> 1, -2.5
 *   bytes 12..14  c  F16  []     0x7bff         -> 65504
 *   bytes 14..22  d  I64  [1]    -3
 *   bytes 22..25  e  BOOL [3]    1, 0, 1
 *   bytes 25..27  f  U8   [2]    7, 255
 *   bytes 27..31  g  I32  [1]    -5
 *   bytes 31..39  h  F64  [1]    0.1
 *   bytes 39..39  z  F32  [0, 4] (empty)
 */
function handBuiltFile(): { bytes: Buffer; header: string } {
  const data = Buffer.alloc(39);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-2, 4);
  data.writeUInt16LE(0x3f80, 8);
  data.writeUInt16LE(0xc020, 10);
  data.writeUInt16LE(0x7bff, 12);
  data.writeBigInt64LE(-3n, 14);
  data.set([1, 0, 1], 22);
  data.set([7, 255], 25);
  data.writeInt32LE(-5, 27);
  data.writeDoubleLE(0.1, 31);
  const header =
    '{"h":{"dtype":"F64","shape":[1],"data_offsets":[31,39]},' +
    '"__metadata__":{"format":"pt","note":"hand built"},' +
    '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]},' +
    '"c":{"dtype":"F16","shape":[],"data_offsets":[12,14]},' +
    '"d":{"dtype":"I64","shape":[1],"data_offsets":[14,22]},' +
    '"e":{"dtype":"BOOL","shape":[3],"data_offsets":[22,25]},' +
    '"f":{"dtype":"U8","shape":[2],"data_offsets":[25,27]},' +
    '"g":{"dtype":"I32","shape":[1],"data_offsets":[27,31]},' +
    '"z":{"dtype":"F32","shape":[0,4],"data_offsets":[39,39]}}';
  return { bytes: assembleSafetensors(header + '   ', data), header };
}

describe('reading a hand-built file', () => {
  const dir = makeTempDir('st-read');
  const { bytes, header } = handBuiltFile();
  const file = writeBytes(dir, 'hand.safetensors', bytes);

  it('reads the header: entries, metadata and sizes', async () => {
    const h = await readSafetensorsHeader(file);
    expect(h.headerBytes).toBe(Buffer.byteLength(header) + 3);
    expect(h.dataStart).toBe(8 + Buffer.byteLength(header) + 3);
    expect(h.fileBytes).toBe(bytes.byteLength);
    expect(h.metadata).toEqual({ format: 'pt', note: 'hand built' });
    expect([...h.entries.keys()]).toEqual(['h', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'z']);
    expect(h.entries.get('d')).toMatchObject({ dtype: 'I64', shape: [1], dataOffsets: [14, 22], elementCount: 1 });
  });

  it('decodes every dtype to the values put in', async () => {
    const { tensors, metadata } = await readSafetensors(file);
    expect(metadata.note).toBe('hand built');
    expect(Array.from(tensors.get('a')!.data)).toEqual([1.5, -2]);
    expect(tensors.get('b')).toMatchObject({ dtype: 'BF16', shape: [1, 2] });
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -2.5]);
    expect(tensors.get('c')!.shape).toEqual([]);
    expect(Array.from(tensors.get('c')!.data)).toEqual([65504]);
    expect(Array.from(tensors.get('d')!.raw as BigInt64Array)).toEqual([-3n]);
    expect(Array.from(tensors.get('d')!.data)).toEqual([-3]);
    expect(Array.from(tensors.get('e')!.raw as Uint8Array)).toEqual([1, 0, 1]);
    expect(Array.from(tensors.get('f')!.data)).toEqual([7, 255]);
    expect(Array.from(tensors.get('g')!.raw as Int32Array)).toEqual([-5]);
    expect((tensors.get('h')!.raw as Float64Array)[0]).toBe(0.1);
    expect(tensors.get('h')!.data[0]).toBe(Math.fround(0.1));
    expect(tensors.get('z')!.data.length).toBe(0);
    expect(tensors.get('a')!.raw).toBeUndefined();
  });

  it('reads only the requested tensors, in the requested order', async () => {
    const { tensors } = await readSafetensors(file, { names: ['g', 'b'] });
    expect([...tensors.keys()]).toEqual(['g', 'b']);
  });

  it('a reader loads tensors one at a time', async () => {
    const reader = await openSafetensors(file);
    try {
      expect(reader.names).toContain('c');
      expect((await reader.read('b')).data[1]).toBe(-2.5);
      await expect(reader.read('nope')).rejects.toMatchObject({ kind: 'missing-tensor', tensor: 'nope' });
    } finally {
      await reader.close();
    }
  });

  it('reads a BF16 tensor larger than one 8 MB chunk', async () => {
    const n = 5_000_000; // 10 MB of BF16: two chunks
    const data = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) data.writeUInt16LE(i % 2 === 0 ? 0x3f80 : 0xc020, i * 2); // 1, -2.5, ...
    const big = writeBytes(dir, 'big.safetensors', assembleSafetensors(`{"w":{"dtype":"BF16","shape":[${n}],"data_offsets":[0,${n * 2}]}}`, data));
    const w = (await readSafetensors(big)).tensors.get('w')!.data;
    expect(w.length).toBe(n);
    expect([w[0], w[1], w[4_194_303], w[4_194_304], w[n - 1]]).toEqual([1, -2.5, -2.5, 1, -2.5]);
  });
});

/** Expects `promise` to reject with a SafetensorsError of `kind` naming `file` (and `tensor`). */
async function expectError(promise: Promise<unknown>, kind: SafetensorsErrorKind, file: string, tensor?: string, pattern?: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SafetensorsError);
  const e = err as SafetensorsError;
  expect(e.kind).toBe(kind);
  expect(e.file).toBe(file);
  expect(e.message).toContain(file);
  if (tensor !== undefined) {
    expect(e.tensor).toBe(tensor);
    expect(e.message).toContain(`"${tensor}"`);
  }
  if (pattern) expect(e.message).toMatch(pattern);
}

describe('malformed files give a SafetensorsError naming file and tensor', () => {
  const dir = makeTempDir('st-bad');
  let counter = 0;
  const put = (bytes: Uint8Array) => writeBytes(dir, `bad-${counter++}.safetensors`, bytes);
  const entry = (name: string, body: string) => `{"${name}":${body}}`;

  it('file shorter than 8 bytes', async () => {
    const file = put(Buffer.from([1, 2, 3, 4, 5]));
    await expectError(readSafetensors(file), 'truncated-file', file, undefined, /5 bytes.*at least 8/);
  });

  it('header length larger than the file', async () => {
    const file = put(assembleSafetensors('{}', new Uint8Array(0), 200n));
    await expectError(readSafetensorsHeader(file), 'bad-header-length', file, undefined, /200 bytes.*only 2/);
  });

  it('absurd header length (over 100 MB)', async () => {
    const file = put(assembleSafetensors('{}', new Uint8Array(0), 2n ** 40n));
    await expectError(readSafetensorsHeader(file), 'bad-header-length', file, undefined, /100000000/);
  });

  it('header not UTF-8', async () => {
    const file = put(assembleSafetensors(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    await expectError(readSafetensorsHeader(file), 'bad-header-json', file, undefined, /UTF-8/);
  });

  it('header not JSON', async () => {
    const file = put(assembleSafetensors('{"w": {"dtype": '));
    await expectError(readSafetensorsHeader(file), 'bad-header-json', file, undefined, /not valid JSON/);
  });

  it('header JSON not an object', async () => {
    const file = put(assembleSafetensors('[1, 2]'));
    await expectError(readSafetensorsHeader(file), 'bad-header-json', file, undefined, /expected an object/);
  });

  for (const field of ['dtype', 'shape', 'data_offsets']) {
    it(`entry missing ${field}`, async () => {
      const full: Record<string, unknown> = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
      delete full[field];
      const file = put(assembleSafetensors(entry('layer.w', JSON.stringify(full)), new Uint8Array(4)));
      await expectError(readSafetensorsHeader(file), 'bad-entry', file, 'layer.w', new RegExp(`no ${field}`));
    });
  }

  it('unknown dtype', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"F128","shape":[1],"data_offsets":[0,16]}'), new Uint8Array(16)));
    await expectError(readSafetensorsHeader(file), 'unknown-dtype', file, 'w', /"F128".*BF16/);
  });

  it('negative dimension', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}'), new Uint8Array(4)));
    await expectError(readSafetensorsHeader(file), 'bad-shape', file, 'w', /-1.*non-negative integers/);
  });

  it('non-integer dimension', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}'), new Uint8Array(4)));
    await expectError(readSafetensorsHeader(file), 'bad-shape', file, 'w', /1\.5/);
  });

  it('data_offsets past the end of the file', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"F32","shape":[4],"data_offsets":[0,16]}'), new Uint8Array(8)));
    await expectError(readSafetensorsHeader(file), 'bad-offsets', file, 'w', /holds 8 bytes/);
  });

  it('data_offsets with begin > end', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"F32","shape":[1],"data_offsets":[8,4]}'), new Uint8Array(8)));
    await expectError(readSafetensorsHeader(file), 'bad-offsets', file, 'w', /begin > end/);
  });

  it('data_offsets not two integers', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}'), new Uint8Array(4)));
    await expectError(readSafetensorsHeader(file), 'bad-offsets', file, 'w');
  });

  it('overlapping tensors', async () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    const file = put(assembleSafetensors(header, new Uint8Array(12)));
    await expectError(readSafetensorsHeader(file), 'bad-offsets', file, 'b', /overlap those of "a"/);
  });

  it('byte size not equal to product(shape) x dtype size', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}'), new Uint8Array(8)));
    await expectError(readSafetensorsHeader(file), 'size-mismatch', file, 'w', /8 bytes.*6 x 2 = 12 bytes/);
  });

  it('__metadata__ with a non-string value', async () => {
    const file = put(assembleSafetensors('{"__metadata__":{"step":10}}'));
    await expectError(readSafetensorsHeader(file), 'bad-metadata', file, undefined, /"step"/);
  });

  it('a requested tensor missing', async () => {
    const file = put(assembleSafetensors(entry('w', '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'), new Uint8Array(4)));
    await expectError(readSafetensors(file, { names: ['w', 'model.norm.weight'] }), 'missing-tensor', file, 'model.norm.weight', /1 tensors, e.g. "w"/);
  });
});
