import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage, imageFormat, imageInput, readImageFile, toChannels } from '../../kernel-lib/src/vlm/image-decode';
import { resampleTaps, resizePlanes } from '../../kernel-lib/src/vlm/image-resize';
import { encodeGrayPng } from '../../kernel-lib/src/vlm/synthetic-med-vqa';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vlm-image-'));

/** An RGBA PNG whose pixel (x, y) is (10x + y, 20 + y, 200 - x, alpha). */
function rgbPng(width: number, height: number, alpha = 255): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      png.data[i] = 10 * x + y; png.data[i + 1] = 20 + y; png.data[i + 2] = 200 - x; png.data[i + 3] = alpha;
    }
  }
  return PNG.sync.write(png);
}

describe('image decoding', () => {
  it('decodes an RGB PNG into [C, H, W] planes in [0, 1] with the exact pixel values', () => {
    const img = decodeImage(rgbPng(5, 3), 'rgb.png');
    expect([img.channels, img.height, img.width]).toEqual([3, 3, 5]);
    const plane = 15;
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 5; x++) {
        expect(img.data[y * 5 + x]).toBeCloseTo((10 * x + y) / 255, 6);
        expect(img.data[plane + y * 5 + x]).toBeCloseTo((20 + y) / 255, 6);
        expect(img.data[2 * plane + y * 5 + x]).toBeCloseTo((200 - x) / 255, 6);
      }
    }
  });

  it('composites a transparent PNG over black', () => {
    const img = decodeImage(rgbPng(2, 2, 51), 'half.png'); // alpha 0.2
    expect(img.data[1]).toBeCloseTo((10 / 255) * 0.2, 6);
  });

  it('decodes our 8-bit grayscale PNGs to three equal planes, and back to one exact plane', () => {
    const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const bytes = encodeGrayPng(pixels, 4, 3);
    expect(bytes[25]).toBe(0); // IHDR colour type 0: grayscale
    const gray = toChannels(decodeImage(bytes, 'g.png'), 1);
    expect(gray.channels).toBe(1);
    expect(Array.from(gray.data, (v) => Math.round(v * 255))).toEqual(Array.from(pixels));
  });

  it('decodes a JPEG (lossy: within a few levels of the encoded flat colours)', () => {
    const width = 16; const height = 16;
    const data = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      const left = i % width < 8;
      data[4 * i] = left ? 200 : 40; data[4 * i + 1] = left ? 120 : 60; data[4 * i + 2] = left ? 30 : 220; data[4 * i + 3] = 255;
    }
    const bytes = jpeg.encode({ width, height, data }, 100).data;
    expect(imageFormat(bytes)).toBe('jpeg');
    const img = decodeImage(bytes, 'x.jpg');
    expect([img.channels, img.height, img.width]).toEqual([3, 16, 16]);
    const at = (c: number, x: number, y: number) => img.data[c * 256 + y * 16 + x] * 255;
    expect(Math.abs(at(0, 2, 5) - 200)).toBeLessThan(6);
    expect(Math.abs(at(2, 2, 5) - 30)).toBeLessThan(6);
    expect(Math.abs(at(0, 13, 9) - 40)).toBeLessThan(6);
    expect(Math.abs(at(2, 13, 9) - 220)).toBeLessThan(6);
  });

  it('names the file when it is missing, not an image, or a broken PNG', () => {
    const dir = tmp();
    expect(() => readImageFile(path.join(dir, 'nope.png'))).toThrow(/nope\.png: cannot read the image/);
    const text = path.join(dir, 'notes.png');
    fs.writeFileSync(text, 'hello');
    expect(() => readImageFile(text)).toThrow(/notes\.png: not a PNG or JPEG image/);
    const broken = path.join(dir, 'broken.png');
    fs.writeFileSync(broken, rgbPng(4, 4).subarray(0, 40));
    expect(() => readImageFile(broken)).toThrow(/broken\.png: cannot decode this PNG image/);
    const empty = path.join(dir, 'empty.jpg');
    fs.writeFileSync(empty, '');
    expect(() => readImageFile(empty)).toThrow(/empty\.jpg: not a PNG or JPEG image \(unrecognised first bytes \(empty file\)\)/);
  });
});

describe('resampling and model input', () => {
  it('area resampling by an integer factor is the mean of each block', () => {
    const src = Float32Array.from({ length: 16 }, (_, i) => i); // 4 x 4, value = 4y + x
    const out = resizePlanes(src, 1, 4, 4, 2, 2, 'area');
    expect(Array.from(out)).toEqual([(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]);
  });

  it('area taps for a non-integer factor weight each source pixel by its overlap', () => {
    const t = resampleTaps(3, 2, 'area'); // output 0 covers [0, 1.5), output 1 covers [1.5, 3)
    expect(t.index).toEqual([[0, 1], [1, 2]]);
    expect(t.weight[0][0]).toBeCloseTo(2 / 3, 12);
    expect(t.weight[0][1]).toBeCloseTo(1 / 3, 12);
    expect(t.weight[1]).toEqual([t.weight[0][1], t.weight[0][0]]);
  });

  it('bilinear enlargement uses half-pixel centres and clamps at the borders', () => {
    const out = resizePlanes(Float32Array.from([0, 4]), 1, 1, 2, 1, 4, 'bilinear');
    // source coordinates -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    expect(Array.from(out)).toEqual([0, 1, 3, 4]);
  });

  it('imageInput converts channels, resizes and normalises to (x - mean) / std', () => {
    const img = decodeImage(encodeGrayPng(Uint8Array.from([0, 255, 255, 0]), 2, 2), 'tiny.png');
    const x = imageInput(img, { size: 1, channels: 1 });
    expect(Array.from(x)).toEqual([0]); // mean 0.5 -> (0.5 - 0.5) / 0.5
    const same = imageInput(img, { size: 2, channels: 3, mean: 0, std: 1 });
    expect(same.length).toBe(12);
    expect(Array.from(same.subarray(4, 8))).toEqual([0, 1, 1, 0]);
    expect(() => imageInput(img, { size: 2, channels: 1, std: [0.5, 0.5] })).toThrow(/2 mean\/std values for 1 channel/);
  });
});
