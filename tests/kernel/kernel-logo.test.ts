import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LOGO_SIZES, renderLogoPixels, renderLogoPng } from '../../kernel-lib/src/kernel/kernel-logo';

const ASSETS = join(__dirname, '..', '..', 'kernel-lib', 'assets', 'kernel');

/** Decodes an 8-bit RGBA, non-interlaced PNG whose rows use filter 0. */
function decodePng(png: Buffer): { width: number; height: number; pixels: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('ascii');
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9], data[12]]).toEqual([8, 6, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, pixels };
}

describe('kernel logo', () => {
  it.each(LOGO_SIZES)('ships logo-%ix%i.png, equal to what the renderer draws', (size) => {
    const shipped = decodePng(readFileSync(join(ASSETS, `logo-${size}x${size}.png`)));
    expect([shipped.width, shipped.height]).toEqual([size, size]);
    expect(Buffer.from(shipped.pixels).equals(Buffer.from(renderLogoPixels(size)))).toBe(true);
  });

  it('draws a blue rounded square with white bars and transparent corners', () => {
    const pixels = renderLogoPixels(64);
    const at = (x: number, y: number) => [...pixels.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 4)];
    expect(at(0, 0)[3]).toBe(0);
    expect(at(4, 32)).toEqual([29, 78, 216, 255]);
    expect(at(Math.floor(0.24 * 64), Math.floor(0.7 * 64))).toEqual([255, 255, 255, 255]);
    expect(decodePng(renderLogoPng(32)).pixels).toEqual(renderLogoPixels(32));
  });
});
