/**
 * The kernel's logo, drawn in code: a blue rounded square with a white
 * "spectrum" of descending bars (the few large singular values that GaLore
 * keeps), encoded as RGBA PNG without any image library.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

/** Logo sizes Jupyter looks for in a kernelspec (`logo-32x32.png`, `logo-64x64.png`). */
export const LOGO_SIZES = [32, 64] as const;

const BACKGROUND = [29, 78, 216] as const; // #1d4ed8
const FOREGROUND = [255, 255, 255] as const;
const BAR_HEIGHTS = [0.62, 0.44, 0.3, 0.2, 0.13]; // fractions of the icon height
const SUPERSAMPLING = 4;

/**
 * The logo's pixels: `size * size * 4` bytes of straight-alpha RGBA.
 *
 * @example
 * renderLogoPixels(32).length; // 4096
 */
export function renderLogoPixels(size: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let inside = 0;
      let bar = 0;
      for (let sy = 0; sy < SUPERSAMPLING; sy++) {
        for (let sx = 0; sx < SUPERSAMPLING; sx++) {
          const u = (x + (sx + 0.5) / SUPERSAMPLING) / size;
          const v = (y + (sy + 0.5) / SUPERSAMPLING) / size;
          if (!insideRoundedSquare(u, v, 0.2)) continue;
          inside += 1;
          if (onBar(u, v)) bar += 1;
        }
      }
      const samples = SUPERSAMPLING * SUPERSAMPLING;
      const offset = (y * size + x) * 4;
      const barShare = inside === 0 ? 0 : bar / inside;
      for (let c = 0; c < 3; c++) {
        pixels[offset + c] = Math.round(BACKGROUND[c] * (1 - barShare) + FOREGROUND[c] * barShare);
      }
      pixels[offset + 3] = Math.round((255 * inside) / samples);
    }
  }
  return pixels;
}

/**
 * The logo as PNG bytes.
 *
 * @example
 * writeFileSync('logo-64x64.png', renderLogoPng(64));
 */
export function renderLogoPng(size: number): Buffer {
  const pixels = renderLogoPixels(size);
  const scanlines = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    scanlines[y * (size * 4 + 1)] = 0; // filter type: none
    Buffer.from(pixels.buffer, y * size * 4, size * 4).copy(scanlines, y * (size * 4 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanlines, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Writes `logo-32x32.png` and `logo-64x64.png` into a folder (how the shipped
 * assets in `kernel-lib/assets/kernel/` are made).
 *
 * @example
 * writeKernelLogos('kernel-lib/assets/kernel');
 */
export function writeKernelLogos(folder: string): string[] {
  mkdirSync(folder, { recursive: true });
  return LOGO_SIZES.map((size) => {
    const path = join(folder, `logo-${size}x${size}.png`);
    writeFileSync(path, renderLogoPng(size));
    return path;
  });
}

function insideRoundedSquare(u: number, v: number, radius: number): boolean {
  const margin = 0.03;
  const lo = margin + radius;
  const hi = 1 - margin - radius;
  const dx = u < lo ? lo - u : u > hi ? u - hi : 0;
  const dy = v < lo ? lo - v : v > hi ? v - hi : 0;
  return u >= margin && u <= 1 - margin && v >= margin && v <= 1 - margin && dx * dx + dy * dy <= radius * radius;
}

function onBar(u: number, v: number): boolean {
  const left = 0.2;
  const pitch = 0.125;
  const width = 0.085;
  const baseline = 0.8;
  const index = Math.floor((u - left) / pitch);
  if (index < 0 || index >= BAR_HEIGHTS.length) return false;
  const within = u - left - index * pitch;
  return within <= width && v <= baseline && v >= baseline - BAR_HEIGHTS[index];
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
